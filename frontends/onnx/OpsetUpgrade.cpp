//===- OpsetUpgrade.cpp - Older opsets through ONNX's converter -----------===//

#include "frontends/onnx/OpsetUpgrade.h"

#include "onnx/checker.h"
#include "onnx/shape_inference/implementation.h"
#include "onnx/version_converter/convert.h"
#include "llvm/ADT/STLExtras.h"

#include <exception>
#include <unordered_set>

/// ONNX's messages print nodes over several lines: one line here.
static std::string oneLine(const char *message) {
  std::string line;
  for (const char *c = message; *c; ++c) {
    bool space = *c == '\n' || *c == '\t' || *c == ' ';
    if (!space)
      line += *c;
    else if (!line.empty() && line.back() != ' ')
      line += ' ';
  }
  while (!line.empty() && line.back() == ' ')
    line.pop_back();
  return line;
}

/// What the converter's graph import dereferences without checking, and
/// ONNX's checker does not check: every name a node reads or the graph
/// returns is defined once, before it is read; no subgraphs (control flow,
/// which Tessera does not import anyway).
static bool checkNames(const onnx::GraphProto &graph, std::string &error) {
  std::unordered_set<std::string> defined;
  auto define = [&](const std::string &name, const char *what) {
    if (!defined.insert(name).second) {
      error = "it is malformed: " + std::string(what) + " '" + name +
              "' is defined twice";
      return false;
    }
    return true;
  };
  for (const onnx::TensorProto &initializer : graph.initializer())
    if (!define(initializer.name(), "initializer"))
      return false;
  for (const onnx::ValueInfoProto &input : graph.input())
    if (!defined.count(input.name()) && !define(input.name(), "input"))
      return false;
  for (const auto &[index, node] : llvm::enumerate(graph.node())) {
    // Named as the importer names nodes.
    std::string name =
        "node '" +
        (node.name().empty() ? node.op_type() + " #" + std::to_string(index)
                             : node.name()) +
        "'";
    for (const std::string &input : node.input())
      if (!input.empty() && !defined.count(input)) {
        error = "it is malformed: " + name + " reads '" + input +
                "', which nothing defines before it";
        return false;
      }
    for (const onnx::AttributeProto &attribute : node.attribute())
      if (attribute.has_g() || attribute.graphs_size() > 0) {
        error = name + " has a subgraph (control flow, which Tessera does "
                       "not import)";
        return false;
      }
    for (const std::string &output : node.output())
      if (!output.empty() && !define(output, "value"))
        return false;
  }
  for (const onnx::ValueInfoProto &output : graph.output())
    if (!defined.count(output.name())) {
      error = "it is malformed: graph output '" + output.name() +
              "' is never computed";
      return false;
    }
  return true;
}

bool mlir::tessera::onnx_frontend::upgradeOpset(const onnx::ModelProto &model,
                                                int64_t target,
                                                onnx::ModelProto &upgraded,
                                                std::string &error) {
  // The converter trusts its input (it indexes nodes' inputs without
  // checking them); the checker does not, nor does checkNames.
  if (!checkNames(model.graph(), error))
    return false;
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    error = "ONNX's checker rejects it: " + oneLine(e.what());
    return false;
  }
  // Some adapters (Softmax 12 -> 13, Gemm's optional C) read input
  // shapes, which old exports rarely store: infer them first.
  try {
    onnx::ModelProto shaped = model;
    onnx::shape_inference::InferShapes(shaped);
    upgraded = onnx::version_conversion::ConvertVersion(
        shaped, static_cast<int>(target));
  } catch (const std::exception &e) {
    error = "ONNX's version converter fails: " + oneLine(e.what());
    return false;
  }
  return true;
}

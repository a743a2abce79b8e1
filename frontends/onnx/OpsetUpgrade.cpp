//===- OpsetUpgrade.cpp - Older opsets through ONNX's converter -----------===//

#include "frontends/onnx/OpsetUpgrade.h"

#include "onnx/checker.h"
#include "onnx/shape_inference/implementation.h"
#include "onnx/version_converter/convert.h"

#include <exception>

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

bool mlir::tessera::onnx_frontend::upgradeOpset(const onnx::ModelProto &model,
                                                int64_t target,
                                                onnx::ModelProto &upgraded,
                                                std::string &error) {
  // The converter trusts its input (it indexes nodes' inputs without
  // checking them); the checker does not.
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

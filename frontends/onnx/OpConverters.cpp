//===- OpConverters.cpp - The table of ONNX op converters -----------------===//

#include "frontends/onnx/OpConverters.h"

using namespace mlir::tessera::onnx_frontend;

std::string
mlir::tessera::onnx_frontend::qualifiedOpType(const onnx::NodeProto &node) {
  if (node.domain().empty() || node.domain() == "ai.onnx")
    return node.op_type();
  return node.domain() + "." + node.op_type();
}

const OpConverter *
mlir::tessera::onnx_frontend::lookupConverter(llvm::StringRef opType) {
  static const ConverterTable table = [] {
    ConverterTable t;
    addElementwiseConverters(t);
    addShapeConverters(t);
    addNeuralConverters(t);
    addEinsumConverters(t);
    addContribConverters(t);
    addQuantizedConverters(t);
    return t;
  }();
  auto it = table.find(opType);
  return it == table.end() ? nullptr : &it->second;
}

//===- OpConverters.cpp - The table of ONNX op converters -----------------===//

#include "frontends/onnx/OpConverters.h"

using namespace mlir::tessera::onnx_frontend;

const OpConverter *
mlir::tessera::onnx_frontend::lookupConverter(llvm::StringRef opType) {
  static const ConverterTable table = [] {
    ConverterTable t;
    addElementwiseConverters(t);
    addShapeConverters(t);
    addNeuralConverters(t);
    return t;
  }();
  auto it = table.find(opType);
  return it == table.end() ? nullptr : &it->second;
}

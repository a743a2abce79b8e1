//===- OpConverters.h - The ONNX op converters, by family -------*- C++ -*-===//
//
// Each family file (ElementwiseOps.cpp, ShapeOps.cpp, NeuralOps.cpp) adds
// its converters to the table that lookupConverter reads. A new op is one
// function in its family's file and one line in its add*Converters.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_FRONTENDS_ONNX_OPCONVERTERS_H
#define TESSERA_FRONTENDS_ONNX_OPCONVERTERS_H

#include "frontends/onnx/GraphImporter.h"

#include "llvm/ADT/StringMap.h"

namespace mlir::tessera::onnx_frontend {

using ConverterTable = llvm::StringMap<ConvertFunction>;

void addElementwiseConverters(ConverterTable &table);
void addShapeConverters(ConverterTable &table);
void addNeuralConverters(ConverterTable &table);

} // namespace mlir::tessera::onnx_frontend

#endif // TESSERA_FRONTENDS_ONNX_OPCONVERTERS_H

//===- OnnxTextParser.h - ONNX's text format, parsed safely -----*- C++ -*-===//
//
// Internal to the ONNX frontend. libonnx's text parser reports most errors
// as a status but lets C++ exceptions escape on some malformed literals
// (std::stof on "1.e+"); the rest of the frontend is built without
// exceptions, so the parser is called from here, where they are caught.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_FRONTENDS_ONNX_ONNXTEXTPARSER_H
#define TESSERA_FRONTENDS_ONNX_ONNXTEXTPARSER_H

#include "onnx/onnx_pb.h"

#include <string>

namespace mlir::tessera::onnx_frontend {

/// Parses `text` into `model`; false with `error` set when it is not valid.
bool parseOnnxText(const std::string &text, onnx::ModelProto &model,
                   std::string &error);

} // namespace mlir::tessera::onnx_frontend

#endif // TESSERA_FRONTENDS_ONNX_ONNXTEXTPARSER_H

//===- OnnxTextParser.cpp - ONNX's text format, parsed safely -------------===//
//
// Built with -fexceptions (frontends/onnx/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxTextParser.h"

#include "onnx/defs/parser.h"

#include <exception>

bool mlir::tessera::onnx_frontend::parseOnnxText(const std::string &text,
                                                 onnx::ModelProto &model,
                                                 std::string &error) {
  try {
    onnx::Common::Status status = onnx::OnnxParser::Parse(model, text.c_str());
    if (status.IsOK())
      return true;
    error = status.ErrorMessage();
  } catch (const std::exception &e) {
    error = std::string("malformed literal (") + e.what() + ")";
  } catch (...) {
    error = "the parser failed";
  }
  return false;
}

//===- OpsetUpgrade.h - Older opsets through ONNX's converter ---*- C++ -*-===//
//
// Internal to the ONNX frontend. Models exported at opsets below the ones
// Tessera imports (PyTorch's exports at opsets 6 to 12 are common) are
// upgraded by ONNX's own version converter, which knows every op's changes
// between opsets, instead of Tessera keeping a second copy of that history.
// The converter reports errors by C++ exceptions; the rest of the frontend
// is built without them, so it is called from here, where they are caught.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_FRONTENDS_ONNX_OPSETUPGRADE_H
#define TESSERA_FRONTENDS_ONNX_OPSETUPGRADE_H

#include "onnx/onnx_pb.h"

#include <cstdint>
#include <string>

namespace mlir::tessera::onnx_frontend {

/// Converts `model` to opset `target` of the default domain; false with
/// `error` set when ONNX's checker rejects the model (the converter needs a
/// valid graph) or the converter cannot convert one of its ops.
bool upgradeOpset(const onnx::ModelProto &model, int64_t target,
                  onnx::ModelProto &upgraded, std::string &error);

} // namespace mlir::tessera::onnx_frontend

#endif // TESSERA_FRONTENDS_ONNX_OPSETUPGRADE_H

//===- ExternalData.h - Tensor bytes kept beside an ONNX model --*- C++ -*-===//
//
// Internal to the ONNX frontend. A tensor whose `data_location` is EXTERNAL
// names a file (`location`) and a byte range in it (`offset`, `length`).
// A model file is untrusted input, so the reader applies the rule of ONNX's
// checker and ONNX Runtime before it opens anything:
//
// - `location` is a relative path that stays inside the model's folder once
//   `.` and `..` are removed;
// - once symbolic links are resolved, it still lies inside the model's
//   folder, or inside the folder that holds the model file itself after its
//   own links are resolved (the layout of the Hugging Face hub's cache, where
//   both are links into a `blobs/` folder);
// - it names a regular file: not a directory, device, FIFO or socket;
// - `offset` and `length` are decimal integers without a sign, and the range
//   they give lies inside the file (checked without overflow).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_FRONTENDS_ONNX_EXTERNALDATA_H
#define TESSERA_FRONTENDS_ONNX_EXTERNALDATA_H

#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"

#include "onnx/onnx_pb.h"

#include <string>

namespace mlir::tessera::onnx_frontend {

/// Where the model being imported lies: the folder its external data paths
/// are relative to, and the model file's path (whose links are followed to
/// find the second folder data may lie in). `modelFile` may be empty (a
/// model given as text in memory).
struct ModelLocation {
  std::string directory;
  std::string modelFile;
};

/// The bytes of `tensor`'s external data. `expectedBytes` is what its
/// dims and type need; it is the length when the tensor gives none. Errors
/// are reported at `loc`, naming the tensor.
FailureOr<std::string> readExternalData(const onnx::TensorProto &tensor,
                                        const ModelLocation &model,
                                        uint64_t expectedBytes, Location loc);

} // namespace mlir::tessera::onnx_frontend

#endif // TESSERA_FRONTENDS_ONNX_EXTERNALDATA_H

//===- OnnxImporter.h - ONNX models into the tessera dialect ----*- C++ -*-===//
//
// The ONNX frontend's entry points. A model becomes one func.func in the
// tessera dialect: graph inputs are arguments (named dims from ONNX
// dim_params in `tessera.dims`), initializers are `dense_resource` weights,
// nodes are tessera ops. Shape arithmetic (Shape -> Gather -> Concat ->
// Reshape and the like) is folded during import into static or named dims.
// Protobuf and libonnx stay behind this header.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_FRONTENDS_ONNX_ONNXIMPORTER_H
#define TESSERA_FRONTENDS_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

namespace mlir::tessera::onnx_frontend {

/// The default-domain opsets the importer reads. It does its own shape
/// inference, so it does not depend on the opsets libonnx knows.
constexpr int64_t kMinOpset = 13;
constexpr int64_t kMaxOpset = 23;

/// What the import does beyond reading the model.
struct ImportOptions {
  /// Named input dims fixed to one size (`--dim NAME=N`), imported as
  /// static dims: the graph is specialised to that size (one whose views
  /// fix an image size compiles for it). A name no input dim has is an
  /// error.
  llvm::StringMap<int64_t> fixedDims;
};

/// Reads a binary .onnx file; external data files are looked up next to
/// it. Errors are reported through the context's diagnostics, located at
/// the file (and the node, by name, where there is one).
OwningOpRef<ModuleOp> importOnnxFile(StringRef path, MLIRContext *context,
                                     const ImportOptions &options = {});

/// Imports the bytes of a binary .onnx file; `path` names it in diagnostics
/// and external data files are looked up next to it.
OwningOpRef<ModuleOp> importOnnxBytes(StringRef bytes, StringRef path,
                                      MLIRContext *context,
                                      const ImportOptions &options = {});

/// Parses ONNX's text format (as onnx/defs/parser.h reads it) and imports
/// it; `bufferName` names it in diagnostics.
OwningOpRef<ModuleOp> importOnnxText(StringRef text, StringRef bufferName,
                                     MLIRContext *context,
                                     const ImportOptions &options = {});

/// Whether `path` looks like an ONNX file to import rather than MLIR text
/// (by its extension: .onnx, or .onnxtxt / .onnx.txt for the text format).
enum class InputFormat { MLIR, OnnxBinary, OnnxText };
InputFormat guessInputFormat(StringRef path);

} // namespace mlir::tessera::onnx_frontend

#endif // TESSERA_FRONTENDS_ONNX_ONNXIMPORTER_H

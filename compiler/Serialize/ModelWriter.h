//===- ModelWriter.h - Write a compiled module as a .tsr file ---*- C++ -*-===//

#ifndef TESSERA_COMPILER_SERIALIZE_MODELWRITER_H
#define TESSERA_COMPILER_SERIALIZE_MODELWRITER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir::tessera {

struct ModelWriterOptions {
  /// Recorded in the metadata (usually the input file name).
  std::string source;
  /// Bounds of dynamic dimensions, overriding the function's
  /// `tessera.dim_bounds` (`--dim seq=1:512`).
  llvm::StringMap<std::pair<int64_t, int64_t>> dimBounds;
  /// Files carried in the binary for the model's jobs, by name
  /// ("tokenizer/tokenizer.json"): the format's Resource table.
  std::vector<std::pair<std::string, std::string>> resources;
  /// Called as the weights are written, with the bytes done of the total
  /// (they are streamed twice: into the checksum, then into the file).
  std::function<void(uint64_t done, uint64_t total)> weightsProgress;
};

/// What the writer decided, for `--dump-dispatches` and tests.
struct ModelSummary {
  size_t dispatchCount = 0;
  size_t barrierCount = 0;
  uint64_t fileSize = 0;     ///< bytes of the whole .tsr
  uint64_t arenaSize = 0;    ///< bytes at the bounds, after reuse
  uint64_t unsharedSize = 0; ///< bytes the activations would take unshared
  uint64_t weightsSize = 0;
  /// Per dispatch (kernel name), a line on what its kernel does at the
  /// bounds; for attention, the mask and the key tiles it visits.
  llvm::StringMap<std::string> dispatchNotes;
};

/// Serializes `module` (after tessera-convert-kernels-to-spirv) as a .tsr
/// file to `os`: kernels, schedule, buffer plan, I/O signature, target
/// needs, metadata and the weights section, streamed from the module's
/// constants (no copy of the weights is gathered).
LogicalResult writeModel(ModuleOp module, const ModelWriterOptions &options,
                         raw_ostream &os, ModelSummary *summary = nullptr);
/// The same into memory: the file's bytes.
FailureOr<std::vector<char>> writeModel(ModuleOp module,
                                        const ModelWriterOptions &options,
                                        ModelSummary *summary = nullptr);

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_SERIALIZE_MODELWRITER_H

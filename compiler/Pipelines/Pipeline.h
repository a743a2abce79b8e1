//===- Pipeline.h - tessera-compile's phases --------------------*- C++ -*-===//

#ifndef TESSERA_COMPILER_PIPELINES_PIPELINE_H
#define TESSERA_COMPILER_PIPELINES_PIPELINE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringRef.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mlir::tessera {

/// The phases in order. Each one's output is the next one's input;
/// `tessera-compile --compile-to=<phase>` stops after it and prints the IR.
enum class Phase { Import, Raise, Fuse, Config, Codegen, SPIRV, Serialize };

/// "import", "raise", ...
StringRef getPhaseName(Phase phase);
std::optional<Phase> parsePhase(StringRef name);
/// "import, raise, fuse, config, codegen, spirv, serialize"
std::string listPhases();

/// Every dialect the pipeline parses or produces.
void registerPipelineDialects(DialectRegistry &registry);

struct PipelineOptions {
  /// Built-in profile name; empty keeps the module's own tessera.target.
  std::string target = "lavapipe";
  /// Largest weight part in bytes; 0 uses the target's storage-buffer range
  /// (see tessera-split-large-weights).
  int64_t maxBindingBytes = 0;
  /// Store weights as f16 (arithmetic stays f32): `--precision f16`.
  bool f16Weights = false;
  /// Store linear weights as integers of this many bits (8 or 4; 0: not),
  /// one scale per row and group of `weightGroupSize` columns (0: per
  /// row): `--weights int8|int4[:group]`.
  int64_t weightBits = 0;
  int64_t weightGroupSize = 0;
  /// Where to time each pass (`--timing`), nested in its phase; null:
  /// untimed.
  TimingScope *timing = nullptr;
  /// Called as each phase ends, with its wall seconds (tessera-compile's
  /// progress lines).
  std::function<void(Phase, double)> phaseDone;
};

/// Runs `body(timing)` as `phase`: `timing` is the phase's scope of the
/// `--timing` tree (null when untimed), and a result that converts to true
/// (success) reports the phase's wall seconds to `options.phaseDone`. The
/// pass phases run so, and the driver's import and serialize.
template <typename Body>
auto timePhase(const PipelineOptions &options, Phase phase, Body body) {
  std::optional<TimingScope> scope;
  if (options.timing)
    scope.emplace(options.timing->nest(getPhaseName(phase)));
  auto start = std::chrono::steady_clock::now();
  auto result = body(scope ? &*scope : nullptr);
  if (result && options.phaseDone)
    options.phaseDone(phase, std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - start)
                                 .count());
  return result;
}

/// Runs the phases after import up to and including `last` on `module`.
/// (Serialize is not a pass pipeline: see writeModel.)
LogicalResult runPipeline(ModuleOp module, Phase last,
                          const PipelineOptions &options);

/// Compiles tessera-dialect MLIR text through every phase, in its own
/// context, into the bytes of a .tsr file (tests, benchmarks, embedding).
/// Diagnostics go to the context's default handler (stderr).
FailureOr<std::vector<char>> compileSource(StringRef source,
                                           const PipelineOptions &options = {});

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_PIPELINES_PIPELINE_H

//===- tessera-compile.cpp - Compile a model to a .tsr binary -------------===//

#include "compiler/Conversion/KernelsToSPIRV.h"
#include "compiler/Target/DeviceProfiles.h"
#include "dialects/tessera/IR/TesseraOps.h"
#include "tools/Driver/Driver.h"
#include "tools/Version.h"

#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <sys/resource.h>

using namespace mlir;
using namespace mlir::tessera;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tessera-compile options");

cl::opt<std::string> inputFile(cl::Positional,
                               cl::desc("<model.onnx | model.mlir>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> inputFormat(
    "input-format",
    cl::desc("How to read the input: onnx (binary protobuf), onnx-text "
             "(ONNX's text format), mlir (tessera dialect). Default: from "
             "the extension (.onnx, .onnxtxt; anything else is MLIR)"),
    cl::value_desc("format"), cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("Output .tsr file"),
                                cl::value_desc("file"), cl::cat(category));
cl::opt<std::string>
    target("target",
           cl::desc("Device profile to compile for (default: lavapipe)"),
           cl::init("lavapipe"), cl::cat(category));
cl::opt<std::string> compileTo(
    "compile-to",
    cl::desc("Stop after this phase and print the IR (to -o, or stdout)"),
    cl::value_desc("phase"), cl::cat(category));
cl::opt<bool> printWeights(
    "print-weights",
    cl::desc("With --compile-to, print weight blobs in full (default: "
             "elided), so that tessera-opt can take the output"),
    cl::init(false), cl::cat(category));
enum class Precision { F32, F16 };
cl::opt<Precision> precision(
    "precision",
    cl::desc("How weights are stored; arithmetic is f32 either way"),
    cl::values(clEnumValN(Precision::F32, "f32", "f32 weights (default)"),
               clEnumValN(Precision::F16, "f16",
                          "f16 weights: half the memory and bandwidth, "
                          "results within ~2e-3 relative of f32 (BERT-base: "
                          "1.6e-3, docs/benchmarks.md); needs a "
                          "device with 16-bit storage")),
    cl::init(Precision::F32), cl::cat(category));
cl::opt<std::string> weights(
    "weights",
    cl::desc("Store linear weights and embedding tables as integers, "
             "dequantized in registers by their kernels: int8 (one f16 "
             "scale per output channel) or int4[:GROUP] (one f16 scale per "
             "output channel and GROUP input columns, 32, 64 or 128; "
             "default 32; tables and tied LM heads at 8 bits). Other "
             "weights follow --precision. Accuracy: docs/benchmarks.md"),
    cl::value_desc("int8|int4[:GROUP]"), cl::cat(category));
cl::list<std::string>
    dims("dim",
         cl::desc("Fix (NAME=N) or bound (NAME=MIN:MAX) a dynamic dimension"),
         cl::value_desc("NAME=N|NAME=MIN:MAX"), cl::cat(category));
cl::opt<bool> timing(
    "timing",
    cl::desc("Print the time of each phase as it ends (on a terminal it is "
             "printed anyway), then each pass's inside its phase and the "
             "peak memory, on stderr"),
    cl::init(false), cl::cat(category));
cl::opt<std::string> tokenizerDir(
    "tokenizer",
    cl::desc("Carry the model's tokenizer in the .tsr, so that one file runs "
             "text jobs (tessera-run --text, tessera-generate): a directory "
             "with Hugging Face's tokenizer.json (or vocab.txt, or "
             "vocab.json + merges.txt), checked here by loading it"),
    cl::value_desc("dir"), cl::cat(category));
cl::opt<std::string> imageProcessorPath(
    "image-processor",
    cl::desc("Carry the model's image preprocessing in the .tsr, for "
             "tessera-run --image: Hugging Face's preprocessor_config.json "
             "(or a directory holding it), checked here by loading it"),
    cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> dumpDispatches(
    "dump-dispatches",
    cl::desc("Write one file per dispatch (fused IR, tile config, SPIR-V "
             "disassembly) into this directory"),
    cl::value_desc("dir"), cl::cat(category));

int fail(const Twine &message) {
  llvm::errs() << "tessera-compile: " << message << "\n";
  return 1;
}

/// The command line as the driver's options.
bool readOptions(driver::CompileOptions &options) {
  driver::CompileRequest request;
  request.input = inputFile;
  request.inputFormat = inputFormat;
  request.target = target;
  request.precision = precision == Precision::F16 ? "f16" : "f32";
  request.weights = weights;
  request.dims.assign(dims.begin(), dims.end());
  request.tokenizer = tokenizerDir;
  request.imageProcessor = imageProcessorPath;
  if (llvm::Error error = driver::readRequest(request, options)) {
    fail(llvm::toString(std::move(error)));
    return false;
  }
  return true;
}

LogicalResult writeDispatchDumps(ModuleOp module, StringRef directory,
                                 const ModelSummary &summary) {
  if (std::error_code error = llvm::sys::fs::create_directories(directory))
    return module.emitError()
           << "cannot create '" << directory << "': " << error.message();
  llvm::StringMap<spirv::ModuleOp> kernels;
  for (auto kernel : module.getOps<spirv::ModuleOp>())
    kernels[kernel.getSymName().value_or("")] = kernel;
  // One file per dispatch, named by its place in the schedule: dispatches
  // with the same kernel share it (tessera-deduplicate-kernels).
  unsigned index = 0;
  WalkResult result = module.walk([&](DispatchOp dispatch) {
    auto kernel = TesseraDialect::KernelAttrHelper(dispatch->getContext())
                      .getAttr(dispatch);
    std::string name = kernel.getLeafReference().str();
    SmallString<128> path(directory);
    llvm::sys::path::append(path,
                            "dispatch_" + std::to_string(index++) + ".txt");
    std::error_code error;
    llvm::raw_fd_ostream os(path, error);
    if (error) {
      dispatch.emitError() << "cannot write '" << path << "'";
      return WalkResult::interrupt();
    }
    os << "// dispatch " << index - 1 << ", kernel " << name << ": root "
       << dispatch.getRootOp()->getName()
       << "\n// tile config: " << dispatch.getTileConfigAttr() << "\n";
    if (auto note = summary.dispatchNotes.find(name);
        note != summary.dispatchNotes.end())
      os << "// " << note->getValue() << "\n";
    os << "\n";
    OpPrintingFlags flags;
    flags.elideLargeElementsAttrs(16);
    dispatch->print(os, flags);
    os << "\n\n// SPIR-V\n";
    FailureOr<SmallVector<uint32_t>> words =
        serializeKernel(kernels.lookup(spirvModuleName(name)));
    if (failed(words))
      return WalkResult::interrupt();
    os << disassembleKernel(*words);
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// On a terminal, how far the weights are written (a large model's take
/// seconds): one line, rewritten as each percent passes.
void reportWeightsProgress(uint64_t done, uint64_t total) {
  constexpr uint64_t kWorthShowing = 64ull << 20;
  static int shown = -1;
  int percent = total ? static_cast<int>(100 * done / total) : 100;
  if (total < kWorthShowing || percent == shown)
    return;
  shown = percent;
  llvm::errs() << "\rtessera-compile: writing weights " << percent << "%"
               << (done == total ? "\r\x1b[K" : "");
}

/// One line per phase as it ends, on a terminal or with --timing: a
/// large model's compile is not silent for a minute.
void reportPhase(Phase phase, double seconds) {
  llvm::errs() << llvm::format("tessera-compile: %-9s %7.2f s\n",
                               getPhaseName(phase).str().c_str(), seconds);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter(
      [](llvm::raw_ostream &os) { printToolVersion(os, "tessera-compile"); });
  std::string overview =
      "tessera-compile: compile a model to a Tessera binary (.tsr)\n\n"
      "  tessera-compile model.onnx -o model.tsr [--target=PROFILE]\n"
      "                  [--dim seq=1:512] [--precision=f16]\n"
      "                  [--weights=int8|int4[:GROUP]]\n"
      "                  [--dump-dispatches=DIR] [--timing]\n"
      "  tessera-compile model.onnx --compile-to=PHASE\n\n"
      "Input: an ONNX model (opsets 13 to 23, older ones upgraded by ONNX's\n"
      "version converter; weights may live in external data files next to\n"
      "it), ONNX's text format (.onnxtxt), or a .mlir file in the tessera\n"
      "dialect with one function. Dynamic dimensions\n"
      "are named (ONNX dim_params; in MLIR the argument attribute\n"
      "tessera.dims, e.g. [1, \"seq\", 256]) and bounded by --dim (or the\n"
      "function attribute tessera.dim_bounds). Without --dim a dim gets the\n"
      "bound the graph implies (positions into a table of N rows: N), the\n"
      "batch (an input's first dim) 1, any other 512 (or less, halved until\n"
      "every tensor fits the target's largest buffer binding); a remark says\n"
      "each bound chosen and the --dim that widens it. --dim NAME=N fixes an\n"
      "ONNX input dim at import: the model is compiled for that size alone\n"
      "(an export whose graph holds for one size compiles: a dynamic image\n"
      "under a fixed position table, a Hugging Face Longformer traced at one\n"
      "length).\n\n"
      "Phases: " +
      listPhases() +
      ".\nProfiles: " + llvm::join(getBuiltinProfileNames(), ", ") + ".\n";
  cl::ParseCommandLineOptions(argc, argv, overview);

  std::optional<Phase> last = Phase::Serialize;
  if (!compileTo.empty() && !(last = parsePhase(compileTo)))
    return fail("unknown phase '" + compileTo + "'; phases are " +
                listPhases());
  if (*last == Phase::Serialize && outputFile.empty())
    return fail("no output file: pass -o model.tsr (or --compile-to=PHASE "
                "to print the IR)");
  driver::CompileOptions options;
  if (!readOptions(options))
    return 1;
  // --timing: a tree of phases, the passes nested in theirs. The report
  // prints when the manager goes out of scope, after the peak memory line.
  DefaultTimingManager timingManager;
  timingManager.setEnabled(timing);
  timingManager.setDisplayMode(DefaultTimingManager::DisplayMode::Tree);
  TimingScope rootTiming = timingManager.getRootScope();
  options.pipeline.timing = &rootTiming;
  if (timing || llvm::errs().is_displayed())
    options.pipeline.phaseDone = reportPhase;
  if (llvm::errs().is_displayed())
    options.writer.weightsProgress = reportWeightsProgress;
  llvm::scope_exit reportPeakMemory([&] {
    if (!timing)
      return;
    struct rusage usage;
    if (::getrusage(RUSAGE_SELF, &usage) == 0)
      llvm::errs() << "tessera-compile: peak memory " << usage.ru_maxrss / 1024
                   << " MiB\n";
  });
  DialectRegistry registry;
  registerPipelineDialects(registry);
  MLIRContext context(registry);
  driver::DiagnosticPrinter diagnostics(context, options, llvm::errs());
  // Reading a large model file is one long step: say it is happening.
  uint64_t inputSize = 0;
  if (llvm::errs().is_displayed() &&
      !llvm::sys::fs::file_size(inputFile, inputSize) &&
      inputSize >= (64ull << 20))
    llvm::errs() << "tessera-compile: reading " << inputFile << " ("
                 << inputSize / (1 << 20) << " MiB)\n";
  OwningOpRef<ModuleOp> module =
      driver::importModel(options, context, diagnostics.sourceMgr());
  if (!module || failed(driver::runPhases(*module, options, *last)))
    return 1;

  std::string error;
  if (*last != Phase::Serialize) {
    std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(
        outputFile.empty() ? std::string("-") : outputFile.getValue(), &error);
    if (!output)
      return fail(error);
    OpPrintingFlags flags;
    if (!printWeights)
      flags.elideLargeResourceString(64);
    module->print(output->os(), flags);
    output->keep();
    return 0;
  }

  ModelSummary summary;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFile, &error);
  if (!output)
    return fail(error);
  // The writer streams the file, weights straight from the module: the
  // file is removed again if anything fails.
  if (failed(driver::serialize(*module, options, output->os(), &summary)))
    return 1;
  output->os().flush();
  if (output->os().has_error())
    return fail("cannot write '" + outputFile +
                "': " + output->os().error().message());
  if (!dumpDispatches.empty() &&
      failed(writeDispatchDumps(*module, dumpDispatches, summary)))
    return 1;
  output->keep();
  llvm::errs() << "tessera-compile: wrote " << outputFile << " ("
               << summary.fileSize << " bytes: " << summary.dispatchCount
               << " dispatches, " << summary.barrierCount << " barriers, arena "
               << summary.arenaSize << " bytes (" << summary.unsharedSize
               << " without reuse), weights " << summary.weightsSize
               << " bytes)\n";
  return 0;
}

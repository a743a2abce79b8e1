//===- tessera-compile.cpp - Compile a model to a .tsr binary -------------===//

#include "compiler/Conversion/KernelsToSPIRV.h"
#include "compiler/Pipelines/Pipeline.h"
#include "compiler/Serialize/ModelWriter.h"
#include "compiler/Target/DeviceProfiles.h"
#include "dialects/tessera/IR/TesseraOps.h"
#include "frontends/onnx/OnnxImporter.h"
#include "tessera/image.h"
#include "tessera/tokenizer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
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
    cl::desc("Print the time of each phase and pass (import, the passes, "
             "serialize) and the peak memory, on stderr"),
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

/// Parses --dim entries; false (with a message) on a malformed one.
/// The tokenizer's files, as resources "tokenizer/<name>" of the .tsr.
bool readTokenizer(ModelWriterOptions &options) {
  auto visit = [](void *userData, const char *name, const void *data,
                  size_t size) {
    static_cast<ModelWriterOptions *>(userData)->resources.push_back(
        {std::string("tokenizer/") + name,
         std::string(static_cast<const char *>(data), size)});
  };
  if (tessera_tokenizer_read_files(tokenizerDir.c_str(), visit, &options) !=
      TESSERA_OK) {
    fail(Twine("--tokenizer: ") + tessera_last_error());
    return false;
  }
  return true;
}

/// The image processor's preprocessor_config.json, as the resource
/// "image/preprocessor_config.json".
bool readImageProcessor(ModelWriterOptions &options) {
  tessera_image_processor processor = nullptr;
  if (tessera_image_processor_load(imageProcessorPath.c_str(), &processor) !=
      TESSERA_OK) {
    fail(Twine("--image-processor: ") + tessera_last_error());
    return false;
  }
  tessera_image_processor_destroy(processor);
  SmallString<256> path(imageProcessorPath);
  if (llvm::sys::fs::is_directory(path))
    llvm::sys::path::append(path, "preprocessor_config.json");
  auto file = llvm::MemoryBuffer::getFile(path);
  if (!file) {
    fail("--image-processor: cannot read " + path);
    return false;
  }
  options.resources.push_back(
      {"image/preprocessor_config.json", (*file)->getBuffer().str()});
  return true;
}

bool parseDims(ModelWriterOptions &options) {
  for (StringRef entry : dims) {
    auto [name, range] = entry.split('=');
    auto [low, high] = range.split(':');
    int64_t lower, upper;
    if (name.empty() || low.getAsInteger(10, lower) ||
        (high.empty() ? (upper = lower, false)
                      : high.getAsInteger(10, upper))) {
      fail("--dim '" + entry + "' is not NAME=N or NAME=MIN:MAX");
      return false;
    }
    options.dimBounds[name] = {lower, upper};
  }
  return true;
}

/// Records the --dim bounds in every function's `tessera.dim_bounds`, so
/// that the passes (tile selection) see them, not only the writer.
void recordDimBounds(ModuleOp module, const ModelWriterOptions &options) {
  if (options.dimBounds.empty())
    return;
  Builder builder(module.getContext());
  for (auto function : module.getOps<func::FuncOp>()) {
    NamedAttrList bounds;
    if (auto existing =
            TesseraDialect::DimBoundsAttrHelper(function->getContext())
                .getAttr(function))
      bounds.append(existing.getValue());
    for (const auto &entry : options.dimBounds)
      bounds.set(entry.getKey(),
                 builder.getDenseI64ArrayAttr(
                     {entry.getValue().first, entry.getValue().second}));
    TesseraDialect::DimBoundsAttrHelper(function->getContext())
        .setAttr(function, bounds.getDictionary(module.getContext()));
  }
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

/// `--weights`: "int8", "int4" or "int4:GROUP".
LogicalResult parseWeights(StringRef text, PipelineOptions &options) {
  if (text.empty())
    return success();
  auto [kind, group] = text.split(':');
  if (kind == "int8" && group.empty()) {
    options.weightBits = 8;
    return success();
  }
  int64_t size = 32;
  if (kind == "int4" &&
      (group.empty() || (!group.getAsInteger(10, size) &&
                         llvm::is_contained({32, 64, 128}, size)))) {
    options.weightBits = 4;
    options.weightGroupSize = size;
    return success();
  }
  llvm::errs() << "tessera-compile: --weights=" << text
               << " is not one of int8, int4, int4:32, int4:64, int4:128\n";
  return failure();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
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
      "batch (an input's first dim) 1, any other 512; a remark says each\n"
      "bound chosen and the --dim that widens it.\n\n"
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
  ModelWriterOptions writerOptions;
  writerOptions.source = llvm::sys::path::filename(inputFile).str();
  if (!parseDims(writerOptions))
    return 1;
  if (!tokenizerDir.empty() && !readTokenizer(writerOptions))
    return 1;
  if (!imageProcessorPath.empty() && !readImageProcessor(writerOptions))
    return 1;
  // --timing: a tree of phases, the passes nested in theirs. The report
  // prints when the manager goes out of scope, after the peak memory line.
  DefaultTimingManager timingManager;
  timingManager.setEnabled(timing);
  timingManager.setDisplayMode(DefaultTimingManager::DisplayMode::Tree);
  TimingScope rootTiming = timingManager.getRootScope();
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
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  using onnx_frontend::InputFormat;
  InputFormat format = onnx_frontend::guessInputFormat(inputFile);
  if (!inputFormat.empty()) {
    if (inputFormat == "onnx")
      format = InputFormat::OnnxBinary;
    else if (inputFormat == "onnx-text")
      format = InputFormat::OnnxText;
    else if (inputFormat == "mlir")
      format = InputFormat::MLIR;
    else
      return fail("unknown --input-format '" + inputFormat +
                  "'; formats are onnx, onnx-text, mlir");
  }
  // ONNX locations are a node's name inside the file: print them as
  // "model.onnx: node 'name': error: ..." (the default handler would show
  // only the file).
  std::optional<ScopedDiagnosticHandler> onnxDiagnostics;
  if (format != InputFormat::MLIR)
    onnxDiagnostics.emplace(&context, [](Diagnostic &diag) {
      auto print = [](Location loc, StringRef severity, StringRef message) {
        std::string where;
        if (auto name = dyn_cast<NameLoc>(loc)) {
          if (auto file = dyn_cast<FileLineColLoc>(name.getChildLoc()))
            where = file.getFilename().str() + ": ";
          where += "node '" + name.getName().str() + "'";
        } else if (auto file = dyn_cast<FileLineColLoc>(loc)) {
          where = file.getFilename().str();
        }
        llvm::errs() << where << ": " << severity << ": " << message << "\n";
      };
      StringRef severity =
          diag.getSeverity() == DiagnosticSeverity::Error     ? "error"
          : diag.getSeverity() == DiagnosticSeverity::Warning ? "warning"
          : diag.getSeverity() == DiagnosticSeverity::Remark  ? "remark"
                                                              : "note";
      print(diag.getLocation(), severity, diag.str());
      for (Diagnostic &note : diag.getNotes())
        print(note.getLocation(), "note", note.str());
      return success();
    });
  std::string error;
  OwningOpRef<ModuleOp> module;
  TimingScope importTiming = rootTiming.nest("import");
  if (format == InputFormat::OnnxBinary) {
    module = onnx_frontend::importOnnxFile(inputFile, &context);
  } else {
    std::unique_ptr<llvm::MemoryBuffer> input =
        openInputFile(inputFile, &error);
    if (!input)
      return fail(error);
    if (format == InputFormat::OnnxText) {
      module = onnx_frontend::importOnnxText(input->getBuffer(), inputFile,
                                             &context);
    } else {
      sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
      module = parseSourceFile<ModuleOp>(sourceMgr, &context);
    }
  }
  if (!module)
    return 1;
  importTiming.stop();

  PipelineOptions pipelineOptions;
  pipelineOptions.timing = &rootTiming;
  pipelineOptions.target = target;
  pipelineOptions.f16Weights = precision == Precision::F16;
  if (failed(parseWeights(weights, pipelineOptions)))
    return 1;
  Phase passes = std::min(*last, Phase::SPIRV);
  recordDimBounds(*module, writerOptions);
  if (failed(runPipeline(*module, passes, pipelineOptions)))
    return 1;

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
  TimingScope serializeTiming = rootTiming.nest("serialize");
  if (failed(writeModel(*module, writerOptions, output->os(), &summary)))
    return 1;
  output->os().flush();
  serializeTiming.stop();
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

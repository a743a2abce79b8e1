//===- Driver.cpp - A model file to a .tsr, for every front door ----------===//

#include "tools/Driver/Driver.h"

#include "dialects/tessera/IR/TesseraDialect.h"
#include "tessera/image.h"
#include "tessera/tokenizer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::driver;
using onnx_frontend::InputFormat;

namespace {
llvm::Error optionError(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}
} // namespace

llvm::Error driver::addDimBound(CompileOptions &options, StringRef entry) {
  auto [name, range] = entry.split('=');
  auto [low, high] = range.split(':');
  int64_t lower, upper;
  if (name.empty() || low.getAsInteger(10, lower) ||
      (high.empty() ? (upper = lower, false) : high.getAsInteger(10, upper)))
    return optionError("--dim '" + entry + "' is not NAME=N or NAME=MIN:MAX");
  options.writer.dimBounds[name] = {lower, upper};
  return llvm::Error::success();
}

llvm::Error driver::setPrecision(CompileOptions &options, StringRef precision) {
  if (precision != "f32" && precision != "f16")
    return optionError("--precision=" + precision + " is not f32 or f16");
  options.pipeline.f16Weights = precision == "f16";
  return llvm::Error::success();
}

llvm::Error driver::setWeights(CompileOptions &options, StringRef weights) {
  PipelineOptions &pipeline = options.pipeline;
  auto [kind, group] = weights.split(':');
  int64_t size = 32;
  if (weights.empty() || weights == "f32") {
    pipeline.weightBits = 0;
  } else if (kind == "int8" && group.empty()) {
    pipeline.weightBits = 8;
  } else if (kind == "int4" &&
             (group.empty() || (!group.getAsInteger(10, size) &&
                                llvm::is_contained({32, 64, 128}, size)))) {
    pipeline.weightBits = 4;
    pipeline.weightGroupSize = size;
  } else {
    return optionError("--weights=" + weights +
                       " is not one of int8, int4, int4:32, int4:64, "
                       "int4:128");
  }
  return llvm::Error::success();
}

llvm::Error driver::setInputFormat(CompileOptions &options, StringRef format) {
  if (format == "onnx")
    options.format = InputFormat::OnnxBinary;
  else if (format == "onnx-text")
    options.format = InputFormat::OnnxText;
  else if (format == "mlir")
    options.format = InputFormat::MLIR;
  else
    return optionError("unknown --input-format '" + format +
                       "'; formats are onnx, onnx-text, mlir");
  return llvm::Error::success();
}

llvm::Error driver::addTokenizer(CompileOptions &options, StringRef directory) {
  auto visit = [](void *userData, const char *name, const void *data,
                  size_t size) {
    static_cast<ModelWriterOptions *>(userData)->resources.push_back(
        {std::string("tokenizer/") + name,
         std::string(static_cast<const char *>(data), size)});
  };
  if (tessera_tokenizer_read_files(directory.str().c_str(), visit,
                                   &options.writer) != TESSERA_OK)
    return optionError(Twine("--tokenizer: ") + tessera_last_error());
  return llvm::Error::success();
}

llvm::Error driver::addImageProcessor(CompileOptions &options, StringRef path) {
  tessera_image_processor processor = nullptr;
  if (tessera_image_processor_load(path.str().c_str(), &processor) !=
      TESSERA_OK)
    return optionError(Twine("--image-processor: ") + tessera_last_error());
  tessera_image_processor_destroy(processor);
  SmallString<256> file(path);
  if (llvm::sys::fs::is_directory(file))
    llvm::sys::path::append(file, "preprocessor_config.json");
  auto buffer = llvm::MemoryBuffer::getFile(file);
  if (!buffer)
    return optionError("--image-processor: cannot read " + file);
  options.writer.resources.push_back(
      {"image/preprocessor_config.json", (*buffer)->getBuffer().str()});
  return llvm::Error::success();
}

llvm::Error driver::readRequest(const CompileRequest &request,
                                CompileOptions &options) {
  options.input = request.input;
  options.bytes = request.bytes;
  options.writer.source = llvm::sys::path::filename(request.input).str();
  if (!request.inputFormat.empty())
    if (llvm::Error error = setInputFormat(options, request.inputFormat))
      return error;
  // An unknown profile is refused by tessera-verify-target, which lists them.
  options.pipeline.target = request.target;
  if (llvm::Error error = setPrecision(options, request.precision))
    return error;
  if (llvm::Error error = setWeights(options, request.weights))
    return error;
  for (const std::string &entry : request.dims)
    if (llvm::Error error = addDimBound(options, entry))
      return error;
  if (!request.tokenizer.empty())
    if (llvm::Error error = addTokenizer(options, request.tokenizer))
      return error;
  if (!request.imageProcessor.empty())
    if (llvm::Error error = addImageProcessor(options, request.imageProcessor))
      return error;
  return llvm::Error::success();
}

namespace {
InputFormat formatOf(const CompileOptions &options) {
  return options.format.value_or(
      onnx_frontend::guessInputFormat(options.input));
}

/// ONNX locations are a node's name inside the file: "model.onnx: node
/// 'name': error: ...".
LogicalResult printOnnxDiagnostic(Diagnostic &diag, llvm::raw_ostream &os) {
  auto print = [&](Location loc, StringRef severity, StringRef message) {
    std::string where;
    if (auto name = dyn_cast<NameLoc>(loc)) {
      if (auto file = dyn_cast<FileLineColLoc>(name.getChildLoc()))
        where = file.getFilename().str() + ": ";
      where += "node '" + name.getName().str() + "'";
    } else if (auto file = dyn_cast<FileLineColLoc>(loc)) {
      where = file.getFilename().str();
    }
    os << where << ": " << severity << ": " << message << "\n";
  };
  StringRef severity =
      diag.getSeverity() == DiagnosticSeverity::Error     ? "error"
      : diag.getSeverity() == DiagnosticSeverity::Warning ? "warning"
      : diag.getSeverity() == DiagnosticSeverity::Remark  ? "remark"
                                                          : "note";
  print(diag.getLocation(), severity, diag.str());
  for (Diagnostic &note : diag.getNotes())
    print(note.getLocation(), "note", note.str());
  os.flush();
  return success();
}
} // namespace

DiagnosticPrinter::DiagnosticPrinter(MLIRContext &context,
                                     const CompileOptions &options,
                                     llvm::raw_ostream &os) {
  context.printOpOnDiagnostic(false);
  if (formatOf(options) == InputFormat::MLIR) {
    // MLIR's handler shows the source line; a file that could not be read
    // (line 0) is said as ONNX files are: "model.mlir: error: ...".
    sourceMgrHandler_ =
        std::make_unique<SourceMgrDiagnosticHandler>(sourceMgr_, &context, os);
    handler_ = std::make_unique<ScopedDiagnosticHandler>(
        &context, [&os](Diagnostic &diag) {
          auto file = dyn_cast<FileLineColLoc>(diag.getLocation());
          if (!file || file.getLine() != 0)
            return failure(); // to MLIR's handler
          return printOnnxDiagnostic(diag, os);
        });
  } else
    handler_ = std::make_unique<ScopedDiagnosticHandler>(
        &context,
        [&os](Diagnostic &diag) { return printOnnxDiagnostic(diag, os); });
}

DiagnosticPrinter::~DiagnosticPrinter() = default;

namespace {
OwningOpRef<ModuleOp> readModel(const CompileOptions &options,
                                const onnx_frontend::ImportOptions &import,
                                MLIRContext &context,
                                llvm::SourceMgr &sourceMgr) {
  std::unique_ptr<llvm::MemoryBuffer> input;
  InputFormat format = formatOf(options);
  if (options.bytes) {
    if (format == InputFormat::OnnxBinary)
      return onnx_frontend::importOnnxBytes(*options.bytes, options.input,
                                            &context, import);
    input = llvm::MemoryBuffer::getMemBuffer(*options.bytes, options.input,
                                             /*RequiresNullTerminator=*/false);
  } else {
    if (format == InputFormat::OnnxBinary)
      return onnx_frontend::importOnnxFile(options.input, &context, import);
    std::string error;
    input = openInputFile(options.input, &error);
    if (!input) {
      emitError(FileLineColLoc::get(&context, options.input, 0, 0)) << error;
      return nullptr;
    }
  }
  if (format == InputFormat::OnnxText)
    return onnx_frontend::importOnnxText(input->getBuffer(), options.input,
                                         &context, import);
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}
} // namespace

OwningOpRef<ModuleOp> driver::importModel(CompileOptions &options,
                                          MLIRContext &context,
                                          llvm::SourceMgr &sourceMgr) {
  // An ONNX model's dims fixed by --dim NAME=N are imported static; they
  // are then no named dims to bound. A dim fixed at 0 (an empty cache)
  // stays named: a static empty tensor has no use.
  onnx_frontend::ImportOptions import;
  if (formatOf(options) != InputFormat::MLIR)
    for (const auto &entry : options.writer.dimBounds)
      if (auto [low, high] = entry.getValue(); low == high && low > 0)
        import.fixedDims[entry.getKey()] = low;
  OwningOpRef<ModuleOp> module =
      timePhase(options.pipeline, Phase::Import, [&](TimingScope *) {
        return readModel(options, import, context, sourceMgr);
      });
  if (module)
    for (const auto &entry : import.fixedDims)
      options.writer.dimBounds.erase(entry.getKey());
  return module;
}

namespace {
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
} // namespace

LogicalResult driver::runPhases(ModuleOp module, const CompileOptions &options,
                                Phase last) {
  recordDimBounds(module, options.writer);
  return runPipeline(module, std::min(last, Phase::SPIRV), options.pipeline);
}

LogicalResult driver::serialize(ModuleOp module, const CompileOptions &options,
                                llvm::raw_ostream &os, ModelSummary *summary) {
  return success(
      timePhase(options.pipeline, Phase::Serialize, [&](TimingScope *) {
        return succeeded(writeModel(module, options.writer, os, summary));
      }));
}

LogicalResult driver::compile(const CompileOptions &options,
                              llvm::raw_ostream &os,
                              llvm::raw_ostream &diagnostics,
                              ModelSummary *summary) {
  DialectRegistry registry;
  registerPipelineDialects(registry);
  MLIRContext context(registry);
  DiagnosticPrinter printer(context, options, diagnostics);
  CompileOptions imported = options; // less the dims import fixes
  OwningOpRef<ModuleOp> module =
      importModel(imported, context, printer.sourceMgr());
  if (!module || failed(runPhases(*module, imported, Phase::SPIRV)))
    return failure();
  return serialize(*module, imported, os, summary);
}

bool driver::compileRequest(const CompileRequest &request, std::string &tsr,
                            std::string &diagnostics) {
  llvm::raw_string_ostream messages(diagnostics);
  CompileOptions options;
  if (llvm::Error error = readRequest(request, options)) {
    messages << "error: " << llvm::toString(std::move(error)) << "\n";
    return false;
  }
  llvm::raw_string_ostream os(tsr);
  return succeeded(compile(options, os, messages));
}

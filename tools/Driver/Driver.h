//===- Driver.h - A model file to a .tsr, for every front door --*- C++ -*-===//
//
// What `tessera-compile` does, as a library: read the options (each
// parsed in one place), import the model, run the phases, write the .tsr.
// The command line and the Python package (`tessera.compile`) both drive
// it, so that they accept the same options and print the same errors.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_TOOLS_DRIVER_DRIVER_H
#define TESSERA_TOOLS_DRIVER_DRIVER_H

#include "compiler/Pipelines/Pipeline.h"
#include "compiler/Serialize/ModelWriter.h"
#include "frontends/onnx/OnnxImporter.h"
#include "tools/Driver/CompileRequest.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>
#include <optional>
#include <string>

namespace mlir::tessera::driver {

struct CompileOptions {
  /// The model's path; with `bytes`, only its name in diagnostics (and the
  /// folder external data files are looked up in).
  std::string input;
  std::optional<std::string> bytes;
  /// How to read it; unset: from the name's extension.
  std::optional<onnx_frontend::InputFormat> format;
  PipelineOptions pipeline;
  ModelWriterOptions writer;
};

/// The options, parsed from their command-line spelling. Each error names
/// the option and what it accepts.
/// `--dim NAME=N` or `NAME=MIN:MAX`.
llvm::Error addDimBound(CompileOptions &options, StringRef entry);
/// `--precision f32|f16`.
llvm::Error setPrecision(CompileOptions &options, StringRef precision);
/// `--weights int8|int4[:GROUP]`.
llvm::Error setWeights(CompileOptions &options, StringRef weights);
/// `--input-format onnx|onnx-text|mlir`.
llvm::Error setInputFormat(CompileOptions &options, StringRef format);
/// `--tokenizer DIR`: its files, checked by loading them, carried in the
/// .tsr as "tokenizer/<name>".
llvm::Error addTokenizer(CompileOptions &options, StringRef directory);
/// `--image-processor FILE|DIR`: preprocessor_config.json, checked by
/// loading it, carried as "image/preprocessor_config.json".
llvm::Error addImageProcessor(CompileOptions &options, StringRef path);

/// Every option of `request`, parsed by the functions above.
llvm::Error readRequest(const CompileRequest &request, CompileOptions &options);

/// Prints the context's diagnostics to `os` while it lives: ONNX nodes as
/// "model.onnx: node 'name': error: ...", MLIR input with its source line.
class DiagnosticPrinter {
public:
  DiagnosticPrinter(MLIRContext &context, const CompileOptions &options,
                    llvm::raw_ostream &os);
  ~DiagnosticPrinter();
  llvm::SourceMgr &sourceMgr() { return sourceMgr_; }

private:
  llvm::SourceMgr sourceMgr_;
  std::unique_ptr<SourceMgrDiagnosticHandler> sourceMgrHandler_;
  std::unique_ptr<ScopedDiagnosticHandler> handler_;
};

/// Reads the model into `context`; null after an error (reported through
/// the context). This and the next two are the phases, each timed into
/// `options.pipeline` (timing tree, phaseDone). An ONNX model's dims that
/// `--dim NAME=N` fixes are imported static (a specialisation) and leave
/// `options.writer.dimBounds`.
OwningOpRef<ModuleOp> importModel(CompileOptions &options,
                                  MLIRContext &context,
                                  llvm::SourceMgr &sourceMgr);

/// Records the `--dim` bounds on the module's functions and runs the
/// phases after import up to `last` (at most SPIRV).
LogicalResult runPhases(ModuleOp module, const CompileOptions &options,
                        Phase last);

/// Writes the compiled module as a .tsr to `os`.
LogicalResult serialize(ModuleOp module, const CompileOptions &options,
                        llvm::raw_ostream &os, ModelSummary *summary);

/// The whole compile in a context of its own: the .tsr's bytes to `os`,
/// diagnostics to `diagnostics`, and what the writer decided to `summary`.
LogicalResult compile(const CompileOptions &options, llvm::raw_ostream &os,
                      llvm::raw_ostream &diagnostics,
                      ModelSummary *summary = nullptr);

} // namespace mlir::tessera::driver

#endif // TESSERA_TOOLS_DRIVER_DRIVER_H

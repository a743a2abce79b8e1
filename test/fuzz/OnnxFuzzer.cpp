//===- OnnxFuzzer.cpp - libFuzzer: the ONNX importer ----------------------===//
//
// Binary protobuf bytes (or, built with TESSERA_FUZZ_ONNX_TEXT, ONNX's text
// format) into the importer, the imported module through the verifier, and
// then through tessera-compile's graph phases (raise, fuse, config: a graph
// the importer accepts may still be one no exporter writes). Any input may
// be refused with a diagnostic; none may crash, leak, read out of bounds or
// hit undefined behaviour.
//
//===----------------------------------------------------------------------===//

#include "dialects/tessera/IR/TesseraDialect.h"
#include "frontends/onnx/OnnxImporter.h"
#include "compiler/Pipelines/Pipeline.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstddef>
#include <cstdint>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  DialectRegistry registry;
  registry.insert<tessera::TesseraDialect, func::FuncDialect>();
  tessera::registerPipelineDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  // Refusals are expected; printing each would only slow the fuzzer down.
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) { return success(); });
  StringRef bytes(reinterpret_cast<const char *>(data), size);
#ifdef TESSERA_FUZZ_ONNX_TEXT
  OwningOpRef<ModuleOp> module =
      tessera::onnx_frontend::importOnnxText(bytes, "fuzz.onnxtxt", &context);
#else
  // External data resolves next to a model in a folder that does not
  // exist: the fuzzer reaches the location checks, never a real file.
  OwningOpRef<ModuleOp> module = tessera::onnx_frontend::importOnnxBytes(
      bytes, "/nonexistent-tessera-fuzz/model.onnx", &context);
#endif
  if (!module || failed(verify(*module)))
    return 0;
  (void)tessera::runPipeline(*module, tessera::Phase::Config, {});
  return 0;
}

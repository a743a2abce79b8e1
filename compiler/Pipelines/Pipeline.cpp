//===- Pipeline.cpp - tessera-compile's phases ----------------------------===//

#include "compiler/Pipelines/Pipeline.h"

#include "compiler/Codegen/Passes.h"
#include "compiler/Conversion/Passes.h"
#include "compiler/Serialize/ModelWriter.h"
#include "compiler/Transforms/Passes.h"
#include "dialects/tessera/IR/TesseraDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVDialect.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::tessera;

namespace {
constexpr std::pair<Phase, const char *> kPhaseNames[] = {
    {Phase::Import, "import"},       {Phase::Raise, "raise"},
    {Phase::Fuse, "fuse"},           {Phase::Config, "config"},
    {Phase::Codegen, "codegen"},     {Phase::SPIRV, "spirv"},
    {Phase::Serialize, "serialize"},
};
} // namespace

StringRef mlir::tessera::getPhaseName(Phase phase) {
  for (auto [p, name] : kPhaseNames)
    if (p == phase)
      return name;
  return "unknown";
}

std::optional<Phase> mlir::tessera::parsePhase(StringRef name) {
  for (auto [p, phaseName] : kPhaseNames)
    if (name == phaseName)
      return p;
  return std::nullopt;
}

std::string mlir::tessera::listPhases() {
  std::string text;
  for (auto [p, name] : kPhaseNames)
    text += (text.empty() ? "" : ", ") + std::string(name);
  return text;
}

void mlir::tessera::registerPipelineDialects(DialectRegistry &registry) {
  registry.insert<TesseraDialect, arith::ArithDialect, func::FuncDialect,
                  gpu::GPUDialect, math::MathDialect, memref::MemRefDialect,
                  scf::SCFDialect, spirv::SPIRVDialect,
                  vector::VectorDialect>();
}

LogicalResult mlir::tessera::runPipeline(ModuleOp module, Phase last,
                                         const PipelineOptions &options) {
  PassManager pm(module.getContext());
  auto reached = [&](Phase phase) { return last >= phase; };
  if (reached(Phase::Raise)) {
    // Folding first (shape arithmetic, constant scales), then the raising
    // passes in dependency order: linear before attention (so Q, K, V
    // projections are not mistaken for scores), attention before its masks.
    pm.addPass(createCanonicalizerPass());
    OpPassManager &function = pm.nest<func::FuncOp>();
    function.addPass(createTesseraRaiseLayerNorm());
    function.addPass(createTesseraRaiseGelu());
    function.addPass(createTesseraRaiseLinear());
    function.addPass(createTesseraRaiseAttention());
    function.addPass(createTesseraClassifyAttentionMasks());
    function.addPass(createTesseraRaiseWindowAttention());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
  if (reached(Phase::Fuse)) {
    // The target is known from here on: splitting weights depends on it.
    TesseraVerifyTargetOptions target;
    target.targetName = options.target;
    pm.addPass(createTesseraVerifyTarget(target));
    // Before splitting: a fused weight may be the one that is too large.
    pm.addNestedPass<func::FuncOp>(createTesseraFoldAttentionScaleIntoQuery());
    pm.addNestedPass<func::FuncOp>(createTesseraFuseHorizontalLinears());
    pm.addNestedPass<func::FuncOp>(createTesseraFoldLayerNormIntoLinear());
    // Quantized before splitting: a tied table and LM head are still one
    // weight (one copy in the binary), and may then fit one binding.
    if (options.weightBits != 0) {
      TesseraQuantizeWeightsOptions quantize;
      quantize.bits = options.weightBits;
      quantize.groupSize = options.weightGroupSize;
      pm.addNestedPass<func::FuncOp>(createTesseraQuantizeWeights(quantize));
    }
    TesseraSplitLargeWeightsOptions split;
    split.maxBytes = options.maxBindingBytes;
    pm.addPass(createTesseraSplitLargeWeights(split));
    if (options.f16Weights)
      pm.addNestedPass<func::FuncOp>(createTesseraStoreWeightsAsF16());
    // Again, to record that the module now needs fp16 (f16 weights or
    // scales).
    if (options.f16Weights || options.weightBits != 0)
      pm.addPass(createTesseraVerifyTarget());
    pm.addNestedPass<func::FuncOp>(createTesseraFormDispatches());
  }
  if (reached(Phase::Config)) {
    // Tiles are sized for the bounds: the ones the graph implies first.
    pm.addNestedPass<func::FuncOp>(createTesseraInferDimBounds());
    pm.addPass(createTesseraSelectTileConfigs());
  }
  if (reached(Phase::Codegen)) {
    pm.addPass(createTesseraBuildKernels());
    pm.addPass(createTesseraDeduplicateKernels());
  }
  if (reached(Phase::SPIRV))
    pm.addPass(createTesseraConvertKernelsToSPIRV());
  if (options.timing)
    pm.enableTiming(*options.timing);
  return pm.run(module);
}

FailureOr<std::vector<char>>
mlir::tessera::compileSource(StringRef source, const PipelineOptions &options) {
  DialectRegistry registry;
  registerPipelineDialects(registry);
  MLIRContext context(registry);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  if (!module || failed(runPipeline(*module, Phase::SPIRV, options)))
    return failure();
  return writeModel(*module, {});
}

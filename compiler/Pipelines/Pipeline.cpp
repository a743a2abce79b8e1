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

namespace {
/// The passes of one phase.
void addPhasePasses(PassManager &pm, Phase phase,
                    const PipelineOptions &options) {
  switch (phase) {
  case Phase::Raise: {
    // Folding first (shape arithmetic, constant scales), then the raising
    // passes in dependency order: linear before attention (so Q, K, V
    // projections are not mistaken for scores), attention before its masks.
    pm.addPass(createCanonicalizerPass());
    OpPassManager &function = pm.nest<func::FuncOp>();
    function.addPass(createTesseraRaiseLayerNorm());
    function.addPass(createTesseraRaiseGelu());
    function.addPass(createTesseraRaiseRotaryEmbedding());
    function.addPass(createTesseraRaiseLinear());
    function.addPass(createTesseraRaiseAttention());
    function.addPass(createTesseraClassifyAttentionMasks());
    function.addPass(createTesseraRaiseWindowAttention());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    return;
  }
  case Phase::Fuse: {
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
    return;
  }
  case Phase::Config:
    // Tiles are sized for the bounds: the ones the graph implies first.
    pm.addNestedPass<func::FuncOp>(createTesseraInferDimBounds());
    pm.addPass(createTesseraSelectTileConfigs());
    return;
  case Phase::Codegen:
    pm.addPass(createTesseraBuildKernels());
    pm.addPass(createTesseraDeduplicateKernels());
    return;
  case Phase::SPIRV:
    pm.addPass(createTesseraConvertKernelsToSPIRV());
    return;
  case Phase::Import:
  case Phase::Serialize:
    return; // not pass pipelines
  }
}
} // namespace

LogicalResult mlir::tessera::runPipeline(ModuleOp module, Phase last,
                                         const PipelineOptions &options) {
  // One pass manager per phase, so that each phase is timed (and reported)
  // on its own; the passes run in the same order as one manager would.
  for (Phase phase = Phase::Raise; phase <= std::min(last, Phase::SPIRV);
       phase = static_cast<Phase>(static_cast<int>(phase) + 1)) {
    bool ran = timePhase(options, phase, [&](TimingScope *timing) {
      PassManager pm(module.getContext());
      addPhasePasses(pm, phase, options);
      if (timing)
        pm.enableTiming(*timing);
      return succeeded(pm.run(module));
    });
    if (!ran)
      return failure();
  }
  return success();
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

//===- SelectTileConfigs.cpp - Tile sizes from op shapes and a profile ----===//

#include "compiler/Codegen/Passes.h"
#include "compiler/Codegen/TileConfigs.h"
#include "compiler/Target/DeviceProfiles.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERASELECTTILECONFIGS
#include "compiler/Codegen/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

FailureOr<KernelKind> mlir::tessera::classifyDispatch(DispatchOp dispatch) {
  Operation *root = dispatch.getRootOp();
  if (isa<MatmulOp, LinearOp>(root))
    return KernelKind::Matmul;
  if (isa<AttentionOp>(root))
    return KernelKind::Attention;
  if (isa<SoftmaxOp, LayerNormOp>(root))
    return KernelKind::RowReduction;
  if (DispatchOp::isFusableElementwise(root))
    return KernelKind::Elementwise;
  return root->emitOpError("has no kernel builder yet (Tessera generates "
                           "matmul, linear, attention, softmax, layer_norm "
                           "and elementwise kernels)");
}

namespace {

/// Largest power of two not above `value` (at least 1).
int64_t floorPowerOf2(int64_t value) {
  int64_t result = 1;
  while (result * 2 <= value)
    result *= 2;
  return result;
}

/// Upper bound of a dimension of `type`, when it is static.
int64_t staticDimOr(RankedTensorType type, int64_t dim, int64_t fallback) {
  int64_t size = type.getDimSize(dim);
  return ShapedType::isDynamic(size) ? fallback : size;
}

} // namespace

TileConfigAttr mlir::tessera::selectTileConfig(DispatchOp dispatch,
                                               KernelKind kind,
                                               TargetAttr target) {
  MLIRContext *context = dispatch.getContext();
  int64_t maxInvocations = target.getMaxWorkgroupInvocations();
  int64_t subgroup = target.getSubgroupSize();
  auto resultType = cast<RankedTensorType>(dispatch.getType());
  int64_t rank = resultType.getRank();

  switch (kind) {
  case KernelKind::Matmul: {
    // x along N (contiguous output), y along M; an 8x8 register tile each
    // (docs/benchmarks.md has a sweep on lavapipe; per-device choice is
    // issue 6).
    int64_t threadM = 8, threadN = 8;
    int64_t x = std::clamp<int64_t>(subgroup, 8, 16);
    int64_t y = std::min<int64_t>(
        16, floorPowerOf2(std::min<int64_t>(256, maxInvocations) / x));
    // Small static M (decoding, short sequences): fewer rows of threads.
    int64_t m = staticDimOr(resultType, rank - 2, 1 << 20);
    while (y > 1 && (y / 2) * threadM >= m)
      y /= 2;
    return TileConfigAttr::get(
        context, {x, y, 1}, {y * threadM, x * threadN, 1}, {threadM, threadN});
  }
  case KernelKind::Attention: {
    // Several query rows per invocation share every key and value load
    // where their key sets nearly coincide (none, causal, undilated bands).
    MaskAttr mask = cast<AttentionOp>(dispatch.getRootOp()).getMaskOrNone();
    int64_t rows = queryRowsShareKeys(mask) ? 4 : 1;
    int64_t invocations = std::min<int64_t>(64, maxInvocations);
    return TileConfigAttr::get(context, {invocations, 1, 1},
                               {invocations * rows, 16}, {rows});
  }
  case KernelKind::RowReduction: {
    int64_t row = staticDimOr(resultType, rank - 1, 1 << 20);
    int64_t invocations = std::min<int64_t>(64, maxInvocations);
    // No more invocations than elements in the row, but a whole subgroup.
    while (invocations > subgroup && invocations / 2 >= row)
      invocations /= 2;
    int64_t perThread = (row + invocations - 1) / invocations;
    return TileConfigAttr::get(context, {invocations, 1, 1}, {1},
                               {std::min<int64_t>(perThread, 1 << 20)});
  }
  case KernelKind::Elementwise: {
    int64_t invocations = std::min<int64_t>(64, maxInvocations);
    return TileConfigAttr::get(context, {invocations, 1, 1}, {invocations},
                               {1});
  }
  }
  llvm_unreachable("unknown kernel kind");
}

bool mlir::tessera::queryRowsShareKeys(MaskAttr mask) {
  return mask.getKind() == MaskKind::None ||
         mask.getKind() == MaskKind::Causal ||
         (mask.getKind() == MaskKind::Sliding && mask.getDilation() == 1);
}

int64_t mlir::tessera::workgroupMemoryBytes(KernelKind kind,
                                            TileConfigAttr config) {
  // Row reductions keep one partial per subgroup; with subgroups of one
  // invocation that is one per invocation.
  if (kind == KernelKind::RowReduction)
    return 2 * 4 * config.getInvocations();
  return 0;
}

namespace {

struct SelectTileConfigsPass
    : public tessera::impl::TesseraSelectTileConfigsBase<
          SelectTileConfigsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    TargetAttr target = getModuleTarget(module);
    if (!target) {
      module.emitError() << "no target profile on the module; run "
                            "tessera-verify-target first";
      return signalPassFailure();
    }
    WalkResult result = module.walk([&](DispatchOp dispatch) {
      FailureOr<KernelKind> kind = classifyDispatch(dispatch);
      if (failed(kind))
        return WalkResult::interrupt();
      TileConfigAttr config = selectTileConfig(dispatch, *kind, target);
      if (config.getInvocations() > target.getMaxWorkgroupInvocations() ||
          workgroupMemoryBytes(*kind, config) > target.getMaxSharedMemory()) {
        dispatch.emitOpError()
            << "tile config " << config << " exceeds the limits of target '"
            << target.getName() << "'";
        return WalkResult::interrupt();
      }
      dispatch.setTileConfigAttr(config);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace

//===- SelectTileConfigs.cpp - Tile sizes from op shapes and a profile ----===//

#include "compiler/Codegen/Passes.h"
#include "compiler/Codegen/TileConfigs.h"
#include "compiler/Target/DeviceProfiles.h"
#include "dialects/tessera/IR/MaskVisibility.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <tuple>

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERASELECTTILECONFIGS
#include "compiler/Codegen/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

FailureOr<KernelKind> mlir::tessera::classifyDispatch(DispatchOp dispatch) {
  Operation *root = dispatch.getRootOp();
  // A copy whose layout op folded away (an input or a splat constant
  // returned unchanged: tessera-form-dispatches) yields its operand or the
  // constant it folded to; the elementwise kernel writes either.
  if (!root || isa<ConstantOp>(root))
    return KernelKind::Elementwise;
  if (isa<MatmulOp, LinearOp, ConvOp>(root))
    return KernelKind::Matmul;
  if (isa<AttentionOp>(root))
    return KernelKind::Attention;
  if (isa<SoftmaxOp, LayerNormOp>(root))
    return KernelKind::RowReduction;
  // A gather, slice, concat, copying reshape, dequantized weight or
  // rotary embedding reads each output element from one or two input
  // elements: the elementwise kernel
  // evaluates it like any other op.
  if (DispatchOp::isFusableElementwise(root) ||
      isa<GatherOp, SliceOp, ConcatOp, ReshapeOp, TransposeOp, BroadcastOp,
          DequantizeOp, RotaryOp, ResizeOp>(root))
    return KernelKind::Elementwise;
  // Other reductions: a loop over the reduced elements (or the window)
  // per output element.
  if (isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ArgMaxOp, PoolOp, ArgsortOp,
          ScatterNDOp>(root))
    return KernelKind::Elementwise;
  return root->emitOpError(
      "has no kernel builder yet (Tessera generates "
      "matmul, linear, conv, attention, softmax, layer_norm, "
      "pool, gather, slice, concat, reduction and elementwise kernels)");
}

StringRef mlir::tessera::kernelKindName(KernelKind kind) {
  switch (kind) {
  case KernelKind::Matmul:
    return "matmul";
  case KernelKind::Attention:
    return "attention";
  case KernelKind::RowReduction:
    return "row_reduction";
  case KernelKind::Elementwise:
    return "elementwise";
  }
  llvm_unreachable("unknown kernel kind");
}

std::string mlir::tessera::describeFusedOps(DispatchOp dispatch) {
  std::string ops;
  for (Operation &op : dispatch.getBody().front().without_terminator()) {
    if (!ops.empty())
      ops += '+';
    ops += op.getName().stripDialect();
  }
  // A copy of its operand, its layout op folded away (see classifyDispatch).
  return ops.empty() ? "copy" : ops;
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

/// The product of dims [begin, end) of `dispatch`'s result at their static
/// size or compiled bound; 2^20 when one is unbounded.
int64_t resultDimsBound(DispatchOp dispatch, const SymbolicShapes *shapes,
                        int64_t begin, int64_t end) {
  constexpr int64_t kUnbounded = 1 << 20;
  Value result = dispatch.getRootOp()->getResult(0);
  auto type = cast<RankedTensorType>(result.getType());
  const SymbolicShape *shape = shapes ? shapes->lookupShape(result) : nullptr;
  int64_t product = 1;
  for (int64_t d = begin; d < end; ++d) {
    int64_t size = type.getDimSize(d);
    if (ShapedType::isDynamic(size)) {
      if (!shape || !shapes->isBounded((*shape)[d]))
        return kUnbounded;
      size = shapes->upperBound((*shape)[d]);
    }
    product = std::min(product * size, kUnbounded);
  }
  return product;
}

/// The GEMM a matmul-family kernel computes, at sizes' static values or
/// compiled bounds: batch x [rows x k] . [k x cols]. A linear's leading
/// dims are rows and it has no batch; a matmul's leading dims are its
/// batch; a convolution is per image and group the weight [F / groups,
/// C / groups KH KW] times the im2col matrix, whose columns are the
/// output positions. K is 0 where it is dynamic.
struct GemmExtents {
  int64_t batch = 1, rows = 1, cols = 1, k = 0;
};

GemmExtents gemmExtents(DispatchOp dispatch, const SymbolicShapes *shapes) {
  Operation *root = dispatch.getRootOp();
  auto resultType = cast<RankedTensorType>(root->getResult(0).getType());
  int64_t rank = resultType.getRank();
  GemmExtents gemm;
  auto staticOr0 = [](int64_t size) {
    return ShapedType::isDynamic(size) ? 0 : size;
  };
  if (auto conv = dyn_cast<ConvOp>(root)) {
    ArrayRef<int64_t> weight =
        cast<RankedTensorType>(conv.getWeight().getType()).getShape();
    int64_t groups = conv.getGroups();
    gemm.batch = resultDimsBound(dispatch, shapes, 0, 1) * groups;
    gemm.rows = weight[0] / groups;
    gemm.cols = resultDimsBound(dispatch, shapes, 2, rank);
    gemm.k = ShapedType::getNumElements(weight.drop_front());
    return gemm;
  }
  gemm.cols = staticDimOr(resultType, rank - 1, 1 << 20);
  if (auto linear = dyn_cast<LinearOp>(root)) {
    gemm.rows = resultDimsBound(dispatch, shapes, 0, rank - 1);
    gemm.k = staticOr0(
        cast<RankedTensorType>(linear.getWeight().getType()).getShape().back());
    return gemm;
  }
  auto matmul = cast<MatmulOp>(root);
  gemm.batch = resultDimsBound(dispatch, shapes, 0, rank - 2);
  gemm.rows = resultDimsBound(dispatch, shapes, rank - 2, rank - 1);
  ArrayRef<int64_t> lhs =
      cast<RankedTensorType>(matmul.getLhs().getType()).getShape();
  gemm.k = staticOr0(lhs[lhs.size() - (matmul.getTransposeLhs() ? 2 : 1)]);
  return gemm;
}

} // namespace

TileConfigAttr mlir::tessera::selectTileConfig(DispatchOp dispatch,
                                               KernelKind kind,
                                               TargetAttr target,
                                               const SymbolicShapes *shapes) {
  MLIRContext *context = dispatch.getContext();
  int64_t maxInvocations = target.getMaxWorkgroupInvocations();
  int64_t subgroup = target.getSubgroupSize();
  auto resultType = cast<RankedTensorType>(dispatch.getType());
  int64_t rank = resultType.getRank();

  switch (kind) {
  case KernelKind::Matmul: {
    // x along N (contiguous output), y along M. Each invocation keeps a
    // threadM x threadN block of accumulators plus one k step of operands
    // in registers: the largest such tile within half the profile's
    // register budget (the rest holds addresses and the loaded vec4s).
    // More FMAs per loaded value is what makes lavapipe fast (16x8 there;
    // docs/benchmarks.md has the sweep); GPUs get 8x8 or smaller.
    // Ties go to the squarer tile (fewer loads per FMA). Rows beyond a
    // small M (decoding: M = 1; static or bounded) would be wasted: there
    // the budget goes to columns.
    GemmExtents gemm = gemmExtents(dispatch, shapes);
    int64_t m = gemm.rows;
    int64_t maxRows = std::min<int64_t>(32, floorPowerOf2(m));
    // Ranked by area, then fewer loads (tm + tn), then more rows.
    auto rank = [](int64_t tm, int64_t tn) {
      return std::make_tuple(tm * tn, -(tm + tn), tm);
    };
    int64_t threadM = 1, threadN = 1;
    for (int64_t tm = 1; tm <= maxRows; tm *= 2)
      for (int64_t tn = 1; tn <= 16; tn *= 2)
        if (tm * tn + tm + tn <= target.getRegisterBudget() / 2 &&
            rank(tm, tn) > rank(threadM, threadN)) {
          threadM = tm;
          threadN = tn;
        }
    int64_t x = std::clamp<int64_t>(subgroup, 8, 16);
    int64_t y = std::min<int64_t>(
        16, floorPowerOf2(std::min<int64_t>(256, maxInvocations) / x));
    // Small static M (decoding, short sequences): fewer rows of threads.
    while (y > 1 && (y / 2) * threadM >= m)
      y /= 2;
    // Too few output tiles to fill the device: first fewer rows of threads
    // per workgroup (more, shorter tiles; each invocation's block stays),
    // down to one subgroup, then split K (decoding: M = 1). Each
    // split step halves the columns a workgroup covers (invocations along
    // x, then columns per invocation) and doubles the K slices, whose
    // partial sums meet in workgroup memory; a slice keeps at least
    // kMinSliceK values of K.
    constexpr int64_t kMinSliceK = 64;
    int64_t n = gemm.cols, k = gemm.k, batch = gemm.batch;
    int64_t parallel = target.getParallelWorkgroups();
    int64_t slices = 1;
    // The convolution kernel does not split K.
    bool splitK = !isa<ConvOp>(dispatch.getRootOp());
    auto tiles = [&] {
      return batch * llvm::divideCeil(m, y * threadM) *
             llvm::divideCeil(n, x * threadN);
    };
    while (y > 1 && x * (y / 2) >= subgroup && tiles() < parallel)
      y /= 2;
    // Statistics of a recomputed norm and the slices' partial sums.
    int64_t sharedBytes = 4 * y * threadM * (2 + x * threadN);
    while (splitK && tiles() < parallel && k / (2 * slices) >= kMinSliceK &&
           sharedBytes <= target.getMaxSharedMemory()) {
      if (x > 1)
        x /= 2;
      else if (threadN > 1 && 2 * slices * y <= maxInvocations)
        threadN /= 2;
      else
        break;
      slices *= 2;
    }
    return TileConfigAttr::get(context, {x, y, slices},
                               {y * threadM, x * threadN, slices},
                               {threadM, threadN});
  }
  case KernelKind::Attention: {
    // A query row keeps its query and its accumulators (D + Dv values) in
    // registers. Where one row exceeds the profile's register budget, a
    // group of `split` adjacent invocations of one subgroup shares its rows,
    // each holding 1/split of both head dims; their partial dot products
    // meet through subgroup shuffles (at most the profile's subgroup width;
    // the slices stay whole). Several query rows per invocation (group)
    // share every key and value load where their key sets nearly coincide
    // (none, causal, undilated bands): as many as the budget holds, at
    // most 4: on lavapipe 8 rows ran 1.3x faster but the unrolled kernel
    // took 4x as long to compile cold (docs/benchmarks.md).
    auto attention = cast<AttentionOp>(dispatch.getRootOp());
    MaskAttr mask = attention.getMaskOrNone();
    int64_t queryDim = staticDimOr(
        cast<RankedTensorType>(attention.getQuery().getType()), 3, 256);
    int64_t valueDim = staticDimOr(
        cast<RankedTensorType>(attention.getValue().getType()), 3, 256);
    int64_t budget = target.getRegisterBudget();
    int64_t split = 1;
    while (queryDim + valueDim > split * budget && 2 * split <= subgroup &&
           queryDim % (2 * split) == 0 && valueDim % (2 * split) == 0)
      split *= 2;
    int64_t perRow = (queryDim + valueDim) / split;
    int64_t rows = rowsShareKeyRange(mask)
                       ? std::clamp<int64_t>(budget / perRow, 1, 4)
                       : 1;
    int64_t invocations = std::min<int64_t>(64, maxInvocations);
    return TileConfigAttr::get(context, {invocations, 1, 1},
                               {invocations / split * rows, 16},
                               {rows, split});
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

int64_t mlir::tessera::attentionHeadDimSplit(TileConfigAttr config) {
  ArrayRef<int64_t> threadTile = config.getThreadTile();
  return threadTile.size() > 1 ? threadTile[1] : 1;
}

AttentionTileVisits mlir::tessera::countAttentionTileVisits(
    MaskAttr mask, TileConfigAttr config, int64_t queryLength,
    int64_t keyLength) {
  int64_t rows = config.getThreadTile()[0], keyTile = config.getTile()[1];
  auto tiles = [&](int64_t keys) { return (keys + keyTile - 1) / keyTile; };
  AttentionTileVisits visits;
  if (mask.getKind() == MaskKind::Window) {
    // Rows in window order: each window's positions in groups of `rows`.
    int64_t positions = *mask.getSize() * *mask.getSize();
    int64_t groups = queryLength / positions * ((positions + rows - 1) / rows);
    visits.visited = groups * tiles(positions);
    visits.dense = groups * tiles(keyLength);
    return visits;
  }
  for (int64_t row = 0; row < queryLength; row += rows) {
    int64_t last = std::min(row + rows, queryLength) - 1;
    MaskIntArithmetic integers;
    visits.visited +=
        tiles(maskKeyRange(mask, integers, row + keyLength - queryLength,
                           last + keyLength - queryLength, keyLength)
                  .count);
    visits.dense += tiles(keyLength);
  }
  return visits;
}

bool mlir::tessera::normStatisticsFromKLoop(DispatchOp dispatch,
                                            TileConfigAttr config) {
  LayerNormOp norm = dispatch.getRecomputedNorm();
  auto linear = dyn_cast<LinearOp>(dispatch.getRootOp());
  return norm && linear && linear.getInput() == norm.getResult() &&
         config.getWorkgroupSize()[2] == 1;
}

int64_t mlir::tessera::rowReductionScratchElements(TileConfigAttr config) {
  return config.getWorkgroupSize()[0];
}

int64_t mlir::tessera::matmulStatisticsElements(TileConfigAttr config) {
  return 2 * config.getTile()[0];
}

int64_t mlir::tessera::matmulPartialSumElements(TileConfigAttr config) {
  return config.getWorkgroupSize()[2] * config.getTile()[0] *
         config.getTile()[1];
}

int64_t mlir::tessera::workgroupMemoryBytes(DispatchOp dispatch,
                                            KernelKind kind,
                                            TileConfigAttr config) {
  int64_t elements = 0;
  if (kind == KernelKind::RowReduction)
    elements = rowReductionScratchElements(config);
  if (kind == KernelKind::Matmul) {
    if (dispatch.getRecomputedNorm() &&
        !normStatisticsFromKLoop(dispatch, config))
      elements += matmulStatisticsElements(config);
    if (config.getWorkgroupSize()[2] > 1)
      elements += matmulPartialSumElements(config);
  }
  return 4 * elements; // f32
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
    for (auto function : module.getOps<func::FuncOp>())
      if (failed(selectForFunction(function, target)))
        return signalPassFailure();
  }

  LogicalResult selectForFunction(func::FuncOp function, TargetAttr target) {
    // Sizes at their bounds where the function states them (tessera-compile
    // writes --dim there); without bounds, dynamic sizes stay unknown.
    std::optional<SymbolicShapes> shapes;
    if (TesseraDialect::DimBoundsAttrHelper(function->getContext())
            .isAttrPresent(function)) {
      shapes.emplace();
      if (failed(shapes->analyze(function)))
        return failure();
      shapes->readBoundsAttribute(function);
    }
    WalkResult result = function.walk([&](DispatchOp dispatch) {
      FailureOr<KernelKind> kind = classifyDispatch(dispatch);
      if (failed(kind))
        return WalkResult::interrupt();
      TileConfigAttr config = selectTileConfig(
          dispatch, *kind, target, shapes ? &*shapes : nullptr);
      if (config.getInvocations() > target.getMaxWorkgroupInvocations() ||
          workgroupMemoryBytes(dispatch, *kind, config) > target.getMaxSharedMemory()) {
        dispatch.emitOpError()
            << "tile config " << config << " exceeds the limits of target '"
            << target.getName() << "'";
        return WalkResult::interrupt();
      }
      dispatch.setTileConfigAttr(config);
      return WalkResult::advance();
    });
    return failure(result.wasInterrupted());
  }
};

} // namespace

//===- RaiseLayerNorm.cpp - layer_norm from its decomposition -------------===//
//
// Below opset 17, exporters write LayerNorm as
//   d = x - mean(x);  y = d / sqrt(mean(d²) + eps) [· gamma] [+ beta]
// with the mean over the trailing axes, and RMSNorm (LLaMA's) as the same
// with d = x. This pass recognises that dataflow (d² as pow(d, 2) or d·d,
// the division as d / sqrt, d · rsqrt or d · (1 / sqrt)), and folds a
// following scale and bias into any layer_norm that has none yet.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RaisingUtils.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERARAISELAYERNORM
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// The first axis of `reduce` when it reduces the trailing axes [a, rank)
/// with keepdims; std::nullopt otherwise.
std::optional<int64_t> trailingAxis(ReduceMeanOp reduce) {
  if (!reduce || !reduce.getKeepdims())
    return std::nullopt;
  int64_t rank = cast<RankedTensorType>(reduce.getInput().getType()).getRank();
  SmallVector<int64_t> axes(reduce.getAxes());
  for (int64_t &a : axes)
    if (a < 0)
      a += rank;
  llvm::sort(axes);
  if (axes.empty() || axes.back() != rank - 1)
    return std::nullopt;
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i] != axes[i - 1] + 1)
      return std::nullopt;
  return axes.front();
}

/// Whether `value` is d² (pow(d, 2) or d · d).
bool isSquareOf(Value value, Value d) {
  if (auto pow = value.getDefiningOp<PowOp>())
    return pow.getLhs() == d && isSplatNear(pow.getRhs(), 2.0, 0.0);
  auto mul = value.getDefiningOp<MulOp>();
  return mul && mul.getLhs() == d && mul.getRhs() == d;
}

/// v where `value` is rsqrt(v) or 1 / sqrt(v); null otherwise.
Value reciprocalSqrtOf(Value value) {
  if (auto rsqrt = value.getDefiningOp<RsqrtOp>())
    return rsqrt.getInput();
  auto div = value.getDefiningOp<DivOp>();
  auto sqrt = div ? div.getRhs().getDefiningOp<SqrtOp>() : SqrtOp();
  if (sqrt && isSplatNear(div.getLhs(), 1.0, 0.0))
    return sqrt.getInput();
  return Value();
}

/// y = d / sqrt(var + eps) or d · rsqrt(var + eps), with d = x - mean(x)
/// and var = mean(d²) over the same trailing axes; or, with d = x, the
/// RMS norm.
struct RaiseDecomposedLayerNorm : RewritePattern {
  explicit RaiseDecomposedLayerNorm(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    // The normalisation: d and the denominator's (var + eps).
    Value d, varPlusEps;
    if (auto div = dyn_cast<DivOp>(op)) {
      auto sqrt = div.getRhs().getDefiningOp<SqrtOp>();
      if (!sqrt)
        return failure();
      d = div.getLhs();
      varPlusEps = sqrt.getInput();
    } else if (isa<MulOp>(op)) {
      auto operands = matchCommutative<MulOp>(op->getResult(0), [](Value v) {
        return static_cast<bool>(reciprocalSqrtOf(v));
      });
      if (!operands)
        return failure();
      d = operands->second;
      varPlusEps = reciprocalSqrtOf(operands->first);
    } else {
      return failure();
    }
    std::optional<std::pair<Value, Value>> terms =
        matchCommutative<AddOp>(varPlusEps, [](Value v) {
          return static_cast<bool>(v.getDefiningOp<ReduceMeanOp>());
        });
    std::optional<double> epsilon =
        terms ? getSplatValue(terms->second) : std::nullopt;
    if (!epsilon || *epsilon < 0)
      return rewriter.notifyMatchFailure(op, "no mean(d²) + epsilon");
    auto variance = terms->first.getDefiningOp<ReduceMeanOp>();
    std::optional<int64_t> axis = trailingAxis(variance);
    if (!axis || !isSquareOf(variance.getInput(), d))
      return rewriter.notifyMatchFailure(op, "no mean(d²) over trailing axes");
    // d = x - mean(x) over the same axes (layer norm), else d = x (RMS).
    Value x = d;
    bool rms = true;
    if (auto sub = d.getDefiningOp<SubOp>()) {
      auto mean = sub.getRhs().getDefiningOp<ReduceMeanOp>();
      if (mean && trailingAxis(mean) == axis &&
          mean.getInput() == sub.getLhs()) {
        x = sub.getLhs();
        rms = false;
      }
    }
    if (op->getResult(0).getType() != x.getType())
      return rewriter.notifyMatchFailure(op, "result shape differs from x");
    rewriter.replaceOpWithNewOp<LayerNormOp>(
        op, x.getType(), x, Value(), Value(), rewriter.getI64IntegerAttr(*axis),
        rewriter.getF32FloatAttr(static_cast<float>(*epsilon)),
        rms ? rewriter.getUnitAttr() : UnitAttr());
    return success();
  }
};

/// Whether `value` has exactly the normalised shape of `norm`.
bool hasNormalizedShape(LayerNormOp norm, Value value) {
  ArrayRef<int64_t> input =
      cast<RankedTensorType>(norm.getInput().getType()).getShape();
  ArrayRef<int64_t> shape = cast<RankedTensorType>(value.getType()).getShape();
  return shape == input.drop_front(norm.getAxis()) &&
         !llvm::any_of(shape, ShapedType::isDynamic);
}

/// layer_norm(x) · gamma → layer_norm(x) scale(gamma), and
/// layer_norm(x) + beta → layer_norm(x) bias(beta), for a layer_norm used
/// once whose scale (for gamma, also its bias) is still absent.
template <typename OpTy>
struct FoldAffineIntoLayerNorm : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  static constexpr bool isScale = std::is_same_v<OpTy, MulOp>;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto operands = matchCommutative<OpTy>(op.getResult(), [](Value v) {
      auto norm = v.getDefiningOp<LayerNormOp>();
      return norm && v.hasOneUse() && !norm.getBias() &&
             (!isScale || !norm.getScale());
    });
    if (!operands)
      return failure();
    Value normalized = operands->first, param = operands->second;
    auto norm = normalized.template getDefiningOp<LayerNormOp>();
    if (!hasNormalizedShape(norm, param) || op.getType() != norm.getType() ||
        cast<RankedTensorType>(param.getType()).getElementType() !=
            norm.getType().getElementType())
      return rewriter.notifyMatchFailure(op, "operand is not a per-feature "
                                             "parameter");
    rewriter.replaceOpWithNewOp<LayerNormOp>(
        op, norm.getType(), norm.getInput(), isScale ? param : norm.getScale(),
        isScale ? Value() : param, norm.getAxisAttr(), norm.getEpsilonAttr(),
        norm.getRmsAttr());
    return success();
  }
};

struct RaiseLayerNormPass
    : public tessera::impl::TesseraRaiseLayerNormBase<RaiseLayerNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseDecomposedLayerNorm, FoldAffineIntoLayerNorm<MulOp>,
                 FoldAffineIntoLayerNorm<AddOp>>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

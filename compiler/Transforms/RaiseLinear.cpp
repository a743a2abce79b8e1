//===- RaiseLinear.cpp - linear from matmul with a constant weight --------===//
//
// nn.Linear exports as Gemm (imported as linear directly) or as MatMul with
// the weight pre-transposed to [K, N], plus an Add of the bias; GPT-2's
// Conv1D flattens the input to 2-D around an addmm. This pass turns
//   matmul(x, W) [+ b]                        → linear(x, Wᵀ, b)
//   reshape(linear(reshape(x)), x's leading dims) → linear(x)
// transposing constant f32 weights at compile time (a new resource), so the
// weight is in linear's [N, K] layout with no run-time transpose.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RaisingUtils.h"
#include "dialects/tessera/Shapes/SymbolicShapes.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERARAISELINEAR
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// `weight` ([K, N], constant) in linear's [N, K] layout: a transposed copy
/// of an f32 constant, else a transpose op the kernels read as an index map.
Value transposeWeight(PatternRewriter &rewriter, Location loc, Value weight) {
  auto type = cast<RankedTensorType>(weight.getType());
  int64_t k = type.getDimSize(0), n = type.getDimSize(1);
  auto transposedType =
      RankedTensorType::get({n, k}, type.getElementType());
  if (std::optional<SmallVector<float>> values = getF32Values(weight)) {
    SmallVector<float> transposed(values->size());
    for (int64_t row = 0; row < k; ++row)
      for (int64_t col = 0; col < n; ++col)
        transposed[col * k + row] = (*values)[row * n + col];
    std::string name = "weight.T";
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(
            weight.getDefiningOp<ConstantOp>().getValue()))
      name = (resource.getRawHandle().getKey() + ".T").str();
    return createF32Resource(rewriter, loc, transposedType, transposed, name);
  }
  return TransposeOp::create(rewriter, loc, transposedType, weight,
                             rewriter.getDenseI64ArrayAttr({1, 0}));
}

/// A static slice of a constant f32 matrix (nn.MultiheadAttention's
/// in_proj_weight split into Q and KV parts) as a constant of its own;
/// null for anything else.
Value sliceConstantWeight(PatternRewriter &rewriter, Location loc,
                          Value weight) {
  auto slice = weight.getDefiningOp<SliceOp>();
  std::optional<SmallVector<float>> values =
      slice ? getF32Values(slice.getInput()) : std::nullopt;
  auto type = cast<RankedTensorType>(weight.getType());
  if (!values || type.getRank() != 2 || !type.hasStaticShape())
    return Value();
  auto inputType = cast<RankedTensorType>(slice.getInput().getType());
  int64_t cols = inputType.getDimSize(1);
  SmallVector<int64_t> starts, steps;
  for (int64_t d = 0; d < 2; ++d) {
    int64_t extent = inputType.getDimSize(d), start = slice.getStarts()[d];
    starts.push_back(std::clamp<int64_t>(start < 0 ? start + extent : start, 0,
                                         extent));
    steps.push_back(slice.getSteps() ? (*slice.getSteps())[d] : 1);
  }
  SmallVector<float> sliced;
  for (int64_t r = 0; r < type.getDimSize(0); ++r)
    for (int64_t c = 0; c < type.getDimSize(1); ++c)
      sliced.push_back((*values)[(starts[0] + r * steps[0]) * cols +
                                 starts[1] + c * steps[1]]);
  std::string name = "weight.slice";
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(
          slice.getInput().getDefiningOp<ConstantOp>().getValue()))
    name = (resource.getRawHandle().getKey() + ".slice").str();
  return createF32Resource(rewriter, loc, type, sliced, name);
}

/// matmul(x, W) with a constant 2-D W (or a static slice of one, or a
/// dequantized weight read transposed) → linear(x, W or Wᵀ).
struct RaiseMatmulWithConstantWeight : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Value weight = op.getRhs();
    auto weightType = cast<RankedTensorType>(weight.getType());
    // A dequantized weight is [N, K] (an importer's transpose of it folded
    // into transpose_rhs).
    if (weight.getDefiningOp<DequantizeOp>() && op.getTransposeRhs() &&
        !op.getTransposeLhs()) {
      rewriter.replaceOpWithNewOp<LinearOp>(op, op.getType(), op.getLhs(),
                                            weight, Value());
      return success();
    }
    bool slicedConstant = false;
    if (auto slice = weight.getDefiningOp<SliceOp>())
      slicedConstant = getF32Values(slice.getInput()).has_value();
    if (op.getTransposeLhs() ||
        (!weight.getDefiningOp<ConstantOp>() && !slicedConstant) ||
        weightType.getRank() != 2 || !weightType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "rhs is not a constant matrix");
    if (slicedConstant)
      weight = sliceConstantWeight(rewriter, op.getLoc(), weight);
    if (!op.getTransposeRhs())
      weight = transposeWeight(rewriter, op.getLoc(), weight);
    rewriter.replaceOpWithNewOp<LinearOp>(op, op.getType(), op.getLhs(),
                                          weight, Value());
    return success();
  }
};

/// linear(x, W) + b → linear(x, W, b) for a per-output-feature b.
struct FoldBiasIntoLinear : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    auto operands = matchCommutative<AddOp>(op.getResult(), [](Value v) {
      auto linear = v.getDefiningOp<LinearOp>();
      return linear && !linear.getBias() && v.hasOneUse();
    });
    if (!operands)
      return failure();
    auto linear = operands->first.getDefiningOp<LinearOp>();
    Value bias = operands->second;
    auto biasType = cast<RankedTensorType>(bias.getType());
    int64_t n = cast<RankedTensorType>(linear.getWeight().getType()).getDimSize(0);
    if (biasType.getShape() != ArrayRef<int64_t>{n} ||
        op.getType() != linear.getType())
      return rewriter.notifyMatchFailure(op, "addend is not a [N] bias");
    rewriter.replaceOpWithNewOp<LinearOp>(op, linear.getType(),
                                          linear.getInput(),
                                          linear.getWeight(), bias);
    return success();
  }
};

struct RaiseLinearPass
    : public tessera::impl::TesseraRaiseLinearBase<RaiseLinearPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseMatmulWithConstantWeight, FoldBiasIntoLinear>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    unflattenLinears();
  }

  /// reshape(linear(reshape(x, [P, K])), R) → linear(x) when R is x's
  /// leading dims and N: the flattening was only for a 2-D addmm. The
  /// named dims decide, so [b·s, K] → [s, b, N] is never mistaken for it.
  void unflattenLinears() {
    SymbolicShapes shapes;
    if (failed(shapes.analyze(getOperation())))
      return; // shapes are reported by the passes that need them
    SmallVector<ReshapeOp> candidates;
    getOperation().walk([&](ReshapeOp outer) {
      auto linear = outer.getInput().getDefiningOp<LinearOp>();
      auto inner = linear ? linear.getInput().getDefiningOp<ReshapeOp>()
                          : ReshapeOp();
      if (!inner || !linear->hasOneUse())
        return;
      const SymbolicShape &x = shapes.getShape(inner.getInput());
      const SymbolicShape &result = shapes.getShape(outer.getResult());
      if (x.size() != result.size() ||
          !llvm::equal(ArrayRef<DimExpr>(x).drop_back(),
                       ArrayRef<DimExpr>(result).drop_back()))
        return;
      candidates.push_back(outer);
    });
    for (ReshapeOp outer : candidates) {
      auto linear = outer.getInput().getDefiningOp<LinearOp>();
      auto inner = linear.getInput().getDefiningOp<ReshapeOp>();
      OpBuilder builder(outer);
      Value raised = LinearOp::create(builder, linear.getLoc(), outer.getType(),
                                      inner.getInput(), linear.getWeight(),
                                      linear.getBias());
      outer.replaceAllUsesWith(raised);
      outer.erase();
      linear.erase();
      if (inner.use_empty())
        inner.erase();
    }
  }
};

} // namespace

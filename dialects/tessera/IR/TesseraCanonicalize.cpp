//===- TesseraCanonicalize.cpp - Canonicalization patterns ----------------===//
//
// Rewrites that need more than an in-place fold. Each keeps the IR's meaning
// exactly and leaves fewer ops (or simpler ones) behind.
//
//===----------------------------------------------------------------------===//

#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// Whether `transpose` swaps only the last two dimensions.
bool swapsLastTwoDims(TransposeOp transpose) {
  ArrayRef<int64_t> permutation = transpose.getPermutation();
  int64_t rank = permutation.size();
  if (rank < 2)
    return false;
  for (int64_t d = 0; d < rank - 2; ++d)
    if (permutation[d] != d)
      return false;
  return permutation[rank - 2] == rank - 1 && permutation[rank - 1] == rank - 2;
}

/// matmul(transpose(a), b) → matmul(a, b) {transpose_lhs}: the matmul kernel
/// reads either layout, so a transpose of the last two dimensions (Kᵀ in
/// attention, Wᵀ in exported linears) becomes an attribute, not a copy.
struct FoldTransposeIntoMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    auto lhs = op.getLhs().getDefiningOp<TransposeOp>();
    auto rhs = op.getRhs().getDefiningOp<TransposeOp>();
    bool foldLhs = lhs && swapsLastTwoDims(lhs);
    bool foldRhs = rhs && swapsLastTwoDims(rhs);
    if (!foldLhs && !foldRhs)
      return rewriter.notifyMatchFailure(op, "no operand is a transpose of "
                                             "the last two dimensions");
    rewriter.modifyOpInPlace(op, [&] {
      if (foldLhs) {
        op.getLhsMutable().assign(lhs.getInput());
        op.setTransposeLhs(!op.getTransposeLhs());
      }
      if (foldRhs) {
        op.getRhsMutable().assign(rhs.getInput());
        op.setTransposeRhs(!op.getTransposeRhs());
      }
    });
    return success();
  }
};

/// broadcast(broadcast(x)) → broadcast(x).
struct ComposeBroadcasts : OpRewritePattern<BroadcastOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BroadcastOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<BroadcastOp>();
    if (!inner)
      return rewriter.notifyMatchFailure(op, "input is not a broadcast");
    rewriter.modifyOpInPlace(
        op, [&] { op.getInputMutable().assign(inner.getInput()); });
    return success();
  }
};

/// select(not(c), a, b) → select(c, b, a).
struct SwapSelectOfNot : OpRewritePattern<SelectOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SelectOp op,
                                PatternRewriter &rewriter) const override {
    auto negated = op.getCondition().getDefiningOp<NotOp>();
    if (!negated)
      return rewriter.notifyMatchFailure(op, "condition is not a 'not'");
    rewriter.replaceOpWithNewOp<SelectOp>(op, op.getType(), negated.getInput(),
                                          op.getOnFalse(), op.getOnTrue());
    return success();
  }
};

/// reshape(linear(x)) → linear(reshape(x)) when the reshape keeps the last
/// dim: a linear maps each row alone, so regrouping its rows commutes with
/// it. The linear then produces the shape its consumers read (GPT-2's
/// Conv1D computes on [batch*seq, C] and reshapes back before the residual
/// add), which lets the add join the linear's dispatch as an epilogue.
struct MoveReshapeOfRowsBeforeLinear : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto linear = op.getInput().getDefiningOp<LinearOp>();
    if (!linear || !linear->hasOneUse())
      return rewriter.notifyMatchFailure(op, "not the only use of a linear");
    auto resultType = cast<RankedTensorType>(op.getType());
    auto inputType = cast<RankedTensorType>(linear.getInput().getType());
    if (resultType.getRank() == 0)
      return rewriter.notifyMatchFailure(op, "a scalar has no feature dim");
    int64_t features = resultType.getShape().back();
    if (ShapedType::isDynamic(features) ||
        features != linear.getType().getShape().back() ||
        inputType.isDynamicDim(inputType.getRank() - 1))
      return rewriter.notifyMatchFailure(op, "changes the feature dim");
    SmallVector<int64_t> shape(resultType.getShape());
    shape.back() = inputType.getShape().back();
    ArrayAttr dims;
    if (std::optional<ArrayAttr> names = op.getDims()) {
      SmallVector<Attribute> entries(names->begin(), names->end());
      entries.back() = rewriter.getStringAttr(std::to_string(shape.back()));
      dims = rewriter.getArrayAttr(entries);
    }
    Value rows = ReshapeOp::create(
        rewriter, op.getLoc(),
        RankedTensorType::get(shape, inputType.getElementType()),
        linear.getInput(), dims);
    rewriter.replaceOpWithNewOp<LinearOp>(op, resultType, rows,
                                          linear.getWeight(), linear.getBias());
    rewriter.eraseOp(linear);
    return success();
  }
};

} // namespace

void ReshapeOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                            MLIRContext *context) {
  patterns.add<MoveReshapeOfRowsBeforeLinear>(context);
}

void MatmulOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                           MLIRContext *context) {
  patterns.add<FoldTransposeIntoMatmul>(context);
}

void BroadcastOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                              MLIRContext *context) {
  patterns.add<ComposeBroadcasts>(context);
}

void SelectOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                           MLIRContext *context) {
  patterns.add<SwapSelectOfNot>(context);
}

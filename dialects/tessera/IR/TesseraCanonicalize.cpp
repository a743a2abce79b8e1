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

} // namespace

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

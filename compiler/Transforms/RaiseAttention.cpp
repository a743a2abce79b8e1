//===- RaiseAttention.cpp - attention from matmul / softmax / matmul ------===//
//
// Exported attention is
//   P = softmax(f(Q · Kᵀ), axis = -1);  O = P · V
// where f scales (div or mul by a constant, on the scores or folded into Q
// and K), adds masks and biases, and applies boolean masks with
// select(keep, scores, very negative). The pattern starts at P · V and walks
// the score computation back to Q · Kᵀ by dataflow, so the order in which an
// exporter writes these steps does not matter. Everything added to the
// scores becomes the attention's `bias` operand (a select mask becomes the
// additive select(keep, 0, fill)); tessera-classify-attention-masks then
// turns what it can prove into a mask attribute or a key padding mask.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RaisingUtils.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERARAISEATTENTION
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {


/// The scores matmul: Q · Kᵀ of two computed (non-constant) tensors.
bool isScoresMatmul(Value value) {
  auto matmul = value.getDefiningOp<MatmulOp>();
  return matmul && !matmul.getTransposeLhs() &&
         !matmul.getRhs().getDefiningOp<ConstantOp>() &&
         cast<RankedTensorType>(matmul.getType()).getRank() >= 3;
}

/// Whether `value` is the scores, possibly already scaled or masked: the
/// path the walk follows.
bool leadsToScores(Value value, int depth = 0) {
  if (depth > 16)
    return false;
  if (isScoresMatmul(value))
    return true;
  Operation *op = value.getDefiningOp();
  if (!op)
    return false;
  if (isa<AddOp, MulOp, DivOp>(op))
    return leadsToScores(op->getOperand(0), depth + 1) ||
           (!isa<DivOp>(op) && leadsToScores(op->getOperand(1), depth + 1));
  if (auto select = dyn_cast<SelectOp>(op))
    return leadsToScores(select.getOnTrue(), depth + 1) ||
           leadsToScores(select.getOnFalse(), depth + 1);
  if (auto cast = dyn_cast<CastOp>(op))
    return leadsToScores(cast.getInput(), depth + 1);
  return false;
}

/// Peels multiplications and divisions by constants off `value` (Q or K
/// scaled before the product), multiplying them into `scale`.
Value peelScale(Value value, double &scale) {
  while (true) {
    Product p = collectProduct(value);
    if (p.factors.size() != 1 || p.constant == 1.0 || p.factors[0] == value)
      return value;
    scale *= p.constant;
    value = p.factors[0];
  }
}

/// The swap of the last two dims of a rank-`rank` tensor.
SmallVector<int64_t> swapLastTwo(int64_t rank) {
  SmallVector<int64_t> permutation = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(permutation[rank - 2], permutation[rank - 1]);
  return permutation;
}

struct RaiseAttentionPattern : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    auto softmax = op.getLhs().getDefiningOp<SoftmaxOp>();
    auto resultType = cast<RankedTensorType>(op.getType());
    int64_t rank = resultType.getRank();
    if (!softmax || op.getTransposeLhs() || op.getTransposeRhs() ||
        (rank != 3 && rank != 4))
      return rewriter.notifyMatchFailure(op, "not softmax(...) · V");
    if (static_cast<int64_t>(softmax.getAxis()) != rank - 1)
      return rewriter.notifyMatchFailure(op, "softmax is not over the keys");
    if (!softmax->hasOneUse())
      return rewriter.notifyMatchFailure(
          op, "the probabilities have another use (returned attention "
              "weights); they must stay materialised");

    Location loc = op.getLoc();
    // Walk from the softmax input to Q · Kᵀ, collecting scales and what is
    // added to the scores (with the scale applied after it). Nothing is
    // created until the whole pattern has matched.
    struct Term {
      Value value;        // added to the scores, or a select's fill
      SelectOp select;    // set for select(keep, scores, fill)
      bool keepOnTrue = true;
      double scale = 1.0; // the scale applied after the term
    };
    double scale = 1.0;
    SmallVector<Term> terms;
    Value s = softmax.getInput();
    while (!isScoresMatmul(s)) {
      Operation *step = s.getDefiningOp();
      if (!step)
        return rewriter.notifyMatchFailure(op, "scores not found");
      if (auto add = dyn_cast<AddOp>(step)) {
        bool lhsIsScores = leadsToScores(add.getLhs());
        if (lhsIsScores == leadsToScores(add.getRhs()))
          return rewriter.notifyMatchFailure(op, "ambiguous add on scores");
        terms.push_back({lhsIsScores ? add.getRhs() : add.getLhs(), {}, true,
                         scale});
        s = lhsIsScores ? add.getLhs() : add.getRhs();
      } else if (auto select = dyn_cast<SelectOp>(step)) {
        bool trueIsScores = leadsToScores(select.getOnTrue());
        Value fill = trueIsScores ? select.getOnFalse() : select.getOnTrue();
        std::optional<double> fillValue = getSplatValue(fill);
        if (!fillValue || *fillValue > kMaskedFill ||
            !isa<FloatType>(cast<RankedTensorType>(fill.getType())
                                .getElementType()))
          return rewriter.notifyMatchFailure(op, "select fills scores with a "
                                                 "value that does not mask");
        terms.push_back({fill, select, trueIsScores, 1.0});
        s = trueIsScores ? select.getOnTrue() : select.getOnFalse();
      } else if (isa<MulOp, DivOp>(step)) {
        Product p = collectProduct(s);
        if (p.factors.size() != 1 || p.factors[0] == s)
          return rewriter.notifyMatchFailure(op, "scores multiplied by a "
                                                 "tensor");
        scale *= p.constant;
        s = p.factors[0];
      } else if (auto cast = dyn_cast<CastOp>(step)) {
        s = cast.getInput();
      } else {
        return rewriter.notifyMatchFailure(op, "unexpected op on the scores");
      }
    }
    auto scores = s.getDefiningOp<MatmulOp>();
    Value query = peelScale(scores.getLhs(), scale);
    Value key = peelScale(scores.getRhs(), scale);
    Value value = op.getRhs();
    auto queryType = cast<RankedTensorType>(query.getType());
    auto valueType = cast<RankedTensorType>(value.getType());
    if (cast<RankedTensorType>(scores.getType()).getRank() != rank ||
        queryType.getRank() != rank ||
        cast<RankedTensorType>(key.getType()).getRank() != rank ||
        valueType.getRank() != rank)
      return rewriter.notifyMatchFailure(op, "Q, K, V and output ranks "
                                             "differ");
    if (queryType.getShape().drop_back() != resultType.getShape().drop_back() ||
        valueType.getShape().back() != resultType.getShape().back())
      return rewriter.notifyMatchFailure(op, "output is not [.., Lq, Dv]");
    for (Term &term : terms)
      if (cast<RankedTensorType>(term.select ? term.select.getType()
                                             : term.value.getType())
              .getRank() > rank)
        return rewriter.notifyMatchFailure(op, "a mask has more dims than "
                                               "the scores");

    if (!scores.getTransposeRhs())
      key = TransposeOp::create(rewriter, loc, key,
                                rewriter.getDenseI64ArrayAttr(swapLastTwo(rank)));
    // [B·H, L, D] (nn.MultiheadAttention's bmm) as [1, B·H, L, D].
    auto addBatch = [&](Value v) -> Value {
      auto type = cast<RankedTensorType>(v.getType());
      SmallVector<int64_t> shape = {1};
      llvm::append_range(shape, type.getShape());
      return ReshapeOp::create(rewriter, loc, type.clone(shape), v,
                               ArrayAttr());
    };
    auto scalar = [&](Type element, double v) -> Value {
      auto type = RankedTensorType::get({}, element);
      return ConstantOp::create(
          rewriter, loc, type,
          DenseElementsAttr::get(type, rewriter.getFloatAttr(element, v)));
    };
    Value bias;
    for (Term &term : terms) {
      Value t = term.value;
      Type element = cast<RankedTensorType>(t.getType()).getElementType();
      if (term.select) {
        // select(keep, s, fill) adds select(keep, 0, fill) to s.
        Value zero = scalar(element, 0.0);
        t = SelectOp::create(rewriter, loc, term.select.getCondition(),
                             term.keepOnTrue ? zero : t,
                             term.keepOnTrue ? t : zero);
      }
      if (term.scale != 1.0)
        t = MulOp::create(rewriter, loc, t, scalar(element, term.scale));
      bias = bias ? AddOp::create(rewriter, loc, bias, t).getResult() : t;
    }
    if (rank == 3) {
      query = addBatch(query);
      key = addBatch(key);
      value = addBatch(value);
      if (bias && cast<RankedTensorType>(bias.getType()).getRank() == 3)
        bias = addBatch(bias);
    }
    auto attention = AttentionOp::create(
        rewriter, loc, query, key, value, bias, /*key_padding_mask=*/Value(),
        rewriter.getF32FloatAttr(static_cast<float>(scale)),
        /*mask=*/MaskAttr(), /*alibi_slopes=*/DenseF32ArrayAttr(),
        /*window_relative_bias=*/UnitAttr());
    Value result = attention.getResult();
    if (rank == 3 || result.getType() != op.getType())
      result = ReshapeOp::create(rewriter, loc, resultType, result, ArrayAttr());
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct RaiseAttentionPass
    : public tessera::impl::TesseraRaiseAttentionBase<RaiseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseAttentionPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

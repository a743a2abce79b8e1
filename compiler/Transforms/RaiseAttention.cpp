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
// Batched-matmul exports (CLIP, BART, DETR) fold the heads into the batch,
// [B·H, L, D], and add each mask on a [B, H, Lq, Lk] view of the scores.
// Such attention is raised on the 4-D tensors the heads were folded from.
// Scalar factors applied to Q or K before their layout ops (CLIP scales Q
// right after its projection) are moved below those ops first, so that
// they reach the product and become the attention's scale. Keys and values
// repeated per query head (grouped-query attention, LLaMA's repeat_kv)
// are read as the fewer heads they repeat.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RaisingUtils.h"
#include "dialects/tessera/Shapes/SymbolicShapes.h"

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

/// A reshape between rank `rank` and `rank + 1` (either way) that keeps the
/// last `rank - 1` dims: the leading dim split into two or two merged.
bool isLeadingSplit(Operation *op, int64_t rank) {
  auto reshape = dyn_cast_or_null<ReshapeOp>(op);
  if (!reshape)
    return false;
  auto from = cast<RankedTensorType>(reshape.getInput().getType());
  auto to = cast<RankedTensorType>(reshape.getType());
  int64_t fromRank = from.getRank(), toRank = to.getRank();
  bool ranks = (fromRank == rank && toRank == rank + 1) ||
               (fromRank == rank + 1 && toRank == rank);
  return ranks && from.getShape().take_back(rank - 1) ==
                      to.getShape().take_back(rank - 1);
}

/// [B·H, Lq, Lk] ↔ [B, H, Lq, Lk]: the heads folded into or out of the
/// batch.
bool isHeadView(Operation *op) { return isLeadingSplit(op, 3); }

/// [B·W, H, Lq, Lk] ↔ [B, W, H, Lq, Lk]: Swin's view of the scores by
/// window, to add a per-window mask.
bool isWindowView(Operation *op) { return isLeadingSplit(op, 4); }

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
  if (isHeadView(op) || isWindowView(op))
    return leadsToScores(op->getOperand(0), depth + 1);
  return false;
}

/// The [B, H, L, D] tensor that `value` ([B·H, L, D]) folds the heads of.
Value unfoldedHeads(Value value) {
  auto reshape = value.getDefiningOp<ReshapeOp>();
  return reshape && isHeadView(reshape) &&
                 cast<RankedTensorType>(reshape.getInput().getType())
                         .getRank() == 4
             ? reshape.getInput()
             : Value();
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

/// [B·H, L, D] (nn.MultiheadAttention's bmm) as [1, B·H, L, D], or, where
/// B·H is dynamic (`foldedDynamic`: a batch of one-head attentions folded
/// into one dim, diffusers' head_to_batch_dim), as [B·H, 1, L, D], since
/// attention needs a static head count. A 3-D mask takes the same view.
Value addBatch(PatternRewriter &rewriter, Location loc, Value v,
               bool foldedDynamic) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape.insert(shape.begin() + (foldedDynamic ? 1 : 0), 1);
  return ReshapeOp::create(rewriter, loc, type.clone(shape), v, ArrayAttr());
}

/// A rank-0 float constant.
Value scalar(PatternRewriter &rewriter, Location loc, Type element, double v) {
  auto type = RankedTensorType::get({}, element);
  return ConstantOp::create(
      rewriter, loc, type,
      DenseElementsAttr::get(type, rewriter.getFloatAttr(element, v)));
}

/// Takes the ops a rewrite builds with createInferred: their results, until
/// one cannot be built; from then on failed() says so, and the results are
/// null. A chain of ops is built and checked once.
class UnlessUnbuildable {
public:
  template <typename OpTy> Value operator()(FailureOr<OpTy> built) {
    if (mlir::failed(built)) {
      failed_ = true;
      return Value();
    }
    return built->getResult();
  }
  bool failed() const { return failed_; }

private:
  bool failed_ = false;
};

/// What lies between a softmax's input and Q · Kᵀ: what is added to the
/// scores (with the scale applied after it), and the scales.
struct ScoreTerm {
  Value value;     // added to the scores, or a select's fill
  SelectOp select; // set for select(keep, scores, fill)
  bool keepOnTrue = true;
  double scale = 1.0;       // the scale applied after the term
  bool foldedHeads = false; // added to [B·H, Lq, Lk] scores
  bool byWindow = false;    // added to [B, W, H, Lq, Lk] scores
};

struct ScoreChain {
  MatmulOp scores;
  double scale = 1.0;
  SmallVector<ScoreTerm> terms;
  // Swin's [B·W, H, Lq, Lk] → [B, W, H, Lq, Lk] view of the scores.
  ReshapeOp windowView;
  bool sawHeadView = false;
};

/// Walks from `s`, a softmax's input, back to Q · Kᵀ, collecting the
/// chain; a match failure on `op` when the walk meets something else.
LogicalResult walkToScores(Value s, ScoreChain &chain,
                           PatternRewriter &rewriter, Operation *op) {
  auto foldedHeads = [&] {
    return cast<RankedTensorType>(s.getType()).getRank() == 3;
  };
  auto byWindow = [&] {
    return cast<RankedTensorType>(s.getType()).getRank() == 5;
  };
  while (!isScoresMatmul(s)) {
    Operation *step = s.getDefiningOp();
    if (!step)
      return rewriter.notifyMatchFailure(op, "scores not found");
    if (auto add = dyn_cast<AddOp>(step)) {
      bool lhsIsScores = leadsToScores(add.getLhs());
      if (lhsIsScores == leadsToScores(add.getRhs()))
        return rewriter.notifyMatchFailure(op, "ambiguous add on scores");
      chain.terms.push_back({lhsIsScores ? add.getRhs() : add.getLhs(),
                             {},
                             true,
                             chain.scale,
                             foldedHeads(),
                             byWindow()});
      s = lhsIsScores ? add.getLhs() : add.getRhs();
    } else if (auto select = dyn_cast<SelectOp>(step)) {
      bool trueIsScores = leadsToScores(select.getOnTrue());
      Value fill = trueIsScores ? select.getOnFalse() : select.getOnTrue();
      std::optional<double> fillValue = getSplatValue(fill);
      if (!fillValue || *fillValue > kMaskedFill ||
          !isa<FloatType>(
              cast<RankedTensorType>(fill.getType()).getElementType()))
        return rewriter.notifyMatchFailure(op, "select fills scores with a "
                                               "value that does not mask");
      chain.terms.push_back(
          {fill, select, trueIsScores, 1.0, foldedHeads(), byWindow()});
      s = trueIsScores ? select.getOnTrue() : select.getOnFalse();
    } else if (isa<MulOp, DivOp>(step)) {
      Product p = collectProduct(s);
      if (p.factors.size() != 1 || p.factors[0] == s)
        return rewriter.notifyMatchFailure(op, "scores multiplied by a "
                                               "tensor");
      chain.scale *= p.constant;
      s = p.factors[0];
    } else if (auto cast = dyn_cast<CastOp>(step)) {
      s = cast.getInput();
    } else if (isWindowView(step)) {
      if (llvm::cast<RankedTensorType>(step->getResult(0).getType())
              .getRank() == 5) {
        if (chain.windowView)
          return rewriter.notifyMatchFailure(op, "two window views");
        chain.windowView = llvm::cast<ReshapeOp>(step);
      }
      s = step->getOperand(0);
    } else if (isHeadView(step)) {
      chain.sawHeadView = true;
      s = step->getOperand(0);
    } else {
      return rewriter.notifyMatchFailure(op, "unexpected op on the scores");
    }
  }
  chain.scores = s.getDefiningOp<MatmulOp>();
  return success();
}

struct RaiseAttentionPattern : OpRewritePattern<MatmulOp> {
  /// `shapes` (may be null) names the dims of the values the pattern
  /// starts from, for [B·H, L, D] whose B·H is H times a named dim.
  RaiseAttentionPattern(MLIRContext *context, const SymbolicShapes *shapes)
      : OpRewritePattern(context), shapes(shapes) {}
  const SymbolicShapes *shapes;

  /// H when `value` is [H·B, ...] for a named B and a constant H > 1.
  std::optional<DimExpr> foldedHeadsDim(Value value) const {
    const SymbolicShape *shape = shapes ? shapes->lookupShape(value) : nullptr;
    if (!shape || shape->empty() || !(*shape)[0].isMonomial() ||
        (*shape)[0].getCoefficient() <= 1 ||
        (*shape)[0].getSymbols().size() != 1)
      return std::nullopt;
    return (*shape)[0];
  }

  /// [H·B, d1, d2] → [B, H, d1, d2], the dims named.
  Value splitHeads(PatternRewriter &rewriter, Location loc, Value value,
                   const SymbolicShape &shape) const {
    DimExpr folded = shape[0];
    SmallVector<std::string> names = {
        shapes->format(DimExpr::symbol(folded.getSymbols()[0])),
        std::to_string(folded.getCoefficient())};
    for (const DimExpr &d : ArrayRef<DimExpr>(shape).drop_front())
      names.push_back(shapes->format(d));
    auto type = cast<RankedTensorType>(value.getType());
    SmallVector<int64_t> dims = {ShapedType::kDynamic, folded.getCoefficient()};
    llvm::append_range(dims, type.getShape().drop_front());
    return ReshapeOp::create(
        rewriter, loc, type.clone(dims), value,
        rewriter.getStrArrayAttr(llvm::to_vector_of<StringRef>(names)));
  }

  /// The sum of the chain's terms as one bias on the scores (selects as
  /// added fills, scales applied, per-window terms broadcast to every
  /// image's windows, heads split by name where Q, K and V are); failure
  /// when a term cannot be built from what the match found.
  FailureOr<Value> buildBias(PatternRewriter &rewriter, Location loc,
                             const ScoreChain &chain, bool splitByName) const {
    UnlessUnbuildable build;
    ReshapeOp windowView = chain.windowView;
    Value bias;
    for (ScoreTerm term : chain.terms) {
      Value t = term.value;
      Type element = cast<RankedTensorType>(t.getType()).getElementType();
      if (term.select) {
        // select(keep, s, fill) adds select(keep, 0, fill) to s.
        Value zero = scalar(rewriter, loc, element, 0.0);
        t = build(createInferred<SelectOp>(
            rewriter, loc, /*report=*/false, term.select.getCondition(),
            term.keepOnTrue ? zero : t, term.keepOnTrue ? t : zero));
      }
      if (!build.failed() && term.scale != 1.0)
        t = build(
            createInferred<MulOp>(rewriter, loc, /*report=*/false, t,
                                  scalar(rewriter, loc, element, term.scale)));
      if (build.failed())
        return failure();
      if (term.byWindow) {
        // Per-window terms apply to every image's windows: broadcast to the
        // [B, W, H, Lq, Lk] view, then fold back to [B·W, H, Lq, Lk].
        auto viewType = cast<RankedTensorType>(windowView.getType());
        t = BroadcastOp::create(rewriter, loc, viewType.clone(element), t,
                                windowView.getDimsAttr());
        ArrayAttr dims;
        if (auto inner = windowView.getInput().getDefiningOp<ReshapeOp>())
          dims = inner.getDimsAttr();
        t = ReshapeOp::create(
            rewriter, loc,
            cast<RankedTensorType>(windowView.getInput().getType())
                .clone(element),
            t, dims ? dims : ArrayAttr());
      }
      Value original = term.select ? term.select.getResult() : term.value;
      if (splitByName && foldedHeadsDim(original))
        t = splitHeads(rewriter, loc, t, shapes->getShape(original));
      bias = bias ? build(createInferred<AddOp>(rewriter, loc,
                                                /*report=*/false, bias, t))
                  : t;
      if (build.failed())
        return failure();
    }
    return bias;
  }

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
    // What lies in front of `op` before the rewrite: everything the rewrite
    // creates goes between it and `op`.
    Operation *before = op->getPrevNode();
    // Nothing is created until the whole pattern has matched.
    ScoreChain chain;
    if (failed(walkToScores(softmax.getInput(), chain, rewriter, op)))
      return failure();
    MatmulOp scores = chain.scores;
    double scale = chain.scale;
    SmallVector<ScoreTerm> &terms = chain.terms;
    bool sawHeadView = chain.sawHeadView;
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
    if (!sawHeadView &&
        (queryType.getShape().drop_back() !=
             resultType.getShape().drop_back() ||
         valueType.getShape().back() != resultType.getShape().back()))
      return rewriter.notifyMatchFailure(op, "output is not [.., Lq, Dv]");
    // Masks added on a [B, H, Lq, Lk] view: attention on the unfolded
    // [B, H, L, D] tensors, where those masks apply as they are.
    // Without such a view, [B·H, L, D] folded from [B, H, L, D] is unfolded
    // too, unless a mask is over [B·H, Lq, Lk].
    bool unfold = rank == 3 && unfoldedHeads(query) && unfoldedHeads(key) &&
                  unfoldedHeads(value) &&
                  llvm::none_of(terms, [](ScoreTerm &t) {
                    auto type = cast<RankedTensorType>(
                        t.select ? t.select.getType() : t.value.getType());
                    return t.foldedHeads && type.getRank() == 3 &&
                           type.getDimSize(0) != 1;
                  });
    if (sawHeadView && !unfold)
      return rewriter.notifyMatchFailure(
          op, "masks on a [B, H, Lq, Lk] view, but Q, K or V is not folded "
              "from [B, H, L, D], or another mask is over [B·H, Lq, Lk]");
    ReshapeOp foldedQuery;
    if (unfold) {
      foldedQuery = query.getDefiningOp<ReshapeOp>();
      query = unfoldedHeads(query);
      key = unfoldedHeads(key);
      value = unfoldedHeads(value);
      rank = 4;
    }
    // [H·B, L, D] (nn.MultiheadAttention: heads folded after a transpose)
    // split by name into [B, H, L, D], so that the head count is static;
    // its masks are split the same way.
    std::optional<DimExpr> heads =
        rank == 3 ? foldedHeadsDim(query) : std::nullopt;
    bool splitByName =
        heads && foldedHeadsDim(key) == heads &&
        foldedHeadsDim(value) == heads && foldedHeadsDim(op.getResult()) &&
        llvm::all_of(terms, [&](ScoreTerm &t) {
          Value v = t.select ? t.select.getResult() : t.value;
          auto type = cast<RankedTensorType>(v.getType());
          return type.getRank() < 3 || type.getDimSize(0) == 1 ||
                 foldedHeadsDim(v) == heads;
        });
    for (ScoreTerm &term : terms)
      if (!term.byWindow &&
          cast<RankedTensorType>(term.select ? term.select.getType()
                                             : term.value.getType())
                  .getRank() > rank)
        return rewriter.notifyMatchFailure(op, "a mask has more dims than "
                                               "the scores");

    // The ops built here take values the match read off the dataflow of a
    // graph that may be one no exporter writes (V broadcast over the key's
    // heads by the matmul, say): each op with an inferred type is built
    // only if it can be, and otherwise the graph is left as it was, with
    // what was built for it (all of it in front of `op`) removed.
    UnlessUnbuildable build;
    auto leaveAsItWas = [&] {
      while (op->getPrevNode() != before)
        rewriter.eraseOp(op->getPrevNode());
      return rewriter.notifyMatchFailure(
          op, "Q, K, V and the masks do not make one attention");
    };
    FailureOr<Value> bias = buildBias(rewriter, loc, chain, splitByName);
    if (failed(bias))
      return leaveAsItWas();
    if (splitByName) {
      query = splitHeads(rewriter, loc, query, shapes->getShape(query));
      key = splitHeads(rewriter, loc, key, shapes->getShape(key));
      value = splitHeads(rewriter, loc, value, shapes->getShape(value));
      rank = 4;
    }
    bool foldedDynamic =
        rank == 3 && ShapedType::isDynamic(
                         cast<RankedTensorType>(query.getType()).getDimSize(0));
    if (rank == 3) {
      query = addBatch(rewriter, loc, query, foldedDynamic);
      key = addBatch(rewriter, loc, key, foldedDynamic);
      value = addBatch(rewriter, loc, value, foldedDynamic);
    }
    if (!scores.getTransposeRhs())
      key = build(createInferred<TransposeOp>(
          rewriter, loc, /*report=*/false, key,
          rewriter.getDenseI64ArrayAttr(swapLastTwo(rank))));
    if (build.failed())
      return leaveAsItWas();
    // A 3-D bias is [B·H, Lq, Lk] of 3-D attention or [1, Lq, Lk].
    if (*bias && cast<RankedTensorType>(bias->getType()).getRank() == 3)
      *bias = addBatch(rewriter, loc, *bias, foldedDynamic);
    FailureOr<AttentionOp> attention = createInferred<AttentionOp>(
        rewriter, loc, /*report=*/false, query, key, value, *bias,
        /*key_padding_mask=*/Value(),
        rewriter.getF32FloatAttr(static_cast<float>(scale)),
        /*mask=*/MaskAttr(), /*alibi_slopes=*/DenseF32ArrayAttr(),
        /*window_relative_bias=*/UnitAttr(),
        /*mask_fill=*/FloatAttr(), /*padding_fill=*/FloatAttr(),
        /*shared_fill=*/UnitAttr());
    if (failed(attention))
      return leaveAsItWas();
    Value result = attention->getResult();
    if (foldedQuery) {
      // Fold the heads back: [B·H, Lq, Dv] named like the folded query.
      ArrayAttr dims;
      if (std::optional<ArrayAttr> queryDims = foldedQuery.getDims()) {
        SmallVector<Attribute> names(queryDims->begin(), queryDims->end());
        names.back() = rewriter.getStringAttr(
            std::to_string(valueType.getShape().back()));
        dims = rewriter.getArrayAttr(names);
      }
      result = ReshapeOp::create(rewriter, loc, resultType, result, dims);
    } else if (splitByName) {
      const SymbolicShape &shape = shapes->getShape(op.getResult());
      SmallVector<std::string> names;
      for (const DimExpr &d : shape)
        names.push_back(shapes->format(d));
      result = ReshapeOp::create(
          rewriter, loc, resultType, result,
          rewriter.getStrArrayAttr(llvm::to_vector_of<StringRef>(names)));
    } else if (rank == 3 || result.getType() != op.getType()) {
      result = ReshapeOp::create(rewriter, loc, resultType, result, ArrayAttr());
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// layout(x · c) → layout(x) · c for a scalar constant c (and x / c): moves
/// Q's or K's scale below the head split toward the scores product.
template <typename LayoutOp>
struct SinkScaleBelowLayout : OpRewritePattern<LayoutOp> {
  using OpRewritePattern<LayoutOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(LayoutOp op,
                                PatternRewriter &rewriter) const override {
    Operation *scaled = op.getInput().getDefiningOp();
    if (!isa_and_nonnull<MulOp, DivOp>(scaled) || !scaled->hasOneUse())
      return rewriter.notifyMatchFailure(op, "input is not scaled");
    Value x = scaled->getOperand(0), c = scaled->getOperand(1);
    if (isa<MulOp>(scaled) && getSplatValue(x) && !getSplatValue(c))
      std::swap(x, c);
    if (!getSplatValue(c) ||
        cast<RankedTensorType>(c.getType()).getNumElements() != 1)
      return rewriter.notifyMatchFailure(op, "not scaled by a scalar");
    // Only on the way to a product (a layout chain into a matmul).
    bool towardMatmul = llvm::all_of(op->getUsers(), [](Operation *user) {
      return isa<MatmulOp, ReshapeOp, TransposeOp>(user);
    });
    if (!towardMatmul || op->use_empty())
      return rewriter.notifyMatchFailure(op, "not on the way to a matmul");
    Operation *moved = rewriter.clone(*op);
    moved->setOperand(0, x);
    Operation *rescaled = rewriter.clone(*scaled);
    rescaled->setOperand(0, moved->getResult(0));
    rescaled->setOperand(1, c);
    rescaled->getResult(0).setType(op.getType());
    rewriter.replaceOp(op, rescaled->getResults());
    return success();
  }
};

/// Grouped-query attention exported with its keys and values repeated per
/// query head (Hugging Face's repeat_kv: [B, Hkv, L, D] unsqueezed to
/// [B, Hkv, 1, L, D], expanded to [B, Hkv, R, L, D], reshaped to
/// [B, Hkv·R, L, D]): the attention reads the Hkv heads themselves, query
/// head h reading KV head h / R, which is the order the reshape merges them
/// in. The repeated tensors are never built.
struct RaiseGroupedQueryHeads : OpRewritePattern<AttentionOp> {
  RaiseGroupedQueryHeads(MLIRContext *context, const SymbolicShapes *shapes)
      : OpRewritePattern(context), shapes(shapes) {}

  /// The [B, Hkv, L, D] tensor `value` repeats, or null.
  Value repeatedHeads(Value value) const {
    auto merge = value.getDefiningOp<ReshapeOp>();
    auto repeat =
        merge ? merge.getInput().getDefiningOp<BroadcastOp>() : BroadcastOp();
    auto unsqueeze =
        repeat ? repeat.getInput().getDefiningOp<ReshapeOp>() : ReshapeOp();
    if (!unsqueeze)
      return Value();
    Value heads = unsqueeze.getInput();
    ArrayRef<int64_t> in = cast<RankedTensorType>(heads.getType()).getShape();
    ArrayRef<int64_t> one =
        cast<RankedTensorType>(unsqueeze.getType()).getShape();
    ArrayRef<int64_t> repeated =
        cast<RankedTensorType>(repeat.getType()).getShape();
    ArrayRef<int64_t> out = cast<RankedTensorType>(value.getType()).getShape();
    if (in.size() != 4 || one.size() != 5 || out.size() != 4 ||
        ShapedType::isDynamic(in[1]) || one[1] != in[1] || one[2] != 1 ||
        repeated[1] != in[1] || ShapedType::isDynamic(repeated[2]) ||
        out[1] != in[1] * repeated[2] || in[3] != out[3] || one[4] != in[3])
      return Value();
    // Batch and length: the same named dims all the way (by type when the
    // shapes are unknown and the dims static).
    for (auto [axis, fiveAxis] : {std::pair<int, int>{0, 0}, {2, 3}}) {
      const SymbolicShape *a = shapes ? shapes->lookupShape(heads) : nullptr;
      const SymbolicShape *b = shapes ? shapes->lookupShape(value) : nullptr;
      const SymbolicShape *r = shapes ? shapes->lookupShape(repeat) : nullptr;
      if (a && b && r) {
        if ((*a)[axis] != (*b)[axis] || (*a)[axis] != (*r)[fiveAxis])
          return Value();
      } else if (ShapedType::isDynamic(in[axis]) || in[axis] != out[axis] ||
                 in[axis] != repeated[fiveAxis]) {
        return Value();
      }
    }
    return heads;
  }

  LogicalResult matchAndRewrite(AttentionOp attention,
                                PatternRewriter &rewriter) const override {
    Value key = repeatedHeads(attention.getKey());
    Value value = repeatedHeads(attention.getValue());
    if (!key || !value ||
        cast<RankedTensorType>(key.getType()).getDimSize(1) !=
            cast<RankedTensorType>(value.getType()).getDimSize(1))
      return rewriter.notifyMatchFailure(attention, "no repeated KV heads");
    rewriter.modifyOpInPlace(attention, [&] {
      attention.getKeyMutable().assign(key);
      attention.getValueMutable().assign(value);
    });
    return success();
  }

  const SymbolicShapes *shapes;
};

struct RaiseAttentionPass
    : public tessera::impl::TesseraRaiseAttentionBase<RaiseAttentionPass> {
  void runOnOperation() override {
    // Scales first, so that they have reached the products when the
    // attention pattern looks for them.
    RewritePatternSet scales(&getContext());
    scales.add<SinkScaleBelowLayout<ReshapeOp>,
               SinkScaleBelowLayout<TransposeOp>>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(scales))))
      return signalPassFailure();
    // Names of the dims the attention pattern starts from (it creates
    // values, but looks up only the ones that exist now).
    SymbolicShapes shapes;
    bool analysed = succeeded(shapes.analyze(getOperation()));
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseAttentionPattern, RaiseGroupedQueryHeads>(
        &getContext(), analysed ? &shapes : nullptr);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

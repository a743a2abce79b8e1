//===- ClassifyAttentionMasks.cpp - masks as structure --------------------===//
//
// After tessera-raise-attention, everything a model adds to the scores is
// the attention's `bias`. This pass splits it into its added terms and
// turns each term it can prove into structure:
//
// - a key padding term, "0 where m, very negative elsewhere" broadcast from
//   a [B, Lk] m ((1 - m) · finfo.min, select(m, 0, fill), Hugging Face's
//   masked_fill of 1 - m, ...), becomes the `key_padding_mask` operand m
//   (non-zero = a real key);
// - a term that does not depend on batch or head and is 0 or very negative
//   depending on the positions (built from iota, Range, Trilu-like tables,
//   comparisons) is evaluated as a [L, L] table of visible keys and matched
//   against the mask attribute's own element predicate: causal, sliding
//   band, dilated band, either of them with global tokens; one that hides
//   nothing is dropped;
// - a term whose keep condition is a product of the two (decoders that
//   multiply the causal table with the padding mask before (1 - m) · fill)
//   becomes both, and so does a position term with the padding filled in
//   (LLaMA's causal.masked_fill(bool(padding term), fill)).
//
// The query and key lengths' named dims take the evaluation length; every
// other named dim (batch) is 1, so a position term broadcast over the batch
// evaluates like one that is not.
//
// What cannot be classified stays in `bias`: always correct, never guessed.
// The evaluation is exact for the length it runs at; it runs at a length
// beyond every constant of the term (so a band cannot hide behind it), and
// again at a shorter length, which must give the top-left corner of the
// first table (so the pattern does not depend on the length).
//
//===----------------------------------------------------------------------===//

#include "compiler/Analysis/TensorInterpreter.h"
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RaisingUtils.h"
#include "dialects/tessera/Shapes/SymbolicShapes.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERACLASSIFYATTENTIONMASKS
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {


//===----------------------------------------------------------------------===//
// Evaluating mask computations
//===----------------------------------------------------------------------===//

using Tensor = InterpretedTensor;

/// What the dynamic dims of a mask computation are: its function's shapes
/// (may be null: then every dynamic dim is a position) and which named dims
/// make the attention's query and key lengths.
struct MaskDims {
  const SymbolicShapes *shapes = nullptr;
  /// Named dims evaluated at the classification length: the query and key
  /// lengths' (the query length's only when the keys are cached ones
  /// followed by the queries).
  llvm::SmallDenseSet<unsigned> positions;
  /// The key length's other named dims (`past` in `past + seq` keys).
  llvm::SmallDenseSet<unsigned> cached;
  /// The query and key lengths, when the shapes are known.
  std::optional<DimExpr> queryLength, keyLength;
  /// The length of every other named dim.
  int64_t otherLength = 1;

  /// The cached positions' count per classification length: enough to
  /// tell a causal mask aligned at the last key from one at the first.
  static int64_t cachedLength(int64_t length) { return length / 2 + 3; }

  /// The value of every named dim at classification length `length`.
  SmallVector<int64_t> symbolValues(int64_t length) const {
    SmallVector<int64_t> values;
    if (shapes)
      for (unsigned s = 0, e = shapes->getSymbols().size(); s < e; ++s)
        values.push_back(positions.contains(s) ? length
                         : cached.contains(s)  ? cachedLength(length)
                                               : otherLength);
    return values;
  }
  /// [queries, keys] at classification length `length`.
  std::pair<int64_t, int64_t> lengths(int64_t length) const {
    SmallVector<int64_t> values = symbolValues(length);
    return {queryLength ? queryLength->evaluate(values) : length,
            keyLength ? keyLength->evaluate(values) : length};
  }
};

/// An interpreter for mask computations at classification length `length`
/// (every dynamic dim at `length` when the shapes are unknown).
TensorInterpreter maskInterpreter(int64_t length, const MaskDims &dims) {
  SmallVector<int64_t> values = dims.symbolValues(length);
  TensorInterpreter interpreter([length, values, &dims](Value value) {
    const SymbolicShape *symbolic =
        dims.shapes ? dims.shapes->lookupShape(value) : nullptr;
    SmallVector<int64_t> shape;
    for (auto [d, size] :
         llvm::enumerate(cast<RankedTensorType>(value.getType()).getShape())) {
      if (!ShapedType::isDynamic(size))
        shape.push_back(size);
      else
        shape.push_back(symbolic ? (*symbolic)[d].evaluate(values) : length);
    }
    return shape;
  });
  if (dims.shapes)
    interpreter.setSymbolValues(*dims.shapes, values);
  return interpreter;
}

/// The largest |constant| among the splat constants a term is computed
/// from: the classification length must exceed it. Fill values (-1e4,
/// finfo.min) are no positions; counting them would probe every such mask
/// at the longest length.
double largestConstant(Value value, llvm::DenseSet<Value> &seen) {
  if (!seen.insert(value).second)
    return 0;
  Operation *op = value.getDefiningOp();
  if (!op)
    return 0;
  double largest = 0;
  if (std::optional<double> c = getSplatValue(value);
      c && std::isfinite(*c) && std::abs(*c) < -kMaskedFill)
    largest = std::abs(*c);
  for (Value operand : op->getOperands())
    largest = std::max(largest, largestConstant(operand, seen));
  return largest;
}

//===----------------------------------------------------------------------===//
// Classification
//===----------------------------------------------------------------------===//

/// Which keys each query sees: [Lq][Lk].
using VisibleTable = std::vector<std::vector<bool>>;

/// The visible-keys table of a term at `length`: of an additive term (0 =
/// visible, at most kMaskedFill = hidden, every hidden key the same value,
/// which goes to `fill`), or of a keep condition (non-zero = visible);
/// std::nullopt if the term is not such a mask or depends on batch or head.
std::optional<VisibleTable> visibleKeys(Value term, int64_t length,
                                        const MaskDims &dims, bool isKeep,
                                        std::optional<double> *fill = nullptr) {
  if (cast<RankedTensorType>(term.getType()).getRank() < 2)
    return std::nullopt;
  TensorInterpreter evaluator = maskInterpreter(length, dims);
  std::optional<Tensor> t = evaluator.evaluate(term);
  if (!t || llvm::any_of(ArrayRef<int64_t>(t->shape).drop_back(2),
                         [](int64_t d) { return d != 1; }))
    return std::nullopt;
  // Broadcast a [.., 1, Lk] or [.., Lq, 1] term to [Lq, Lk].
  auto [queries, keys] = dims.lengths(length);
  int64_t rows = t->shape[t->shape.size() - 2],
          cols = t->shape[t->shape.size() - 1];
  if ((rows != 1 && rows != queries) || (cols != 1 && cols != keys))
    return std::nullopt;
  VisibleTable visible(queries, std::vector<bool>(keys));
  for (int64_t i = 0; i < queries; ++i)
    for (int64_t j = 0; j < keys; ++j) {
      double v = t->data[(rows == 1 ? 0 : i) * cols + (cols == 1 ? 0 : j)];
      if (isKeep) {
        visible[i][j] = v != 0;
        continue;
      }
      if (v != 0 && !(v <= kMaskedFill))
        return std::nullopt; // a real bias, not a mask
      visible[i][j] = v == 0;
      if (v != 0 && fill) {
        // A fully masked row computes with the value (AttentionOp's
        // mask_fill): one value for every hidden key, or no structure.
        if (*fill && **fill != v)
          return std::nullopt;
        *fill = v;
      }
    }
  return visible;
}

int64_t numKeys(const VisibleTable &visible) {
  return visible.empty() ? 0 : visible[0].size();
}

bool matches(MaskAttr mask, const VisibleTable &visible) {
  int64_t queries = visible.size(), keys = numKeys(visible);
  for (int64_t i = 0; i < queries; ++i)
    for (int64_t j = 0; j < keys; ++j)
      if (mask.isVisible(i, j, queries, keys) != visible[i][j])
        return false;
  return true;
}

/// The band (sliding, possibly dilated) that row `row` of `visible` shows,
/// ignoring the columns in `skip`; the row's query sits at key position
/// row + Lk - Lq, as in MaskAttr::isVisible.
std::optional<MaskAttr> bandOfRow(MLIRContext *context,
                                  const VisibleTable &visible, int64_t row,
                                  ArrayRef<int64_t> skip) {
  int64_t keys = numKeys(visible), first = -1, last = -1, stride = 0;
  int64_t position = row + keys - static_cast<int64_t>(visible.size());
  for (int64_t j = 0; j < keys; ++j)
    if (visible[row][j] && !llvm::is_contained(skip, j)) {
      if (first < 0)
        first = j;
      else if (stride == 0)
        stride = j - last;
      last = j;
    }
  if (first < 0 || first > position || last < position)
    return std::nullopt;
  return MaskAttr::getSliding(context, position - first, last - position,
                              std::max<int64_t>(stride, 1));
}

/// The mask attribute that reproduces `visible` exactly, if one does.
std::optional<MaskAttr> classify(MLIRContext *context,
                                 const VisibleTable &visible) {
  int64_t n = visible.size();
  auto none = MaskAttr::getNone(context);
  if (matches(none, visible))
    return none;
  auto causal = MaskAttr::getCausal(context);
  if (matches(causal, visible))
    return causal;
  // A causal mask with a prefix every query sees (a prefix LM, BLIP-2's
  // Q-Former): its length from the first row, which sees the prefix alone
  // (or its diagonal, with cached keys before it: then the match fails
  // unless the prefix is longer).
  if (n > 0) {
    int64_t prefix = 0;
    while (prefix < numKeys(visible) && visible[0][prefix])
      ++prefix;
    if (prefix > 1) {
      auto withPrefix = MaskAttr::getPrefix(context, prefix);
      if (matches(withPrefix, visible))
        return withPrefix;
    }
  }
  // A band: its reach and stride from the middle row.
  std::optional<MaskAttr> band = bandOfRow(context, visible, n / 2, {});
  if (band && matches(*band, visible))
    return band;
  // Global tokens: the positions whose row and column are all visible
  // (Longformer), around a band or causal mask for the others; only where
  // queries and keys are the same positions.
  if (numKeys(visible) != n)
    return std::nullopt;
  SmallVector<int64_t> tokens;
  for (int64_t i = 0; i < n; ++i)
    if (llvm::all_of(visible[i], [](bool v) { return v; }) &&
        llvm::all_of(visible, [&](const std::vector<bool> &row) {
          return static_cast<bool>(row[i]);
        }))
      tokens.push_back(i);
  if (tokens.empty() || static_cast<int64_t>(tokens.size()) * 2 > n)
    return std::nullopt;
  int64_t row = n / 2;
  while (llvm::is_contained(tokens, row))
    ++row;
  SmallVector<MaskAttr, 2> inners = {causal};
  if (std::optional<MaskAttr> inner = bandOfRow(context, visible, row, tokens))
    inners.push_back(*inner);
  for (MaskAttr inner : inners) {
    auto global = MaskAttr::getGlobal(context, tokens, inner);
    if (matches(global, visible))
      return global;
  }
  return std::nullopt;
}

/// The structured mask a position term (or keep condition) stands for,
/// found at one length and checked at a shorter one; for an additive term,
/// `fill` gets what it adds to the keys it hides.
std::optional<MaskAttr> classifyTerm(Value term, const MaskDims &dims,
                                     bool isKeep = false,
                                     std::optional<double> *fill = nullptr) {
  llvm::DenseSet<Value> seen;
  int64_t length =
      std::clamp<int64_t>(2 * static_cast<int64_t>(largestConstant(term, seen)) + 16,
                          64, 1024);
  // A table gathered by position bounds the length from above.
  std::optional<VisibleTable> visible;
  while (length >= 8 &&
         !(visible = visibleKeys(term, length, dims, isKeep, fill))) {
    if (fill)
      fill->reset();
    length /= 2;
  }
  if (!visible || length < 8)
    return std::nullopt;
  std::optional<MaskAttr> mask = classify(term.getContext(), *visible);
  std::optional<VisibleTable> shorter =
      visibleKeys(term, length / 2 + 1, dims, isKeep, fill);
  if (!mask || !shorter || !matches(*mask, *shorter))
    return std::nullopt;
  return mask;
}

/// A keep condition: the value, whether it must be negated, and what the
/// term adds where it does not keep.
struct KeepCondition {
  Value keep;
  bool negate;
  double fill;
};

/// For "0 where keep, very negative elsewhere", the keep condition:
/// (1 - m) · fill → m ≠ 0; select(c, 0, fill) → c; select(c, fill, 0) → ¬c;
/// Hugging Face's masked_fill, select(bool(1 - m), fill, 1 - m) → m ≠ 0
/// (masks of 0 and 1).
std::optional<KeepCondition> keepCondition(Value term) {
  auto oneMinus = [](Value v) -> Value {
    auto sub = v.getDefiningOp<SubOp>();
    if (!sub || !isSplatNear(sub.getLhs(), 1.0, 0.0))
      return Value();
    Value m = sub.getRhs();
    if (auto cast = m.getDefiningOp<CastOp>())
      m = cast.getInput();
    return m;
  };
  if (auto select = term.getDefiningOp<SelectOp>()) {
    std::optional<double> t = getSplatValue(select.getOnTrue()),
                          f = getSplatValue(select.getOnFalse());
    if (t == 0.0 && f && *f <= kMaskedFill)
      return KeepCondition{select.getCondition(), false, *f};
    if (f == 0.0 && t && *t <= kMaskedFill)
      return KeepCondition{select.getCondition(), true, *t};
    auto condition = select.getCondition().getDefiningOp<CastOp>();
    if (t && *t <= kMaskedFill && condition &&
        condition.getInput() == select.getOnFalse())
      if (Value m = oneMinus(select.getOnFalse()))
        return KeepCondition{m, false, *t};
    return std::nullopt;
  }
  Product p = collectProduct(term);
  if (p.factors.size() != 1 || !(p.constant <= kMaskedFill))
    return std::nullopt;
  if (Value m = oneMinus(p.factors[0]))
    return KeepCondition{m, false, p.constant};
  return std::nullopt;
}

/// Whether `a` and `b` are the same dim: by name where the shapes are
/// known, else by type.
bool sameDim(const MaskDims &dims, Value a, int64_t da, Value b, int64_t db) {
  const SymbolicShape *sa = dims.shapes ? dims.shapes->lookupShape(a) : nullptr;
  const SymbolicShape *sb = dims.shapes ? dims.shapes->lookupShape(b) : nullptr;
  if (sa && sb)
    return (*sa)[da] == (*sb)[db];
  return cast<RankedTensorType>(a.getType()).getDimSize(da) ==
         cast<RankedTensorType>(b.getType()).getDimSize(db);
}

/// Whether `value` is [B, 1, ..., 1, Lk] (rank 2 or more) for the
/// attention's batch and key length.
bool isPerKey(Value value, AttentionOp attention, const MaskDims &dims) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t rank = type.getRank();
  return rank >= 2 && type.getDimSize(0) != 1 &&
         llvm::all_of(type.getShape().slice(1, rank - 2),
                      [](int64_t d) { return d == 1; }) &&
         sameDim(dims, value, 0, attention.getQuery(), 0) &&
         sameDim(dims, value, rank - 1, attention.getKey(), 2);
}

/// The [B, Lk] tensor (or a [B, 1, ..., 1, Lk] view of it) a keep
/// condition is broadcast from, through reshapes, broadcasts and casts
/// that keep "non-zero": the one nearest the start of that chain (a
/// reshape may have merged the flattening of a [B, H', W'] pixel mask
/// into its view, leaving no [B, Lk] value); null where there is none.
Value paddingSource(Value keep, AttentionOp attention, const MaskDims &dims) {
  Value source = keep, found;
  while (true) {
    if (isPerKey(source, attention, dims))
      found = source;
    Operation *op = source.getDefiningOp();
    if (!op)
      break;
    auto cast = dyn_cast<CastOp>(op);
    bool truncates = cast && isa<FloatType>(getElementTypeOrSelf(
                                 cast.getInput().getType())) &&
                     !isa<FloatType>(getElementTypeOrSelf(cast.getType())) &&
                     !getElementTypeOrSelf(cast.getType()).isInteger(1);
    if (!isa<ReshapeOp, BroadcastOp>(op) && (!cast || truncates))
      break;
    source = op->getOperand(0);
  }
  // A constant broadcast (LAVIS's all-ones image mask) hides every key or
  // none: no padding; the term folds away or stays a bias.
  if (source.getDefiningOp<ConstantOp>())
    return Value();
  return found;
}

/// Checks by evaluation that `term` is `source` ([B, Lk]) ≠ 0 (negated if
/// asked) broadcast over heads and queries: with `source` one-hot at each
/// (b, k) in turn, exactly the elements [b, .., k] are visible. `additive`
/// reads the term as 0 / very negative, else as a keep condition.
bool isKeyPaddingOf(Value term, bool additive, Value source, bool negate,
                    const MaskDims &dims) {
  MaskDims probe = dims;
  probe.otherLength = 2; // a batch of two tells batch from broadcast
  constexpr int64_t kKeys = 5;
  for (int64_t hot = 0;; ++hot) {
    TensorInterpreter evaluator = maskInterpreter(kKeys, probe);
    SmallVector<int64_t> shape = evaluator.concreteShape(source);
    int64_t batch = shape.front(), keys = shape.back();
    if (hot == batch * keys)
      return true;
    Tensor oneHot{shape, std::vector<double>(batch * keys, 0.0)};
    oneHot.data[hot] = 1.0;
    evaluator.seed(source, std::move(oneHot));
    std::optional<Tensor> t = evaluator.evaluate(term);
    if (!t || t->shape.size() < 2 || t->shape.front() != batch ||
        t->shape.back() != keys)
      return false;
    int64_t perBatch = t->data.size() / batch;
    for (int64_t i = 0, e = t->data.size(); i < e; ++i) {
      double v = t->data[i];
      if (additive && v != 0 && !(v <= kMaskedFill))
        return false;
      bool visible = additive ? v == 0 : v != 0;
      bool real = (i / perBatch) * keys + i % keys == hot;
      if (visible != (real != negate))
        return false;
    }
  }
}

/// `source` ≠ 0 (negated if asked) as the i1 [B, Lk] key padding mask
/// operand.
Value keyPaddingOperand(OpBuilder &builder, Location loc, Value source,
                        bool negate, const MaskDims &dims) {
  auto type = cast<RankedTensorType>(source.getType());
  Value mask = source;
  if (type.getRank() > 2) {
    type = type.clone({type.getDimSize(0), type.getShape().back()});
    // Named where both are dynamic: a later fold into the reshapes before
    // it ([B, H', W'] -> [B, H'·W']) could not tell them otherwise.
    const SymbolicShape *shape =
        dims.shapes ? dims.shapes->lookupShape(source) : nullptr;
    ArrayAttr names;
    if (shape && !type.hasStaticShape())
      names = builder.getStrArrayAttr({dims.shapes->format(shape->front()),
                                       dims.shapes->format(shape->back())});
    mask = ReshapeOp::create(builder, loc, type, mask, names);
  }
  if (!type.getElementType().isInteger(1))
    mask = CastOp::create(builder, loc, type.clone(builder.getI1Type()), mask);
  if (negate)
    mask = NotOp::create(builder, loc, mask);
  return mask;
}

/// A term of [B, 1 or H, 1 or Lq, Lk] that is "0 where m, very negative
/// elsewhere" for a [B, Lk] m: its keep condition as the key padding mask,
/// and in `fill` what it adds to a padded key.
Value keyPaddingMask(OpBuilder &builder, Location loc, Value term,
                     AttentionOp attention, const MaskDims &dims,
                     double &fill) {
  auto type = cast<RankedTensorType>(term.getType());
  if (type.getRank() != 4 ||
      (type.getDimSize(1) != 1 &&
       type.getDimSize(1) !=
           cast<RankedTensorType>(attention.getQuery().getType())
               .getDimSize(1)) ||
      (type.getDimSize(2) != 1 &&
       !sameDim(dims, term, 2, attention.getQuery(), 2)))
    return Value();
  std::optional<KeepCondition> keep;
  if (auto reshape = term.getDefiningOp<ReshapeOp>())
    keep = keepCondition(reshape.getInput());
  if (!keep)
    keep = keepCondition(term);
  if (!keep)
    return Value();
  Value source = paddingSource(keep->keep, attention, dims);
  if (!source || !isKeyPaddingOf(term, /*additive=*/true, source,
                                 keep->negate, dims))
    return Value();
  fill = keep->fill;
  return keyPaddingOperand(builder, loc, source, keep->negate, dims);
}

/// A term whose keep condition is a product (or `and`) of a position mask
/// and a padding mask: both, or nothing; `fill` gets what the term adds to
/// a key either hides.
std::optional<std::pair<MaskAttr, Value>>
productOfMasks(OpBuilder &builder, Location loc, Value term,
               AttentionOp attention, const MaskDims &dims, double &fill) {
  std::optional<KeepCondition> keep = keepCondition(term);
  if (!keep || keep->negate)
    return std::nullopt;
  fill = keep->fill;
  Value product = keep->keep;
  if (auto cast = product.getDefiningOp<CastOp>())
    product = cast.getInput();
  Operation *op = product.getDefiningOp();
  if (!isa_and_nonnull<MulOp, AndOp>(op))
    return std::nullopt;
  for (int padding : {0, 1}) {
    Value source = paddingSource(op->getOperand(padding), attention, dims);
    if (!source || !isKeyPaddingOf(op->getOperand(padding), /*additive=*/false,
                                   source, /*negate=*/false, dims))
      continue;
    std::optional<MaskAttr> mask =
        classifyTerm(op->getOperand(1 - padding), dims, /*isKeep=*/true);
    if (!mask)
      return std::nullopt;
    return std::make_pair(*mask,
                          keyPaddingOperand(builder, loc, source, false, dims));
  }
  return std::nullopt;
}

/// A position term with a padding mask filled in (Hugging Face's decoder
/// masks since LLaMA: causal.masked_fill(bool(padding term), fill)):
/// select(bool(p), fill, t) for an additive key padding term p and a
/// position term t that hides with the same fill. Both, sharing the fill;
/// `fill` gets it.
std::optional<std::pair<MaskAttr, Value>>
maskedFillOfMasks(OpBuilder &builder, Location loc, Value term,
                  AttentionOp attention, const MaskDims &dims, double &fill) {
  auto select = term.getDefiningOp<SelectOp>();
  if (!select)
    return std::nullopt;
  std::optional<double> filled = getSplatValue(select.getOnTrue());
  auto hidden = select.getCondition().getDefiningOp<CastOp>();
  if (!filled || !(*filled <= kMaskedFill) || !hidden)
    return std::nullopt;
  std::optional<double> positionFill;
  std::optional<MaskAttr> mask =
      classifyTerm(select.getOnFalse(), dims, /*isKeep=*/false, &positionFill);
  if (!mask || (positionFill && *positionFill != *filled))
    return std::nullopt;
  double paddingFill;
  Value padding = keyPaddingMask(builder, loc, hidden.getInput(), attention,
                                 dims, paddingFill);
  if (!padding)
    return std::nullopt;
  fill = *filled;
  return std::make_pair(*mask, padding);
}

struct ClassifyAttentionMasksPass
    : public tessera::impl::TesseraClassifyAttentionMasksBase<
          ClassifyAttentionMasksPass> {
  void runOnOperation() override {
    // Shapes name the query and key lengths; without them (an analysis
    // error is reported by the passes that need shapes) every dynamic dim
    // counts as a position.
    SymbolicShapes shapes;
    bool analysed = succeeded(shapes.analyze(getOperation()));
    getOperation().walk([&](AttentionOp attention) {
      if (!attention.getBias() || attention.getKeyPaddingMask() ||
          attention.getMask() || attention.getWindowRelativeBias())
        return;
      MaskDims dims;
      if (analysed) {
        dims.shapes = &shapes;
        DimExpr queries = shapes.getShape(attention.getQuery())[2];
        DimExpr keys = shapes.getShape(attention.getKey())[2];
        dims.queryLength = queries;
        dims.keyLength = keys;
        SmallVector<unsigned> querySymbols = queries.collectSymbols();
        dims.positions.insert(querySymbols.begin(), querySymbols.end());
        // Keys that are cached ones followed by the queries (past + seq):
        // the cached count is its own length. Other keys (cross attention)
        // are positions like the queries.
        SmallVector<unsigned> cachedSymbols = (keys - queries).collectSymbols();
        bool cachedKeys =
            !cachedSymbols.empty() &&
            llvm::none_of(cachedSymbols, [&](unsigned s) {
              return dims.positions.contains(s);
            });
        for (unsigned symbol : keys.collectSymbols())
          (cachedKeys && !dims.positions.contains(symbol) ? dims.cached
                                                          : dims.positions)
              .insert(symbol);
      }
      classifyBias(attention, dims);
    });
  }

  void classifyBias(AttentionOp attention, const MaskDims &dims) {
    SmallVector<Value> terms = addedTerms(attention.getBias());
    OpBuilder builder(attention);
    Location loc = attention.getLoc();
    Value padding;
    std::optional<MaskAttr> structure;
    // What the terms that become the padding and the mask add to the keys
    // they hide (fully masked rows compute with them); one term for both
    // when `shared`.
    double paddingFill = 0, maskFill = 0;
    bool shared = false;
    SmallVector<Value> remaining;
    auto noStructure = [&] {
      return !structure || structure->getKind() == MaskKind::None;
    };
    for (Value term : terms) {
      if (!padding && (padding = keyPaddingMask(builder, loc, term, attention,
                                                dims, paddingFill)))
        continue;
      if (noStructure()) {
        std::optional<double> fill;
        std::optional<MaskAttr> mask =
            classifyTerm(term, dims, /*isKeep=*/false, &fill);
        if (mask && (!structure || mask->getKind() != MaskKind::None)) {
          structure = mask;
          maskFill = fill.value_or(0);
          continue;
        }
        if (mask) // a second term that hides nothing
          continue;
      }
      // A term that is both a position mask and the padding, in either
      // of the ways decoders combine them.
      std::optional<std::pair<MaskAttr, Value>> both;
      if (!padding && noStructure())
        for (auto combined : {productOfMasks, maskedFillOfMasks})
          if ((both = combined(builder, loc, term, attention, dims, maskFill)))
            break;
      if (both) {
        structure = both->first;
        padding = both->second;
        shared = true;
        continue;
      }
      remaining.push_back(term);
    }
    Value bias;
    for (Value term : remaining)
      bias = bias ? AddOp::create(builder, loc, bias, term).getResult() : term;
    if (bias && bias.getType() != attention.getBias().getType() &&
        cast<RankedTensorType>(bias.getType()).getRank() > 4)
      return;
    attention.getBiasMutable().clear();
    if (bias)
      attention.getBiasMutable().assign(bias);
    bool hasMask = structure && structure->getKind() != MaskKind::None;
    if (padding) {
      attention.getKeyPaddingMaskMutable().assign(padding);
      if (!shared || !hasMask)
        attention.setPaddingFillAttr(
            builder.getF32FloatAttr(shared ? maskFill : paddingFill));
    }
    if (hasMask) {
      attention.setMaskAttr(*structure);
      attention.setMaskFillAttr(builder.getF32FloatAttr(maskFill));
      if (shared && padding)
        attention.setSharedFillAttr(builder.getUnitAttr());
    }
  }
};

} // namespace

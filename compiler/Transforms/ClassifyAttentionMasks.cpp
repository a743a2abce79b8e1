//===- ClassifyAttentionMasks.cpp - masks as structure --------------------===//
//
// After tessera-raise-attention, everything a model adds to the scores is
// the attention's `bias`. This pass splits it into its added terms and
// turns each term it can prove into structure:
//
// - a key padding term, "0 where m, very negative elsewhere" over [B, 1, 1,
//   Lk] ((1 - m) · finfo.min, select(m, 0, fill), ...), becomes the
//   `key_padding_mask` operand m (non-zero = a real key);
// - a term that does not depend on batch or head and is 0 or very negative
//   depending on the positions (built from iota, Range, Trilu-like tables,
//   comparisons) is evaluated as a [L, L] table of visible keys and matched
//   against the mask attribute's own element predicate: causal, sliding
//   band, dilated band; one that hides nothing is dropped.
//
// What cannot be classified stays in `bias`: always correct, never guessed.
// The evaluation is exact for the length it runs at; it runs at a length
// beyond every constant of the term (so a band cannot hide behind it), and
// again at a shorter length, which must give the top-left corner of the
// first table (so the pattern does not depend on the length).
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RaisingUtils.h"

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
// A small interpreter for mask computations
//===----------------------------------------------------------------------===//

struct Tensor {
  SmallVector<int64_t> shape;
  std::vector<double> data;
};

int64_t count(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// Evaluates position-dependent tensors with every dynamic dim set to one
/// length. Fails on anything else (a run-time input, an unknown op).
class MaskEvaluator {
public:
  explicit MaskEvaluator(int64_t length) : length_(length) {}

  std::optional<Tensor> evaluate(Value value) {
    if (auto it = cache_.find(value); it != cache_.end())
      return it->second;
    std::optional<Tensor> result = compute(value);
    if (result)
      cache_[value] = *result;
    return result;
  }

private:
  SmallVector<int64_t> concreteShape(Type type) {
    SmallVector<int64_t> shape;
    for (int64_t d : cast<RankedTensorType>(type).getShape())
      shape.push_back(ShapedType::isDynamic(d) ? length_ : d);
    return shape;
  }

  std::optional<Tensor> broadcastTo(const Tensor &t,
                                    ArrayRef<int64_t> shape) {
    if (t.shape.size() > shape.size())
      return std::nullopt;
    Tensor out{SmallVector<int64_t>(shape), std::vector<double>(count(shape))};
    size_t offset = shape.size() - t.shape.size();
    for (int64_t i = 0, e = out.data.size(); i < e; ++i) {
      int64_t rest = i, source = 0, stride = 1;
      for (int64_t d = shape.size() - 1; d >= 0; --d) {
        int64_t index = rest % shape[d];
        rest /= shape[d];
        if (d >= static_cast<int64_t>(offset)) {
          int64_t own = t.shape[d - offset];
          if (own != 1 && own != shape[d])
            return std::nullopt;
          source += (own == 1 ? 0 : index) * stride;
          stride *= own;
        }
      }
      out.data[i] = t.data[source];
    }
    return out;
  }

  std::optional<Tensor> elementwise(Operation *op,
                                    function_ref<double(ArrayRef<double>)> f) {
    SmallVector<int64_t> shape = concreteShape(op->getResult(0).getType());
    SmallVector<Tensor> operands;
    for (Value operand : op->getOperands()) {
      std::optional<Tensor> t = evaluate(operand);
      if (!t || !(t = broadcastTo(*t, shape)))
        return std::nullopt;
      operands.push_back(std::move(*t));
    }
    Tensor out{shape, std::vector<double>(count(shape))};
    SmallVector<double> args(operands.size());
    for (size_t i = 0; i < out.data.size(); ++i) {
      for (size_t k = 0; k < operands.size(); ++k)
        args[k] = operands[k].data[i];
      out.data[i] = f(args);
    }
    return out;
  }

  std::optional<Tensor> constant(ConstantOp op) {
    auto type = cast<RankedTensorType>(op.getType());
    if (!type.hasStaticShape() || count(type.getShape()) > (1 << 22))
      return std::nullopt;
    Tensor out{SmallVector<int64_t>(type.getShape()), {}};
    Type element = type.getElementType();
    if (auto dense = dyn_cast<DenseElementsAttr>(op.getValue())) {
      if (isa<FloatType>(element))
        for (APFloat v : dense.getValues<APFloat>())
          out.data.push_back(v.convertToDouble());
      else if (element.isInteger(1))
        for (bool v : dense.getValues<bool>())
          out.data.push_back(v);
      else
        for (APInt v : dense.getValues<APInt>())
          out.data.push_back(static_cast<double>(v.getSExtValue()));
      return out;
    }
    auto resource = dyn_cast<DenseResourceElementsAttr>(op.getValue());
    AsmResourceBlob *blob =
        resource ? resource.getRawHandle().getBlob() : nullptr;
    if (!blob)
      return std::nullopt;
    if (element.isF32())
      for (float v : blob->getDataAs<float>())
        out.data.push_back(v);
    else if (element.isInteger(32))
      for (int32_t v : blob->getDataAs<int32_t>())
        out.data.push_back(v);
    else
      return std::nullopt;
    return out;
  }

  std::optional<Tensor> gather(GatherOp op) {
    std::optional<Tensor> input = evaluate(op.getInput());
    std::optional<Tensor> indices = evaluate(op.getIndices());
    if (!input || !indices)
      return std::nullopt;
    int64_t axis = op.getAxis();
    ArrayRef<int64_t> in = input->shape;
    int64_t outer = count(in.take_front(axis)), extent = in[axis],
            inner = count(in.drop_front(axis + 1));
    int64_t n = indices->data.size();
    Tensor out;
    out.shape.append(in.begin(), in.begin() + axis);
    out.shape.append(indices->shape.begin(), indices->shape.end());
    out.shape.append(in.begin() + axis + 1, in.end());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < n; ++k) {
        int64_t index = static_cast<int64_t>(indices->data[k]);
        if (index < 0)
          index += extent;
        if (index < 0 || index >= extent)
          return std::nullopt; // the table is shorter than the length
        for (int64_t i = 0; i < inner; ++i)
          out.data.push_back(input->data[(o * extent + index) * inner + i]);
      }
    return out;
  }

  std::optional<Tensor> transpose(TransposeOp op) {
    std::optional<Tensor> input = evaluate(op.getInput());
    if (!input)
      return std::nullopt;
    ArrayRef<int64_t> perm = op.getPermutation();
    Tensor out;
    for (int64_t p : perm)
      out.shape.push_back(input->shape[p]);
    out.data.resize(input->data.size());
    SmallVector<int64_t> strides(input->shape.size(), 1);
    for (int64_t d = strides.size() - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * input->shape[d + 1];
    for (int64_t i = 0, e = out.data.size(); i < e; ++i) {
      int64_t rest = i, source = 0;
      for (int64_t d = out.shape.size() - 1; d >= 0; --d) {
        source += (rest % out.shape[d]) * strides[perm[d]];
        rest /= out.shape[d];
      }
      out.data[i] = input->data[source];
    }
    return out;
  }

  std::optional<Tensor> compute(Value value) {
    Operation *op = value.getDefiningOp();
    if (!op)
      return std::nullopt; // a function argument: known only at run time
    auto binary = [&](auto f) {
      return elementwise(op, [&](ArrayRef<double> a) { return f(a[0], a[1]); });
    };
    return llvm::TypeSwitch<Operation *, std::optional<Tensor>>(op)
        .Case([&](ConstantOp c) { return constant(c); })
        .Case([&](IotaOp) -> std::optional<Tensor> {
          Tensor out{concreteShape(value.getType()), {}};
          for (int64_t i = 0; i < out.shape[0]; ++i)
            out.data.push_back(i);
          return out;
        })
        .Case([&](GatherOp g) { return gather(g); })
        .Case([&](TransposeOp t) { return transpose(t); })
        .Case<ReshapeOp, BroadcastOp>([&](Operation *) -> std::optional<Tensor> {
          std::optional<Tensor> input = evaluate(op->getOperand(0));
          SmallVector<int64_t> shape = concreteShape(value.getType());
          if (!input)
            return std::nullopt;
          if (isa<BroadcastOp>(op))
            return broadcastTo(*input, shape);
          if (count(shape) != static_cast<int64_t>(input->data.size()))
            return std::nullopt; // several dynamic dims of other sizes
          input->shape = shape;
          return input;
        })
        .Case([&](SliceOp slice) -> std::optional<Tensor> {
          std::optional<Tensor> input = evaluate(slice.getInput());
          if (!input)
            return std::nullopt;
          // Only slices that take every dynamic dim whole reach here.
          Tensor out{concreteShape(value.getType()), {}};
          int64_t rank = out.shape.size();
          SmallVector<int64_t> index(rank, 0);
          SmallVector<int64_t> strides(rank, 1);
          for (int64_t d = rank - 2; d >= 0; --d)
            strides[d] = strides[d + 1] * input->shape[d + 1];
          for (int64_t i = 0, e = count(out.shape); i < e; ++i) {
            int64_t rest = i, source = 0;
            for (int64_t d = rank - 1; d >= 0; --d) {
              int64_t step = slice.getSteps() ? (*slice.getSteps())[d] : 1;
              int64_t start = slice.getStarts()[d];
              if (start < 0)
                start = std::max<int64_t>(0, start + input->shape[d]);
              source += (start + (rest % out.shape[d]) * step) * strides[d];
              rest /= out.shape[d];
            }
            out.data.push_back(input->data[source]);
          }
          return out;
        })
        .Case([&](CastOp c) {
          Type element = getElementTypeOrSelf(c.getType());
          return elementwise(op, [&](ArrayRef<double> a) {
            if (element.isInteger(1))
              return a[0] != 0 ? 1.0 : 0.0;
            return isa<IntegerType>(element) ? std::trunc(a[0]) : a[0];
          });
        })
        .Case([&](CompareOp c) {
          ComparePredicate p = c.getPredicate();
          return binary([p](double a, double b) -> double {
            switch (p) {
            case ComparePredicate::EQ: return a == b;
            case ComparePredicate::NE: return a != b;
            case ComparePredicate::LT: return a < b;
            case ComparePredicate::LE: return a <= b;
            case ComparePredicate::GT: return a > b;
            case ComparePredicate::GE: return a >= b;
            }
            return 0.0;
          });
        })
        .Case([&](SelectOp) {
          return elementwise(op, [](ArrayRef<double> a) {
            return a[0] != 0 ? a[1] : a[2];
          });
        })
        .Case([&](AndOp) { return binary([](double a, double b) -> double { return a != 0 && b != 0; }); })
        .Case([&](OrOp) { return binary([](double a, double b) -> double { return a != 0 || b != 0; }); })
        .Case([&](AddOp) { return binary([](double a, double b) { return a + b; }); })
        .Case([&](SubOp) { return binary([](double a, double b) { return a - b; }); })
        .Case([&](MulOp) { return binary([](double a, double b) { return a * b; }); })
        .Case([&](ModOp) {
          return binary([](double a, double b) {
            if (b == 0)
              return std::nan("");
            double r = std::fmod(a, b);
            return r != 0 && (r < 0) != (b < 0) ? r + b : r;
          });
        })
        .Case([&](NotOp) { return elementwise(op, [](ArrayRef<double> a) -> double { return a[0] == 0; }); })
        .Case([&](NegOp) { return elementwise(op, [](ArrayRef<double> a) { return -a[0]; }); })
        .Case([&](AbsOp) { return elementwise(op, [](ArrayRef<double> a) { return std::abs(a[0]); }); })
        .Default([](Operation *) { return std::nullopt; });
  }

  int64_t length_;
  llvm::DenseMap<Value, Tensor> cache_;
};

/// The largest |constant| among the splat constants a term is computed
/// from: the classification length must exceed it.
double largestConstant(Value value, llvm::DenseSet<Value> &seen) {
  if (!seen.insert(value).second)
    return 0;
  Operation *op = value.getDefiningOp();
  if (!op)
    return 0;
  double largest = 0;
  if (std::optional<double> c = getSplatValue(value); c && std::isfinite(*c) &&
                                                       std::abs(*c) < 1e6)
    largest = std::abs(*c);
  for (Value operand : op->getOperands())
    largest = std::max(largest, largestConstant(operand, seen));
  return largest;
}

//===----------------------------------------------------------------------===//
// Classification
//===----------------------------------------------------------------------===//

/// The visible-keys table of an additive term (0 = visible, at most
/// kMaskedFill = hidden) as [Lq][Lk] at `length`; std::nullopt if the term
/// is not such a mask or depends on batch or head.
std::optional<std::vector<std::vector<bool>>> visibleKeys(Value term,
                                                          int64_t length) {
  auto type = cast<RankedTensorType>(term.getType());
  if (type.getRank() < 2)
    return std::nullopt;
  for (int64_t d : type.getShape().drop_back(2))
    if (d != 1)
      return std::nullopt;
  MaskEvaluator evaluator(length);
  std::optional<Tensor> t = evaluator.evaluate(term);
  if (!t)
    return std::nullopt;
  SmallVector<int64_t> shape(type.getRank(), 1);
  shape[type.getRank() - 2] = length;
  shape[type.getRank() - 1] = length;
  Tensor full;
  {
    // Broadcast a [.., 1, L] or [.., L, 1] term to [.., L, L].
    Tensor square{shape, std::vector<double>(length * length)};
    int64_t rows = t->shape[t->shape.size() - 2],
            cols = t->shape[t->shape.size() - 1];
    if ((rows != 1 && rows != length) || (cols != 1 && cols != length))
      return std::nullopt;
    for (int64_t i = 0; i < length; ++i)
      for (int64_t j = 0; j < length; ++j)
        square.data[i * length + j] =
            t->data[(rows == 1 ? 0 : i) * cols + (cols == 1 ? 0 : j)];
    full = std::move(square);
  }
  std::vector<std::vector<bool>> visible(length, std::vector<bool>(length));
  for (int64_t i = 0; i < length; ++i)
    for (int64_t j = 0; j < length; ++j) {
      double v = full.data[i * length + j];
      if (v != 0 && !(v <= kMaskedFill))
        return std::nullopt; // a real bias, not a mask
      visible[i][j] = v == 0;
    }
  return visible;
}

bool matches(MaskAttr mask, const std::vector<std::vector<bool>> &visible) {
  int64_t n = visible.size();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      if (mask.isVisible(i, j, n, n) != visible[i][j])
        return false;
  return true;
}

/// The mask attribute that reproduces `visible` exactly, if one does.
std::optional<MaskAttr> classify(MLIRContext *context,
                                 const std::vector<std::vector<bool>> &visible) {
  int64_t n = visible.size();
  auto none = MaskAttr::get(context, MaskKind::None);
  if (matches(none, visible))
    return none;
  auto causal = MaskAttr::get(context, MaskKind::Causal);
  if (matches(causal, visible))
    return causal;
  // A band: its reach and stride from the middle row.
  int64_t row = n / 2, first = -1, last = -1, stride = 0;
  for (int64_t j = 0; j < n; ++j)
    if (visible[row][j]) {
      if (first < 0)
        first = j;
      else if (stride == 0)
        stride = j - last;
      last = j;
    }
  if (first < 0)
    return std::nullopt;
  auto band = MaskAttr::get(context, MaskKind::Sliding, row - first,
                            last - row, std::max<int64_t>(stride, 1),
                            ArrayRef<int64_t>(), MaskAttr(),
                            ArrayRef<int64_t>(), std::nullopt, 0);
  if (matches(band, visible))
    return band;
  return std::nullopt;
}

/// The structured mask a position term stands for, checked at two lengths.
std::optional<MaskAttr> classifyTerm(Value term) {
  llvm::DenseSet<Value> seen;
  int64_t length =
      std::clamp<int64_t>(2 * static_cast<int64_t>(largestConstant(term, seen)) + 16,
                          64, 1024);
  // A table gathered by position bounds the length from above.
  std::optional<std::vector<std::vector<bool>>> visible;
  while (length >= 8 && !(visible = visibleKeys(term, length)))
    length /= 2;
  if (!visible || length < 8)
    return std::nullopt;
  std::optional<MaskAttr> mask = classify(term.getContext(), *visible);
  int64_t shorter = length / 2 + 1;
  std::optional<std::vector<std::vector<bool>>> corner =
      visibleKeys(term, shorter);
  if (!mask || !corner)
    return std::nullopt;
  for (int64_t i = 0; i < shorter; ++i)
    for (int64_t j = 0; j < shorter; ++j)
      if ((*corner)[i][j] != (*visible)[i][j])
        return std::nullopt;
  return mask;
}

/// For "0 where keep, very negative elsewhere", the keep condition:
/// (1 - m) · fill → m ≠ 0; select(c, 0, fill) → c; select(c, fill, 0) → ¬c.
/// Returns the value and whether it must be negated.
std::optional<std::pair<Value, bool>> keepCondition(Value term) {
  if (auto select = term.getDefiningOp<SelectOp>()) {
    std::optional<double> t = getSplatValue(select.getOnTrue()),
                          f = getSplatValue(select.getOnFalse());
    if (t == 0.0 && f && *f <= kMaskedFill)
      return std::make_pair(select.getCondition(), false);
    if (f == 0.0 && t && *t <= kMaskedFill)
      return std::make_pair(select.getCondition(), true);
    return std::nullopt;
  }
  Product p = collectProduct(term);
  if (p.factors.size() != 1 || !(p.constant <= kMaskedFill))
    return std::nullopt;
  auto oneMinus = p.factors[0].getDefiningOp<SubOp>();
  if (!oneMinus || !isSplatNear(oneMinus.getLhs(), 1.0, 0.0))
    return std::nullopt;
  Value m = oneMinus.getRhs();
  if (auto cast = m.getDefiningOp<CastOp>())
    m = cast.getInput();
  return std::make_pair(m, false);
}

/// The [B, Lk] padding mask of a [B, 1, 1, Lk] term: its keep condition
/// over a [B, Lk] tensor, with the [B, 1, 1, Lk] reshape before or after
/// the arithmetic.
Value keyPaddingMask(OpBuilder &builder, Location loc, Value term,
                     AttentionOp attention) {
  auto type = cast<RankedTensorType>(term.getType());
  auto query = cast<RankedTensorType>(attention.getQuery().getType());
  auto key = cast<RankedTensorType>(attention.getKey().getType());
  if (type.getRank() != 4 || type.getDimSize(1) != 1 ||
      type.getDimSize(2) != 1 || type.getDimSize(3) != key.getDimSize(2) ||
      type.getDimSize(0) != query.getDimSize(0) || type.getDimSize(0) == 1)
    return Value();
  std::optional<std::pair<Value, bool>> keep;
  if (auto reshape = term.getDefiningOp<ReshapeOp>())
    keep = keepCondition(reshape.getInput());
  if (!keep)
    keep = keepCondition(term);
  if (!keep)
    return Value();
  Value source = keep->first;
  if (auto reshape = source.getDefiningOp<ReshapeOp>())
    source = reshape.getInput();
  if (auto cast = source.getDefiningOp<CastOp>();
      cast && !getElementTypeOrSelf(cast.getType()).isInteger(1))
    source = cast.getInput();
  auto sourceType = cast<RankedTensorType>(source.getType());
  // [B, Lk] in the attention's batch and key dims (the frontend's reshape
  // to [B, 1, 1, Lk] names them).
  if (sourceType.getRank() != 2 ||
      sourceType.getDimSize(0) != type.getDimSize(0) ||
      sourceType.getDimSize(1) != type.getDimSize(3))
    return Value();
  Value mask = source;
  if (!sourceType.getElementType().isInteger(1))
    mask = CastOp::create(builder, loc, sourceType.clone(builder.getI1Type()),
                          mask);
  if (keep->second)
    mask = NotOp::create(builder, loc, mask);
  return mask;
}

struct ClassifyAttentionMasksPass
    : public tessera::impl::TesseraClassifyAttentionMasksBase<
          ClassifyAttentionMasksPass> {
  void runOnOperation() override {
    getOperation().walk([&](AttentionOp attention) {
      if (attention.getBias() && !attention.getKeyPaddingMask() &&
          !attention.getMask() && !attention.getWindowRelativeBias())
        classifyBias(attention);
    });
  }

  void classifyBias(AttentionOp attention) {
    // The added terms (adds used only here).
    SmallVector<Value> terms, worklist = {attention.getBias()};
    while (!worklist.empty()) {
      Value v = worklist.pop_back_val();
      auto add = v.getDefiningOp<AddOp>();
      if (add && v.hasOneUse()) {
        worklist.push_back(add.getRhs());
        worklist.push_back(add.getLhs());
      } else {
        terms.push_back(v);
      }
    }
    OpBuilder builder(attention);
    Location loc = attention.getLoc();
    Value padding;
    std::optional<MaskAttr> structure;
    SmallVector<Value> remaining;
    for (Value term : terms) {
      if (!padding && (padding = keyPaddingMask(builder, loc, term, attention)))
        continue;
      if (!structure || structure->getKind() == MaskKind::None) {
        std::optional<MaskAttr> mask = classifyTerm(term);
        if (mask && (!structure || mask->getKind() != MaskKind::None)) {
          structure = mask;
          continue;
        }
        if (mask) // a second term that hides nothing
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
    if (padding)
      attention.getKeyPaddingMaskMutable().assign(padding);
    if (structure && structure->getKind() != MaskKind::None)
      attention.setMaskAttr(*structure);
  }
};

} // namespace

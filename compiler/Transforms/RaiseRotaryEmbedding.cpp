//===- RaiseRotaryEmbedding.cpp - tessera.rotary from its formula ---------===//
//
// Exporters write a rotary position embedding as `x · cos + rot(x) · sin`,
// where rot(x) pairs the positions of the last dimension and swaps each
// pair, negating the first:
//   rotate-half:  cat(-x[..., D/2:], x[..., :D/2])          (Hugging Face)
//   interleaved:  stack(-x[..., 1::2], x[..., ::2], -1).flatten(-2) (GPT-J)
// The sum and its products are matched in any order and association (the
// negation may sit on either side of the unsqueeze); the pairing is checked
// against RotaryOp's definition through the slices' positions.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RaisingUtils.h"
#include "dialects/tessera/IR/ShapeUtils.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERARAISEROTARYEMBEDDING
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// Whether `reshape` only appends a dim of 1 (the unsqueeze before a
/// stack), so that it keeps every element where it was.
bool isTrailingUnsqueeze(ReshapeOp reshape) {
  ArrayRef<int64_t> from = reshape.getInput().getType().getShape();
  ArrayRef<int64_t> to = reshape.getType().getShape();
  return to.size() == from.size() + 1 && to.back() == 1 &&
         to.drop_back() == from;
}

/// `value` as `sign · source`, looking through negations, multiplications
/// by ±1 and trailing unsqueezes (which stack the interleaved halves).
std::pair<Value, double> signedSource(Value value) {
  double sign = 1.0;
  while (true) {
    Product p = collectProduct(value);
    if (p.factors.size() != 1 || std::abs(p.constant) != 1.0)
      return {value, sign};
    sign *= p.constant;
    value = p.factors.front();
    auto reshape = value.getDefiningOp<ReshapeOp>();
    if (!reshape || !isTrailingUnsqueeze(reshape))
      return {value, sign};
    value = reshape.getInput();
  }
}

/// The positions a slice takes from the last dimension of its input,
/// `start + i · step` for i < count, when it takes every element of the
/// others and the last dimension is static.
struct LastDimSlice {
  Value input;
  int64_t start, step, count;
};
std::optional<LastDimSlice> matchLastDimSlice(Value value) {
  auto slice = value.getDefiningOp<SliceOp>();
  if (!slice)
    return std::nullopt;
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(slice.getInput().getType()).getShape();
  ArrayRef<int64_t> starts = slice.getStarts(), ends = slice.getEnds();
  SmallVector<int64_t> steps(shape.size(), 1);
  if (std::optional<ArrayRef<int64_t>> given = slice.getSteps())
    steps.assign(given->begin(), given->end());
  int64_t last = static_cast<int64_t>(shape.size()) - 1;
  if (last < 0 || ShapedType::isDynamic(shape[last]))
    return std::nullopt;
  for (int64_t d = 0; d < last; ++d) {
    bool toEnd = ends[d] >= (int64_t(1) << 31) ||
                 (!ShapedType::isDynamic(shape[d]) && ends[d] >= shape[d]);
    if (starts[d] != 0 || steps[d] != 1 || !toEnd)
      return std::nullopt;
  }
  int64_t size = shape[last];
  auto clamp = [&](int64_t i) {
    return std::clamp<int64_t>(i < 0 ? i + size : i, 0, size);
  };
  int64_t first = clamp(starts[last]), end = clamp(ends[last]);
  int64_t step = steps[last];
  int64_t count = end <= first ? 0 : (end - first + step - 1) / step;
  return LastDimSlice{slice.getInput(), first, step, count};
}

/// The rotated term's source x and form, if `value` is rot(x): a concat of
/// (-first halves, second halves) of pairs `s` apart (RotaryOp's pairing).
struct Rotation {
  Value input;
  bool interleaved;
};
std::optional<Rotation> matchRotation(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  bool interleaved = false;
  auto concat = value.getDefiningOp<ConcatOp>();
  if (!concat) {
    // Interleaved: the stack [..., D/2, 2] flattened back to [..., D].
    auto flatten = value.getDefiningOp<ReshapeOp>();
    concat = flatten ? flatten.getInput().getDefiningOp<ConcatOp>() : nullptr;
    // [..., D/2, 2] flattened: the leading dims kept, the last two merged.
    if (!concat || concat.getType().getShape().back() != 2 ||
        concat.getType().getShape().drop_back(2) !=
            type.getShape().drop_back() ||
        concat.getType().getShape().drop_back().back() * 2 !=
            type.getShape().back())
      return std::nullopt;
    interleaved = true;
  }
  if (concat.getInputs().size() != 2 ||
      static_cast<int64_t>(concat.getAxis()) != concat.getType().getRank() - 1)
    return std::nullopt;
  auto [negated, negatedSign] = signedSource(concat.getInputs()[0]);
  auto [kept, keptSign] = signedSource(concat.getInputs()[1]);
  std::optional<LastDimSlice> second = matchLastDimSlice(negated);
  std::optional<LastDimSlice> first = matchLastDimSlice(kept);
  if (negatedSign != -1.0 || keptSign != 1.0 || !first || !second ||
      first->input != second->input || first->input.getType() != type)
    return std::nullopt;
  // Pairs (p, p + s): the kept slice takes the first positions, the
  // negated one their partners, each pair once.
  int64_t size = type.getShape().back();
  int64_t distance = interleaved ? 1 : size / 2;
  int64_t pairStep = interleaved ? 2 : 1;
  bool pairsMatch = size % 2 == 0 && first->start == 0 &&
                    second->start == distance && first->step == pairStep &&
                    second->step == pairStep && first->count == size / 2 &&
                    second->count == size / 2;
  if (!pairsMatch)
    return std::nullopt;
  return Rotation{first->input, interleaved};
}

/// Whether `table` broadcasts to `x`'s shape without widening it.
bool broadcastsTo(Value table, RankedTensorType x) {
  auto type = cast<RankedTensorType>(table.getType());
  if (type.getElementType() != x.getElementType() ||
      type.getRank() > x.getRank())
    return false;
  int64_t offset = x.getRank() - type.getRank();
  for (auto [d, size] : llvm::enumerate(type.getShape()))
    if (size != 1 && !dimsCompatible(size, x.getDimSize(d + offset)))
      return false;
  return true;
}

struct RaiseRotaryPattern : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    for (auto [rotatedTerm, plainTerm] :
         {std::pair{op.getLhs(), op.getRhs()},
          std::pair{op.getRhs(), op.getLhs()}}) {
      Product rotated = collectProduct(rotatedTerm);
      Product plain = collectProduct(plainTerm);
      if (rotated.factors.size() != 2 || plain.factors.size() != 2 ||
          rotated.constant != 1.0 || plain.constant != 1.0)
        continue;
      for (int i = 0; i < 2; ++i) {
        std::optional<Rotation> rotation = matchRotation(rotated.factors[i]);
        if (!rotation || rotation->input.getType() != op.getType())
          continue;
        Value x = rotation->input, sin = rotated.factors[1 - i];
        Value cos = plain.factors[0] == x   ? plain.factors[1]
                    : plain.factors[1] == x ? plain.factors[0]
                                            : Value();
        auto type = cast<RankedTensorType>(x.getType());
        if (!cos || !broadcastsTo(cos, type) || !broadcastsTo(sin, type))
          continue;
        rewriter.replaceOpWithNewOp<RotaryOp>(op, x, cos, sin,
                                              rotation->interleaved);
        return success();
      }
    }
    return rewriter.notifyMatchFailure(op, "not x * cos + rot(x) * sin");
  }
};

struct RaiseRotaryEmbeddingPass
    : public tessera::impl::TesseraRaiseRotaryEmbeddingBase<
          RaiseRotaryEmbeddingPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseRotaryPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

//===- RaiseWindowAttention.cpp - Swin's window chain as one attention ----===//
//
// Swin computes window attention as
//   x → roll(-shift) → window partition → Q, K, V projections → attention
//     (+ relative position bias, + the shift's region mask per window)
//   → output projection → window reverse → roll(+shift)
// where the roll is Slice + Concat and the partition and reverse are
// Reshape / Transpose chains. The projections act on each token alone, so
// they commute with any reordering of tokens: the whole chain is one
// attention over the tokens in their own order with the mask
// `window<grid, size, shift>` and the relative bias indexed by window
// positions (`window_relative_bias`). The roll, partition and reverse then
// move no data: the kernel maps positions itself.
//
// Nothing is matched by op order: the layout chains are evaluated on index
// tables (with a batch of two, so batch and window dims cannot be
// confused), and raising happens only when
//   - the partition puts exactly the tokens of `window<grid, size, shift>`
//     window w, position n at [w, n] (for some shift),
//   - the output chain puts the result of window w, position n back at that
//     token, and
//   - every added term is either shared by all windows (a relative bias,
//     indexed by window positions) or is 0 exactly where the window mask
//     sees a key and at most -100 (Swin's fill) elsewhere.
//
//===----------------------------------------------------------------------===//

#include "compiler/Analysis/TensorInterpreter.h"
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RaisingUtils.h"
#include "dialects/tessera/Shapes/SymbolicShapes.h"

#include <cmath>

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERARAISEWINDOWATTENTION
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// Swin's fill for keys outside the shift's region.
constexpr double kRegionFill = -100.0;
/// The batch the chains are evaluated with.
constexpr int64_t kProbeBatch = 2;

using Table = InterpretedTensor;

bool isLayoutOp(Operation *op) {
  return isa_and_nonnull<ReshapeOp, TransposeOp, SliceOp, ConcatOp,
                          BroadcastOp>(op);
}

/// An interpreter with every named dim at kProbeBatch.
TensorInterpreter probeInterpreter(const SymbolicShapes &shapes) {
  return TensorInterpreter([&shapes](Value value) {
    SmallVector<int64_t> values(shapes.getSymbols().size(), kProbeBatch);
    SmallVector<int64_t> shape;
    for (const DimExpr &d : shapes.getShape(value))
      shape.push_back(d.evaluate(values));
    return shape;
  });
}

/// `transpose(reshape(linear(T), [BW, N, H, D]), [0, 2, 1, 3])`: the linear.
LinearOp headProjection(Value value) {
  auto transpose = value.getDefiningOp<TransposeOp>();
  if (!transpose ||
      transpose.getPermutation() != ArrayRef<int64_t>{0, 2, 1, 3})
    return LinearOp();
  auto reshape = transpose.getInput().getDefiningOp<ReshapeOp>();
  return reshape ? reshape.getInput().getDefiningOp<LinearOp>() : LinearOp();
}

/// The one value where the layout chains through `value` end, walking
/// toward sources (to the first value no layout op defines) or toward uses
/// (to the first value no layout op uses); null when they end in several.
Value chainEnd(Value value, bool towardSources) {
  auto isChainOp = [](Operation *op) {
    return isLayoutOp(op) && !isa<BroadcastOp>(op);
  };
  Value end;
  SmallVector<Value> worklist = {value};
  llvm::DenseSet<Value> seen;
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    SmallVector<Value> next;
    if (towardSources) {
      if (isChainOp(v.getDefiningOp()))
        llvm::append_range(next, v.getDefiningOp()->getOperands());
    } else {
      for (Operation *user : v.getUsers())
        if (isChainOp(user))
          next.push_back(user->getResult(0));
    }
    if (!next.empty()) {
      llvm::append_range(worklist, next);
      continue;
    }
    if (end && end != v)
      return Value();
    end = v;
  }
  return end;
}

struct RaiseWindowAttentionPass
    : public tessera::impl::TesseraRaiseWindowAttentionBase<
          RaiseWindowAttentionPass> {
  void runOnOperation() override {
    SmallVector<AttentionOp> attentions;
    getOperation().walk([&](AttentionOp op) { attentions.push_back(op); });
    for (AttentionOp attention : attentions)
      raise(attention);
  }

  /// Replaces the window chain around `attention`; false when it is not
  /// one (nothing changes then).
  bool raise(AttentionOp attention) {
    if ((attention.getMask() &&
         attention.getMask()->getKind() != MaskKind::None) ||
        attention.getKeyPaddingMask() || attention.getAlibiSlopes() ||
        attention.getWindowRelativeBias() || !attention->hasOneUse())
      return false;
    // Q, K, V: per-token projections of the same window tokens T.
    LinearOp projections[3] = {headProjection(attention.getQuery()),
                               headProjection(attention.getKey()),
                               headProjection(attention.getValue())};
    if (!projections[0] || !projections[1] || !projections[2])
      return false;
    Value windows = projections[0].getInput();
    if (projections[1].getInput() != windows ||
        projections[2].getInput() != windows)
      return false;
    // The output: heads merged, projected per token, then laid back.
    auto merge = dyn_cast<TransposeOp>(*attention->getUsers().begin());
    if (!merge || merge.getPermutation() != ArrayRef<int64_t>{0, 2, 1, 3} ||
        !merge->hasOneUse())
      return false;
    auto mergeReshape = dyn_cast<ReshapeOp>(*merge->getUsers().begin());
    if (!mergeReshape || !mergeReshape->hasOneUse())
      return false;
    auto outProjection =
        dyn_cast<LinearOp>(*mergeReshape->getUsers().begin());
    if (!outProjection)
      return false;
    // Each raise changes the function: shapes are analysed afresh, once the
    // cheap structural checks have passed.
    SymbolicShapes shapes;
    if (failed(shapes.analyze(getOperation())))
      return false; // reported by the passes that need shapes
    Value tokens = chainEnd(windows, /*towardSources=*/true);
    Value result = chainEnd(outProjection.getResult(), /*towardSources=*/false);
    if (!tokens || !result || tokens == windows ||
        result == outProjection.getResult())
      return false;

    // Shapes: tokens [B, L, C], windows [B·W, N, C], result [B, L, C].
    const SymbolicShape &tokenShape = shapes.getShape(tokens);
    const SymbolicShape &windowShape = shapes.getShape(windows);
    if (tokenShape.size() != 3 || windowShape.size() != 3 ||
        shapes.getShape(result) != tokenShape ||
        !tokenShape[1].isConstant() || !windowShape[1].isConstant())
      return false;
    int64_t length = tokenShape[1].getCoefficient();
    int64_t positions = windowShape[1].getCoefficient();
    int64_t size = static_cast<int64_t>(std::lround(std::sqrt(positions)));
    if (size * size != positions)
      return false;
    // Which token each window position holds (per batch).
    TensorInterpreter evaluator = probeInterpreter(shapes);
    SmallVector<int64_t> xShape = evaluator.concreteShape(tokens);
    int64_t batch = xShape[0], channels = xShape[2];
    Table seeded{xShape, std::vector<double>(countElements(xShape))};
    for (int64_t i = 0, e = seeded.data.size(); i < e; ++i)
      seeded.data[i] = i / channels; // b·L + t
    evaluator.seed(tokens, seeded);
    std::optional<Table> partitioned = evaluator.evaluate(windows);
    if (!partitioned || partitioned->shape.size() != 3 ||
        partitioned->shape[0] % batch || partitioned->shape[1] != positions ||
        partitioned->shape[2] != channels)
      return false;
    int64_t numWindows = partitioned->shape[0] / batch;
    auto tokenAt = [&](int64_t window, int64_t position) {
      return static_cast<int64_t>(
          partitioned->data[(window * positions + position) * channels]);
    };
    for (int64_t i = 0, e = partitioned->data.size(); i < e; ++i)
      if (partitioned->data[i] != partitioned->data[i - i % channels])
        return false; // a token's channels were separated
    // The grid [rows, cols] and shift whose windows these are: every grid
    // of `length` tokens that windows tile, every shift below the size.
    SmallVector<int64_t> grid;
    std::optional<int64_t> shift;
    for (int64_t rows = size; rows <= length && !shift; rows += size) {
      int64_t cols = length / rows;
      if (length % rows || cols % size ||
          (rows / size) * (cols / size) != numWindows)
        continue;
      for (int64_t candidate = 0; candidate < size && !shift; ++candidate) {
        bool all = true;
        for (int64_t w = 0; w < batch * numWindows && all; ++w)
          for (int64_t n = 0; n < positions && all; ++n) {
            int64_t b = w / numWindows, local = w % numWindows;
            int64_t row = (local / (cols / size)) * size + n / size;
            int64_t col = (local % (cols / size)) * size + n % size;
            int64_t token = ((row + candidate) % rows) * cols +
                            (col + candidate) % cols;
            all = tokenAt(w, n) == b * length + token;
          }
        if (all) {
          grid = {rows, cols};
          shift = candidate;
        }
      }
    }
    if (!shift)
      return false;

    // The output chain must put window w, position n back at its token.
    TensorInterpreter back = probeInterpreter(shapes);
    SmallVector<int64_t> uShape = back.concreteShape(outProjection.getResult());
    Table outputs{uShape, std::vector<double>(countElements(uShape))};
    for (int64_t i = 0, e = outputs.data.size(); i < e; ++i)
      outputs.data[i] = tokenAt(i / (positions * channels),
                                (i / channels) % positions) *
                            channels +
                        i % channels;
    back.seed(outProjection.getResult(), outputs);
    std::optional<Table> restored = back.evaluate(result);
    if (!restored || restored->shape != xShape)
      return false;
    for (int64_t i = 0, e = restored->data.size(); i < e; ++i)
      if (restored->data[i] != i)
        return false;

    // The added terms: shared by all windows (relative bias) or the shift's
    // region mask.
    MLIRContext *context = attention.getContext();
    auto mask = MaskAttr::getWindow(context, grid, size, *shift);
    SmallVector<Value> terms, relative;
    if (Value bias = attention.getBias())
      terms = addedTerms(bias);
    int64_t heads = cast<RankedTensorType>(attention.getType()).getDimSize(1);
    for (Value term : terms) {
      auto type = cast<RankedTensorType>(term.getType());
      if (type.getRank() == 4 && type.getDimSize(0) == 1 &&
          type.getDimSize(2) == positions && type.getDimSize(3) == positions) {
        relative.push_back(term);
        continue;
      }
      std::optional<Table> values = evaluator.evaluate(term);
      if (!values || values->shape.size() != 4 ||
          values->shape[0] != batch * numWindows ||
          values->shape[2] != positions || values->shape[3] != positions)
        return false;
      int64_t termHeads = values->shape[1];
      for (int64_t i = 0, e = values->data.size(); i < e; ++i) {
        int64_t w = i / (termHeads * positions * positions);
        int64_t q = (i / positions) % positions, k = i % positions;
        int64_t qt = tokenAt(w, q) % length, kt = tokenAt(w, k) % length;
        bool visible = mask.isVisible(qt, kt, length, length);
        double v = values->data[i];
        if (visible ? v != 0 : !(v <= kRegionFill))
          return false;
      }
    }

    // One attention over the tokens in their own order.
    OpBuilder builder(outProjection);
    builder.setInsertionPointAfter(result.getDefiningOp());
    Location loc = attention.getLoc();
    auto names = [&](ArrayRef<DimExpr> dims) {
      SmallVector<std::string> strings;
      for (const DimExpr &d : dims)
        strings.push_back(shapes.format(d));
      return builder.getStrArrayAttr(llvm::to_vector_of<StringRef>(strings));
    };
    auto splitHeads = [&](LinearOp projection) -> Value {
      Value projected =
          LinearOp::create(builder, loc, tokens, projection.getWeight(),
                           projection.getBias());
      auto type = cast<RankedTensorType>(projected.getType());
      int64_t d = cast<RankedTensorType>(projection.getWeight().getType())
                      .getDimSize(0) /
                  heads;
      SmallVector<int64_t> split = {type.getDimSize(0), length, heads, d};
      Value reshaped = ReshapeOp::create(
          builder, loc, type.clone(split), projected,
          names({tokenShape[0], tokenShape[1], DimExpr::constant(heads),
                 DimExpr::constant(d)}));
      return TransposeOp::create(builder, loc, reshaped,
                                 ArrayRef<int64_t>{0, 2, 1, 3});
    };
    Value q = splitHeads(projections[0]), k = splitHeads(projections[1]),
          v = splitHeads(projections[2]);
    Value tableBias;
    for (Value term : relative)
      tableBias = tableBias ? AddOp::create(builder, loc, tableBias, term)
                                  .getResult()
                            : term;
    auto raised = AttentionOp::create(
        builder, loc, q, k, v, tableBias, /*key_padding_mask=*/Value(),
        attention.getScaleAttr(), mask, DenseF32ArrayAttr(),
        tableBias ? builder.getUnitAttr() : UnitAttr(),
        // A window always holds its query: no row is fully masked.
        /*mask_fill=*/FloatAttr(), /*padding_fill=*/FloatAttr(),
        /*shared_fill=*/UnitAttr());
    Value merged = TransposeOp::create(builder, loc, raised,
                                       ArrayRef<int64_t>{0, 2, 1, 3});
    auto mergedType = cast<RankedTensorType>(merged.getType());
    merged = ReshapeOp::create(
        builder, loc,
        mergedType.clone({mergedType.getDimSize(0), length,
                          mergedType.getDimSize(2) * mergedType.getDimSize(3)}),
        merged,
        names({tokenShape[0], tokenShape[1],
               DimExpr::constant(mergedType.getDimSize(2) *
                                 mergedType.getDimSize(3))}));
    Value projected =
        LinearOp::create(builder, loc, merged, outProjection.getWeight(),
                         outProjection.getBias());
    result.replaceAllUsesWith(projected);
    return true;
  }
};

} // namespace

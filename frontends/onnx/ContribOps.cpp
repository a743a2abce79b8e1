//===- ContribOps.cpp - ONNX Runtime's com.microsoft ops ------------------===//
//
// A model that ONNX Runtime optimised (its session option that writes the
// optimised graph) holds ONNX Runtime's own fused ops. Each is imported as
// the decomposition it fused, in Tessera's ops, so that raising sees the
// forms it sees in an exporter's graph: FusedMatMul is a matmul of
// (transposed) operands times alpha, SkipLayerNormalization a sum and a
// layer norm, the Gelu family `gelu` / `swish`; the attention ops (its
// offline transformer optimizer writes them) become `tessera.attention`
// with their masks as an additive bias, so that mask classification sees
// them as it sees an exporter's. Semantics as ONNX Runtime's
// ContribOperators.md states them; where it is silent (how a mask hides a
// key), as its CPU kernels compute.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::onnx_frontend;

namespace {

/// An operand of FusedMatMul as it is multiplied: with transBatch, dim 0
/// moves behind the other batch dims (it is the rows, or with trans the
/// columns); otherwise trans swaps the last two dims. (ORT fuses such
/// Transposes into the MatMul: an attention's Kᵀ, or [seq, batch·heads,
/// d] operands of torch.nn.MultiheadAttention.)
FailureOr<Value> orientOperand(NodeContext &node, Value x, int64_t rank,
                               bool transBatch, bool trans) {
  if (!transBatch && !trans)
    return x;
  SmallVector<int64_t> permutation(rank);
  std::iota(permutation.begin(), permutation.end(), 0);
  if (transBatch) {
    permutation.assign(llvm::seq<int64_t>(1, rank - 1).begin(),
                       llvm::seq<int64_t>(1, rank - 1).end());
    permutation.push_back(trans ? rank - 1 : 0);
    permutation.push_back(trans ? 0 : rank - 1);
  } else {
    std::swap(permutation[rank - 1], permutation[rank - 2]);
  }
  return node.create<TransposeOp>(x, permutation);
}

/// alpha · A' · B', each operand oriented by orientOperand (ORT fuses a
/// scale and Transposes into it: an attention's Q · Kᵀ / √d).
LogicalResult convertFusedMatMul(NodeContext &node) {
  if (node.rank(0) < 2 || node.rank(1) < 2)
    return node.emitError() << "multiplies a vector; Tessera imports "
                               "matrices and batches of them";
  FailureOr<Value> a = node.input(0), b = node.input(1);
  if (failed(a) || failed(b))
    return failure();
  a = orientOperand(node, *a, node.rank(0), node.intAttr("transBatchA", 0),
                    node.intAttr("transA", 0));
  if (succeeded(a))
    b = orientOperand(node, *b, node.rank(1), node.intAttr("transBatchB", 0),
                      node.intAttr("transB", 0));
  if (failed(a) || failed(b))
    return failure();
  FailureOr<Value> product = node.create<MatmulOp>(*a, *b);
  float alpha = node.floatAttr("alpha", 1.0f);
  if (succeeded(product) && alpha != 1.0f)
    product = node.create<MulOp>(
        *product, createScalar(node, node.elementType(0), alpha));
  return node.setOutput(0, product);
}

/// Input 0, plus the inputs listed in `addends` that are present.
FailureOr<Value> sumOfInputs(NodeContext &node, ArrayRef<int> addends) {
  FailureOr<Value> sum = node.input(0);
  for (int i : addends)
    if (succeeded(sum) && node.hasInput(i)) {
      FailureOr<Value> term = node.input(i);
      sum = succeeded(term) ? node.create<AddOp>(*sum, *term) : term;
    }
  return sum;
}

/// gelu(x + bias) with erf (BiasGelu, Gelu) or tanh (FastGelu).
template <GeluApproximation form> LogicalResult convertGelu(NodeContext &node) {
  FailureOr<Value> x = sumOfInputs(node, {1});
  if (failed(x))
    return failure();
  return node.setOutput(0, node.create<GeluOp>(*x, form));
}

/// x · sigmoid(alpha · x); alpha 1.702 is CLIP's quick_gelu.
LogicalResult convertQuickGelu(NodeContext &node) {
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  float alpha = node.floatAttr("alpha", 1.702f);
  return node.setOutput(
      0, node.create<SwishOp>(*x, node.builder().getF32FloatAttr(alpha)));
}

/// SkipLayerNormalization and SkipSimplifiedLayerNormalization (rms): the
/// norm over the last dim of input + skip (+ bias: input 4, or 3 for rms,
/// which has no beta), times gamma (+ beta); output 3, when named, is the
/// sum itself (the next residual).
template <bool rms> LogicalResult convertSkipNorm(NodeContext &node) {
  for (int i : {1, 2})
    if (i < node.numOutputs() && !node.node().output(i).empty())
      return node.emitError() << "uses its mean / inverse-deviation outputs "
                                 "(training graphs are not supported)";
  FailureOr<Value> sum = sumOfInputs(node, {1, rms ? 3 : 4});
  FailureOr<Value> gamma = node.input(2);
  if (failed(sum) || failed(gamma))
    return failure();
  FailureOr<Value> normed = failure();
  if (rms) {
    normed = createRootMeanSquareNorm(node, *sum, *gamma,
                                      node.floatAttr("epsilon", 1e-5f));
  } else {
    FailureOr<Value> beta = node.optionalInput(3);
    if (failed(beta))
      return failure();
    OpBuilder &b = node.builder();
    normed = node.create<LayerNormOp>(
        *sum, *gamma, *beta, b.getI64IntegerAttr(node.rank(0) - 1),
        b.getF32FloatAttr(node.floatAttr("epsilon", 1e-12f)));
  }
  if (failed(node.setOutput(0, normed)))
    return failure();
  if (node.numOutputs() > 3 && !node.node().output(3).empty())
    return node.setOutput(3, *sum);
  return success();
}

/// The dims of an attention's scores: [batch, heads, queries, keys], the
/// keys after `past` cached ones.
struct ScoreDims {
  DimExpr batch, queries, past, keys;
};

/// Which keys ONNX Runtime's key mask (Attention's mask_index,
/// MultiHeadAttention's key_padding_mask; input `i`) keeps, as booleans that
/// broadcast over the scores: (B) holds each batch's exclusive end position
/// (right padding), (2B) the ends and then the inclusive start positions
/// (left padding), (B, T) and (B, S, T) are raw masks in which a value
/// above 0 keeps the key (ORT's PrepareMask).
FailureOr<Value> keptKeys(NodeContext &node, int i, const ScoreDims &dims) {
  FailureOr<Value> mask = node.input(i);
  if (failed(mask))
    return failure();
  const SymbolicShape &shape = node.shape(i);
  Type element = node.elementType(i);
  DimExpr one = DimExpr::constant(1), two = DimExpr::constant(2);
  const DimExpr &batch = dims.batch, &total = dims.keys;
  if (!element.isInteger() || element.isInteger(1))
    return node.emitError()
           << "has a mask of " << element << "; ONNX Runtime's masks are int32";
  if (shape.size() >= 2 && shape.size() <= 3 && shape.front() == batch &&
      shape.back() == total &&
      (shape.size() == 2 || shape[1] == dims.queries)) {
    FailureOr<Value> keep = node.create<CompareOp>(
        ComparePredicate::GT, *mask, createScalar(node, element, 0));
    if (failed(keep))
      return failure();
    return createReshape(
        node, *keep,
        {batch, one, shape.size() == 3 ? dims.queries : one, total});
  }
  bool starts = shape.size() == 1 && shape[0] == batch * two;
  if (shape.size() != 1 || !(shape[0] == batch || starts))
    return node.emitError()
           << "has a mask of " << shapeText(shape, node) << " over scores of "
           << shapeText({batch, dims.queries, total}, node)
           << "; Tessera reads ONNX Runtime's [batch] end positions, [2 · "
              "batch] ends and starts, and [batch, keys] or [batch, "
              "queries, keys] masks";
  // [B] or [2, B] positions: the ends, then the starts, a column per batch.
  FailureOr<SmallVector<Value>> positions =
      createSplit(node, createReshape(node, *mask, {starts ? two : one, batch}),
                  0, SmallVector<int64_t>(starts ? 2 : 1, 1));
  FailureOr<Value> keys = createIota(node, total, element);
  if (failed(positions) || failed(keys))
    return failure();
  auto column = [&](int i) {
    return createReshape(node, (*positions)[i], {batch, one});
  };
  FailureOr<Value> keep =
      node.create<CompareOp>(ComparePredicate::LT, *keys, column(0));
  if (succeeded(keep) && starts) {
    FailureOr<Value> after =
        node.create<CompareOp>(ComparePredicate::GE, *keys, column(1));
    keep = succeeded(after) ? node.create<AndOp>(*keep, *after) : after;
  }
  if (failed(keep))
    return failure();
  return createReshape(node, *keep, {batch, one, one, total});
}

/// The additive bias ONNX Runtime's attention ops put on their scores:
/// `mask_filter_value` where the key mask (input `maskInput`) hides a key,
/// the lowest float after a query's own position when `unidirectional`,
/// and input `biasInput` (attention_bias) as given. Null where there is
/// none.
FailureOr<Value> scoreBias(NodeContext &node, int maskInput, int biasInput,
                           const ScoreDims &dims) {
  Type element = node.elementType(0);
  Value zero = createScalar(node, element, 0.0);
  FailureOr<Value> bias = Value();
  if (node.hasInput(maskInput)) {
    FailureOr<Value> keep = keptKeys(node, maskInput, dims);
    bias = succeeded(keep)
               ? node.create<SelectOp>(
                     *keep, zero,
                     createScalar(node, element,
                                  node.floatAttr("mask_filter_value", -1e4f)))
               : keep;
  }
  auto addTerm = [&](FailureOr<Value> term) {
    if (failed(bias) || failed(term))
      bias = failure();
    else
      bias = *bias ? node.create<AddOp>(*bias, *term) : term;
  };
  if (succeeded(bias) && node.intAttr("unidirectional", 0)) {
    double lowest =
        llvm::APFloat::getLargest(cast<FloatType>(element).getFloatSemantics(),
                                  /*Negative=*/true)
            .convertToDouble();
    addTerm(createCausalBias(node, element, dims.queries, dims.keys, dims.past,
                             lowest));
  }
  if (succeeded(bias) && node.hasInput(biasInput))
    addTerm(node.input(biasInput));
  return bias;
}

/// softmax(scale · Q·Kᵀ + bias) · V over [B, N, S, H] heads, merged back
/// into [B, S, N·Hv]: what both of ONNX Runtime's attention ops compute once
/// their inputs are heads. Their `scale` of 0 is the default, 1/√H.
FailureOr<Value> attendAndMerge(NodeContext &node, Value q, Value k, Value v,
                                Value bias) {
  float scale = node.floatAttr("scale", 0.0f);
  FailureOr<Value> y = node.create<AttentionOp>(
      q, k, v, bias, /*key_padding_mask=*/Value(),
      scale != 0.0f ? node.builder().getF32FloatAttr(scale) : FloatAttr(),
      MaskAttr(), DenseF32ArrayAttr(), UnitAttr(), FloatAttr(), FloatAttr(),
      UnitAttr());
  return succeeded(y) ? mergeHeads(node, *y) : y;
}

/// Keys or values [B, N, L, H] after the cached ones in `past`.
FailureOr<Value> afterPast(NodeContext &node, Value past, Value x) {
  return node.create<ConcatOp>(ValueRange{past, x}, 2);
}

/// com.microsoft.Attention: BERT's and GPT-2's self-attention with the
/// Q/K/V projection merged into one weight [in, Dq + Dk + Dv] (computed as
/// one matmul and sliced, the form tessera-fuse-horizontal-linears gives),
/// an optional past [2, B, N, P, H] and present.
LogicalResult convertContribAttention(NodeContext &node) {
  if (node.intAttr("do_rotary", 0))
    return node.emitError() << "rotates its queries and keys (do_rotary), "
                               "which Tessera does not import";
  if (node.intAttr("past_present_share_buffer", 0) || node.hasInput(6))
    return node.emitError()
           << "shares one buffer between past and present "
              "(past_present_share_buffer, past_sequence_length); "
              "Tessera reads a past of its own length";
  const SymbolicShape &in = node.shape(0), &w = node.shape(1);
  if (in.size() != 3 || w.size() != 2 || !w[1].isConstant())
    return node.emitError() << "has input " << shapeText(in, node)
                            << " and weights " << shapeText(w, node)
                            << "; expected [batch, sequence, hidden] and a "
                               "static [hidden, Q + K + V widths]";
  int64_t width = w[1].getCoefficient();
  SmallVector<int64_t> sizes(3, width / 3);
  if (std::optional<SmallVector<int64_t>> given =
          node.intsAttr("qkv_hidden_sizes"))
    sizes = *given;
  if (sizes.size() != 3 || sizes[0] != sizes[1] ||
      sizes[0] + sizes[1] + sizes[2] != width)
    return node.emitError()
           << "has weights " << shapeText(w, node)
           << " that do not split into Q, K and V of "
           << (sizes.size() == 3 ? "the widths given" : "three widths")
           << " (qkv_hidden_sizes)";
  FailureOr<Value> x = node.input(0), weights = node.input(1);
  if (failed(x) || failed(weights))
    return failure();
  FailureOr<Value> qkv = node.create<MatmulOp>(*x, *weights);
  if (succeeded(qkv) && node.hasInput(2)) {
    FailureOr<Value> bias = node.input(2);
    qkv = succeeded(bias) ? node.create<AddOp>(*qkv, *bias) : bias;
  }
  if (failed(qkv))
    return failure();
  int64_t heads = node.intAttr("num_heads", 0);
  FailureOr<SmallVector<Value>> qkvHeads = createSplit(node, *qkv, 2, sizes);
  if (failed(qkvHeads))
    return failure();
  static constexpr StringLiteral kWhat[] = {"a query", "a key", "a value"};
  for (auto [part, what] : llvm::zip(*qkvHeads, kWhat)) {
    FailureOr<Value> split = splitHeads(node, part, heads, what, "num_heads");
    if (failed(split))
      return failure();
    part = *split;
  }
  Value q = (*qkvHeads)[0], k = (*qkvHeads)[1], v = (*qkvHeads)[2];
  ScoreDims dims{in[0], in[1], DimExpr::constant(0), in[1]};
  if (node.hasInput(4)) {
    const SymbolicShape &past = node.shape(4);
    FailureOr<Value> cached = node.input(4);
    if (failed(cached))
      return failure();
    if (past.size() != 5 || past[0] != DimExpr::constant(2))
      return node.emitError() << "has a past of " << shapeText(past, node)
                              << "; expected [2, batch, heads, past, head "
                                 "size]";
    FailureOr<SmallVector<Value>> keysAndValues =
        createSplit(node, *cached, 0, {1, 1});
    if (failed(keysAndValues))
      return failure();
    SmallVector<DimExpr> one(past.begin() + 1, past.end());
    FailureOr<Value> keys =
        afterPast(node, createReshape(node, (*keysAndValues)[0], one), k);
    FailureOr<Value> values =
        succeeded(keys)
            ? afterPast(node, createReshape(node, (*keysAndValues)[1], one), v)
            : keys;
    if (failed(values))
      return failure();
    k = *keys;
    v = *values;
    dims.past = past[3];
    dims.keys = past[3] + in[1];
  }
  if (node.numOutputs() > 1 && !node.node().output(1).empty()) {
    // present: the keys and values stacked, [2, B, N, T, H].
    FailureOr<SymbolicShape> shape = node.shapeOf(k);
    if (failed(shape))
      return failure();
    SmallVector<DimExpr> stacked{DimExpr::constant(1)};
    stacked.append(shape->begin(), shape->end());
    if (failed(node.setOutput(
            1,
            node.create<ConcatOp>(ValueRange{createReshape(node, k, stacked),
                                             createReshape(node, v, stacked)},
                                  0))))
      return failure();
  }
  FailureOr<Value> bias = scoreBias(node, 3, 5, dims);
  if (failed(bias))
    return failure();
  return node.setOutput(0, attendAndMerge(node, q, k, v, *bias));
}

/// com.microsoft.MultiHeadAttention: attention over projected queries, keys
/// and values ([B, S, D]; keys and values may be [B, N, L, H] already, a
/// cross-attention's cache), a bias [D + Dk + Dv] added to the three, past
/// keys and values [B, N, P, H] and their present.
LogicalResult convertMultiHeadAttention(NodeContext &node) {
  if (!node.hasInput(1) || node.rank(1) == 5)
    return node.emitError() << "packs its "
                            << (node.hasInput(1) ? "keys and values"
                                                 : "queries, keys and values")
                            << " into one input; Tessera reads them apart";
  if (node.hasInput(8) || node.hasInput(9))
    return node.emitError() << "reads a shared past buffer "
                               "(past_sequence_length, cache_indirection); "
                               "Tessera reads a past of its own length";
  if (node.numOutputs() > 3 && !node.node().output(3).empty())
    return node.emitError() << "returns its scores (output qk)";
  if (!node.hasInput(2) || node.rank(0) != 3 || node.rank(1) != node.rank(2) ||
      (node.rank(1) != 3 && node.rank(1) != 4))
    return node.emitError() << "has query " << shapeText(node.shape(0), node)
                            << " and keys and values that are not both "
                               "[batch, length, hidden] or [batch, heads, "
                               "length, head size]";
  if (node.hasInput(6) != node.hasInput(7))
    return node.emitError() << "has a past key without a past value, or the "
                               "reverse";
  bool split = node.rank(1) == 4;
  if (split && (node.hasInput(3) || node.hasInput(6)))
    return node.emitError() << "adds a bias or a past to keys already split "
                               "into heads; Tessera reads these only with "
                               "[batch, length, hidden] keys";
  SmallVector<Value, 3> qkv;
  for (int i = 0; i < 3; ++i) {
    FailureOr<Value> x = node.input(i);
    if (failed(x))
      return failure();
    qkv.push_back(*x);
  }
  if (node.hasInput(3)) {
    SmallVector<int64_t> widths;
    for (int i = 0; i < 3; ++i) {
      const DimExpr &width = node.shape(i).back();
      if (!width.isConstant())
        return node.emitError()
               << "has input " << i << " of " << shapeText(node.shape(i), node)
               << "; its last dim must be static";
      widths.push_back(width.getCoefficient());
    }
    FailureOr<Value> bias = node.input(3);
    FailureOr<SmallVector<Value>> parts =
        succeeded(bias) ? createSplit(node, *bias, 0, widths)
                        : FailureOr<SmallVector<Value>>(failure());
    if (failed(parts))
      return failure();
    for (auto [x, part] : llvm::zip(qkv, *parts)) {
      FailureOr<Value> sum = node.create<AddOp>(x, part);
      if (failed(sum))
        return failure();
      x = *sum;
    }
  }
  int64_t heads = node.intAttr("num_heads", 0);
  static constexpr StringLiteral kWhat[] = {"a query", "keys", "values"};
  for (int i = 0; i < (split ? 1 : 3); ++i) {
    FailureOr<Value> part =
        splitHeads(node, qkv[i], heads, kWhat[i], "num_heads");
    if (failed(part))
      return failure();
    qkv[i] = *part;
  }
  FailureOr<SymbolicShape> keyShape = node.shapeOf(qkv[1]);
  if (failed(keyShape))
    return failure();
  const SymbolicShape &query = node.shape(0);
  ScoreDims dims{query[0], query[1], DimExpr::constant(0), (*keyShape)[2]};
  if (node.hasInput(6)) {
    FailureOr<Value> pastKey = node.input(6), pastValue = node.input(7);
    FailureOr<Value> keys =
        succeeded(pastKey) ? afterPast(node, *pastKey, qkv[1]) : pastKey;
    FailureOr<Value> values = succeeded(keys) && succeeded(pastValue)
                                  ? afterPast(node, *pastValue, qkv[2])
                                  : FailureOr<Value>(failure());
    if (failed(values))
      return failure();
    qkv[1] = *keys;
    qkv[2] = *values;
    dims.past = node.shape(6)[2];
    dims.keys = dims.past + dims.keys;
  }
  FailureOr<Value> bias = scoreBias(node, 4, 5, dims);
  if (failed(bias) ||
      failed(node.setOutput(
          0, attendAndMerge(node, qkv[0], qkv[1], qkv[2], *bias))))
    return failure();
  for (int i : {1, 2})
    if (node.numOutputs() > i && !node.node().output(i).empty() &&
        failed(node.setOutput(i, qkv[i])))
      return failure();
  return success();
}

/// com.microsoft.EmbedLayerNormalization: BERT's embeddings (word +
/// position + segment, gathered) and their layer norm; mask_index is the
/// number of ones in each row of the mask (zeros without one), and
/// embedding_sum the sum before the norm.
LogicalResult convertEmbedLayerNormalization(NodeContext &node) {
  for (int i : {2, 3, 5, 6})
    if (!node.hasInput(i))
      return node.emitError() << "has no input " << i
                              << " (the word and position tables, gamma and "
                                 "beta are required)";
  if (node.hasInput(1) != node.hasInput(4))
    return node.emitError() << "has segment ids without a segment table, or "
                               "the reverse";
  const SymbolicShape &ids = node.shape(0);
  if (ids.size() != 2)
    return node.emitError() << "has input ids of " << shapeText(ids, node)
                            << "; expected [batch, sequence]";
  OpBuilder &b = node.builder();
  auto lookUp = [&](int table, FailureOr<Value> indices) -> FailureOr<Value> {
    FailureOr<Value> rows = node.input(table);
    if (failed(rows) || failed(indices))
      return failure();
    return node.create<GatherOp>(*rows, *indices, b.getI64IntegerAttr(0));
  };
  FailureOr<Value> sum = lookUp(2, node.input(0));
  // Positions 0, 1, ... unless position_ids names them.
  FailureOr<Value> positions =
      lookUp(3, node.hasInput(8) ? node.input(8)
                                 : createIota(node, ids[1], b.getI32Type()));
  sum = succeeded(sum) && succeeded(positions)
            ? node.create<AddOp>(*sum, *positions)
            : FailureOr<Value>(failure());
  if (succeeded(sum) && node.hasInput(1)) {
    FailureOr<Value> segments = lookUp(4, node.input(1));
    sum = succeeded(segments) ? node.create<AddOp>(*sum, *segments) : segments;
  }
  FailureOr<Value> gamma = node.input(5), beta = node.input(6);
  if (failed(sum) || failed(gamma) || failed(beta))
    return failure();
  if (failed(node.setOutput(
          0, node.create<LayerNormOp>(
                 *sum, *gamma, *beta, b.getI64IntegerAttr(2),
                 b.getF32FloatAttr(node.floatAttr("epsilon", 1e-12f))))))
    return failure();
  if (node.numOutputs() > 1 && !node.node().output(1).empty()) {
    Type i32 = b.getI32Type();
    FailureOr<Value> count = failure();
    if (node.hasInput(7)) {
      FailureOr<Value> mask = node.input(7);
      Type element = node.elementType(7);
      FailureOr<Value> ones =
          succeeded(mask)
              ? node.create<CompareOp>(ComparePredicate::EQ, *mask,
                                       createScalar(node, element, 1))
              : mask;
      ones = succeeded(ones)
                 ? node.create<SelectOp>(*ones, createScalar(node, i32, 1),
                                         createScalar(node, i32, 0))
                 : ones;
      count = succeeded(ones)
                  ? node.create<ReduceSumOp>(*ones, ArrayRef<int64_t>{1},
                                             /*keepdims=*/false)
                  : ones;
    } else {
      count = createBroadcast(node, createScalar(node, i32, 0), {ids[0]});
    }
    if (failed(node.setOutput(1, count)))
      return failure();
  }
  if (node.numOutputs() > 2 && !node.node().output(2).empty())
    return node.setOutput(2, *sum);
  return success();
}

} // namespace

void mlir::tessera::onnx_frontend::addContribConverters(ConverterTable &table) {
  table["com.microsoft.FusedMatMul"] = {convertFusedMatMul, {2, 2}};
  table["com.microsoft.Gelu"] = {convertGelu<GeluApproximation::None>, {1, 1}};
  table["com.microsoft.BiasGelu"] = {convertGelu<GeluApproximation::None>,
                                     {2, 2}};
  table["com.microsoft.FastGelu"] = {convertGelu<GeluApproximation::Tanh>,
                                     {1, 2}};
  table["com.microsoft.QuickGelu"] = {convertQuickGelu, {1, 1}};
  table["com.microsoft.RotaryEmbedding"] = {
      [](NodeContext &node) -> LogicalResult {
        if (node.floatAttr("scale", 1.0f) != 1.0f)
          return node.emitError() << "scales its positions (scale = "
                                  << node.floatAttr("scale", 1.0f)
                                  << "), which Tessera does not";
        if (node.intAttr("is_packed_batching", 0) != 0)
          return node.emitError() << "packs its batch (is_packed_batching), "
                                     "which Tessera does not";
        return convertRotaryEmbedding(
            node, {/*x=*/0, /*cos=*/2, /*sin=*/3, /*positions=*/1});
      },
      {4, 4}};
  table["com.microsoft.Attention"] = {convertContribAttention, {2, 7}, {1, 2}};
  table["com.microsoft.MultiHeadAttention"] = {
      convertMultiHeadAttention, {1, 10}, {1, 4}};
  table["com.microsoft.EmbedLayerNormalization"] = {
      // Inputs 1 and 4 (segments) are optional: the others are checked.
      convertEmbedLayerNormalization,
      {1, 9},
      {1, 3}};
  table["com.microsoft.SkipLayerNormalization"] = {
      convertSkipNorm<false>, {3, 5}, {1, 4}};
  table["com.microsoft.SkipSimplifiedLayerNormalization"] = {
      convertSkipNorm<true>, {3, 4}, {1, 4}};
}

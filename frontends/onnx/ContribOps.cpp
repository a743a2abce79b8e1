//===- ContribOps.cpp - ONNX Runtime's com.microsoft ops ------------------===//
//
// A model that ONNX Runtime optimised (its session option that writes the
// optimised graph) holds ONNX Runtime's own fused ops. Each is imported as
// the decomposition it fused, in Tessera's ops, so that raising sees the
// forms it sees in an exporter's graph: FusedMatMul is a matmul of
// (transposed) operands times alpha, SkipLayerNormalization a sum and a
// layer norm, the Gelu family `gelu` / `swish`. Semantics as ONNX
// Runtime's ContribOperators.md states them.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>
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
  table["com.microsoft.SkipLayerNormalization"] = {
      convertSkipNorm<false>, {3, 5}, {1, 4}};
  table["com.microsoft.SkipSimplifiedLayerNormalization"] = {
      convertSkipNorm<true>, {3, 4}, {1, 4}};
}

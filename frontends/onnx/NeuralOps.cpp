//===- NeuralOps.cpp - ONNX matmuls, normalizations and reductions --------===//
//
// MatMul, Gemm, Softmax, LayerNormalization, ReduceMean / ReduceSum /
// ReduceMax / ReduceL2, ArgMax, GlobalAveragePool. Decomposed forms of the
// transformer ops (attention, layer norm before opset 17, GELU, linear from
// MatMul + Add) are imported as they are and raised by the raise phase.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/tessera/IR/TesseraOps.h"

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::onnx_frontend;

namespace {

LogicalResult convertMatMul(NodeContext &node) {
  if (node.rank(0) < 2 || node.rank(1) < 2)
    return node.emitError() << "multiplies a vector (rank "
                            << std::min(node.rank(0), node.rank(1))
                            << "); Tessera imports matrices and batches of "
                               "them";
  FailureOr<Value> a = node.input(0), b = node.input(1);
  if (failed(a) || failed(b))
    return failure();
  return node.setOutput(0,
                        MatmulOp::create(node.builder(), node.loc(), *a, *b));
}

/// Y = alpha · A' · B' + beta · C. With B transposed, 2-D, alpha = beta = 1
/// and a 1-D C this is exactly `linear` (PyTorch's nn.Linear export).
LogicalResult convertGemm(NodeContext &node) {
  float alpha = node.floatAttr("alpha", 1.0f), beta = node.floatAttr("beta", 1.0f);
  bool transA = node.intAttr("transA", 0), transB = node.intAttr("transB", 0);
  FailureOr<Value> a = node.input(0), b = node.input(1);
  if (failed(a) || failed(b))
    return failure();
  OpBuilder &builder = node.builder();
  Location loc = node.loc();
  std::optional<Value> c;
  if (node.hasInput(2)) {
    FailureOr<Value> bias = node.input(2);
    if (failed(bias))
      return failure();
    c = *bias;
  }
  if (transB && !transA && alpha == 1.0f && (!c || (beta == 1.0f &&
                                                    node.rank(2) == 1)))
    return node.setOutput(
        0, LinearOp::create(builder, loc, *a, *b, c.value_or(Value())));
  Value product =
      MatmulOp::create(builder, loc, *a, *b, transA, transB).getResult();
  auto scalar = [&](float value, Type element) -> Value {
    auto type = RankedTensorType::get({}, element);
    return ConstantOp::create(builder, loc, type,
                              DenseElementsAttr::get(type, value));
  };
  Type element = node.elementType(0);
  if (alpha != 1.0f)
    product = MulOp::create(builder, loc, product, scalar(alpha, element));
  if (c) {
    Value term = *c;
    if (beta != 1.0f)
      term = MulOp::create(builder, loc, term, scalar(beta, element));
    product = AddOp::create(builder, loc, product, term);
  }
  return node.setOutput(0, product);
}

LogicalResult convertSoftmax(NodeContext &node) {
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.intAttr("axis", -1), node.rank(0));
  FailureOr<Value> x = node.input(0);
  if (failed(axis) || failed(x))
    return failure();
  return node.setOutput(
      0, SoftmaxOp::create(node.builder(), node.loc(), *x, *axis));
}

LogicalResult convertLayerNormalization(NodeContext &node) {
  int64_t rank = node.rank(0);
  FailureOr<int64_t> axis = node.normalizeAxis(node.intAttr("axis", -1), rank);
  if (failed(axis))
    return failure();
  if (*axis != rank - 1)
    return node.emitError() << "normalizes from axis " << *axis
                            << "; Tessera's layer_norm normalizes the last "
                               "dim";
  if (node.numOutputs() > 1 &&
      llvm::any_of(llvm::drop_begin(node.node().output()),
                   [](const std::string &name) { return !name.empty(); }))
    return node.emitError() << "uses its mean / inverse-deviation outputs "
                               "(training graphs are not supported)";
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  Value scale, bias;
  if (node.hasInput(1)) {
    FailureOr<Value> s = node.input(1);
    if (failed(s))
      return failure();
    scale = *s;
  }
  if (node.hasInput(2)) {
    FailureOr<Value> b = node.input(2);
    if (failed(b))
      return failure();
    bias = *b;
  }
  return node.setOutput(
      0, LayerNormOp::create(
             node.builder(), node.loc(), *x, scale, bias,
             node.builder().getI64IntegerAttr(*axis),
             node.builder().getF32FloatAttr(node.floatAttr("epsilon", 1e-5f))));
}

/// Axes of a Reduce* node: an attribute up to `attributeUntil` (exclusive),
/// then input 1. No axes reduce everything, unless noop_with_empty_axes.
FailureOr<std::optional<SmallVector<int64_t>>>
reductionAxes(NodeContext &node, int64_t inputFrom) {
  FailureOr<std::optional<SmallVector<int64_t>>> axes =
      node.axes(1, inputFrom);
  if (failed(axes))
    return failure();
  int64_t rank = node.rank(0);
  if (!*axes || (*axes)->empty()) {
    if (node.intAttr("noop_with_empty_axes", 0))
      return std::optional<SmallVector<int64_t>>(); // identity
    return std::optional<SmallVector<int64_t>>(
        llvm::to_vector(llvm::seq<int64_t>(0, rank)));
  }
  SmallVector<int64_t> normalized;
  for (int64_t axis : **axes) {
    FailureOr<int64_t> a = node.normalizeAxis(axis, rank);
    if (failed(a))
      return failure();
    normalized.push_back(*a);
  }
  llvm::sort(normalized);
  return std::optional<SmallVector<int64_t>>(normalized);
}

template <typename Op, int64_t kAxesInputFrom>
LogicalResult convertReduce(NodeContext &node) {
  FailureOr<std::optional<SmallVector<int64_t>>> axes =
      reductionAxes(node, kAxesInputFrom);
  if (failed(axes))
    return failure();
  if (!*axes) {
    node.forwardInput(0, 0);
    return success();
  }
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  return node.setOutput(
      0, Op::create(node.builder(), node.loc(), *x, **axes,
                    static_cast<bool>(node.intAttr("keepdims", 1))));
}

/// ReduceL2 = sqrt(reduce_sum(x · x)).
LogicalResult convertReduceL2(NodeContext &node) {
  FailureOr<std::optional<SmallVector<int64_t>>> axes = reductionAxes(node, 18);
  FailureOr<Value> x = node.input(0);
  if (failed(axes) || failed(x))
    return failure();
  if (!*axes)
    return node.setOutput(
        0, AbsOp::create(node.builder(), node.loc(), *x));
  OpBuilder &b = node.builder();
  Value square = MulOp::create(b, node.loc(), *x, *x);
  Value sum = ReduceSumOp::create(b, node.loc(), square, **axes,
                                  static_cast<bool>(node.intAttr("keepdims", 1)));
  return node.setOutput(0, SqrtOp::create(b, node.loc(), sum));
}

LogicalResult convertArgMax(NodeContext &node) {
  if (node.intAttr("select_last_index", 0))
    return node.emitError() << "with select_last_index is not supported";
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.intAttr("axis", 0), node.rank(0));
  FailureOr<Value> x = node.input(0);
  if (failed(axis) || failed(x))
    return failure();
  return node.setOutput(
      0, ArgMaxOp::create(node.builder(), node.loc(), *x, *axis,
                          static_cast<bool>(node.intAttr("keepdims", 1))));
}

LogicalResult convertGlobalAveragePool(NodeContext &node) {
  int64_t rank = node.rank(0);
  if (rank < 3)
    return node.emitError() << "needs [N, C, spatial...] input";
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  return node.setOutput(
      0, ReduceMeanOp::create(node.builder(), node.loc(), *x,
                              llvm::to_vector(llvm::seq<int64_t>(2, rank)),
                              /*keepdims=*/true));
}

} // namespace

void mlir::tessera::onnx_frontend::addNeuralConverters(ConverterTable &table) {
  table["MatMul"] = convertMatMul;
  table["Gemm"] = convertGemm;
  table["Softmax"] = convertSoftmax;
  table["LayerNormalization"] = convertLayerNormalization;
  // Axes moved from an attribute to input 1: ReduceSum at opset 13, the
  // others at 18.
  table["ReduceSum"] = convertReduce<ReduceSumOp, 13>;
  table["ReduceMean"] = convertReduce<ReduceMeanOp, 18>;
  table["ReduceMax"] = convertReduce<ReduceMaxOp, 18>;
  table["ReduceL2"] = convertReduceL2;
  table["ArgMax"] = convertArgMax;
  table["GlobalAveragePool"] = convertGlobalAveragePool;
}

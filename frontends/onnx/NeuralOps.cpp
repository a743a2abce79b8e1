//===- NeuralOps.cpp - ONNX matmuls, normalizations and reductions --------===//
//
// MatMul, Gemm, Conv (patch embeddings), Softmax, LayerNormalization,
// ReduceMean / ReduceSum / ReduceMax / ReduceL2, ArgMax, CumSum,
// GlobalAveragePool. Decomposed forms of the
// transformer ops (attention, layer norm before opset 17, GELU, linear from
// MatMul + Add) are imported as they are and raised by the raise phase.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/IR/DialectResourceBlobManager.h"

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
  return node.setOutput(0, node.create<MatmulOp>(*a, *b));
}

/// Y = alpha · A' · B' + beta · C. With B transposed, 2-D, alpha = beta = 1
/// and a 1-D C this is exactly `linear` (PyTorch's nn.Linear export).
LogicalResult convertGemm(NodeContext &node) {
  float alpha = node.floatAttr("alpha", 1.0f), beta = node.floatAttr("beta", 1.0f);
  bool transA = node.intAttr("transA", 0), transB = node.intAttr("transB", 0);
  FailureOr<Value> a = node.input(0), b = node.input(1);
  if (failed(a) || failed(b))
    return failure();
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
        0, node.create<LinearOp>(*a, *b, c.value_or(Value())));
  FailureOr<Value> product = node.create<MatmulOp>(*a, *b, transA, transB);
  Type element = node.elementType(0);
  if (succeeded(product) && alpha != 1.0f)
    product =
        node.create<MulOp>(*product, createScalar(node, element, alpha));
  if (succeeded(product) && c) {
    FailureOr<Value> term = *c;
    if (beta != 1.0f)
      term = node.create<MulOp>(*c, createScalar(node, element, beta));
    product = succeeded(term) ? node.create<AddOp>(*product, *term)
                              : FailureOr<Value>(failure());
  }
  return node.setOutput(0, product);
}

/// The same constant with another (static) shape: a resource keeps its blob.
FailureOr<Value> reshapedWeight(NodeContext &node, int input,
                                ArrayRef<int64_t> shape) {
  const ImportedValue &weight = node.info(input);
  auto type = RankedTensorType::get(shape, node.elementType(input));
  if (auto resource =
          dyn_cast_or_null<DenseResourceElementsAttr>(weight.constant))
    return ConstantOp::create(
               node.builder(), node.loc(), type,
               DenseResourceElementsAttr::get(type, resource.getRawHandle()))
        .getResult();
  FailureOr<Value> value = node.input(input);
  if (failed(value))
    return failure();
  return ReshapeOp::create(node.builder(), node.loc(), type, *value,
                           ArrayAttr())
      .getResult();
}

/// Conv as a patch embedding (kernel = stride, no padding, no dilation, one
/// group: ViT's 16x16/16, CLIP's 32x32/32, Swin's 4x4/4) is a linear over
/// the flattened patches:
///   [N, C, H, W] -> [N, H/p, W/p, C*p*q] -> linear -> [N, O, H/p, W/p].
/// Every other convolution is reported.
LogicalResult convertConv(NodeContext &node) {
  if (node.rank(0) != 4 || node.rank(1) != 4)
    return node.emitError() << "is a " << node.rank(0) - 2
                            << "-D convolution; Tessera imports 2-D patch "
                               "embeddings only";
  const SymbolicShape &x = node.shape(0), &w = node.shape(1);
  auto ints = [&](StringRef name, SmallVector<int64_t> otherwise) {
    return node.intsAttr(name).value_or(otherwise);
  };
  if (!llvm::all_of(w, [](const DimExpr &d) { return d.isConstant(); }) ||
      !node.info(1).constant)
    return node.emitError() << "has a weight that is not a constant";
  int64_t outChannels = w[0].getCoefficient(), channels = w[1].getCoefficient();
  SmallVector<int64_t> kernel = {w[2].getCoefficient(), w[3].getCoefficient()};
  SmallVector<int64_t> strides = ints("strides", {1, 1});
  SmallVector<int64_t> pads = ints("pads", {0, 0, 0, 0});
  SmallVector<int64_t> dilations = ints("dilations", {1, 1});
  std::string autoPad = node.stringAttr("auto_pad", "NOTSET");
  bool patches = strides == kernel && llvm::all_of(pads, [](int64_t p) {
                   return p == 0;
                 }) && llvm::all_of(dilations, [](int64_t d) { return d == 1; }) &&
                 node.intAttr("group", 1) == 1 &&
                 (autoPad == "NOTSET" || autoPad == "VALID");
  if (!patches)
    return node.emitError()
           << "is a convolution with kernel " << kernel[0] << "x" << kernel[1]
           << ", strides " << strides[0] << "x" << strides[1]
           << ", group " << node.intAttr("group", 1)
           << " and padding or dilation; Tessera imports only patch "
              "embeddings (kernel = stride, no padding or dilation, one "
              "group)";
  if (x[1] != w[1] || !x[2].isConstant() || !x[3].isConstant() ||
      x[2].getCoefficient() % kernel[0] || x[3].getCoefficient() % kernel[1])
    return node.emitError() << "is a patch embedding of "
                            << shapeText(x, node) << " by " << kernel[0] << "x"
                            << kernel[1]
                            << " patches; the channels must match the weight "
                               "and the image must be static and divisible "
                               "into patches";
  int64_t rows = x[2].getCoefficient() / kernel[0];
  int64_t cols = x[3].getCoefficient() / kernel[1];
  auto constant = [](int64_t v) { return DimExpr::constant(v); };
  FailureOr<Value> input = node.input(0);
  FailureOr<Value> weight = reshapedWeight(
      node, 1, {outChannels, channels * kernel[0] * kernel[1]});
  if (failed(input) || failed(weight))
    return failure();
  Value bias;
  if (node.hasInput(2)) {
    FailureOr<Value> b = node.input(2);
    if (failed(b))
      return failure();
    bias = *b;
  }
  // [N, C, rows, p, cols, q] -> [N, rows, cols, C, p, q]: each patch's
  // values in the weight's (C, p, q) order.
  Value split = createReshape(node, *input,
                              {x[0], x[1], constant(rows), constant(kernel[0]),
                               constant(cols), constant(kernel[1])});
  FailureOr<Value> gathered = node.create<TransposeOp>(
      split, ArrayRef<int64_t>{0, 2, 4, 1, 3, 5});
  if (failed(gathered))
    return failure();
  Value flat = createReshape(
      node, *gathered,
      {x[0], constant(rows), constant(cols),
       constant(channels * kernel[0] * kernel[1])});
  FailureOr<Value> embedded = node.create<LinearOp>(flat, *weight, bias);
  if (failed(embedded))
    return failure();
  return node.setOutput(0, node.create<TransposeOp>(
                               *embedded, ArrayRef<int64_t>{0, 3, 1, 2}));
}

LogicalResult convertSoftmax(NodeContext &node) {
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.intAttr("axis", -1), node.rank(0));
  FailureOr<Value> x = node.input(0);
  if (failed(axis) || failed(x))
    return failure();
  return node.setOutput(0, node.create<SoftmaxOp>(*x, *axis));
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
      0, node.create<LayerNormOp>(
             *x, scale, bias, node.builder().getI64IntegerAttr(*axis),
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
      0, node.create<Op>(*x, **axes,
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
  FailureOr<Value> square = node.create<MulOp>(*x, *x);
  if (failed(square))
    return failure();
  FailureOr<Value> sum = node.create<ReduceSumOp>(
      *square, **axes, static_cast<bool>(node.intAttr("keepdims", 1)));
  if (failed(sum))
    return failure();
  return node.setOutput(0, SqrtOp::create(node.builder(), node.loc(), *sum));
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
      0, node.create<ArgMaxOp>(*x, *axis,
                               static_cast<bool>(node.intAttr("keepdims", 1))));
}

/// CumSum along an axis of length L is a product with an L x L 0/1 matrix
/// built from positions (column j sums rows i <= j; < for exclusive, >= for
/// reverse), computed in f32: exact for integer sums below 2^24, such as
/// RoBERTa's position ids. The cost is quadratic in L; a scan kernel would
/// be linear.
LogicalResult convertCumSum(NodeContext &node) {
  int64_t rank = node.rank(0);
  FailureOr<SmallVector<int64_t>> axisValue = node.constantInts(1, "axis");
  if (failed(axisValue))
    return failure();
  if (axisValue->size() != 1)
    return node.emitError() << "needs a single axis";
  FailureOr<int64_t> axis = node.normalizeAxis(axisValue->front(), rank);
  FailureOr<Value> x = node.input(0);
  if (failed(axis) || failed(x))
    return failure();
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  const SymbolicShape &shape = node.shape(0);
  DimExpr length = shape[*axis];
  Type f32 = b.getF32Type();
  // offset[i][j] = j - i: source row i, target column j.
  FailureOr<Value> offset = createPositionOffsets(node, length, length);
  if (failed(offset))
    return failure();
  bool exclusive = node.intAttr("exclusive", 0), reverse = node.intAttr("reverse", 0);
  ComparePredicate predicate =
      reverse ? (exclusive ? ComparePredicate::LT : ComparePredicate::LE)
              : (exclusive ? ComparePredicate::GT : ComparePredicate::GE);
  FailureOr<Value> included = node.create<CompareOp>(
      predicate, *offset, createScalar(node, b.getI32Type(), 0));
  if (failed(included))
    return failure();
  Value matrix = CastOp::create(
      b, loc, cast<RankedTensorType>(included->getType()).clone(f32),
      *included);

  // Move the axis last (and give a vector a row), multiply, move it back.
  Value values = *x;
  Type element = node.elementType(0);
  if (element != f32)
    values = CastOp::create(
        b, loc, cast<RankedTensorType>(values.getType()).clone(f32), values);
  SmallVector<int64_t> permutation = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(permutation[*axis], permutation.back());
  FailureOr<Value> moved = values;
  if (*axis != rank - 1)
    moved = node.create<TransposeOp>(values, permutation);
  if (failed(moved))
    return failure();
  values = *moved;
  if (rank == 1)
    values = createReshape(node, values, {DimExpr::constant(1), length});
  FailureOr<Value> product = node.create<MatmulOp>(values, matrix);
  if (failed(product))
    return failure();
  Value sums = *product;
  if (rank == 1)
    sums = createReshape(node, sums, {length});
  if (*axis != rank - 1) {
    FailureOr<Value> back = node.create<TransposeOp>(sums, permutation);
    if (failed(back))
      return failure();
    sums = *back;
  }
  if (element != f32)
    sums = CastOp::create(
        b, loc, cast<RankedTensorType>(sums.getType()).clone(element), sums);
  return node.setOutput(0, sums);
}

LogicalResult convertGlobalAveragePool(NodeContext &node) {
  int64_t rank = node.rank(0);
  if (rank < 3)
    return node.emitError() << "needs [N, C, spatial...] input";
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  return node.setOutput(
      0, node.create<ReduceMeanOp>(
             *x, llvm::to_vector(llvm::seq<int64_t>(2, rank)),
             /*keepdims=*/true));
}

} // namespace

void mlir::tessera::onnx_frontend::addNeuralConverters(ConverterTable &table) {
  table["MatMul"] = {convertMatMul, {2, 2}};
  table["Gemm"] = {convertGemm, {2, 3}};
  table["Conv"] = {convertConv, {2, 3}};
  table["Softmax"] = {convertSoftmax, {1, 1}};
  table["LayerNormalization"] = {convertLayerNormalization, {2, 3}, {1, 3}};
  // Axes moved from an attribute to input 1: ReduceSum at opset 13, the
  // others at 18.
  table["ReduceSum"] = {convertReduce<ReduceSumOp, 13>, {1, 2}};
  table["ReduceMean"] = {convertReduce<ReduceMeanOp, 18>, {1, 2}};
  table["ReduceMax"] = {convertReduce<ReduceMaxOp, 18>, {1, 2}};
  table["ReduceL2"] = {convertReduceL2, {1, 2}};
  table["ArgMax"] = {convertArgMax, {1, 1}};
  table["CumSum"] = {convertCumSum, {2, 2}};
  table["GlobalAveragePool"] = {convertGlobalAveragePool, {1, 1}};
}

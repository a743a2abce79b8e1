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
  FailureOr<Value> a = node.input(0), b = node.input(1),
                   c = node.optionalInput(2);
  if (failed(a) || failed(b) || failed(c))
    return failure();
  if (transB && !transA && alpha == 1.0f &&
      (!*c || (beta == 1.0f && node.rank(2) == 1)))
    return node.setOutput(0, node.create<LinearOp>(*a, *b, *c));
  FailureOr<Value> product = node.create<MatmulOp>(*a, *b, transA, transB);
  Type element = node.elementType(0);
  if (succeeded(product) && alpha != 1.0f)
    product =
        node.create<MulOp>(*product, createScalar(node, element, alpha));
  if (succeeded(product) && *c) {
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

/// A Conv node's geometry, per spatial axis (1 or 2 of them), with
/// `auto_pad` resolved into explicit pads.
struct ConvGeometry {
  SmallVector<int64_t> kernel, strides, dilations, padBegin, padEnd;
  int64_t groups = 1;
  bool isPatchEmbedding() const {
    return groups == 1 && strides == kernel &&
           llvm::all_of(dilations, [](int64_t d) { return d == 1; }) &&
           llvm::all_of(padBegin, [](int64_t p) { return p == 0; }) &&
           llvm::all_of(padEnd, [](int64_t p) { return p == 0; });
  }
};

/// The geometry of a Conv or pooling node over `kernel`, with its strides,
/// dilations, pads and auto_pad (SAME: the padding that makes the output
/// ceil(size / stride) long).
FailureOr<ConvGeometry> windowGeometry(NodeContext &node,
                                       ArrayRef<int64_t> kernel) {
  const SymbolicShape &x = node.shape(0);
  int64_t spatial = kernel.size();
  ConvGeometry g;
  g.kernel.assign(kernel.begin(), kernel.end());
  auto ints = [&](StringRef name, int64_t otherwise,
                  int64_t count) -> FailureOr<SmallVector<int64_t>> {
    SmallVector<int64_t> values =
        node.intsAttr(name).value_or(SmallVector<int64_t>(count, otherwise));
    if (static_cast<int64_t>(values.size()) != count)
      return node.emitError()
             << "has " << values.size() << " " << name << " for " << spatial
             << " spatial axes, which need " << count;
    return values;
  };
  FailureOr<SmallVector<int64_t>> strides = ints("strides", 1, spatial),
                                  dilations = ints("dilations", 1, spatial),
                                  pads = ints("pads", 0, 2 * spatial);
  if (failed(strides) || failed(dilations) || failed(pads))
    return failure();
  g.strides = *strides;
  g.dilations = *dilations;
  g.groups = node.intAttr("group", 1);
  g.padBegin.assign(pads->begin(), pads->begin() + spatial);
  g.padEnd.assign(pads->begin() + spatial, pads->end());
  std::string autoPad = node.stringAttr("auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    g.padBegin.assign(spatial, 0);
    g.padEnd.assign(spatial, 0);
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    // Output ceil(size / stride): the padding that takes, the odd one
    // at the end (SAME_UPPER) or the beginning (SAME_LOWER).
    for (int64_t d = 0; d < spatial; ++d) {
      // Over a dynamic axis the padding is the same for every size only
      // at stride 1.
      if (!x[2 + d].isConstant() && g.strides[d] == 1) {
        int64_t total = g.dilations[d] * (g.kernel[d] - 1);
        g.padBegin[d] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
        g.padEnd[d] = total - g.padBegin[d];
        continue;
      }
      if (!x[2 + d].isConstant())
        return node.emitError()
               << "pads dynamic axis " << 2 + d << " (" << shapeText(x, node)
               << ") with auto_pad " << autoPad << " at stride " << g.strides[d]
               << ", where the padding depends on the size; export with "
                  "explicit pads or a fixed image size";
      int64_t size = x[2 + d].getCoefficient();
      int64_t out = (size + g.strides[d] - 1) / g.strides[d];
      int64_t total = std::max<int64_t>(
          0, (out - 1) * g.strides[d] + g.dilations[d] * (g.kernel[d] - 1) + 1 -
                 size);
      int64_t small = total / 2;
      g.padBegin[d] = autoPad == "SAME_UPPER" ? small : total - small;
      g.padEnd[d] = total - g.padBegin[d];
    }
  } else if (autoPad != "NOTSET") {
    return node.emitError() << "has auto_pad '" << autoPad
                            << "' (expected NOTSET, VALID, SAME_UPPER or "
                               "SAME_LOWER)";
  }
  return g;
}

/// Conv as a patch embedding (kernel = stride, no padding, no dilation, one
/// group: ViT's 16x16/16, CLIP's 32x32/32, Swin's 4x4/4) is a linear over
/// the flattened patches, where the image divides into them:
///   [N, C, H, W] -> [N, H/p, W/p, C*p*q] -> linear -> [N, O, H/p, W/p].
/// The linear reads its rows contiguously, which the implicit GEMM of
/// `tessera.conv` cannot.
FailureOr<Value> importPatchEmbedding(NodeContext &node, Value input,
                                      Value bias) {
  const SymbolicShape &x = node.shape(0), &w = node.shape(1);
  int64_t outChannels = w[0].getCoefficient(), channels = w[1].getCoefficient();
  SmallVector<int64_t> kernel = {w[2].getCoefficient(), w[3].getCoefficient()};
  int64_t rows = x[2].getCoefficient() / kernel[0];
  int64_t cols = x[3].getCoefficient() / kernel[1];
  auto constant = [](int64_t v) { return DimExpr::constant(v); };
  FailureOr<Value> weight = reshapedWeight(
      node, 1, {outChannels, channels * kernel[0] * kernel[1]});
  if (failed(weight))
    return failure();
  // [N, C, rows, p, cols, q] -> [N, rows, cols, C, p, q]: each patch's
  // values in the weight's (C, p, q) order.
  Value split = createReshape(node, input,
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
  return node.create<TransposeOp>(*embedded, ArrayRef<int64_t>{0, 3, 1, 2});
}

/// Conv (1-D and 2-D; strides, pads, auto_pad, dilations, groups) becomes
/// `tessera.conv`; a patch embedding becomes a linear.
FailureOr<Value> importConv(NodeContext &node) {
  int64_t spatial = node.rank(0) - 2;
  if ((spatial != 1 && spatial != 2) || node.rank(1) != node.rank(0))
    return node.emitError() << "is a " << spatial
                            << "-D convolution with a rank-" << node.rank(1)
                            << " weight; Tessera imports 1-D and 2-D "
                               "convolutions";
  const SymbolicShape &x = node.shape(0), &w = node.shape(1);
  auto isStatic = [](const DimExpr &d) { return d.isConstant(); };
  if (!llvm::all_of(w, isStatic) || !isStatic(x[1]))
    return node.emitError()
           << "convolves " << shapeText(x, node) << " by " << shapeText(w, node)
           << "; Tessera needs static channels and kernel (the batch and "
              "image may be dynamic)";
  SmallVector<int64_t> kernel;
  for (int64_t d = 0; d < spatial; ++d)
    kernel.push_back(w[2 + d].getCoefficient());
  if (auto shape = node.intsAttr("kernel_shape"); shape && *shape != kernel)
    return node.emitError() << "has a kernel_shape that is not its weight's";
  FailureOr<ConvGeometry> geometry = windowGeometry(node, kernel);
  FailureOr<Value> input = node.input(0), bias = node.optionalInput(2);
  if (failed(geometry) || failed(input) || failed(bias))
    return failure();
  if (spatial == 2 && geometry->isPatchEmbedding() && node.info(1).constant &&
      x[1] == w[1] && isStatic(x[2]) && isStatic(x[3]) &&
      x[2].getCoefficient() % geometry->kernel[0] == 0 &&
      x[3].getCoefficient() % geometry->kernel[1] == 0)
    return importPatchEmbedding(node, *input, *bias);

  FailureOr<Value> weight = node.input(1);
  if (failed(weight))
    return failure();
  const ConvGeometry &g = *geometry;
  SmallVector<int64_t> pads(g.padBegin);
  llvm::append_range(pads, g.padEnd);
  OpBuilder &b = node.builder();
  return node.create<ConvOp>(
      *input, *weight, *bias, b.getDenseI64ArrayAttr(g.strides),
      b.getDenseI64ArrayAttr(pads), b.getDenseI64ArrayAttr(g.dilations),
      b.getI64IntegerAttr(g.groups));
}

LogicalResult convertConv(NodeContext &node) {
  return node.setOutput(0, importConv(node));
}

/// ONNX Runtime's com.microsoft.FusedConv (its optimised graphs at level
/// "extended"): activation(Conv(X, W, B) + Z), Z optional.
LogicalResult convertFusedConv(NodeContext &node) {
  FailureOr<Value> y = importConv(node), z = node.optionalInput(3);
  if (succeeded(y) && succeeded(z) && *z)
    y = node.create<AddOp>(*y, *z);
  if (failed(y) || failed(z))
    return failure();
  std::string activation = node.stringAttr("activation", "");
  if (activation.empty())
    return node.setOutput(0, *y);
  if (activation == "Relu")
    return node.setOutput(0, node.create<ReluOp>(*y));
  if (activation == "Sigmoid")
    return node.setOutput(0, node.create<SigmoidOp>(*y));
  if (activation == "Tanh")
    return node.setOutput(0, node.create<TanhOp>(*y));
  return node.emitError() << "fuses activation '" << activation
                          << "'; Tessera imports Relu, Sigmoid and Tanh";
}

/// MaxPool and AveragePool (1-D and 2-D) become `tessera.pool`.
LogicalResult convertPool(NodeContext &node, PoolKind kind) {
  int64_t spatial = node.rank(0) - 2;
  std::optional<SmallVector<int64_t>> kernel = node.intsAttr("kernel_shape");
  if (spatial != 1 && spatial != 2)
    return node.emitError() << "pools " << spatial
                            << "-D windows; Tessera imports 1-D and 2-D "
                               "pooling";
  if (!kernel || static_cast<int64_t>(kernel->size()) != spatial)
    return node.emitError()
           << "needs a kernel_shape of " << spatial << " sizes";
  if (node.numOutputs() > 1 && !node.node().output(1).empty())
    return node.emitError() << "returns the maxima's indices, which Tessera "
                               "does not compute";
  if (!node.shape(0)[1].isConstant())
    return node.emitError() << "pools " << shapeText(node.shape(0), node)
                            << "; Tessera needs static channels (the batch "
                               "and image may be dynamic)";
  FailureOr<ConvGeometry> g = windowGeometry(node, *kernel);
  FailureOr<Value> x = node.input(0);
  if (failed(g) || failed(x))
    return failure();
  SmallVector<int64_t> pads(g->padBegin);
  llvm::append_range(pads, g->padEnd);
  OpBuilder &b = node.builder();
  auto unit = [&](bool set) { return set ? b.getUnitAttr() : UnitAttr(); };
  return node.setOutput(
      0, node.create<PoolOp>(*x, PoolKindAttr::get(node.context(), kind),
                             b.getDenseI64ArrayAttr(g->kernel),
                             b.getDenseI64ArrayAttr(g->strides),
                             b.getDenseI64ArrayAttr(pads),
                             b.getDenseI64ArrayAttr(g->dilations),
                             unit(node.intAttr("ceil_mode", 0) != 0),
                             unit(kind == PoolKind::Average &&
                                  node.intAttr("count_include_pad", 0) != 0)));
}

/// GlobalAveragePool and GlobalMaxPool: a mean or maximum over every dim
/// after the channel, kept as 1.
template <typename ReduceOpTy>
LogicalResult convertGlobalPool(NodeContext &node) {
  if (node.rank(0) < 3)
    return node.emitError() << "pools an input of rank " << node.rank(0)
                            << "; it must be [N, C, D...]";
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < node.rank(0); ++d)
    axes.push_back(d);
  OpBuilder &b = node.builder();
  return node.setOutput(0, node.create<ReduceOpTy>(*x,
                                                   b.getDenseI64ArrayAttr(axes),
                                                   b.getBoolAttr(true)));
}

/// Softmax along any axis: along another than the last (slot attention's
/// normalisation over the slots), the axis is swapped to the end and back,
/// as the row-reduction kernels reduce the innermost dim.
LogicalResult convertSoftmax(NodeContext &node) {
  int64_t rank = node.rank(0);
  FailureOr<int64_t> axis = node.normalizeAxis(node.intAttr("axis", -1), rank);
  FailureOr<Value> x = node.input(0);
  if (failed(axis) || failed(x))
    return failure();
  if (*axis == rank - 1)
    return node.setOutput(0, node.create<SoftmaxOp>(*x, *axis));
  SmallVector<int64_t> swap = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(swap[*axis], swap[rank - 1]);
  FailureOr<Value> last = node.create<TransposeOp>(*x, swap);
  FailureOr<Value> y =
      succeeded(last) ? node.create<SoftmaxOp>(*last, rank - 1) : last;
  return node.setOutput(0,
                        succeeded(y) ? node.create<TransposeOp>(*y, swap) : y);
}

/// LogSoftmax along any axis: x - max - log(sum(exp(x - max))), so that
/// log-probabilities far below f32's smallest exponent stay finite (the
/// log of a softmax would round them to -inf).
LogicalResult convertLogSoftmax(NodeContext &node) {
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.intAttr("axis", -1), node.rank(0));
  FailureOr<Value> x = node.input(0);
  if (failed(axis) || failed(x))
    return failure();
  FailureOr<Value> max =
      node.create<ReduceMaxOp>(*x, ArrayRef<int64_t>{*axis}, true);
  FailureOr<Value> shifted =
      succeeded(max) ? node.create<SubOp>(*x, *max) : max;
  FailureOr<Value> exp =
      succeeded(shifted) ? FailureOr<Value>(ExpOp::create(node.builder(),
                                                          node.loc(), *shifted))
                         : shifted;
  FailureOr<Value> sum =
      succeeded(exp)
          ? node.create<ReduceSumOp>(*exp, ArrayRef<int64_t>{*axis}, true)
          : exp;
  FailureOr<Value> log =
      succeeded(sum)
          ? FailureOr<Value>(LogOp::create(node.builder(), node.loc(), *sum))
          : sum;
  return node.setOutput(0, succeeded(log) ? node.create<SubOp>(*shifted, *log)
                                          : log);
}

/// LayerNormalization's outputs 1 and 2, where named: the mean and the
/// inverse standard deviation over the last dim (kept as 1), in
/// `stash_type`'s f32. Exporters name them even when nothing reads them;
/// what nothing reads is erased later.
LogicalResult setNormStatistics(NodeContext &node, Value x, int64_t axis) {
  auto named = [&](int i) {
    return i < node.numOutputs() && !node.node().output(i).empty();
  };
  if (!named(1) && !named(2))
    return success();
  if (node.intAttr("stash_type", 1) != 1)
    return node.emitError() << "stashes its statistics in a type other than "
                               "float (stash_type "
                            << node.intAttr("stash_type", 1) << ")";
  Type f32 = node.builder().getF32Type();
  if (node.elementType(0) != f32) {
    x = CastOp::create(node.builder(), node.loc(),
                       cast<RankedTensorType>(x.getType()).clone(f32), x);
  }
  SmallVector<int64_t> last;
  for (int64_t d = axis; d < node.rank(0); ++d)
    last.push_back(d);
  FailureOr<Value> mean = node.create<ReduceMeanOp>(x, last, true);
  FailureOr<Value> centered =
      succeeded(mean) ? node.create<SubOp>(x, *mean) : mean;
  FailureOr<Value> squares =
      succeeded(centered) ? node.create<MulOp>(*centered, *centered) : centered;
  FailureOr<Value> variance =
      succeeded(squares) ? node.create<ReduceMeanOp>(*squares, last, true)
                         : squares;
  FailureOr<Value> shifted =
      succeeded(variance)
          ? node.create<AddOp>(
                *variance,
                createScalar(node, f32, node.floatAttr("epsilon", 1e-5f)))
          : variance;
  FailureOr<Value> inverse =
      succeeded(shifted) ? node.create<RsqrtOp>(*shifted) : shifted;
  if (failed(inverse))
    return failure();
  if (named(1) && failed(node.setOutput(1, *mean)))
    return failure();
  if (named(2) && failed(node.setOutput(2, *inverse)))
    return failure();
  return success();
}

/// `x` times `scale` plus `bias`, both per channel (dim 1 of x): reshaped
/// to [C, 1, ...] to broadcast over the dims after it.
FailureOr<Value> perChannelAffine(NodeContext &node, Value x, int scaleIndex,
                                  int biasIndex) {
  FailureOr<SymbolicShape> shape = node.shapeOf(x);
  if (failed(shape))
    return failure();
  SmallVector<DimExpr> channels = {(*shape)[1]};
  channels.append(shape->size() - 2, DimExpr::constant(1));
  FailureOr<Value> y = x;
  for (auto [index, isScale] :
       {std::pair{scaleIndex, true}, std::pair{biasIndex, false}}) {
    FailureOr<Value> parameter = node.input(index);
    if (failed(parameter) || failed(y))
      return failure();
    if (node.rank(index) != 1 || node.shape(index)[0] != (*shape)[1])
      return node.emitError()
             << "has a " << (isScale ? "scale" : "bias") << " of "
             << shapeText(node.shape(index), node) << " for the "
             << shapeText({(*shape)[1]}, node) << " channels of its input";
    Value column = createReshape(node, *parameter, channels);
    y = isScale ? node.create<MulOp>(*y, column)
                : node.create<AddOp>(*y, column);
  }
  return y;
}

/// InstanceNormalization: each (batch, channel) normalised over the dims
/// after the channel, then scaled and shifted per channel.
LogicalResult convertInstanceNormalization(NodeContext &node) {
  if (node.rank(0) < 3)
    return node.emitError() << "normalizes an input of rank " << node.rank(0)
                            << "; InstanceNormalization takes [N, C, D...]";
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.builder();
  FailureOr<Value> normed = node.create<LayerNormOp>(
      *x, Value(), Value(), b.getI64IntegerAttr(2),
      b.getF32FloatAttr(node.floatAttr("epsilon", 1e-5f)));
  return node.setOutput(
      0, succeeded(normed) ? perChannelAffine(node, *normed, 1, 2) : normed);
}

/// BatchNormalization at inference: per channel (axis 1),
///   y = x · a + (B - mean · a),  a = scale · rsqrt(var + epsilon),
/// which folds to one multiply and one add by constants where the
/// statistics are constants (a convolution's epilogue then).
LogicalResult convertBatchNormalization(NodeContext &node) {
  if (node.intAttr("training_mode", 0) != 0)
    return node.emitError() << "computes batch statistics (training_mode = "
                               "1); export the model in eval mode";
  if (node.rank(0) < 2)
    return node.emitError() << "normalizes an input of rank " << node.rank(0)
                            << "; BatchNormalization takes [N, C, D...]";
  const SymbolicShape &shape = node.shape(0);
  SmallVector<FailureOr<Value>> parameters;
  for (int index = 1; index <= 4; ++index) {
    if (node.rank(index) != 1 || node.shape(index)[0] != shape[1])
      return node.emitError()
             << "has a parameter " << index << " of "
             << shapeText(node.shape(index), node) << " for the "
             << shapeText({shape[1]}, node) << " channels of its input";
    parameters.push_back(node.input(index));
  }
  FailureOr<Value> x = node.input(0);
  if (failed(x) || llvm::any_of(parameters, [](auto &p) { return failed(p); }))
    return failure();
  Value scale = *parameters[0], bias = *parameters[1], mean = *parameters[2],
        variance = *parameters[3];
  Type element = node.elementType(0);
  FailureOr<Value> a = node.create<AddOp>(
      variance, createScalar(node, element, node.floatAttr("epsilon", 1e-5f)));
  if (succeeded(a))
    a = node.create<RsqrtOp>(*a);
  if (succeeded(a))
    a = node.create<MulOp>(scale, *a);
  FailureOr<Value> shift =
      succeeded(a) ? node.create<MulOp>(mean, *a) : FailureOr<Value>();
  if (succeeded(shift))
    shift = node.create<SubOp>(bias, *shift);
  if (failed(shift))
    return failure();
  SmallVector<DimExpr> channels = {shape[1]};
  channels.append(shape.size() - 2, DimExpr::constant(1));
  FailureOr<Value> y =
      node.create<MulOp>(*x, createReshape(node, *a, channels));
  if (succeeded(y))
    y = node.create<AddOp>(*y, createReshape(node, *shift, channels));
  return node.setOutput(0, y);
}

/// GroupNormalization (opset 18; per-channel scale and bias from 21): the
/// channels split into num_groups groups, each (batch, group) normalised
/// over its channels and the dims after them, then scaled and shifted. At
/// opsets 18 to 20 the scale and bias hold one value per group.
LogicalResult convertGroupNormalization(NodeContext &node) {
  const SymbolicShape &shape = node.shape(0);
  int64_t groups = node.intAttr("num_groups", 0);
  if (node.rank(0) < 3 || groups <= 0 || !shape[1].isConstant() ||
      shape[1].getCoefficient() % groups != 0)
    return node.emitError() << "splits the channels of "
                            << shapeText(shape, node) << " into " << groups
                            << " groups; the input must be [N, C, D...] with "
                               "a static C that many groups divide";
  if (node.intAttr("stash_type", 1) != 1)
    return node.emitError() << "computes in a type other than float "
                               "(stash_type "
                            << node.intAttr("stash_type", 1) << ")";
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.builder();
  DimExpr perGroup = DimExpr::constant(shape[1].getCoefficient() / groups);
  for (const DimExpr &d : ArrayRef<DimExpr>(shape).drop_front(2))
    perGroup = perGroup * d;
  DimExpr g = DimExpr::constant(groups);
  Value grouped = createReshape(node, *x, {shape[0], g, perGroup});
  FailureOr<Value> normed = node.create<LayerNormOp>(
      grouped, Value(), Value(), b.getI64IntegerAttr(2),
      b.getF32FloatAttr(node.floatAttr("epsilon", 1e-5f)));
  if (failed(normed))
    return failure();
  if (node.opset() >= 21)
    return node.setOutput(
        0, perChannelAffine(node, createReshape(node, *normed, shape), 1, 2));
  // One scale and bias per group, on the grouped rows.
  for (int index : {1, 2})
    if (node.rank(index) != 1 || node.shape(index)[0] != g)
      return node.emitError()
             << "has a " << (index == 1 ? "scale" : "bias") << " of "
             << shapeText(node.shape(index), node) << " for " << groups
             << " groups (one per group before opset 21)";
  FailureOr<Value> scale = node.input(1), bias = node.input(2);
  if (failed(scale) || failed(bias))
    return failure();
  DimExpr one = DimExpr::constant(1);
  FailureOr<Value> y =
      node.create<MulOp>(*normed, createReshape(node, *scale, {g, one}));
  y = succeeded(y)
          ? node.create<AddOp>(*y, createReshape(node, *bias, {g, one}))
          : y;
  return node.setOutput(
      0, succeeded(y) ? FailureOr<Value>(createReshape(node, *y, shape)) : y);
}

LogicalResult convertLayerNormalization(NodeContext &node) {
  int64_t rank = node.rank(0);
  FailureOr<int64_t> axis = node.normalizeAxis(node.intAttr("axis", -1), rank);
  if (failed(axis))
    return failure();
  FailureOr<Value> x = node.input(0);
  if (failed(x) || failed(setNormStatistics(node, *x, *axis)))
    return failure();
  FailureOr<Value> scale = node.optionalInput(1), bias = node.optionalInput(2);
  if (failed(scale) || failed(bias))
    return failure();
  return node.setOutput(
      0, node.create<LayerNormOp>(
             *x, *scale, *bias, node.builder().getI64IntegerAttr(*axis),
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
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.intAttr("axis", 0), node.rank(0));
  FailureOr<Value> x = node.input(0);
  if (failed(axis) || failed(x))
    return failure();
  return node.setOutput(
      0, node.create<ArgMaxOp>(*x, *axis,
                               static_cast<bool>(node.intAttr("keepdims", 1)),
                               node.intAttr("select_last_index", 0) != 0));
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

/// Input `i` of an op on heads (Attention, RotaryEmbedding) as
/// [B, H, S, D]: itself when 4-D; a 3-D [B, S, H·D] split into the number
/// of heads that attribute `heads` gives.
FailureOr<Value> headsOfInput(NodeContext &node, int i, StringRef heads) {
  FailureOr<Value> x = node.input(i);
  if (failed(x) || node.rank(i) == 4)
    return x;
  if (node.rank(i) != 3)
    return node.emitError()
           << "input " << i << " has rank " << node.rank(i) << "; "
           << node.node().op_type() << " takes 3-D or 4-D inputs";
  return splitHeads(node, *x, node.intAttr(heads, 0),
                    "3-D input " + std::to_string(i), heads);
}

/// The additive bias of Attention's masks over [Lq, Lk] scores: attn_mask
/// (a bool keeps where true; a float adds), and with is_causal a query at
/// i sees key j <= i + past. The -inf terms become structure in
/// tessera-classify-attention-masks where they have one.
FailureOr<Value> attentionBias(NodeContext &node, Value query, Value key,
                               const DimExpr &past) {
  Type element = node.elementType(0);
  FailureOr<SymbolicShape> queryShape = node.shapeOf(query);
  FailureOr<SymbolicShape> keyShape = node.shapeOf(key);
  if (failed(queryShape) || failed(keyShape))
    return failure();
  const SymbolicShape &q = *queryShape, &k = *keyShape;
  Value inf =
      createScalar(node, element, -std::numeric_limits<double>::infinity());
  Value zero = createScalar(node, element, 0.0);
  FailureOr<Value> bias = Value();
  if (node.hasInput(3)) {
    const SymbolicShape &mask = node.shape(3);
    if (mask.empty() || mask.back() != k[2])
      return node.emitError() << "has an attn_mask of " << shapeText(mask, node)
                              << " over " << shapeText({k[2]}, node)
                              << " keys; Tessera needs one mask column per key";
    FailureOr<Value> m = node.input(3);
    bias = failed(m) || !node.elementType(3).isInteger(1)
               ? m
               : node.create<SelectOp>(*m, zero, inf);
  }
  if (failed(bias) || !node.intAttr("is_causal", 0))
    return bias;
  FailureOr<Value> causal =
      createCausalBias(node, element, q[2], k[2], past,
                       -std::numeric_limits<double>::infinity());
  if (failed(causal) || !*bias)
    return causal;
  return node.create<AddOp>(*bias, *causal);
}

/// Attention (opset 23): softmax(scale · Q·Kᵀ + masks) · V with optional
/// past keys and values, grouped-query heads and 3-D [B, S, H·D] inputs,
/// as `tessera.attention` (its mask left as a bias for
/// tessera-classify-attention-masks).
LogicalResult convertAttention(NodeContext &node) {
  if (node.floatAttr("softcap", 0.0f) != 0.0f)
    return node.emitError() << "caps its scores (softcap), which Tessera's "
                               "attention does not";
  if (node.numOutputs() > 3 && !node.node().output(3).empty())
    return node.emitError() << "returns its scores (output qk_matmul_output)";
  if (node.hasInput(4) != node.hasInput(5))
    return node.emitError() << "has a past key without a past value, or the "
                               "reverse";
  // One error: the first input that does not split stops the import.
  FailureOr<Value> q = headsOfInput(node, 0, "q_num_heads");
  FailureOr<Value> k = succeeded(q) ? headsOfInput(node, 1, "kv_num_heads") : q;
  FailureOr<Value> v = succeeded(k) ? headsOfInput(node, 2, "kv_num_heads") : k;
  if (failed(v))
    return failure();
  DimExpr past = DimExpr::constant(0);
  if (node.hasInput(4)) {
    FailureOr<Value> pastKey = node.input(4), pastValue = node.input(5);
    if (failed(pastKey) || failed(pastValue))
      return failure();
    past = node.shape(4)[2];
    k = node.create<ConcatOp>(ValueRange{*pastKey, *k}, 2);
    v = succeeded(k) ? node.create<ConcatOp>(ValueRange{*pastValue, *v}, 2) : k;
    if (failed(k) || failed(v))
      return failure();
  }
  FailureOr<Value> bias = attentionBias(node, *q, *k, past);
  if (failed(bias))
    return failure();
  OpBuilder &b = node.builder();
  const onnx::AttributeProto *scale = node.attribute("scale");
  FailureOr<Value> y = node.create<AttentionOp>(
      *q, *k, *v, *bias, /*key_padding_mask=*/Value(),
      scale ? b.getF32FloatAttr(scale->f()) : FloatAttr(), MaskAttr(),
      DenseF32ArrayAttr(), UnitAttr(), FloatAttr(), FloatAttr(), UnitAttr());
  if (succeeded(y) && node.rank(0) == 3)
    y = mergeHeads(node, *y); // back to [B, Sq, Hq·Dv]
  if (failed(node.setOutput(0, y)))
    return failure();
  // present_key and present_value: the keys and values with the past.
  if (failed(node.setOutput(1, *k)))
    return failure();
  return node.setOutput(2, *v);
}

/// RMSNormalization (opset 23) over the last dim; also ONNX Runtime's
/// SimplifiedLayerNormalization, the same op registered earlier in the
/// default domain, with an inverse-deviation output Tessera does not give.
LogicalResult convertRMSNormalization(NodeContext &node) {
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.intAttr("axis", -1), node.rank(0));
  if (failed(axis))
    return failure();
  if (*axis != node.rank(0) - 1)
    return node.emitError() << "normalizes from axis " << *axis
                            << "; Tessera normalizes the last dim";
  if (node.numOutputs() > 1 && !node.node().output(1).empty())
    return node.emitError() << "uses its inverse-deviation output (training "
                               "graphs are not supported)";
  FailureOr<Value> x = node.input(0), scale = node.input(1);
  if (failed(x) || failed(scale))
    return failure();
  return node.setOutput(
      0, createRootMeanSquareNorm(node, *x, *scale,
                                  node.floatAttr("epsilon", 1e-5f)));
}

/// Gelu (opset 20): `approximate` is "none" (erf) or "tanh".
LogicalResult convertGelu(NodeContext &node) {
  std::string form = node.stringAttr("approximate", "none");
  if (form != "none" && form != "tanh")
    return node.emitError() << "has approximate = '" << form
                            << "'; ONNX defines 'none' and 'tanh'";
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  return node.setOutput(
      0, node.create<GeluOp>(*x, form == "tanh" ? GeluApproximation::Tanh
                                                : GeluApproximation::None));
}

} // namespace

FailureOr<Value> mlir::tessera::onnx_frontend::splitHeads(NodeContext &node,
                                                          Value x,
                                                          int64_t count,
                                                          StringRef what,
                                                          StringRef countName) {
  FailureOr<SymbolicShape> shape = node.shapeOf(x);
  if (failed(shape))
    return failure();
  const SymbolicShape &s = *shape;
  if (s.size() != 3 || count <= 0 || !s[2].isConstant() ||
      s[2].getCoefficient() % count != 0)
    return node.emitError() << "has " << what << " of " << shapeText(s, node)
                            << " and " << countName << " = " << count
                            << "; the last dim must split into that many "
                               "heads";
  DimExpr size = DimExpr::constant(s[2].getCoefficient() / count);
  Value split =
      createReshape(node, x, {s[0], s[1], DimExpr::constant(count), size});
  return node.create<TransposeOp>(split, ArrayRef<int64_t>{0, 2, 1, 3});
}

FailureOr<Value> mlir::tessera::onnx_frontend::mergeHeads(NodeContext &node,
                                                          Value y) {
  FailureOr<SymbolicShape> shape = node.shapeOf(y);
  if (failed(shape))
    return failure();
  FailureOr<Value> merged =
      node.create<TransposeOp>(y, ArrayRef<int64_t>{0, 2, 1, 3});
  if (failed(merged))
    return failure();
  return createReshape(node, *merged,
                       {(*shape)[0], (*shape)[2], (*shape)[1] * (*shape)[3]});
}

FailureOr<Value> mlir::tessera::onnx_frontend::createCausalBias(
    NodeContext &node, Type element, const DimExpr &queries,
    const DimExpr &keys, const DimExpr &past, double fill) {
  FailureOr<Value> ahead = createPositionOffsets(node, queries, keys, past);
  FailureOr<Value> keep =
      succeeded(ahead) ? node.create<CompareOp>(
                             ComparePredicate::LE, *ahead,
                             createScalar(node, node.builder().getI32Type(), 0))
                       : ahead;
  if (failed(keep))
    return failure();
  return node.create<SelectOp>(*keep, createScalar(node, element, 0.0),
                               createScalar(node, element, fill));
}

FailureOr<Value> mlir::tessera::onnx_frontend::createRootMeanSquareNorm(
    NodeContext &node, Value x, Value scale, float epsilon) {
  OpBuilder &b = node.builder();
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  return node.create<LayerNormOp>(x, scale, Value(),
                                  b.getI64IntegerAttr(rank - 1),
                                  b.getF32FloatAttr(epsilon), b.getUnitAttr());
}

namespace {

/// The cos or sin cache of a RotaryEmbedding as per-element tables
/// [B, 1, S, R] for a [B, H, S, D] input: gathered at the positions
/// ([B, S], or ONNX Runtime's [1] offset of consecutive positions), a head
/// axis inserted, each pair's angle repeated for both of its elements
/// (halves side by side, or adjacent when interleaved).
FailureOr<Value> rotaryTable(NodeContext &node, int cacheIndex,
                             int positionsIndex, const DimExpr &seq,
                             bool interleaved) {
  FailureOr<Value> table = node.input(cacheIndex);
  if (failed(table))
    return failure();
  OpBuilder &b = node.builder();
  if (positionsIndex >= 0 && node.hasInput(positionsIndex)) {
    FailureOr<Value> positions = node.input(positionsIndex);
    if (failed(positions))
      return failure();
    if (node.rank(positionsIndex) == 1) {
      // An offset: positions offset, offset + 1, ... for every sequence.
      FailureOr<Value> steps =
          createIota(node, seq, node.elementType(positionsIndex));
      positions =
          succeeded(steps) ? node.create<AddOp>(*positions, *steps) : steps;
      positions = succeeded(positions)
                      ? FailureOr<Value>(createReshape(
                            node, *positions, {DimExpr::constant(1), seq}))
                      : positions;
    }
    table = succeeded(positions) ? node.create<GatherOp>(*table, *positions,
                                                         b.getI64IntegerAttr(0))
                                 : positions;
  }
  FailureOr<SymbolicShape> shape =
      succeeded(table) ? node.shapeOf(*table) : FailureOr<SymbolicShape>();
  if (failed(table) || failed(shape))
    return failure();
  if (shape->size() != 3)
    return node.emitError()
           << "has cos/sin tables of " << shapeText(*shape, node)
           << " after the positions; expected [batch, "
              "sequence, rotated dims / 2]";
  DimExpr batch = (*shape)[0], half = (*shape)[2];
  DimExpr one = DimExpr::constant(1), two = DimExpr::constant(2);
  if (!interleaved) {
    Value heads = createReshape(node, *table, {batch, one, seq, half});
    return node.create<ConcatOp>(ValueRange{heads, heads}, 3);
  }
  Value pairs = createReshape(node, *table, {batch, one, seq, half, one});
  FailureOr<Value> repeated =
      node.create<ConcatOp>(ValueRange{pairs, pairs}, 4);
  if (failed(repeated))
    return failure();
  return createReshape(node, *repeated, {batch, one, seq, half * two});
}

} // namespace

LogicalResult mlir::tessera::onnx_frontend::convertRotaryEmbedding(
    NodeContext &node, const RotaryEmbeddingInputs &inputs) {
  // [B, H, S, D], the heads split out of [B, S, H·D] where the input is 3-D.
  FailureOr<Value> x = headsOfInput(node, inputs.x, "num_heads");
  if (failed(x))
    return failure();
  OpBuilder &b = node.builder();
  bool interleaved = node.intAttr("interleaved", 0) != 0;
  FailureOr<SymbolicShape> split = node.shapeOf(*x);
  if (failed(split))
    return failure();
  const DimExpr &seq = (*split)[2], &size = (*split)[3];
  int64_t rotated = node.intAttr("rotary_embedding_dim", 0);
  if (!size.isConstant() || size.getCoefficient() % 2 != 0 || rotated < 0 ||
      rotated % 2 != 0 || rotated > size.getCoefficient())
    return node.emitError()
           << "rotates " << rotated << " of head dims "
           << shapeText({size}, node)
           << "; both must be static and even, the first at most the second";
  int64_t total = size.getCoefficient();
  if (rotated == 0)
    rotated = total;
  FailureOr<Value> cos =
      rotaryTable(node, inputs.cos, inputs.positions, seq, interleaved);
  FailureOr<Value> sin =
      succeeded(cos)
          ? rotaryTable(node, inputs.sin, inputs.positions, seq, interleaved)
          : cos;
  if (failed(sin))
    return failure();
  // A partial rotation rotates the first `rotated` dims of each head.
  FailureOr<SmallVector<Value>> parts =
      rotated == total ? FailureOr<SmallVector<Value>>(SmallVector<Value>{*x})
                       : createSplit(node, *x, 3, {rotated, total - rotated});
  if (failed(parts))
    return failure();
  FailureOr<Value> y = node.create<RotaryOp>(
      parts->front(), *cos, *sin, interleaved ? b.getUnitAttr() : UnitAttr());
  if (succeeded(y) && rotated != total)
    y = node.create<ConcatOp>(ValueRange{*y, parts->back()}, 3);
  if (succeeded(y) && node.rank(inputs.x) == 3)
    y = mergeHeads(node, *y);
  return node.setOutput(0, y);
}

void mlir::tessera::onnx_frontend::addNeuralConverters(ConverterTable &table) {
  table["MatMul"] = {convertMatMul, {2, 2}};
  table["Gemm"] = {convertGemm, {2, 3}};
  table["Conv"] = {convertConv, {2, 3}};
  table["com.microsoft.FusedConv"] = {convertFusedConv, {2, 4}};
  table["MaxPool"] = {
      [](NodeContext &node) { return convertPool(node, PoolKind::Max); },
      {1, 1},
      {1, 2}};
  table["AveragePool"] = {
      [](NodeContext &node) { return convertPool(node, PoolKind::Average); },
      {1, 1}};
  table["GlobalAveragePool"] = {convertGlobalPool<ReduceMeanOp>, {1, 1}};
  table["GlobalMaxPool"] = {convertGlobalPool<ReduceMaxOp>, {1, 1}};
  table["Softmax"] = {convertSoftmax, {1, 1}};
  table["LogSoftmax"] = {convertLogSoftmax, {1, 1}};
  table["LayerNormalization"] = {convertLayerNormalization, {2, 3}, {1, 3}};
  table["InstanceNormalization"] = {convertInstanceNormalization, {3, 3}};
  table["BatchNormalization"] = {convertBatchNormalization, {5, 5}, {1, 3}};
  table["GroupNormalization"] = {convertGroupNormalization, {3, 3}};
  // Axes moved from an attribute to input 1: ReduceSum at opset 13, the
  // others at 18.
  table["ReduceSum"] = {convertReduce<ReduceSumOp, 13>, {1, 2}};
  table["ReduceMean"] = {convertReduce<ReduceMeanOp, 18>, {1, 2}};
  table["ReduceMax"] = {convertReduce<ReduceMaxOp, 18>, {1, 2}};
  table["ReduceL2"] = {convertReduceL2, {1, 2}};
  table["ArgMax"] = {convertArgMax, {1, 1}};
  table["CumSum"] = {convertCumSum, {2, 2}};
  table["Gelu"] = {convertGelu, {1, 1}};
  table["RMSNormalization"] = {convertRMSNormalization, {2, 2}};
  table["SimplifiedLayerNormalization"] = {
      convertRMSNormalization, {2, 2}, {1, 2}};
  table["Attention"] = {convertAttention, {3, 6}, {1, 4}};
  table["RotaryEmbedding"] = {
      [](NodeContext &node) {
        return convertRotaryEmbedding(
            node, {/*x=*/0, /*cos=*/1, /*sin=*/2, /*positions=*/3});
      },
      {3, 4}};
}

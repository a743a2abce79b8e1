//===- TesseraShapeInference.cpp - Result types of Tessera ops ------------===//
//
// inferReturnTypes for every op with an inferred result. Each one also checks
// what it needs to be well defined (ranks, matching dimensions, element
// types) and says what is wrong through the op's location; verifiers run
// these through InferTypeOpInterface.
//
//===----------------------------------------------------------------------===//

#include "dialects/tessera/IR/ShapeUtils.h"
#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;
using namespace mlir::tessera;

static RankedTensorType tensorTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// Merges two dimensions that must agree: a static size wins over `?`.
static int64_t mergeDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) ? b : a;
}

static LogicalResult checkSameElementType(std::optional<Location> location,
                                          ValueRange operands) {
  Type expected = tensorTypeOf(operands.front()).getElementType();
  for (Value operand : operands.drop_front()) {
    Type actual = tensorTypeOf(operand).getElementType();
    if (actual != expected)
      return emitOptionalError(location,
                               "operands have different element "
                               "types: ",
                               expected, " and ", actual);
  }
  return success();
}

/// Checks that `axis` names a dimension of a rank-`rank` tensor.
static LogicalResult checkAxis(std::optional<Location> location, int64_t axis,
                               int64_t rank, StringRef what = "axis") {
  if (axis < 0 || axis >= rank)
    return emitOptionalError(location, what, " ", axis,
                             " is out of range for a rank-", rank,
                             " input (expected 0 to ", rank - 1, ")");
  return success();
}

static LogicalResult broadcastOperandShapes(std::optional<Location> location,
                                            ValueRange operands,
                                            SmallVectorImpl<int64_t> &shape) {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value operand : operands)
    shapes.push_back(tensorTypeOf(operand).getShape());
  std::string error;
  std::optional<SmallVector<int64_t>> result = broadcastShapes(shapes, &error);
  if (!result) {
    std::string shapeList;
    for (ArrayRef<int64_t> s : shapes)
      shapeList += (shapeList.empty() ? "" : ", ") + formatShape(s);
    return emitOptionalError(location, "operand shapes ", shapeList,
                             " are not broadcast-compatible: ", error);
  }
  shape.assign(result->begin(), result->end());
  return success();
}

bool mlir::tessera::areCompatibleReturnTypes(TypeRange inferred,
                                             TypeRange actual) {
  if (inferred.size() != actual.size())
    return false;
  for (auto [want, have] : llvm::zip(inferred, actual)) {
    auto wantTensor = dyn_cast<RankedTensorType>(want);
    auto haveTensor = dyn_cast<RankedTensorType>(have);
    if (!wantTensor || !haveTensor) {
      if (want != have)
        return false;
      continue;
    }
    if (wantTensor.getElementType() != haveTensor.getElementType() ||
        wantTensor.getRank() != haveTensor.getRank())
      return false;
    for (auto [a, b] : llvm::zip(wantTensor.getShape(), haveTensor.getShape()))
      if (!dimsCompatible(a, b))
        return false;
  }
  return true;
}

LogicalResult
mlir::tessera::inferBroadcastResult(std::optional<Location> location,
                                    ValueRange operands, Type elementType,
                                    SmallVectorImpl<Type> &inferred) {
  if (failed(checkSameElementType(location, operands)))
    return failure();
  SmallVector<int64_t> shape;
  if (failed(broadcastOperandShapes(location, operands, shape)))
    return failure();
  if (!elementType)
    elementType = tensorTypeOf(operands.front()).getElementType();
  inferred.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = tensorTypeOf(adaptor.getInput());
  RankedTensorType indices = tensorTypeOf(adaptor.getIndices());
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  if (failed(checkAxis(location, axis, input.getRank())))
    return failure();
  SmallVector<int64_t> shape(input.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, input.getShape().drop_front(axis + 1));
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> location,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = tensorTypeOf(adaptor.getInput());
  ArrayRef<int64_t> permutation = adaptor.getPermutation();
  if (static_cast<int64_t>(permutation.size()) != input.getRank())
    return emitOptionalError(location, "permutation has ", permutation.size(),
                             " entries for a rank-", input.getRank(), " input");
  llvm::SmallBitVector seen(permutation.size());
  SmallVector<int64_t> shape;
  for (int64_t dim : permutation) {
    if (dim < 0 || dim >= input.getRank() || seen.test(dim))
      return emitOptionalError(location, "permutation [", permutation,
                               "] is not a permutation of 0..",
                               input.getRank() - 1);
    seen.set(dim);
    shape.push_back(input.getDimSize(dim));
  }
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> location,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = tensorTypeOf(adaptor.getInput());
  ArrayRef<int64_t> starts = adaptor.getStarts();
  ArrayRef<int64_t> ends = adaptor.getEnds();
  SmallVector<int64_t> steps(input.getRank(), 1);
  if (std::optional<ArrayRef<int64_t>> given = adaptor.getSteps())
    steps.assign(given->begin(), given->end());
  int64_t rank = input.getRank();
  if (static_cast<int64_t>(starts.size()) != rank ||
      static_cast<int64_t>(ends.size()) != rank ||
      static_cast<int64_t>(steps.size()) != rank)
    return emitOptionalError(location,
                             "starts, ends and steps need one entry "
                             "per dimension of the rank-",
                             rank, " input, got ", starts.size(), ", ",
                             ends.size(), " and ", steps.size());
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (steps[d] <= 0)
      return emitOptionalError(location, "step ", steps[d], " of dimension ", d,
                               " must be positive");
    int64_t size = input.getDimSize(d);
    if (ShapedType::isDynamic(size)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    auto clampIndex = [&](int64_t index) {
      if (index < 0)
        index = index < -size ? 0 : index + size;
      return std::min(index, size);
    };
    int64_t begin = clampIndex(starts[d]), end = clampIndex(ends[d]);
    shape.push_back(end <= begin ? 0 : (end - begin + steps[d] - 1) / steps[d]);
  }
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return emitOptionalError(location, "needs at least one input");
  if (failed(checkSameElementType(location, inputs)))
    return failure();
  RankedTensorType first = tensorTypeOf(inputs.front());
  int64_t rank = first.getRank();
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  if (failed(checkAxis(location, axis, rank)))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  for (auto [i, input] : llvm::enumerate(inputs.drop_front())) {
    RankedTensorType type = tensorTypeOf(input);
    if (type.getRank() != rank)
      return emitOptionalError(location, "input ", i + 1, " has rank ",
                               type.getRank(), " but input 0 has rank ", rank);
    for (int64_t d = 0; d < rank; ++d) {
      int64_t dim = type.getDimSize(d);
      if (d == axis) {
        shape[d] = ShapedType::isDynamic(shape[d]) || ShapedType::isDynamic(dim)
                       ? ShapedType::kDynamic
                       : shape[d] + dim;
        continue;
      }
      if (!dimsCompatible(shape[d], dim))
        return emitOptionalError(location, "input ", i + 1, " has size ", dim,
                                 " in dimension ", d, " where input 0 has ",
                                 shape[d]);
      shape[d] = mergeDims(shape[d], dim);
    }
  }
  inferred.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult CompareOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> location,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  return inferBroadcastResult(location, {adaptor.getLhs(), adaptor.getRhs()},
                              IntegerType::get(context, 1), inferred);
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  if (failed(checkSameElementType(location,
                                  {adaptor.getOnTrue(), adaptor.getOnFalse()})))
    return failure();
  SmallVector<int64_t> shape;
  if (failed(broadcastOperandShapes(location, adaptor.getOperands(), shape)))
    return failure();
  inferred.push_back(RankedTensorType::get(
      shape, tensorTypeOf(adaptor.getOnTrue()).getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  RankedTensorType lhs = tensorTypeOf(adaptor.getLhs());
  RankedTensorType rhs = tensorTypeOf(adaptor.getRhs());
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return emitOptionalError(location,
                             "operands must have rank 2 or more, got "
                             "ranks ",
                             lhs.getRank(), " and ", rhs.getRank());
  if (failed(
          checkSameElementType(location, {adaptor.getLhs(), adaptor.getRhs()})))
    return failure();
  ArrayRef<int64_t> l = lhs.getShape(), r = rhs.getShape();
  bool tl = adaptor.getTransposeLhs(), tr = adaptor.getTransposeRhs();
  int64_t m = tl ? l.back() : l[l.size() - 2];
  int64_t kl = tl ? l[l.size() - 2] : l.back();
  int64_t kr = tr ? r.back() : r[r.size() - 2];
  int64_t n = tr ? r[r.size() - 2] : r.back();
  if (!dimsCompatible(kl, kr))
    return emitOptionalError(location, "contraction sizes differ: lhs ",
                             formatShape(l), " has K = ", kl, ", rhs ",
                             formatShape(r), " has K = ", kr);
  std::string error;
  std::optional<SmallVector<int64_t>> batch =
      broadcastShapes({l.drop_back(2), r.drop_back(2)}, &error);
  if (!batch)
    return emitOptionalError(location, "batch dimensions of ", formatShape(l),
                             " and ", formatShape(r),
                             " are not broadcast-compatible: ", error);
  SmallVector<int64_t> shape(*batch);
  shape.push_back(m);
  shape.push_back(n);
  inferred.push_back(RankedTensorType::get(shape, lhs.getElementType()));
  return success();
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = tensorTypeOf(adaptor.getInput());
  RankedTensorType weight = tensorTypeOf(adaptor.getWeight());
  if (input.getRank() < 1)
    return emitOptionalError(location, "input must have rank 1 or more");
  if (weight.getRank() != 2)
    return emitOptionalError(location, "weight must be [N, K], got rank ",
                             weight.getRank());
  if (failed(checkSameElementType(location, adaptor.getOperands())))
    return failure();
  int64_t k = input.getShape().back();
  int64_t n = weight.getDimSize(0);
  if (!dimsCompatible(k, weight.getDimSize(1)))
    return emitOptionalError(location, "input has K = ", k, " but weight ",
                             formatShape(weight.getShape()),
                             " has K = ", weight.getDimSize(1));
  if (Value bias = adaptor.getBias()) {
    RankedTensorType biasType = tensorTypeOf(bias);
    if (biasType.getRank() != 1 || !dimsCompatible(biasType.getDimSize(0), n))
      return emitOptionalError(location, "bias must be [", n, "], got [",
                               formatShape(biasType.getShape()), "]");
    n = mergeDims(n, biasType.getDimSize(0));
  }
  SmallVector<int64_t> shape(input.getShape().drop_back());
  shape.push_back(n);
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

/// Positions a window of `kernel` taps `dilation` apart can start at along
/// an axis of `size` positions padded by `padBegin` and `padEnd`, each
/// `stride` after the last (ONNX's and PyTorch's convolution and pooling
/// size), rounded up with `ceilMode`; 0 where the window does not fit.
static int64_t windowStarts(int64_t size, int64_t kernel, int64_t stride,
                            int64_t padBegin, int64_t padEnd, int64_t dilation,
                            bool ceilMode) {
  int64_t span = size + padBegin + padEnd - dilation * (kernel - 1);
  if (span <= 0)
    return 0;
  return (span - 1 + (ceilMode ? stride - 1 : 0)) / stride + 1;
}

/// Checks a windowed op's attributes over `spatial` axes: one stride and
/// dilation per axis and two pads, strides, dilations (and a convolution's
/// `groups`) of at least 1, pads of at least 0.
static LogicalResult
checkWindowAttributes(std::optional<Location> location, int64_t spatial,
                      ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                      ArrayRef<int64_t> dilations,
                      std::optional<int64_t> groups = std::nullopt) {
  if (static_cast<int64_t>(strides.size()) != spatial ||
      static_cast<int64_t>(pads.size()) != 2 * spatial ||
      static_cast<int64_t>(dilations.size()) != spatial)
    return emitOptionalError(location, "needs ", spatial, " strides, ",
                             2 * spatial, " pads and ", spatial,
                             " dilations, got ", strides.size(), ", ",
                             pads.size(), " and ", dilations.size());
  if (llvm::any_of(strides, [](int64_t s) { return s < 1; }) ||
      llvm::any_of(dilations, [](int64_t d) { return d < 1; }) ||
      llvm::any_of(pads, [](int64_t p) { return p < 0; }) ||
      (groups && *groups < 1))
    return emitOptionalError(location,
                             groups ? "needs strides, dilations and groups"
                                    : "needs strides and dilations",
                             " of at least 1 and pads of at least 0");
  return success();
}

int64_t ConvOp::getOutputSize(int64_t size, int64_t kernel, int64_t stride,
                              int64_t padBegin, int64_t padEnd,
                              int64_t dilation) {
  return windowStarts(size, kernel, stride, padBegin, padEnd, dilation,
                      /*ceilMode=*/false);
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> location,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = tensorTypeOf(adaptor.getInput());
  RankedTensorType weight = tensorTypeOf(adaptor.getWeight());
  int64_t spatial = input.getRank() - 2;
  if ((spatial != 1 && spatial != 2) || weight.getRank() != input.getRank())
    return emitOptionalError(location,
                             "needs an input [N, C, (H,) W] and a weight [F, "
                             "C / groups, (KH,) KW] of the same rank, 3 or 4, "
                             "got ranks ",
                             input.getRank(), " and ", weight.getRank());
  if (failed(checkSameElementType(location, adaptor.getOperands())))
    return failure();
  ArrayRef<int64_t> strides = adaptor.getStrides();
  ArrayRef<int64_t> pads = adaptor.getPads();
  ArrayRef<int64_t> dilations = adaptor.getDilations();
  int64_t groups = adaptor.getGroups();
  if (failed(checkWindowAttributes(location, spatial, strides, pads, dilations,
                                   groups)))
    return failure();
  if (!weight.hasStaticShape() || input.isDynamicDim(1))
    return emitOptionalError(location,
                             "needs static channels and kernel (the batch and "
                             "image may be dynamic), got input ",
                             formatShape(input.getShape()), " and weight ",
                             formatShape(weight.getShape()));
  int64_t channels = input.getDimSize(1), outChannels = weight.getDimSize(0);
  if (channels != weight.getDimSize(1) * groups || outChannels % groups != 0)
    return emitOptionalError(location, "has ", channels, " input and ",
                             outChannels, " output channels in ", groups,
                             " groups but a weight ",
                             formatShape(weight.getShape()));
  if (Value bias = adaptor.getBias()) {
    RankedTensorType biasType = tensorTypeOf(bias);
    if (biasType.getRank() != 1 ||
        !dimsCompatible(biasType.getDimSize(0), outChannels))
      return emitOptionalError(location, "bias must be [", outChannels,
                               "], got [", formatShape(biasType.getShape()),
                               "]");
  }
  SmallVector<int64_t> shape = {input.getDimSize(0), outChannels};
  for (int64_t d = 0; d < spatial; ++d) {
    if (input.isDynamicDim(2 + d)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t size =
        getOutputSize(input.getDimSize(2 + d), weight.getDimSize(2 + d),
                      strides[d], pads[d], pads[spatial + d], dilations[d]);
    if (size < 1)
      return emitOptionalError(
          location, "has a kernel of ", weight.getDimSize(2 + d), " (dilation ",
          dilations[d], ") that does not fit axis ", 2 + d, " of ",
          input.getDimSize(2 + d), " positions padded by ", pads[d], " and ",
          pads[spatial + d]);
    shape.push_back(size);
  }
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

int64_t PoolOp::getOutputSize(int64_t size, int64_t kernel, int64_t stride,
                              int64_t padBegin, int64_t padEnd,
                              int64_t dilation, bool ceilMode) {
  int64_t out =
      windowStarts(size, kernel, stride, padBegin, padEnd, dilation, ceilMode);
  // Rounded up, the last window must still start inside the input or its
  // front padding.
  if (ceilMode && out > 0 && (out - 1) * stride >= size + padBegin)
    --out;
  return out;
}

LogicalResult PoolOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> location,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = tensorTypeOf(adaptor.getInput());
  int64_t spatial = input.getRank() - 2;
  if (spatial != 1 && spatial != 2)
    return emitOptionalError(location, "pools an input of rank ",
                             input.getRank(),
                             "; it must be [N, C, W] or [N, C, H, W]");
  ArrayRef<int64_t> kernel = adaptor.getKernel();
  ArrayRef<int64_t> strides = adaptor.getStrides();
  ArrayRef<int64_t> pads = adaptor.getPads();
  ArrayRef<int64_t> dilations = adaptor.getDilations();
  if (failed(
          checkWindowAttributes(location, spatial, strides, pads, dilations)))
    return failure();
  if (static_cast<int64_t>(kernel.size()) != spatial ||
      llvm::any_of(kernel, [](int64_t k) { return k < 1; }))
    return emitOptionalError(location, "needs ", spatial,
                             " kernel sizes of at least 1, got ",
                             kernel.size());
  if (input.isDynamicDim(1))
    return emitOptionalError(location,
                             "needs static channels (the batch and image "
                             "may be dynamic), got ",
                             formatShape(input.getShape()));
  // Each output element reads its whole window: a crafted one of 10^10
  // positions would run for hours.
  constexpr int64_t kMaxWindow = 1 << 16;
  if (llvm::any_of(kernel, [&](int64_t k) { return k > kMaxWindow; }) ||
      (spatial == 2 && kernel[0] * kernel[1] > kMaxWindow))
    return emitOptionalError(location, "has a window of more than ", kMaxWindow,
                             " positions");
  SmallVector<int64_t> shape(input.getShape().take_front(2));
  for (int64_t d = 0; d < spatial; ++d) {
    // A window must hold an input position: a pad smaller than the kernel.
    if (pads[d] >= (kernel[d] - 1) * dilations[d] + 1 ||
        pads[spatial + d] >= (kernel[d] - 1) * dilations[d] + 1)
      return emitOptionalError(location, "pads axis ", 2 + d, " by ", pads[d],
                               " and ", pads[spatial + d],
                               ", not less than its window of ", kernel[d]);
    if (input.isDynamicDim(2 + d)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t size =
        getOutputSize(input.getDimSize(2 + d), kernel[d], strides[d], pads[d],
                      pads[spatial + d], dilations[d], adaptor.getCeilMode());
    if (size < 1)
      return emitOptionalError(location, "has a window of ", kernel[d],
                               " that does not fit axis ", 2 + d, " of ",
                               input.getDimSize(2 + d), " positions");
    shape.push_back(size);
  }
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult RotaryOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = tensorTypeOf(adaptor.getInput());
  if (failed(checkSameElementType(location, adaptor.getOperands())))
    return failure();
  if (input.getRank() == 0)
    return emitOptionalError(location, "needs an input of rank 1 or more");
  int64_t pairs = input.getShape().back();
  if (!ShapedType::isDynamic(pairs) && pairs % 2 != 0)
    return emitOptionalError(location,
                             "rotates pairs, but the last dimension "
                             "has an odd size, ",
                             pairs);
  if (ShapedType::isDynamic(pairs))
    return emitOptionalError(location,
                             "needs a static last dimension (the pairs)");
  // The tables broadcast to the input without widening it.
  SmallVector<int64_t> shape;
  if (failed(broadcastOperandShapes(location, adaptor.getOperands(), shape)))
    return failure();
  bool widens = static_cast<int64_t>(shape.size()) != input.getRank();
  for (auto [d, size] : llvm::enumerate(shape))
    widens |= !widens && input.getDimSize(d) == 1 && size != 1;
  if (widens)
    return emitOptionalError(location, "cos and sin (",
                             tensorTypeOf(adaptor.getCos()), ", ",
                             tensorTypeOf(adaptor.getSin()),
                             ") must broadcast to the input's shape ", input);
  inferred.push_back(input);
  return success();
}

//===----------------------------------------------------------------------===//
// Normalisation and reductions
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> location,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = tensorTypeOf(adaptor.getInput());
  if (failed(checkAxis(location, static_cast<int64_t>(adaptor.getAxis()),
                       input.getRank())))
    return failure();
  inferred.push_back(input);
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> location,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = tensorTypeOf(adaptor.getInput());
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  if (failed(checkAxis(location, axis, input.getRank())))
    return failure();
  if (failed(checkSameElementType(location, adaptor.getOperands())))
    return failure();
  ArrayRef<int64_t> normalized = input.getShape().drop_front(axis);
  for (auto [name, value] :
       {std::pair<StringRef, Value>{"scale", adaptor.getScale()},
        std::pair<StringRef, Value>{"bias", adaptor.getBias()}}) {
    if (!value)
      continue;
    ArrayRef<int64_t> shape = tensorTypeOf(value).getShape();
    bool matches =
        shape.size() == normalized.size() &&
        llvm::all_of(llvm::zip(shape, normalized), [](auto dims) {
          return dimsCompatible(std::get<0>(dims), std::get<1>(dims));
        });
    if (!matches)
      return emitOptionalError(
          location, name, " has shape ", formatShape(shape),
          " but the normalized dimensions are ", formatShape(normalized));
  }
  inferred.push_back(input);
  return success();
}

/// Shape of a reduction over `axes` (which must be distinct and in range).
static LogicalResult inferReducedShape(std::optional<Location> location,
                                       RankedTensorType input,
                                       ArrayRef<int64_t> axes, bool keepdims,
                                       SmallVectorImpl<int64_t> &shape) {
  llvm::SmallBitVector reduced(input.getRank());
  for (int64_t axis : axes) {
    if (failed(checkAxis(location, axis, input.getRank())))
      return failure();
    if (reduced.test(axis))
      return emitOptionalError(location, "axis ", axis,
                               " is listed more than once");
    reduced.set(axis);
  }
  for (int64_t d = 0; d < input.getRank(); ++d) {
    if (!reduced.test(d))
      shape.push_back(input.getDimSize(d));
    else if (keepdims)
      shape.push_back(1);
  }
  return success();
}

LogicalResult mlir::tessera::inferReductionResult(
    std::optional<Location> location, Value input, ArrayRef<int64_t> axes,
    bool keepdims, SmallVectorImpl<Type> &inferred) {
  RankedTensorType inputType = tensorTypeOf(input);
  SmallVector<int64_t> shape;
  if (failed(inferReducedShape(location, inputType, axes, keepdims, shape)))
    return failure();
  inferred.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = tensorTypeOf(adaptor.getInput());
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  SmallVector<int64_t> shape;
  if (failed(inferReducedShape(location, input, {axis}, adaptor.getKeepdims(),
                               shape)))
    return failure();
  inferred.push_back(
      RankedTensorType::get(shape, IntegerType::get(context, 32)));
  return success();
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

LogicalResult ArgsortOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> location,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = tensorTypeOf(adaptor.getInput());
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  if (failed(checkAxis(location, axis, input.getRank())))
    return failure();
  if (input.isDynamicDim(axis))
    return emitOptionalError(location, "sorts along dynamic axis ", axis,
                             "; the axis must be static");
  inferred.push_back(
      RankedTensorType::get(input.getShape(), IntegerType::get(context, 32)));
  return success();
}

LogicalResult ScatterNDOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> location,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  RankedTensorType data = tensorTypeOf(adaptor.getData());
  RankedTensorType indices = tensorTypeOf(adaptor.getIndices());
  RankedTensorType updates = tensorTypeOf(adaptor.getUpdates());
  int64_t tuple = indices.getRank() ? indices.getShape().back() : 0;
  if (indices.getRank() < 1 || ShapedType::isDynamic(tuple) || tuple < 1 ||
      tuple > data.getRank())
    return emitOptionalError(location,
                             "needs indices [Q..., K] with a static "
                             "K from 1 to the data's rank, got ",
                             formatShape(indices.getShape()), " for data ",
                             formatShape(data.getShape()));
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected, data.getShape().drop_front(tuple));
  bool compatible =
      static_cast<int64_t>(expected.size()) == updates.getRank() &&
      llvm::all_of(llvm::zip(expected, updates.getShape()), [](auto pair) {
        return dimsCompatible(std::get<0>(pair), std::get<1>(pair));
      });
  if (!compatible || updates.getElementType() != data.getElementType())
    return emitOptionalError(location, "needs updates ", formatShape(expected),
                             " of the data's element "
                             "type, got ",
                             updates);
  inferred.push_back(data);
  return success();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> location,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  RankedTensorType q = tensorTypeOf(adaptor.getQuery());
  RankedTensorType k = tensorTypeOf(adaptor.getKey());
  RankedTensorType v = tensorTypeOf(adaptor.getValue());
  for (auto [name, type] : {std::pair<StringRef, RankedTensorType>{"query", q},
                            {"key", k},
                            {"value", v}})
    if (type.getRank() != 4)
      return emitOptionalError(location, name,
                               " must be [batch, heads, length, head_dim], "
                               "got rank ",
                               type.getRank());
  if (failed(
          checkSameElementType(location, {adaptor.getQuery(), adaptor.getKey(),
                                          adaptor.getValue()})))
    return failure();
  if (Value bias = adaptor.getBias())
    if (tensorTypeOf(bias).getElementType() != q.getElementType())
      return emitOptionalError(
          location, "bias element type ", tensorTypeOf(bias).getElementType(),
          " differs from the query's ", q.getElementType());

  int64_t batch = q.getDimSize(0), queryHeads = q.getDimSize(1);
  int64_t queryLength = q.getDimSize(2), headDim = q.getDimSize(3);
  int64_t kvHeads = k.getDimSize(1), keyLength = k.getDimSize(2);
  auto mismatch = [&](StringRef what, int64_t a, StringRef aName, int64_t b,
                      StringRef bName) {
    return emitOptionalError(location, what, " differs: ", aName, " has ", a,
                             ", ", bName, " has ", b);
  };
  if (!dimsCompatible(batch, k.getDimSize(0)))
    return mismatch("batch size", batch, "query", k.getDimSize(0), "key");
  if (!dimsCompatible(batch, v.getDimSize(0)))
    return mismatch("batch size", batch, "query", v.getDimSize(0), "value");
  if (!dimsCompatible(headDim, k.getDimSize(3)))
    return mismatch("head dim", headDim, "query", k.getDimSize(3), "key");
  if (!dimsCompatible(kvHeads, v.getDimSize(1)))
    return mismatch("head count", kvHeads, "key", v.getDimSize(1), "value");
  if (!dimsCompatible(keyLength, v.getDimSize(2)))
    return mismatch("sequence length", keyLength, "key", v.getDimSize(2),
                    "value");
  if (!ShapedType::isDynamic(queryHeads) && !ShapedType::isDynamic(kvHeads) &&
      (kvHeads == 0 || queryHeads % kvHeads != 0))
    return emitOptionalError(location, "query heads (", queryHeads,
                             ") must be a multiple of key/value heads (",
                             kvHeads, ")");
  batch = mergeDims(mergeDims(batch, k.getDimSize(0)), v.getDimSize(0));
  keyLength = mergeDims(keyLength, v.getDimSize(2));

  if (Value bias = adaptor.getBias()) {
    ArrayRef<int64_t> biasShape = tensorTypeOf(bias).getShape();
    SmallVector<int64_t> scores = {batch, queryHeads, queryLength, keyLength};
    // Swin's table is indexed by positions inside a window (the verifier
    // checks that the mask is a window).
    MaskAttr mask = adaptor.getMaskAttr();
    if (adaptor.getWindowRelativeBias() && mask && mask.getSize()) {
      int64_t positions = *mask.getSize() * *mask.getSize();
      scores[2] = scores[3] = positions;
    }
    std::string error;
    std::optional<SmallVector<int64_t>> broadcast =
        broadcastShapes({biasShape, scores}, &error);
    if (biasShape.size() > 4 || !broadcast ||
        !llvm::all_of(llvm::zip(*broadcast, scores), [](auto dims) {
          return dimsCompatible(std::get<0>(dims), std::get<1>(dims));
        }))
      return emitOptionalError(
          location, "bias of shape ", formatShape(biasShape),
          " does not broadcast to the scores' shape ", formatShape(scores));
  }
  if (Value padding = adaptor.getKeyPaddingMask()) {
    ArrayRef<int64_t> shape = tensorTypeOf(padding).getShape();
    if (shape.size() != 2 || !dimsCompatible(shape[0], batch) ||
        !dimsCompatible(shape[1], keyLength))
      return emitOptionalError(location,
                               "key_padding_mask must be [batch, "
                               "key length] = ",
                               formatShape({batch, keyLength}), ", got ",
                               formatShape(shape));
  }
  inferred.push_back(RankedTensorType::get(
      {batch, queryHeads, queryLength, v.getDimSize(3)}, q.getElementType()));
  return success();
}

//===- TesseraOps.cpp - Tessera operations --------------------------------===//
//
// Op definitions and the verifiers of ops whose rules go beyond their shape
// inference (TesseraShapeInference.cpp).
//
//===----------------------------------------------------------------------===//

#include "dialects/tessera/IR/TesseraOps.h"

#include "dialects/tessera/IR/ShapeUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tessera;

#define GET_OP_CLASSES
#include "dialects/tessera/IR/TesseraOps.cpp.inc"

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  auto dense = dyn_cast<DenseElementsAttr>(getValue());
  if (!dense) {
    if (!isa<ElementsAttr>(getValue()))
      return emitOpError("value must be a tensor literal (dense or "
                         "dense_resource), got ")
             << getValue();
    return success();
  }
  if (!dense.isSplat() && dense.getNumElements() > kMaxInlineElements)
    return emitOpError("inline dense literal has ")
           << dense.getNumElements() << " elements; literals above "
           << kMaxInlineElements
           << " elements must be dense_resource blobs (weights are never "
              "kept as text)";
  return success();
}

//===----------------------------------------------------------------------===//
// IotaOp
//===----------------------------------------------------------------------===//

LogicalResult IotaOp::verify() {
  auto type = cast<RankedTensorType>(getType());
  if (type.getRank() != 1)
    return emitOpError("result must be 1-D, got ") << type;
  bool dynamic = type.isDynamicDim(0);
  if (dynamic && (!getLength() || getLength()->empty()))
    return emitOpError("has a dynamic length but names no dimension "
                       "(`length = \"NAME\"`)");
  if (!dynamic && getLength())
    return emitOpError("names dimension '")
           << *getLength() << "' but its length is static ("
           << type.getDimSize(0) << ")";
  if (getStart() && getStart()->empty())
    return emitOpError("has an empty start; leave it out to start at 0");
  return success();
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

static int64_t staticProduct(ArrayRef<int64_t> shape) {
  int64_t product = 1;
  for (int64_t dim : shape)
    if (!ShapedType::isDynamic(dim))
      product *= dim;
  return product;
}

std::optional<std::pair<int64_t, int64_t>>
ResizeOp::getScaleFraction(float scale) {
  if (!(scale > 0) || scale == 1.0f)
    return std::nullopt;
  // The inverse of an integer (1 / 3 is no float): as ONNX models write a
  // downsampling by k.
  double inverse = 1.0 / scale, rounded = std::round(inverse);
  if (rounded >= 2 && rounded <= (1 << 16) &&
      std::abs(inverse - rounded) <= 1e-6 * rounded)
    return std::pair<int64_t, int64_t>(1, static_cast<int64_t>(rounded));
  // Otherwise the float's exact value, p / 2^e.
  for (int64_t denominator = 1; denominator <= (1 << 16); denominator *= 2) {
    double numerator = static_cast<double>(scale) * denominator;
    if (numerator == std::floor(numerator) && numerator <= (1 << 24))
      return std::pair<int64_t, int64_t>(static_cast<int64_t>(numerator),
                                         denominator);
  }
  return std::nullopt;
}

LogicalResult ResizeOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getType());
  ArrayRef<float> scales = getScales();
  if (result.getRank() != input.getRank() ||
      static_cast<int64_t>(scales.size()) != input.getRank())
    return emitOpError("needs one scale per dim of its rank-")
           << input.getRank() << " input and a result of that rank, got "
           << scales.size() << " scales and rank " << result.getRank();
  for (auto [d, scale] : llvm::enumerate(scales)) {
    int64_t from = input.getDimSize(d), to = result.getDimSize(d);
    if (scale == 0.0f) {
      // The ratio of the sizes at run time; a dynamic result named by dims.
      if (!ShapedType::isDynamic(from) ||
          (ShapedType::isDynamic(to) &&
           (!getDims() || getDims()->size() != scales.size())))
        return emitOpError("dim ")
               << d
               << " has scale 0 (the ratio of the sizes at run time), "
                  "which needs a dynamic input dim, and `dims` naming the "
                  "result's dims where they are dynamic";
      continue;
    }
    if (!(scale > 0))
      return emitOpError("scale ")
             << scale << " of dim " << d << " is not positive";
    if (scale == 1.0f && from != to)
      return emitOpError("dim ")
             << d << " has scale 1 but size " << to << " from " << from;
    if (scale == 1.0f ||
        (!ShapedType::isDynamic(from) && !ShapedType::isDynamic(to)))
      continue;
    // A dynamic axis: the result's size is floor(p · Lin / q).
    if (!ShapedType::isDynamic(from) || !ShapedType::isDynamic(to) ||
        !getScaleFraction(scale))
      return emitOpError("resizes dim ")
             << d << " by " << scale
             << "; a dynamic dim must be dynamic in the input and the result "
                "and resized by an integer, its inverse, or a fraction whose "
                "denominator is a power of two up to 2^16";
  }
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getType());
  if (input.getElementType() != result.getElementType())
    return emitOpError("changes the element type from ")
           << input.getElementType() << " to " << result.getElementType()
           << "; use tessera.cast";
  if (input.hasStaticShape() && result.hasStaticShape()) {
    if (input.getNumElements() != result.getNumElements())
      return emitOpError("input ")
             << formatShape(input.getShape()) << " has "
             << input.getNumElements() << " elements but result "
             << formatShape(result.getShape()) << " has "
             << result.getNumElements();
    return success();
  }
  // With dynamic dimensions, only a fully static side gives an element count
  // to check: the static dimensions of the other side must divide it.
  if (input.hasStaticShape() || result.hasStaticShape()) {
    int64_t total = input.hasStaticShape() ? input.getNumElements()
                                           : result.getNumElements();
    int64_t partial = input.hasStaticShape() ? staticProduct(result.getShape())
                                             : staticProduct(input.getShape());
    if (partial != 0 && total % partial != 0)
      return emitOpError("cannot reshape ")
             << formatShape(input.getShape()) << " into "
             << formatShape(result.getShape()) << ": " << total
             << " elements are not a multiple of " << partial;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// BroadcastOp
//===----------------------------------------------------------------------===//

LogicalResult BroadcastOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getType());
  if (input.getElementType() != result.getElementType())
    return emitOpError("changes the element type from ")
           << input.getElementType() << " to " << result.getElementType();
  if (input.getRank() > result.getRank())
    return emitOpError("cannot broadcast rank ")
           << input.getRank() << " to the lower rank " << result.getRank();
  int64_t offset = result.getRank() - input.getRank();
  for (int64_t d = 0; d < input.getRank(); ++d) {
    int64_t from = input.getDimSize(d), to = result.getDimSize(d + offset);
    if (from != 1 && !dimsCompatible(from, to))
      return emitOpError("input dimension ")
             << d << " of size " << from << " cannot broadcast to size " << to
             << " (input " << formatShape(input.getShape()) << ", result "
             << formatShape(result.getShape()) << ")";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// CastOp
//===----------------------------------------------------------------------===//

LogicalResult CastOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getType());
  if (input.getRank() != result.getRank() ||
      !llvm::all_of(
          llvm::zip(input.getShape(), result.getShape()), [](auto dims) {
            return dimsCompatible(std::get<0>(dims), std::get<1>(dims));
          }))
    return emitOpError("changes the shape from ")
           << formatShape(input.getShape()) << " to "
           << formatShape(result.getShape()) << "; a cast only converts "
           << "elements";
  return success();
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

int64_t DequantizeOp::getGroupsPerRow() {
  return getType().getDimSize(1) / getGroupSize();
}

LogicalResult DequantizeOp::verify() {
  auto result = cast<RankedTensorType>(getType());
  if (result.getRank() != 2 || !result.hasStaticShape())
    return emitOpError("result must be a static [N, K] matrix, not ") << result;
  int64_t bits = getBits(), group = getGroupSize();
  if (bits != 4 && bits != 8)
    return emitOpError("bits must be 4 or 8, not ") << bits;
  int64_t n = result.getDimSize(0), k = result.getDimSize(1);
  int64_t perWord = getValuesPerWord();
  if (group <= 0 || k % group != 0 || group % perWord != 0)
    return emitOpError("group_size ")
           << group << " must divide K = " << k << " and be a multiple of "
           << perWord << " (values per 32-bit word)";
  SmallVector<int64_t> words = {n, k / perWord};
  if (getPacked().getType().getShape() != ArrayRef<int64_t>(words))
    return emitOpError("packed words must be ")
           << formatShape(words) << " for a " << formatShape({n, k})
           << " weight of " << bits << "-bit values, not "
           << formatShape(getPacked().getType().getShape());
  SmallVector<int64_t> groups = {n, k / group};
  for (Value parameter : {getScale(), getZeroPoint()})
    if (parameter && cast<RankedTensorType>(parameter.getType()).getShape() !=
                         ArrayRef<int64_t>(groups))
      return emitOpError("scale and zero_point must be ")
             << formatShape(groups) << " (one per row and group of " << group
             << "), not "
             << formatShape(
                    cast<RankedTensorType>(parameter.getType()).getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

MaskAttr AttentionOp::getMaskOrNone() {
  if (std::optional<MaskAttr> mask = getMask())
    return *mask;
  return MaskAttr::getNone(getContext());
}

Value AttentionOp::getQueryRows() {
  if (auto rotary = getQuery().getDefiningOp<RotaryOp>())
    return rotary.getInput();
  return getQuery();
}

double AttentionOp::getEffectiveScale() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToDouble();
  int64_t headDim = cast<RankedTensorType>(getQuery().getType()).getDimSize(3);
  return 1.0 / std::sqrt(static_cast<double>(headDim));
}

LogicalResult AttentionOp::verify() {
  auto query = cast<RankedTensorType>(getQuery().getType());
  auto key = cast<RankedTensorType>(getKey().getType());
  int64_t queryLength = query.getDimSize(2), keyLength = key.getDimSize(2);

  if (!getScale() && ShapedType::isDynamic(query.getDimSize(3)))
    return emitOpError("needs an explicit 'scale' when the head dimension is "
                       "dynamic");
  if (std::optional<APFloat> scale = getScale())
    if (!scale->isFiniteNonZero() || scale->isNegative())
      return emitOpError("'scale' must be a positive finite number");

  MaskAttr mask = getMaskOrNone();
  switch (mask.getKind()) {
  case MaskKind::None:
  case MaskKind::Causal:
  case MaskKind::Prefix:
  case MaskKind::Sliding:
    break;
  case MaskKind::Global: {
    int64_t last = mask.getTokens().back();
    if (!ShapedType::isDynamic(keyLength) && last >= keyLength)
      return emitOpError("global token ")
             << last << " lies beyond the key length " << keyLength;
    break;
  }
  case MaskKind::Window: {
    int64_t tokens = mask.getGrid()[0] * mask.getGrid()[1];
    for (auto [name, length] :
         {std::pair<StringRef, int64_t>{"query", queryLength},
          {"key", keyLength}})
      if (!ShapedType::isDynamic(length) && length != tokens)
        return emitOpError("window mask over a ")
               << mask.getGrid()[0] << "x" << mask.getGrid()[1]
               << " grid needs " << tokens << " tokens, but the " << name
               << " length is " << length;
    break;
  }
  }
  if (std::optional<ArrayRef<float>> slopes = getAlibiSlopes()) {
    int64_t heads = query.getDimSize(1);
    if (!ShapedType::isDynamic(heads) &&
        static_cast<int64_t>(slopes->size()) != heads)
      return emitOpError("has ")
             << slopes->size() << " ALiBi slopes for " << heads
             << " query heads";
    for (float slope : *slopes)
      if (!std::isfinite(slope))
        return emitOpError("ALiBi slopes must be finite");
  }
  // What hidden keys scored in the source graph (fully masked rows).
  for (auto [name, fill] :
       {std::pair<StringRef, std::optional<APFloat>>{"mask_fill", getMaskFill()},
        {"padding_fill", getPaddingFill()}})
    if (fill && (fill->isNaN() || (fill->isFinite() && !fill->isNegative() &&
                                   !fill->isZero())))
      return emitOpError("'") << name << "' must be zero, negative or -inf";
  if (getMaskFill() && mask.getKind() == MaskKind::None)
    return emitOpError("'mask_fill' without a mask");
  if (getPaddingFill() && !getKeyPaddingMask())
    return emitOpError("'padding_fill' without a key padding mask");
  if (getSharedFill() &&
      (!getMaskFill() || getPaddingFill() || !getKeyPaddingMask()))
    return emitOpError("'shared_fill' needs 'mask_fill', a key padding mask "
                       "and no 'padding_fill'");
  if (getWindowRelativeBias()) {
    if (mask.getKind() != MaskKind::Window)
      return emitOpError("'window_relative_bias' needs a window mask");
    if (!getBias())
      return emitOpError("'window_relative_bias' without a bias operand");
    auto bias = cast<RankedTensorType>(getBias().getType());
    int64_t positions = *mask.getSize() * *mask.getSize();
    if (bias.getRank() < 2 ||
        bias.getDimSize(bias.getRank() - 1) != positions ||
        bias.getDimSize(bias.getRank() - 2) != positions)
      return emitOpError("window-relative bias must end in ")
             << positions << "x" << positions
             << " (positions in a window), got " << bias;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// DispatchOp
//===----------------------------------------------------------------------===//

void DispatchOp::build(OpBuilder &builder, OperationState &state,
                       Type resultType, ValueRange inputs) {
  state.addOperands(inputs);
  state.addTypes(resultType);
  Region *body = state.addRegion();
  Block *block = new Block();
  body->push_back(block);
  for (Value input : inputs)
    block->addArgument(input.getType(), input.getLoc());
}

bool DispatchOp::isFusableElementwise(Operation *op) {
  // An op with a scalar rule is computed per element; so is an iota, from
  // the element's position.
  return isa<ScalarRuleOpInterface, IotaOp>(op);
}

bool DispatchOp::isEvaluatedPerElement(Operation *op) {
  return isFusableElementwise(op) ||
         isa<GatherOp, ReshapeOp, TransposeOp, BroadcastOp, SliceOp,
             DequantizeOp, RotaryOp, ResizeOp>(op);
}

Operation *DispatchOp::getRootOp() {
  Block &block = getBody().front();
  // The last one: a recomputed layer norm comes before its linear.
  Operation *root = nullptr;
  for (Operation &op : block.without_terminator())
    if (!isEvaluatedPerElement(&op) && !isa<ConstantOp>(op))
      root = &op;
  if (root)
    return root;
  // An elementwise-only dispatch (gathers included) is built around the op
  // it yields; a copy whose layout op folded away after its kernel was
  // built yields its operand and has none.
  return cast<YieldOp>(block.getTerminator()).getValue().getDefiningOp();
}

LayerNormOp DispatchOp::getRecomputedNorm() {
  Operation *root = getRootOp();
  for (Operation &op : getBody().front().without_terminator())
    if (auto norm = dyn_cast<LayerNormOp>(op); norm && &op != root)
      return norm;
  return {};
}

LogicalResult DispatchOp::verify() {
  Block &block = getBody().front();
  if (block.getNumArguments() != getInputs().size())
    return emitOpError("has ")
           << getInputs().size() << " inputs but its body takes "
           << block.getNumArguments() << " arguments";
  for (auto [i, input, argument] :
       llvm::enumerate(getInputs(), block.getArguments()))
    if (input.getType() != argument.getType())
      return emitOpError("input ")
             << i << " has type " << input.getType()
             << " but the body's argument has type " << argument.getType();
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield)
    return emitOpError("body must end with tessera.yield");
  if (yield.getValue().getType() != getType())
    return emitOpError("yields ") << yield.getValue().getType()
                                  << " but its result has type " << getType();
  SmallVector<Operation *, 2> roots;
  for (Operation &op : block.without_terminator())
    if (!isEvaluatedPerElement(&op) && !isa<ConstantOp>(op))
      roots.push_back(&op);
  if (roots.size() <= 1)
    return success();
  auto norm = dyn_cast<LayerNormOp>(roots.front());
  if (roots.size() > 2 || !norm || !isa<LinearOp>(roots.back()))
    return roots[1]->emitOpError(
        "is a second root op in one dispatch region; a dispatch holds one "
        "matmul, linear, attention or row reduction (and a linear one "
        "layer_norm it recomputes)");
  if (!norm.isOverLastDim())
    return norm.emitOpError("recomputed by a linear's dispatch must normalise "
                            "the last dimension only");
  // Its rows must be the linear's rows: it is the linear's input, or it is
  // read in the epilogue, at the linear's result shape.
  auto linear = cast<LinearOp>(roots.back());
  bool readAsInput = linear.getInput() == norm.getResult();
  bool readElsewhere = llvm::any_of(norm->getUsers(), [&](Operation *user) {
    return user != linear.getOperation();
  });
  if ((readElsewhere &&
       cast<ShapedType>(norm.getType()).getShape() !=
           cast<ShapedType>(linear.getType()).getShape()) ||
      (readAsInput && (norm.getScale() || norm.getBias())))
    return norm.emitOpError(
        "recomputed by a linear's dispatch must have the linear's rows and, "
        "as its input, no scale or bias");
  return success();
}

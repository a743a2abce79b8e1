//===- TesseraFolds.cpp - Folders of Tessera ops --------------------------===//
//
// Folding removes layout no-ops (reshape of reshape, transpose of transpose,
// casts and broadcasts to the same type) and evaluates the small constant
// arithmetic that shape computations in exported models consist of. Constant
// evaluation is limited to splats and to results of at most
// ConstantOp::kMaxInlineElements elements: weights are never folded into
// text.
//
//===----------------------------------------------------------------------===//

#include "dialects/tessera/IR/ScalarRules.h"
#include "dialects/tessera/IR/ShapeUtils.h"
#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// A constant operand that folding may read element by element.
DenseElementsAttr foldableConstant(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense)
    return nullptr;
  if (!dense.isSplat() &&
      dense.getNumElements() > ConstantOp::kMaxInlineElements)
    return nullptr;
  return dense;
}

/// Whether a constant result of this type may be materialised.
bool isFoldableResult(RankedTensorType type, bool splat) {
  return type.hasStaticShape() &&
         (splat || type.getNumElements() <= ConstantOp::kMaxInlineElements);
}

/// Element `offset` of a dense constant (splats ignore the offset).
Attribute elementAt(DenseElementsAttr attr, int64_t offset) {
  if (attr.isSplat())
    return attr.getSplatValue<Attribute>();
  return *std::next(attr.value_begin<Attribute>(), offset);
}

/// Evaluates `fn` elementwise over constant operands broadcast to
/// `resultType`. `fn` gets one element attribute per operand and returns the
/// result element, or null to give up.
Attribute foldElementwise(ArrayRef<Attribute> operands,
                          RankedTensorType resultType,
                          function_ref<Attribute(ArrayRef<Attribute>)> fn) {
  SmallVector<DenseElementsAttr> constants;
  bool allSplat = true;
  for (Attribute operand : operands) {
    DenseElementsAttr dense = foldableConstant(operand);
    if (!dense)
      return nullptr;
    constants.push_back(dense);
    allSplat &= dense.isSplat();
  }
  if (!isFoldableResult(resultType, allSplat))
    return nullptr;

  SmallVector<Attribute> args(constants.size());
  if (allSplat) {
    for (auto [i, c] : llvm::enumerate(constants))
      args[i] = c.getSplatValue<Attribute>();
    Attribute value = fn(args);
    return value ? DenseElementsAttr::get(resultType, value) : nullptr;
  }

  ArrayRef<int64_t> resultShape = resultType.getShape();
  SmallVector<Attribute> results;
  bool failedElement = false;
  forEachIndex(resultShape, [&](ArrayRef<int64_t> index) {
    if (failedElement)
      return;
    for (auto [i, c] : llvm::enumerate(constants)) {
      ArrayRef<int64_t> shape = c.getType().getShape();
      SmallVector<int64_t> operandIndex;
      int64_t offset = resultShape.size() - shape.size();
      for (size_t d = 0; d < shape.size(); ++d)
        operandIndex.push_back(shape[d] == 1 ? 0 : index[d + offset]);
      args[i] = elementAt(c, linearize(operandIndex, shape));
    }
    Attribute value = fn(args);
    failedElement = !value;
    results.push_back(value);
  });
  if (failedElement)
    return nullptr;
  return DenseElementsAttr::get(resultType, results);
}

/// Evaluates a shape-only op: result element at `index` is input element
/// `inputOffset(index)`.
Attribute foldIndexMap(Attribute input, RankedTensorType resultType,
                       function_ref<int64_t(ArrayRef<int64_t>)> inputOffset) {
  DenseElementsAttr dense = foldableConstant(input);
  if (!dense || !isFoldableResult(resultType, dense.isSplat()))
    return nullptr;
  if (dense.isSplat())
    return DenseElementsAttr::get(resultType, dense.getSplatValue<Attribute>());
  SmallVector<Attribute> results;
  forEachIndex(resultType.getShape(), [&](ArrayRef<int64_t> index) {
    results.push_back(elementAt(dense, inputOffset(index)));
  });
  return DenseElementsAttr::get(resultType, results);
}

bool isSplatOf(Attribute attr, double value) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat())
    return false;
  if (auto i = dyn_cast<IntegerAttr>(dense.getSplatValue<Attribute>()))
    return i.getValue().getSExtValue() == static_cast<int64_t>(value);
  auto f = cast<FloatAttr>(dense.getSplatValue<Attribute>());
  return f.getValueAsDouble() == value;
}

bool isIntegerTensor(Value value) {
  return isa<IntegerType>(getElementTypeOrSelf(value.getType()));
}

/// `x op c` is `x` when c is an identity splat and the types already agree.
OpFoldResult foldIdentity(Operation *op, Value x, Attribute other,
                          double identity, bool floatsToo) {
  if (x.getType() != op->getResult(0).getType())
    return nullptr;
  if (!floatsToo && !isIntegerTensor(x))
    return nullptr;
  return isSplatOf(other, identity) ? OpFoldResult(x) : nullptr;
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise arithmetic
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult IotaOp::fold(FoldAdaptor) {
  auto type = cast<RankedTensorType>(getType());
  if (type.isDynamicDim(0) || getStart() ||
      type.getDimSize(0) > ConstantOp::kMaxInlineElements)
    return nullptr; // large iotas stay ops: kernels compute them
  auto element = cast<IntegerType>(type.getElementType());
  SmallVector<APInt> values;
  for (int64_t i = 0; i < type.getDimSize(0); ++i)
    values.push_back(APInt(element.getWidth(), i));
  return DenseElementsAttr::get(type, values);
}

OpFoldResult mlir::tessera::foldScalarRule(Operation *op,
                                           ArrayRef<Attribute> operands) {
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  // Nothing is built until every operand is known to be a small constant:
  // the canonicalizer asks every op.
  if (!llvm::all_of(operands, [](Attribute a) { return foldableConstant(a); }))
    return nullptr;
  std::unique_ptr<ScalarRuleEvaluator> rule = ScalarRuleEvaluator::build(op);
  if (!rule)
    return nullptr;
  return foldElementwise(operands, resultType, [&](ArrayRef<Attribute> args) {
    return rule->evaluate(args);
  });
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  // x + 0 is x for integers only: -0.0 + 0.0 is +0.0.
  if (OpFoldResult x =
          foldIdentity(*this, getLhs(), adaptor.getRhs(), 0, false))
    return x;
  if (OpFoldResult x =
          foldIdentity(*this, getRhs(), adaptor.getLhs(), 0, false))
    return x;
  return foldScalarRule(*this, adaptor.getOperands());
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult x =
          foldIdentity(*this, getLhs(), adaptor.getRhs(), 0, false))
    return x;
  return foldScalarRule(*this, adaptor.getOperands());
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult x = foldIdentity(*this, getLhs(), adaptor.getRhs(), 1, true))
    return x;
  if (OpFoldResult x = foldIdentity(*this, getRhs(), adaptor.getLhs(), 1, true))
    return x;
  return foldScalarRule(*this, adaptor.getOperands());
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult x = foldIdentity(*this, getLhs(), adaptor.getRhs(), 1, true))
    return x;
  return foldScalarRule(*this, adaptor.getOperands());
}

OpFoldResult CompareOp::fold(FoldAdaptor adaptor) {
  return foldScalarRule(*this, adaptor.getOperands());
}

OpFoldResult SelectOp::fold(FoldAdaptor adaptor) {
  auto condition = dyn_cast_or_null<DenseElementsAttr>(adaptor.getCondition());
  if (condition && condition.isSplat()) {
    Value chosen = condition.getSplatValue<bool>() ? getOnTrue() : getOnFalse();
    if (chosen.getType() == getType())
      return chosen;
  }
  if (getOnTrue() == getOnFalse() && getOnTrue().getType() == getType())
    return getOnTrue();
  return foldScalarRule(*this, adaptor.getOperands());
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  Type to = getType().getElementType();
  // Weights stored at a narrower float type stay narrow: folding would
  // double their bytes (tessera-store-weights-as-f16).
  if (auto elements = dyn_cast_or_null<ElementsAttr>(adaptor.getInput());
      elements && !elements.isSplat() &&
      isa<FloatType>(getInput().getType().getElementType()) &&
      isa<FloatType>(to) &&
      to.getIntOrFloatBitWidth() >
          getInput().getType().getElementType().getIntOrFloatBitWidth())
    return {};
  return foldScalarRule(*this, adaptor.getOperands());
}

//===----------------------------------------------------------------------===//
// Shape-only ops
//===----------------------------------------------------------------------===//

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // reshape(reshape(x)) is reshape(x): only the final shape matters.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  auto dense = foldableConstant(adaptor.getInput());
  if (dense && getType().hasStaticShape())
    return dense.reshape(getType());
  return nullptr;
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> permutation = getPermutation();
  if (llvm::equal(permutation, llvm::seq<int64_t>(0, permutation.size())) &&
      getInput().getType() == getType())
    return getInput();
  // transpose(transpose(x, p), q) is transpose(x, p∘q).
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t dim : permutation)
      composed.push_back(inner.getPermutation()[dim]);
    setPermutation(composed);
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  ArrayRef<int64_t> inputShape = getInput().getType().getShape();
  return foldIndexMap(adaptor.getInput(), getType(),
                      [&](ArrayRef<int64_t> index) {
                        SmallVector<int64_t> inputIndex(index.size());
                        for (size_t d = 0; d < index.size(); ++d)
                          inputIndex[permutation[d]] = index[d];
                        return linearize(inputIndex, inputShape);
                      });
}

OpFoldResult BroadcastOp::fold(FoldAdaptor adaptor) {
  // With dynamic dims, equal types do not say that the named dims are equal.
  if (getInput().getType() == getType() &&
      (getType().hasStaticShape() || !getDims()))
    return getInput();
  return foldElementwise(adaptor.getOperands(), getType(),
                         [](ArrayRef<Attribute> args) { return args[0]; });
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  RankedTensorType inputType = getInput().getType();
  ArrayRef<int64_t> inputShape = inputType.getShape();
  SmallVector<int64_t> steps(inputShape.size(), 1);
  if (std::optional<ArrayRef<int64_t>> given = getSteps())
    steps.assign(given->begin(), given->end());
  // Normalised start of each dimension (only needed for static shapes).
  SmallVector<int64_t> begins;
  bool identity = inputType == getType();
  for (auto [d, start] : llvm::enumerate(getStarts())) {
    int64_t size = inputShape[d];
    int64_t begin = start;
    if (!ShapedType::isDynamic(size) && begin < 0)
      begin = std::max<int64_t>(0, begin + size);
    begins.push_back(begin);
    identity &= begin == 0 && steps[d] == 1 &&
                (getEnds()[d] == std::numeric_limits<int64_t>::max() ||
                 (!ShapedType::isDynamic(size) && getEnds()[d] >= size));
  }
  if (identity)
    return getInput();
  if (!inputType.hasStaticShape())
    return nullptr;
  return foldIndexMap(adaptor.getInput(), getType(),
                      [&](ArrayRef<int64_t> index) {
                        SmallVector<int64_t> inputIndex;
                        for (size_t d = 0; d < index.size(); ++d)
                          inputIndex.push_back(begins[d] + index[d] * steps[d]);
                        return linearize(inputIndex, inputShape);
                      });
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  SmallVector<DenseElementsAttr> inputs;
  for (Attribute attr : adaptor.getInputs()) {
    DenseElementsAttr dense = foldableConstant(attr);
    if (!dense)
      return nullptr;
    inputs.push_back(dense);
  }
  if (!isFoldableResult(getType(), /*splat=*/false))
    return nullptr;
  int64_t axis = static_cast<int64_t>(getAxis());
  SmallVector<Attribute> results;
  forEachIndex(getType().getShape(), [&](ArrayRef<int64_t> index) {
    SmallVector<int64_t> inputIndex(index);
    for (DenseElementsAttr input : inputs) {
      ArrayRef<int64_t> shape = input.getType().getShape();
      if (inputIndex[axis] < shape[axis]) {
        results.push_back(elementAt(input, linearize(inputIndex, shape)));
        return;
      }
      inputIndex[axis] -= shape[axis];
    }
  });
  return DenseElementsAttr::get(getType(), results);
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr indices = foldableConstant(adaptor.getIndices());
  if (!indices || !getInput().getType().hasStaticShape())
    return nullptr;
  ArrayRef<int64_t> inputShape = getInput().getType().getShape();
  ArrayRef<int64_t> indexShape = indices.getType().getShape();
  int64_t axis = static_cast<int64_t>(getAxis());
  int64_t axisSize = inputShape[axis];
  // Out-of-range indices are a run-time error; never fold them away.
  for (const APInt &index : indices.getValues<APInt>()) {
    int64_t i = index.getSExtValue();
    if (i < -axisSize || i >= axisSize)
      return nullptr;
  }
  return foldIndexMap(
      adaptor.getInput(), getType(), [&](ArrayRef<int64_t> index) {
        ArrayRef<int64_t> indexPart = index.slice(axis, indexShape.size());
        int64_t picked = indices.isSplat()
                             ? indices.getSplatValue<APInt>().getSExtValue()
                             : (*std::next(indices.value_begin<APInt>(),
                                           linearize(indexPart, indexShape)))
                                   .getSExtValue();
        if (picked < 0)
          picked += axisSize;
        SmallVector<int64_t> inputIndex(index.take_front(axis));
        inputIndex.push_back(picked);
        llvm::append_range(inputIndex,
                           index.drop_front(axis + indexShape.size()));
        return linearize(inputIndex, inputShape);
      });
}

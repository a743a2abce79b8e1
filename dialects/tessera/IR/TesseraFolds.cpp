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

using IntFn = function_ref<std::optional<APInt>(const APInt &, const APInt &)>;
using FloatFn =
    function_ref<std::optional<APFloat>(const APFloat &, const APFloat &)>;

/// Applies an integer or a float function to two scalar element attributes.
Attribute foldArithmetic(ArrayRef<Attribute> args, IntFn intFn,
                         FloatFn floatFn) {
  if (auto lhs = dyn_cast<IntegerAttr>(args[0])) {
    if (!intFn)
      return nullptr;
    std::optional<APInt> value =
        intFn(lhs.getValue(), cast<IntegerAttr>(args[1]).getValue());
    return value ? IntegerAttr::get(lhs.getType(), *value) : nullptr;
  }
  auto lhs = cast<FloatAttr>(args[0]);
  if (!floatFn)
    return nullptr;
  std::optional<APFloat> value =
      floatFn(lhs.getValue(), cast<FloatAttr>(args[1]).getValue());
  return value ? FloatAttr::get(lhs.getType(), *value) : nullptr;
}

/// Folds a broadcasting binary op over constants with one function for
/// integer and one for float elements (either may be null: no fold).
OpFoldResult foldBinary(ArrayRef<Attribute> operands,
                        RankedTensorType resultType, IntFn intFn,
                        FloatFn floatFn) {
  return foldElementwise(operands, resultType, [&](ArrayRef<Attribute> args) {
    return foldArithmetic(args, intFn, floatFn);
  });
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

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  // x + 0 is x for integers only: -0.0 + 0.0 is +0.0.
  if (OpFoldResult x =
          foldIdentity(*this, getLhs(), adaptor.getRhs(), 0, false))
    return x;
  if (OpFoldResult x =
          foldIdentity(*this, getRhs(), adaptor.getLhs(), 0, false))
    return x;
  return foldBinary(
      adaptor.getOperands(), getType(),
      [](const APInt &a, const APInt &b) { return a + b; },
      [](const APFloat &a, const APFloat &b) { return a + b; });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult x =
          foldIdentity(*this, getLhs(), adaptor.getRhs(), 0, false))
    return x;
  return foldBinary(
      adaptor.getOperands(), getType(),
      [](const APInt &a, const APInt &b) { return a - b; },
      [](const APFloat &a, const APFloat &b) { return a - b; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult x = foldIdentity(*this, getLhs(), adaptor.getRhs(), 1, true))
    return x;
  if (OpFoldResult x = foldIdentity(*this, getRhs(), adaptor.getLhs(), 1, true))
    return x;
  return foldBinary(
      adaptor.getOperands(), getType(),
      [](const APInt &a, const APInt &b) { return a * b; },
      [](const APFloat &a, const APFloat &b) { return a * b; });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult x = foldIdentity(*this, getLhs(), adaptor.getRhs(), 1, true))
    return x;
  return foldBinary(
      adaptor.getOperands(), getType(),
      [](const APInt &a, const APInt &b) -> std::optional<APInt> {
        if (b.isZero())
          return std::nullopt; // leave the runtime's behaviour alone
        return a.sdiv(b);
      },
      [](const APFloat &a, const APFloat &b) { return a / b; });
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  return foldElementwise(
      adaptor.getOperands(), getType(), [](ArrayRef<Attribute> args) {
        auto base = cast<FloatAttr>(args[0]);
        double value = std::pow(base.getValueAsDouble(),
                                cast<FloatAttr>(args[1]).getValueAsDouble());
        return FloatAttr::get(base.getType(), value);
      });
}

OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getOperands(), getType(),
      [](const APInt &a, const APInt &b) { return a.sge(b) ? a : b; },
      [](const APFloat &a, const APFloat &b) { return llvm::maximum(a, b); });
}

OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getOperands(), getType(),
      [](const APInt &a, const APInt &b) { return a.sle(b) ? a : b; },
      [](const APFloat &a, const APFloat &b) { return llvm::minimum(a, b); });
}

OpFoldResult ModOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getOperands(), getType(),
      [](const APInt &a, const APInt &b) {
        if (b.isZero())
          return a; // undefined in ONNX; never folded into a trap
        APInt r = a.srem(b);
        if (!r.isZero() && r.isNegative() != b.isNegative())
          r += b;
        return r;
      },
      [](const APFloat &a, const APFloat &b) {
        APFloat r = a;
        r.mod(b);
        return r;
      });
}

OpFoldResult AndOp::fold(FoldAdaptor adaptor) {
  return foldBinary(adaptor.getOperands(), getType(),
                    [](const APInt &a, const APInt &b) { return a & b; }, {});
}

OpFoldResult OrOp::fold(FoldAdaptor adaptor) {
  return foldBinary(adaptor.getOperands(), getType(),
                    [](const APInt &a, const APInt &b) { return a | b; }, {});
}

OpFoldResult CompareOp::fold(FoldAdaptor adaptor) {
  ComparePredicate predicate = getPredicate();
  Type i1 = getType().getElementType();
  return foldElementwise(
      {adaptor.getLhs(), adaptor.getRhs()}, getType(),
      [&](ArrayRef<Attribute> args) -> Attribute {
        int order; // -1, 0, 1; NaN compares unordered
        if (auto lhs = dyn_cast<IntegerAttr>(args[0])) {
          const APInt &a = lhs.getValue();
          const APInt &b = cast<IntegerAttr>(args[1]).getValue();
          order = a.slt(b) ? -1 : (a == b ? 0 : 1);
        } else {
          APFloat::cmpResult cmp = cast<FloatAttr>(args[0]).getValue().compare(
              cast<FloatAttr>(args[1]).getValue());
          if (cmp == APFloat::cmpUnordered)
            return IntegerAttr::get(i1, predicate == ComparePredicate::NE);
          order = cmp == APFloat::cmpLessThan ? -1
                  : cmp == APFloat::cmpEqual  ? 0
                                              : 1;
        }
        bool result = false;
        switch (predicate) {
        case ComparePredicate::EQ:
          result = order == 0;
          break;
        case ComparePredicate::NE:
          result = order != 0;
          break;
        case ComparePredicate::LT:
          result = order < 0;
          break;
        case ComparePredicate::LE:
          result = order <= 0;
          break;
        case ComparePredicate::GT:
          result = order > 0;
          break;
        case ComparePredicate::GE:
          result = order >= 0;
          break;
        }
        return IntegerAttr::get(i1, result);
      });
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
  return foldElementwise(
      adaptor.getOperands(), getType(), [](ArrayRef<Attribute> args) {
        return cast<IntegerAttr>(args[0]).getValue().isOne() ? args[1]
                                                             : args[2];
      });
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  if (auto inner = getInput().getDefiningOp<NegOp>())
    return inner.getInput();
  return foldElementwise(
      adaptor.getOperands(), getType(), [](ArrayRef<Attribute> args) {
        if (auto i = dyn_cast<IntegerAttr>(args[0]))
          return Attribute(IntegerAttr::get(i.getType(), -i.getValue()));
        auto f = cast<FloatAttr>(args[0]);
        return Attribute(FloatAttr::get(f.getType(), -f.getValue()));
      });
}

OpFoldResult NotOp::fold(FoldAdaptor adaptor) {
  if (auto inner = getInput().getDefiningOp<NotOp>())
    return inner.getInput();
  return foldElementwise(adaptor.getOperands(), getType(),
                         [](ArrayRef<Attribute> args) {
                           auto i = cast<IntegerAttr>(args[0]);
                           return IntegerAttr::get(i.getType(), ~i.getValue());
                         });
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
  return foldElementwise(
      adaptor.getOperands(), getType(),
      [&](ArrayRef<Attribute> args) -> Attribute {
        if (auto i = dyn_cast<IntegerAttr>(args[0])) {
          const APInt &value = i.getValue();
          if (auto intType = dyn_cast<IntegerType>(to)) {
            if (intType.getWidth() == 1)
              return IntegerAttr::get(to, !value.isZero());
            // i1 is a boolean: it widens to 0 / 1, not to -1.
            return IntegerAttr::get(
                to, i.getType().isInteger(1)
                        ? value.zext(intType.getWidth())
                        : value.sextOrTrunc(intType.getWidth()));
          }
          double asDouble = i.getType().isInteger(1)
                                ? static_cast<double>(value.getZExtValue())
                                : static_cast<double>(value.getSExtValue());
          return FloatAttr::get(to, asDouble);
        }
        double value = cast<FloatAttr>(args[0]).getValueAsDouble();
        if (auto intType = dyn_cast<IntegerType>(to)) {
          if (intType.getWidth() == 1)
            return IntegerAttr::get(to, value != 0.0);
          if (!std::isfinite(value))
            return nullptr; // undefined in ONNX; leave it to run time
          return IntegerAttr::get(to, static_cast<int64_t>(std::trunc(value)));
        }
        return FloatAttr::get(to, value);
      });
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

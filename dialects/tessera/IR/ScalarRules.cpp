//===- ScalarRules.cpp - What each elementwise op computes ----------------===//
//
// The one definition of every elementwise op: its scalar rule, built from
// arith and math ops on one element per operand. Kernels emit these rules
// (KernelEmitter); the folder and the tensor interpreter evaluate them
// (ScalarRuleEvaluator, below), so the three always agree.
//
// Operands arrive in their compute types (f16 is computed in f32 by
// kernels); constants take the type of the operand they meet.
//
//===----------------------------------------------------------------------===//

#include "dialects/tessera/IR/ScalarRules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tessera;

#include "dialects/tessera/IR/TesseraInterfaces.cpp.inc"

namespace {

Value floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

Value intConstant(OpBuilder &b, Location loc, Type type, int64_t value) {
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, value));
}

bool isFloat(ValueRange operands) {
  return isa<FloatType>(operands[0].getType());
}

/// One arith op for float operands, another for integers.
template <typename FloatOp, typename IntOp>
Value floatOrInt(OpBuilder &b, Location loc, ValueRange args) {
  return isFloat(args) ? FloatOp::create(b, loc, args[0], args[1]).getResult()
                       : IntOp::create(b, loc, args[0], args[1]).getResult();
}

/// 1 / (1 + exp(-x)).
Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(
      b, loc, floatConstant(b, loc, type, 1.0),
      arith::AddFOp::create(b, loc, floatConstant(b, loc, type, 1.0), e));
}

} // namespace

//===----------------------------------------------------------------------===//
// Arithmetic
//===----------------------------------------------------------------------===//

Value AddOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  return floatOrInt<arith::AddFOp, arith::AddIOp>(b, loc, args);
}

Value SubOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  return floatOrInt<arith::SubFOp, arith::SubIOp>(b, loc, args);
}

Value MulOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  return floatOrInt<arith::MulFOp, arith::MulIOp>(b, loc, args);
}

Value DivOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  // Integers truncate toward zero (ONNX Div).
  return floatOrInt<arith::DivFOp, arith::DivSIOp>(b, loc, args);
}

Value MaxOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  // NaN wins, as in ONNX Max and torch.maximum.
  return floatOrInt<arith::MaximumFOp, arith::MaxSIOp>(b, loc, args);
}

Value MinOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  return floatOrInt<arith::MinimumFOp, arith::MinSIOp>(b, loc, args);
}

Value ModOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  Value x = args[0], y = args[1];
  if (isFloat(args)) {
    // C fmod, the sign of the dividend (ONNX Mod needs fmod = 1 for
    // floats). Devices compute frem as x - y * trunc(x / y), which gives
    // NaN for an infinite divisor where fmod gives x.
    Type type = x.getType();
    Value inf = floatConstant(b, loc, type, INFINITY);
    Value r = arith::RemFOp::create(b, loc, x, y);
    Value infiniteDivisor =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                              math::AbsFOp::create(b, loc, y), inf);
    Value finiteDividend =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE,
                              math::AbsFOp::create(b, loc, x), inf);
    return arith::SelectOp::create(
        b, loc, arith::AndIOp::create(b, loc, infiniteDivisor, finiteDividend),
        x, r);
  }
  // Integers: the sign of the divisor (Python's %, ONNX Mod with fmod = 0).
  // The C remainder as x - y * (x / y): SPIR-V's SRem lowering takes |x|,
  // which overflows at the most negative integer. Then add the divisor back
  // where the remainder's sign differs from it.
  Value r = arith::SubIOp::create(
      b, loc, x,
      arith::MulIOp::create(b, loc, y, arith::DivSIOp::create(b, loc, x, y)));
  Value zero = intConstant(b, loc, r.getType(), 0);
  Value nonZero =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero);
  Value signsDiffer = arith::XOrIOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, y, zero));
  Value fix = arith::AndIOp::create(b, loc, nonZero, signsDiffer);
  return arith::SelectOp::create(b, loc, fix,
                                 arith::AddIOp::create(b, loc, r, y), r);
}

Value PowOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  // C's pow (ONNX, PyTorch; C99 Annex F). math.powf becomes GLSL's Pow on
  // devices (with MLIR's sign handling for negative bases), which leaves
  // zero, infinite and NaN operands undefined, and lavapipe answers 0 for
  // some of them. So powf is used only where GLSL defines it, and the rest
  // is spelled out.
  Value x = args[0], y = args[1];
  Type type = x.getType();
  auto c = [&](double value) { return floatConstant(b, loc, type, value); };
  auto cmp = [&](arith::CmpFPredicate p, Value l, Value r) -> Value {
    return arith::CmpFOp::create(b, loc, p, l, r);
  };
  auto both = [&](Value l, Value r) -> Value {
    return arith::AndIOp::create(b, loc, l, r);
  };
  auto either = [&](Value l, Value r) -> Value {
    return arith::OrIOp::create(b, loc, l, r);
  };
  auto select = [&](Value condition, Value l, Value r) -> Value {
    return arith::SelectOp::create(b, loc, condition, l, r);
  };
  using P = arith::CmpFPredicate;
  Value zero = c(0), one = c(1), inf = c(INFINITY);
  Value ax = math::AbsFOp::create(b, loc, x);
  Value ay = math::AbsFOp::create(b, loc, y);
  Value yIsInteger = cmp(P::OEQ, math::FloorOp::create(b, loc, y), y);
  // floor(y / 2) * 2 != y: exact for every float, and false for infinity.
  Value yIsOdd = both(
      yIsInteger, cmp(P::UNE,
                      arith::MulFOp::create(
                          b, loc,
                          math::FloorOp::create(
                              b, loc, arith::MulFOp::create(b, loc, y, c(0.5))),
                          c(2)),
                      y));
  Value xIsNegative = cmp(P::OLT, math::CopySignOp::create(b, loc, one, x),
                          zero); // -0 too
  // |x| is 0 or infinite, or |y| infinite: 0 or infinity, signed when x is
  // negative and y an odd integer.
  Value xIsZero = cmp(P::OEQ, ax, zero), xIsInf = cmp(P::OEQ, ax, inf);
  Value yIsInf = cmp(P::OEQ, ay, inf), yIsPositive = cmp(P::OGT, y, zero);
  Value isEdge = either(either(xIsZero, xIsInf), yIsInf);
  Value isLarge = select(
      xIsZero, cmp(P::OLT, y, zero),
      select(xIsInf, yIsPositive,
             arith::XOrIOp::create(b, loc, cmp(P::OLE, ax, one), yIsPositive)));
  Value magnitude = select(isLarge, inf, zero);
  Value edge = select(both(xIsNegative, yIsOdd),
                      arith::NegFOp::create(b, loc, magnitude), magnitude);
  // A negative finite base to a finite non-integer power, or NaN: NaN.
  Value notInteger = arith::XOrIOp::create(
      b, loc, yIsInteger,
      arith::ConstantOp::create(b, loc, b.getBoolAttr(true)));
  Value isInvalid = both(both(cmp(P::OLT, x, zero), notInteger),
                         both(cmp(P::ONE, ax, inf), cmp(P::ONE, ay, inf)));
  Value isNaN = either(cmp(P::UNO, x, x), cmp(P::UNO, y, y));
  // pow(x, 0) = pow(1, y) = pow(-1, +-inf) = 1, NaN or not.
  Value isOne = either(either(cmp(P::OEQ, y, zero), cmp(P::OEQ, x, one)),
                       both(cmp(P::OEQ, x, c(-1)), yIsInf));
  Value power = math::PowFOp::create(b, loc, x, y);
  return select(
      isOne, one,
      select(either(isInvalid, isNaN), c(NAN), select(isEdge, edge, power)));
}

Value NegOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  if (isFloat(args))
    return arith::NegFOp::create(b, loc, args[0]);
  return arith::SubIOp::create(
      b, loc, intConstant(b, loc, args[0].getType(), 0), args[0]);
}

Value AbsOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  return isFloat(args) ? math::AbsFOp::create(b, loc, args[0]).getResult()
                       : math::AbsIOp::create(b, loc, args[0]).getResult();
}

//===----------------------------------------------------------------------===//
// Logic, comparison and choice
//===----------------------------------------------------------------------===//

Value AndOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  return arith::AndIOp::create(b, loc, args[0], args[1]);
}

Value OrOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                            ComputeTypeFn) {
  return arith::OrIOp::create(b, loc, args[0], args[1]);
}

Value NotOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  Value one = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
  return arith::XOrIOp::create(b, loc, args[0], one);
}

Value mlir::tessera::buildComparison(OpBuilder &b, Location loc,
                                     ComparePredicate predicate, Value lhs,
                                     Value rhs) {
  // Indexed by ComparePredicate (eq, ne, lt, le, gt, ge); ordered float
  // comparisons except `ne`, which is true on NaN like C's !=.
  static constexpr std::pair<arith::CmpFPredicate, arith::CmpIPredicate>
      kPredicates[] = {{arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq},
                       {arith::CmpFPredicate::UNE, arith::CmpIPredicate::ne},
                       {arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt},
                       {arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle},
                       {arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt},
                       {arith::CmpFPredicate::OGE, arith::CmpIPredicate::sge}};
  auto [floatPredicate, intPredicate] =
      kPredicates[static_cast<unsigned>(predicate)];
  if (isa<FloatType>(lhs.getType()))
    return arith::CmpFOp::create(b, loc, floatPredicate, lhs, rhs);
  return arith::CmpIOp::create(b, loc, intPredicate, lhs, rhs);
}

Value CompareOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                                 ComputeTypeFn) {
  return buildComparison(b, loc, getPredicate(), args[0], args[1]);
}

Value SelectOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                                ComputeTypeFn) {
  return arith::SelectOp::create(b, loc, args[0], args[1], args[2]);
}

//===----------------------------------------------------------------------===//
// Transcendentals and activations
//===----------------------------------------------------------------------===//

Value ExpOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  return math::ExpOp::create(b, loc, args[0]);
}

Value LogOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  return math::LogOp::create(b, loc, args[0]);
}

Value TanhOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                              ComputeTypeFn) {
  return math::TanhOp::create(b, loc, args[0]);
}

Value SinOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  return math::SinOp::create(b, loc, args[0]);
}

Value CosOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  return math::CosOp::create(b, loc, args[0]);
}

Value ErfOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                             ComputeTypeFn) {
  return math::ErfOp::create(b, loc, args[0]);
}

Value SqrtOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                              ComputeTypeFn) {
  return math::SqrtOp::create(b, loc, args[0]);
}

Value RsqrtOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                               ComputeTypeFn) {
  return math::RsqrtOp::create(b, loc, args[0]);
}

Value SigmoidOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                                 ComputeTypeFn) {
  return sigmoid(b, loc, args[0]);
}

Value ReluOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                              ComputeTypeFn) {
  return arith::MaximumFOp::create(
      b, loc, args[0], floatConstant(b, loc, args[0].getType(), 0.0));
}

Value SwishOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                               ComputeTypeFn) {
  Type type = args[0].getType();
  Value scaled = arith::MulFOp::create(
      b, loc, args[0], floatConstant(b, loc, type, getBeta().convertToFloat()));
  return arith::MulFOp::create(b, loc, args[0], sigmoid(b, loc, scaled));
}

Value GeluOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                              ComputeTypeFn) {
  Value x = args[0];
  Type type = x.getType();
  auto c = [&](double value) { return floatConstant(b, loc, type, value); };
  Value half = arith::MulFOp::create(b, loc, x, c(0.5));
  Value inner;
  if (getApproximate() == GeluApproximation::Tanh) {
    // sqrt(2/pi) * (x + 0.044715 x^3)
    Value cube =
        arith::MulFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x, x));
    Value sum = arith::AddFOp::create(
        b, loc, x, arith::MulFOp::create(b, loc, cube, c(0.044715)));
    inner = math::TanhOp::create(
        b, loc, arith::MulFOp::create(b, loc, sum, c(std::sqrt(2.0 / M_PI))));
  } else {
    inner = math::ErfOp::create(b, loc,
                                arith::MulFOp::create(b, loc, x, c(M_SQRT1_2)));
  }
  return arith::MulFOp::create(b, loc, half,
                               arith::AddFOp::create(b, loc, c(1.0), inner));
}

//===----------------------------------------------------------------------===//
// Conversion
//===----------------------------------------------------------------------===//

Value CastOp::buildScalarRule(OpBuilder &b, Location loc, ValueRange args,
                              ComputeTypeFn computeType) {
  Value x = args[0];
  Type from = x.getType();
  Type resultElement = getType().getElementType();
  Type to = computeType(resultElement);
  auto intToFloat = [&](Type floatType) -> Value {
    // i1 is a boolean: it converts to 0 / 1, not to -1.
    return from.isInteger(1)
               ? arith::UIToFPOp::create(b, loc, floatType, x).getResult()
               : arith::SIToFPOp::create(b, loc, floatType, x).getResult();
  };
  if (resultElement.isF16() && to != resultElement) {
    // Held wider than its type: round to f16 precision and widen back.
    Value wide = isa<FloatType>(from) ? x : intToFloat(to);
    Value narrow = arith::TruncFOp::create(b, loc, b.getF16Type(), wide);
    return arith::ExtFOp::create(b, loc, to, narrow);
  }
  if (to.isInteger(1)) {
    // Non-zero is true; so is NaN.
    if (isa<FloatType>(from))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x,
                                   floatConstant(b, loc, from, 0.0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x,
                                 intConstant(b, loc, from, 0));
  }
  if (from == to)
    return x;
  unsigned fromBits = from.getIntOrFloatBitWidth(),
           toBits = to.getIntOrFloatBitWidth();
  if (isa<FloatType>(from) && isa<IntegerType>(to))
    return arith::FPToSIOp::create(b, loc, to, x); // toward zero
  if (isa<IntegerType>(from) && isa<FloatType>(to))
    return intToFloat(to);
  if (isa<FloatType>(from)) // and `to`: round to nearest
    return fromBits < toBits
               ? arith::ExtFOp::create(b, loc, to, x).getResult()
               : arith::TruncFOp::create(b, loc, to, x).getResult();
  if (fromBits < toBits)
    return from.isInteger(1)
               ? arith::ExtUIOp::create(b, loc, to, x).getResult()
               : arith::ExtSIOp::create(b, loc, to, x).getResult();
  return arith::TruncIOp::create(b, loc, to, x);
}

//===----------------------------------------------------------------------===//
// ScalarRuleEvaluator
//===----------------------------------------------------------------------===//

Type mlir::tessera::getComputeElementType(Type elementType) {
  if (elementType.isF16())
    return Float32Type::get(elementType.getContext());
  return elementType;
}

std::unique_ptr<ScalarRuleEvaluator> ScalarRuleEvaluator::build(Operation *op) {
  auto rule = dyn_cast<ScalarRuleOpInterface>(op);
  if (!rule)
    return nullptr;
  std::unique_ptr<ScalarRuleEvaluator> evaluator(new ScalarRuleEvaluator());
  evaluator->body_ = std::make_unique<Block>();
  evaluator->resultElement_ = getElementTypeOrSelf(op->getResult(0).getType());
  SmallVector<Value> arguments;
  for (Value operand : op->getOperands())
    arguments.push_back(evaluator->body_->addArgument(
        getComputeElementType(getElementTypeOrSelf(operand.getType())),
        op->getLoc()));
  OpBuilder builder(op->getContext());
  builder.setInsertionPointToEnd(evaluator->body_.get());
  evaluator->result_ = rule.buildScalarRule(builder, op->getLoc(), arguments,
                                            getComputeElementType);
  return evaluator;
}

/// `element` as a value of `type`: f16 widened exactly to f32, or an f32
/// result rounded to nearest f16, as kernels load and store them.
static Attribute convertFloat(Attribute element, Type type) {
  auto value = dyn_cast_or_null<FloatAttr>(element);
  if (!value || value.getType() == type || !isa<FloatType>(type))
    return element;
  return FloatAttr::get(type, value.getValue().convertToDouble());
}

ScalarRuleEvaluator::~ScalarRuleEvaluator() = default;

/// What MLIR has no folder for, by the op's definition.
static Attribute evaluateUnfoldable(Operation *op, ArrayRef<Attribute> args) {
  if (auto rsqrt = dyn_cast<math::RsqrtOp>(op)) {
    auto x = cast<FloatAttr>(args[0]);
    return FloatAttr::get(x.getType(), 1.0 / std::sqrt(x.getValueAsDouble()));
  }
  return nullptr;
}

Attribute ScalarRuleEvaluator::evaluate(ArrayRef<Attribute> operands) const {
  llvm::DenseMap<Value, Attribute> values;
  for (auto [argument, operand] :
       llvm::zip_equal(body_->getArguments(), operands))
    values[argument] = convertFloat(operand, argument.getType());
  for (Operation &op : *body_) {
    SmallVector<Attribute> args;
    for (Value operand : op.getOperands())
      args.push_back(values.lookup(operand));
    SmallVector<OpFoldResult, 1> folded;
    Attribute result;
    if (succeeded(op.fold(args, folded)) && folded.size() == 1) {
      OpFoldResult r = folded.front();
      result = isa<Attribute>(r) ? cast<Attribute>(r)
                                 : values.lookup(cast<Value>(r));
    } else {
      result = evaluateUnfoldable(&op, args);
    }
    if (!result)
      return nullptr;
    values[op.getResult(0)] = result;
  }
  return convertFloat(values.lookup(result_), resultElement_);
}

Attribute mlir::tessera::scalarAttr(Type elementType, double value) {
  if (elementType.isInteger(1))
    return IntegerAttr::get(elementType, value != 0);
  if (isa<IntegerType>(elementType))
    return IntegerAttr::get(elementType, static_cast<int64_t>(value));
  return FloatAttr::get(elementType, value);
}

double mlir::tessera::scalarValue(Attribute element) {
  if (auto i = dyn_cast<IntegerAttr>(element))
    return i.getType().isInteger(1)
               ? static_cast<double>(i.getValue().getZExtValue())
               : static_cast<double>(i.getValue().getSExtValue());
  return cast<FloatAttr>(element).getValueAsDouble();
}

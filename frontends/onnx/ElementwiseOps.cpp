//===- ElementwiseOps.cpp - ONNX elementwise ops ---------------------------===//
//
// Binary and unary math, comparisons, Where, Cast, Identity. When every
// input is an integer known at compile time (shape arithmetic), the result
// is computed here instead of emitted.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/tessera/IR/TesseraOps.h"

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::onnx_frontend;

namespace {

/// The static broadcast shape of two known inputs, or nullopt.
std::optional<SmallVector<int64_t>> broadcastShape(ArrayRef<int64_t> a,
                                                   ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x != y && x != 1 && y != 1)
      return std::nullopt;
    result[i] = std::max(x, y);
  }
  return result;
}

/// Element `flat` of the broadcast result, read from an operand of `shape`.
int64_t sourceIndex(int64_t flat, ArrayRef<int64_t> result,
                    ArrayRef<int64_t> shape) {
  int64_t index = 0, stride = 1;
  for (int64_t d = static_cast<int64_t>(result.size()) - 1,
               s = static_cast<int64_t>(shape.size()) - 1;
       d >= 0; --d, --s) {
    int64_t coordinate = flat % result[d];
    flat /= result[d];
    if (s < 0)
      continue;
    if (shape[s] != 1)
      index += coordinate * stride;
    stride *= shape[s];
  }
  return index;
}

using KnownFold =
    function_ref<std::optional<DimExpr>(const DimExpr &, const DimExpr &)>;

/// Whether adding or multiplying `a` and `b` as dim expressions stays far
/// from int64 overflow: every coefficient below 2^31 in magnitude. Known
/// values come from the model (Slice's INT64_MAX "to the end", say); one
/// that does not fold is built as an op instead.
bool foldsSafely(const DimExpr &a, const DimExpr &b) {
  auto small = [](const DimExpr &e) {
    return llvm::all_of(e.getTerms(), [](const DimExpr::Term &t) {
      return t.coefficient > -(int64_t(1) << 31) &&
             t.coefficient < (int64_t(1) << 31);
    });
  };
  return small(a) && small(b);
}

/// Folds a binary op over known integer inputs with broadcasting; false when
/// an element cannot be folded (the op is then emitted).
bool foldKnownBinary(NodeContext &node, KnownFold fold, Type resultElement) {
  std::optional<SmallVector<DimExpr>> lhs = node.known(0), rhs = node.known(1);
  if (!lhs || !rhs)
    return false;
  ArrayRef<int64_t> lhsShape = node.info(0).type.getShape();
  ArrayRef<int64_t> rhsShape = node.info(1).type.getShape();
  std::optional<SmallVector<int64_t>> shape =
      broadcastShape(lhsShape, rhsShape);
  std::optional<int64_t> count = shape ? checkedElementCount(*shape)
                                       : std::nullopt;
  if (!count || *count > kMaxKnownElements)
    return false;
  SmallVector<DimExpr> elements;
  for (int64_t i = 0; i < *count; ++i) {
    std::optional<DimExpr> value =
        fold((*lhs)[sourceIndex(i, *shape, lhsShape)],
             (*rhs)[sourceIndex(i, *shape, rhsShape)]);
    if (!value)
      return false;
    elements.push_back(*value);
  }
  node.setKnownOutput(0, resultElement, *shape, std::move(elements));
  return true;
}

std::optional<DimExpr> constantFold(const DimExpr &a, const DimExpr &b,
                                    int64_t (*f)(int64_t, int64_t)) {
  if (!a.isConstant() || !b.isConstant())
    return std::nullopt;
  return DimExpr::constant(f(a.getCoefficient(), b.getCoefficient()));
}

template <typename Op>
LogicalResult convertBinary(NodeContext &node, KnownFold fold) {
  if (fold && foldKnownBinary(node, fold, node.elementType(0)))
    return success();
  FailureOr<Value> lhs = node.input(0), rhs = node.input(1);
  if (failed(lhs) || failed(rhs))
    return failure();
  return node.setOutput(0, node.create<Op>(*lhs, *rhs));
}

LogicalResult convertAdd(NodeContext &node) {
  // Sums of named dims stay symbolic (past + seq).
  return convertBinary<AddOp>(node, [](const DimExpr &a, const DimExpr &b) {
    return foldsSafely(a, b) ? std::optional<DimExpr>(a + b) : std::nullopt;
  });
}
LogicalResult convertSub(NodeContext &node) {
  // key_length - query_length: (past + seq) - seq is past.
  return convertBinary<SubOp>(node, [](const DimExpr &a, const DimExpr &b) {
    return foldsSafely(a, b) ? std::optional<DimExpr>(a - b) : std::nullopt;
  });
}
LogicalResult convertMul(NodeContext &node) {
  // Products of named dims stay symbolic (b * s after merging dims).
  return convertBinary<MulOp>(node, [](const DimExpr &a, const DimExpr &b) {
    return foldsSafely(a, b) ? std::optional<DimExpr>(a * b) : std::nullopt;
  });
}
LogicalResult convertDiv(NodeContext &node) {
  if (isa<FloatType>(node.elementType(0)))
    return convertBinary<DivOp>(node, nullptr);
  SymbolicShapes &shapes = node.graph().shapes();
  return convertBinary<DivOp>(node, [&](const DimExpr &a, const DimExpr &b) {
    if (!foldsSafely(a, b))
      return std::optional<DimExpr>();
    if (a.isConstant() && b.isConstant() && b.getCoefficient() != 0) {
      // ONNX integer Div truncates toward zero, like C++.
      return std::optional<DimExpr>(
          DimExpr::constant(a.getCoefficient() / b.getCoefficient()));
    }
    if (std::optional<DimExpr> exact = a.divide(b))
      return exact;
    // A size by a positive number (`height // 16`): truncation is the
    // floor where the size cannot be negative, a derived dim.
    if (b.isConstant() && b.getCoefficient() > 0 && shapes.lowerBound(a) >= 0)
      return shapes.floorDiv(a, b.getCoefficient());
    return std::optional<DimExpr>();
  });
}
LogicalResult convertPow(NodeContext &node) {
  return convertBinary<PowOp>(node, nullptr);
}
/// Max, Min, Sum and Mean of one or more inputs, broadcast together: the
/// binary op folded over them (Mean then divides by their count); of one
/// input, that input.
template <typename Op, bool mean = false>
LogicalResult convertVariadic(NodeContext &node) {
  if (node.numInputs() == 1) {
    node.forwardInput(0, 0);
    return success();
  }
  FailureOr<Value> result = node.input(0);
  for (int i = 1; i < node.numInputs() && succeeded(result); ++i) {
    FailureOr<Value> next = node.input(i);
    result = succeeded(next) ? node.create<Op>(*result, *next) : next;
  }
  if (mean && succeeded(result))
    result = node.create<DivOp>(
        *result, createScalar(node, node.elementType(0), node.numInputs()));
  return node.setOutput(0, result);
}
LogicalResult convertMod(NodeContext &node) {
  bool isFloat = isa<FloatType>(node.elementType(0));
  if (isFloat != static_cast<bool>(node.intAttr("fmod", 0)))
    return node.emitError() << (isFloat ? "on floats needs fmod = 1"
                                        : "with fmod = 1 on integers (C "
                                          "remainder) is not supported");
  SymbolicShapes &shapes = node.graph().shapes();
  return convertBinary<ModOp>(node, [&](const DimExpr &a, const DimExpr &b) {
    if (!b.isConstant() || b.getCoefficient() == 0 || !foldsSafely(a, b))
      return std::optional<DimExpr>();
    // A size modulo a positive number (the padding to a window multiple,
    // (w - H % w) % w): a - b floor(a / b), the remainder taking the
    // divisor's sign as ONNX's integer Mod does.
    if (!a.isConstant()) {
      std::optional<DimExpr> quotient =
          b.getCoefficient() > 0 ? shapes.floorDiv(a, b.getCoefficient())
                                 : std::nullopt;
      return quotient ? std::optional<DimExpr>(a - b * *quotient)
                      : std::nullopt;
    }
    int64_t r = a.getCoefficient() % b.getCoefficient();
    if (r != 0 && (r < 0) != (b.getCoefficient() < 0))
      r += b.getCoefficient();
    return std::optional<DimExpr>(DimExpr::constant(r));
  });
}
LogicalResult convertAnd(NodeContext &node) {
  return convertBinary<AndOp>(node, nullptr);
}
LogicalResult convertOr(NodeContext &node) {
  return convertBinary<OrOp>(node, nullptr);
}

template <ComparePredicate predicate> int64_t compareInts(int64_t x, int64_t y) {
  switch (predicate) {
  case ComparePredicate::EQ:
    return x == y;
  case ComparePredicate::NE:
    return x != y;
  case ComparePredicate::LT:
    return x < y;
  case ComparePredicate::LE:
    return x <= y;
  case ComparePredicate::GT:
    return x > y;
  case ComparePredicate::GE:
    return x >= y;
  }
  return 0;
}

template <ComparePredicate predicate>
LogicalResult convertCompare(NodeContext &node) {
  const SymbolicShapes &shapes = node.graph().shapes();
  if (foldKnownBinary(
          node,
          [&](const DimExpr &a, const DimExpr &b) {
            // Equal named dims compare like equal numbers.
            if (a == b)
              return std::optional<DimExpr>(
                  DimExpr::constant(compareInts<predicate>(0, 0)));
            // A size whose least value is above a constant compares like
            // that least value (expand's `shape == -1` test). A product of
            // named dims is at least 1; a sum of them, or a derived dim, at
            // least what its bounds give.
            auto bounded = [&](const DimExpr &d, const DimExpr &other) {
              if (d.isConstant() || !other.isConstant())
                return d;
              bool positive =
                  llvm::all_of(d.getTerms(), [](const DimExpr::Term &t) {
                    return t.coefficient > 0;
                  });
              int64_t least = std::max<int64_t>(
                  shapes.lowerBound(d),
                  positive ? 1 : std::numeric_limits<int64_t>::min());
              return least > other.getCoefficient() ? DimExpr::constant(least)
                                                    : d;
            };
            return constantFold(bounded(a, b), bounded(b, a),
                                compareInts<predicate>);
          },
          node.builder().getI1Type()))
    return success();
  FailureOr<Value> lhs = node.input(0), rhs = node.input(1);
  if (failed(lhs) || failed(rhs))
    return failure();
  return node.setOutput(0, node.create<CompareOp>(predicate, *lhs, *rhs));
}

template <typename Op> LogicalResult convertUnary(NodeContext &node) {
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  return node.setOutput(0, Op::create(node.builder(), node.loc(), *x));
}

LogicalResult convertNeg(NodeContext &node) {
  std::optional<SmallVector<DimExpr>> known = node.known(0);
  if (known && llvm::all_of(*known, [](const DimExpr &e) {
        return foldsSafely(e, DimExpr::constant(-1));
      })) {
    SmallVector<DimExpr> negated;
    for (const DimExpr &e : *known)
      negated.push_back(e * DimExpr::constant(-1));
    node.setKnownOutput(0, node.elementType(0), node.info(0).type.getShape(),
                        std::move(negated));
    return success();
  }
  return convertUnary<NegOp>(node);
}

/// Reciprocal: 1 / x.
LogicalResult convertReciprocal(NodeContext &node) {
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(node.elementType(0)))
    return node.emitError() << "takes the reciprocal of " << node.elementType(0)
                            << "; only floats";
  return node.setOutput(
      0, node.create<DivOp>(createScalar(node, node.elementType(0), 1.0), *x));
}

LogicalResult convertWhere(NodeContext &node) {
  std::optional<SmallVector<DimExpr>> condition = node.known(0),
                                      x = node.known(1), y = node.known(2);
  if (condition && x && y && condition->size() == x->size() &&
      x->size() == y->size()) {
    SmallVector<DimExpr> elements;
    for (size_t i = 0; i < x->size(); ++i) {
      if (!(*condition)[i].isConstant())
        return node.emitError() << "a condition depends on a dynamic "
                                   "dimension";
      elements.push_back((*condition)[i].getCoefficient() ? (*x)[i] : (*y)[i]);
    }
    node.setKnownOutput(0, node.elementType(1), node.info(1).type.getShape(),
                        std::move(elements));
    return success();
  }
  FailureOr<Value> c = node.input(0), a = node.input(1), b = node.input(2);
  if (failed(c) || failed(a) || failed(b))
    return failure();
  return node.setOutput(0, node.create<SelectOp>(*c, *a, *b));
}

LogicalResult convertCast(NodeContext &node) {
  const onnx::AttributeProto *to = node.attribute("to");
  Type element = to ? node.graph().convertElementType(static_cast<int32_t>(to->i()))
                    : Type();
  if (!element)
    return node.emitError() << "casts to ONNX type "
                            << (to ? to->i() : 0)
                            << ", which Tessera does not import";
  if (std::optional<SmallVector<DimExpr>> known = node.known(0);
      known && !isa<FloatType>(element)) {
    SmallVector<DimExpr> elements = *known;
    if (element.isInteger(1))
      for (DimExpr &e : elements)
        e = DimExpr::constant(e.isConstant() ? e.getCoefficient() != 0 : 1);
    node.setKnownOutput(0, element, node.info(0).type.getShape(),
                        std::move(elements));
    return success();
  }
  if (element == node.elementType(0)) {
    node.forwardInput(0, 0);
    return success();
  }
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType()).clone(element);
  return node.setOutput(0, CastOp::create(node.builder(), node.loc(), type, *x));
}

LogicalResult convertIdentity(NodeContext &node) {
  node.forwardInput(0, 0);
  return success();
}

} // namespace

void mlir::tessera::onnx_frontend::addElementwiseConverters(
    ConverterTable &table) {
  table["Add"] = {convertAdd, {2, 2}};
  table["Sub"] = {convertSub, {2, 2}};
  table["Mul"] = {convertMul, {2, 2}};
  table["Div"] = {convertDiv, {2, 2}};
  table["Pow"] = {convertPow, {2, 2}};
  table["Max"] = {convertVariadic<MaxOp>, {1, kVariadic}};
  table["Min"] = {convertVariadic<MinOp>, {1, kVariadic}};
  table["Sum"] = {convertVariadic<AddOp>, {1, kVariadic}};
  table["Mean"] = {convertVariadic<AddOp, /*mean=*/true>, {1, kVariadic}};
  table["Mod"] = {convertMod, {2, 2}};
  table["And"] = {convertAnd, {2, 2}};
  table["Or"] = {convertOr, {2, 2}};
  table["Equal"] = {convertCompare<ComparePredicate::EQ>, {2, 2}};
  table["Less"] = {convertCompare<ComparePredicate::LT>, {2, 2}};
  table["LessOrEqual"] = {convertCompare<ComparePredicate::LE>, {2, 2}};
  table["Greater"] = {convertCompare<ComparePredicate::GT>, {2, 2}};
  table["GreaterOrEqual"] = {convertCompare<ComparePredicate::GE>, {2, 2}};
  table["Sqrt"] = {convertUnary<SqrtOp>, {1, 1}};
  table["Reciprocal"] = {convertReciprocal, {1, 1}};
  table["Exp"] = {convertUnary<ExpOp>, {1, 1}};
  table["Log"] = {convertUnary<LogOp>, {1, 1}};
  table["Erf"] = {convertUnary<ErfOp>, {1, 1}};
  table["Tanh"] = {convertUnary<TanhOp>, {1, 1}};
  table["Sin"] = {convertUnary<SinOp>, {1, 1}};
  table["Cos"] = {convertUnary<CosOp>, {1, 1}};
  table["Sigmoid"] = {convertUnary<SigmoidOp>, {1, 1}};
  table["Relu"] = {convertUnary<ReluOp>, {1, 1}};
  table["Abs"] = {convertUnary<AbsOp>, {1, 1}};
  table["Not"] = {convertUnary<NotOp>, {1, 1}};
  table["Neg"] = {convertNeg, {1, 1}};
  table["Where"] = {convertWhere, {3, 3}};
  table["Cast"] = {convertCast, {1, 1}};
  table["Identity"] = {convertIdentity, {1, 1}};
}

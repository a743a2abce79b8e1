//===- SymbolicShapes.cpp - Shapes of a function in named dims ------------===//

#include "dialects/tessera/Shapes/SymbolicShapes.h"

#include "dialects/tessera/IR/TesseraOps.h"
#include "dialects/tessera/Shapes/StridedView.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#include <numeric>

using namespace mlir;
using namespace mlir::tessera;

SymbolicShape SymbolicShapes::denseStrides(ArrayRef<DimExpr> shape) {
  SymbolicShape strides(shape.size(), DimExpr::constant(1));
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

DimExpr SymbolicShapes::product(ArrayRef<DimExpr> shape) {
  DimExpr result = DimExpr::constant(1);
  for (const DimExpr &dim : shape)
    result = result * dim;
  return result;
}

const SymbolicShape &SymbolicShapes::getShape(Value value) const {
  auto it = shapes_.find(value);
  assert(it != shapes_.end() && "value was not analysed");
  return it->second;
}

FailureOr<SymbolicShape> SymbolicShapes::parseDims(Operation *op,
                                                   ArrayAttr dims) {
  SymbolicShape shape;
  for (Attribute dim : dims) {
    std::optional<DimExpr> expr = parse(cast<StringAttr>(dim).getValue());
    if (!expr)
      return op->emitOpError("has dim '")
             << cast<StringAttr>(dim).getValue()
             << "', not a product of a number and named dims";
    shape.push_back(*expr);
  }
  int64_t rank = cast<RankedTensorType>(op->getResult(0).getType()).getRank();
  if (static_cast<int64_t>(shape.size()) != rank)
    return op->emitOpError("names ")
           << shape.size() << " dims for a result of rank " << rank;
  return shape;
}

const SymbolicShape *SymbolicShapes::lookupShape(Value value) const {
  auto it = shapes_.find(value);
  return it == shapes_.end() ? nullptr : &it->second;
}

std::optional<unsigned> SymbolicShapes::lookupSymbol(StringRef name) const {
  for (auto [i, symbol] : llvm::enumerate(symbols_))
    if (symbol.name == name)
      return i;
  return std::nullopt;
}

unsigned SymbolicShapes::getOrCreateSymbol(StringRef name) {
  if (std::optional<unsigned> id = lookupSymbol(name))
    return *id;
  symbols_.push_back({name.str(), 1, 0});
  return symbols_.size() - 1;
}

std::string SymbolicShapes::format(const DimExpr &expr) const {
  if (expr.getTerms().empty())
    return "0";
  std::string text;
  for (const DimExpr::Term &term : expr.getTerms()) {
    int64_t magnitude = term.coefficient;
    if (!text.empty()) {
      text += term.coefficient < 0 ? " - " : " + ";
      magnitude = std::abs(term.coefficient);
    }
    std::string product;
    if (term.symbols.empty() || magnitude != 1)
      product = magnitude == -1 && !term.symbols.empty()
                    ? "-"
                    : std::to_string(magnitude);
    for (unsigned symbol : term.symbols)
      product += (product.empty() || product == "-" ? "" : "*") +
                 symbols_[symbol].name;
    text += product;
  }
  return text;
}

/// Parses format()'s text; `symbolFor` gives a name's id (or nothing).
static std::optional<DimExpr>
parseDimExpr(StringRef text,
             function_ref<std::optional<unsigned>(StringRef)> symbolFor) {
  // Terms: split before every + and - (a leading sign belongs to the
  // first term).
  DimExpr sum = DimExpr::constant(0);
  text = text.trim();
  if (text.empty())
    return std::nullopt;
  while (!text.empty()) {
    int64_t sign = 1;
    if (text.front() == '+' || text.front() == '-') {
      sign = text.front() == '-' ? -1 : 1;
      text = text.drop_front().ltrim();
    }
    size_t end = text.find_first_of("+-");
    StringRef termText = text.take_front(end).trim();
    text = end == StringRef::npos ? StringRef() : text.drop_front(end);
    SmallVector<StringRef> factors;
    termText.split(factors, '*');
    DimExpr term = DimExpr::constant(sign);
    for (StringRef factor : factors) {
      factor = factor.trim();
      int64_t value;
      if (!factor.getAsInteger(10, value))
        term = term * DimExpr::constant(value);
      else if (std::optional<unsigned> symbol =
                   !factor.empty() && (isalpha(factor[0]) || factor[0] == '_')
                       ? symbolFor(factor)
                       : std::nullopt)
        term = term * DimExpr::symbol(*symbol);
      else
        return std::nullopt;
    }
    sum = sum + term;
  }
  return sum;
}

std::optional<DimExpr> SymbolicShapes::parse(StringRef text) {
  return parseDimExpr(text, [&](StringRef name) -> std::optional<unsigned> {
    return getOrCreateSymbol(name);
  });
}

std::optional<DimExpr> SymbolicShapes::parseKnown(StringRef text) const {
  return parseDimExpr(text, [&](StringRef name) { return lookupSymbol(name); });
}

/// The extreme value of `expr` over the symbols' bounds: each term at the
/// bound that moves it the asked way (symbols are positive).
static int64_t extremeValue(const DimExpr &expr, ArrayRef<DimSymbol> symbols,
                            bool largest) {
  int64_t value = 0;
  for (const DimExpr::Term &term : expr.getTerms()) {
    bool upper = (term.coefficient > 0) == largest;
    int64_t product = term.coefficient;
    for (unsigned symbol : term.symbols)
      product *= upper ? symbols[symbol].upper : symbols[symbol].lower;
    value += product;
  }
  return value;
}

void SymbolicShapes::readBoundsAttribute(func::FuncOp function) {
  auto bounds = TesseraDialect::DimBoundsAttrHelper(function->getContext())
                    .getAttr(function);
  if (!bounds)
    return;
  for (DimSymbol &symbol : symbols_)
    if (auto range =
            dyn_cast_or_null<DenseI64ArrayAttr>(bounds.get(symbol.name));
        range && range.size() == 2) {
      symbol.lower = range[0];
      symbol.upper = range[1];
    }
}

bool SymbolicShapes::isBounded(const DimExpr &expr) const {
  return llvm::all_of(expr.collectSymbols(), [&](unsigned symbol) {
    return symbols_[symbol].upper > 0;
  });
}

int64_t SymbolicShapes::upperBound(const DimExpr &expr) const {
  return extremeValue(expr, symbols_, /*largest=*/true);
}

int64_t SymbolicShapes::lowerBound(const DimExpr &expr) const {
  return extremeValue(expr, symbols_, /*largest=*/false);
}

LogicalResult SymbolicShapes::setShape(Value value, SymbolicShape shape) {
  auto type = cast<RankedTensorType>(value.getType());
  for (auto [d, dim] : llvm::enumerate(type.getShape()))
    if (!ShapedType::isDynamic(dim))
      shape[d] = DimExpr::constant(dim); // a static type is the truth
  shapes_[value] = std::move(shape);
  return success();
}

/// Shape of a static tensor type, or std::nullopt when it has `?`.
static std::optional<SymbolicShape> staticShape(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  if (!tensor.hasStaticShape())
    return std::nullopt;
  SymbolicShape shape;
  for (int64_t dim : tensor.getShape())
    shape.push_back(DimExpr::constant(dim));
  return shape;
}

/// NumPy broadcasting of symbolic shapes: a dimension of 1 stretches.
static SymbolicShape broadcast(ArrayRef<SymbolicShape> shapes) {
  size_t rank = 0;
  for (const SymbolicShape &shape : shapes)
    rank = std::max(rank, shape.size());
  SymbolicShape result(rank, DimExpr::constant(1));
  for (const SymbolicShape &shape : shapes)
    for (size_t i = 0; i < shape.size(); ++i)
      if (!isUnitDim(shape[shape.size() - 1 - i]))
        result[rank - 1 - i] = shape[shape.size() - 1 - i];
  return result;
}

LogicalResult SymbolicShapes::analyze(func::FuncOp function) {
  for (BlockArgument argument : function.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(argument.getType());
    if (!type)
      continue;
    auto names = function.getArgAttrOfType<ArrayAttr>(
        argument.getArgNumber(), TesseraDialect::DimsAttrHelper::getNameStr());
    SymbolicShape shape;
    for (auto [d, dim] : llvm::enumerate(type.getShape())) {
      if (!ShapedType::isDynamic(dim)) {
        shape.push_back(DimExpr::constant(dim));
        continue;
      }
      auto name = names && d < names.size() ? dyn_cast<StringAttr>(names[d])
                                            : StringAttr();
      if (!name || name.getValue().empty())
        return function.emitError()
               << "dynamic dimension " << d << " of argument "
               << argument.getArgNumber()
               << " has no name; name it with the argument attribute "
                  "tessera.dims = [...] (e.g. [1, \"seq\", 256])";
      // A name, or an expression of names (`past + seq`).
      std::optional<DimExpr> expr = parse(name.getValue());
      if (!expr)
        return function.emitError()
               << "dimension " << d << " of argument "
               << argument.getArgNumber() << " is '" << name.getValue()
               << "', neither a name nor a sum of products of names";
      shape.push_back(*expr);
    }
    shapes_[argument] = shape;
  }
  WalkResult result = function.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (isa<func::FuncOp>(op))
      return WalkResult::advance();
    if (failed(analyzeOp(op)))
      return WalkResult::interrupt();
    // analyzeOp covers a dispatch's body.
    return isa<DispatchOp>(op) ? WalkResult::skip() : WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// The op cannot be given a shape in named dims: says why, on the op.
static LogicalResult failNoShape(Operation *op, const Twine &why) {
  return op->emitOpError() << "cannot express the dynamic result shape in "
                              "named dimensions: "
                           << why;
}

LogicalResult SymbolicShapes::analyzeOp(Operation *op) {
  if (op->getNumResults() == 0)
    return success();
  Value result = op->getResult(0);
  if (!isa<RankedTensorType>(result.getType()))
    return success();
  if (auto dispatch = dyn_cast<DispatchOp>(op))
    return analyzeDispatch(dispatch);
  if (std::optional<SymbolicShape> shape = staticShape(result.getType()))
    return setShape(result, *shape);
  FailureOr<SymbolicShape> shape = inferShape(op);
  if (failed(shape))
    return failure();
  return setShape(result, std::move(*shape));
}

LogicalResult SymbolicShapes::analyzeDispatch(DispatchOp dispatch) {
  // The body's values get shapes too: the kernel builders read them.
  Block &body = dispatch.getBody().front();
  for (auto [input, argument] :
       llvm::zip(dispatch.getInputs(), body.getArguments())) {
    SymbolicShape shape = getShape(input); // copy: the map may grow
    shapes_[argument] = std::move(shape);
  }
  for (Operation &inner : body.without_terminator())
    if (failed(analyzeOp(&inner)))
      return failure();
  SymbolicShape shape =
      getShape(cast<YieldOp>(body.getTerminator()).getValue());
  return setShape(dispatch.getResult(), std::move(shape));
}

/// A reshape's dims: named by its `dims`, or the one dynamic dim that
/// keeps the element count, or the input's dynamic dims where they keep
/// their positions.
FailureOr<SymbolicShape> SymbolicShapes::reshapeShape(ReshapeOp reshape) {
  const SymbolicShape &input = getShape(reshape.getInput());
  ArrayRef<int64_t> target = reshape.getType().getShape();
  SymbolicShape shape;
  if (std::optional<ArrayAttr> dims = reshape.getDims()) {
    FailureOr<SymbolicShape> named = parseDims(reshape, *dims);
    if (failed(named))
      return failure();
    shape = std::move(*named);
    if (!(product(shape) == product(input)))
      return reshape.emitOpError("dims [")
             << llvm::join(
                    llvm::map_range(
                        shape, [&](const DimExpr &d) { return format(d); }),
                    ", ")
             << "] do not hold the input's elements";
    return shape;
  }
  int dynamicCount = llvm::count_if(target, ShapedType::isDynamic);
  if (dynamicCount == 1) {
    DimExpr known = DimExpr::constant(1);
    for (int64_t dim : target)
      if (!ShapedType::isDynamic(dim))
        known = known * DimExpr::constant(dim);
    std::optional<DimExpr> missing = product(input).divide(known);
    if (!missing)
      return failNoShape(reshape,
                         "the static dims do not divide the element count");
    for (int64_t dim : target)
      shape.push_back(ShapedType::isDynamic(dim) ? *missing
                                                 : DimExpr::constant(dim));
    return shape;
  }
  // Several dynamic dims: they keep their positions from the input,
  // or, failing that, their positions among the dims that are not 1
  // (unsqueeze / squeeze: [b, s] -> [b, 1, 1, s]). Either guess must
  // keep the element count; otherwise (e.g. [b*s, 768] -> [?, ?, 768])
  // the dims are unknown, not guessed.
  auto guess = [&](bool skipUnitDims) -> std::optional<SymbolicShape> {
    SmallVector<DimExpr> source;
    for (const DimExpr &dim : input)
      if (!skipUnitDims || dim != DimExpr::constant(1))
        source.push_back(dim);
    SymbolicShape candidate;
    size_t next = 0;
    for (auto [d, dim] : llvm::enumerate(target)) {
      bool unit = dim == 1;
      size_t position = skipUnitDims ? next : d;
      if (!skipUnitDims || !unit)
        ++next;
      if (!ShapedType::isDynamic(dim)) {
        candidate.push_back(DimExpr::constant(dim));
        continue;
      }
      if (position >= source.size())
        return std::nullopt;
      candidate.push_back(source[position]);
    }
    if (!(product(candidate) == product(input)))
      return std::nullopt;
    return candidate;
  };
  std::optional<SymbolicShape> guessed = guess(false);
  if (!guessed)
    guessed = guess(true);
  if (!guessed)
    return failNoShape(reshape,
                       "cannot tell which input dims its dynamic dims are");
  return *guessed;
}

/// A broadcast's dims: named by its `dims`, or the input's where they are
/// not 1.
FailureOr<SymbolicShape> SymbolicShapes::broadcastShape(BroadcastOp b) {
  const SymbolicShape &input = getShape(b.getInput());
  SymbolicShape shape;
  int64_t offset = b.getType().getRank() - input.size();
  if (std::optional<ArrayAttr> dims = b.getDims()) {
    FailureOr<SymbolicShape> named = parseDims(b, *dims);
    if (failed(named))
      return failure();
    shape = std::move(*named);
    for (auto [i, dim] : llvm::enumerate(input))
      if (!isUnitDim(dim) && dim != shape[i + offset])
        return b.emitOpError("dim ")
               << i + offset << " is '" << format(shape[i + offset])
               << "' but the input's is '" << format(dim) << "'";
    return shape;
  }
  for (auto [d, dim] : llvm::enumerate(b.getType().getShape())) {
    int64_t source = static_cast<int64_t>(d) - offset;
    shape.push_back(
        source >= 0 && !isUnitDim(input[source])
            ? input[source]
            : DimExpr::constant(ShapedType::isDynamic(dim) ? 1 : dim));
  }
  return shape;
}

std::optional<SliceExtent> SymbolicShapes::sliceExtent(SliceOp slice,
                                                       unsigned d) const {
  const DimExpr &extent = getShape(slice.getInput())[d];
  int64_t step = slice.getSteps() ? (*slice.getSteps())[d] : 1;
  int64_t start = slice.getStarts()[d], end = slice.getEnds()[d];
  if (extent.isConstant()) {
    // ONNX: negative positions count from the end, then clamp to [0, size].
    int64_t size = extent.getCoefficient();
    auto clamp = [&](int64_t i) {
      return std::clamp<int64_t>(i < 0 ? i + size : i, 0, size);
    };
    int64_t first = clamp(start), last = clamp(end);
    int64_t count = last <= first ? 0 : (last - first + step - 1) / step;
    return SliceExtent{DimExpr::constant(first), DimExpr::constant(count), step,
                       0};
  }
  if (step != 1)
    return std::nullopt;
  // A position as an expression: counted from the start (needs the dim to
  // reach it) or from the end (needs the dim to hold what it skips); ends
  // past any size exporters write (INT64_MAX, INT32_MAX) are the end.
  constexpr int64_t kPastAnyEnd = int64_t(1) << 31;
  auto position = [&](int64_t i) -> std::pair<DimExpr, int64_t> {
    if (i >= kPastAnyEnd)
      return {extent, 0};
    if (i < 0)
      return {extent + DimExpr::constant(i), -i};
    return {DimExpr::constant(i), i};
  };
  auto [first, needFirst] = position(start);
  auto [last, needLast] = position(end);
  DimExpr length = last - first;
  int64_t minExtent = std::max(needFirst, needLast);
  if (!length.isConstant()) {
    // extent - c: from a position counted from the start to one counted
    // from the end, which needs c elements.
    DimExpr rest = length - extent;
    if (!rest.isConstant())
      return std::nullopt;
    minExtent = std::max(minExtent, -rest.getCoefficient());
  } else if (length.getCoefficient() < 0) {
    return std::nullopt;
  }
  return SliceExtent{first, length, 1, minExtent};
}

/// The shape left when `axes` are reduced: dropped, or kept as 1.
static SymbolicShape reducedShape(ArrayRef<DimExpr> input,
                                  ArrayRef<int64_t> axes, bool keepdims) {
  SymbolicShape shape;
  for (auto [d, dim] : llvm::enumerate(input)) {
    if (!llvm::is_contained(axes, static_cast<int64_t>(d)))
      shape.push_back(dim);
    else if (keepdims)
      shape.push_back(DimExpr::constant(1));
  }
  return shape;
}

/// The shape of an op's result from its operands' shapes.
FailureOr<SymbolicShape> SymbolicShapes::inferShape(Operation *op) {
  auto shapeOf = [&](Value v) -> const SymbolicShape & { return getShape(v); };
  using Result = FailureOr<SymbolicShape>;
  return llvm::TypeSwitch<Operation *, Result>(op)
      .Case([&](ReshapeOp reshape) { return reshapeShape(reshape); })
      .Case([&](BroadcastOp b) { return broadcastShape(b); })
      .Case<TransposeOp>([&](TransposeOp transpose) -> Result {
        SymbolicShape shape;
        for (int64_t d : transpose.getPermutation())
          shape.push_back(shapeOf(transpose.getInput())[d]);
        return Result(shape);
      })
      .Case<MatmulOp>([&](MatmulOp matmul) -> Result {
        const SymbolicShape &l = shapeOf(matmul.getLhs());
        const SymbolicShape &r = shapeOf(matmul.getRhs());
        SymbolicShape shape =
            broadcast({SymbolicShape(ArrayRef<DimExpr>(l).drop_back(2)),
                       SymbolicShape(ArrayRef<DimExpr>(r).drop_back(2))});
        shape.push_back(matmul.getTransposeLhs() ? l.back() : l[l.size() - 2]);
        shape.push_back(matmul.getTransposeRhs() ? r[r.size() - 2] : r.back());
        return Result(shape);
      })
      .Case<LinearOp>([&](LinearOp linear) -> Result {
        SymbolicShape shape(shapeOf(linear.getInput()));
        shape.back() = shapeOf(linear.getWeight())[0];
        return Result(shape);
      })
      .Case<ConvOp, PoolOp>([&](auto windowed) -> Result {
        // All but the batch is static (the verifiers).
        SymbolicShape shape = {shapeOf(windowed.getInput())[0]};
        for (int64_t size : windowed.getType().getShape().drop_front())
          shape.push_back(DimExpr::constant(size));
        return Result(shape);
      })
      .Case<AttentionOp>([&](AttentionOp attention) -> Result {
        const SymbolicShape &q = shapeOf(attention.getQuery());
        const SymbolicShape &v = shapeOf(attention.getValue());
        return Result(SymbolicShape{q[0], q[1], q[2], v[3]});
      })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp>([&](auto reduce) -> Result {
        return Result(reducedShape(shapeOf(reduce.getInput()), reduce.getAxes(),
                                   reduce.getKeepdims()));
      })
      .Case<ArgMaxOp>([&](ArgMaxOp argmax) -> Result {
        return Result(reducedShape(shapeOf(argmax.getInput()),
                                   {static_cast<int64_t>(argmax.getAxis())},
                                   argmax.getKeepdims()));
      })
      .Case<ConcatOp>([&](ConcatOp concat) -> Result {
        int64_t axis = static_cast<int64_t>(concat.getAxis());
        SymbolicShape shape(shapeOf(concat.getInputs().front()));
        DimExpr total = DimExpr::constant(0);
        for (Value input : concat.getInputs())
          total = total + shapeOf(input)[axis];
        shape[axis] = total;
        return Result(shape);
      })
      .Case<SliceOp>([&](SliceOp slice) -> Result {
        SymbolicShape shape;
        for (unsigned d = 0; d < slice.getType().getRank(); ++d) {
          std::optional<SliceExtent> extent = sliceExtent(slice, d);
          if (!extent)
            return failNoShape(op, "dim " + Twine(d) +
                                       " is sliced with a step inside a "
                                       "dynamic dimension, or from its end "
                                       "to a position from its start");
          shape.push_back(extent->length);
        }
        return Result(shape);
      })
      .Case<IotaOp>([&](IotaOp iota) -> Result {
        // The verifier guarantees a length expression for a dynamic length.
        std::optional<DimExpr> length = parse(iota.getLength().value_or(""));
        if (!length)
          return iota.emitOpError("has length '")
                 << iota.getLength().value_or("")
                 << "', not a sum of products of names";
        if (iota.getStart() && !parse(*iota.getStart()))
          return iota.emitOpError("has start '")
                 << *iota.getStart() << "', not a sum of products of names";
        return Result(SymbolicShape{*length});
      })
      .Case<ResizeOp>([&](ResizeOp resize) -> Result {
        // Resized dims are static (the verifier); the others the input's.
        SymbolicShape shape(shapeOf(resize.getInput()));
        for (auto [d, size] : llvm::enumerate(resize.getType().getShape()))
          if (!ShapedType::isDynamic(size))
            shape[d] = DimExpr::constant(size);
        return Result(shape);
      })
      .Case<ScatterNDOp>([&](ScatterNDOp scatter) -> Result {
        return Result(SymbolicShape(shapeOf(scatter.getData())));
      })
      .Case<GatherOp>([&](GatherOp gather) -> Result {
        const SymbolicShape &input = shapeOf(gather.getInput());
        int64_t axis = static_cast<int64_t>(gather.getAxis());
        SymbolicShape shape(ArrayRef<DimExpr>(input).take_front(axis));
        llvm::append_range(shape, shapeOf(gather.getIndices()));
        llvm::append_range(shape,
                           ArrayRef<DimExpr>(input).drop_front(axis + 1));
        return Result(shape);
      })
      .Default([&](Operation *other) -> Result {
        // Ops whose result has the broadcast shape of their tensor operands:
        // elementwise ops, softmax, layer_norm, cast.
        if (DispatchOp::isFusableElementwise(other) ||
            isa<SoftmaxOp, LayerNormOp, RotaryOp, ArgsortOp>(other)) {
          SmallVector<SymbolicShape> shapes;
          for (Value operand : other->getOperands())
            shapes.push_back(shapeOf(operand));
          if (isa<LayerNormOp, RotaryOp>(other))
            shapes.resize(1); // scales and tables never widen the result
          return Result(broadcast(shapes));
        }
        return failNoShape(op, "no shape rule for this op yet");
      });
}

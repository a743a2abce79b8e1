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
/// bound that moves it the asked way (symbols are positive). The smallest
/// value of a sum that subtracts a dim of no known upper bound (0) is
/// unknown too: INT64_MIN, so that no check takes it for a bound (`4 - h`
/// before h is bounded is not at least 4).
static int64_t extremeValue(const DimExpr &expr, ArrayRef<DimSymbol> symbols,
                            bool largest) {
  int64_t value = 0;
  for (const DimExpr::Term &term : expr.getTerms()) {
    bool upper = (term.coefficient > 0) == largest;
    int64_t product = term.coefficient;
    for (unsigned symbol : term.symbols) {
      if (upper && !largest && symbols[symbol].upper <= 0)
        return std::numeric_limits<int64_t>::min();
      product *= upper ? symbols[symbol].upper : symbols[symbol].lower;
    }
    value += product;
  }
  return value;
}

/// The [min, max] a `tessera.dim_bounds` states for `name`, or null.
static DenseI64ArrayAttr statedRange(DictionaryAttr bounds, StringRef name) {
  auto range =
      bounds ? dyn_cast_or_null<DenseI64ArrayAttr>(bounds.get(name)) : nullptr;
  return range && range.size() == 2 ? range : nullptr;
}

void SymbolicShapes::readBoundsAttribute(func::FuncOp function) {
  auto bounds = TesseraDialect::DimBoundsAttrHelper(function->getContext())
                    .getAttr(function);
  for (DimSymbol &symbol : symbols_)
    if (DenseI64ArrayAttr range = statedRange(bounds, symbol.name);
        range && !symbol.isDerived())
      std::tie(symbol.lower, symbol.upper) = std::pair(range[0], range[1]);
  boundDerivedDims(bounds);
}

/// floor(a / b) for b > 0 (C++ division truncates towards 0).
static int64_t floorDivide(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

void SymbolicShapes::boundDerivedDims(DictionaryAttr stated) {
  // A derived dim's numerator mentions only the dims before it.
  for (DimSymbol &symbol : symbols_)
    if (symbol.isDerived())
      boundDerivedDim(symbol, stated);
}

void SymbolicShapes::boundDerivedDim(DimSymbol &symbol, DictionaryAttr stated) {
  symbol.lower = std::max(
      symbol.least, floorDivide(lowerBound(symbol.numerator), symbol.divisor));
  symbol.upper =
      isBounded(symbol.numerator)
          ? std::max(symbol.lower,
                     floorDivide(upperBound(symbol.numerator), symbol.divisor))
          : 0;
  // Narrowed where the graph ties the dim to a size.
  if (DenseI64ArrayAttr range = statedRange(stated, symbol.name)) {
    symbol.lower = std::max(symbol.lower, range[0]);
    symbol.upper =
        symbol.upper > 0 ? std::min(symbol.upper, range[1]) : range[1];
  }
}

bool SymbolicShapes::isBounded(const DimExpr &expr) const {
  return llvm::all_of(expr.collectSymbols(), [&](unsigned symbol) {
    const DimSymbol &dim = symbols_[symbol];
    return dim.isDerived() ? isBounded(dim.numerator) : dim.upper > 0;
  });
}

std::optional<DimExpr> SymbolicShapes::floorDiv(const DimExpr &numerator,
                                                int64_t divisor) {
  assert(divisor > 0 && "floor division by a positive number only");
  // numerator = divisor * exact + rest + constant, where the divisor
  // divides no term of rest: floor(numerator / divisor) = exact +
  // floor(constant / divisor) + floor((rest + constant mod divisor) /
  // divisor), the last a derived dim unless rest is 0.
  DimExpr exact = DimExpr::constant(0), rest = DimExpr::constant(0);
  int64_t constant = 0;
  for (const DimExpr::Term &term : numerator.getTerms()) {
    DimExpr product = DimExpr::constant(1);
    for (unsigned symbol : term.symbols)
      product = product * DimExpr::symbol(symbol);
    if (term.symbols.empty())
      constant += term.coefficient;
    else if (term.coefficient % divisor == 0)
      exact = exact + product * DimExpr::constant(term.coefficient / divisor);
    else
      rest = rest + product * DimExpr::constant(term.coefficient);
  }
  int64_t whole = floorDivide(constant, divisor);
  DimExpr result = exact + DimExpr::constant(whole);
  if (rest.isConstant())
    return result;
  rest = rest + DimExpr::constant(constant - whole * divisor);
  // Named dims are positive: a rest that only subtracts them is negative,
  // floor(rest / d) = -floor((d - 1 - rest) / d), a derived dim of a
  // positive numerator; one that adds some and subtracts others has no
  // sign the bounds could follow.
  auto negative = [](const DimExpr::Term &t) { return t.coefficient < 0; };
  bool allNegative = true, anyNegative = false;
  for (const DimExpr::Term &term : rest.getTerms())
    if (!term.symbols.empty()) {
      allNegative &= negative(term);
      anyNegative |= negative(term);
    }
  if (allNegative) {
    std::optional<DimExpr> up =
        floorDiv(DimExpr::constant(divisor - 1) - rest, divisor);
    if (!up)
      return std::nullopt;
    return result - *up;
  }
  if (anyNegative)
    return std::nullopt;
  for (auto [id, symbol] : llvm::enumerate(symbols_))
    if (symbol.isDerived() && symbol.divisor == divisor &&
        symbol.numerator == rest)
      return result + DimExpr::symbol(id);
  // Named after the input dim it comes from: height_1, height_2, ...
  unsigned root = rest.collectSymbols().front();
  while (symbols_[root].isDerived())
    root = symbols_[root].numerator.collectSymbols().front();
  std::string name;
  for (int n = 1; name.empty() || lookupSymbol(name); ++n)
    name = symbols_[root].name + "_" + std::to_string(n);
  symbols_.push_back({name, 0, 0, rest, divisor});
  boundDerivedDim(symbols_.back(), {});
  return result + DimExpr::symbol(symbols_.size() - 1);
}

bool SymbolicShapes::hasDerivedDims(const DimExpr &expr) const {
  return llvm::any_of(expr.collectSymbols(),
                      [&](unsigned id) { return symbols_[id].isDerived(); });
}

SmallVector<unsigned>
SymbolicShapes::collectInputDims(const DimExpr &expr) const {
  SmallVector<unsigned> inputs;
  for (unsigned id : expr.collectSymbols())
    if (symbols_[id].isDerived())
      llvm::append_range(inputs, collectInputDims(symbols_[id].numerator));
    else
      inputs.push_back(id);
  llvm::sort(inputs);
  inputs.erase(llvm::unique(inputs), inputs.end());
  return inputs;
}

std::string SymbolicShapes::formatFixingFlags(const DimExpr &expr) const {
  // The input dims behind the derived dims (a batch beside them is free).
  DimExpr behind = DimExpr::constant(0);
  for (unsigned id : expr.collectSymbols())
    if (symbols_[id].isDerived())
      behind = behind + symbols_[id].numerator;
  SmallVector<std::string> flags;
  for (unsigned id : collectInputDims(behind))
    flags.push_back("--dim " + symbols_[id].name + "=N");
  return llvm::join(flags, " ");
}

std::string SymbolicShapes::formatDefinition(const DimSymbol &symbol) const {
  return "floor((" + format(symbol.numerator) + ") / " +
         std::to_string(symbol.divisor) + ")";
}

void SymbolicShapes::writeDerivedDims(func::FuncOp function) const {
  Builder builder(function.getContext());
  SmallVector<Attribute> definitions;
  for (const DimSymbol &symbol : symbols_)
    if (symbol.isDerived())
      definitions.push_back(builder.getStringAttr(symbol.name + " = " +
                                                  formatDefinition(symbol)));
  TesseraDialect::DerivedDimsAttrHelper helper(function.getContext());
  if (definitions.empty())
    helper.removeAttr(function);
  else
    helper.setAttr(function, builder.getArrayAttr(definitions));
}

LogicalResult SymbolicShapes::readDerivedDims(func::FuncOp function) {
  auto definitions =
      TesseraDialect::DerivedDimsAttrHelper(function.getContext())
          .getAttr(function);
  if (!definitions)
    return success();
  for (Attribute attribute : definitions) {
    auto text = dyn_cast<StringAttr>(attribute);
    StringRef name, definition, numerator, divisorText;
    if (text)
      std::tie(name, definition) = text.getValue().split(" = ");
    int64_t divisor = 0;
    if (definition.consume_front("floor((") && definition.consume_back(")"))
      std::tie(numerator, divisorText) = definition.rsplit(") / ");
    std::optional<DimExpr> parsed =
        numerator.empty() ? std::nullopt : parse(numerator);
    if (!parsed || divisorText.getAsInteger(10, divisor) || divisor < 1 ||
        lookupSymbol(name.trim()) || name.trim().empty())
      return function.emitError()
             << "has derived dim " << attribute
             << "; each must be \"name = floor((numerator) / divisor)\" with "
                "a new name and a divisor of at least 1";
    symbols_.push_back({name.trim().str(), 0, 0, *parsed, divisor});
  }
  boundDerivedDims({});
  return success();
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
  if (failed(readDerivedDims(function)))
    return failure();
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
    if (!(product(shape) == product(input))) {
      auto text = [&](ArrayRef<DimExpr> dims) {
        return "[" +
               llvm::join(
                   llvm::map_range(dims,
                                   [&](const DimExpr &d) { return format(d); }),
                   ", ") +
               "]";
      };
      InFlightDiagnostic error = reshape.emitOpError("dims ")
                                 << text(shape) << " do not hold the input's "
                                 << text(input) << " elements";
      // A view fixed to sizes a dynamic image's windows give (Swin's
      // [B, 8, 8, C] of its patch grid), or one into chunks of a sequence
      // (Longformer's [B, floor(seq / 8), 8, D]), holds for some input
      // sizes only.
      DimExpr elements = product(input);
      if (!hasDerivedDims(elements))
        elements = product(shape);
      if (hasDerivedDims(elements))
        error << "; the graph fixes the size of an input the model leaves "
                 "dynamic: compile for one size with "
              << formatFixingFlags(elements) << ", or export with a fixed size";
      return error;
    }
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

/// The positions a window of `kernel` (dilated) takes along an axis of
/// `size` padded by `padBegin` and `padEnd` at `stride`: floor((span - 1) /
/// stride) + 1 of span = size + pads - dilation (kernel - 1), rounded up
/// with ceil_mode (the static rule is windowStarts in
/// TesseraShapeInference.cpp).
FailureOr<SymbolicShape> SymbolicShapes::windowedShape(Operation *op) {
  auto conv = dyn_cast<ConvOp>(op);
  auto pool = dyn_cast<PoolOp>(op);
  Value input = conv ? conv.getInput() : pool.getInput();
  const SymbolicShape &in = getShape(input);
  int64_t spatial = static_cast<int64_t>(in.size()) - 2;
  ArrayRef<int64_t> strides = conv ? conv.getStrides() : pool.getStrides();
  ArrayRef<int64_t> pads = conv ? conv.getPads() : pool.getPads();
  ArrayRef<int64_t> dilations =
      conv ? conv.getDilations() : pool.getDilations();
  bool ceilMode = pool && pool.getCeilMode();
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  SymbolicShape shape = {in[0], DimExpr::constant(resultType.getDimSize(1))};
  for (int64_t d = 0; d < spatial; ++d) {
    int64_t kernel = conv ? cast<RankedTensorType>(conv.getWeight().getType())
                                .getDimSize(2 + d)
                          : pool.getKernel()[d];
    int64_t stride = strides[d], padEnd = pads[spatial + d];
    int64_t reach = dilations[d] * (kernel - 1) + 1;
    // Rounded up, the last window must start inside the input or its
    // front padding; over a dynamic axis that must hold for every size.
    if (ceilMode && !in[2 + d].isConstant() && padEnd + stride > reach)
      return failNoShape(op, "ceil_mode over dynamic axis " + Twine(2 + d) +
                                 ", where the last window may start in the "
                                 "end padding");
    DimExpr last = in[2 + d] + DimExpr::constant(pads[d] + padEnd - reach +
                                                 (ceilMode ? stride - 1 : 0));
    std::optional<DimExpr> starts = floorDiv(last, stride);
    if (!starts)
      return failNoShape(op, "the positions along axis " + Twine(2 + d) +
                                 " are the floor of a quotient of no "
                                 "known sign");
    DimExpr positions = *starts + DimExpr::constant(1);
    // At least one position: a derived dim d in d + c is at least 1 - c.
    int64_t offset = 0;
    for (const DimExpr::Term &term : positions.getTerms())
      if (term.symbols.empty())
        offset = term.coefficient;
    DimExpr variable = positions - DimExpr::constant(offset);
    if (variable.isMonomial() && !variable.isConstant() &&
        variable.getCoefficient() == 1 && variable.getSymbols().size() == 1 &&
        symbols_[variable.getSymbols().front()].isDerived()) {
      DimSymbol &symbol = symbols_[variable.getSymbols().front()];
      symbol.least = std::max(symbol.least, 1 - offset);
      symbol.lower = std::max(symbol.lower, symbol.least);
    }
    shape.push_back(positions);
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
      .Case<ConvOp, PoolOp>(
          [&](auto windowed) -> Result { return windowedShape(windowed); })
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
        // A dynamic resized dim is scaled by a fraction p / q: its size is
        // floor(p · Lin / q) (the verifier); static ones are the type's.
        SymbolicShape shape(shapeOf(resize.getInput()));
        if (std::optional<ArrayAttr> dims = resize.getDims()) {
          FailureOr<SymbolicShape> named = parseDims(resize, *dims);
          if (failed(named))
            return failure();
          for (auto [d, scale] : llvm::enumerate(resize.getScales()))
            if (scale == 0.0f)
              shape[d] = (*named)[d]; // static ones are the type's anyway
        }
        for (auto [d, scale] : llvm::enumerate(resize.getScales())) {
          auto fraction = ResizeOp::getScaleFraction(scale);
          if (!fraction || shape[d].isConstant())
            continue;
          auto [numerator, denominator] = *fraction;
          std::optional<DimExpr> size =
              floorDiv(shape[d] * DimExpr::constant(numerator), denominator);
          if (!size)
            return failNoShape(op, "dim " + Twine(d) +
                                       " is the floor of a quotient of no "
                                       "known sign");
          shape[d] = *size;
        }
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

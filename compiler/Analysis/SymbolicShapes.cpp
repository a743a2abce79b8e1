//===- SymbolicShapes.cpp - Dimensions as expressions of named dims -------===//

#include "compiler/Analysis/SymbolicShapes.h"

#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#include <numeric>

using namespace mlir;
using namespace mlir::tessera;

//===----------------------------------------------------------------------===//
// DimExpr
//===----------------------------------------------------------------------===//

DimExpr DimExpr::constant(int64_t value) {
  return fromTerms({Term{value, {}}});
}

DimExpr DimExpr::symbol(unsigned id) { return fromTerms({Term{1, {id}}}); }

DimExpr DimExpr::fromTerms(SmallVector<Term, 1> terms) {
  llvm::stable_sort(terms, [](const Term &a, const Term &b) {
    return std::lexicographical_compare(a.symbols.begin(), a.symbols.end(),
                                        b.symbols.begin(), b.symbols.end());
  });
  DimExpr expr;
  expr.terms_.clear();
  for (Term &term : terms) {
    if (!expr.terms_.empty() && expr.terms_.back().symbols == term.symbols)
      expr.terms_.back().coefficient += term.coefficient;
    else
      expr.terms_.push_back(std::move(term));
    if (expr.terms_.back().coefficient == 0)
      expr.terms_.pop_back();
  }
  return expr;
}

SmallVector<unsigned> DimExpr::collectSymbols() const {
  SmallVector<unsigned> symbols;
  for (const Term &term : terms_)
    llvm::append_range(symbols, term.symbols);
  llvm::sort(symbols);
  symbols.erase(llvm::unique(symbols), symbols.end());
  return symbols;
}

int64_t DimExpr::getDivisor() const {
  int64_t divisor = 0;
  for (const Term &term : terms_)
    divisor = std::gcd(divisor, term.coefficient);
  return divisor;
}

DimExpr DimExpr::operator+(const DimExpr &other) const {
  SmallVector<Term, 1> terms(terms_);
  llvm::append_range(terms, other.terms_);
  return fromTerms(std::move(terms));
}

DimExpr DimExpr::operator-(const DimExpr &other) const {
  return *this + other * constant(-1);
}

DimExpr DimExpr::operator*(const DimExpr &other) const {
  SmallVector<Term, 1> terms;
  for (const Term &a : terms_)
    for (const Term &b : other.terms_) {
      Term product{a.coefficient * b.coefficient, a.symbols};
      llvm::append_range(product.symbols, b.symbols);
      llvm::sort(product.symbols);
      terms.push_back(std::move(product));
    }
  return fromTerms(std::move(terms));
}

/// a / b for monomials, when b divides a.
static std::optional<DimExpr::Term> divideTerm(const DimExpr::Term &a,
                                               const DimExpr::Term &b) {
  if (b.coefficient == 0 || a.coefficient % b.coefficient != 0)
    return std::nullopt;
  DimExpr::Term quotient{a.coefficient / b.coefficient, a.symbols};
  for (unsigned symbol : b.symbols) {
    auto it = llvm::find(quotient.symbols, symbol);
    if (it == quotient.symbols.end())
      return std::nullopt;
    quotient.symbols.erase(it);
  }
  return quotient;
}

std::optional<DimExpr> DimExpr::divide(const DimExpr &other) const {
  if (other.terms_.empty())
    return std::nullopt; // division by zero
  if (terms_.empty())
    return *this;
  if (other.isMonomial()) {
    SmallVector<Term, 1> terms;
    for (const Term &term : terms_) {
      std::optional<Term> quotient = divideTerm(term, other.terms_[0]);
      if (!quotient)
        return std::nullopt;
      terms.push_back(std::move(*quotient));
    }
    return fromTerms(std::move(terms));
  }
  // A sum divided by a sum: only a monomial quotient, taken from the
  // leading terms and checked by multiplying back.
  std::optional<Term> quotient = divideTerm(terms_[0], other.terms_[0]);
  if (!quotient)
    return std::nullopt;
  DimExpr q = fromTerms({*quotient});
  if (q * other != *this)
    return std::nullopt;
  return q;
}

int64_t DimExpr::evaluate(ArrayRef<int64_t> symbolValues) const {
  int64_t value = 0;
  for (const Term &term : terms_) {
    int64_t product = term.coefficient;
    for (unsigned symbol : term.symbols)
      product *= symbolValues[symbol];
    value += product;
  }
  return value;
}

void DimExpr::encode(SmallVectorImpl<int64_t> &out) const {
  out.push_back(terms_.size());
  for (const Term &term : terms_) {
    out.push_back(term.coefficient);
    out.push_back(term.symbols.size());
    llvm::append_range(out, term.symbols);
  }
}

std::optional<DimExpr> DimExpr::decode(ArrayRef<int64_t> values) {
  if (values.empty() || values[0] < 0)
    return std::nullopt;
  SmallVector<Term, 1> terms;
  size_t next = 1;
  for (int64_t t = 0; t < values[0]; ++t) {
    if (next + 2 > values.size() || values[next + 1] < 0 ||
        next + 2 + values[next + 1] > values.size())
      return std::nullopt;
    Term term{values[next], {}};
    for (int64_t s = 0; s < values[next + 1]; ++s)
      term.symbols.push_back(static_cast<unsigned>(values[next + 2 + s]));
    next += 2 + values[next + 1];
    llvm::sort(term.symbols);
    terms.push_back(std::move(term));
  }
  if (next != values.size())
    return std::nullopt;
  return fromTerms(std::move(terms));
}

//===----------------------------------------------------------------------===//
// StridedView
//===----------------------------------------------------------------------===//

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

StridedView StridedView::dense(ArrayRef<DimExpr> shape) {
  return {SymbolicShape(shape), SymbolicShapes::denseStrides(shape)};
}

StridedView StridedView::transpose(ArrayRef<int64_t> permutation) const {
  StridedView view;
  view.offset = offset;
  for (int64_t d : permutation) {
    view.shape.push_back(shape[d]);
    view.strides.push_back(strides[d]);
  }
  return view;
}

static bool isOne(const DimExpr &dim) { return dim == DimExpr::constant(1); }

std::optional<StridedView>
StridedView::reshape(ArrayRef<DimExpr> newShape) const {
  // Size-1 dims take no part in addressing: reshape between the other dims,
  // then put the target's size-1 dims back with stride 0.
  SmallVector<std::pair<DimExpr, DimExpr>> source;
  for (auto [dim, stride] : llvm::zip(shape, strides))
    if (!isOne(dim))
      source.push_back({dim, stride});
  SmallVector<DimExpr> target;
  for (const DimExpr &dim : newShape)
    if (!isOne(dim))
      target.push_back(dim);

  SmallVector<DimExpr> targetStrides;
  size_t i = 0, j = 0;
  while (i < source.size() || j < target.size()) {
    if (i >= source.size() || j >= target.size())
      return std::nullopt;
    // Grow a group of source dims and a group of target dims until their
    // products agree.
    size_t iEnd = i + 1, jEnd = j + 1;
    DimExpr sourceProduct = source[i].first, targetProduct = target[j];
    while (sourceProduct != targetProduct) {
      if (sourceProduct.divide(targetProduct) && jEnd < target.size()) {
        targetProduct = targetProduct * target[jEnd++];
      } else if (targetProduct.divide(sourceProduct) && iEnd < source.size()) {
        sourceProduct = sourceProduct * source[iEnd].first;
        ++iEnd;
      } else {
        return std::nullopt;
      }
    }
    // The source group must be contiguous to be merged.
    for (size_t k = i; k + 1 < iEnd; ++k)
      if (source[k].second != source[k + 1].second * source[k + 1].first)
        return std::nullopt;
    // Split it into the target group, innermost stride first.
    SmallVector<DimExpr> groupStrides(jEnd - j, source[iEnd - 1].second);
    for (int64_t g = static_cast<int64_t>(groupStrides.size()) - 2; g >= 0; --g)
      groupStrides[g] = groupStrides[g + 1] * target[j + g + 1];
    llvm::append_range(targetStrides, groupStrides);
    i = iEnd;
    j = jEnd;
  }

  StridedView view;
  view.offset = offset;
  size_t next = 0;
  for (const DimExpr &dim : newShape) {
    view.shape.push_back(dim);
    view.strides.push_back(isOne(dim) ? DimExpr::constant(0)
                                      : targetStrides[next++]);
  }
  return view;
}

StridedView StridedView::broadcastTo(ArrayRef<DimExpr> newShape) const {
  StridedView view;
  view.offset = offset;
  size_t offset = newShape.size() - shape.size();
  for (size_t d = 0; d < newShape.size(); ++d) {
    view.shape.push_back(newShape[d]);
    if (d < offset || (isOne(shape[d - offset]) && !isOne(newShape[d])))
      view.strides.push_back(DimExpr::constant(0));
    else
      view.strides.push_back(strides[d - offset]);
  }
  return view;
}

StridedView StridedView::slice(ArrayRef<int64_t> starts,
                               ArrayRef<int64_t> steps,
                               ArrayRef<DimExpr> newShape) const {
  StridedView view;
  view.offset = offset;
  view.shape.assign(newShape.begin(), newShape.end());
  for (size_t d = 0; d < shape.size(); ++d) {
    view.strides.push_back(strides[d] * DimExpr::constant(steps[d]));
    view.offset = view.offset + strides[d] * DimExpr::constant(starts[d]);
  }
  return view;
}

OutputChain mlir::tessera::traceOutputChain(Value result,
                                           const SymbolicShapes &shapes) {
  SmallVector<Operation *> chain;
  Value end = result;
  while (end.hasOneUse()) {
    Operation *user = *end.getUsers().begin();
    if (!isa<ReshapeOp, TransposeOp>(user))
      break;
    chain.push_back(user);
    end = user->getResult(0);
  }
  while (!chain.empty()) {
    std::optional<StridedView> view = StridedView::dense(shapes.getShape(end));
    for (Operation *op : llvm::reverse(chain)) {
      Value source = op->getOperand(0);
      if (auto transpose = dyn_cast<TransposeOp>(op)) {
        SmallVector<int64_t> inverse(transpose.getPermutation().size());
        for (auto [i, p] : llvm::enumerate(transpose.getPermutation()))
          inverse[p] = i;
        view = view->transpose(inverse);
      } else {
        view = view->reshape(shapes.getShape(source));
      }
      if (!view)
        break;
    }
    if (view)
      return {end, *view, chain};
    // Not expressible: try a shorter chain.
    chain.pop_back();
    end = chain.empty() ? result : chain.back()->getResult(0);
  }
  return {result, StridedView::dense(shapes.getShape(result)), {}};
}

/// A cast that kernels perform as they load: f16 to f32 (the widening of
/// an f16 buffer), and i32 to i1 (booleans are stored as i32 and loaded as
/// `!= 0`, which is the cast).
static bool isCastOnLoad(Operation *op) {
  auto cast = dyn_cast_or_null<CastOp>(op);
  if (!cast)
    return false;
  Type from = getElementTypeOrSelf(cast.getInput().getType());
  Type to = getElementTypeOrSelf(cast.getType());
  return (from.isF16() && to.isF32()) ||
         (from.isInteger(32) && to.isInteger(1));
}

bool mlir::tessera::isViewOp(Operation *op) {
  return isa_and_nonnull<ReshapeOp, TransposeOp, BroadcastOp, SliceOp>(op) ||
         isCastOnLoad(op);
}

std::optional<StridedView>
mlir::tessera::viewThrough(Operation *op, const StridedView &source,
                           ArrayRef<DimExpr> resultShape) {
  if (auto transpose = dyn_cast<TransposeOp>(op))
    return source.transpose(transpose.getPermutation());
  if (isa<ReshapeOp>(op))
    return source.reshape(resultShape);
  if (isa<BroadcastOp>(op))
    return source.broadcastTo(resultShape);
  if (isCastOnLoad(op))
    return source;
  auto slice = cast<SliceOp>(op);
  SmallVector<int64_t> starts, steps;
  for (auto [d, given] : llvm::enumerate(slice.getStarts())) {
    const DimExpr &extent = source.shape[d];
    int64_t start = given;
    if (start < 0) {
      if (!extent.isConstant())
        return std::nullopt;
      start = std::max<int64_t>(0, start + extent.getCoefficient());
    }
    if (extent.isConstant())
      start = std::min(start, extent.getCoefficient());
    starts.push_back(start);
    steps.push_back(slice.getSteps() ? (*slice.getSteps())[d] : 1);
  }
  return source.slice(starts, steps, resultShape);
}

//===----------------------------------------------------------------------===//
// SymbolicShapes
//===----------------------------------------------------------------------===//

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
  return parseDimExpr(text,
                      [&](StringRef name) { return lookupSymbol(name); });
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
  auto bounds = TesseraDialect::DimBoundsAttrHelper(function->getContext()).getAttr(function);
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
      if (!isOne(shape[shape.size() - 1 - i]))
        result[rank - 1 - i] = shape[shape.size() - 1 - i];
  return result;
}

LogicalResult SymbolicShapes::analyze(func::FuncOp function) {
  for (BlockArgument argument : function.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(argument.getType());
    if (!type)
      continue;
    auto names = function.getArgAttrOfType<ArrayAttr>(argument.getArgNumber(),
                                                      TesseraDialect::DimsAttrHelper::getNameStr());
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

LogicalResult SymbolicShapes::analyzeOp(Operation *op) {
  if (op->getNumResults() == 0)
    return success();
  Value result = op->getResult(0);
  if (!isa<RankedTensorType>(result.getType()))
    return success();
  if (auto dispatch = dyn_cast<DispatchOp>(op)) {
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
    return setShape(result, std::move(shape));
  }
  if (std::optional<SymbolicShape> shape = staticShape(result.getType()))
    return setShape(result, *shape);

  auto shapeOf = [&](Value v) -> const SymbolicShape & { return getShape(v); };
  auto fail = [&](const Twine &why) {
    return op->emitOpError() << "cannot express the dynamic result shape in "
                                "named dimensions: "
                             << why;
  };

  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<ReshapeOp>([&](ReshapeOp reshape) -> LogicalResult {
        const SymbolicShape &input = shapeOf(reshape.getInput());
        ArrayRef<int64_t> target = reshape.getType().getShape();
        SymbolicShape shape;
        if (std::optional<ArrayAttr> dims = reshape.getDims()) {
          FailureOr<SymbolicShape> named = parseDims(reshape, *dims);
          if (failed(named))
            return failure();
          shape = std::move(*named);
          if (!(product(shape) == product(input)))
            return reshape.emitOpError("dims [")
                   << llvm::join(llvm::map_range(shape,
                                                 [&](const DimExpr &d) {
                                                   return format(d);
                                                 }),
                                 ", ")
                   << "] do not hold the input's elements";
          return setShape(result, shape);
        }
        int dynamicCount = llvm::count_if(target, ShapedType::isDynamic);
        if (dynamicCount == 1) {
          DimExpr known = DimExpr::constant(1);
          for (int64_t dim : target)
            if (!ShapedType::isDynamic(dim))
              known = known * DimExpr::constant(dim);
          std::optional<DimExpr> missing = product(input).divide(known);
          if (!missing)
            return fail("the static dims do not divide the element count");
          for (int64_t dim : target)
            shape.push_back(
                ShapedType::isDynamic(dim) ? *missing : DimExpr::constant(dim));
          return setShape(result, shape);
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
          return fail("cannot tell which input dims its dynamic dims are");
        return setShape(result, *guessed);
      })
      .Case<TransposeOp>([&](TransposeOp transpose) {
        SymbolicShape shape;
        for (int64_t d : transpose.getPermutation())
          shape.push_back(shapeOf(transpose.getInput())[d]);
        return setShape(result, shape);
      })
      .Case<BroadcastOp>([&](BroadcastOp b) -> LogicalResult {
        const SymbolicShape &input = shapeOf(b.getInput());
        SymbolicShape shape;
        int64_t offset = b.getType().getRank() - input.size();
        if (std::optional<ArrayAttr> dims = b.getDims()) {
          FailureOr<SymbolicShape> named = parseDims(b, *dims);
          if (failed(named))
            return failure();
          shape = std::move(*named);
          for (auto [i, dim] : llvm::enumerate(input))
            if (!isOne(dim) && dim != shape[i + offset])
              return b.emitOpError("dim ")
                     << i + offset << " is '" << format(shape[i + offset])
                     << "' but the input's is '" << format(dim) << "'";
          return setShape(result, shape);
        }
        for (auto [d, dim] : llvm::enumerate(b.getType().getShape())) {
          int64_t source = static_cast<int64_t>(d) - offset;
          shape.push_back(
              source >= 0 && !isOne(input[source])
                  ? input[source]
                  : DimExpr::constant(ShapedType::isDynamic(dim) ? 1 : dim));
        }
        return setShape(result, shape);
      })
      .Case<MatmulOp>([&](MatmulOp matmul) {
        const SymbolicShape &l = shapeOf(matmul.getLhs());
        const SymbolicShape &r = shapeOf(matmul.getRhs());
        SymbolicShape shape =
            broadcast({SymbolicShape(ArrayRef<DimExpr>(l).drop_back(2)),
                       SymbolicShape(ArrayRef<DimExpr>(r).drop_back(2))});
        shape.push_back(matmul.getTransposeLhs() ? l.back() : l[l.size() - 2]);
        shape.push_back(matmul.getTransposeRhs() ? r[r.size() - 2] : r.back());
        return setShape(result, shape);
      })
      .Case<LinearOp>([&](LinearOp linear) {
        SymbolicShape shape(shapeOf(linear.getInput()));
        shape.back() = shapeOf(linear.getWeight())[0];
        return setShape(result, shape);
      })
      .Case<AttentionOp>([&](AttentionOp attention) {
        const SymbolicShape &q = shapeOf(attention.getQuery());
        const SymbolicShape &v = shapeOf(attention.getValue());
        return setShape(result, {q[0], q[1], q[2], v[3]});
      })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp>([&](auto reduce) {
        const SymbolicShape &input = shapeOf(reduce.getInput());
        SymbolicShape shape;
        for (auto [d, dim] : llvm::enumerate(input)) {
          if (!llvm::is_contained(reduce.getAxes(), static_cast<int64_t>(d)))
            shape.push_back(dim);
          else if (reduce.getKeepdims())
            shape.push_back(DimExpr::constant(1));
        }
        return setShape(result, shape);
      })
      .Case<ConcatOp>([&](ConcatOp concat) -> LogicalResult {
        int64_t axis = static_cast<int64_t>(concat.getAxis());
        SymbolicShape shape(shapeOf(concat.getInputs().front()));
        DimExpr total = DimExpr::constant(0);
        for (Value input : concat.getInputs())
          total = total + shapeOf(input)[axis];
        shape[axis] = total;
        return setShape(result, shape);
      })
      .Case<SliceOp>([&](SliceOp slice) -> LogicalResult {
        // Static dims come from the type; a dynamic dim must be taken
        // whole (start 0, end past it, step 1).
        const SymbolicShape &input = shapeOf(slice.getInput());
        SymbolicShape shape;
        for (auto [d, dim] : llvm::enumerate(slice.getType().getShape())) {
          if (!ShapedType::isDynamic(dim)) {
            shape.push_back(DimExpr::constant(dim));
            continue;
          }
          int64_t step = slice.getSteps() ? (*slice.getSteps())[d] : 1;
          if (slice.getStarts()[d] != 0 || step != 1 ||
              slice.getEnds()[d] < static_cast<int64_t>(1) << 31)
            return fail("dim " + Twine(d) +
                        " is sliced inside a dynamic dimension");
          shape.push_back(input[d]);
        }
        return setShape(result, shape);
      })
      .Case<IotaOp>([&](IotaOp iota) -> LogicalResult {
        // The verifier guarantees a length expression for a dynamic length.
        std::optional<DimExpr> length = parse(iota.getLength().value_or(""));
        if (!length)
          return iota.emitOpError("has length '")
                 << iota.getLength().value_or("") << "', not a sum of products of names";
        if (iota.getStart() && !parse(*iota.getStart()))
          return iota.emitOpError("has start '")
                 << *iota.getStart() << "', not a sum of products of names";
        return setShape(result, {*length});
      })
      .Case<GatherOp>([&](GatherOp gather) {
        const SymbolicShape &input = shapeOf(gather.getInput());
        int64_t axis = static_cast<int64_t>(gather.getAxis());
        SymbolicShape shape(ArrayRef<DimExpr>(input).take_front(axis));
        llvm::append_range(shape, shapeOf(gather.getIndices()));
        llvm::append_range(shape,
                           ArrayRef<DimExpr>(input).drop_front(axis + 1));
        return setShape(result, shape);
      })
      .Default([&](Operation *other) -> LogicalResult {
        // Ops whose result has the broadcast shape of their tensor operands:
        // elementwise ops, softmax, layer_norm, cast.
        if (DispatchOp::isFusableElementwise(other) ||
            isa<SoftmaxOp, LayerNormOp>(other)) {
          SmallVector<SymbolicShape> shapes;
          for (Value operand : other->getOperands())
            shapes.push_back(shapeOf(operand));
          if (auto norm = dyn_cast<LayerNormOp>(other))
            shapes.resize(1); // scale and bias never widen the result
          return setShape(result, broadcast(shapes));
        }
        return fail("no shape rule for this op yet");
      });
}

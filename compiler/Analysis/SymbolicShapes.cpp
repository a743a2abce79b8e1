//===- SymbolicShapes.cpp - Dimensions as expressions of named dims -------===//

#include "compiler/Analysis/SymbolicShapes.h"

#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tessera;

//===----------------------------------------------------------------------===//
// DimExpr
//===----------------------------------------------------------------------===//

DimExpr DimExpr::operator*(const DimExpr &other) const {
  SmallVector<unsigned, 2> symbols(symbols_);
  llvm::append_range(symbols, other.symbols_);
  llvm::sort(symbols);
  return DimExpr(coefficient_ * other.coefficient_, std::move(symbols));
}

std::optional<DimExpr> DimExpr::divide(const DimExpr &other) const {
  if (other.coefficient_ == 0 || coefficient_ % other.coefficient_ != 0)
    return std::nullopt;
  SmallVector<unsigned, 2> symbols(symbols_);
  for (unsigned symbol : other.symbols_) {
    auto it = llvm::find(symbols, symbol);
    if (it == symbols.end())
      return std::nullopt;
    symbols.erase(it);
  }
  return DimExpr(coefficient_ / other.coefficient_, std::move(symbols));
}

int64_t DimExpr::evaluate(ArrayRef<int64_t> symbolValues) const {
  int64_t value = coefficient_;
  for (unsigned symbol : symbols_)
    value *= symbolValues[symbol];
  return value;
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

std::optional<StridedView>
StridedView::slice(ArrayRef<int64_t> starts, ArrayRef<int64_t> steps,
                   ArrayRef<DimExpr> newShape) const {
  StridedView view;
  view.offset = offset;
  view.shape.assign(newShape.begin(), newShape.end());
  for (size_t d = 0; d < shape.size(); ++d) {
    view.strides.push_back(strides[d] * DimExpr::constant(steps[d]));
    if (starts[d] == 0)
      continue;
    DimExpr term = strides[d] * DimExpr::constant(starts[d]);
    if (term.getCoefficient() == 0)
      continue; // a broadcast dim
    // Offsets add: only terms over the same named dims combine.
    if (view.offset == DimExpr::constant(0))
      view.offset = term;
    else if (view.offset.getSymbols() == term.getSymbols())
      view.offset = *term.divide(DimExpr::constant(term.getCoefficient())) *
                    DimExpr::constant(view.offset.getCoefficient() +
                                      term.getCoefficient());
    else
      return std::nullopt;
  }
  return view;
}

bool mlir::tessera::isViewOp(Operation *op) {
  return isa_and_nonnull<ReshapeOp, TransposeOp, BroadcastOp, SliceOp>(op);
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
  std::string text;
  if (expr.isConstant() || expr.getCoefficient() != 1)
    text = std::to_string(expr.getCoefficient());
  for (unsigned symbol : expr.getSymbols())
    text += (text.empty() ? "" : "*") + symbols_[symbol].name;
  return text;
}

std::optional<DimExpr> SymbolicShapes::parse(StringRef text) {
  SmallVector<StringRef> factors;
  text.split(factors, '*');
  DimExpr expr = DimExpr::constant(1);
  for (StringRef factor : factors) {
    factor = factor.trim();
    int64_t value;
    if (!factor.getAsInteger(10, value))
      expr = expr * DimExpr::constant(value);
    else if (!factor.empty() && (isalpha(factor[0]) || factor[0] == '_'))
      expr = expr * DimExpr::symbol(getOrCreateSymbol(factor));
    else
      return std::nullopt;
  }
  return expr;
}

int64_t SymbolicShapes::upperBound(const DimExpr &expr) const {
  int64_t value = expr.getCoefficient();
  for (unsigned symbol : expr.getSymbols())
    value *= symbols_[symbol].upper;
  return value;
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
                                                      "tessera.dims");
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
      shape.push_back(DimExpr::symbol(getOrCreateSymbol(name.getValue())));
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
        int64_t total = 0;
        for (Value input : concat.getInputs()) {
          const DimExpr &dim = shapeOf(input)[axis];
          if (!dim.isConstant())
            return fail("concatenation along a dynamic dimension");
          total += dim.getCoefficient();
        }
        shape[axis] = DimExpr::constant(total);
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
      .Case<IotaOp>([&](IotaOp iota) {
        // The verifier guarantees a name for a dynamic length.
        return setShape(result, {DimExpr::symbol(getOrCreateSymbol(
                                    iota.getLength().value_or("")))});
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

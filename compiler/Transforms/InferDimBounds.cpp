//===- InferDimBounds.cpp - Bounds the graph implies for named dims -------===//
//
// Memory and tiles are planned for the bounds of the named dimensions. An
// export declares every axis dynamic and no bound; this pass finds the
// bounds the graph itself implies, so that a model compiles without --dim,
// and says what it chose and how to widen it: an upper bound from a table
// that positions index, 1 for a batch, kDefaultDimBound for the rest; a
// lower bound from the positions a slice takes (ONNX would clamp them on a
// shorter axis; Tessera refuses such runs instead), and 0 for the length of
// a part concatenated in front of others (a key/value cache, empty before
// the first token, so that one binary serves the prompt and the steps).
//
//===----------------------------------------------------------------------===//

#include "compiler/Target/DeviceProfiles.h"
#include "compiler/Transforms/Passes.h"
#include "dialects/tessera/IR/ScalarRules.h"
#include "dialects/tessera/IR/ShapeUtils.h"
#include "dialects/tessera/IR/TesseraOps.h"
#include "dialects/tessera/Shapes/SymbolicShapes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERAINFERDIMBOUNDS
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// The upper bound of a named dim that nothing in the graph bounds.
constexpr int64_t kDefaultDimBound = 512;

/// A bound found for a named dim, and where and why.
struct FoundBound {
  int64_t value;
  Location where;
  std::string why;
  /// The default for a dim nothing bounds (kDefaultDimBound, or less where
  /// that would not fit the target).
  bool isDefault = false;
};

/// The id of the named dim `expr` is, if it is one name alone.
std::optional<unsigned> singleSymbol(const DimExpr &expr) {
  if (!expr.isMonomial() || expr.isConstant() || expr.getCoefficient() != 1 ||
      expr.getSymbols().size() != 1)
    return std::nullopt;
  return expr.getSymbols().front();
}

struct InferDimBoundsPass
    : public tessera::impl::TesseraInferDimBoundsBase<InferDimBoundsPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    // Shapes that cannot be named fail later, where they are needed.
    if (failed(shapes.analyze(function)))
      return;
    shapes.readBoundsAttribute(function);
    function.walk([&](GatherOp gather) { boundByTable(gather); });
    WalkResult tied = function.walk([&](ScalarRuleOpInterface op) {
      return WalkResult(tieToStaticDims(op));
    });
    if (tied.wasInterrupted())
      return signalPassFailure();
    function.walk([&](ConcatOp concat) { allowEmptyParts(concat); });
    defaultTheBatch(function);
    defaultTheRest(function);
    WalkResult sliced = function.walk(
        [&](SliceOp slice) { return WalkResult(raiseBySlice(slice)); });
    if (sliced.wasInterrupted())
      return signalPassFailure();
    fitDefaultsToTarget(function);
    record(function);
  }

  /// An elementwise op broadcasts its operands: a named dim that meets a
  /// static one of N > 1 must be N (kernels broadcast only static 1s). Such
  /// a dim is fixed at N: a ViT whose position table of 197 rows is added
  /// to its patch tokens runs with 197 tokens, nothing else.
  LogicalResult tieToStaticDims(ScalarRuleOpInterface op) {
    SmallVector<const SymbolicShape *> operands;
    size_t rank = 0;
    for (Value operand : op->getOperands()) {
      const SymbolicShape *shape = shapes.lookupShape(operand);
      if (!shape)
        return success();
      operands.push_back(shape);
      rank = std::max(rank, shape->size());
    }
    for (size_t i = 1; i <= rank;
         ++i) { // from the last dim (trailing alignment)
      std::optional<int64_t> size;
      for (const SymbolicShape *shape : operands)
        if (i <= shape->size() && (*shape)[shape->size() - i].isConstant() &&
            !isUnitDim((*shape)[shape->size() - i]))
          size = (*shape)[shape->size() - i].getCoefficient();
      if (!size)
        continue;
      for (const SymbolicShape *shape : operands) {
        if (i > shape->size())
          continue;
        const DimExpr &dim = (*shape)[shape->size() - i];
        std::optional<unsigned> id = singleSymbol(dim);
        if (!id && failed(checkDerivedTie(dim, *size, op)))
          return failure();
        if (!id)
          continue;
        if (failed(fixAt(*id, *size, op->getLoc(),
                         "it is broadcast against a static dim of " +
                             std::to_string(*size) + " here")))
          return failure();
      }
    }
    return success();
  }

  /// An expression of several dims with a derived one among them (the
  /// positions of a strided conv over a dynamic image, times another) that
  /// meets a static dim of `size`: no one dim can be fixed, so the bounds
  /// must fix the whole (--dim), or the graph is refused.
  LogicalResult checkDerivedTie(const DimExpr &dim, int64_t size,
                                Operation *op) {
    if (!shapes.hasDerivedDims(dim))
      return success();
    if (shapes.isBounded(dim) && shapes.lowerBound(dim) == size &&
        shapes.upperBound(dim) == size)
      return success();
    return op->emitError()
           << "broadcasts '" << shapes.format(dim)
           << "', computed from the input sizes, against a static dim of "
           << size << ": the graph holds only for input sizes that give "
           << size << "; compile for one size with "
           << shapes.formatFixingFlags(dim) << ", or export with a fixed size";
  }

  /// An iota that a gather reads as indices into an axis of N rows: its
  /// length is at most N, its start at most N - 1.
  void boundByTable(GatherOp gather) {
    int64_t rows = gather.getInput().getType().getDimSize(gather.getAxis());
    if (ShapedType::isDynamic(rows))
      return;
    Value indices = gather.getIndices();
    while (Operation *def = indices.getDefiningOp()) {
      if (!isa<CastOp, ReshapeOp, BroadcastOp>(def))
        break;
      indices = def->getOperand(0);
    }
    auto iota = indices.getDefiningOp<IotaOp>();
    if (!iota || !iota.getLength())
      return;
    std::string table =
        "the " + std::to_string(rows) + " rows of the table this gather reads";
    if (std::optional<DimExpr> length = shapes.parseKnown(*iota.getLength()))
      if (std::optional<unsigned> id = singleSymbol(*length))
        propose(*id, rows, gather.getLoc(), "positions into " + table);
    if (iota.getStart())
      if (std::optional<DimExpr> start = shapes.parseKnown(*iota.getStart()))
        if (std::optional<unsigned> id = singleSymbol(*start))
          propose(*id, rows - 1, gather.getLoc(),
                  "the first position into " + table);
  }

  /// The first part of a concatenation may be empty when its length is a
  /// named dim alone and another part's is at least 1: a decoder's cached
  /// keys and values in front of the new tokens' (GPT-2's past_key_values),
  /// empty before the first token. Its lower bound is 0, so that one binary
  /// serves the prompt and the steps.
  void allowEmptyParts(ConcatOp concat) {
    int64_t axis = concat.getAxis();
    SmallVector<DimExpr> extents;
    for (Value input : concat.getInputs()) {
      const SymbolicShape *shape = shapes.lookupShape(input);
      if (!shape || axis < 0 || axis >= static_cast<int64_t>(shape->size()))
        return;
      extents.push_back((*shape)[axis]);
    }
    std::optional<unsigned> id = singleSymbol(extents.front());
    if (id && shapes.getSymbols()[*id].isDerived())
      return;
    // (A part that subtracts a dim, a pad to a window multiple
    // 4*height_2 - height, has no lower bound yet.)
    bool restNonEmpty =
        llvm::any_of(llvm::drop_begin(extents), [&](const DimExpr &extent) {
          return shapes.lowerBound(extent) > 0;
        });
    if (!id || !restNonEmpty || extents.size() < 2)
      return;
    DimSymbol &symbol = shapes.getSymbols()[*id];
    // Bounds the function states (--dim) are kept.
    if (symbol.upper > 0 || symbol.lower != 1 || raised.count(*id))
      return;
    symbol.lower = 0;
    lowered.insert({*id, FoundBound{0, concat.getLoc(),
                                    "the length of the part concatenated "
                                    "in front along dim " +
                                        std::to_string(axis) +
                                        " (a cache that starts empty)"}});
  }

  /// A named dim that leads a function argument and has no other bound is
  /// its batch: 1 unless --dim says otherwise.
  void defaultTheBatch(func::FuncOp function) {
    for (BlockArgument argument : function.getArguments()) {
      const SymbolicShape *shape = shapes.lookupShape(argument);
      if (!shape || shape->empty())
        continue;
      std::optional<unsigned> id = singleSymbol(shape->front());
      if (!id || found.count(*id))
        continue;
      auto name = function.getArgAttrOfType<StringAttr>(
          argument.getArgNumber(),
          TesseraDialect::NameAttrHelper::getNameStr());
      propose(*id, 1, function.getLoc(),
              "the batch (the first dimension of input '" +
                  (name ? name.getValue().str()
                        : std::to_string(argument.getArgNumber())) +
                  "') defaults to 1");
    }
  }

  /// Any named dim still without an upper bound gets the default one.
  void defaultTheRest(func::FuncOp function) {
    for (auto [id, symbol] : llvm::enumerate(shapes.getSymbols()))
      propose(id, kDefaultDimBound, function.getLoc(),
              "nothing in the graph bounds it; the default is " +
                  std::to_string(kDefaultDimBound),
              /*isDefault=*/true);
  }

  /// A buffer of a dynamic shape (a value outside dispatch regions) larger
  /// than the target's largest storage-buffer binding if the defaulted
  /// dims were bounded by `bound` and the others as found, or null.
  Value firstTooLarge(func::FuncOp function, int64_t bound, uint64_t limit) {
    SmallVector<DimSymbol> saved(shapes.getSymbols());
    MutableArrayRef<DimSymbol> symbols = shapes.getSymbols();
    for (auto &[id, proposal] : found)
      symbols[id].upper = proposal.isDefault
                              ? std::max(bound, symbols[id].lower)
                              : proposal.value;
    shapes.boundDerivedDims(
        TesseraDialect::DimBoundsAttrHelper(function.getContext())
            .getAttr(function));
    Value tooLarge;
    for (Operation &op : function.getBody().front()) {
      for (Value result : op.getResults()) {
        const SymbolicShape *shape = shapes.lookupShape(result);
        // Static tensors (weights) are split to fit, not bounded.
        if (!shape || tooLarge || SymbolicShapes::product(*shape).isConstant())
          continue;
        uint64_t bytes =
            static_cast<uint64_t>(
                shapes.upperBound(SymbolicShapes::product(*shape))) *
            storedElementBytes(getElementTypeOrSelf(result.getType()));
        if (bytes > limit)
          tooLarge = result;
      }
    }
    llvm::copy(saved, symbols.begin());
    return tooLarge;
  }

  /// The default bound may make a tensor larger than one binding of the
  /// target (a VAE decoder's activation at twice a 512 x 512 latent takes
  /// 268 MB; lavapipe binds at most 128 MB): the defaults are then halved
  /// together until every buffer fits, and the remark says why. Bounds the
  /// graph or --dim gives are kept; where they alone are too large, the
  /// binary's writer says which dims to bound.
  void fitDefaultsToTarget(func::FuncOp function) {
    TargetAttr target = getModuleTarget(function->getParentOp());
    if (!target || llvm::none_of(found, [](auto &entry) {
          return entry.second.isDefault;
        }))
      return;
    auto limit = static_cast<uint64_t>(target.getMaxStorageBufferRange());
    Value first = firstTooLarge(function, kDefaultDimBound, limit);
    // Where even the least default does not fit, other bounds are too
    // large: the writer's error names them.
    if (!first || firstTooLarge(function, 1, limit))
      return;
    int64_t bound = kDefaultDimBound;
    while (bound > 1 && firstTooLarge(function, bound, limit))
      bound /= 2;
    std::string shape;
    llvm::raw_string_ostream os(shape);
    llvm::interleaveComma(shapes.getShape(first), os,
                          [&](const DimExpr &d) { os << shapes.format(d); });
    for (auto &[id, proposal] : found) {
      if (!proposal.isDefault)
        continue;
      // Never below what a slice needs the dim to hold.
      proposal.value = std::max(bound, shapes.getSymbols()[id].lower);
      proposal.why =
          "nothing in the graph bounds it; at the default of " +
          std::to_string(kDefaultDimBound) + " a tensor of [" + shape +
          "] would be larger than the largest binding of "
          "target '" +
          target.getName().str() + "' (" + std::to_string(limit) +
          " bytes), so the default is " + std::to_string(proposal.value);
    }
  }

  /// A slice that takes positions counted from either end of a dynamic
  /// dim needs the dim to hold them.
  LogicalResult raiseBySlice(SliceOp slice) {
    const SymbolicShape &input = shapes.getShape(slice.getInput());
    for (unsigned d = 0; d < input.size(); ++d) {
      std::optional<SliceExtent> extent = shapes.sliceExtent(slice, d);
      if (!extent || extent->minExtent == 0 || input[d].isConstant())
        continue;
      std::string why = "the slice here takes positions up to " +
                        std::to_string(extent->minExtent) +
                        " from an end of dim " + std::to_string(d);
      std::optional<unsigned> id = singleSymbol(input[d]);
      if (!id) {
        if (shapes.lowerBound(input[d]) >= extent->minExtent)
          continue;
        return slice.emitOpError("needs dim ")
               << d << " (" << shapes.format(input[d]) << ") to be at least "
               << extent->minExtent
               << "; raise the lower bounds of its named dims with --dim";
      }
      if (failed(raiseLower(*id, extent->minExtent, slice.getLoc(), why)))
        return failure();
    }
    return success();
  }

  /// A named dim the graph ties to `size`: both bounds, whatever --dim
  /// said (an error when it excludes `size`).
  LogicalResult fixAt(unsigned id, int64_t size, Location where,
                      const std::string &why) {
    DimSymbol &symbol = shapes.getSymbols()[id];
    if (symbol.lower > size || (symbol.upper > 0 && symbol.upper < size))
      return emitError(where)
             << "dynamic dimension '" << symbol.name << "' must be " << size
             << " (" << why << ") but its bounds are [" << symbol.lower << ", "
             << symbol.upper << "]";
    if (auto it = found.find(id); it != found.end() && it->second.value < size)
      return emitError(where)
             << "dynamic dimension '" << symbol.name << "' must be " << size
             << " (" << why << ") but is at most " << it->second.value << " ("
             << it->second.why << ")";
    found.insert_or_assign(id, FoundBound{size, where, why});
    return raiseLower(id, size, where, why);
  }

  LogicalResult raiseLower(unsigned id, int64_t lower, Location where,
                           std::string why) {
    DimSymbol &symbol = shapes.getSymbols()[id];
    if (lower <= symbol.lower)
      return success();
    auto proposed = found.find(id);
    int64_t upper =
        proposed != found.end() ? proposed->second.value : symbol.upper;
    if (upper > 0 && lower > upper)
      return emitError(where)
             << "dynamic dimension '" << symbol.name << "' must be at least "
             << lower << " (" << why << ") but its upper bound is " << upper;
    symbol.lower = lower;
    raised.insert_or_assign(id, FoundBound{lower, where, std::move(why)});
    return success();
  }

  void propose(unsigned id, int64_t upper, Location where, std::string why,
               bool isDefault = false) {
    const DimSymbol &symbol = shapes.getSymbols()[id];
    if (symbol.isDerived() || symbol.upper > 0 || upper < symbol.lower)
      return; // bounded already (--dim, a definition), or no bound would do
    auto it = found.find(id);
    if (it == found.end())
      found.insert({id, FoundBound{upper, where, std::move(why), isDefault}});
    else if (upper < it->second.value)
      it->second = FoundBound{upper, where, std::move(why), isDefault};
  }

  /// The bounds in `tessera.dim_bounds`, each said in a remark.
  void record(func::FuncOp function) {
    if (found.empty() && raised.empty() && lowered.empty())
      return;
    MLIRContext *context = function.getContext();
    NamedAttrList bounds;
    if (auto existing =
            TesseraDialect::DimBoundsAttrHelper(context).getAttr(function))
      bounds.append(existing.getValue());
    Builder builder(context);
    for (auto [id, symbol] : llvm::enumerate(shapes.getSymbols())) {
      auto upper = found.find(id);
      auto lower = raised.find(id);
      auto empty = lowered.find(id);
      if (upper == found.end() && lower == raised.end() &&
          empty == lowered.end())
        continue;
      int64_t max = upper == found.end() ? symbol.upper : upper->second.value;
      bounds.set(symbol.name,
                 builder.getDenseI64ArrayAttr({symbol.lower, max}));
      if (upper != found.end() && symbol.isDerived())
        emitRemark(upper->second.where)
            << "dynamic dimension '" << symbol.name << "' ("
            << shapes.formatDefinition(symbol) << ") must be " << max << ": "
            << upper->second.why
            << "; a run whose input sizes give another value is refused";
      else if (upper != found.end())
        emitRemark(upper->second.where)
            << "dynamic dimension '" << symbol.name << "' bounded by " << max
            << ": " << upper->second.why << "; to plan for more, pass --dim "
            << symbol.name << "=" << symbol.lower << ":MAX";
      if (empty != lowered.end() && symbol.lower == 0)
        emitRemark(empty->second.where) << "dynamic dimension '" << symbol.name
                                        << "' may be 0: " << empty->second.why;
      // A derived dim's fixed value was said above.
      if (lower != raised.end() &&
          !(symbol.isDerived() && upper != found.end()))
        emitRemark(lower->second.where)
            << "dynamic dimension '" << symbol.name << "' is at least "
            << symbol.lower << ": " << lower->second.why
            << " (a run with less is refused)";
    }
    TesseraDialect::DimBoundsAttrHelper(context).setAttr(
        function, bounds.getDictionary(context));
  }

  SymbolicShapes shapes;
  /// Upper bounds found, and lower bounds raised, by named dim.
  llvm::MapVector<unsigned, FoundBound> found;
  llvm::MapVector<unsigned, FoundBound> raised;
  /// Lower bounds lowered to 0 (parts that may be empty), by named dim.
  llvm::MapVector<unsigned, FoundBound> lowered;
};

} // namespace

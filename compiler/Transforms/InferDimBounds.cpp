//===- InferDimBounds.cpp - Bounds the graph implies for named dims -------===//
//
// Memory and tiles are planned for the bounds of the named dimensions. An
// export declares every axis dynamic and no bound; this pass finds the
// bounds the graph itself implies, so that a model compiles without --dim,
// and says what it chose and how to widen it.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
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

/// A bound found for a named dim, and where and why.
struct FoundBound {
  int64_t upper;
  Location where;
  std::string why;
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
    defaultTheBatch(function);
    record(function);
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

  void propose(unsigned id, int64_t upper, Location where, std::string why) {
    const DimSymbol &symbol = shapes.getSymbols()[id];
    if (symbol.upper > 0 || upper < symbol.lower)
      return; // bounded already (--dim), or no bound would do
    auto it = found.find(id);
    if (it == found.end())
      found.insert({id, FoundBound{upper, where, std::move(why)}});
    else if (upper < it->second.upper)
      it->second = FoundBound{upper, where, std::move(why)};
  }

  /// The bounds in `tessera.dim_bounds`, each said in a remark.
  void record(func::FuncOp function) {
    if (found.empty())
      return;
    MLIRContext *context = function.getContext();
    NamedAttrList bounds;
    if (auto existing =
            TesseraDialect::DimBoundsAttrHelper(context).getAttr(function))
      bounds.append(existing.getValue());
    Builder builder(context);
    for (auto &[id, bound] : found) {
      const DimSymbol &symbol = shapes.getSymbols()[id];
      bounds.set(symbol.name,
                 builder.getDenseI64ArrayAttr({symbol.lower, bound.upper}));
      emitRemark(bound.where) << "dynamic dimension '" << symbol.name
                              << "' bounded by " << bound.upper << ": "
                              << bound.why << "; to plan for more, pass --dim "
                              << symbol.name << "=" << symbol.lower << ":MAX";
    }
    TesseraDialect::DimBoundsAttrHelper(context).setAttr(
        function, bounds.getDictionary(context));
  }

  SymbolicShapes shapes;
  llvm::MapVector<unsigned, FoundBound> found;
};

} // namespace

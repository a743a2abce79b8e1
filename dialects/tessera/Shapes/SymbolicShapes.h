//===- SymbolicShapes.h - Shapes of a function in named dims ----*- C++ -*-===//
//
// The symbolic shape of every tensor of a function: its dims as DimExprs
// of the named dims its arguments declare (`tessera.dims`), with their
// bounds (`tessera.dim_bounds`).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECT_SHAPES_SYMBOLICSHAPES_H
#define TESSERA_DIALECT_SHAPES_SYMBOLICSHAPES_H

#include "dialects/tessera/Shapes/DimExpr.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace mlir::tessera {

class BroadcastOp;
class DispatchOp;
class ReshapeOp;
class SliceOp;

/// Where a slice takes one dim of its input, in named dims: elements
/// start, start + step, ... (`length` of them). Exact while the input's dim
/// is at least `minExtent`; below that ONNX would clamp the ends, which no
/// expression of named dims says, so the dim's lower bound is raised to it
/// instead (tessera-infer-dim-bounds).
struct SliceExtent {
  DimExpr start;
  DimExpr length;
  int64_t step = 1;
  int64_t minExtent = 0;
};

/// A named dimension with its inclusive bounds.
struct DimSymbol {
  std::string name;
  int64_t lower = 1;
  int64_t upper = 0; ///< 0 while unknown
  /// A derived dim is not given by an input: the runtime computes it as
  /// floor(numerator / divisor) from the dims before it (the positions a
  /// strided window takes over a dynamic image). Its bounds follow from the
  /// numerator's. `divisor` is 0 for a dim an input gives.
  DimExpr numerator = DimExpr::constant(0);
  int64_t divisor = 0;
  /// The least value the graph allows a derived dim (a window must find
  /// at least one position); the runtime refuses inputs that give less.
  int64_t least = 0;
  bool isDerived() const { return divisor > 0; }
};

/// Symbolic shapes of every tensor value in a function. Dynamic dimensions
/// of the function's arguments are named by the argument attribute
/// `tessera.dims` (one entry per dimension: the name of a dynamic one, the
/// size of a static one); the rest follows from the ops.
class SymbolicShapes {
public:
  /// Runs the analysis; reports the first value whose shape cannot be
  /// determined and fails.
  LogicalResult analyze(func::FuncOp function);

  /// The shape of `value` (must be a tensor the analysis saw).
  const SymbolicShape &getShape(Value value) const;
  /// The shape of `value`, or null when the analysis did not see it.
  const SymbolicShape *lookupShape(Value value) const;

  ArrayRef<DimSymbol> getSymbols() const { return symbols_; }
  MutableArrayRef<DimSymbol> getSymbols() { return symbols_; }
  std::optional<unsigned> lookupSymbol(StringRef name) const;

  /// Sets the bounds of the named dims listed by `function`'s attribute
  /// `tessera.dim_bounds` ({seq = array<i64: 1, 512>}); others keep theirs.
  /// Derived dims then take the bounds their definitions give.
  void readBoundsAttribute(func::FuncOp function);
  /// Sets each derived dim's bounds from its numerator's (at least 0),
  /// narrowed by `stated` (a `tessera.dim_bounds`) where it names the dim.
  void boundDerivedDims(DictionaryAttr stated);

  /// floor(numerator / divisor) (divisor > 0) as an expression of named
  /// dims: exact where the divisor divides every term but a constant;
  /// otherwise a derived named dim for the rest, created on first use
  /// (`height_1` = floor((height + 1) / 2)). std::nullopt where the rest
  /// both adds and subtracts named dims (its sign unknown).
  std::optional<DimExpr> floorDiv(const DimExpr &numerator, int64_t divisor);
  /// Whether `expr` mentions a derived dim.
  bool hasDerivedDims(const DimExpr &expr) const;
  /// The named dims that inputs give and `expr` depends on, through the
  /// derived ones (sorted).
  SmallVector<unsigned> collectInputDims(const DimExpr &expr) const;
  /// The --dim flags that fix the input dims behind the derived dims in
  /// `expr`, for an error about a size the graph fixes: `--dim height=N
  /// --dim width=N`.
  std::string formatFixingFlags(const DimExpr &expr) const;
  /// A derived dim's definition as text: `floor((height + 1) / 2)`.
  std::string formatDefinition(const DimSymbol &symbol) const;
  /// Records the derived dims in `function`'s `tessera.derived_dims`, so
  /// that later analyses name them alike (none: the attribute is removed).
  void writeDerivedDims(func::FuncOp function) const;
  /// Whether every named dim in `expr` has an upper bound.
  bool isBounded(const DimExpr &expr) const;

  /// The largest value `expr` takes within the symbols' bounds.
  int64_t upperBound(const DimExpr &expr) const;
  /// The smallest value `expr` takes within the symbols' bounds; INT64_MIN
  /// where it subtracts a dim whose upper bound is not known yet.
  int64_t lowerBound(const DimExpr &expr) const;

  /// Row-major strides of a dense tensor of `shape`.
  static SymbolicShape denseStrides(ArrayRef<DimExpr> shape);
  /// Product of `shape`.
  static DimExpr product(ArrayRef<DimExpr> shape);

  /// Incremental use, for a builder that creates ops one at a time (the
  /// ONNX importer): give an argument its shape, then analyze each new op.
  void setArgumentShape(Value argument, SymbolicShape shape) {
    shapes_[argument] = std::move(shape);
  }
  /// Infers the shape of `op`'s result from its operands' shapes; reports
  /// on the op and fails when it cannot.
  LogicalResult analyzeOp(Operation *op);
  /// The id of named dim `name`, created on first use.
  unsigned getOrCreateSymbol(StringRef name);

  /// `expr` as text: `4`, `seq`, `2*batch*seq`, `past + seq`, `seq - 1`.
  std::string format(const DimExpr &expr) const;
  /// Parses format()'s text (terms joined by + and -, each a product of
  /// numbers and names), creating the named dims it mentions; std::nullopt
  /// when it is not such a sum.
  std::optional<DimExpr> parse(StringRef text);
  /// parse() for text over existing named dims only.
  std::optional<DimExpr> parseKnown(StringRef text) const;
  /// The shape an op's `dims` attribute names for its result (reshape,
  /// broadcast); an error on `op` when a dim does not parse or the count
  /// is not the result's rank.
  FailureOr<SymbolicShape> parseDims(Operation *op, ArrayAttr dims);

  /// Where `slice` takes dim `d` of its (analysed) input; std::nullopt
  /// when no expression of named dims says it (a step other than 1 inside
  /// a dynamic dim, an end counted from the start with a start counted
  /// from the end).
  std::optional<SliceExtent> sliceExtent(SliceOp slice, unsigned d) const;

private:
  LogicalResult analyzeDispatch(DispatchOp dispatch);
  FailureOr<SymbolicShape> inferShape(Operation *op);
  FailureOr<SymbolicShape> reshapeShape(ReshapeOp reshape);
  FailureOr<SymbolicShape> broadcastShape(BroadcastOp broadcast);
  FailureOr<SymbolicShape> windowedShape(Operation *op);
  LogicalResult setShape(Value value, SymbolicShape shape);
  LogicalResult readDerivedDims(func::FuncOp function);
  void boundDerivedDim(DimSymbol &symbol, DictionaryAttr stated);

  llvm::DenseMap<Value, SymbolicShape> shapes_;
  SmallVector<DimSymbol> symbols_;
};

} // namespace mlir::tessera

#endif // TESSERA_DIALECT_SHAPES_SYMBOLICSHAPES_H

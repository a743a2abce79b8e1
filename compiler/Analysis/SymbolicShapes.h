//===- SymbolicShapes.h - Dimensions as expressions of named dims -*- C++
//-*-===//
//
// A dynamic dimension of a tensor is an expression of the model's named
// dimensions (batch, seq, ...): a sum of constants times products of symbols,
// e.g. `4*seq` after merging heads into the sequence, `past + seq` after
// concatenating past keys in front of new ones. Kernels read the values at
// run time; the runtime evaluates them from the input shapes.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_ANALYSIS_SYMBOLICSHAPES_H
#define TESSERA_COMPILER_ANALYSIS_SYMBOLICSHAPES_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace mlir::tessera {

/// A sum of terms, each a coefficient times a product of named dims:
/// `4*seq`, `batch*seq`, `past + seq`. Terms are kept sorted by their
/// symbols, like terms merged and zero terms dropped, so that equal
/// expressions compare equal.
class DimExpr {
public:
  /// coefficient * symbols[0] * symbols[1] * ... (symbols sorted, repeats
  /// allowed).
  struct Term {
    int64_t coefficient = 1;
    SmallVector<unsigned, 2> symbols;
    bool operator==(const Term &other) const {
      return coefficient == other.coefficient && symbols == other.symbols;
    }
  };

  DimExpr() : terms_{Term{1, {}}} {}
  static DimExpr constant(int64_t value);
  static DimExpr symbol(unsigned id);

  bool isConstant() const {
    return terms_.empty() || (terms_.size() == 1 && terms_[0].symbols.empty());
  }
  /// One term (or zero): a coefficient times a product of named dims.
  bool isMonomial() const { return terms_.size() <= 1; }
  /// The value of a constant, the coefficient of a monomial.
  int64_t getCoefficient() const {
    assert(isMonomial() && "a sum has no single coefficient");
    return terms_.empty() ? 0 : terms_[0].coefficient;
  }
  /// The named dims of a monomial.
  ArrayRef<unsigned> getSymbols() const {
    assert(isMonomial() && "a sum has no single product of symbols");
    return terms_.empty() ? ArrayRef<unsigned>() : terms_[0].symbols;
  }
  ArrayRef<Term> getTerms() const { return terms_; }
  /// Every named dim the expression mentions, sorted, without repeats.
  SmallVector<unsigned> collectSymbols() const;
  /// The largest number that divides the expression for all symbol values
  /// (the gcd of its coefficients; 0 for 0).
  int64_t getDivisor() const;

  DimExpr operator+(const DimExpr &other) const;
  DimExpr operator-(const DimExpr &other) const;
  DimExpr operator*(const DimExpr &other) const;
  /// Exact division: the expression q with q * other == this, found when
  /// `other` is a monomial dividing every term or q is one monomial;
  /// std::nullopt otherwise.
  std::optional<DimExpr> divide(const DimExpr &other) const;
  bool operator==(const DimExpr &other) const { return terms_ == other.terms_; }
  bool operator!=(const DimExpr &other) const { return !(*this == other); }

  /// Value for the given symbol values.
  int64_t evaluate(ArrayRef<int64_t> symbolValues) const;

  /// As integers, for an attribute: the term count, then per term its
  /// coefficient, symbol count and symbols.
  void encode(SmallVectorImpl<int64_t> &out) const;
  /// encode()'s integers; std::nullopt when malformed.
  static std::optional<DimExpr> decode(ArrayRef<int64_t> values);

private:
  static DimExpr fromTerms(SmallVector<Term, 1> terms);
  SmallVector<Term, 1> terms_;
};

using SymbolicShape = SmallVector<DimExpr, 4>;

/// A named dimension with its inclusive bounds.
struct DimSymbol {
  std::string name;
  int64_t lower = 1;
  int64_t upper = 0; ///< 0 while unknown
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
  void readBoundsAttribute(func::FuncOp function);
  /// Whether every named dim in `expr` has an upper bound.
  bool isBounded(const DimExpr &expr) const;

  /// The largest value `expr` takes within the symbols' bounds.
  int64_t upperBound(const DimExpr &expr) const;
  /// The smallest value `expr` takes within the symbols' bounds.
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

private:
  LogicalResult setShape(Value value, SymbolicShape shape);

  llvm::DenseMap<Value, SymbolicShape> shapes_;
  SmallVector<DimSymbol> symbols_;
};

/// How a kernel finds element (i0, i1, ...) of a logical tensor in a buffer:
/// offset + i0*strides[0] + i1*strides[1] + ... (elements). A stride of 0
/// broadcasts.
struct StridedView {
  SymbolicShape shape;
  SymbolicShape strides;
  /// Elements before element (0, 0, ...) in the buffer.
  DimExpr offset = DimExpr::constant(0);

  static StridedView dense(ArrayRef<DimExpr> shape);
  /// The view of the transposed tensor.
  StridedView transpose(ArrayRef<int64_t> permutation) const;
  /// The view of the reshaped tensor, when the reshape only splits dims,
  /// merges contiguous dims, or adds and drops dims of size 1.
  std::optional<StridedView> reshape(ArrayRef<DimExpr> newShape) const;
  /// The view after NumPy broadcasting to `newShape` (stride 0 where a
  /// dimension of size 1 stretches).
  StridedView broadcastTo(ArrayRef<DimExpr> newShape) const;
  /// The view of a slice starting at `starts` (non-negative) with `steps`,
  /// of shape `newShape`.
  StridedView slice(ArrayRef<int64_t> starts, ArrayRef<int64_t> steps,
                    ArrayRef<DimExpr> newShape) const;
};

/// Where a producer of `result` can write it: the end of the longest chain
/// of single-use transposes and reshapes after it (the head merge after an
/// attention) whose inverse is a strided view of the end's dense buffer,
/// and that view; `result` itself, dense, when there is no such chain.
struct OutputChain {
  Value end;
  StridedView view;
  /// The layout ops between `result` and `end`, which move no data.
  SmallVector<Operation *> ops;
};
OutputChain traceOutputChain(Value result, const SymbolicShapes &shapes);

/// Whether `op` is a layout op that may be a view: reshape, transpose,
/// broadcast, slice, and the casts kernels perform as they load: f16 to
/// f32 (the f32 tensor is the f16 buffer read wider) and i32 to i1
/// (booleans are stored as i32 and loaded as `!= 0`).
bool isViewOp(Operation *op);
/// The view that view op `op` makes of a tensor viewed as `source`, its
/// result of `resultShape`; std::nullopt when no strided view expresses it.
std::optional<StridedView> viewThrough(Operation *op,
                                       const StridedView &source,
                                       ArrayRef<DimExpr> resultShape);

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_ANALYSIS_SYMBOLICSHAPES_H

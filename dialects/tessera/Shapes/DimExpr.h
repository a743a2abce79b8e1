//===- DimExpr.h - Sizes as expressions of named dims -----------*- C++ -*-===//
//
// A dynamic dimension of a tensor is an expression of the model's named
// dimensions (batch, seq, ...): a sum of constants times products of symbols,
// e.g. `4*seq` after merging heads into the sequence, `past + seq` after
// concatenating past keys in front of new ones. Kernels read the values at
// run time; the runtime evaluates them from the input shapes.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECT_SHAPES_DIMEXPR_H
#define TESSERA_DIALECT_SHAPES_DIMEXPR_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>

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

/// Whether a dim is the constant 1 (it broadcasts, and reshapes may add
/// or drop it).
inline bool isUnitDim(const DimExpr &dim) {
  return dim == DimExpr::constant(1);
}

} // namespace mlir::tessera

#endif // TESSERA_DIALECT_SHAPES_DIMEXPR_H

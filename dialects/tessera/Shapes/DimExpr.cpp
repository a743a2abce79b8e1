//===- DimExpr.cpp - Sizes as expressions of named dims -------------------===//

#include "dialects/tessera/Shapes/DimExpr.h"

#include "llvm/ADT/STLExtras.h"

#include <numeric>

using namespace mlir;
using namespace mlir::tessera;

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

//===- DimExprTest.cpp - Sizes as expressions of named dims ---------------===//

#include "dialects/tessera/Shapes/DimExpr.h"

#include <gtest/gtest.h>

using namespace mlir::tessera;

namespace {

DimExpr c(int64_t value) { return DimExpr::constant(value); }
const DimExpr seq = DimExpr::symbol(0);

TEST(DimExprTest, MultipliesAndDividesExactly) {
  DimExpr e = c(4) * seq;
  EXPECT_EQ(e.evaluate({7}), 28);
  EXPECT_EQ(*e.divide(seq), c(4));
  EXPECT_FALSE(c(4).divide(seq));
  EXPECT_FALSE(e.divide(c(3)));
}

TEST(DimExprTest, SumsAreCanonical) {
  const DimExpr past = DimExpr::symbol(1);
  // (past + seq) - seq is past; terms in any order compare equal.
  EXPECT_EQ((past + seq) - seq, past);
  EXPECT_EQ(past + seq, seq + past);
  EXPECT_EQ(seq - seq, c(0));
  EXPECT_TRUE((seq - seq).isConstant());
  EXPECT_FALSE((past + seq).isMonomial());
  EXPECT_EQ((past + seq).evaluate({3, 5}), 8);
  // (past + seq) * 64: two terms, divisible by 64 and by past + seq.
  DimExpr keys = (past + seq) * c(64);
  EXPECT_EQ(keys.getTerms().size(), 2u);
  EXPECT_EQ(keys.getDivisor(), 64);
  EXPECT_EQ(*keys.divide(c(64)), past + seq);
  EXPECT_EQ(*keys.divide(past + seq), c(64));
  EXPECT_FALSE(keys.divide(seq));
  EXPECT_FALSE((past + seq).divide(past + c(2) * seq));
  EXPECT_EQ((past + seq).collectSymbols(), (llvm::SmallVector<unsigned>{0, 1}));
}

TEST(DimExprTest, EncodesAndDecodes) {
  const DimExpr past = DimExpr::symbol(1);
  for (DimExpr e :
       {c(0), c(7), c(4) * seq, past + seq - c(1), c(2) * seq * past + c(3)}) {
    llvm::SmallVector<int64_t> values;
    e.encode(values);
    EXPECT_EQ(DimExpr::decode(values), e);
  }
  EXPECT_FALSE(DimExpr::decode({2, 1, 0}));
  EXPECT_FALSE(DimExpr::decode({1, 5, 3, 0}));
}

} // namespace

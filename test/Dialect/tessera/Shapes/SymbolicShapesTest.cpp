//===- SymbolicShapesTest.cpp - Formatting and parsing named dims ---------===//

#include "dialects/tessera/Shapes/SymbolicShapes.h"

#include <gtest/gtest.h>

using namespace mlir::tessera;

namespace {

TEST(SymbolicShapesTest, FormatsAndParsesSums) {
  SymbolicShapes shapes;
  std::optional<DimExpr> e = shapes.parse("past + seq - 1");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(shapes.format(*e), "-1 + past + seq");
  EXPECT_EQ(shapes.parse(shapes.format(*e)), e);
  std::optional<DimExpr> product = shapes.parse("2*batch*seq");
  ASSERT_TRUE(product.has_value());
  EXPECT_EQ(shapes.format(*product), "2*seq*batch"); // by creation order
  EXPECT_EQ(shapes.format(*shapes.parse("seq - past")), "-past + seq");
  EXPECT_FALSE(shapes.parse("seq +"));
  EXPECT_FALSE(shapes.parse("2**seq"));
  EXPECT_FALSE(shapes.parseKnown("unknown"));
  shapes.getSymbols()[0].upper = 10; // past
  shapes.getSymbols()[1].upper = 20; // seq
  EXPECT_EQ(shapes.upperBound(*shapes.parse("seq - past")), 19);
  EXPECT_EQ(shapes.lowerBound(*shapes.parse("seq - past")), -9);
}

} // namespace

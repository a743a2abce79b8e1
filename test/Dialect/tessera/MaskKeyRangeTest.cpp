//===- MaskKeyRangeTest.cpp - Key ranges cover what masks show ------------===//
//
// The attention kernel visits only the keys of maskKeyRange, and tile
// selection counts them; a key the mask shows outside that range would be
// silently dropped. For every mask kind, at lengths with fewer, as many and
// more keys than queries, and for groups of 1 to 4 rows (as the kernel
// groups them: consecutive rows, or consecutive positions of one window),
// every key that MaskAttr::isVisible shows any row of the group must be an
// enumerated key, and the enumeration must not list a key twice (but for a
// global mask's tokens, which the kernel's row predicate takes once).
//
//===----------------------------------------------------------------------===//

#include "dialects/tessera/IR/MaskVisibility.h"

#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace mlir;
using namespace mlir::tessera;

namespace {

class MaskKeyRangeTest : public ::testing::Test {
protected:
  MaskKeyRangeTest() { context.loadDialect<TesseraDialect>(); }

  /// The in-range keys the enumeration lists, each once except a global
  /// mask's tokens, which its inner range may list again (the kernel's row
  /// predicate drops the repeat).
  static std::set<int64_t>
  enumerated(MaskAttr mask, const MaskKeyRange<MaskIntArithmetic> &range,
             int64_t numKeys) {
    std::set<int64_t> keys;
    for (int64_t n = 0; n < range.count; ++n) {
      int64_t key = range.keyOf(n);
      if (key < 0 || key >= numKeys)
        continue;
      bool repeatAllowed = mask.getKind() == MaskKind::Global &&
                           llvm::is_contained(mask.getTokens(), key);
      EXPECT_TRUE(keys.insert(key).second || repeatAllowed)
          << "key " << key << " listed twice";
    }
    return keys;
  }

  /// Every key a row of `rows` sees is enumerated for the group.
  static void expectCovered(MaskAttr mask, const std::vector<int64_t> &rows,
                            const std::set<int64_t> &keys, int64_t numQueries,
                            int64_t numKeys) {
    for (int64_t i : rows)
      for (int64_t j = 0; j < numKeys; ++j)
        if (mask.isVisible(i, j, numQueries, numKeys))
          EXPECT_TRUE(keys.count(j))
              << "query " << i << " sees key " << j << " (" << numQueries
              << " queries, " << numKeys << " keys), outside the range";
  }

  /// Consecutive row groups of `rowCount` over every length pair.
  void checkRowGroups(MaskAttr mask, int64_t maxRows) {
    for (auto [numQueries, numKeys] : std::vector<std::pair<int64_t, int64_t>>{
             {13, 13}, {5, 13}, {1, 9}, {16, 16}, {13, 9}})
      for (int64_t rowCount = 1; rowCount <= maxRows; ++rowCount)
        for (int64_t first = 0; first < numQueries; first += rowCount) {
          int64_t last = std::min(first + rowCount, numQueries) - 1;
          std::vector<int64_t> rows;
          for (int64_t i = first; i <= last; ++i)
            rows.push_back(i);
          int64_t shift = numKeys - numQueries;
          MaskIntArithmetic integers;
          MaskKeyRange<MaskIntArithmetic> range = maskKeyRange(
              mask, integers, first + shift, last + shift, numKeys);
          expectCovered(mask, rows, enumerated(mask, range, numKeys),
                        numQueries, numKeys);
        }
  }

  MLIRContext context;
};

TEST_F(MaskKeyRangeTest, None) {
  checkRowGroups(MaskAttr::getNone(&context), 4);
}

TEST_F(MaskKeyRangeTest, Causal) {
  checkRowGroups(MaskAttr::getCausal(&context), 4);
}

TEST_F(MaskKeyRangeTest, Prefix) {
  for (int64_t length : {1, 3, 8, 20})
    checkRowGroups(MaskAttr::getPrefix(&context, length), 4);
}

TEST_F(MaskKeyRangeTest, Sliding) {
  for (auto [left, right] :
       std::vector<std::pair<int64_t, int64_t>>{{2, 3}, {0, 4}, {4, 0}, {1, 1}})
    checkRowGroups(MaskAttr::getSliding(&context, left, right), 4);
}

TEST_F(MaskKeyRangeTest, DilatedSlidingOneRowAtATime) {
  for (auto [left, right, dilation] :
       std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {4, 4, 2}, {6, 3, 3}, {5, 5, 2}})
    checkRowGroups(MaskAttr::getSliding(&context, left, right, dilation), 1);
}

TEST_F(MaskKeyRangeTest, Global) {
  for (MaskAttr inner :
       {MaskAttr::getSliding(&context, 1, 1), MaskAttr::getCausal(&context),
        MaskAttr::getSliding(&context, 2, 2, 2)})
    checkRowGroups(MaskAttr::getGlobal(&context, {0, 5}, inner), 1);
}

TEST_F(MaskKeyRangeTest, WindowGroupsRowsOfOneWindow) {
  // The kernel's window order: a group holds consecutive positions of one
  // window of the shifted grid, and windowKey gives the token of a cell.
  const int64_t height = 8, width = 12, size = 4;
  for (int64_t shift : {0, 2}) {
    SCOPED_TRACE("shift " + std::to_string(shift));
    MaskAttr mask = MaskAttr::getWindow(&context, {height, width}, size, shift);
    int64_t tokens = height * width;
    for (int64_t wr = 0; wr < height; wr += size)
      for (int64_t wc = 0; wc < width; wc += size) {
        auto token = [&](int64_t cell) {
          int64_t r = (wr + cell / size + shift) % height;
          int64_t c = (wc + cell % size + shift) % width;
          return r * width + c;
        };
        for (int64_t rowCount : {1, 3, 4})
          for (int64_t p = 0; p < size * size; p += rowCount) {
            std::vector<int64_t> rows;
            for (int64_t q = p; q < std::min(p + rowCount, size * size); ++q)
              rows.push_back(token(q));
            MaskIntArithmetic integers;
            MaskKeyRange<MaskIntArithmetic> range =
                maskKeyRange(mask, integers, rows.front(), rows.back(), tokens,
                             std::function<int64_t(int64_t)>(token));
            expectCovered(mask, rows, enumerated(mask, range, tokens), tokens,
                          tokens);
          }
      }
  }
}

} // namespace

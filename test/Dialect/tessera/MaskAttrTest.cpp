//===- MaskAttrTest.cpp - The element predicate of #tessera.mask ----------===//
//
// MaskAttr::isVisible is the definition attention kernels and reference
// implementations follow. Each test builds the dense mask independently, the
// way the models themselves build it, and compares every (query, key) pair.
//
//===----------------------------------------------------------------------===//

#include "dialects/tessera/IR/TesseraAttrs.h"
#include "dialects/tessera/IR/TesseraDialect.h"

#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <vector>

using namespace mlir;
using namespace mlir::tessera;

namespace {

class MaskAttrTest : public ::testing::Test {
protected:
  MaskAttrTest() { context.loadDialect<TesseraDialect>(); }

  MaskAttr sliding(int64_t left, int64_t right, int64_t dilation = 1) {
    return MaskAttr::getSliding(&context, left, right, dilation);
  }

  /// Compares isVisible with `expected` on every pair.
  void expectMatches(MaskAttr mask, int64_t numQueries, int64_t numKeys,
                     const std::function<bool(int64_t, int64_t)> &expected) {
    for (int64_t i = 0; i < numQueries; ++i)
      for (int64_t j = 0; j < numKeys; ++j)
        ASSERT_EQ(mask.isVisible(i, j, numQueries, numKeys), expected(i, j))
            << "query " << i << ", key " << j << " of " << numQueries << "x"
            << numKeys;
  }

  MLIRContext context;
};

TEST_F(MaskAttrTest, NoneSeesEverything) {
  expectMatches(MaskAttr::getNone(&context), 5, 9,
                [](int64_t, int64_t) { return true; });
}

TEST_F(MaskAttrTest, CausalIsLowerTriangular) {
  // torch.tril(torch.ones(L, L)).
  expectMatches(MaskAttr::getCausal(&context), 7, 7,
                [](int64_t i, int64_t j) { return j <= i; });
}

TEST_F(MaskAttrTest, CausalWithPastKeysIsBottomRightAligned) {
  // Decoding 3 new tokens after 5 cached ones: query i is token 5 + i.
  expectMatches(MaskAttr::getCausal(&context), 3, 8,
                [](int64_t i, int64_t j) { return j <= 5 + i; });
  // One token at a time sees every key.
  expectMatches(MaskAttr::getCausal(&context), 1, 8,
                [](int64_t, int64_t) { return true; });
}

TEST_F(MaskAttrTest, PrefixIsTheUniLMMaskOfBlip2sQFormer) {
  // LAVIS's get_extended_attention_mask(is_decoder, has_query): a causal
  // [T, T] table over the text, zero rows for the P queries stacked above
  // it, then P columns of ones in front of every row.
  const int64_t queries = 4, text = 6, length = queries + text;
  std::vector<std::vector<bool>> table(length, std::vector<bool>(length));
  for (int64_t i = 0; i < length; ++i)
    for (int64_t j = 0; j < length; ++j)
      table[i][j] = j < queries || (i >= queries && j - queries <= i - queries);
  expectMatches(MaskAttr::getPrefix(&context, queries), length, length,
                [&](int64_t i, int64_t j) { return table[i][j]; });
  // With cached keys (a prefix LM decoding): query i is token 7 + i.
  expectMatches(MaskAttr::getPrefix(&context, 3), 2, 9,
                [](int64_t i, int64_t j) { return j < 3 || j <= 7 + i; });
}

TEST_F(MaskAttrTest, SlidingIsABand) {
  // Longformer: |i - j| <= w on each side; here asymmetric.
  expectMatches(sliding(2, 1), 10, 10,
                [](int64_t i, int64_t j) { return j >= i - 2 && j <= i + 1; });
}

TEST_F(MaskAttrTest, DilatedSlidingVisitsEveryDthKey) {
  expectMatches(sliding(4, 4, 2), 12, 12, [](int64_t i, int64_t j) {
    return std::abs(i - j) <= 4 && (i - j) % 2 == 0;
  });
}

TEST_F(MaskAttrTest, GlobalTokensSeeAndAreSeenByAll) {
  std::vector<int64_t> tokens = {0, 5};
  MaskAttr mask = MaskAttr::getGlobal(&context, tokens, sliding(1, 1));
  expectMatches(mask, 9, 9, [&](int64_t i, int64_t j) {
    bool global = i == 0 || i == 5 || j == 0 || j == 5;
    return global || std::abs(i - j) <= 1;
  });
}

/// Swin's shifted-window mask built as the reference implementation does:
/// roll the token grid by -shift, partition it into windows, and label the
/// regions of the shifted image (img_mask) so that tokens from different
/// regions do not attend to each other. Returns visible[q][k] over the
/// original token order.
std::vector<std::vector<bool>> swinMask(int64_t height, int64_t width,
                                        int64_t size, int64_t shift) {
  // rolled[r][c] = the original token now at (r, c) (torch.roll by -shift).
  std::vector<std::vector<int64_t>> rolled(height, std::vector<int64_t>(width));
  for (int64_t r = 0; r < height; ++r)
    for (int64_t c = 0; c < width; ++c)
      rolled[r][c] = ((r + shift) % height) * width + (c + shift) % width;
  // img_mask: slices (0, -size), (-size, -shift), (-shift, None) per axis.
  auto sliceLabel = [&](int64_t pos, int64_t side) {
    if (shift == 0)
      return 0;
    if (pos < side - size)
      return 0;
    return pos < side - shift ? 1 : 2;
  };
  int64_t tokens = height * width;
  std::vector<std::vector<bool>> visible(tokens, std::vector<bool>(tokens));
  for (int64_t wr = 0; wr < height; wr += size)
    for (int64_t wc = 0; wc < width; wc += size)
      for (int64_t a = 0; a < size * size; ++a)
        for (int64_t b = 0; b < size * size; ++b) {
          int64_t ar = wr + a / size, ac = wc + a % size;
          int64_t br = wr + b / size, bc = wc + b % size;
          int64_t labelA = sliceLabel(ar, height) * 3 + sliceLabel(ac, width);
          int64_t labelB = sliceLabel(br, height) * 3 + sliceLabel(bc, width);
          visible[rolled[ar][ac]][rolled[br][bc]] = labelA == labelB;
        }
  return visible;
}

TEST_F(MaskAttrTest, WindowMatchesSwinPartition) {
  for (int64_t shift : {0, 1, 2}) {
    SCOPED_TRACE("shift " + std::to_string(shift));
    std::vector<int64_t> grid = {8, 12};
    MaskAttr mask = MaskAttr::getWindow(&context, grid, 4, shift);
    auto expected = swinMask(8, 12, 4, shift);
    expectMatches(mask, 96, 96, [&](int64_t i, int64_t j) {
      return static_cast<bool>(expected[i][j]);
    });
  }
}

TEST_F(MaskAttrTest, VerifierRejectsParametersOfOtherKinds) {
  // The same rules the lit tests check through the parser, through getChecked.
  auto emitError = [&] { return mlir::emitError(UnknownLoc::get(&context)); };
  context.getDiagEngine().registerHandler(
      [](Diagnostic &) { return success(); });
  EXPECT_FALSE(MaskAttr::getChecked(emitError, &context, MaskKind::Causal,
                                    int64_t(3), std::nullopt, 1, {}, MaskAttr(),
                                    {}, std::nullopt, 0, std::nullopt));
  EXPECT_TRUE(MaskAttr::getChecked(emitError, &context, MaskKind::Sliding,
                                   int64_t(3), int64_t(0), 1, {}, MaskAttr(),
                                   {}, std::nullopt, 0, std::nullopt));
  EXPECT_FALSE(MaskAttr::getChecked(
      emitError, &context, MaskKind::Prefix, std::nullopt, std::nullopt, 1, {},
      MaskAttr(), {}, std::nullopt, 0, std::nullopt));
  EXPECT_FALSE(MaskAttr::getChecked(
      emitError, &context, MaskKind::Causal, std::nullopt, std::nullopt, 1, {},
      MaskAttr(), {}, std::nullopt, 0, int64_t(4)));
}

} // namespace

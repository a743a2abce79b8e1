//===- StridedViewTest.cpp - Views through reshape, transpose, broadcast --===//

#include "dialects/tessera/Shapes/StridedView.h"

#include <gtest/gtest.h>

using namespace mlir::tessera;

namespace {

DimExpr c(int64_t value) { return DimExpr::constant(value); }
const DimExpr seq = DimExpr::symbol(0);

/// Offsets of every element of `view` for seq = `seqValue`, row-major.
std::vector<int64_t> offsets(const StridedView &view, int64_t seqValue) {
  std::vector<int64_t> shape, strides;
  for (size_t d = 0; d < view.shape.size(); ++d) {
    shape.push_back(view.shape[d].evaluate({seqValue}));
    strides.push_back(view.strides[d].evaluate({seqValue}));
  }
  std::vector<int64_t> result;
  std::vector<int64_t> index(shape.size(), 0);
  int64_t count = 1;
  for (int64_t s : shape)
    count *= s;
  for (int64_t n = 0; n < count; ++n) {
    int64_t offset = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      offset += index[d] * strides[d];
    result.push_back(offset);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  return result;
}

TEST(StridedViewTest, HeadSplitIsAStridedView) {
  // [1, S, 256] -> reshape [1, S, 4, 64] -> transpose [0, 2, 1, 3].
  StridedView x = StridedView::dense({c(1), seq, c(256)});
  auto split = x.reshape({c(1), seq, c(4), c(64)});
  ASSERT_TRUE(split);
  StridedView heads = split->transpose({0, 2, 1, 3});
  // Element [0, h, s, d] lives at s*256 + h*64 + d.
  std::vector<int64_t> got = offsets(heads, 3), expected;
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t s = 0; s < 3; ++s)
      for (int64_t d = 0; d < 64; ++d)
        expected.push_back(s * 256 + h * 64 + d);
  EXPECT_EQ(got, expected);
}

TEST(StridedViewTest, MergingNonContiguousDimsIsRefused) {
  // [1, 4, S, 64] -> transpose [0, 2, 1, 3] -> reshape [1, S, 256]: the head
  // merge reads heads S*64 apart; no single stride describes it.
  StridedView attention = StridedView::dense({c(1), c(4), seq, c(64)});
  EXPECT_FALSE(attention.transpose({0, 2, 1, 3}).reshape({c(1), seq, c(256)}));
}

TEST(StridedViewTest, InverseOfTheHeadMergeIsAStoreView) {
  // Where does attention's [0, h, s, d] go in the merged [1, S, 256] buffer?
  StridedView merged = StridedView::dense({c(1), seq, c(256)});
  auto unmerged = merged.reshape({c(1), seq, c(4), c(64)});
  ASSERT_TRUE(unmerged);
  StridedView store = unmerged->transpose({0, 2, 1, 3});
  std::vector<int64_t> got = offsets(store, 5), expected;
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t s = 0; s < 5; ++s)
      for (int64_t d = 0; d < 64; ++d)
        expected.push_back(s * 256 + h * 64 + d);
  EXPECT_EQ(got, expected);
}

TEST(StridedViewTest, MergesContiguousDimsAndKeepsSizeOneDims) {
  StridedView x = StridedView::dense({seq, c(4), c(8)});
  auto merged = x.reshape({c(1), DimExpr::constant(4) * seq, c(1), c(8)});
  ASSERT_TRUE(merged);
  std::vector<int64_t> expected;
  for (int64_t i = 0; i < 2 * 4 * 8; ++i)
    expected.push_back(i);
  EXPECT_EQ(offsets(*merged, 2), expected);
}

TEST(StridedViewTest, BroadcastRepeatsWithStrideZero) {
  StridedView bias = StridedView::dense({c(3)});
  StridedView wide = bias.broadcastTo({c(2), c(3)});
  EXPECT_EQ(offsets(wide, 1), (std::vector<int64_t>{0, 1, 2, 0, 1, 2}));
}

TEST(StridedViewTest, SliceOffsetsIntoItsInput) {
  // [seq, 192] packed QKV; K is columns 64..127, every second row.
  StridedView packed = StridedView::dense({seq, c(192)});
  StridedView k = packed.slice({c(0), c(64)}, {2, 1}, {seq, c(64)});
  EXPECT_EQ(k.offset, c(64));
  EXPECT_EQ(k.strides[0], c(384));
  EXPECT_EQ(k.strides[1], c(1));
  // Starting one row down as well: 192 + 64 elements in.
  StridedView shifted = packed.slice({c(1), c(64)}, {1, 1}, {seq, c(64)});
  EXPECT_EQ(shifted.offset, c(256));
}

TEST(StridedViewTest, SliceOffsetMayBeASum) {
  // [2, seq, 64] from [1, 1, 0]: seq*64 + 64 elements in.
  StridedView view = StridedView::dense({c(2), seq, c(64)});
  StridedView tail =
      view.slice({c(1), c(1), c(0)}, {1, 1, 1}, {c(1), seq, c(64)});
  EXPECT_EQ(tail.offset, c(64) * seq + c(64));
  EXPECT_EQ(tail.offset.evaluate({5}), 384);
}

TEST(StridedViewTest, SliceMayStartFromTheEnd) {
  // x[:, -2:] of [seq, 64]: the last two rows start (seq - 2) * 64 in.
  StridedView view = StridedView::dense({seq, c(64)});
  StridedView last = view.slice({seq - c(2), c(0)}, {1, 1}, {c(2), c(64)});
  EXPECT_EQ(last.offset, c(64) * seq - c(128));
  EXPECT_EQ(last.offset.evaluate({5}), 192);
}

} // namespace

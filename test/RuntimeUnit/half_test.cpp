//===- half_test.cpp - tessera_f16_to_f32 / tessera_f32_to_f16 ------------===//
//
// Checked against the compiler's own _Float16 conversions (GCC and Clang on
// x86-64 implement IEEE binary16 round-to-nearest-even), exhaustively where
// that is cheap.
//
//===----------------------------------------------------------------------===//

#include "tessera/runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

namespace {

#ifdef __FLT16_MAX__
uint16_t bitsOf(_Float16 value) {
  uint16_t bits;
  std::memcpy(&bits, &value, 2);
  return bits;
}

_Float16 halfOf(uint16_t bits) {
  _Float16 value;
  std::memcpy(&value, &bits, 2);
  return value;
}

TEST(HalfTest, WidensEveryHalfExactly) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    float want = static_cast<float>(halfOf(static_cast<uint16_t>(bits)));
    float got = tessera_f16_to_f32(static_cast<uint16_t>(bits));
    if (std::isnan(want))
      EXPECT_TRUE(std::isnan(got)) << std::hex << bits;
    else
      EXPECT_EQ(std::memcmp(&got, &want, 4), 0) << std::hex << bits;
  }
}

TEST(HalfTest, NarrowsWithRoundToNearestEven) {
  // Every half, the midpoints between neighbours (ties), and random floats
  // across the whole range, subnormals and overflow included.
  std::vector<float> values;
  for (uint32_t bits = 0; bits < 0x7c00; ++bits) {
    float here = tessera_f16_to_f32(static_cast<uint16_t>(bits));
    float next = tessera_f16_to_f32(static_cast<uint16_t>(bits + 1));
    values.push_back(here);
    values.push_back(here + (next - here) / 2);
    values.push_back(std::nextafter(here + (next - here) / 2, 0.0f));
    values.push_back(std::nextafter(here + (next - here) / 2, 1e9f));
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> anyBits;
  for (int i = 0; i < 200000; ++i) {
    uint32_t bits = anyBits(rng);
    float value;
    std::memcpy(&value, &bits, 4);
    values.push_back(value);
  }
  values.push_back(65520.0f); // rounds to infinity
  values.push_back(std::numeric_limits<float>::infinity());
  for (float value : values)
    for (float signed_ : {value, -value}) {
      if (std::isnan(signed_)) {
        EXPECT_TRUE(
            std::isnan(tessera_f16_to_f32(tessera_f32_to_f16(signed_))));
        continue;
      }
      ASSERT_EQ(tessera_f32_to_f16(signed_),
                bitsOf(static_cast<_Float16>(signed_)))
          << "value " << signed_;
    }
}
#endif

TEST(HalfTest, KnownValues) {
  EXPECT_EQ(tessera_f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(tessera_f32_to_f16(-2.0f), 0xc000);
  EXPECT_EQ(tessera_f32_to_f16(65504.0f), 0x7bff);      // largest half
  EXPECT_EQ(tessera_f32_to_f16(1e6f), 0x7c00);          // overflow: infinity
  EXPECT_EQ(tessera_f32_to_f16(5.9604645e-8f), 0x0001); // smallest subnormal
  EXPECT_EQ(tessera_f32_to_f16(2.9802322e-8f), 0x0000); // its half: ties even
  EXPECT_EQ(tessera_f16_to_f32(0x3555), 0.333251953125f);
  EXPECT_TRUE(std::isnan(tessera_f16_to_f32(0x7e00)));
}

} // namespace

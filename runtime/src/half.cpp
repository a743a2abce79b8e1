//===- half.cpp - IEEE binary16 conversions for f16 tensors ---------------===//

#include "tessera/runtime.h"

#include <cstring>

extern "C" float tessera_f16_to_f32(uint16_t value) {
  uint32_t sign = static_cast<uint32_t>(value & 0x8000u) << 16;
  uint32_t exponent = (value >> 10) & 0x1fu;
  uint32_t mantissa = value & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in f32.
    float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -magnitude : magnitude;
  }
  uint32_t bits = exponent == 31
                      ? sign | 0x7f800000u | (mantissa << 13)
                      : sign | ((exponent + 112) << 23) | (mantissa << 13);
  float result;
  std::memcpy(&result, &bits, 4);
  return result;
}

extern "C" uint16_t tessera_f32_to_f16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  uint32_t sign = (bits >> 16) & 0x8000u;
  uint32_t exponent = (bits >> 23) & 0xffu;
  uint32_t mantissa = bits & 0x7fffffu;
  if (exponent == 0xff) // infinity, or NaN kept quiet
    return static_cast<uint16_t>(sign | 0x7c00u |
                                 (mantissa ? 0x200u | (mantissa >> 13) : 0));
  int biased = static_cast<int>(exponent) - 127 + 15;
  if (biased >= 31)
    return static_cast<uint16_t>(sign | 0x7c00u);
  // Drops `shift` low bits of `significand`, rounding to nearest even.
  auto roundShift = [](uint32_t significand, int shift) {
    uint32_t kept = significand >> shift;
    uint32_t rest = significand & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (kept & 1)))
      ++kept;
    return kept;
  };
  if (biased <= 0) {
    if (biased < -10) // below half the smallest subnormal
      return static_cast<uint16_t>(sign);
    // A subnormal half: the significand with its implicit bit, scaled to
    // units of 2^-24. Rounding up may give the smallest normal, correctly.
    return static_cast<uint16_t>(
        sign | roundShift(mantissa | 0x800000u, 14 - biased));
  }
  // A carry out of the mantissa bumps the exponent (up to infinity).
  return static_cast<uint16_t>(
      sign | roundShift((static_cast<uint32_t>(biased) << 23) | mantissa, 13));
}

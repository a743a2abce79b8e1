//===- resample.cpp - Pillow's resampling of 8-bit images -----------------===//
//
// Hugging Face's image processors resize with Pillow, in 8 bits; a model
// fed differently resized pixels sees a different image. This is Pillow's
// algorithm (libImaging/Resample.c, Pillow 9): separable filters whose
// support grows with the downscaling factor, coefficients normalized and
// rounded to 22-bit fixed point, the horizontal pass first, each pass
// rounded and clipped to 8 bits. Nearest is Pillow's affine transform at
// pixel centers.
//
//===----------------------------------------------------------------------===//

#include "image/image.h"

#include <algorithm>
#include <cmath>

namespace tessera::image {

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

struct Filter {
  double support;
  double (*weight)(double);
};

double boxFilter(double x) { return x > -0.5 && x <= 0.5 ? 1.0 : 0.0; }
double triangleFilter(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}
double hammingFilter(double x) {
  x = std::fabs(x);
  if (x == 0.0)
    return 1.0;
  if (x >= 1.0)
    return 0.0;
  x *= M_PI;
  return std::sin(x) / x * (0.54 + 0.46 * std::cos(x));
}
double bicubicFilter(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0)
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0)
    return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}
double sinc(double x) {
  if (x == 0.0)
    return 1.0;
  x *= M_PI;
  return std::sin(x) / x;
}
double lanczosFilter(double x) {
  return x > -3.0 && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
}

Filter filterOf(Resample resample) {
  switch (resample) {
  case Resample::Box:
    return {0.5, boxFilter};
  case Resample::Hamming:
    return {1.0, hammingFilter};
  case Resample::Bicubic:
    return {2.0, bicubicFilter};
  case Resample::Lanczos:
    return {3.0, lanczosFilter};
  default:
    return {1.0, triangleFilter};
  }
}

/// For each output position along an axis: the first input position, how
/// many it reads, and their fixed-point weights.
struct Coefficients {
  std::vector<int> first, count;
  std::vector<int32_t> weights; // size() * kernelSize
  int kernelSize = 0;
};

Coefficients coefficients(uint32_t inSize, uint32_t outSize, Filter filter) {
  double scale = double(inSize) / outSize;
  double filterScale = std::max(scale, 1.0);
  double support = filter.support * filterScale;
  Coefficients c;
  c.kernelSize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(outSize);
  c.count.resize(outSize);
  c.weights.assign(size_t(outSize) * c.kernelSize, 0);
  std::vector<double> k(c.kernelSize);
  for (uint32_t xx = 0; xx < outSize; ++xx) {
    double center = (xx + 0.5) * scale;
    double ss = 1.0 / filterScale;
    // Truncation toward zero, as Pillow's (int) casts.
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0)
      xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > static_cast<int>(inSize))
      xmax = inSize;
    xmax -= xmin;
    double total = 0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = filter.weight((x + xmin - center + 0.5) * ss);
      total += k[x];
    }
    for (int x = 0; x < xmax; ++x) {
      double w = total != 0.0 ? k[x] / total : k[x];
      c.weights[size_t(xx) * c.kernelSize + x] =
          static_cast<int32_t>(w < 0 ? -0.5 + w * (1 << kPrecisionBits)
                                     : 0.5 + w * (1 << kPrecisionBits));
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

uint8_t clip8(int64_t value) {
  value >>= kPrecisionBits;
  return static_cast<uint8_t>(std::clamp<int64_t>(value, 0, 255));
}

/// One pass along x (horizontal) or y.
Rgb8 pass(const Rgb8 &in, uint32_t outSize, Filter filter, bool horizontal) {
  Rgb8 out;
  out.width = horizontal ? outSize : in.width;
  out.height = horizontal ? in.height : outSize;
  out.pixels.resize(size_t(out.width) * out.height * 3);
  Coefficients c =
      coefficients(horizontal ? in.width : in.height, outSize, filter);
  // Input pixels from one tap to the next, in bytes.
  size_t step = horizontal ? 3 : size_t(in.width) * 3;
  for (uint32_t y = 0; y < out.height; ++y)
    for (uint32_t x = 0; x < out.width; ++x) {
      uint32_t o = horizontal ? x : y;
      const int32_t *w = &c.weights[size_t(o) * c.kernelSize];
      size_t first = horizontal ? (size_t(y) * in.width + c.first[o]) * 3
                                : (size_t(c.first[o]) * in.width + x) * 3;
      const uint8_t *p = in.pixels.data() + first;
      int64_t r = int64_t(1) << (kPrecisionBits - 1), g = r, b = r;
      for (int k = 0; k < c.count[o]; ++k, p += step) {
        r += int64_t(p[0]) * w[k];
        g += int64_t(p[1]) * w[k];
        b += int64_t(p[2]) * w[k];
      }
      uint8_t *q = &out.pixels[(size_t(y) * out.width + x) * 3];
      q[0] = clip8(r);
      q[1] = clip8(g);
      q[2] = clip8(b);
    }
  return out;
}

} // namespace

bool resize(const Rgb8 &image, uint32_t width, uint32_t height,
            Resample resample, uint64_t maxPixels, Rgb8 &out) {
  if (uint64_t(width) * height > maxPixels ||
      uint64_t(width) * image.height > maxPixels)
    return false;
  if (resample == Resample::Nearest) {
    // Pillow's ImagingScaleAffine: the source position of each pixel
    // center, accumulated step by step in doubles (a product instead
    // rounds differently at exact boundaries), truncated.
    out.width = width;
    out.height = height;
    out.pixels.resize(size_t(width) * height * 3);
    double sx = double(image.width) / width, sy = double(image.height) / height;
    std::vector<uint32_t> columns(width);
    double position = sx * 0.5;
    for (uint32_t x = 0; x < width; ++x, position += sx)
      columns[x] =
          std::min<uint32_t>(static_cast<uint32_t>(position), image.width - 1);
    position = sy * 0.5;
    for (uint32_t y = 0; y < height; ++y, position += sy) {
      uint32_t iy =
          std::min<uint32_t>(static_cast<uint32_t>(position), image.height - 1);
      for (uint32_t x = 0; x < width; ++x)
        for (int ch = 0; ch < 3; ++ch)
          out.pixels[(size_t(y) * width + x) * 3 + ch] =
              image.pixels[(size_t(iy) * image.width + columns[x]) * 3 + ch];
    }
    return true;
  }
  Filter filter = filterOf(resample);
  Rgb8 current = image;
  if (width != image.width)
    current = pass(current, width, filter, /*horizontal=*/true);
  if (height != image.height)
    current = pass(current, height, filter, /*horizontal=*/false);
  out = std::move(current);
  return true;
}

} // namespace tessera::image

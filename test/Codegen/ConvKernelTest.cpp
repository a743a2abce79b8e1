//===- ConvKernelTest.cpp - Convolution kernels ---------------------------===//
//
// tessera.conv (the implicit GEMM of ConvKernel.cpp) in every form it
// takes: 1-D and 2-D, strides, asymmetric pads, dilations, groups,
// depthwise, a bias and a fused epilogue, over a dynamic batch, on the
// lavapipe profile and on profiles that tile differently, against a C++
// reference in double precision.
//
//===----------------------------------------------------------------------===//

#include "KernelTestFixture.h"

using namespace tessera_test;

namespace {

struct ConvCase {
  const char *name;
  int64_t images, channels, height, width; // height 0: a 1-D convolution
  int64_t outChannels, kernelH, kernelW;
  int64_t strideH, strideW, dilationH, dilationW;
  int64_t padTop, padLeft, padBottom, padRight;
  int64_t groups = 1;
  bool bias = true;
  /// The epilogue: relu(conv + residual), the residual an input of the
  /// conv's shape.
  bool residualRelu = false;
  const char *target = "lavapipe";
};

class ConvKernelTest : public KernelTest,
                       public ::testing::WithParamInterface<ConvCase> {};

/// `values` as an MLIR array attribute's contents: "1, 2".
std::string joined(const std::vector<int64_t> &values) {
  std::string text;
  for (int64_t v : values)
    text += (text.empty() ? "" : ", ") + std::to_string(v);
  return text;
}

int64_t outputSize(int64_t size, int64_t kernel, int64_t stride,
                   int64_t padBegin, int64_t padEnd, int64_t dilation) {
  return (size + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride + 1;
}

TEST_P(ConvKernelTest, MatchesReference) {
  const ConvCase &c = GetParam();
  bool oneD = c.height == 0;
  int64_t height = oneD ? 1 : c.height;
  int64_t outH = outputSize(height, c.kernelH, c.strideH, c.padTop, c.padBottom,
                            c.dilationH);
  int64_t outW = outputSize(c.width, c.kernelW, c.strideW, c.padLeft,
                            c.padRight, c.dilationW);
  int64_t groupIn = c.channels / c.groups, groupOut = c.outChannels / c.groups;
  // Shapes as the op sees them (1-D: no row axis).
  auto shape = [&](int64_t lead, int64_t channels, int64_t h, int64_t w) {
    return oneD ? std::vector<int64_t>{lead, channels, w}
                : std::vector<int64_t>{lead, channels, h, w};
  };
  std::vector<int64_t> xShape = shape(c.images, c.channels, height, c.width);
  std::vector<int64_t> wShape =
      shape(c.outChannels, groupIn, c.kernelH, c.kernelW);
  std::vector<int64_t> outShape = shape(c.images, c.outChannels, outH, outW);
  auto dynamicBatch = [&](std::vector<int64_t> s) {
    std::string text = "tensor<?";
    for (size_t d = 1; d < s.size(); ++d)
      text += "x" + std::to_string(s[d]);
    return text + "xf32>";
  };
  auto dims = [&](const std::vector<int64_t> &s) {
    std::string text = "[\"batch\"";
    for (size_t d = 1; d < s.size(); ++d)
      text += ", " + std::to_string(s[d]);
    return text + "]";
  };
  std::string xType = dynamicBatch(xShape), outType = dynamicBatch(outShape);
  std::vector<int64_t> strides = {c.strideW}, dilations = {c.dilationW},
                       pads = {c.padLeft, c.padRight};
  if (!oneD) {
    strides = {c.strideH, c.strideW};
    dilations = {c.dilationH, c.dilationW};
    pads = {c.padTop, c.padLeft, c.padBottom, c.padRight};
  }
  std::string biasType = "tensor<" + std::to_string(c.outChannels) + "xf32>";
  std::string mlir =
      "func.func @f(%x: " + xType +
      " {tessera.name = \"x\", tessera.dims = " + dims(xShape) +
      "}, %w: " + type(wShape) + " {tessera.name = \"w\"}" +
      (c.bias ? ", %b: " + biasType + " {tessera.name = \"b\"}" : "") +
      (c.residualRelu
           ? ", %s: " + outType + " {tessera.name = \"s\", tessera.dims = " +
                 dims(outShape) + "}"
           : "") +
      ") -> " + outType +
      " attributes {tessera.dim_bounds = {batch = array<i64: 1, 3>}} {\n"
      "  %0 = tessera.conv %x, %w" +
      (c.bias ? ", %b" : "") + " {strides = array<i64: " + joined(strides) +
      ">, pads = array<i64: " + joined(pads) +
      ">, dilations = array<i64: " + joined(dilations) +
      ">, groups = " + std::to_string(c.groups) + " : i64} : (" + xType + ", " +
      type(wShape) + (c.bias ? ", " + biasType : "") + ") -> " + outType +
      "\n" +
      (c.residualRelu ? "  %1 = tessera.add %0, %s : (" + outType + ", " +
                            outType + ") -> " + outType +
                            "\n  %r = tessera.relu %1 : " + outType + "\n"
                      : "  %r = tessera.add %0, %0 : (" + outType + ", " +
                            outType + ") -> " + outType + "\n") +
      "  return %r : " + outType + "\n}\n";
  tessera_program program = compile(mlir, 0, c.target);
  ASSERT_TRUE(program);
  Tensor x{"x", xShape, randomValues(product(xShape), 1)};
  Tensor w{"w", wShape, randomValues(product(wShape), 2, 0.5f)};
  Tensor b{"b", {c.outChannels}, randomValues(c.outChannels, 3)};
  Tensor s{"s", outShape, randomValues(product(outShape), 4)};
  std::vector<Tensor> inputs = {x, w};
  if (c.bias)
    inputs.push_back(b);
  if (c.residualRelu)
    inputs.push_back(s);
  std::vector<float> got = run(program, inputs);
  tessera_program_destroy(program);

  std::vector<double> want(product(outShape));
  for (int64_t n = 0; n < c.images; ++n)
    for (int64_t f = 0; f < c.outChannels; ++f)
      for (int64_t y = 0; y < outH; ++y)
        for (int64_t xo = 0; xo < outW; ++xo) {
          int64_t g = f / groupOut;
          double sum = c.bias ? b.values[f] : 0.0;
          for (int64_t ci = 0; ci < groupIn; ++ci)
            for (int64_t i = 0; i < c.kernelH; ++i)
              for (int64_t j = 0; j < c.kernelW; ++j) {
                int64_t iy = y * c.strideH - c.padTop + i * c.dilationH;
                int64_t ix = xo * c.strideW - c.padLeft + j * c.dilationW;
                if (iy < 0 || iy >= height || ix < 0 || ix >= c.width)
                  continue;
                int64_t channel = g * groupIn + ci;
                sum +=
                    w.values[((f * groupIn + ci) * c.kernelH + i) * c.kernelW +
                             j] *
                    x.values[((n * c.channels + channel) * height + iy) *
                                 c.width +
                             ix];
              }
          size_t at = ((n * c.outChannels + f) * outH + y) * outW + xo;
          want[at] =
              c.residualRelu ? std::max(0.0, sum + s.values[at]) : 2 * sum;
        }
  expectClose(got, want);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, ConvKernelTest,
    ::testing::Values(
        // name, N, C, H, W, F, KH, KW, sh, sw, dh, dw, pads t l b r
        ConvCase{"same3x3", 1, 5, 9, 19, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
        // Widths that are a multiple of 4: the result is stored as vec4.
        ConvCase{"same3x3Vec4Stores", 2, 8, 8, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1,
                 1, 1},
        ConvCase{"stem7x7Stride2", 2, 3, 21, 19, 8, 7, 7, 2, 2, 1, 1, 3, 3, 3,
                 3},
        ConvCase{"dilated", 1, 4, 11, 13, 5, 3, 3, 1, 1, 2, 3, 2, 3, 2, 3},
        // TensorFlow's SAME with stride 2: the odd pad at the end only.
        ConvCase{"asymmetricPads", 2, 3, 10, 9, 4, 3, 3, 2, 2, 1, 1, 0, 0, 1,
                 1},
        ConvCase{"rectangularStrided", 1, 6, 7, 12, 4, 3, 1, 1, 2, 1, 1, 1, 0,
                 1, 0, 2},
        ConvCase{"grouped", 2, 12, 6, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4},
        ConvCase{"depthwise", 1, 8, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8},
        ConvCase{"depthwiseMultiplier2", 1, 4, 5, 6, 8, 5, 5, 1, 1, 1, 1, 2, 2,
                 2, 2, 4, false},
        ConvCase{"pointwiseNoBias", 3, 40, 4, 5, 70, 1, 1, 1, 1, 1, 1, 0, 0, 0,
                 0, 1, false},
        // Many channels: K = 48 x 9 in a full register tile.
        ConvCase{"wide", 1, 48, 12, 12, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
        ConvCase{"residualRelu", 2, 6, 8, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                 true, true},
        // 1-D (Whisper's front end: kernel 3, pad 1, stride 1 then 2).
        ConvCase{"oneD", 2, 6, 0, 30, 8, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1},
        ConvCase{"oneDStride2", 1, 8, 0, 31, 8, 1, 3, 1, 2, 1, 1, 0, 1, 0, 1},
        ConvCase{"oneDDilatedGrouped", 1, 6, 0, 20, 4, 1, 4, 1, 1, 1, 2, 0, 3,
                 0, 0, 2},
        // Other profiles tile differently (smaller register tiles).
        ConvCase{"same3x3Nvidia",
                 2,
                 8,
                 9,
                 12,
                 24,
                 3,
                 3,
                 1,
                 1,
                 1,
                 1,
                 1,
                 1,
                 1,
                 1,
                 1,
                 true,
                 true,
                 "nvidia"},
        ConvCase{"groupedMali",
                 1,
                 8,
                 7,
                 7,
                 8,
                 3,
                 3,
                 2,
                 2,
                 1,
                 1,
                 1,
                 1,
                 1,
                 1,
                 2,
                 true,
                 false,
                 "mali"}),
    [](const ::testing::TestParamInfo<ConvCase> &info) {
      return std::string(info.param.name);
    });

} // namespace

namespace {

/// A diffusion decoder's upsampling: nearest 2x, then a 3x3 conv that
/// samples the resize where it reads its input (one dispatch).
TEST_F(KernelTest, ConvOfResizedInput) {
  const int64_t images = 2, channels = 3, h = 5, w = 6, f = 4;
  std::string mlir = R"(
func.func @f(%x: tensor<?x3x5x6xf32> {tessera.name = "x", tessera.dims = ["batch", 3, 5, 6]},
             %w: tensor<4x3x3x3xf32> {tessera.name = "w"}, %b: tensor<4xf32> {tessera.name = "b"})
    -> tensor<?x4x10x12xf32> attributes {tessera.dim_bounds = {batch = array<i64: 1, 3>}} {
  %u = tessera.resize %x scales = [1.0, 1.0, 2.0, 2.0] coordinates = asymmetric nearest = floor
      : tensor<?x3x5x6xf32> -> tensor<?x3x10x12xf32>
  %y = tessera.conv %u, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64}
      : (tensor<?x3x10x12xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x10x12xf32>
  return %y : tensor<?x4x10x12xf32>
})";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  Tensor x{"x",
           {images, channels, h, w},
           randomValues(images * channels * h * w, 1)};
  Tensor wt{"w", {f, channels, 3, 3}, randomValues(f * channels * 9, 2, 0.5f)};
  Tensor b{"b", {f}, randomValues(f, 3)};
  std::vector<float> got = run(program, {x, wt, b});
  tessera_program_destroy(program);
  std::vector<double> want;
  for (int64_t n = 0; n < images; ++n)
    for (int64_t o = 0; o < f; ++o)
      for (int64_t y = 0; y < 2 * h; ++y)
        for (int64_t xo = 0; xo < 2 * w; ++xo) {
          double sum = b.values[o];
          for (int64_t c = 0; c < channels; ++c)
            for (int64_t i = 0; i < 3; ++i)
              for (int64_t j = 0; j < 3; ++j) {
                int64_t iy = y - 1 + i, ix = xo - 1 + j;
                if (iy < 0 || iy >= 2 * h || ix < 0 || ix >= 2 * w)
                  continue;
                // Nearest, asymmetric, floor: the input at (iy / 2, ix / 2).
                sum += wt.values[((o * channels + c) * 3 + i) * 3 + j] *
                       x.values[((n * channels + c) * h + iy / 2) * w + ix / 2];
              }
          want.push_back(sum);
        }
  expectClose(got, want);
}

} // namespace

//===- QuantizedLinearKernelTest.cpp - Linears over integer weights -------===//
//
// Two halves. The kernel: a linear whose weight is a tessera.dequantize of
// packed integers given as inputs, against a double reference that
// unpacks them with its own code (per channel, groups, zero points, f16
// scales, a decoding row with K split, a recomputed layer norm). The
// quantizer: f32 weights compiled with PipelineOptions::weightBits, whose
// error against the f32 linear must stay within a pinned bound per mode.
//
//===----------------------------------------------------------------------===//

#include "KernelTestFixture.h"

namespace tessera_test {
namespace {

struct QuantizedCase {
  const char *name;
  int64_t bits, group, n, k;
  bool zeroPoints, f16Scales;
  std::vector<int64_t> rows; // the last is the bound
};

void PrintTo(const QuantizedCase &c, std::ostream *os) {
  *os << c.name << ": " << c.bits << "-bit, groups of " << c.group << ", "
      << c.n << "x" << c.k << (c.zeroPoints ? ", zero points" : "")
      << (c.f16Scales ? ", f16 scales" : "");
}

/// Random signed `bits`-bit integers.
std::vector<int32_t> randomIntegers(size_t count, int64_t bits, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> draw(-(1 << (bits - 1)),
                                              (1 << (bits - 1)) - 1);
  std::vector<int32_t> values(count);
  for (int32_t &v : values)
    v = draw(rng);
  return values;
}

/// The format's packing, written out here independently: value t of a
/// word in bits [t * bits, (t + 1) * bits), two's complement.
std::vector<int32_t> pack(const std::vector<int32_t> &values, int64_t bits) {
  int64_t perWord = 32 / bits;
  std::vector<int32_t> words(values.size() / perWord, 0);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t field = static_cast<uint32_t>(values[i]) & ((1u << bits) - 1);
    words[i / perWord] |= static_cast<int32_t>(field << (bits * (i % perWord)));
  }
  return words;
}

class QuantizedLinearTest
    : public KernelTest,
      public ::testing::WithParamInterface<QuantizedCase> {};

TEST_P(QuantizedLinearTest, MatchesTheUnpackedReference) {
  const QuantizedCase &c = GetParam();
  int64_t groups = c.k / c.group, words = c.k * c.bits / 32;
  std::string scaleType = type({c.n, groups}, c.f16Scales ? "f16" : "f32");
  std::string zeroType = type({c.n, groups});
  std::string mlir =
      "func.func @f(%x: tensor<?x" + std::to_string(c.k) +
      "xf32> {tessera.name = \"x\", tessera.dims = [\"rows\", " +
      std::to_string(c.k) + "]}, %q: " + type({c.n, words}, "i32") +
      " {tessera.name = \"q\"}, %s: " + scaleType +
      " {tessera.name = \"s\"}, %z: " + zeroType +
      " {tessera.name = \"z\"}, %b: " + type({c.n}) +
      " {tessera.name = \"b\"}) -> tensor<?x" + std::to_string(c.n) +
      "xf32> attributes {tessera.dim_bounds = {rows = array<i64: 1, " +
      std::to_string(c.rows.back()) + ">}} {\n" +
      "  %w = tessera.dequantize %q, %s" + (c.zeroPoints ? ", %z" : "") +
      " {bits = " + std::to_string(c.bits) +
      " : i64, group_size = " + std::to_string(c.group) + " : i64} : (" +
      type({c.n, words}, "i32") + ", " + scaleType +
      (c.zeroPoints ? ", " + zeroType : "") + ") -> " + type({c.n, c.k}) +
      "\n  %0 = tessera.linear %x, %w, %b : (tensor<?x" + std::to_string(c.k) +
      "xf32>, " + type({c.n, c.k}) + ", " + type({c.n}) + ") -> tensor<?x" +
      std::to_string(c.n) + "xf32>\n  return %0 : tensor<?x" +
      std::to_string(c.n) + "xf32>\n}";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  // The dequantize is read in registers: one dispatch.
  EXPECT_EQ(tessera_program_dispatch_count(program), 1u);

  std::vector<int32_t> integers = randomIntegers(c.n * c.k, c.bits, 7);
  Tensor q{"q", {c.n, words}};
  q.ints = pack(integers, c.bits);
  Tensor s{"s", {c.n, groups}, randomValues(c.n * groups, 8, 0.05f)};
  if (c.f16Scales)
    s.asF16();
  Tensor z{"z", {c.n, groups}, randomValues(c.n * groups, 9, 2.0f)};
  if (!c.zeroPoints)
    std::fill(z.values.begin(), z.values.end(), 0.0f);
  Tensor b{"b", {c.n}, randomValues(c.n, 10)};
  for (int64_t rows : c.rows) {
    SCOPED_TRACE("rows " + std::to_string(rows));
    Tensor x{"x", {rows, c.k}, randomValues(rows * c.k, 11)};
    std::vector<float> got = run(program, {x, q, s, z, b});
    std::vector<double> want(rows * c.n);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        double v = b.values[j];
        for (int64_t p = 0; p < c.k; ++p) {
          int64_t g = j * groups + p / c.group;
          double w =
              (integers[j * c.k + p] - double(z.values[g])) * s.values[g];
          v += double(x.values[i * c.k + p]) * w;
        }
        want[i * c.n + j] = v;
      }
    expectClose(got, want);
  }
  tessera_program_destroy(program);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, QuantizedLinearTest,
    ::testing::Values(
        // Per channel: the scale multiplies the sums after the K loop.
        QuantizedCase{
            "Int8PerChannel", 8, 64, 40, 64, false, true, {1, 37, 100}},
        // Groups: each K step's partial sums take their group's scale.
        QuantizedCase{"Int4Groups", 4, 32, 24, 96, false, true, {1, 37, 100}},
        QuantizedCase{
            "Int4GroupsZeroPoints", 4, 32, 24, 64, true, false, {1, 37}},
        QuantizedCase{
            "Int8GroupsZeroPoints", 8, 16, 20, 48, true, true, {5, 64}},
        // One row bound (decoding): K is split across invocations.
        QuantizedCase{"Int4DecodeSplitK", 4, 128, 64, 1024, false, true, {1}},
        QuantizedCase{
            "Int8DecodeSplitK", 8, 1024, 48, 1024, false, false, {1}}),
    [](const ::testing::TestParamInfo<QuantizedCase> &info) {
      return std::string(info.param.name);
    });

TEST_F(KernelTest, QuantizedLinearRecomputesItsLayerNorm) {
  // layer_norm(x) feeds the linear, whose K loop sums its rows' statistics
  // and the dequantized weights' column sums (int4, groups of 32, zero
  // points).
  const int64_t n = 40, k = 64, group = 32, groups = k / group;
  std::string mlir = R"(
func.func @f(%x: tensor<?x64xf32> {tessera.name = "x", tessera.dims = ["rows", 64]},
             %q: tensor<40x8xi32> {tessera.name = "q"}, %s: tensor<40x2xf32> {tessera.name = "s"},
             %z: tensor<40x2xf32> {tessera.name = "z"})
    -> tensor<?x40xf32> attributes {tessera.dim_bounds = {rows = array<i64: 1, 50>}} {
  %w = tessera.dequantize %q, %s, %z {bits = 4 : i64, group_size = 32 : i64} : (tensor<40x8xi32>, tensor<40x2xf32>, tensor<40x2xf32>) -> tensor<40x64xf32>
  %n = tessera.layer_norm %x, axis = 1, epsilon = 1.0e-5 : (tensor<?x64xf32>) -> tensor<?x64xf32>
  %0 = tessera.linear %n, %w : (tensor<?x64xf32>, tensor<40x64xf32>) -> tensor<?x40xf32>
  return %0 : tensor<?x40xf32>
})";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  EXPECT_EQ(tessera_program_dispatch_count(program), 1u);
  std::vector<int32_t> integers = randomIntegers(n * k, 4, 12);
  Tensor q{"q", {n, k / 8}};
  q.ints = pack(integers, 4);
  Tensor s{"s", {n, groups}, randomValues(n * groups, 13, 0.05f)};
  Tensor z{"z", {n, groups}, randomValues(n * groups, 14, 2.0f)};
  const int64_t rows = 50;
  std::vector<float> xs = randomValues(rows * k, 15);
  for (float &v : xs)
    v += 3.0f; // a mean far from zero, against the deviation
  Tensor x{"x", {rows, k}, xs};
  std::vector<float> got = run(program, {x, q, s, z});
  std::vector<double> want(rows * n);
  for (int64_t i = 0; i < rows; ++i) {
    double mean = 0, variance = 0;
    for (int64_t p = 0; p < k; ++p)
      mean += xs[i * k + p] / double(k);
    for (int64_t p = 0; p < k; ++p)
      variance += (xs[i * k + p] - mean) * (xs[i * k + p] - mean) / k;
    for (int64_t j = 0; j < n; ++j) {
      double v = 0;
      for (int64_t p = 0; p < k; ++p) {
        int64_t g = j * groups + p / group;
        double w = (integers[j * k + p] - double(z.values[g])) * s.values[g];
        v += (xs[i * k + p] - mean) / std::sqrt(variance + 1e-5) * w;
      }
      want[i * n + j] = v;
    }
  }
  expectClose(got, want);
  tessera_program_destroy(program);
}

/// The quantizer's error per mode, pinned: x·Wᵀ with x ~ N(0, 1) and
/// W ~ N(0, 0.3) (K = 256), compiled with --weights, against the f32
/// product in double: the RMS error over the output's RMS. Rounding to
/// nearest with a scale per group gives about 0.8 % (int8 per channel)
/// and 6-9 % (int4, groups of 32 to 128); a mode that did not quantize
/// would give ~0.
struct QuantizerCase {
  const char *name;
  int64_t bits, group;
  double minRelativeError, maxRelativeError;
};

void PrintTo(const QuantizerCase &c, std::ostream *os) {
  *os << c.name << ": relative RMS error in [" << c.minRelativeError << ", "
      << c.maxRelativeError << "]";
}

class QuantizerTest : public KernelTest,
                      public ::testing::WithParamInterface<QuantizerCase> {};

TEST_P(QuantizerTest, ErrorWithinTheModesBound) {
  const QuantizerCase &c = GetParam();
  const int64_t rows = 16, n = 64, k = 256;
  std::vector<float> w = randomValues(n * k, 21, 0.3f);
  std::string mlir = R"(
func.func @f(%x: tensor<16x256xf32> {tessera.name = "x"}) -> tensor<16x64xf32> {
  %w = tessera.constant dense_resource<w> : tensor<64x256xf32>
  %0 = tessera.linear %x, %w : (tensor<16x256xf32>, tensor<64x256xf32>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}
{-#
  dialect_resources: { builtin: { w: ")" +
                     blobOf(w) + R"(" } }
#-})";
  PipelineOptions options;
  options.weightBits = c.bits;
  options.weightGroupSize = c.group;
  tessera_program program = compile(mlir, options);
  ASSERT_TRUE(program);
  Tensor x{"x", {rows, k}, randomValues(rows * k, 22)};
  std::vector<float> got = run(program, {x});
  double error = 0, norm = 0;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double want = 0;
      for (int64_t p = 0; p < k; ++p)
        want += double(x.values[i * k + p]) * w[j * k + p];
      error += (got[i * n + j] - want) * (got[i * n + j] - want);
      norm += want * want;
    }
  double relative = std::sqrt(error / norm);
  RecordProperty("relative_rms_error", std::to_string(relative));
  EXPECT_GE(relative, c.minRelativeError);
  EXPECT_LE(relative, c.maxRelativeError);
  tessera_program_destroy(program);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, QuantizerTest,
    ::testing::Values(QuantizerCase{"Int8PerChannel", 8, 0, 1e-3, 1.5e-2},
                      QuantizerCase{"Int4Group32", 4, 32, 2e-2, 0.10},
                      QuantizerCase{"Int4Group64", 4, 64, 2e-2, 0.12},
                      QuantizerCase{"Int4Group128", 4, 128, 2e-2, 0.13}),
    [](const ::testing::TestParamInfo<QuantizerCase> &info) {
      return std::string(info.param.name);
    });

} // namespace
} // namespace tessera_test

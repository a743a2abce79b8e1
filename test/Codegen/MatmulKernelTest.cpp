//===- MatmulKernelTest.cpp - Matmul and linear kernels -------------------===//
//
// Matmuls and linears (epilogues, recomputed layer norms, f16 storage and
// weights, weights split across bindings) against a C++ reference.
//
//===----------------------------------------------------------------------===//

#include "KernelTestFixture.h"

using namespace tessera_test;

namespace {

//===----------------------------------------------------------------------===//
// Matmul and linear
//===----------------------------------------------------------------------===//

struct MatmulCase {
  int64_t batch, m, n, k;
  bool transposeLhs, transposeRhs, broadcastRhs;
};

class MatmulKernelTest : public KernelTest,
                         public ::testing::WithParamInterface<MatmulCase> {};

TEST_P(MatmulKernelTest, MatchesReference) {
  MatmulCase c = GetParam();
  std::vector<int64_t> lhsShape = {c.batch, c.transposeLhs ? c.k : c.m,
                                   c.transposeLhs ? c.m : c.k};
  std::vector<int64_t> rhsShape = {c.transposeRhs ? c.n : c.k,
                                   c.transposeRhs ? c.k : c.n};
  if (!c.broadcastRhs)
    rhsShape.insert(rhsShape.begin(), c.batch);
  std::vector<int64_t> outShape = {c.batch, c.m, c.n};
  std::string attrs;
  if (c.transposeLhs || c.transposeRhs)
    attrs = std::string(" {") + (c.transposeLhs ? "transpose_lhs = true" : "") +
            (c.transposeLhs && c.transposeRhs ? ", " : "") +
            (c.transposeRhs ? "transpose_rhs = true" : "") + "}";
  std::string mlir = "func.func @f(%a: " + type(lhsShape) +
                     " {tessera.name = \"a\"}, %b: " + type(rhsShape) +
                     " {tessera.name = \"b\"}) -> " + type(outShape) +
                     " {\n  %0 = tessera.matmul %a, %b" + attrs + " : (" +
                     type(lhsShape) + ", " + type(rhsShape) + ") -> " +
                     type(outShape) + "\n  return %0 : " + type(outShape) +
                     "\n}\n";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  Tensor a{"a", lhsShape, randomValues(product(lhsShape), 1)};
  Tensor b{"b", rhsShape, randomValues(product(rhsShape), 2)};
  std::vector<float> got = run(program, {a, b});
  tessera_program_destroy(program);

  std::vector<double> want(product(outShape));
  for (int64_t z = 0; z < c.batch; ++z)
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < c.k; ++p) {
          double x = c.transposeLhs ? a.values[(z * c.k + p) * c.m + i]
                                    : a.values[(z * c.m + i) * c.k + p];
          int64_t rb = c.broadcastRhs ? 0 : z;
          double y = c.transposeRhs ? b.values[(rb * c.n + j) * c.k + p]
                                    : b.values[(rb * c.k + p) * c.n + j];
          sum += x * y;
        }
        want[(z * c.m + i) * c.n + j] = sum;
      }
  expectClose(got, want);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MatmulKernelTest,
    ::testing::Values(MatmulCase{1, 1, 1, 1, false, false, false},
                      MatmulCase{1, 5, 7, 3, false, false, false},
                      MatmulCase{1, 33, 65, 17, false, false, false},
                      MatmulCase{1, 64, 64, 64, false, false, false},
                      MatmulCase{3, 19, 10, 9, false, true, false},
                      MatmulCase{2, 9, 13, 5, true, false, true},
                      MatmulCase{2, 70, 3, 40, true, true, true},
                      // Both operands read as vec4 along K (Q·Kᵀ-like),
                      // among them a single row (decoding).
                      MatmulCase{2, 1, 50, 32, false, true, false},
                      MatmulCase{1, 40, 24, 12, false, true, false}));

/// One epilogue form of issue 6 (point 1) after x·Wᵀ + b: `ops` applies it
/// to %0 and leaves the dispatch's result in %r; `reference` is the same in
/// double precision, given the linear's value and the residual.
struct EpilogueCase {
  const char *name;
  const char *ops;
  std::function<double(double linear, double residual)> reference;
  bool f16Output = false;
};

class EpilogueKernelTest : public KernelTest,
                           public ::testing::WithParamInterface<EpilogueCase> {
};

double sigmoid(double v) { return 1 / (1 + std::exp(-v)); }

TEST_P(EpilogueKernelTest, FusedIntoTheLinearOnADynamicDim) {
  const EpilogueCase &c = GetParam();
  const int64_t k = 24, n = 24;
  std::string result = c.f16Output ? "tensor<?x24xf16>" : "tensor<?x24xf32>";
  std::string mlir =
      R"(
func.func @f(%x: tensor<?x24xf32> {tessera.name = "x", tessera.dims = ["rows", 24]},
             %w: tensor<24x24xf32> {tessera.name = "w"}, %b: tensor<24xf32> {tessera.name = "b"})
    -> )" +
      result +
      R"( attributes {tessera.dim_bounds = {rows = array<i64: 1, 100>}} {
  %0 = tessera.linear %x, %w, %b : (tensor<?x24xf32>, tensor<24x24xf32>, tensor<24xf32>) -> tensor<?x24xf32>
)" + c.ops +
      R"(
  return %r : )" +
      result + R"(
})";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  // The whole chain is the linear's epilogue: one dispatch.
  EXPECT_EQ(tessera_program_dispatch_count(program), 1u);
  for (int64_t rows : {1, 37, 100}) {
    SCOPED_TRACE("rows " + std::to_string(rows));
    Tensor x{"x", {rows, k}, randomValues(rows * k, 3)};
    Tensor w{"w", {n, k}, randomValues(n * k, 4, 0.3f)};
    Tensor b{"b", {n}, randomValues(n, 5)};
    std::vector<float> got = run(program, {x, w, b});
    std::vector<double> want(rows * n);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double v = b.values[j];
        for (int64_t p = 0; p < k; ++p)
          v += double(x.values[i * k + p]) * w.values[j * k + p];
        want[i * n + j] = c.reference(v, x.values[i * k + j]);
      }
    expectClose(got, want, c.f16Output ? kF16Tolerance : kTolerance);
  }
  tessera_program_destroy(program);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, EpilogueKernelTest,
    ::testing::Values(
        EpilogueCase{"GeluErfAndResidual",
                     R"(  %1 = tessera.gelu %0 : tensor<?x24xf32>
  %r = tessera.add %1, %x : (tensor<?x24xf32>, tensor<?x24xf32>) -> tensor<?x24xf32>)",
                     [](double v, double x) {
                       return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))) + x;
                     }},
        EpilogueCase{
            "GeluTanhAndResidual",
            R"(  %1 = tessera.gelu %0 approximate = tanh : tensor<?x24xf32>
  %r = tessera.add %1, %x : (tensor<?x24xf32>, tensor<?x24xf32>) -> tensor<?x24xf32>)",
            [](double v, double x) {
              return 0.5 * v *
                         (1 + std::tanh(std::sqrt(2 / M_PI) *
                                        (v + 0.044715 * v * v * v))) +
                     x;
            }},
        EpilogueCase{
            "QuickGelu",
            R"(  %r = tessera.swish %0 beta = 1.702 : tensor<?x24xf32>)",
            [](double v, double) { return v * sigmoid(1.702 * v); }},
        EpilogueCase{"Relu", R"(  %r = tessera.relu %0 : tensor<?x24xf32>)",
                     [](double v, double) { return std::max(v, 0.0); }},
        EpilogueCase{"ScaleAndResidual",
                     R"(  %s = tessera.constant dense<0.125> : tensor<f32>
  %1 = tessera.mul %0, %s : (tensor<?x24xf32>, tensor<f32>) -> tensor<?x24xf32>
  %r = tessera.add %x, %1 : (tensor<?x24xf32>, tensor<?x24xf32>) -> tensor<?x24xf32>)",
                     [](double v, double x) { return x + 0.125 * v; }},
        EpilogueCase{
            "ResidualAndCastToF16",
            R"(  %1 = tessera.add %0, %x : (tensor<?x24xf32>, tensor<?x24xf32>) -> tensor<?x24xf32>
  %r = tessera.cast %1 : tensor<?x24xf32> -> tensor<?x24xf16>)",
            [](double v, double x) {
              return double(tessera_f16_to_f32(
                  tessera_f32_to_f16(static_cast<float>(v + x))));
            },
            /*f16Output=*/true}),
    [](const ::testing::TestParamInfo<EpilogueCase> &info) {
      return std::string(info.param.name);
    });

TEST_F(KernelTest, LinearSplitAcrossBindingsWritesItsPartsInPlace) {
  // A 40x24 weight with bindings limited to 16 rows: three parts (16, 16,
  // 8), each a dispatch writing its columns of one buffer; GELU after.
  const int64_t rows = 13, k = 24, n = 40;
  std::vector<float> w = randomValues(n * k, 21, 0.3f), b = randomValues(n, 22);
  std::string mlir = R"(
func.func @f(%x: tensor<13x24xf32> {tessera.name = "x"}) -> tensor<13x40xf32> {
  %w = tessera.constant dense_resource<w> : tensor<40x24xf32>
  %b = tessera.constant dense_resource<b> : tensor<40xf32>
  %0 = tessera.linear %x, %w, %b : (tensor<13x24xf32>, tensor<40x24xf32>, tensor<40xf32>) -> tensor<13x40xf32>
  %1 = tessera.gelu %0 : tensor<13x40xf32>
  return %1 : tensor<13x40xf32>
}
{-#
  dialect_resources: { builtin: { w: ")" +
                     blobOf(w) + R"(", b: ")" + blobOf(b) + R"(" } }
#-}
)";
  tessera_program program = compile(mlir, /*maxBindingBytes=*/16 * k * 4);
  ASSERT_TRUE(program);
  EXPECT_EQ(tessera_program_dispatch_count(program), 4u);
  Tensor x{"x", {rows, k}, randomValues(rows * k, 23)};
  std::vector<float> got = run(program, {x});
  tessera_program_destroy(program);
  std::vector<double> want(rows * n);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double v = b[j];
      for (int64_t p = 0; p < k; ++p)
        v += double(x.values[i * k + p]) * w[j * k + p];
      want[i * n + j] = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    }
  expectClose(got, want);
}

/// A post-LN FFN compiled for `target` with rows bounded by `maxRows`, run
/// at each of `rows`.
struct NormFFNCase {
  const char *target;
  int64_t hidden, ffn, maxRows;
  std::vector<int64_t> rows;
  /// The RMS norm (layer_norm {rms}): no mean subtracted.
  bool rms = false;
};

void PrintTo(const NormFFNCase &c, std::ostream *os) {
  *os << c.target << " hidden " << c.hidden << " ffn " << c.ffn
      << " rows<=" << c.maxRows << (c.rms ? " rms" : "");
}

class NormFFNKernelTest : public KernelTest,
                          public ::testing::WithParamInterface<NormFFNCase> {};

TEST_P(NormFFNKernelTest, LinearsRecomputeALayerNormOfTheirRows) {
  // A post-LN FFN: n = layer_norm(x) with scale and shift feeds FFN-in
  // (GELU) as its input and FFN-out as its residual. Two dispatches: both
  // linears recompute n from x (the first with the scale and shift folded
  // into its weights), nothing writes n. Rows up to several workgroups of
  // them with partial tiles; decoding shapes (at most 1 or 4 rows) on
  // GPU profiles split K over the invocations of a workgroup, in slices
  // that need not divide K (select-tile-configs.mlir has the rule).
  NormFFNCase c = GetParam();
  const int64_t hidden = c.hidden, ffn = c.ffn;
  std::vector<float> g = randomValues(hidden, 31), s = randomValues(hidden, 32);
  float scale1 = 1.5f / std::sqrt(static_cast<float>(hidden)),
        scale2 = 1.5f / std::sqrt(static_cast<float>(ffn));
  std::vector<float> w1 = randomValues(ffn * hidden, 33, scale1),
                     b1 = randomValues(ffn, 34);
  std::vector<float> w2 = randomValues(hidden * ffn, 35, scale2),
                     b2 = randomValues(hidden, 36);
  std::string h = std::to_string(hidden), f = std::to_string(ffn);
  std::string rowsType = "tensor<?x" + h + "xf32>",
              ffnType = "tensor<?x" + f + "xf32>";
  std::string mlir =
      "func.func @f(%x: " + rowsType +
      " {tessera.name = \"x\", tessera.dims = [\"rows\", " + h + "]}) -> " +
      rowsType + " attributes {tessera.dim_bounds = {rows = array<i64: 1, " +
      std::to_string(c.maxRows) + ">}} {\n" +
      "  %g = tessera.constant dense_resource<g> : tensor<" + h + "xf32>\n" +
      "  %s = tessera.constant dense_resource<s> : tensor<" + h + "xf32>\n" +
      "  %w1 = tessera.constant dense_resource<w1> : tensor<" + f + "x" + h +
      "xf32>\n" + "  %b1 = tessera.constant dense_resource<b1> : tensor<" + f +
      "xf32>\n" + "  %w2 = tessera.constant dense_resource<w2> : tensor<" + h +
      "x" + f + "xf32>\n" +
      "  %b2 = tessera.constant dense_resource<b2> : tensor<" + h + "xf32>\n" +
      "  %n = tessera.layer_norm %x scale(%g) bias(%s), axis = 1, epsilon = "
      "1.0e-5" +
      (c.rms ? " {rms}" : "") + " : (" + rowsType + ", tensor<" + h +
      "xf32>, tensor<" + h + "xf32>) -> " + rowsType + "\n" +
      "  %0 = tessera.linear %n, %w1, %b1 : (" + rowsType + ", tensor<" + f +
      "x" + h + "xf32>, tensor<" + f + "xf32>) -> " + ffnType + "\n" +
      "  %1 = tessera.gelu %0 : " + ffnType + "\n" +
      "  %2 = tessera.linear %1, %w2, %b2 : (" + ffnType + ", tensor<" + h +
      "x" + f + "xf32>, tensor<" + h + "xf32>) -> " + rowsType + "\n" +
      "  %3 = tessera.add %2, %n : (" + rowsType + ", " + rowsType + ") -> " +
      rowsType + "\n" + "  return %3 : " + rowsType + "\n}\n" +
      "{-#\n  dialect_resources: { builtin: { g: \"" + blobOf(g) + "\", s: \"" +
      blobOf(s) + "\", w1: \"" + blobOf(w1) + "\", b1: \"" + blobOf(b1) +
      "\", w2: \"" + blobOf(w2) + "\", b2: \"" + blobOf(b2) + "\" } }\n#-}\n";
  tessera_program program = compile(mlir, 0, c.target);
  ASSERT_TRUE(program);
  EXPECT_EQ(tessera_program_dispatch_count(program), 2u);
  for (int64_t rows : c.rows) {
    SCOPED_TRACE("rows " + std::to_string(rows));
    // Rows with a common offset of up to 120 deviations: the statistics
    // must not cancel.
    Tensor x{"x", {rows, hidden}, randomValues(rows * hidden, 37, 2.0f)};
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < hidden; ++j)
        x.values[i * hidden + j] += 40.0f * static_cast<float>(i % 7);
    std::vector<float> got = run(program, {x});
    std::vector<double> want(rows * hidden);
    for (int64_t i = 0; i < rows; ++i) {
      const float *row = &x.values[i * hidden];
      double mean = 0, var = 0;
      for (int64_t j = 0; j < hidden && !c.rms; ++j)
        mean += row[j];
      mean /= hidden;
      for (int64_t j = 0; j < hidden; ++j)
        var += (row[j] - mean) * (row[j] - mean);
      double inverseStd = 1 / std::sqrt(var / hidden + 1e-5);
      std::vector<double> n(hidden), f(ffn);
      for (int64_t j = 0; j < hidden; ++j)
        n[j] = (row[j] - mean) * inverseStd * g[j] + s[j];
      for (int64_t o = 0; o < ffn; ++o) {
        double v = b1[o];
        for (int64_t j = 0; j < hidden; ++j)
          v += n[j] * w1[o * hidden + j];
        f[o] = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
      }
      for (int64_t o = 0; o < hidden; ++o) {
        double v = b2[o];
        for (int64_t j = 0; j < ffn; ++j)
          v += f[j] * w2[o * ffn + j];
        want[i * hidden + o] = v + n[o];
      }
    }
    expectClose(got, want);
  }
  tessera_program_destroy(program);
}

TEST_F(KernelTest, RecomputedNormRoundsLikeANormalisedRow) {
  // layer_norm(x) · Wᵀ with the norm recomputed in the K loop, on rows of
  // GPT-2's residual stream's kind: a 768-wide row whose common offset
  // (up to 60) dwarfs its deviation (3). The loop sums x - s and subtracts
  // (mean - s) times the column sums: with s one element of the row, the
  // rounding grew with |x - s|, and the logits of GPT-2's decode step were
  // 2.6 times PyTorch's f32 error off (docs/benchmarks.md). With s the
  // mean of the row's first 16 elements it is at f32's own level: within
  // 5e-5 relative to max(|want|, 1), where numpy's f32 (normalising the
  // row first) is 2.8e-5 off and the single-sample shift was 1e-4 off.
  const int64_t rows = 16, hidden = 768, out = 512;
  std::vector<float> g = randomValues(hidden, 41, 0.1f),
                     b = randomValues(hidden, 42, 0.1f),
                     w = randomValues(out * hidden, 43, 0.5f);
  for (float &v : g)
    v += 1.0f;
  std::string x = type({rows, hidden}), h = type({hidden}),
              wt = type({out, hidden}), y = type({rows, out});
  std::string mlir =
      "func.func @f(%x: " + x + " {tessera.name = \"x\"}) -> " + y + " {\n" +
      "  %g = tessera.constant dense_resource<g> : " + h + "\n" +
      "  %b = tessera.constant dense_resource<b> : " + h + "\n" +
      "  %w = tessera.constant dense_resource<w> : " + wt + "\n" +
      "  %n = tessera.layer_norm %x scale(%g) bias(%b), axis = 1, epsilon = "
      "1.0e-5 : (" +
      x + ", " + h + ", " + h + ") -> " + x + "\n" +
      "  %0 = tessera.linear %n, %w : (" + x + ", " + wt + ") -> " + y + "\n" +
      "  return %0 : " + y + "\n}\n" +
      "{-#\n  dialect_resources: { builtin: { g: \"" + blobOf(g) + "\", b: \"" +
      blobOf(b) + "\", w: \"" + blobOf(w) + "\" } }\n#-}\n";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  EXPECT_EQ(tessera_program_dispatch_count(program), 1u);
  Tensor input{"x", {rows, hidden}, randomValues(rows * hidden, 44, 3.0f)};
  std::vector<float> offsets = randomValues(rows, 45, 20.0f);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < hidden; ++j)
      input.values[i * hidden + j] += offsets[i];
  std::vector<float> got = run(program, {input});
  std::vector<double> want(rows * out);
  for (int64_t i = 0; i < rows; ++i) {
    const float *row = &input.values[i * hidden];
    double mean = 0, var = 0;
    for (int64_t j = 0; j < hidden; ++j)
      mean += row[j];
    mean /= hidden;
    for (int64_t j = 0; j < hidden; ++j)
      var += (row[j] - mean) * (row[j] - mean);
    double inverseStd = 1 / std::sqrt(var / hidden + 1e-5);
    for (int64_t o = 0; o < out; ++o) {
      double v = 0;
      for (int64_t j = 0; j < hidden; ++j)
        v += ((row[j] - mean) * inverseStd * g[j] + b[j]) * w[o * hidden + j];
      want[i * out + o] = v;
    }
  }
  expectClose(got, want, 5e-5);
  tessera_program_destroy(program);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, NormFFNKernelTest,
    ::testing::Values(
        NormFFNCase{"lavapipe", 24, 40, 300, {1, 37, 300}},
        // Decoding: split K on intel (FFN-in 4 slices, FFN-out 8), on
        // nvidia with K = 1030 (not a multiple of 4: scalar loads, the
        // last slice short) and on amd at up to 4 rows.
        NormFFNCase{"intel", 256, 512, 1, {1}},
        NormFFNCase{"nvidia", 256, 1030, 1, {1}},
        NormFFNCase{"amd", 512, 768, 4, {1, 3, 4}},
        // The RMS norm: statistics of x itself, in the K loop and in the
        // prepass (the residual), and with K split.
        NormFFNCase{"lavapipe", 24, 40, 300, {1, 37, 300}, true},
        NormFFNCase{"intel", 256, 512, 1, {1}, true}));

TEST_F(KernelTest, F16StorageLinearLayerNormAndCast) {
  // f16 weights and activations, f32 arithmetic: layer_norm(x·Wᵀ + b) with
  // f16 scale and bias, and a cast of an f32 input to f16 added on top.
  const int64_t rows = 13, k = 24, n = 40;
  std::string mlir = R"(
func.func @f(%x: tensor<13x24xf16> {tessera.name = "x"}, %w: tensor<40x24xf16> {tessera.name = "w"},
             %b: tensor<40xf16> {tessera.name = "b"}, %g: tensor<40xf16> {tessera.name = "g"},
             %beta: tensor<40xf16> {tessera.name = "beta"}, %r: tensor<13x40xf32> {tessera.name = "r"})
    -> tensor<13x40xf16> {
  %0 = tessera.linear %x, %w, %b : (tensor<13x24xf16>, tensor<40x24xf16>, tensor<40xf16>) -> tensor<13x40xf16>
  %1 = tessera.layer_norm %0 scale(%g) bias(%beta), axis = 1, epsilon = 1.0e-5 : (tensor<13x40xf16>, tensor<40xf16>, tensor<40xf16>) -> tensor<13x40xf16>
  %2 = tessera.cast %r : tensor<13x40xf32> -> tensor<13x40xf16>
  %3 = tessera.add %1, %2 : (tensor<13x40xf16>, tensor<13x40xf16>) -> tensor<13x40xf16>
  return %3 : tensor<13x40xf16>
})";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  Tensor x = Tensor{"x", {rows, k}, randomValues(rows * k, 31)}.asF16();
  Tensor w = Tensor{"w", {n, k}, randomValues(n * k, 32, 0.3f)}.asF16();
  Tensor b = Tensor{"b", {n}, randomValues(n, 33)}.asF16();
  Tensor g = Tensor{"g", {n}, randomValues(n, 34)}.asF16();
  Tensor beta = Tensor{"beta", {n}, randomValues(n, 35)}.asF16();
  Tensor r{"r", {rows, n}, randomValues(rows * n, 36)};
  std::vector<float> got = run(program, {x, w, b, g, beta, r});
  tessera_program_destroy(program);
  std::vector<double> want(rows * n);
  for (int64_t i = 0; i < rows; ++i) {
    std::vector<double> y(n);
    double mean = 0, var = 0;
    for (int64_t j = 0; j < n; ++j) {
      y[j] = b.values[j];
      for (int64_t p = 0; p < k; ++p)
        y[j] += double(x.values[i * k + p]) * w.values[j * k + p];
      mean += y[j] / n;
    }
    for (int64_t j = 0; j < n; ++j)
      var += (y[j] - mean) * (y[j] - mean) / n;
    for (int64_t j = 0; j < n; ++j)
      want[i * n + j] =
          (y[j] - mean) / std::sqrt(var + 1e-5) * g.values[j] + beta.values[j] +
          tessera_f16_to_f32(tessera_f32_to_f16(r.values[i * n + j]));
  }
  expectClose(got, want, kF16Tolerance);
}

TEST_F(KernelTest, F16RowsReadEightPerLoadWithARecomputedNorm) {
  // f16 rows of 40 are read eight per load (pairs packed in i32 lanes):
  // layer_norm(x) recomputed by the linear from its K loop (the row's
  // first element, its shift, loaded alone), and x read per element by the
  // residual add, whose lanes are picked at run time.
  const int64_t k = 40, n = 40;
  std::string mlir = R"(
func.func @f(%x: tensor<?x40xf16> {tessera.name = "x", tessera.dims = ["rows", 40]},
             %w: tensor<40x40xf16> {tessera.name = "w"}, %b: tensor<40xf16> {tessera.name = "b"})
    -> tensor<?x40xf16> attributes {tessera.dim_bounds = {rows = array<i64: 1, 100>}} {
  %n = tessera.layer_norm %x, axis = 1, epsilon = 1.0e-5 : (tensor<?x40xf16>) -> tensor<?x40xf16>
  %0 = tessera.linear %n, %w, %b : (tensor<?x40xf16>, tensor<40x40xf16>, tensor<40xf16>) -> tensor<?x40xf16>
  %1 = tessera.add %0, %x : (tensor<?x40xf16>, tensor<?x40xf16>) -> tensor<?x40xf16>
  return %1 : tensor<?x40xf16>
})";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  EXPECT_EQ(tessera_program_dispatch_count(program), 1u);
  for (int64_t rows : {1, 37, 100}) {
    SCOPED_TRACE("rows " + std::to_string(rows));
    Tensor x = Tensor{"x", {rows, k}, randomValues(rows * k, 41, 2.0f)}.asF16();
    Tensor w = Tensor{"w", {n, k}, randomValues(n * k, 42, 0.3f)}.asF16();
    Tensor b = Tensor{"b", {n}, randomValues(n, 43)}.asF16();
    std::vector<float> got = run(program, {x, w, b});
    std::vector<double> want(rows * n);
    for (int64_t i = 0; i < rows; ++i) {
      const float *row = &x.values[i * k];
      double mean = 0, variance = 0;
      for (int64_t p = 0; p < k; ++p)
        mean += row[p] / double(k);
      for (int64_t p = 0; p < k; ++p)
        variance += (row[p] - mean) * (row[p] - mean) / double(k);
      double inverseStd = 1 / std::sqrt(variance + 1e-5);
      for (int64_t j = 0; j < n; ++j) {
        double v = b.values[j];
        for (int64_t p = 0; p < k; ++p)
          v += (row[p] - mean) * inverseStd * w.values[j * k + p];
        want[i * n + j] = v + row[j];
      }
    }
    expectClose(got, want, kF16Tolerance);
  }
  tessera_program_destroy(program);
}

class F16WeightKernelTest : public KernelTest,
                            public ::testing::WithParamInterface<int64_t> {};

TEST_P(F16WeightKernelTest, F32RowsTimesWidenedF16Weights) {
  // The decode pattern: f32 rows times f16 weights widened as they load.
  // K = 40: the weight eight per load, the rows two vec4 loads per step;
  // K = 36: both four per load; K = 30: scalars.
  const int64_t k = GetParam(), n = 24;
  std::string kText = std::to_string(k);
  std::string mlir =
      R"(
func.func @f(%x: tensor<?x)" +
      kText + R"(xf32> {tessera.name = "x", tessera.dims = ["rows", )" + kText +
      R"(]},
             %w: tensor<24x)" +
      kText + R"(xf16> {tessera.name = "w"})
    -> tensor<?x24xf32> attributes {tessera.dim_bounds = {rows = array<i64: 1, 64>}} {
  %wf = tessera.cast %w : tensor<24x)" +
      kText + R"(xf16> -> tensor<24x)" + kText + R"(xf32>
  %0 = tessera.linear %x, %wf : (tensor<?x)" +
      kText + R"(xf32>, tensor<24x)" + kText + R"(xf32>) -> tensor<?x24xf32>
  return %0 : tensor<?x24xf32>
})";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  for (int64_t rows : {1, 5, 64}) {
    SCOPED_TRACE("rows " + std::to_string(rows));
    Tensor x{"x", {rows, k}, randomValues(rows * k, 44)};
    Tensor w = Tensor{"w", {n, k}, randomValues(n * k, 45, 0.3f)}.asF16();
    std::vector<float> got = run(program, {x, w});
    std::vector<double> want(rows * n);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double v = 0;
        for (int64_t p = 0; p < k; ++p)
          v += double(x.values[i * k + p]) * w.values[j * k + p];
        want[i * n + j] = v;
      }
    expectClose(got, want);
  }
  tessera_program_destroy(program);
}

INSTANTIATE_TEST_SUITE_P(K, F16WeightKernelTest, ::testing::Values(40, 36, 30));

} // namespace

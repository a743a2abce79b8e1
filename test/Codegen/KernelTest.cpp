//===- KernelTest.cpp - Generated kernels against a C++ reference ---------===//
//
// Every kernel builder (matmul/linear, attention, row reductions,
// elementwise) on several shapes, including sizes that are not multiples of
// the tiles, compiled through every phase in-process, run on the default
// device (lavapipe here) with the validation layer on, and compared with a
// plain double-precision C++ reference on random inputs:
//   |got - want| <= 1e-4 * max(1, |want|)
// for f32 storage; with f16 storage (inputs rounded to f16 before the
// reference sees them, arithmetic in f32, the output rounded to f16) the
// bound is 1e-2 * max(1, |want|).
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipelines/Pipeline.h"

#include "dialects/tessera/IR/TesseraAttrs.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/MLIRContext.h"

#include "tessera/runtime.h"

#include <gtest/gtest.h>

#include <optional>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

using namespace mlir;
using namespace mlir::tessera;

namespace {

constexpr double kTolerance = 1e-4;
constexpr double kF16Tolerance = 1e-2;

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;        // f32 and f16 tensors
  std::vector<unsigned char> flags; // bool tensors
  std::vector<int32_t> ints;        // i32 tensors
  bool f16 = false;                 // values are passed as f16

  /// Stores the values as f16: rounds them, so that the reference sees
  /// exactly what the device reads.
  Tensor &asF16() {
    f16 = true;
    for (float &v : values)
      v = tessera_f16_to_f32(tessera_f32_to_f16(v));
    return *this;
  }
};

std::vector<float> randomValues(size_t count, unsigned seed, float scale = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(count);
  for (float &v : values)
    v = normal(rng);
  return values;
}

size_t product(const std::vector<int64_t> &shape) {
  size_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

class KernelTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    setenv("TESSERA_VALIDATION", "1", 1);
    ASSERT_EQ(tessera_instance_create(nullptr, &instance), TESSERA_OK)
        << tessera_last_error();
    ASSERT_EQ(tessera_instance_select_device(instance, nullptr, &device),
              TESSERA_OK);
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(tessera_instance_validation_message_count(instance), 0u);
    tessera_instance_destroy(instance);
  }

  /// Compiles `mlir` through every phase for `target` into a file; returns
  /// its path, or "" (with a test failure) when compilation fails.
  std::string compileToFile(const std::string &mlir, int64_t maxBindingBytes,
                            const std::string &target) {
    PipelineOptions options;
    options.maxBindingBytes = maxBindingBytes;
    options.target = target;
    FailureOr<std::vector<char>> bytes = compileSource(mlir, options);
    if (failed(bytes)) {
      ADD_FAILURE() << "compilation failed:\n" << mlir;
      return "";
    }
    // Unique per process and call: CTest runs test cases in parallel.
    static int counter = 0;
    std::string path = ::testing::TempDir() + "kernel_test." +
                       std::to_string(getpid()) + "." +
                       std::to_string(counter++) + ".tsr";
    std::ofstream(path, std::ios::binary)
        .write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    return path;
  }

  /// Compiles `mlir` through every phase and loads it on the device.
  tessera_program compile(const std::string &mlir,
                          int64_t maxBindingBytes = 0,
                          const std::string &target = "lavapipe") {
    std::string path = compileToFile(mlir, maxBindingBytes, target);
    if (path.empty())
      return nullptr;
    tessera_program program = nullptr;
    EXPECT_EQ(tessera_program_load(instance, path.c_str(), device, &program),
              TESSERA_OK)
        << tessera_last_error();
    return program;
  }

  /// Runs `program` and returns output 0's values (widened from f16 when it
  /// is f16).
  std::vector<float> run(tessera_program program,
                         const std::vector<Tensor> &inputs) {
    std::vector<tessera_tensor> tensors;
    std::vector<std::vector<uint16_t>> halves;
    halves.reserve(inputs.size());
    for (const Tensor &input : inputs) {
      tessera_tensor t{};
      t.name = input.name.c_str();
      t.rank = static_cast<uint32_t>(input.shape.size());
      std::copy(input.shape.begin(), input.shape.end(), t.shape);
      if (input.f16) {
        std::vector<uint16_t> &half = halves.emplace_back();
        for (float v : input.values)
          half.push_back(tessera_f32_to_f16(v));
        t.element_type = TESSERA_F16;
        t.data = half.data();
        t.size = half.size() * 2;
      } else if (!input.ints.empty()) {
        t.element_type = TESSERA_I32;
        t.data = input.ints.data();
        t.size = input.ints.size() * 4;
      } else if (input.flags.empty()) {
        t.element_type = TESSERA_F32;
        t.data = input.values.data();
        t.size = input.values.size() * 4;
      } else {
        t.element_type = TESSERA_BOOL;
        t.data = input.flags.data();
        t.size = input.flags.size();
      }
      tensors.push_back(t);
    }
    EXPECT_EQ(tessera_program_run(program, tensors.data(),
                                  static_cast<uint32_t>(tensors.size())),
              TESSERA_OK)
        << tessera_last_error();
    tessera_tensor output{};
    EXPECT_EQ(tessera_program_output(program, 0, &output), TESSERA_OK);
    if (output.element_type == TESSERA_F16) {
      const auto *data = static_cast<const uint16_t *>(output.data);
      std::vector<float> values;
      for (size_t i = 0; i < output.size / 2; ++i)
        values.push_back(tessera_f16_to_f32(data[i]));
      return values;
    }
    const float *data = static_cast<const float *>(output.data);
    return std::vector<float>(data, data + output.size / 4);
  }

  /// NaN is expected exactly where `want` is NaN.
  static void expectClose(const std::vector<float> &got,
                          const std::vector<double> &want,
                          double tolerance = kTolerance) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(std::isnan(got[i]), std::isnan(want[i]))
          << "element " << i << ": got " << got[i] << ", want " << want[i];
      if (std::isnan(want[i]))
        continue;
      ASSERT_LE(std::abs(got[i] - want[i]),
                tolerance * std::max(1.0, std::abs(want[i])))
          << "element " << i << ": got " << got[i] << ", want " << want[i];
    }
  }

  static std::string type(const std::vector<int64_t> &shape,
                          const char *element = "f32") {
    std::string text = "tensor<";
    for (int64_t d : shape)
      text += (d < 0 ? std::string("?") : std::to_string(d)) + "x";
    return text + element + ">";
  }

  static tessera_instance instance;
  static uint32_t device;
};

tessera_instance KernelTest::instance = nullptr;
uint32_t KernelTest::device = 0;

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
  std::string mlir = R"(
func.func @f(%x: tensor<?x24xf32> {tessera.name = "x", tessera.dims = ["rows", 24]},
             %w: tensor<24x24xf32> {tessera.name = "w"}, %b: tensor<24xf32> {tessera.name = "b"})
    -> )" + result + R"( attributes {tessera.dim_bounds = {rows = array<i64: 1, 100>}} {
  %0 = tessera.linear %x, %w, %b : (tensor<?x24xf32>, tensor<24x24xf32>, tensor<24xf32>) -> tensor<?x24xf32>
)" + c.ops + R"(
  return %r : )" + result + R"(
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
        EpilogueCase{"GeluTanhAndResidual",
                     R"(  %1 = tessera.gelu %0 approximate = tanh : tensor<?x24xf32>
  %r = tessera.add %1, %x : (tensor<?x24xf32>, tensor<?x24xf32>) -> tensor<?x24xf32>)",
                     [](double v, double x) {
                       return 0.5 * v *
                                  (1 + std::tanh(std::sqrt(2 / M_PI) *
                                                 (v + 0.044715 * v * v * v))) +
                              x;
                     }},
        EpilogueCase{"QuickGelu",
                     R"(  %r = tessera.quick_gelu %0 : tensor<?x24xf32>)",
                     [](double v, double) { return v * sigmoid(1.702 * v); }},
        EpilogueCase{"Relu",
                     R"(  %r = tessera.relu %0 : tensor<?x24xf32>)",
                     [](double v, double) { return std::max(v, 0.0); }},
        EpilogueCase{"ScaleAndResidual",
                     R"(  %s = tessera.constant dense<0.125> : tensor<f32>
  %1 = tessera.mul %0, %s : (tensor<?x24xf32>, tensor<f32>) -> tensor<?x24xf32>
  %r = tessera.add %x, %1 : (tensor<?x24xf32>, tensor<?x24xf32>) -> tensor<?x24xf32>)",
                     [](double v, double x) { return x + 0.125 * v; }},
        EpilogueCase{"ResidualAndCastToF16",
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

/// A dense_resource blob literal ("0x" + alignment + little-endian floats).
std::string blobOf(const std::vector<float> &values) {
  static const char *digits = "0123456789ABCDEF";
  std::string text = "0x04000000";
  const auto *bytes = reinterpret_cast<const unsigned char *>(values.data());
  for (size_t i = 0; i < values.size() * 4; ++i) {
    text += digits[bytes[i] >> 4];
    text += digits[bytes[i] & 15];
  }
  return text;
}

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
};

void PrintTo(const NormFFNCase &c, std::ostream *os) {
  *os << c.target << " hidden " << c.hidden << " ffn " << c.ffn << " rows<="
      << c.maxRows;
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
      rowsType +
      " attributes {tessera.dim_bounds = {rows = array<i64: 1, " +
      std::to_string(c.maxRows) + ">}} {\n" +
      "  %g = tessera.constant dense_resource<g> : tensor<" + h + "xf32>\n" +
      "  %s = tessera.constant dense_resource<s> : tensor<" + h + "xf32>\n" +
      "  %w1 = tessera.constant dense_resource<w1> : tensor<" + f + "x" + h +
      "xf32>\n" +
      "  %b1 = tessera.constant dense_resource<b1> : tensor<" + f + "xf32>\n" +
      "  %w2 = tessera.constant dense_resource<w2> : tensor<" + h + "x" + f +
      "xf32>\n" +
      "  %b2 = tessera.constant dense_resource<b2> : tensor<" + h + "xf32>\n" +
      "  %n = tessera.layer_norm %x scale(%g) bias(%s), axis = 1, epsilon = "
      "1.0e-5 : (" + rowsType + ", tensor<" + h + "xf32>, tensor<" + h +
      "xf32>) -> " + rowsType + "\n" +
      "  %0 = tessera.linear %n, %w1, %b1 : (" + rowsType + ", tensor<" + f +
      "x" + h + "xf32>, tensor<" + f + "xf32>) -> " + ffnType + "\n" +
      "  %1 = tessera.gelu %0 : " + ffnType + "\n" +
      "  %2 = tessera.linear %1, %w2, %b2 : (" + ffnType + ", tensor<" + h +
      "x" + f + "xf32>, tensor<" + h + "xf32>) -> " + rowsType + "\n" +
      "  %3 = tessera.add %2, %n : (" + rowsType + ", " + rowsType + ") -> " +
      rowsType + "\n" +
      "  return %3 : " + rowsType + "\n}\n" +
      "{-#\n  dialect_resources: { builtin: { g: \"" + blobOf(g) +
      "\", s: \"" + blobOf(s) + "\", w1: \"" + blobOf(w1) + "\", b1: \"" +
      blobOf(b1) + "\", w2: \"" + blobOf(w2) + "\", b2: \"" + blobOf(b2) +
      "\" } }\n#-}\n";
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
      for (int64_t j = 0; j < hidden; ++j)
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

INSTANTIATE_TEST_SUITE_P(
    Shapes, NormFFNKernelTest,
    ::testing::Values(
        NormFFNCase{"lavapipe", 24, 40, 300, {1, 37, 300}},
        // Decoding: split K on intel (FFN-in 4 slices, FFN-out 8), on
        // nvidia with K = 1030 (not a multiple of 4: scalar loads, the
        // last slice short) and on amd at up to 4 rows.
        NormFFNCase{"intel", 256, 512, 1, {1}},
        NormFFNCase{"nvidia", 256, 1030, 1, {1}},
        NormFFNCase{"amd", 512, 768, 4, {1, 3, 4}}));

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
      want[i * n + j] = (y[j] - mean) / std::sqrt(var + 1e-5) * g.values[j] +
                        beta.values[j] +
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
  std::string mlir = R"(
func.func @f(%x: tensor<?x)" + kText + R"(xf32> {tessera.name = "x", tessera.dims = ["rows", )" + kText + R"(]},
             %w: tensor<24x)" + kText + R"(xf16> {tessera.name = "w"})
    -> tensor<?x24xf32> attributes {tessera.dim_bounds = {rows = array<i64: 1, 64>}} {
  %wf = tessera.cast %w : tensor<24x)" + kText + R"(xf16> -> tensor<24x)" + kText + R"(xf32>
  %0 = tessera.linear %x, %wf : (tensor<?x)" + kText + R"(xf32>, tensor<24x)" + kText + R"(xf32>) -> tensor<?x24xf32>
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

//===----------------------------------------------------------------------===//
// Row reductions
//===----------------------------------------------------------------------===//

class SoftmaxKernelTest
    : public KernelTest,
      public ::testing::WithParamInterface<std::pair<int64_t, int64_t>> {};

TEST_P(SoftmaxKernelTest, MatchesReference) {
  auto [rows, cols] = GetParam();
  std::vector<int64_t> shape = {rows, cols};
  std::string mlir =
      "func.func @f(%x: " + type(shape) + " {tessera.name = \"x\"}) -> " +
      type(shape) + " {\n  %0 = tessera.softmax %x, axis = 1 : " + type(shape) +
      " -> " + type(shape) + "\n  return %0 : " + type(shape) + "\n}\n";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  Tensor x{"x", shape, randomValues(rows * cols, 6, 3.0f)};
  std::vector<float> got = run(program, {x});
  tessera_program_destroy(program);
  std::vector<double> want(rows * cols);
  for (int64_t i = 0; i < rows; ++i) {
    double max = -INFINITY, sum = 0;
    for (int64_t j = 0; j < cols; ++j)
      max = std::max<double>(max, x.values[i * cols + j]);
    for (int64_t j = 0; j < cols; ++j)
      sum += std::exp(x.values[i * cols + j] - max);
    for (int64_t j = 0; j < cols; ++j)
      want[i * cols + j] = std::exp(x.values[i * cols + j] - max) / sum;
  }
  expectClose(got, want);
}

INSTANTIATE_TEST_SUITE_P(Shapes, SoftmaxKernelTest,
                         ::testing::Values(std::pair<int64_t, int64_t>{1, 1},
                                           std::pair<int64_t, int64_t>{3, 5},
                                           std::pair<int64_t, int64_t>{4, 100},
                                           std::pair<int64_t, int64_t>{2,
                                                                       1000},
                                           // Longer than the registers
                                           // hold: passes over memory.
                                           std::pair<int64_t, int64_t>{2,
                                                                       3000}));

class LayerNormKernelTest
    : public KernelTest,
      public ::testing::WithParamInterface<std::vector<int64_t>> {};

TEST_P(LayerNormKernelTest, WithResidualPrologueMatchesReference) {
  // layer_norm(x + r) over the last dimension, with scale and bias.
  std::vector<int64_t> shape = GetParam();
  int64_t cols = shape.back(), rows = product(shape) / cols;
  std::vector<int64_t> vec = {cols};
  int64_t axis = shape.size() - 1;
  std::string mlir =
      "func.func @f(%x: " + type(shape) +
      " {tessera.name = \"x\"}, %r: " + type(shape) +
      " {tessera.name = \"r\"}, %g: " + type(vec) +
      " {tessera.name = \"g\"}, %b: " + type(vec) +
      " {tessera.name = \"b\"}) -> " + type(shape) +
      " {\n  %0 = tessera.add %x, %r : (" + type(shape) + ", " + type(shape) +
      ") -> " + type(shape) +
      "\n  %1 = tessera.layer_norm %0 scale(%g) bias(%b), axis = " +
      std::to_string(axis) + ", epsilon = 1.0e-5 : (" + type(shape) + ", " +
      type(vec) + ", " + type(vec) + ") -> " + type(shape) +
      "\n  return %1 : " + type(shape) + "\n}\n";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  Tensor x{"x", shape, randomValues(product(shape), 7, 2.0f)};
  Tensor r{"r", shape, randomValues(product(shape), 8)};
  Tensor g{"g", vec, randomValues(cols, 9)};
  Tensor b{"b", vec, randomValues(cols, 10)};
  std::vector<float> got = run(program, {x, r, g, b});
  tessera_program_destroy(program);
  std::vector<double> want(product(shape));
  for (int64_t i = 0; i < rows; ++i) {
    double mean = 0, var = 0;
    for (int64_t j = 0; j < cols; ++j)
      mean += double(x.values[i * cols + j]) + r.values[i * cols + j];
    mean /= cols;
    for (int64_t j = 0; j < cols; ++j) {
      double d = double(x.values[i * cols + j]) + r.values[i * cols + j] - mean;
      var += d * d;
    }
    var /= cols;
    for (int64_t j = 0; j < cols; ++j) {
      double v = double(x.values[i * cols + j]) + r.values[i * cols + j];
      want[i * cols + j] =
          (v - mean) / std::sqrt(var + 1e-5) * g.values[j] + b.values[j];
    }
  }
  expectClose(got, want);
}

INSTANTIATE_TEST_SUITE_P(Shapes, LayerNormKernelTest,
                         ::testing::Values(std::vector<int64_t>{4, 8},
                                           std::vector<int64_t>{2, 3, 256},
                                           std::vector<int64_t>{3, 1000},
                                           std::vector<int64_t>{2, 2500}));

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST_F(KernelTest, ElementwiseChainWithBroadcasting) {
  // select(x > y, exp(x) * s, erf(y) - sqrt(|x|)) with y and s broadcast.
  std::string mlir = R"(
func.func @f(%x: tensor<5x7xf32> {tessera.name = "x"}, %y: tensor<7xf32> {tessera.name = "y"},
             %s: tensor<5x1xf32> {tessera.name = "s"}) -> tensor<5x7xf32> {
  %c = tessera.compare gt, %x, %y : (tensor<5x7xf32>, tensor<7xf32>) -> tensor<5x7xi1>
  %e = tessera.exp %x : tensor<5x7xf32>
  %t = tessera.mul %e, %s : (tensor<5x7xf32>, tensor<5x1xf32>) -> tensor<5x7xf32>
  %f = tessera.erf %y : tensor<7xf32>
  %a = tessera.abs %x : tensor<5x7xf32>
  %q = tessera.sqrt %a : tensor<5x7xf32>
  %g = tessera.sub %f, %q : (tensor<7xf32>, tensor<5x7xf32>) -> tensor<5x7xf32>
  %r = tessera.select %c, %t, %g : (tensor<5x7xi1>, tensor<5x7xf32>, tensor<5x7xf32>) -> tensor<5x7xf32>
  return %r : tensor<5x7xf32>
})";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  Tensor x{"x", {5, 7}, randomValues(35, 11)};
  Tensor y{"y", {7}, randomValues(7, 12)};
  Tensor s{"s", {5, 1}, randomValues(5, 13)};
  std::vector<float> got = run(program, {x, y, s});
  tessera_program_destroy(program);
  std::vector<double> want(35);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 7; ++j) {
      double xv = x.values[i * 7 + j], yv = y.values[j];
      want[i * 7 + j] = xv > yv ? std::exp(xv) * s.values[i]
                                : std::erf(yv) - std::sqrt(std::abs(xv));
    }
  expectClose(got, want);
}

TEST_F(KernelTest, ReshapedIotaBroadcastInAnElementwiseChain) {
  // float(x + positions), the positions an iota reshaped to [1, seq] and
  // computed in the kernel where the add reads them: every batch row sees
  // 0 .. seq-1.
  std::string mlir = R"(
func.func @f(%x: tensor<?x?xi32> {tessera.name = "x", tessera.dims = ["batch", "seq"]})
    -> tensor<?x?xf32> attributes {tessera.dim_bounds = {batch = array<i64: 1, 4>, seq = array<i64: 1, 16>}} {
  %iota = tessera.iota length = "seq" : tensor<?xi32>
  %row = tessera.reshape %iota {dims = ["1", "seq"]} : tensor<?xi32> -> tensor<1x?xi32>
  %sum = tessera.add %x, %row : (tensor<?x?xi32>, tensor<1x?xi32>) -> tensor<?x?xi32>
  %y = tessera.cast %sum : tensor<?x?xi32> -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
})";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  EXPECT_EQ(tessera_program_dispatch_count(program), 1u);
  Tensor x{"x", {3, 7}};
  for (int32_t i = 0; i < 21; ++i)
    x.ints.push_back(100 * i);
  std::vector<float> got = run(program, {x});
  tessera_program_destroy(program);
  std::vector<double> want(21);
  for (int64_t i = 0; i < 21; ++i)
    want[i] = 100.0 * i + i % 7;
  expectClose(got, want);
}

TEST_F(KernelTest, EmbeddingLookupsSumAndLayerNormInOneDispatch) {
  // layer_norm(words[ids] + positions[seq positions]) with scale and bias:
  // the gathers and the positions' iota are evaluated in the layer norm's
  // prologue (one dispatch). Negative ids count from the table's end.
  std::string mlir = R"(
func.func @f(%ids: tensor<?x?xi32> {tessera.name = "ids", tessera.dims = ["batch", "seq"]},
             %words: tensor<50x40xf32> {tessera.name = "words"},
             %positions: tensor<16x40xf32> {tessera.name = "positions"},
             %g: tensor<40xf32> {tessera.name = "g"}, %b: tensor<40xf32> {tessera.name = "b"})
    -> tensor<?x?x40xf32> attributes {tessera.dim_bounds = {batch = array<i64: 1, 4>, seq = array<i64: 1, 16>}} {
  %iota = tessera.iota length = "seq" : tensor<?xi32>
  %row = tessera.reshape %iota {dims = ["1", "seq"]} : tensor<?xi32> -> tensor<1x?xi32>
  %w = tessera.gather %words[%ids], axis = 0 : (tensor<50x40xf32>, tensor<?x?xi32>) -> tensor<?x?x40xf32>
  %p = tessera.gather %positions[%row], axis = 0 : (tensor<16x40xf32>, tensor<1x?xi32>) -> tensor<1x?x40xf32>
  %sum = tessera.add %w, %p : (tensor<?x?x40xf32>, tensor<1x?x40xf32>) -> tensor<?x?x40xf32>
  %n = tessera.layer_norm %sum scale(%g) bias(%b), axis = 2, epsilon = 1.0e-5 : (tensor<?x?x40xf32>, tensor<40xf32>, tensor<40xf32>) -> tensor<?x?x40xf32>
  return %n : tensor<?x?x40xf32>
})";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  EXPECT_EQ(tessera_program_dispatch_count(program), 1u);
  const int64_t batch = 3, seq = 11, width = 40;
  Tensor ids{"ids", {batch, seq}};
  std::mt19937 rng(21);
  for (int64_t i = 0; i < batch * seq; ++i)
    ids.ints.push_back(static_cast<int32_t>(rng() % 100) - 50); // [-50, 50)
  Tensor words{"words", {50, width}, randomValues(50 * width, 22)};
  Tensor positions{"positions", {16, width}, randomValues(16 * width, 23)};
  Tensor g{"g", {width}, randomValues(width, 24)};
  Tensor b{"b", {width}, randomValues(width, 25)};
  std::vector<float> got = run(program, {ids, words, positions, g, b});
  tessera_program_destroy(program);
  std::vector<double> want(batch * seq * width), row(width);
  for (int64_t r = 0; r < batch * seq; ++r) {
    int64_t id = ids.ints[r] < 0 ? ids.ints[r] + 50 : ids.ints[r];
    int64_t position = r % seq;
    double mean = 0, var = 0;
    for (int64_t c = 0; c < width; ++c) {
      row[c] = double(words.values[id * width + c]) +
               positions.values[position * width + c];
      mean += row[c];
    }
    mean /= width;
    for (int64_t c = 0; c < width; ++c)
      var += (row[c] - mean) * (row[c] - mean);
    var /= width;
    for (int64_t c = 0; c < width; ++c)
      want[r * width + c] = (row[c] - mean) / std::sqrt(var + 1e-5) *
                                g.values[c] +
                            b.values[c];
  }
  expectClose(got, want);
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

struct AttentionCase {
  int64_t queryHeads, kvHeads, queryLength, keyLength, headDim;
  const char *mask; // "" for none, else a #tessera.mask
  bool padding, bias;
  bool alibi = false;      // ALiBi slopes, one per query head
  bool windowBias = false; // bias [heads, size², size²] by window position
  bool residual = false;   // + q in the epilogue (an element of a vec4 row)
  bool f16 = false;        // f16 storage for q, k, v, bias and the output
  // The profile compiled for; where one query row outgrows its register
  // budget, the head dims are split over several invocations.
  const char *target = "lavapipe";
  // What the source graph added to hidden keys (AttentionOp's mask_fill,
  // padding_fill, shared_fill): rows that see no key compute with them.
  std::optional<float> maskFill, paddingFill;
  bool sharedFill = false;
  bool padAll = false;        // every key padded: every row sees none
  bool biasHidesRow = false;  // bias row 2 is finfo.min: a dense mask
};

void PrintTo(const AttentionCase &c, std::ostream *os) {
  *os << c.queryHeads << "/" << c.kvHeads << " heads, Lq " << c.queryLength
      << ", Lk " << c.keyLength << ", D " << c.headDim << ", mask '"
      << c.mask << "'" << (c.padding ? ", padding" : "")
      << (c.bias ? ", bias" : "") << (c.alibi ? ", alibi" : "")
      << (c.windowBias ? ", window bias" : "")
      << (c.residual ? ", residual" : "") << (c.f16 ? ", f16" : "");
  if (c.maskFill)
    *os << ", mask fill " << *c.maskFill;
  if (c.paddingFill)
    *os << ", padding fill " << *c.paddingFill;
  *os << (c.sharedFill ? ", shared fill" : "")
      << (c.padAll ? ", all keys padded" : "")
      << (c.biasHidesRow ? ", bias hides row 2" : "") << ", " << c.target;
}

class AttentionKernelTest
    : public KernelTest,
      public ::testing::WithParamInterface<AttentionCase> {};

TEST_P(AttentionKernelTest, MatchesReference) {
  AttentionCase c = GetParam();
  const char *fp = c.f16 ? "f16" : "f32";
  std::vector<int64_t> qShape = {1, c.queryHeads, c.queryLength, c.headDim};
  std::vector<int64_t> kShape = {1, c.kvHeads, c.keyLength, c.headDim};
  std::vector<int64_t> biasShape = {c.queryLength, c.keyLength};
  MLIRContext maskContext;
  maskContext.loadDialect<TesseraDialect>();
  MaskAttr maskAttr =
      *c.mask ? cast<MaskAttr>(parseAttribute(c.mask, &maskContext))
              : MaskAttr::get(&maskContext, MaskKind::None);
  int64_t windowPositions =
      maskAttr.getSize() ? *maskAttr.getSize() * *maskAttr.getSize() : 0;
  if (c.windowBias)
    biasShape = {c.queryHeads, windowPositions, windowPositions};
  std::vector<float> slopes;
  for (int64_t h = 0; h < c.queryHeads; ++h)
    slopes.push_back(std::pow(2.0f, -8.0f * float(h + 1) / c.queryHeads));
  std::vector<int64_t> padShape = {1, c.keyLength};
  std::string operands = "%q, %k, %v";
  std::string types = type(qShape, fp) + ", " + type(kShape, fp) + ", " + type(kShape, fp);
  std::string args = "%q: " + type(qShape, fp) +
                     " {tessera.name = \"q\"}, %k: " + type(kShape, fp) +
                     " {tessera.name = \"k\"}, %v: " + type(kShape, fp) +
                     " {tessera.name = \"v\"}";
  if (c.bias) {
    operands += " bias(%bias)";
    types += ", " + type(biasShape, fp);
    args += ", %bias: " + type(biasShape, fp) + " {tessera.name = \"bias\"}";
  }
  if (c.padding) {
    operands += " key_padding_mask(%pad)";
    types += ", " + type(padShape, "i1");
    args += ", %pad: " + type(padShape, "i1") + " {tessera.name = \"pad\"}";
  }
  std::string attributes;
  auto addAttribute = [&](const std::string &attribute) {
    attributes += (attributes.empty() ? "" : ", ") + attribute;
  };
  if (*c.mask)
    addAttribute(std::string("mask = ") + c.mask);
  if (c.alibi) {
    std::string list;
    for (float slope : slopes)
      list += (list.empty() ? "" : ", ") + std::to_string(slope);
    addAttribute("alibi_slopes = array<f32: " + list + ">");
  }
  if (c.windowBias)
    addAttribute("window_relative_bias");
  // Fills as the printer writes f32 (hexadecimal: exact, and -inf too).
  auto f32Attribute = [](float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    char text[32];
    std::snprintf(text, sizeof(text), "0x%08X : f32", bits);
    return std::string(text);
  };
  if (c.maskFill)
    addAttribute("mask_fill = " + f32Attribute(*c.maskFill));
  if (c.paddingFill)
    addAttribute("padding_fill = " + f32Attribute(*c.paddingFill));
  if (c.sharedFill)
    addAttribute("shared_fill");
  std::string mask = attributes.empty() ? "" : " {" + attributes + "}";
  std::string mlir = "func.func @f(" + args + ") -> " + type(qShape, fp) +
                     " {\n  %0 = tessera.attention " + operands + mask +
                     " : (" + types + ") -> " + type(qShape, fp) + "\n" +
                     (c.residual ? "  %1 = tessera.add %0, %q : (" +
                                       type(qShape, fp) + ", " + type(qShape, fp) +
                                       ") -> " + type(qShape, fp) + "\n"
                                 : std::string()) +
                     "  return %" + (c.residual ? "1" : "0") + " : " +
                     type(qShape, fp) + "\n}\n";
  tessera_program program = compile(mlir, 0, c.target);
  ASSERT_TRUE(program);
  Tensor q{"q", qShape, randomValues(product(qShape), 14)};
  Tensor k{"k", kShape, randomValues(product(kShape), 15)};
  Tensor v{"v", kShape, randomValues(product(kShape), 16)};
  Tensor bias{"bias", biasShape, randomValues(product(biasShape), 17)};
  if (c.f16)
    for (Tensor *t : {&q, &k, &v, &bias})
      t->asF16();
  Tensor pad{"pad", padShape, {}, std::vector<unsigned char>(c.keyLength, 1)};
  // Pad the first key: with a causal mask, query 0 then sees no key at all.
  pad.flags[0] = 0;
  if (c.keyLength > 3)
    pad.flags[c.keyLength - 2] = 0;
  if (c.padAll)
    std::fill(pad.flags.begin(), pad.flags.end(), 0);
  if (c.biasHidesRow)
    for (int64_t j = 0; j < c.keyLength; ++j)
      bias.values[2 * c.keyLength + j] = -std::numeric_limits<float>::max();
  std::vector<Tensor> inputs = {q, k, v};
  if (c.bias)
    inputs.push_back(bias);
  if (c.padding)
    inputs.push_back(pad);
  std::vector<float> got = run(program, inputs);
  tessera_program_destroy(program);

  // The reference mask: MaskAttr::isVisible, the definition kernels follow
  // (checked against independent constructions in MaskAttrTest).
  auto maskVisible = [&](int64_t i, int64_t j) {
    return maskAttr.isVisible(i, j, c.queryLength, c.keyLength);
  };
  // Swin: a token's position inside its window of the rolled grid.
  auto windowPosition = [&](int64_t token) {
    int64_t height = maskAttr.getGrid()[0], width = maskAttr.getGrid()[1];
    int64_t size = *maskAttr.getSize(), shift = maskAttr.getShift();
    int64_t row = (token / width - shift + height) % height;
    int64_t col = (token % width - shift + width) % width;
    return (row % size) * size + col % size;
  };
  auto biasAt = [&](int64_t h, int64_t i, int64_t j) -> double {
    if (!c.bias)
      return 0;
    if (c.windowBias)
      return bias.values[(h * windowPositions + windowPosition(i)) *
                             windowPositions +
                         windowPosition(j)];
    return bias.values[i * c.keyLength + j];
  };
  int64_t group = c.queryHeads / c.kvHeads, d = c.headDim;
  double scale = 1.0 / std::sqrt(double(d));
  std::vector<double> want(product(qShape), 0.0);
  for (int64_t h = 0; h < c.queryHeads; ++h)
    for (int64_t i = 0; i < c.queryLength; ++i) {
      int64_t kh = h / group;
      std::vector<double> scores(c.keyLength);
      std::vector<bool> visible(c.keyLength);
      double max = -INFINITY;
      for (int64_t j = 0; j < c.keyLength; ++j) {
        visible[j] = maskVisible(i, j) && (!c.padding || pad.flags[j]);
        double s = 0;
        for (int64_t e = 0; e < d; ++e)
          s += double(q.values[(h * c.queryLength + i) * d + e]) *
               k.values[(kh * c.keyLength + j) * d + e];
        scores[j] = s * scale + biasAt(h, i, j);
        if (c.alibi)
          scores[j] -=
              slopes[h] * std::abs(double(i + c.keyLength - c.queryLength - j));
        if (visible[j])
          max = std::max(max, scores[j]);
      }
      // A row that sees no key, where the op records the fills (or a dense
      // bias hides the keys): the softmax over every key of what the source
      // graph gives it, fills added in f32 as the graph adds them; every
      // key at -inf is NaN.
      bool paddingKnown = !c.padding || c.paddingFill || c.sharedFill;
      bool maskKnown = !*c.mask || c.maskFill;
      if (max == -INFINITY && paddingKnown && maskKnown &&
          (c.padding || c.bias || *c.mask)) {
        for (int64_t j = 0; j < c.keyLength; ++j) {
          bool maskHides = !maskVisible(i, j);
          bool padded = c.padding && !pad.flags[j];
          float score = static_cast<float>(scores[j]);
          if (c.sharedFill) {
            if (maskHides || padded)
              score += *c.maskFill;
          } else {
            if (maskHides && c.maskFill)
              score += *c.maskFill;
            if (padded && c.paddingFill)
              score += *c.paddingFill;
          }
          scores[j] = score;
          visible[j] = true;
          max = std::max(max, scores[j]);
        }
        if (max == -INFINITY) {
          for (int64_t e = 0; e < d; ++e)
            want[(h * c.queryLength + i) * d + e] = NAN;
          continue;
        }
      }
      double sum = 0;
      for (int64_t j = 0; j < c.keyLength; ++j)
        if (visible[j])
          sum += std::exp(scores[j] - max);
      for (int64_t e = 0; e < d; ++e) {
        double o = 0;
        for (int64_t j = 0; j < c.keyLength; ++j)
          if (visible[j])
            o += std::exp(scores[j] - max) / sum *
                 v.values[(kh * c.keyLength + j) * d + e];
        want[(h * c.queryLength + i) * d + e] =
            (sum > 0 ? o : 0.0) +
            (c.residual ? q.values[(h * c.queryLength + i) * d + e] : 0.0);
      }
    }
  expectClose(got, want, c.f16 ? kF16Tolerance : kTolerance);
}

const AttentionCase kAttentionCases[] = {
        // heads, kv heads, Lq, Lk, D, mask, padding, bias
        AttentionCase{2, 2, 1, 1, 16, "", false, false},
        AttentionCase{2, 2, 70, 70, 16, "", false, false},
        AttentionCase{2, 2, 33, 33, 64, "#tessera.mask<causal>", false, false},
        // GQA; with key 0 padded, row 0 sees nothing: zeros
        AttentionCase{4, 2, 17, 17, 32, "#tessera.mask<causal>", true, false},
        AttentionCase{2, 1, 5, 29, 16, "", true, true}, // cross, bias
        // decoding with past keys
        AttentionCase{2, 2, 3, 20, 16, "#tessera.mask<causal>", false, false},
        AttentionCase{1, 1, 1, 40, 16, "#tessera.mask<causal>", true, false},
        // Longformer: band, dilated band, global tokens around a band
        AttentionCase{2, 2, 50, 50, 16,
                      "#tessera.mask<sliding, left = 3, right = 2>", false,
                      false},
        AttentionCase{2, 2, 41, 41, 32,
                      "#tessera.mask<sliding, left = 6, right = 6, "
                      "dilation = 2>",
                      true, false},
        AttentionCase{2, 2, 6, 30, 16,
                      "#tessera.mask<sliding, left = 4, right = 0>", false,
                      true},
        AttentionCase{2, 2, 33, 33, 16,
                      "#tessera.mask<global, tokens = [0, 7], inner = "
                      "<sliding, left = 2, right = 2>>",
                      true, false},
        AttentionCase{2, 2, 20, 20, 16,
                      "#tessera.mask<global, tokens = [3], inner = <causal>>",
                      false, false},
        // Swin: windows of an 8x12 grid, plain and shifted
        AttentionCase{2, 2, 96, 96, 16,
                      "#tessera.mask<window, grid = [8, 12], size = 4>", false,
                      true},
        AttentionCase{2, 2, 96, 96, 32,
                      "#tessera.mask<window, grid = [8, 12], size = 4, "
                      "shift = 2>",
                      true, false},
        // Swin's relative position table, indexed by window positions
        AttentionCase{3, 3, 96, 96, 32,
                      "#tessera.mask<window, grid = [8, 12], size = 4, "
                      "shift = 2>",
                      false, true, false, true},
        AttentionCase{2, 2, 36, 36, 16,
                      "#tessera.mask<window, grid = [6, 6], size = 3>", true,
                      true, false, true},
        // ALiBi (MPT, BLOOM), causal and banded
        AttentionCase{4, 4, 37, 37, 32, "#tessera.mask<causal>", false, false,
                      true},
        AttentionCase{2, 2, 3, 25, 16,
                      "#tessera.mask<sliding, left = 8, right = 0>", true, true,
                      true},
        // head dims of real models: 64 (BERT), 80 (Phi), 96, 128 (Llama)
        AttentionCase{2, 2, 45, 45, 64, "", true, false},
        AttentionCase{2, 1, 19, 19, 80, "#tessera.mask<causal>", false, false},
        AttentionCase{1, 1, 30, 30, 96, "", false, true},
        AttentionCase{2, 2, 21, 21, 128, "#tessera.mask<causal>", true,
                      false},
        // a head dim that is no multiple of 4: scalar loads
        AttentionCase{2, 2, 19, 19, 30, "#tessera.mask<causal>", true, false},
        // the epilogue reads single elements of the vec4-bound query
        AttentionCase{2, 2, 13, 13, 16, "", false, false, false, false,
                      true}};

/// "<index>_<mask kind>_d<head dim>[_f16]", e.g. 3_causal_d32.
std::string attentionCaseName(
    const ::testing::TestParamInfo<AttentionCase> &info) {
  const AttentionCase &c = info.param;
  std::string kind = "none";
  // A global mask names its inner kind after its own: look for it first.
  for (const char *known : {"global", "window", "sliding", "causal"})
    if (std::string(c.mask).find(known) != std::string::npos) {
      kind = known;
      break;
    }
  return std::to_string(info.index) + "_" + kind + "_d" +
         std::to_string(c.headDim) + (c.f16 ? "_f16" : "") +
         (std::string(c.target) == "lavapipe" ? "" : std::string("_") + c.target);
}

INSTANTIATE_TEST_SUITE_P(Variants, AttentionKernelTest,
                         ::testing::ValuesIn(kAttentionCases),
                         attentionCaseName);

/// The cases above with f16 storage, one or more per mask kind: none (with
/// cross lengths and a bias), causal with GQA and a fully masked row,
/// causal with past keys, sliding, dilated, global, window with shift and
/// its relative bias, ALiBi, head dims 64, 128 and 30 (scalar loads), and
/// the vec4 epilogue.
std::vector<AttentionCase> f16AttentionCases() {
  std::vector<AttentionCase> cases;
  for (size_t index : {1, 3, 4, 5, 7, 8, 10, 13, 14, 17, 18, 21, 22, 23}) {
    AttentionCase c = kAttentionCases[index];
    c.f16 = true;
    cases.push_back(c);
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(F16Storage, AttentionKernelTest,
                         ::testing::ValuesIn(f16AttentionCases()),
                         attentionCaseName);

/// GPU profiles whose register budget holds less than one query row split
/// the head dims over a group of invocations that sum their partial scores
/// through subgroup shuffles (select-tile-configs.mlir has the rule):
/// groups of 2 (nvidia and intel at D = 128, mali at 64), 4 (mali at 128,
/// adreno at 96) and 8 (mali at 256: lavapipe's whole subgroup), slices of
/// 35 (scalar loads) and 24 (f16, eight per load); every mask kind. Run
/// here on lavapipe, whose subgroups of 8 hold every such group.
std::vector<AttentionCase> splitHeadDimAttentionCases() {
  auto on = [](AttentionCase c, const char *target, bool f16 = false) {
    c.target = target;
    c.f16 = f16;
    return c;
  };
  return {
      // GQA, causal, a fully masked row
      on({4, 2, 37, 37, 128, "#tessera.mask<causal>", true, false},
         "nvidia"),
      on({4, 2, 37, 37, 128, "#tessera.mask<causal>", true, false}, "nvidia",
         true),
      // cross lengths, bias, the residual epilogue
      on({2, 2, 5, 29, 64, "", false, true, false, false, true}, "mali"),
      on({2, 2, 41, 41, 128,
          "#tessera.mask<sliding, left = 6, right = 6, dilation = 2>", true,
          false},
         "mali"),
      on({1, 1, 19, 19, 256, "", false, false}, "mali"),
      on({2, 2, 33, 33, 128,
          "#tessera.mask<global, tokens = [0, 7], inner = <sliding, left = "
          "2, right = 2>>",
          true, false},
         "intel"),
      on({2, 2, 36, 36, 96, "#tessera.mask<window, grid = [6, 6], size = 3, "
                            "shift = 1>",
          false, true, false, true},
         "adreno"),
      on({2, 2, 36, 36, 96, "#tessera.mask<window, grid = [6, 6], size = 3, "
                            "shift = 1>",
          false, true, false, true},
         "adreno", true),
      // ALiBi, decoding with past keys; slices of 35: scalar loads
      on({2, 2, 3, 25, 70, "#tessera.mask<causal>", false, false, true},
         "intel"),
  };
}

INSTANTIATE_TEST_SUITE_P(SplitHeadDim, AttentionKernelTest,
                         ::testing::ValuesIn(splitHeadDimAttentionCases()),
                         attentionCaseName);

/// Rows that see no key compute what the source graph gives them, from the
/// fills the op records (mask classification sets them; the model tests
/// hold whole exports to PyTorch): Hugging Face's finfo.min (a uniform
/// average), -inf (NaN, as PyTorch and ONNX Runtime), an old -10000 (a
/// softmax of the raw scores), a key hidden by both masks (their fills
/// add: -inf, so it drops out), one term for both (shared_fill), more
/// queries than keys under a causal mask, a dense bias of finfo.min; with
/// f16 storage and with the head dims split over invocations.
std::vector<AttentionCase> fullyMaskedRowCases() {
  constexpr float kMin = -std::numeric_limits<float>::max();
  constexpr float kInf = std::numeric_limits<float>::infinity();
  auto with = [](AttentionCase c, std::optional<float> maskFill,
                 std::optional<float> paddingFill, bool padAll) {
    c.maskFill = maskFill;
    c.paddingFill = paddingFill;
    c.padAll = padAll;
    return c;
  };
  AttentionCase shared = with({2, 2, 17, 17, 32, "#tessera.mask<causal>", true,
                               false},
                              kMin, std::nullopt, false);
  shared.sharedFill = true;
  AttentionCase denseBias{2, 2, 9, 21, 16, "", false, true};
  denseBias.biasHidesRow = true;
  AttentionCase split = with({2, 2, 21, 21, 128, "", true, false},
                             std::nullopt, kMin, true);
  split.target = "nvidia";
  AttentionCase f16 = with({2, 2, 19, 19, 64, "#tessera.mask<causal>", true,
                            false},
                           kMin, kMin, false);
  f16.f16 = true;
  return {
      with({2, 2, 19, 19, 64, "", true, false}, std::nullopt, kMin, true),
      with({2, 2, 19, 19, 32, "", true, false}, std::nullopt, -kInf, true),
      with({2, 2, 19, 19, 32, "", true, true}, std::nullopt, -1e4f, true),
      with({2, 2, 19, 19, 64, "#tessera.mask<causal>", true, false}, kMin,
           kMin, false),
      shared,
      with({2, 2, 20, 12, 16, "#tessera.mask<causal>", false, false}, kMin,
           std::nullopt, false),
      denseBias,
      split,
      f16,
  };
}

INSTANTIATE_TEST_SUITE_P(FullyMaskedRows, AttentionKernelTest,
                         ::testing::ValuesIn(fullyMaskedRowCases()),
                         attentionCaseName);

TEST_F(KernelTest, RefusesAHeadDimSplitWiderThanTheDeviceSubgroup) {
  // Mali's budget of 64 registers splits a head dim of 512 over 16
  // invocations, which must share a subgroup: a device with narrower
  // subgroups (lavapipe: 8) refuses the binary at load time, naming why.
  tessera_device_info info{};
  ASSERT_EQ(tessera_instance_device_info(instance, device, &info), TESSERA_OK);
  if (info.subgroup_size >= 16)
    GTEST_SKIP() << info.name << " has subgroups of " << info.subgroup_size;
  std::string t = "tensor<1x1x4x512xf32>";
  std::string path = compileToFile(
      "func.func @f(%q: " + t + ") -> " + t + " {\n" +
          "  %0 = tessera.attention %q, %q, %q : (" + t + ", " + t + ", " + t +
          ") -> " + t + "\n  return %0 : " + t + "\n}\n",
      0, "mali");
  ASSERT_FALSE(path.empty());
  tessera_program program = nullptr;
  EXPECT_EQ(tessera_program_load(instance, path.c_str(), device, &program),
            TESSERA_ERROR_UNSUPPORTED);
  EXPECT_EQ(program, nullptr);
  std::string error = tessera_last_error();
  EXPECT_NE(error.find("lacks subgroups of at least 16 invocations (it has " +
                       std::to_string(info.subgroup_size) + ")"),
            std::string::npos)
      << error;
}

} // namespace

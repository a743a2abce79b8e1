//===- RowReductionKernelTest.cpp - Row reductions ------------------------===//
//
// Softmax and layer norm (with a residual prologue) against a C++ reference.
//
//===----------------------------------------------------------------------===//

#include "KernelTestFixture.h"

using namespace tessera_test;

namespace {

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
                                           std::pair<int64_t, int64_t>{2, 1000},
                                           // Longer than the registers
                                           // hold: passes over memory.
                                           std::pair<int64_t, int64_t>{2,
                                                                       3000}));

/// A shape, and whether the norm is the RMS one.
class LayerNormKernelTest : public KernelTest,
                            public ::testing::WithParamInterface<
                                std::tuple<std::vector<int64_t>, bool>> {};

TEST_P(LayerNormKernelTest, WithResidualPrologueMatchesReference) {
  // layer_norm(x + r) over the last dimension, with scale and bias; with
  // {rms}, no mean subtracted.
  auto [shape, rms] = GetParam();
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
      std::to_string(axis) + ", epsilon = 1.0e-5" + (rms ? " {rms}" : "") +
      " : (" + type(shape) + ", " + type(vec) + ", " + type(vec) + ") -> " +
      type(shape) + "\n  return %1 : " + type(shape) + "\n}\n";
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
    for (int64_t j = 0; j < cols && !rms; ++j)
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

INSTANTIATE_TEST_SUITE_P(
    Shapes, LayerNormKernelTest,
    ::testing::Combine(::testing::Values(std::vector<int64_t>{4, 8},
                                         std::vector<int64_t>{2, 3, 256},
                                         std::vector<int64_t>{3, 1000},
                                         std::vector<int64_t>{2, 2500}),
                       ::testing::Bool()));

} // namespace

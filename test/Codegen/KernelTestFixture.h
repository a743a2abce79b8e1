//===- KernelTestFixture.h - Running generated kernels in tests -*- C++ -*-===//
//
// The fixture every kernel test shares: compiles a function of the tessera
// dialect through every phase in-process, runs it on the default device
// (lavapipe here) with the validation layer on, and compares its output with
// a plain double-precision C++ reference:
//   |got - want| <= 1e-4 * max(1, |want|)
// for f32 storage; with f16 storage (inputs rounded to f16 before the
// reference sees them, arithmetic in f32, the output rounded to f16) the
// bound is 1e-2 * max(1, |want|).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_TEST_CODEGEN_KERNELTESTFIXTURE_H
#define TESSERA_TEST_CODEGEN_KERNELTESTFIXTURE_H

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

namespace tessera_test {

using namespace mlir;
using namespace mlir::tessera;

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

inline std::vector<float> randomValues(size_t count, unsigned seed,
                                       float scale = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(count);
  for (float &v : values)
    v = normal(rng);
  return values;
}

inline size_t product(const std::vector<int64_t> &shape) {
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
    return compileToFile(mlir, options);
  }
  std::string compileToFile(const std::string &mlir,
                            const PipelineOptions &options) {
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
  tessera_program compile(const std::string &mlir, int64_t maxBindingBytes = 0,
                          const std::string &target = "lavapipe") {
    PipelineOptions options;
    options.maxBindingBytes = maxBindingBytes;
    options.target = target;
    return compile(mlir, options);
  }
  tessera_program compile(const std::string &mlir,
                          const PipelineOptions &options) {
    std::string path = compileToFile(mlir, options);
    if (path.empty())
      return nullptr;
    tessera_program program = nullptr;
    EXPECT_EQ(tessera_program_load(instance, path.c_str(), device, &program),
              TESSERA_OK)
        << tessera_last_error();
    return program;
  }

  /// Runs `program` and returns output 0's values, of any element type
  /// (f16 widened, integers and booleans exact).
  std::vector<double> runValues(tessera_program program,
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
    std::vector<double> values;
    switch (output.element_type) {
    case TESSERA_F32: {
      const auto *data = static_cast<const float *>(output.data);
      values.assign(data, data + output.size / 4);
      break;
    }
    case TESSERA_F16:
      for (size_t i = 0; i < output.size / 2; ++i)
        values.push_back(
            tessera_f16_to_f32(static_cast<const uint16_t *>(output.data)[i]));
      break;
    case TESSERA_I32: {
      const auto *data = static_cast<const int32_t *>(output.data);
      values.assign(data, data + output.size / 4);
      break;
    }
    case TESSERA_BOOL: {
      const auto *data = static_cast<const unsigned char *>(output.data);
      values.assign(data, data + output.size);
      break;
    }
    }
    return values;
  }

  /// Runs `program` and returns output 0's float values (widened from f16
  /// when it is f16).
  std::vector<float> run(tessera_program program,
                         const std::vector<Tensor> &inputs) {
    std::vector<double> values = runValues(program, inputs);
    return std::vector<float>(values.begin(), values.end());
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

/// A dense_resource blob literal ("0x" + alignment + little-endian floats).
inline std::string blobOf(const std::vector<float> &values) {
  static const char *digits = "0123456789ABCDEF";
  std::string text = "0x04000000";
  const auto *bytes = reinterpret_cast<const unsigned char *>(values.data());
  for (size_t i = 0; i < values.size() * 4; ++i) {
    text += digits[bytes[i] >> 4];
    text += digits[bytes[i] & 15];
  }
  return text;
}

} // namespace tessera_test

#endif // TESSERA_TEST_CODEGEN_KERNELTESTFIXTURE_H

//===- ModelFuzzTest.cpp - The .tsr loader on damaged files ---------------===//
//
// Random corruption of a real .tsr file: the loader must either accept the
// file or refuse it with TESSERA_ERROR_INVALID_MODEL and a message; never
// crash or read out of bounds (test/fuzz runs the loader under ASan too).
// In the first test the checksums are re-signed after most mutations, so
// that the corruption reaches the FlatBuffer verifier and the reference
// checks behind them; the second holds the checksums to their promise.
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipelines/Pipeline.h"


#include "tessera/runtime.h"
#include "tessera/tsr_format.h"
#include "tessera/tsr_generated.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <unistd.h>

using namespace mlir;
using namespace mlir::tessera;

namespace {

std::vector<char> compileSmallModel() {
  const char *source = R"(
func.func @f(%x: tensor<?x8xf32> {tessera.name = "x", tessera.dims = ["rows", 8]},
             %w: tensor<8x8xf32> {tessera.name = "w"}) -> tensor<?x8xf32>
    attributes {tessera.dim_bounds = {rows = array<i64: 1, 16>}} {
  %0 = tessera.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %1 = tessera.softmax %0, axis = 1 : tensor<?x8xf32> -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
})";
  FailureOr<std::vector<char>> bytes = compileSource(source);
  return succeeded(bytes) ? *bytes : std::vector<char>();
}

/// Recomputes both checksums so that a mutation gets past them.
void resign(std::vector<char> &file) {
  if (file.size() >= ::tessera::tsr::kHeaderSize)
    ::tessera::tsr::sealFile(file.data(), file.size());
}

TEST(ModelFuzzTest, DamagedFilesAreRefusedCleanly) {
  std::vector<char> original = compileSmallModel();
  ASSERT_FALSE(original.empty());
  tessera_instance instance = nullptr;
  ASSERT_EQ(tessera_instance_create(nullptr, &instance), TESSERA_OK);
  std::string path =
      ::testing::TempDir() + "fuzz." + std::to_string(getpid()) + ".tsr";
  std::mt19937 rng(1234);
  int accepted = 0, refused = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::vector<char> file = original;
    int mutations = 1 + rng() % 4;
    for (int m = 0; m < mutations; ++m) {
      switch (rng() % 4) {
      case 0: // flip a byte anywhere
        file[rng() % file.size()] ^= static_cast<char>(1 + rng() % 255);
        break;
      case 1: // flip a byte of the FlatBuffer
        file[64 + rng() % std::min<size_t>(file.size() - 64, 4096)] ^=
            static_cast<char>(1 + rng() % 255);
        break;
      case 2: // truncate
        file.resize(rng() % file.size());
        break;
      case 3: // overwrite a 32-bit word with a large value
        if (file.size() > 72) {
          uint32_t value = rng();
          std::memcpy(&file[64 + (rng() % (file.size() - 68)) / 4 * 4], &value,
                      4);
        }
        break;
      }
    }
    if (rng() % 4 != 0)
      resign(file);
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(file.data(), static_cast<std::streamsize>(file.size()));
    tessera_program program = nullptr;
    tessera_status status = tessera_program_load(instance, path.c_str(),
                                                 TESSERA_NO_DEVICE, &program);
    if (status == TESSERA_OK) {
      ++accepted;
      // An accepted model can still be described without trouble.
      EXPECT_NE(std::string(tessera_program_describe(program)), "");
      tessera_program_destroy(program);
    } else {
      ++refused;
      ASSERT_EQ(status, TESSERA_ERROR_INVALID_MODEL) << tessera_last_error();
      ASSERT_NE(std::string(tessera_last_error()), "");
    }
  }
  tessera_instance_destroy(instance);
  EXPECT_GT(refused, 2000);
  std::printf("accepted %d, refused %d damaged files\n", accepted, refused);
}

/// A model whose weights (an 8x24 linear, a bias) live in the weights
/// section, so that flips reach every section of the file.
std::vector<char> compileModelWithWeights() {
  std::string weights = "[";
  for (int i = 0; i < 8; ++i) {
    weights += i ? ", [" : "[";
    for (int j = 0; j < 24; ++j)
      weights += (j ? ", " : "") + std::to_string((i * 24 + j) % 11 - 5) +
                 ".0";
    weights += "]";
  }
  weights += "]";
  std::string source = R"(
func.func @f(%x: tensor<?x24xf32> {tessera.name = "x", tessera.dims = ["rows", 24]})
    -> tensor<?x8xf32> attributes {tessera.dim_bounds = {rows = array<i64: 1, 16>}} {
  %w = tessera.constant dense<)" + weights + R"(> : tensor<8x24xf32>
  %0 = tessera.linear %x, %w : (tensor<?x24xf32>, tensor<8x24xf32>) -> tensor<?x8xf32>
  %1 = tessera.softmax %0, axis = 1 : tensor<?x8xf32> -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
})";
  FailureOr<std::vector<char>> bytes = compileSource(source);
  return succeeded(bytes) ? *bytes : std::vector<char>();
}

/// Loads `path` onto device `device` and runs it on `input`; the output's
/// bytes, or nothing when the runtime refuses the file.
std::optional<std::vector<char>> loadAndRun(tessera_instance instance,
                                            uint32_t device,
                                            const std::string &path,
                                            const std::vector<float> &input) {
  tessera_program program = nullptr;
  if (tessera_program_load(instance, path.c_str(), device, &program) !=
      TESSERA_OK)
    return std::nullopt;
  tessera_tensor x = {};
  x.name = "x";
  x.element_type = TESSERA_F32;
  x.rank = 2;
  x.shape[0] = 4;
  x.shape[1] = 24;
  x.data = input.data();
  x.size = input.size() * sizeof(float);
  std::optional<std::vector<char>> result;
  tessera_tensor y = {};
  if (tessera_program_run(program, &x, 1) == TESSERA_OK &&
      tessera_program_output(program, 0, &y) == TESSERA_OK) {
    const char *data = static_cast<const char *>(y.data);
    result = std::vector<char>(data, data + y.size);
  }
  tessera_program_destroy(program);
  return result;
}

// The binary checks itself: of 1000 files with one random byte flipped
// anywhere and 1000 truncated at a random length, none loads (and so none
// runs to an answer other than the intact file's), none crashes or hangs.
TEST(ModelFuzzTest, FlippedOrTruncatedFilesNeverRunToAnotherAnswer) {
  std::vector<char> original = compileModelWithWeights();
  ASSERT_FALSE(original.empty());
  tessera_instance instance = nullptr;
  ASSERT_EQ(tessera_instance_create(nullptr, &instance), TESSERA_OK);
  uint32_t device = 0;
  ASSERT_EQ(tessera_instance_select_device(instance, nullptr, &device),
            TESSERA_OK);
  std::string path =
      ::testing::TempDir() + "flip." + std::to_string(getpid()) + ".tsr";
  std::vector<float> input(4 * 24);
  for (size_t i = 0; i < input.size(); ++i)
    input[i] = static_cast<float>(i % 7) * 0.25f - 0.5f;
  auto write = [&](const std::vector<char> &file) {
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(file.data(), static_cast<std::streamsize>(file.size()));
  };
  write(original);
  std::optional<std::vector<char>> expected =
      loadAndRun(instance, device, path, input);
  ASSERT_TRUE(expected.has_value()) << tessera_last_error();

  std::mt19937 rng(20261206);
  int ranDifferently = 0, ran = 0;
  for (int iteration = 0; iteration < 2000; ++iteration) {
    std::vector<char> file = original;
    if (iteration < 1000)
      file[rng() % file.size()] ^= static_cast<char>(1 + rng() % 255);
    else
      file.resize(rng() % file.size());
    write(file);
    std::optional<std::vector<char>> output =
        loadAndRun(instance, device, path, input);
    if (!output) {
      ASSERT_NE(std::string(tessera_last_error()), "");
      continue;
    }
    ++ran;
    ranDifferently += *output != *expected;
  }
  tessera_instance_destroy(instance);
  std::remove(path.c_str());
  EXPECT_EQ(ranDifferently, 0);
  EXPECT_EQ(ran, 0) << "a damaged file loaded (its checksum matched)";
}

// A file whose checksums match but whose output is bound to the weight
// buffer: the runtime reads outputs (and writes inputs) in the arena, so
// such a binding would read past the arena where the weights section is
// the larger. The loader refuses it by name.
TEST(ModelFuzzTest, TensorsBoundToWeightsAreRefused) {
  std::vector<char> file = compileModelWithWeights();
  ASSERT_FALSE(file.empty());
  ::tessera::tsr::FileHeader header;
  std::memcpy(&header, file.data(), sizeof(header));
  auto *model = const_cast<::tessera::tsr::Model *>(
      ::tessera::tsr::GetModel(file.data() + header.model_offset));
  uint32_t weight = 0;
  while (weight < model->buffers()->size() &&
         model->buffers()->Get(weight)->kind() !=
             ::tessera::tsr::BufferKind::Weight)
    ++weight;
  ASSERT_LT(weight, model->buffers()->size());
  // The generated tables have no setters: the field is patched in place
  // (present, since the output's buffer is not buffer 0).
  auto *output = reinterpret_cast<flatbuffers::Table *>(
      const_cast<::tessera::tsr::TensorInfo *>(model->outputs()->Get(0)));
  uint8_t *field = output->GetAddressOf(::tessera::tsr::TensorInfo::VT_BUFFER);
  ASSERT_NE(field, nullptr);
  std::memcpy(field, &weight, 4);
  resign(file);

  std::string path = ::testing::TempDir() + "weight-output." +
                     std::to_string(getpid()) + ".tsr";
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(file.data(), static_cast<std::streamsize>(file.size()));
  tessera_instance instance = nullptr;
  ASSERT_EQ(tessera_instance_create(nullptr, &instance), TESSERA_OK);
  tessera_program program = nullptr;
  EXPECT_EQ(tessera_program_load(instance, path.c_str(), 0, &program),
            TESSERA_ERROR_INVALID_MODEL);
  EXPECT_NE(std::string(tessera_last_error())
                .find("is bound to a weight, not to a buffer of the arena"),
            std::string::npos)
      << tessera_last_error();
  tessera_instance_destroy(instance);
  std::remove(path.c_str());
}

/// Writes `file` and loads it; returns the load's status and error.
std::pair<tessera_status, std::string>
loadPatched(const std::vector<char> &file, const std::string &name) {
  std::string path =
      ::testing::TempDir() + name + "." + std::to_string(getpid()) + ".tsr";
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(file.data(), static_cast<std::streamsize>(file.size()));
  tessera_instance instance = nullptr;
  if (tessera_status created = tessera_instance_create(nullptr, &instance);
      created != TESSERA_OK)
    return {created, "no instance"};
  tessera_program program = nullptr;
  tessera_status status =
      tessera_program_load(instance, path.c_str(), 0, &program);
  std::string error = tessera_last_error();
  if (program)
    tessera_program_destroy(program);
  tessera_instance_destroy(instance);
  std::remove(path.c_str());
  return {status, error};
}

// A derived symbol (the positions of a strided window over a dynamic
// image) is computed by the runtime from the symbols before it, in order.
// A re-signed file whose definition names the symbol itself (a cycle the
// runtime would read before it is computed) or has a negative divisor is
// refused by name.
TEST(ModelFuzzTest, DerivedSymbolDefinitionsAreChecked) {
  const char *source = R"(
func.func @f(%x: tensor<1x1x?x4xf32> {tessera.name = "x", tessera.dims = [1, 1, "height", 4]})
    -> tensor<1x1x?x2xf32> attributes {tessera.dim_bounds = {height = array<i64: 3, 16>}} {
  %w = tessera.constant dense<1.0> : tensor<1x1x3x3xf32>
  %0 = tessera.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x1x?x4xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x?x2xf32>
  return %0 : tensor<1x1x?x2xf32>
})";
  FailureOr<std::vector<char>> compiled = compileSource(source);
  ASSERT_TRUE(succeeded(compiled));
  EXPECT_EQ(loadPatched(*compiled, "derived").first, TESSERA_OK);

  auto derivedSymbol = [](std::vector<char> &file) {
    ::tessera::tsr::FileHeader header;
    std::memcpy(&header, file.data(), sizeof(header));
    auto *model = const_cast<::tessera::tsr::Model *>(
        ::tessera::tsr::GetModel(file.data() + header.model_offset));
    for (const ::tessera::tsr::Symbol *symbol : *model->symbols())
      if (symbol->divisor() > 0)
        return const_cast<::tessera::tsr::Symbol *>(symbol);
    return static_cast<::tessera::tsr::Symbol *>(nullptr);
  };

  std::vector<char> cyclic = *compiled;
  ::tessera::tsr::Symbol *symbol = derivedSymbol(cyclic);
  ASSERT_NE(symbol, nullptr);
  // floor((1 + height) / 2): its one symbol, in the sum's second term.
  ASSERT_TRUE(symbol->numerator()->terms());
  auto *symbols = const_cast<flatbuffers::Vector<uint32_t> *>(
      symbol->numerator()->terms()->Get(0)->symbols());
  ASSERT_NE(symbols, nullptr);
  symbols->Mutate(0, 1); // the derived symbol is symbol 1
  resign(cyclic);
  auto [status, error] = loadPatched(cyclic, "derived-cycle");
  EXPECT_EQ(status, TESSERA_ERROR_INVALID_MODEL);
  EXPECT_NE(error.find("is defined by itself or a later symbol"),
            std::string::npos)
      << error;

  std::vector<char> negative = *compiled;
  symbol = derivedSymbol(negative);
  uint8_t *divisor =
      reinterpret_cast<flatbuffers::Table *>(symbol)->GetAddressOf(
          ::tessera::tsr::Symbol::VT_DIVISOR);
  ASSERT_NE(divisor, nullptr);
  int64_t minusTwo = -2;
  std::memcpy(divisor, &minusTwo, 8);
  resign(negative);
  std::tie(status, error) = loadPatched(negative, "derived-divisor");
  EXPECT_EQ(status, TESSERA_ERROR_INVALID_MODEL);
  EXPECT_NE(error.find("has an invalid definition"), std::string::npos)
      << error;
}

} // namespace

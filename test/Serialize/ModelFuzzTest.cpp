//===- ModelFuzzTest.cpp - The .tsr loader on damaged files ---------------===//
//
// Random corruption of a real .tsr file: the loader must either accept the
// file or refuse it with TESSERA_ERROR_INVALID_MODEL and a message; never
// crash or read out of bounds (run it under ASan/valgrind to be thorough).
// After each mutation the checksums are re-signed, so that the corruption
// reaches the FlatBuffer verifier and the reference checks behind them.
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipelines/Pipeline.h"


#include "tessera/runtime.h"
#include "tessera/tsr_format.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
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
  if (file.size() < ::tessera::tsr::kHeaderSize)
    return;
  ::tessera::tsr::FileHeader header;
  std::memcpy(&header, file.data(), sizeof(header));
  if (header.model_offset + header.model_size <= file.size())
    header.model_checksum = ::tessera::tsr::fnv1a(
        file.data() + header.model_offset, header.model_size);
  header.header_checksum = ::tessera::tsr::headerChecksum(header);
  std::memcpy(file.data(), &header, sizeof(header));
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

} // namespace

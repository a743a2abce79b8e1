//===- NpyFuzzer.cpp - libFuzzer: the .npy reader -------------------------===//

#include "npy.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tessera::npy::Array array;
  std::string error;
  if (tessera::npy::parse(reinterpret_cast<const char *>(data), size,
                          "fuzz.npy", array, error)) {
    // What the reader accepts, it describes consistently.
    size_t count = 1;
    for (int64_t dim : array.shape)
      count *= static_cast<size_t>(dim);
    size_t element = array.type == TESSERA_BOOL  ? 1
                     : array.type == TESSERA_F16 ? 2
                                                 : 4;
    if (array.data.size() != count * element)
      __builtin_trap();
  }
  return 0;
}

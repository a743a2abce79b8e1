//===- Quantization.cpp - tessera.dequantize's packing on the host --------===//

#include "dialects/tessera/IR/Quantization.h"

#include <cassert>

using namespace mlir::tessera;

std::vector<int32_t> mlir::tessera::packQuantized(llvm::ArrayRef<int8_t> values,
                                                  int64_t bits) {
  int64_t perWord = 32 / bits;
  assert(values.size() % perWord == 0 && "values do not fill whole words");
  uint32_t mask = (1u << bits) - 1;
  std::vector<int32_t> words(values.size() / perWord, 0);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t field = static_cast<uint32_t>(values[i]) & mask;
    words[i / perWord] =
        static_cast<int32_t>(static_cast<uint32_t>(words[i / perWord]) |
                             field << (bits * (i % perWord)));
  }
  return words;
}

int32_t mlir::tessera::unpackQuantized(int32_t word, int64_t lane,
                                       int64_t bits) {
  // The field to the top, then an arithmetic shift down brings the sign.
  uint32_t up = static_cast<uint32_t>(word) << (32 - bits * (lane + 1));
  return static_cast<int32_t>(up) >> (32 - bits);
}

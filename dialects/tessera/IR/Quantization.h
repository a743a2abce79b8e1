//===- Quantization.h - tessera.dequantize's packing on the host -*- C++
//-*-===//
//
// How tessera.dequantize packs its integers into 32-bit words: field `t` of
// a word holds the value of column `t`, the lowest bits first, as `bits`-bit
// two's complement. The quantizer and the importers pack with these; the
// kernels unpack the same way (KernelEmitter::unpackQuantized).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECT_IR_QUANTIZATION_H
#define TESSERA_DIALECT_IR_QUANTIZATION_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace mlir::tessera {

/// The least and greatest value a signed `bits`-bit field holds.
inline int32_t quantizedMin(int64_t bits) { return -(1 << (bits - 1)); }
inline int32_t quantizedMax(int64_t bits) { return (1 << (bits - 1)) - 1; }

/// `values` (each within [quantizedMin, quantizedMax]) packed 32 / bits to
/// a word; values.size() must be a multiple of 32 / bits.
std::vector<int32_t> packQuantized(llvm::ArrayRef<int8_t> values, int64_t bits);

/// Field `lane` of `word`.
int32_t unpackQuantized(int32_t word, int64_t lane, int64_t bits);

} // namespace mlir::tessera

#endif // TESSERA_DIALECT_IR_QUANTIZATION_H

//===- ShapeUtils.h - Shape helpers shared by Tessera ops -------*- C++ -*-===//
//
// Small shape computations used by shape inference, verifiers and folders.
// Dimensions use ShapedType::kDynamic for "unknown".
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECT_SHAPEUTILS_H
#define TESSERA_DIALECT_SHAPEUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace mlir::tessera {

/// Bytes per element in a buffer of a compiled model: 2 for f16, 4 for
/// every other element type (booleans are stored as i32). Memory planning
/// and the defaults that must fit a binding both size tensors by it.
inline uint64_t storedElementBytes(Type elementType) {
  return elementType.isF16() ? 2 : 4;
}

/// Broadcasts shapes with NumPy rules. Returns std::nullopt when two static
/// dimensions differ and neither is 1; `error` then names the dimensions.
std::optional<SmallVector<int64_t>>
broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes, std::string *error);

/// Whether two dimensions may be equal at run time.
inline bool dimsCompatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Formats a shape the way MLIR prints it, e.g. "2x?x64".
std::string formatShape(ArrayRef<int64_t> shape);

/// Calls `fn` with every multi-index of `shape` in row-major order.
void forEachIndex(ArrayRef<int64_t> shape,
                  function_ref<void(ArrayRef<int64_t>)> fn);

/// Row-major linear offset of `index` in `shape`.
int64_t linearize(ArrayRef<int64_t> index, ArrayRef<int64_t> shape);

} // namespace mlir::tessera

#endif // TESSERA_DIALECT_SHAPEUTILS_H

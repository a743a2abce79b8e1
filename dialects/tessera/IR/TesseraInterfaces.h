//===- TesseraInterfaces.h - Tessera op interfaces --------------*- C++ -*-===//

#ifndef TESSERA_DIALECT_TESSERAINTERFACES_H
#define TESSERA_DIALECT_TESSERAINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

namespace mlir::tessera {
/// The scalar type a tensor element type is computed in: kernels hold f16 as
/// f32; folding and interpretation keep every type as it is.
using ComputeTypeFn = llvm::function_ref<Type(Type)>;
} // namespace mlir::tessera

#include "dialects/tessera/IR/TesseraInterfaces.h.inc"

#endif // TESSERA_DIALECT_TESSERAINTERFACES_H

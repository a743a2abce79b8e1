//===- Passes.h - Tessera conversion passes ---------------------*- C++ -*-===//

#ifndef TESSERA_COMPILER_CONVERSION_PASSES_H
#define TESSERA_COMPILER_CONVERSION_PASSES_H

#include "mlir/Dialect/SPIRV/IR/SPIRVDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tessera {

#define GEN_PASS_DECL
#include "compiler/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/Conversion/Passes.h.inc"

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_CONVERSION_PASSES_H

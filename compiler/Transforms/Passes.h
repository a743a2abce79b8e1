//===- Passes.h - Tessera graph passes --------------------------*- C++ -*-===//

#ifndef TESSERA_COMPILER_TRANSFORMS_PASSES_H
#define TESSERA_COMPILER_TRANSFORMS_PASSES_H

#include "dialects/tessera/IR/TesseraDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tessera {

#define GEN_PASS_DECL
#include "compiler/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/Transforms/Passes.h.inc"

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_TRANSFORMS_PASSES_H

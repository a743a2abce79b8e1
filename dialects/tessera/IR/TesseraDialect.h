//===- TesseraDialect.h - Tessera dialect -----------------------*- C++ -*-===//

#ifndef TESSERA_DIALECT_TESSERADIALECT_H
#define TESSERA_DIALECT_TESSERADIALECT_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/Operation.h"

// The attributes come first: the dialect's discardable-attribute helpers
// name them.
#include "dialects/tessera/IR/TesseraEnums.h.inc"
#define GET_ATTRDEF_CLASSES
#include "dialects/tessera/IR/TesseraAttrs.h.inc"

#include "dialects/tessera/IR/TesseraDialect.h.inc"

#endif // TESSERA_DIALECT_TESSERADIALECT_H

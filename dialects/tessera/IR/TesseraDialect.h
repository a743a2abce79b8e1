//===- TesseraDialect.h - Tessera dialect -----------------------*- C++ -*-===//

#ifndef TESSERA_DIALECT_TESSERADIALECT_H
#define TESSERA_DIALECT_TESSERADIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/tessera/IR/TesseraDialect.h.inc"

#endif // TESSERA_DIALECT_TESSERADIALECT_H

//===- TesseraAttrs.h - Tessera attributes ----------------------*- C++ -*-===//

#ifndef TESSERA_DIALECT_TESSERAATTRS_H
#define TESSERA_DIALECT_TESSERAATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "dialects/tessera/IR/TesseraDialect.h"
#include "dialects/tessera/IR/TesseraEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/tessera/IR/TesseraAttrs.h.inc"

#endif // TESSERA_DIALECT_TESSERAATTRS_H

//===- TesseraAttrs.h - Tessera attributes ----------------------*- C++ -*-===//
//
// The attribute classes are declared with the dialect (TesseraDialect.h),
// whose discardable-attribute helpers name them.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECT_TESSERAATTRS_H
#define TESSERA_DIALECT_TESSERAATTRS_H

#include "dialects/tessera/IR/TesseraDialect.h"

#endif // TESSERA_DIALECT_TESSERAATTRS_H

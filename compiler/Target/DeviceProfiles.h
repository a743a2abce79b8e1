//===- DeviceProfiles.h - Built-in device profiles --------------*- C++ -*-===//
//
// The built-in `#tessera.target` profiles. They are data: tile-size selection
// and target checks read fields, never a profile's name.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_TARGET_DEVICEPROFILES_H
#define TESSERA_COMPILER_TARGET_DEVICEPROFILES_H

#include "dialects/tessera/IR/TesseraAttrs.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

namespace mlir::tessera {

/// Names of the built-in profiles, in the order `--help` lists them.
SmallVector<StringRef> getBuiltinProfileNames();

/// The built-in profile called `name`, or null when there is none.
TargetAttr lookupBuiltinProfile(MLIRContext *context, StringRef name);

/// The target of `module`: the `tessera.target` attribute on it, or null.
TargetAttr getModuleTarget(Operation *module);

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_TARGET_DEVICEPROFILES_H

//===- Version.h - What the compiler tools print for --version --*- C++ -*-===//
//
// Tessera's version, git revision and .tsr format (the runtime's C API says
// them, one place for every tool) and the MLIR the compiler was built with.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_TOOLS_VERSION_H
#define TESSERA_TOOLS_VERSION_H

#include "tessera/runtime.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::tessera {

/// "tessera-compile: Tessera 0.1.0 (git 0123456789ab), .tsr format 4,
/// MLIR 22.1.0".
inline void printToolVersion(llvm::raw_ostream &os, const char *tool) {
  os << tool << ": " << tessera_version_text() << ", MLIR "
     << LLVM_VERSION_STRING << "\n";
}

} // namespace mlir::tessera

#endif // TESSERA_TOOLS_VERSION_H

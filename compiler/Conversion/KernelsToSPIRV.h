//===- KernelsToSPIRV.h - gpu kernels to validated SPIR-V -------*- C++ -*-===//

#ifndef TESSERA_COMPILER_CONVERSION_KERNELSTOSPIRV_H
#define TESSERA_COMPILER_CONVERSION_KERNELSTOSPIRV_H

#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace mlir::tessera {

/// The name of the spirv.module that the gpu.module `kernel` lowers to.
inline std::string spirvModuleName(StringRef kernel) {
  return ("__spv__" + kernel).str();
}

/// Lowers every gpu.module of `module` to a spirv.module and erases the
/// gpu.modules (see the tessera-convert-kernels-to-spirv pass).
LogicalResult convertKernelsToSPIRV(ModuleOp module);

/// Serializes `kernel` and validates the words for Vulkan; on failure the
/// validator's message is reported on the module, naming it.
FailureOr<SmallVector<uint32_t>> serializeKernel(spirv::ModuleOp kernel);

/// What a lowered kernel needs of a device, read from its spirv.module:
/// the capabilities update-vce recorded and its workgroup variables.
struct KernelNeeds {
  bool subgroupArithmetic = false;
  bool subgroupShuffle = false;
  int64_t workgroupMemoryBytes = 0;
};
KernelNeeds readKernelNeeds(spirv::ModuleOp kernel);

/// SPIRV-Tools' disassembly of `words`.
std::string disassembleKernel(ArrayRef<uint32_t> words);

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_CONVERSION_KERNELSTOSPIRV_H

//===- Passes.td - Tessera conversion passes ---------------*- tablegen -*-===//

#ifndef TESSERA_COMPILER_CONVERSION_PASSES
#define TESSERA_COMPILER_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def TesseraConvertKernelsToSPIRV
    : Pass<"tessera-convert-kernels-to-spirv", "::mlir::ModuleOp"> {
  let summary = "Lower the kernels to SPIR-V, serialize and validate them";
  let description = [{
    Lowers every `gpu.module` with upstream MLIR's conversions
    (`convert-math-to-spirv`, `convert-gpu-to-spirv`, `spirv-lower-abi-attrs`,
    `spirv-update-vce`) for the module's `tessera.target` profile (SPIR-V 1.3,
    Vulkan; `math.erf` first becomes a polynomial, which Vulkan lacks), then
    serializes each `spirv.module` and validates it with SPIRV-Tools for
    Vulkan 1.1. A module that fails validation is an error naming the
    dispatch. The `gpu.module`s are replaced by their `spirv.module`s.
  }];
  let dependentDialects = ["::mlir::spirv::SPIRVDialect"];
}

#endif // TESSERA_COMPILER_CONVERSION_PASSES

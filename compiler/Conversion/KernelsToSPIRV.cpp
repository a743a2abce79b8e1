//===- KernelsToSPIRV.cpp - gpu kernels to validated SPIR-V ---------------===//

#include "compiler/Conversion/KernelsToSPIRV.h"
#include "compiler/Conversion/Passes.h"
#include "dialects/tessera/IR/TesseraDialect.h"

#include "mlir/Conversion/GPUToSPIRV/GPUToSPIRVPass.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVDialect.h"
#include "mlir/Dialect/SPIRV/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/SPIRV/Serialization.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSet.h"

#include <spirv-tools/libspirv.hpp>

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERACONVERTKERNELSTOSPIRV
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {
/// The upstream pipeline (docs/notes/mlir-to-spirv.md), built in code so
/// that nothing depends on the global pass registry.
void buildSPIRVPipeline(PassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // SPIR-V 1.3 is what Vulkan 1.1 consumes; subgroup arithmetic is for the
  // reductions, shuffles for attention rows split over invocations, 16-bit
  // storage and Float16 for f16 tensors (widened to f32 on load). A module
  // declares only the capabilities it uses (update-vce), and the binary's
  // needs say which features the device must have.
  GpuSPIRVAttachTargetOptions target;
  target.spirvVersion = "v1.3";
  target.spirvCapabilities = {"Shader", "GroupNonUniform",
                              "GroupNonUniformArithmetic",
                              "GroupNonUniformShuffle", "Float16",
                              "StorageBuffer16BitAccess"};
  target.spirvExtensions = {"SPV_KHR_16bit_storage"};
  target.clientApi = "Vulkan";
  target.deviceId = spirv::TargetEnvAttr::kUnknownDeviceID; // no default
  target.deviceVendor = "Unknown";
  target.deviceType = "Unknown";
  pm.addPass(createGpuSPIRVAttachTarget(target));
  pm.addPass(createConvertMathToSPIRVPass());
  pm.addPass(createConvertGPUToSPIRVPass());
  OpPassManager &kernel = pm.nest<spirv::ModuleOp>();
  kernel.addPass(spirv::createSPIRVLowerABIAttributesPass());
  kernel.addPass(spirv::createSPIRVUpdateVCEPass());
  kernel.addPass(createCanonicalizerPass());
  kernel.addPass(createCSEPass());
}
} // namespace

LogicalResult mlir::tessera::convertKernelsToSPIRV(ModuleOp module) {
  // Vulkan's GLSL extended instructions have no erf.
  RewritePatternSet patterns(module.getContext());
  populatePolynomialApproximateErfPattern(patterns);
  FrozenRewritePatternSet frozen(std::move(patterns));
  for (auto kernels : module.getOps<gpu::GPUModuleOp>())
    if (failed(applyPatternsGreedily(kernels, frozen)))
      return kernels.emitError("failed to expand math.erf");

  // Kernels whose loops must stay loops (KernelSignature::keepLoops), by
  // the name their SPIR-V module will have.
  llvm::StringSet<> keepLoops;
  for (auto kernels : module.getOps<gpu::GPUModuleOp>())
    if (TesseraDialect::KeepLoopsAttrHelper(kernels->getContext())
            .isAttrPresent(kernels))
      keepLoops.insert(spirvModuleName(kernels.getName()));

  PassManager pm(module.getContext());
  buildSPIRVPipeline(pm);
  if (failed(pm.run(module)))
    return failure();
  for (auto kernel : module.getOps<spirv::ModuleOp>())
    if (kernel.getSymName() && keepLoops.contains(*kernel.getSymName()))
      kernel.walk([](spirv::LoopOp loop) {
        loop.setLoopControl(spirv::LoopControl::DontUnroll);
      });
  for (auto kernels :
       llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>()))
    kernels.erase();
  return success();
}

FailureOr<SmallVector<uint32_t>>
mlir::tessera::serializeKernel(spirv::ModuleOp kernel) {
  SmallVector<uint32_t> words;
  if (failed(spirv::serialize(kernel, words)))
    return kernel.emitError("SPIR-V serialization failed");
  spvtools::SpirvTools tools(SPV_ENV_VULKAN_1_1);
  std::string messages;
  tools.SetMessageConsumer([&](spv_message_level_t, const char *,
                               const spv_position_t &position,
                               const char *message) {
    messages +=
        "  word " + std::to_string(position.index) + ": " + message + "\n";
  });
  if (!tools.Validate(words.data(), words.size()))
    return kernel.emitError()
           << "SPIR-V of '" << kernel.getSymName().value_or("kernel")
           << "' failed validation (spirv-val, Vulkan 1.1):\n"
           << messages;
  return words;
}

std::string mlir::tessera::disassembleKernel(ArrayRef<uint32_t> words) {
  spvtools::SpirvTools tools(SPV_ENV_VULKAN_1_1);
  std::string text;
  if (!tools.Disassemble(words.data(), words.size(), &text,
                         SPV_BINARY_TO_TEXT_OPTION_FRIENDLY_NAMES |
                             SPV_BINARY_TO_TEXT_OPTION_INDENT))
    return "; disassembly failed\n";
  return text;
}

namespace {

struct ConvertKernelsToSPIRVPass
    : public tessera::impl::TesseraConvertKernelsToSPIRVBase<
          ConvertKernelsToSPIRVPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(convertKernelsToSPIRV(module)))
      return signalPassFailure();
    for (auto kernel : module.getOps<spirv::ModuleOp>())
      if (failed(serializeKernel(kernel)))
        return signalPassFailure();
  }
};

} // namespace

/// Bytes of a workgroup variable's type. SPIR-V gives Workgroup structs no
/// layout, so getSizeInBytes() cannot answer; members are packed as the
/// lowering declares them (arrays of scalars).
static int64_t workgroupBytes(Type type) {
  if (auto array = dyn_cast<spirv::ArrayType>(type))
    return array.getNumElements() * workgroupBytes(array.getElementType());
  if (auto structure = dyn_cast<spirv::StructType>(type)) {
    int64_t bytes = 0;
    for (Type member : structure.getElementTypes())
      bytes += workgroupBytes(member);
    return bytes;
  }
  if (auto vector = dyn_cast<VectorType>(type))
    return vector.getNumElements() * workgroupBytes(vector.getElementType());
  return type.getIntOrFloatBitWidth() / 8;
}

KernelNeeds mlir::tessera::readKernelNeeds(spirv::ModuleOp kernel) {
  KernelNeeds needs;
  if (std::optional<spirv::VerCapExtAttr> vce = kernel.getVceTriple()) {
    for (spirv::Capability capability : vce->getCapabilities()) {
      needs.subgroupArithmetic |=
          capability == spirv::Capability::GroupNonUniformArithmetic;
      needs.subgroupShuffle |=
          capability == spirv::Capability::GroupNonUniformShuffle;
    }
  }
  kernel.walk([&](spirv::GlobalVariableOp variable) {
    auto pointer = cast<spirv::PointerType>(variable.getType());
    if (pointer.getStorageClass() != spirv::StorageClass::Workgroup)
      return;
    needs.workgroupMemoryBytes += workgroupBytes(pointer.getPointeeType());
  });
  return needs;
}

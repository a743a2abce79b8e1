//===- kernel_check.h - A kernel's SPIR-V, checked before the driver -*- C++ -*-===//
//
// A .tsr file is untrusted input, and a driver's shader compiler is not
// written for hostile SPIR-V (one flipped byte crashed lavapipe inside LLVM).
// Before a kernel reaches vkCreateShaderModule it passes SPIRV-Tools'
// validator under the Vulkan 1.1 rules the compiler validated it with, and
// a check of the interface the runtime gives it: a GLCompute entry point of
// the kernel's name, storage buffers only in descriptor set 0 at bindings
// the pipeline layout has, no push constants, a workgroup size within the
// device's limits.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_KERNEL_CHECK_H
#define TESSERA_RUNTIME_KERNEL_CHECK_H

#include "status.h"

#include "tessera/tsr_generated.h"

#include <vulkan/vulkan.h>

#include <memory>
#include <string>

namespace tessera::runtime {

/// What a kernel's SPIR-V holds that sets its compile time on drivers
/// like lavapipe's (docs/architecture.md, "What a first run costs").
struct KernelShape {
  uint32_t barriers = 0; // OpControlBarrier
  uint32_t loops = 0;    // OpLoopMerge: structured loops
};
/// Counts them in `count` words of SPIR-V (malformed input stops the
/// count; the checker reports it).
KernelShape describeKernel(const uint32_t *words, size_t count);

class KernelChecker {
public:
  KernelChecker(const VkPhysicalDeviceLimits &limits, std::string modelName);
  ~KernelChecker();

  /// Checks kernel `index` of the model; the message names the model, the
  /// kernel and what is wrong.
  Status check(const tsr::Executable &executable, uint32_t index) const;

private:
  struct Validator;
  std::unique_ptr<Validator> validator_;
  VkPhysicalDeviceLimits limits_;
  std::string modelName_;
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_KERNEL_CHECK_H

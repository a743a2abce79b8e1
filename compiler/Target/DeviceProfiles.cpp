//===- DeviceProfiles.cpp - Built-in device profiles ----------------------===//
//
// Values are what the devices' Vulkan drivers report (vulkaninfo /
// gpuinfo.org) for a representative recent part of each family; where parts
// differ, the smaller value is taken so that code compiled for the family
// runs on all of it. `generic` is Vulkan's required minimum: it runs
// anywhere.
//
//===----------------------------------------------------------------------===//

#include "compiler/Target/DeviceProfiles.h"

#include "dialects/tessera/IR/TesseraDialect.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::tessera;

namespace {

struct ProfileSpec {
  const char *name;
  int64_t subgroupSize;
  int64_t maxSharedMemory;
  int64_t maxWorkgroupInvocations;
  int64_t maxPushConstantsSize;
  int64_t maxStorageBufferRange;
  bool fp16;
  bool int8;
  int64_t registerBudget;
  int64_t parallelWorkgroups;
};

constexpr int64_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

// clang-format off
constexpr ProfileSpec kProfiles[] = {
  // The register budget is 32-bit values per invocation: the hardware's
  // registers per thread where the vendor documents them; for lavapipe, the
  // value measured fastest (docs/benchmarks.md: 4 attention rows at head
  // dim 64, whose spills are contiguous stack accesses). Parallel
  // workgroups: SMs / compute units of a mid-range part. Lavapipe runs a
  // workgroup's invocations on one CPU thread, so splitting K over them
  // adds no parallelism: measured slower there (docs/benchmarks.md,
  // decoding), 1 keeps it off.
  // name        subgroup shared     invocations push  storage range   fp16   int8   registers parallel
  // Mesa llvmpipe 22.x (the CPU device): docs/notes/mlir-to-spirv.md.
  {"lavapipe",   8,       32 * KiB,  1024,       128,  128 * MiB,      true,  true,  512,      1},
  // NVIDIA Turing and later (proprietary driver).
  {"nvidia",     32,      48 * KiB,  1024,       256,  4 * GiB - 1,    true,  true,  255,      64},
  // AMD RDNA (RADV / AMDVLK report wave64 by default).
  {"amd",        64,      64 * KiB,  1024,       128,  4 * GiB - 1,    true,  true,  256,      32},
  // Intel Xe (ANV).
  {"intel",      32,      64 * KiB,  1024,       128,  1 * GiB,        true,  true,  128,      32},
  // Arm Mali Valhall.
  {"mali",       16,      32 * KiB,  512,        128,  128 * MiB,      true,  true,  64,       8},
  // Qualcomm Adreno 6xx/7xx.
  {"adreno",     64,      32 * KiB,  1024,       128,  128 * MiB,      true,  false, 64,       4},
  // Vulkan 1.1's required minimums: no subgroup width assumed beyond 1.
  {"generic",    1,       16 * KiB,  128,        128,  128 * MiB,      false, false, 64,       1},
};
// clang-format on

} // namespace

SmallVector<StringRef> mlir::tessera::getBuiltinProfileNames() {
  SmallVector<StringRef> names;
  for (const ProfileSpec &spec : kProfiles)
    names.push_back(spec.name);
  return names;
}

TargetAttr mlir::tessera::lookupBuiltinProfile(MLIRContext *context,
                                               StringRef name) {
  for (const ProfileSpec &spec : kProfiles) {
    if (name != spec.name)
      continue;
    Builder builder(context);
    return TargetAttr::get(
        context, spec.name, spec.subgroupSize, spec.maxSharedMemory,
        spec.maxWorkgroupInvocations, spec.maxPushConstantsSize,
        spec.maxStorageBufferRange, builder.getBoolAttr(spec.fp16),
        builder.getBoolAttr(spec.int8), spec.registerBudget,
        spec.parallelWorkgroups);
  }
  return nullptr;
}

TargetAttr mlir::tessera::getModuleTarget(Operation *module) {
  return TesseraDialect::TargetAttrHelper(module->getContext()).getAttr(module);
}

// The built-in device profiles, as tessera-verify-target resolves them.
// RUN: tessera-opt %s -tessera-verify-target=target=lavapipe | FileCheck %s --check-prefix=LAVAPIPE
// RUN: tessera-opt %s -tessera-verify-target=target=nvidia | FileCheck %s --check-prefix=NVIDIA
// RUN: tessera-opt %s -tessera-verify-target=target=amd | FileCheck %s --check-prefix=AMD
// RUN: tessera-opt %s -tessera-verify-target=target=intel | FileCheck %s --check-prefix=INTEL
// RUN: tessera-opt %s -tessera-verify-target=target=mali | FileCheck %s --check-prefix=MALI
// RUN: tessera-opt %s -tessera-verify-target=target=adreno | FileCheck %s --check-prefix=ADRENO
// RUN: tessera-opt %s -tessera-verify-target=target=generic | FileCheck %s --check-prefix=GENERIC

// LAVAPIPE: #tessera.target<name = "lavapipe", subgroup_size = 8, max_shared_memory = 32768, max_workgroup_invocations = 1024, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = true, int8 = true, register_budget = 512>
// NVIDIA: #tessera.target<name = "nvidia", subgroup_size = 32, max_shared_memory = 49152, max_workgroup_invocations = 1024, max_push_constants_size = 256, max_storage_buffer_range = 4294967295, fp16 = true, int8 = true, register_budget = 255, parallel_workgroups = 64>
// AMD: #tessera.target<name = "amd", subgroup_size = 64, max_shared_memory = 65536, max_workgroup_invocations = 1024, max_push_constants_size = 128, max_storage_buffer_range = 4294967295, fp16 = true, int8 = true, register_budget = 256, parallel_workgroups = 32>
// INTEL: #tessera.target<name = "intel", subgroup_size = 32, max_shared_memory = 65536, max_workgroup_invocations = 1024, max_push_constants_size = 128, max_storage_buffer_range = 1073741824, fp16 = true, int8 = true, register_budget = 128, parallel_workgroups = 32>
// MALI: #tessera.target<name = "mali", subgroup_size = 16, max_shared_memory = 32768, max_workgroup_invocations = 512, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = true, int8 = true, parallel_workgroups = 8>
// ADRENO: #tessera.target<name = "adreno", subgroup_size = 64, max_shared_memory = 32768, max_workgroup_invocations = 1024, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = true, int8 = false, parallel_workgroups = 4>
// GENERIC: #tessera.target<name = "generic", subgroup_size = 1, max_shared_memory = 16384, max_workgroup_invocations = 128, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = false, int8 = false>
module {
}

// Errors of tessera-verify-target that do not depend on the chosen profile,
// and its use of the module's own tessera.target attribute.
// RUN: tessera-opt %s -split-input-file -verify-diagnostics -tessera-verify-target

// expected-error @+1 {{no target profile: pass the pass option 'target=<name>' or set the module attribute 'tessera.target'}}
module {
}

// -----

// The module's own profile is used when no option names one.
module attributes {tessera.target = #tessera.target<name = "tiny", subgroup_size = 4, max_shared_memory = 16384, max_workgroup_invocations = 128, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = false, int8 = false>} {
  // expected-error @+2 {{'func.func' op needs 16-bit float support (shaderFloat16), which target 'tiny' lacks}}
  // expected-note @+1 {{1 more op(s) in the module need it too}}
  func.func @f16(%x: tensor<4xf16>) -> tensor<4xf16> {
    return %x : tensor<4xf16>
  }
}

// -----

// bf16 runs on no Vulkan target; one error per element type, with a count.
module attributes {tessera.target = #tessera.target<name = "big", subgroup_size = 32, max_shared_memory = 49152, max_workgroup_invocations = 1024, max_push_constants_size = 256, max_storage_buffer_range = 4294967295, fp16 = true, int8 = true>} {
  // expected-error @+2 {{'func.func' op uses 'bf16' tensors, which no Vulkan target of Tessera runs; convert the model to f32 or f16}}
  // expected-note @+1 {{2 more op(s) in the module use it too}}
  func.func @bf16(%x: tensor<4xbf16>) -> tensor<4xbf16> {
    %0 = tessera.exp %x : tensor<4xbf16>
    return %0 : tensor<4xbf16>
  }
}

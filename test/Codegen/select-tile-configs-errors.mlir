// RUN: tessera-opt %s -split-input-file -verify-diagnostics -tessera-form-dispatches -tessera-select-tile-configs

// expected-error @+1 {{no target profile on the module; run tessera-verify-target first}}
module {
  func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
    %0 = tessera.exp %x : tensor<4xf32>
    return %0 : tensor<4xf32>
  }
}

// -----

module attributes {tessera.target = #tessera.target<name = "lavapipe", subgroup_size = 8, max_shared_memory = 32768, max_workgroup_invocations = 1024, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = true, int8 = true>} {
  func.func @reduce(%t: tensor<100x8xf32>) -> tensor<100xf32> {
    // expected-error @+1 {{'tessera.reduce_sum' op has no kernel builder yet}}
    %0 = tessera.reduce_sum %t, [1] : tensor<100x8xf32> -> tensor<100xf32>
    return %0 : tensor<100xf32>
  }
}

// Round trip of every #tessera.mask variant and of #tessera.target.
// RUN: tessera-opt %s -split-input-file -allow-unregistered-dialect | tessera-opt -split-input-file -allow-unregistered-dialect | FileCheck %s

// CHECK-LABEL: func @masks
func.func @masks() {
  // CHECK: mask = #tessera.mask<none>
  "test.op"() {mask = #tessera.mask<none>} : () -> ()
  // CHECK: mask = #tessera.mask<causal>
  "test.op"() {mask = #tessera.mask<causal>} : () -> ()
  // CHECK: mask = #tessera.mask<sliding, left = 256, right = 256>
  "test.op"() {mask = #tessera.mask<sliding, left = 256, right = 256>} : () -> ()
  // The default dilation (1) is elided.
  // CHECK: mask = #tessera.mask<sliding, left = 4, right = 0>
  "test.op"() {mask = #tessera.mask<sliding, left = 4, right = 0, dilation = 1>} : () -> ()
  // CHECK: mask = #tessera.mask<sliding, left = 256, right = 256, dilation = 2>
  "test.op"() {mask = #tessera.mask<sliding, left = 256, right = 256, dilation = 2>} : () -> ()
  // Struct parameters may come in any order.
  // CHECK: mask = #tessera.mask<sliding, left = 3, right = 5>
  "test.op"() {mask = #tessera.mask<sliding, right = 5, left = 3>} : () -> ()
  // CHECK: mask = #tessera.mask<global, tokens = [0, 7], inner = <sliding, left = 2, right = 2>>
  "test.op"() {mask = #tessera.mask<global, tokens = [0, 7], inner = #tessera.mask<sliding, left = 2, right = 2>>} : () -> ()
  // CHECK: mask = #tessera.mask<global, tokens = [0], inner = <sliding, left = 8, right = 8, dilation = 2>>
  "test.op"() {mask = #tessera.mask<global, tokens = [0], inner = <sliding, left = 8, right = 8, dilation = 2>>} : () -> ()
  // CHECK: mask = #tessera.mask<global, tokens = [3], inner = <causal>>
  "test.op"() {mask = #tessera.mask<global, tokens = [3], inner = <causal>>} : () -> ()
  // CHECK: mask = #tessera.mask<window, grid = [56, 56], size = 7>
  "test.op"() {mask = #tessera.mask<window, grid = [56, 56], size = 7>} : () -> ()
  // CHECK: mask = #tessera.mask<window, grid = [56, 56], size = 7, shift = 3>
  "test.op"() {mask = #tessera.mask<window, grid = [56, 56], size = 7, shift = 3>} : () -> ()
  // CHECK: mask = #tessera.mask<prefix, length = 32>
  "test.op"() {mask = #tessera.mask<prefix, length = 32>} : () -> ()
  return
}

// -----

// CHECK: module attributes {tessera.target = #tessera.target<name = "lavapipe", subgroup_size = 8, max_shared_memory = 32768, max_workgroup_invocations = 1024, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = true, int8 = true>}
module attributes {tessera.target = #tessera.target<name = "lavapipe", subgroup_size = 8, max_shared_memory = 32768, max_workgroup_invocations = 1024, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = true, int8 = true>} {
}

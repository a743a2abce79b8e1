// Each dispatch's kernel becomes its own validated spirv.module; erf becomes
// a polynomial (Vulkan's GLSL.std.450 has none).
// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=lavapipe -tessera-form-dispatches -tessera-select-tile-configs -tessera-build-kernels -tessera-convert-kernels-to-spirv | FileCheck %s
// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=mali -tessera-form-dispatches -tessera-select-tile-configs -tessera-build-kernels -tessera-convert-kernels-to-spirv | FileCheck %s --check-prefix=MALI

// GELU and exp are the softmax's prologue: one dispatch, one module.
// CHECK-NOT: gpu.module
// CHECK: spirv.module @__spv__dispatch_0 Logical GLSL450 requires #spirv.vce<v1.3
// CHECK: spirv.func @dispatch_0
// CHECK-NOT: Erf
// CHECK: spirv.GroupNonUniformFMax <Subgroup> <Reduce>
// CHECK: spirv.GroupNonUniformFAdd <Subgroup> <Reduce>
// CHECK: spirv.EntryPoint "GLCompute" @dispatch_0
// CHECK: spirv.ExecutionMode @dispatch_0 "LocalSize", 16, 1, 1
// CHECK: spirv.module @__spv__dispatch_1
// CHECK: spirv.ExecutionMode @dispatch_1 "LocalSize", 8, 1, 1
// CHECK-NOT: spirv.module
func.func @f(%x: tensor<8x16xf32>, %w: tensor<4x16xf32>) -> tensor<8x4xf32> {
  %0 = tessera.gelu %x : tensor<8x16xf32>
  %1 = tessera.exp %0 : tensor<8x16xf32>
  %2 = tessera.softmax %1, axis = 1 : tensor<8x16xf32> -> tensor<8x16xf32>
  %3 = tessera.linear %2, %w : (tensor<8x16xf32>, tensor<4x16xf32>) -> tensor<8x4xf32>
  return %3 : tensor<8x4xf32>
}

// -----

// A kernel marked tessera.keep_loops (attention) gets DontUnroll on every
// loop; others leave unrolling to the driver. Mali splits this attention's
// rows over pairs of invocations: their partial scores meet through a
// subgroup shuffle.
// CHECK-LABEL: func.func @attention_then_linear
// CHECK: spirv.module @__spv__dispatch_0
// CHECK-NOT: spirv.GroupNonUniformShuffleXor
// CHECK: spirv.mlir.loop control(DontUnroll)
// CHECK-NOT: spirv.GroupNonUniformShuffleXor
// CHECK: spirv.module @__spv__dispatch_1
// CHECK: spirv.mlir.loop {
// CHECK-NOT: DontUnroll
// MALI-LABEL: func.func @attention_then_linear
// MALI: spirv.module @__spv__dispatch_0 Logical GLSL450 requires #spirv.vce<v1.3, [{{.*}}GroupNonUniformShuffle
// MALI: spirv.mlir.loop control(DontUnroll)
// MALI: spirv.GroupNonUniformShuffleXor <Subgroup>
func.func @attention_then_linear(%q: tensor<1x2x16x64xf32>, %w: tensor<8x64xf32>) -> tensor<1x2x16x8xf32> {
  %0 = tessera.attention %q, %q, %q : (tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>) -> tensor<1x2x16x64xf32>
  %1 = tessera.linear %0, %w : (tensor<1x2x16x64xf32>, tensor<8x64xf32>) -> tensor<1x2x16x8xf32>
  return %1 : tensor<1x2x16x8xf32>
}

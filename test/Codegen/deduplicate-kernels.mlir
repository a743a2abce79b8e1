// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=lavapipe -tessera-form-dispatches -tessera-select-tile-configs -tessera-build-kernels -tessera-deduplicate-kernels | FileCheck %s

// Two layers of the same shapes: their linears get one kernel, which both
// dispatches name; the relu of the second makes its kernel differ.
// CHECK-LABEL: module attributes
// CHECK: tessera.dispatch{{.*}}tessera.kernel = @dispatch_0::@dispatch_0
// CHECK: tessera.dispatch{{.*}}tessera.kernel = @dispatch_0::@dispatch_0
// CHECK: tessera.dispatch{{.*}}tessera.kernel = @dispatch_2::@dispatch_2
// CHECK: gpu.module @dispatch_0
// CHECK-NOT: gpu.module @dispatch_1
// CHECK: gpu.module @dispatch_2
// CHECK-NOT: gpu.module
func.func @layers(%x: tensor<?x64xf32> {tessera.dims = ["seq", 64]}, %w0: tensor<64x64xf32>, %w1: tensor<64x64xf32>, %w2: tensor<64x64xf32>, %b: tensor<64xf32>) -> tensor<?x64xf32> {
  %0 = tessera.linear %x, %w0, %b : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %1 = tessera.linear %0, %w1, %b : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %2 = tessera.linear %1, %w2, %b : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %3 = tessera.relu %2 : tensor<?x64xf32>
  return %3 : tensor<?x64xf32>
}

// -----

// Kernels that differ only in a static size stay apart.
// CHECK-LABEL: module attributes
// CHECK: gpu.module @dispatch_0
// CHECK: gpu.module @dispatch_1
func.func @sizes(%x: tensor<?x64xf32> {tessera.dims = ["seq", 64]}, %w0: tensor<128x64xf32>, %b0: tensor<128xf32>, %w1: tensor<64x128xf32>, %b1: tensor<64xf32>) -> tensor<?x64xf32> {
  %0 = tessera.linear %x, %w0, %b0 : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  %1 = tessera.linear %0, %w1, %b1 : (tensor<?x128xf32>, tensor<64x128xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %1 : tensor<?x64xf32>
}

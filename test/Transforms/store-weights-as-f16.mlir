// RUN: tessera-opt %s -split-input-file -tessera-store-weights-as-f16 | FileCheck %s
// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=lavapipe -tessera-store-weights-as-f16 -tessera-form-dispatches -tessera-select-tile-configs -tessera-build-kernels | FileCheck %s --check-prefix=KERNEL
// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=generic -tessera-store-weights-as-f16 -verify-diagnostics -o /dev/null

// A stored weight (more than 16 elements) becomes an f16 constant, rounded
// to nearest even (0.1 -> 0x2E66, 65504 = f16's largest, 0x7BFF), read
// through a widening cast. The kernel binds the f16 buffer itself (read as
// vec4 along K) and no dispatch copies it.
// CHECK-LABEL: func @stores_weight
// CHECK-NEXT: %[[W:.*]] = tessera.constant dense_resource<f16_weight> : tensor<5x4xf16>
// CHECK-NEXT: %[[C:.*]] = tessera.cast %[[W]] : tensor<5x4xf16> -> tensor<5x4xf32>
// CHECK-NEXT: tessera.linear %{{.*}}, %[[C]]
// CHECK: f16_weight: "0x02000000003C004000420044003800B8003400B4003C003C003C003C000000000000662EFF7B00C000420044"
// KERNEL-LABEL: func @stores_weight
// KERNEL-COUNT-1: tessera.dispatch
// KERNEL-NOT: tessera.dispatch
// KERNEL: gpu.func @dispatch_0(%{{.*}}: memref<?xi32>, %{{.*}}: memref<?xvector<4xf32>>, %{{.*}}: memref<?xvector<4xf16>>, %{{.*}}: memref<?xf32>)
// expected-error@below {{f16 weights need 16-bit float support, which target 'generic' lacks}}
func.func @stores_weight(%x: tensor<2x4xf32>) -> tensor<2x5xf32> {
  %w = tessera.constant dense<[[1.0, 2.0, 3.0, 4.0], [0.5, -0.5, 0.25, -0.25], [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.1], [65504.0, -2.0, 3.0, 4.0]]> : tensor<5x4xf32>
  %0 = tessera.linear %x, %w : (tensor<2x4xf32>, tensor<5x4xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// Kept f32: small constants (16 elements or fewer), splats, and a weight
// with a value beyond f16's range (it would become infinity).
// CHECK-LABEL: func @keeps_f32
// CHECK-NOT: f16
// CHECK: return
// expected-error@below {{f16 weights need 16-bit float support, which target 'generic' lacks}}
func.func @keeps_f32(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x5xf32>, tensor<2x5xf32>) {
  %small = tessera.constant dense<[[1.0, 2.0, 3.0, 4.0], [0.5, -0.5, 0.25, -0.25], [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.1]]> : tensor<4x4xf32>
  %splat = tessera.constant dense<0.5> : tensor<5x4xf32>
  %huge = tessera.constant dense<[[1.0, 2.0, 3.0, 4.0], [0.5, -0.5, 0.25, -0.25], [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.1], [70000.0, -2.0, 3.0, 4.0]]> : tensor<5x4xf32>
  %0 = tessera.linear %x, %small : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %1 = tessera.linear %x, %splat : (tensor<2x4xf32>, tensor<5x4xf32>) -> tensor<2x5xf32>
  %2 = tessera.linear %x, %huge : (tensor<2x4xf32>, tensor<5x4xf32>) -> tensor<2x5xf32>
  return %0, %1, %2 : tensor<2x4xf32>, tensor<2x5xf32>, tensor<2x5xf32>
}

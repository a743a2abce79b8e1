// RUN: tessera-opt %s -split-input-file -tessera-quantize-weights=bits=8 | FileCheck %s
// RUN: tessera-opt %s -split-input-file -tessera-quantize-weights="bits=4 group-size=8" -verify-diagnostics | FileCheck %s --check-prefix=INT4
// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=lavapipe -tessera-quantize-weights=bits=8 -tessera-form-dispatches -tessera-select-tile-configs -tessera-build-kernels | FileCheck %s --check-prefix=KERNEL
// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=generic -tessera-quantize-weights=bits=8 | FileCheck %s --check-prefix=F32SCALE

// Per channel, 8 bits: row [0.5, -0.25, 1, 0] has its largest magnitude
// at 127 (s = 1/127); the least-squares refit gives s = 167/21249, stored
// as f16 0x2006 (0.00785828), and the integers rounded against it are
// [64, -32, 127, 0]: one word, lowest byte first (0x007FE040). A row of
// zeros has scale 0. The f32 weight goes; the linear reads the
// dequantize, and its kernel binds the words (i32) and the f16 scales.
// CHECK-LABEL: func @per_channel
// CHECK-NOT: dense<{{.*}}> : tensor<2x4xf32>
// CHECK-DAG: %[[Q:.*]] = tessera.constant dense_resource<{{.*}}_q8> : tensor<2x1xi32>
// CHECK-DAG: %[[S:.*]] = tessera.constant dense_resource<{{.*}}_scale> : tensor<2x1xf16>
// CHECK: %[[W:.*]] = tessera.dequantize %[[Q]], %[[S]] {bits = 8 : i64, group_size = 4 : i64} : (tensor<2x1xi32>, tensor<2x1xf16>) -> tensor<2x4xf32>
// CHECK: tessera.linear %{{.*}}, %[[W]]
// CHECK: _q8: "0x0400000040E07F0000000000"
// CHECK: _scale: "0x0200000006200000"
// F32SCALE-LABEL: func @per_channel
// F32SCALE: tessera.dequantize {{.*}} : (tensor<2x1xi32>, tensor<2x1xf32>) -> tensor<2x4xf32>
// KERNEL-LABEL: func @per_channel
// KERNEL-COUNT-1: tessera.dispatch
// KERNEL-NOT: tessera.dispatch
// KERNEL: tessera.dequantize
// KERNEL-NEXT: tessera.linear
// KERNEL: gpu.func @dispatch_0(%{{.*}}: memref<?xi32>, %{{.*}}: memref<?xvector<4xf32>>, %{{.*}}: memref<?xi32>, %{{.*}}: memref<?xf16>, %{{.*}}: memref<?xf32>)
// KERNEL-COUNT-2: arith.shrsi
// INT4-LABEL: func @per_channel
// INT4-NOT: tessera.dequantize
// INT4: tessera.linear
func.func @per_channel(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = tessera.constant dense<[[0.5, -0.25, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<2x4xf32>
  // expected-remark@-1 {{weight of 4 columns kept as f32: 4-bit groups of 8 columns must divide it and hold whole 32-bit words}}
  %0 = tessera.linear %x, %w : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Groups of 8, 4 bits: [7, -7, 3, 1, 0, -2, 5, 6] / 4 is exact at s = 1/4
// (candidate range 7), f16 0x3400; nibbles lowest first: 0x65E01397. The
// second group, [1, 0, ...], is exact at every candidate and keeps the
// first, 1/6 (f16 0x3155: q = 6). Two
// linears reading one weight share one dequantize; a weight that is not a
// constant is left alone.
// INT4-LABEL: func @groups
// INT4: %[[W:.*]] = tessera.dequantize %{{.*}}, %{{.*}} {bits = 4 : i64, group_size = 8 : i64} : (tensor<1x2xi32>, tensor<1x2xf16>) -> tensor<1x16xf32>
// INT4: tessera.linear %{{.*}}, %[[W]]
// INT4: tessera.linear %{{.*}}, %[[W]]
// INT4: tessera.linear %{{.*}}, %arg1
// INT4: _q4: "0x040000009713E06506000000"
// INT4: _scale: "0x0200000000345531"
// CHECK-LABEL: func @groups
// CHECK-COUNT-1: tessera.dequantize {{.*}} {bits = 8 : i64, group_size = 16 : i64}
// CHECK-NOT: tessera.dequantize
func.func @groups(%x: tensor<3x16xf32>, %v: tensor<1x16xf32>) -> (tensor<3x1xf32>, tensor<3x1xf32>, tensor<3x1xf32>) {
  %w = tessera.constant dense<[[1.75, -1.75, 0.75, 0.25, 0.0, -0.5, 1.25, 1.5, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<1x16xf32>
  %0 = tessera.linear %x, %w : (tensor<3x16xf32>, tensor<1x16xf32>) -> tensor<3x1xf32>
  %1 = tessera.linear %x, %w : (tensor<3x16xf32>, tensor<1x16xf32>) -> tensor<3x1xf32>
  %2 = tessera.linear %x, %v : (tensor<3x16xf32>, tensor<1x16xf32>) -> tensor<3x1xf32>
  return %0, %1, %2 : tensor<3x1xf32>, tensor<3x1xf32>, tensor<3x1xf32>
}

// -----

// An embedding table read by a gather and, with equal bytes (the LM head
// an exporter wrote as a copy), by a linear: one weight, one dequantize.
// With 4 bits a table takes 8 per row. A constant of other bytes read by
// the same kinds of ops is its own weight.
// INT4-LABEL: func @tied_table
// INT4: %[[T:.*]] = tessera.dequantize %{{.*}}, %{{.*}} {bits = 8 : i64, group_size = 8 : i64} : (tensor<4x2xi32>, tensor<4x1xf16>) -> tensor<4x8xf32>
// INT4: %[[U:.*]] = tessera.dequantize %{{.*}}, %{{.*}} {bits = 4 : i64, group_size = 8 : i64}
// INT4-NOT: tessera.dequantize
// INT4: tessera.gather %[[T]][%arg0]
// INT4: tessera.linear %{{.*}}, %[[T]]
// INT4: tessera.linear %{{.*}}, %[[U]]
// CHECK-LABEL: func @tied_table
// CHECK-COUNT-2: tessera.dequantize {{.*}} {bits = 8 : i64, group_size = 8 : i64}
// CHECK-NOT: tessera.dequantize
func.func @tied_table(%ids: tensor<3xi32>, %x: tensor<3x8xf32>) -> (tensor<3x8xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
  %table = tessera.constant dense_resource<table> : tensor<4x8xf32>
  %head = tessera.constant dense_resource<head> : tensor<4x8xf32>
  %other = tessera.constant dense_resource<other> : tensor<4x8xf32>
  %0 = tessera.gather %table[%ids], axis = 0 : (tensor<4x8xf32>, tensor<3xi32>) -> tensor<3x8xf32>
  %1 = tessera.linear %x, %head : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
  %2 = tessera.linear %x, %other : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
  return %0, %1, %2 : tensor<3x8xf32>, tensor<3x4xf32>, tensor<3x4xf32>
}
{-#
  dialect_resources: {
    builtin: {
      table: "0x040000000000803F000000400000404000008040000080BF000000C0000040C0000080C00000003F0000803E0000003E0000803D000000BF000080BE000000BE000080BD0000A0400000C0400000E0400000004100000000000000000000000000000000000000000000803F0000000000000000000000000000000000000000",
      head: "0x040000000000803F000000400000404000008040000080BF000000C0000040C0000080C00000003F0000803E0000003E0000803D000000BF000080BE000000BE000080BD0000A0400000C0400000E0400000004100000000000000000000000000000000000000000000803F0000000000000000000000000000000000000000",
      other: "0x040000000000803F000000400000404000008040000080BF000000C0000040C0000080C00000003F0000803E0000003E0000803D000000BF000080BE000000BE000080BD0000A0400000C0400000E0400000004100000000000000000000000000000000000000000000803F000000000000000000000000000000000000803F"
    }
  }
#-}

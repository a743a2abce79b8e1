// RUN: tessera-opt %s -split-input-file -tessera-fold-attention-scale-into-query | FileCheck %s

// Head dim 4: the default scale 1/sqrt(4) = 0.5 is a power of two. Q's
// projection (through the head split) gets W * 0.5 and b * 0.5, and the
// attention scale 1. K's projection is untouched.
// CHECK-LABEL: func @folds_into_query
// CHECK-DAG: %[[W:.*]] = tessera.constant dense_resource<scaled_query> : tensor<8x8xf32>
// CHECK-DAG: %[[B:.*]] = tessera.constant dense_resource<scaled_query.bias> : tensor<8xf32>
// CHECK: %[[Q:.*]] = tessera.linear %{{.*}}, %[[W]], %[[B]]
// CHECK: tessera.reshape %[[Q]]
// CHECK: tessera.attention {{.*}} {scale = 1.000000e+00 : f32}
// CHECK: scaled_query: "0x040000000000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F0000003F"
// CHECK: scaled_query.bias: "0x04000000000080BE000080BE000080BE000080BE000080BE000080BE000080BE000080BE"
func.func @folds_into_query(%x: tensor<1x3x8xf32>) -> tensor<1x2x3x4xf32> {
  %wq = tessera.constant dense<1.0> : tensor<8x8xf32>
  %bq = tessera.constant dense<-0.5> : tensor<8xf32>
  %wk = tessera.constant dense<2.0> : tensor<8x8xf32>
  %q = tessera.linear %x, %wq, %bq : (tensor<1x3x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<1x3x8xf32>
  %k = tessera.linear %x, %wk : (tensor<1x3x8xf32>, tensor<8x8xf32>) -> tensor<1x3x8xf32>
  %q4 = tessera.reshape %q : tensor<1x3x8xf32> -> tensor<1x3x2x4xf32>
  %qh = tessera.transpose %q4, [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %k4 = tessera.reshape %k : tensor<1x3x8xf32> -> tensor<1x3x2x4xf32>
  %kh = tessera.transpose %k4, [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %a = tessera.attention %qh, %kh, %kh : (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  return %a : tensor<1x2x3x4xf32>
}

// -----

// Not folded: a scale that is no power of two (the product would round), a
// query the function also returns, and a query that is no linear.
// CHECK-LABEL: func @keeps_the_scale
// CHECK: tessera.attention {{.*}} {scale = 3.000000e-01 : f32}
// CHECK: tessera.attention {{.*}} {scale = 5.000000e-01 : f32}
// CHECK: tessera.attention %arg0
// CHECK-NOT: scale = 1.0
func.func @keeps_the_scale(%x: tensor<1x2x3x4xf32>) -> (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>) {
  %w = tessera.constant dense<1.0> : tensor<4x4xf32>
  %q1 = tessera.linear %x, %w : (tensor<1x2x3x4xf32>, tensor<4x4xf32>) -> tensor<1x2x3x4xf32>
  %a1 = tessera.attention %q1, %x, %x {scale = 0.3 : f32} : (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  %q2 = tessera.linear %x, %w : (tensor<1x2x3x4xf32>, tensor<4x4xf32>) -> tensor<1x2x3x4xf32>
  %a2 = tessera.attention %q2, %x, %x {scale = 0.5 : f32} : (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  %a3 = tessera.attention %x, %x, %x : (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  return %a1, %a2, %q2, %a3 : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>
}

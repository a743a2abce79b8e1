// Round trip of every tessera op: parse, print, parse again, and print in
// generic form and back, so that the custom and generic syntaxes agree.
// RUN: tessera-opt %s -split-input-file | tessera-opt -split-input-file | FileCheck %s
// RUN: tessera-opt %s -split-input-file -mlir-print-op-generic | tessera-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @constant
// CHECK: tessera.constant dense_resource<wq> : tensor<2x2xf32>
// CHECK: tessera.constant dense<[1, 128, 4, 64]> : tensor<4xi64>
// CHECK: tessera.constant dense<0.000000e+00> : tensor<512x512xf32>
func.func @constant() -> (tensor<2x2xf32>, tensor<4xi64>, tensor<512x512xf32>) {
  %w = tessera.constant dense_resource<wq> : tensor<2x2xf32>
  %s = tessera.constant dense<[1, 128, 4, 64]> : tensor<4xi64>
  %z = tessera.constant dense<0.0> : tensor<512x512xf32>
  return %w, %s, %z : tensor<2x2xf32>, tensor<4xi64>, tensor<512x512xf32>
}
{-#
  dialect_resources: {
    builtin: {
      wq: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// CHECK-LABEL: func @gather
// CHECK: tessera.gather %{{.*}}[%{{.*}}], axis = 0 : (tensor<30522x256xf32>, tensor<1x?xi64>) -> tensor<1x?x256xf32>
func.func @gather(%table: tensor<30522x256xf32>, %ids: tensor<1x?xi64>) -> tensor<1x?x256xf32> {
  %0 = tessera.gather %table[%ids], axis = 0 : (tensor<30522x256xf32>, tensor<1x?xi64>) -> tensor<1x?x256xf32>
  return %0 : tensor<1x?x256xf32>
}

// -----

// CHECK-LABEL: func @iota
// CHECK: tessera.iota length = "seq" : tensor<?xi32>
// CHECK: tessera.iota length = "past + seq" : tensor<?xi32>
// CHECK: tessera.iota length = "seq" start = "past" : tensor<?xi64>
// CHECK: tessera.iota start = "past" : tensor<1xi32>
func.func @iota() -> (tensor<?xi32>, tensor<?xi32>, tensor<?xi64>, tensor<1xi32>) {
  %0 = tessera.iota length = "seq" : tensor<?xi32>
  %1 = tessera.iota length = "past + seq" : tensor<?xi32>
  %2 = tessera.iota length = "seq" start = "past" : tensor<?xi64>
  %3 = tessera.iota start = "past" : tensor<1xi32>
  return %0, %1, %2, %3 : tensor<?xi32>, tensor<?xi32>, tensor<?xi64>, tensor<1xi32>
}

// -----

// CHECK-LABEL: func @reshape
// CHECK: tessera.reshape %{{.*}} : tensor<1x?x256xf32> -> tensor<1x?x4x64xf32>
func.func @reshape(%x: tensor<1x?x256xf32>) -> tensor<1x?x4x64xf32> {
  %0 = tessera.reshape %x : tensor<1x?x256xf32> -> tensor<1x?x4x64xf32>
  return %0 : tensor<1x?x4x64xf32>
}

// -----

// CHECK-LABEL: func @transpose
// CHECK: tessera.transpose %{{.*}}, [0, 2, 1, 3] : tensor<1x?x4x64xf32> -> tensor<1x4x?x64xf32>
func.func @transpose(%x: tensor<1x?x4x64xf32>) -> tensor<1x4x?x64xf32> {
  %0 = tessera.transpose %x, [0, 2, 1, 3] : tensor<1x?x4x64xf32> -> tensor<1x4x?x64xf32>
  return %0 : tensor<1x4x?x64xf32>
}

// -----

// CHECK-LABEL: func @slice
// CHECK: tessera.slice %{{.*}} [0, -1, 0] to [1, 9223372036854775807, 256] : tensor<1x?x256xf32> -> tensor<1x?x256xf32>
// CHECK: tessera.slice %{{.*}} [0, 0] to [8, 8] step [2, 4] : tensor<8x8xf32> -> tensor<4x2xf32>
func.func @slice(%x: tensor<1x?x256xf32>, %y: tensor<8x8xf32>) -> (tensor<1x?x256xf32>, tensor<4x2xf32>) {
  %0 = tessera.slice %x [0, -1, 0] to [1, 9223372036854775807, 256] : tensor<1x?x256xf32> -> tensor<1x?x256xf32>
  %1 = tessera.slice %y [0, 0] to [8, 8] step [2, 4] : tensor<8x8xf32> -> tensor<4x2xf32>
  return %0, %1 : tensor<1x?x256xf32>, tensor<4x2xf32>
}

// -----

// CHECK-LABEL: func @concat
// CHECK: tessera.concat %{{.*}}, %{{.*}} axis = 2 : (tensor<1x4x?x64xf32>, tensor<1x4x7x64xf32>) -> tensor<1x4x?x64xf32>
func.func @concat(%past: tensor<1x4x?x64xf32>, %new: tensor<1x4x7x64xf32>) -> tensor<1x4x?x64xf32> {
  %0 = tessera.concat %past, %new axis = 2 : (tensor<1x4x?x64xf32>, tensor<1x4x7x64xf32>) -> tensor<1x4x?x64xf32>
  return %0 : tensor<1x4x?x64xf32>
}

// -----

// CHECK-LABEL: func @broadcast
// CHECK: tessera.broadcast %{{.*}} : tensor<1x1x?xi1> -> tensor<2x?x?xi1>
func.func @broadcast(%m: tensor<1x1x?xi1>) -> tensor<2x?x?xi1> {
  %0 = tessera.broadcast %m : tensor<1x1x?xi1> -> tensor<2x?x?xi1>
  return %0 : tensor<2x?x?xi1>
}

// -----

// CHECK-LABEL: func @cast
// CHECK: tessera.cast %{{.*}} : tensor<1x?xi64> -> tensor<1x?xf32>
func.func @cast(%m: tensor<1x?xi64>) -> tensor<1x?xf32> {
  %0 = tessera.cast %m : tensor<1x?xi64> -> tensor<1x?xf32>
  return %0 : tensor<1x?xf32>
}

// -----

// CHECK-LABEL: func @binary
// CHECK: tessera.add %{{.*}}, %{{.*}} : (tensor<1x?x256xf32>, tensor<256xf32>) -> tensor<1x?x256xf32>
// CHECK: tessera.sub %{{.*}}, %{{.*}} : (tensor<1x?x256xf32>, tensor<1x?x1xf32>) -> tensor<1x?x256xf32>
// CHECK: tessera.mul %{{.*}}, %{{.*}} : (tensor<1x?x256xf32>, tensor<f32>) -> tensor<1x?x256xf32>
// CHECK: tessera.div %{{.*}}, %{{.*}} : (tensor<1x?x256xf32>, tensor<f32>) -> tensor<1x?x256xf32>
// CHECK: tessera.pow %{{.*}}, %{{.*}} : (tensor<1x?x256xf32>, tensor<f32>) -> tensor<1x?x256xf32>
// CHECK: tessera.max %{{.*}}, %{{.*}} : (tensor<1x?x256xf32>, tensor<f32>) -> tensor<1x?x256xf32>
// CHECK: tessera.min %{{.*}}, %{{.*}} : (tensor<1x?x256xf32>, tensor<f32>) -> tensor<1x?x256xf32>
// CHECK: tessera.add %{{.*}}, %{{.*}} : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
func.func @binary(%x: tensor<1x?x256xf32>, %b: tensor<256xf32>, %mean: tensor<1x?x1xf32>, %s: tensor<f32>, %i: tensor<4xi64>) {
  %0 = tessera.add %x, %b : (tensor<1x?x256xf32>, tensor<256xf32>) -> tensor<1x?x256xf32>
  %1 = tessera.sub %x, %mean : (tensor<1x?x256xf32>, tensor<1x?x1xf32>) -> tensor<1x?x256xf32>
  %2 = tessera.mul %x, %s : (tensor<1x?x256xf32>, tensor<f32>) -> tensor<1x?x256xf32>
  %3 = tessera.div %x, %s : (tensor<1x?x256xf32>, tensor<f32>) -> tensor<1x?x256xf32>
  %4 = tessera.pow %x, %s : (tensor<1x?x256xf32>, tensor<f32>) -> tensor<1x?x256xf32>
  %5 = tessera.max %x, %s : (tensor<1x?x256xf32>, tensor<f32>) -> tensor<1x?x256xf32>
  %6 = tessera.min %x, %s : (tensor<1x?x256xf32>, tensor<f32>) -> tensor<1x?x256xf32>
  %7 = tessera.add %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return
}

// -----

// A result type may refine a dimension that inference leaves dynamic.
// CHECK-LABEL: func @refined_result
// CHECK: tessera.add %{{.*}}, %{{.*}} : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<128x256xf32>
func.func @refined_result(%x: tensor<?x256xf32>, %b: tensor<256xf32>) -> tensor<128x256xf32> {
  %0 = tessera.add %x, %b : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<128x256xf32>
  return %0 : tensor<128x256xf32>
}

// -----

// CHECK-LABEL: func @logical
// CHECK: tessera.and %{{.*}}, %{{.*}} : (tensor<?x?xi1>, tensor<1x?xi1>) -> tensor<?x?xi1>
// CHECK: tessera.or %{{.*}}, %{{.*}} : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
// CHECK: tessera.not %{{.*}} : tensor<?x?xi1>
func.func @logical(%a: tensor<?x?xi1>, %b: tensor<1x?xi1>) -> tensor<?x?xi1> {
  %0 = tessera.and %a, %b : (tensor<?x?xi1>, tensor<1x?xi1>) -> tensor<?x?xi1>
  %1 = tessera.or %0, %a : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
  %2 = tessera.not %1 : tensor<?x?xi1>
  return %2 : tensor<?x?xi1>
}

// -----

// CHECK-LABEL: func @compare
// CHECK: tessera.compare eq
// CHECK: tessera.compare ne
// CHECK: tessera.compare lt, %{{.*}}, %{{.*}} : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi1>
// CHECK: tessera.compare le
// CHECK: tessera.compare gt
// CHECK: tessera.compare ge
func.func @compare(%i: tensor<?x1xi64>, %j: tensor<1x?xi64>) {
  %0 = tessera.compare eq, %i, %j : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi1>
  %1 = tessera.compare ne, %i, %j : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi1>
  %2 = tessera.compare lt, %i, %j : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi1>
  %3 = tessera.compare le, %i, %j : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi1>
  %4 = tessera.compare gt, %i, %j : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi1>
  %5 = tessera.compare ge, %i, %j : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi1>
  return
}

// -----

// CHECK-LABEL: func @select
// CHECK: tessera.select %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?xi1>, tensor<1x4x?x?xf32>, tensor<f32>) -> tensor<1x4x?x?xf32>
func.func @select(%m: tensor<?x?xi1>, %s: tensor<1x4x?x?xf32>, %neg: tensor<f32>) -> tensor<1x4x?x?xf32> {
  %0 = tessera.select %m, %s, %neg : (tensor<?x?xi1>, tensor<1x4x?x?xf32>, tensor<f32>) -> tensor<1x4x?x?xf32>
  return %0 : tensor<1x4x?x?xf32>
}

// -----

// CHECK-LABEL: func @unary
// CHECK: tessera.exp %{{.*}} : tensor<2x?xf32>
// CHECK: tessera.log %{{.*}} : tensor<2x?xf32>
// CHECK: tessera.tanh %{{.*}} : tensor<2x?xf32>
// CHECK: tessera.erf %{{.*}} : tensor<2x?xf32>
// CHECK: tessera.sqrt %{{.*}} : tensor<2x?xf32>
// CHECK: tessera.rsqrt %{{.*}} : tensor<2x?xf32>
// CHECK: tessera.sigmoid %{{.*}} : tensor<2x?xf32>
// CHECK: tessera.relu %{{.*}} : tensor<2x?xf32>
// CHECK: tessera.swish %{{.*}} : tensor<2x?xf32>
// CHECK: tessera.swish %{{.*}} beta = 1.702000e+00 : tensor<2x?xf32>
// CHECK: tessera.neg %{{.*}} : tensor<2x?xf32>
// CHECK: tessera.abs %{{.*}} : tensor<2x?xf32>
// CHECK: tessera.abs %{{.*}} : tensor<?xi64>
func.func @unary(%x: tensor<2x?xf32>, %i: tensor<?xi64>) {
  %0 = tessera.exp %x : tensor<2x?xf32>
  %l = tessera.log %x : tensor<2x?xf32>
  %1 = tessera.tanh %x : tensor<2x?xf32>
  %2 = tessera.erf %x : tensor<2x?xf32>
  %3 = tessera.sqrt %x : tensor<2x?xf32>
  %4 = tessera.rsqrt %x : tensor<2x?xf32>
  %5 = tessera.sigmoid %x : tensor<2x?xf32>
  %6 = tessera.relu %x : tensor<2x?xf32>
  %7 = tessera.swish %x : tensor<2x?xf32>
  %q = tessera.swish %x beta = 1.702 : tensor<2x?xf32>
  %8 = tessera.neg %x : tensor<2x?xf32>
  %9 = tessera.abs %x : tensor<2x?xf32>
  %10 = tessera.abs %i : tensor<?xi64>
  return
}

// -----

// CHECK-LABEL: func @gelu
// CHECK: tessera.gelu %{{.*}} : tensor<1x?x1024xf16>
// CHECK: tessera.gelu %{{.*}} approximate = tanh : tensor<1x?x1024xf16>
func.func @gelu(%x: tensor<1x?x1024xf16>) -> tensor<1x?x1024xf16> {
  %0 = tessera.gelu %x : tensor<1x?x1024xf16>
  %1 = tessera.gelu %0 approximate = tanh : tensor<1x?x1024xf16>
  return %1 : tensor<1x?x1024xf16>
}

// -----

// CHECK-LABEL: func @matmul
// CHECK: tessera.matmul %{{.*}}, %{{.*}} : (tensor<1x4x?x64xf32>, tensor<1x4x64x?xf32>) -> tensor<1x4x?x?xf32>
// CHECK: tessera.matmul %{{.*}}, %{{.*}} {transpose_rhs = true} : (tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>) -> tensor<1x4x?x?xf32>
// CHECK: tessera.matmul %{{.*}}, %{{.*}} {transpose_lhs = true} : (tensor<64x8xf32>, tensor<3x64x16xf32>) -> tensor<3x8x16xf32>
func.func @matmul(%q: tensor<1x4x?x64xf32>, %kt: tensor<1x4x64x?xf32>, %k: tensor<1x4x?x64xf32>, %a: tensor<64x8xf32>, %b: tensor<3x64x16xf32>) {
  %0 = tessera.matmul %q, %kt : (tensor<1x4x?x64xf32>, tensor<1x4x64x?xf32>) -> tensor<1x4x?x?xf32>
  %1 = tessera.matmul %q, %k {transpose_rhs = true} : (tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>) -> tensor<1x4x?x?xf32>
  %2 = tessera.matmul %a, %b {transpose_lhs = true} : (tensor<64x8xf32>, tensor<3x64x16xf32>) -> tensor<3x8x16xf32>
  return
}

// -----

// CHECK-LABEL: func @linear
// CHECK: tessera.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x?x256xf32>, tensor<768x256xf32>, tensor<768xf32>) -> tensor<1x?x768xf32>
// CHECK: tessera.linear %{{.*}}, %{{.*}} : (tensor<1x?x256xf32>, tensor<768x256xf32>) -> tensor<1x?x768xf32>
func.func @linear(%x: tensor<1x?x256xf32>, %w: tensor<768x256xf32>, %b: tensor<768xf32>) {
  %0 = tessera.linear %x, %w, %b : (tensor<1x?x256xf32>, tensor<768x256xf32>, tensor<768xf32>) -> tensor<1x?x768xf32>
  %1 = tessera.linear %x, %w : (tensor<1x?x256xf32>, tensor<768x256xf32>) -> tensor<1x?x768xf32>
  return
}

// -----

// CHECK-LABEL: func @conv
// CHECK: tessera.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<?x8x16x16xf32>, tensor<4x8x3x3xf32>, tensor<4xf32>) -> tensor<?x4x16x16xf32>
// CHECK: tessera.conv %{{.*}}, %{{.*}} {{{.*}}groups = 2 : i64{{.*}}} : (tensor<?x8x16x16xf32>, tensor<6x4x7x7xf32>) -> tensor<?x6x8x8xf32>
// CHECK: tessera.conv %{{.*}}, %{{.*}} {{{.*}}} : (tensor<2x6x30xf32>, tensor<8x6x3xf32>) -> tensor<2x8x15xf32>
func.func @conv(%x: tensor<?x8x16x16xf32>, %w: tensor<4x8x3x3xf32>, %b: tensor<4xf32>,
                %g: tensor<6x4x7x7xf32>, %s: tensor<2x6x30xf32>, %k: tensor<8x6x3xf32>) {
  %0 = tessera.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64}
      : (tensor<?x8x16x16xf32>, tensor<4x8x3x3xf32>, tensor<4xf32>) -> tensor<?x4x16x16xf32>
  // A 7x7 stem with stride 2 and pad 3 in two groups: (16 + 6 - 7) / 2 + 1.
  %1 = tessera.conv %x, %g {strides = array<i64: 2, 2>, pads = array<i64: 3, 3, 3, 3>, dilations = array<i64: 1, 1>, groups = 2 : i64}
      : (tensor<?x8x16x16xf32>, tensor<6x4x7x7xf32>) -> tensor<?x6x8x8xf32>
  // 1-D, stride 2, pad 1: (30 + 2 - 3) / 2 + 1.
  %2 = tessera.conv %s, %k {strides = array<i64: 2>, pads = array<i64: 1, 1>, dilations = array<i64: 1>, groups = 1 : i64}
      : (tensor<2x6x30xf32>, tensor<8x6x3xf32>) -> tensor<2x8x15xf32>
  return
}

// -----

// Over a dynamic image the positions are dynamic; channels and kernel
// stay static.
// CHECK-LABEL: func @conv_and_pool_dynamic_image
// CHECK: tessera.conv {{.*}} -> tensor<?x6x?x?xf32>
// CHECK: tessera.pool {{.*}} : tensor<?x6x?x?xf32> -> tensor<?x6x?x?xf32>
func.func @conv_and_pool_dynamic_image(%x: tensor<?x8x?x?xf32>, %g: tensor<6x4x7x7xf32>) {
  %0 = tessera.conv %x, %g {strides = array<i64: 2, 2>, pads = array<i64: 3, 3, 3, 3>, dilations = array<i64: 1, 1>, groups = 2 : i64}
      : (tensor<?x8x?x?xf32>, tensor<6x4x7x7xf32>) -> tensor<?x6x?x?xf32>
  %1 = tessera.pool %0 max {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>}
      : tensor<?x6x?x?xf32> -> tensor<?x6x?x?xf32>
  return
}

// -----

// CHECK-LABEL: func @pool
// CHECK: tessera.pool %{{.*}} max {dilations = array<i64: 1, 1>, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<?x8x16x16xf32> -> tensor<?x8x8x8xf32>
// CHECK: tessera.pool %{{.*}} average {ceil_mode, count_include_pad, {{.*}}} : tensor<?x8x16x16xf32> -> tensor<?x8x6x6xf32>
// CHECK: tessera.pool %{{.*}} max {{.*}} : tensor<2x6x30xf32> -> tensor<2x6x15xf32>
func.func @pool(%x: tensor<?x8x16x16xf32>, %s: tensor<2x6x30xf32>) {
  %0 = tessera.pool %x max {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>}
      : tensor<?x8x16x16xf32> -> tensor<?x8x8x8xf32>
  // ceil((16 - 3) / 3) + 1 = 6: the last window starts at 15, in the input.
  %1 = tessera.pool %x average {kernel = array<i64: 3, 3>, strides = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode, count_include_pad}
      : tensor<?x8x16x16xf32> -> tensor<?x8x6x6xf32>
  %2 = tessera.pool %s max {kernel = array<i64: 2>, strides = array<i64: 2>, pads = array<i64: 0, 0>, dilations = array<i64: 1>}
      : tensor<2x6x30xf32> -> tensor<2x6x15xf32>
  return
}

// -----

// CHECK-LABEL: func @argsort_and_scatter
// CHECK: tessera.argsort %{{.*}}, axis = 1 {descending} : tensor<?x16xf32> -> tensor<?x16xi32>
// CHECK: tessera.scatter_nd %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x16xf32>, tensor<?x4x2xi32>, tensor<?x4xf32>) -> tensor<?x16xf32>
// CHECK: tessera.scatter_nd %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x16xf32>, tensor<3x1xi32>, tensor<3x16xf32>) -> tensor<?x16xf32>
func.func @argsort_and_scatter(%x: tensor<?x16xf32>, %i: tensor<?x4x2xi32>, %u: tensor<?x4xf32>,
                               %rows: tensor<3x1xi32>, %r: tensor<3x16xf32>) {
  %0 = tessera.argsort %x, axis = 1 {descending} : tensor<?x16xf32> -> tensor<?x16xi32>
  %1 = tessera.scatter_nd %x, %i, %u : (tensor<?x16xf32>, tensor<?x4x2xi32>, tensor<?x4xf32>) -> tensor<?x16xf32>
  // Tuples of one index replace whole rows.
  %2 = tessera.scatter_nd %x, %rows, %r : (tensor<?x16xf32>, tensor<3x1xi32>, tensor<3x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

// CHECK-LABEL: func @softmax
// CHECK: tessera.softmax %{{.*}}, axis = 3 : tensor<1x4x?x?xf32> -> tensor<1x4x?x?xf32>
func.func @softmax(%s: tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32> {
  %0 = tessera.softmax %s, axis = 3 : tensor<1x4x?x?xf32> -> tensor<1x4x?x?xf32>
  return %0 : tensor<1x4x?x?xf32>
}

// -----

// CHECK-LABEL: func @layer_norm
// CHECK: tessera.layer_norm %{{.*}} scale(%{{.*}}) bias(%{{.*}}), axis = 2, epsilon = 9.99999996E-13 : (tensor<1x?x256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<1x?x256xf32>
// CHECK: tessera.layer_norm %{{.*}} scale(%{{.*}}), axis = 2, epsilon = 9.99999974E-6 : (tensor<1x?x256xf32>, tensor<256xf32>) -> tensor<1x?x256xf32>
// CHECK: tessera.layer_norm %{{.*}}, axis = 1, epsilon = 9.99999974E-6 : (tensor<1x?x256xf32>) -> tensor<1x?x256xf32>
func.func @layer_norm(%x: tensor<1x?x256xf32>, %g: tensor<256xf32>, %b: tensor<256xf32>) {
  %0 = tessera.layer_norm %x scale(%g) bias(%b), axis = 2, epsilon = 1.0e-12 : (tensor<1x?x256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<1x?x256xf32>
  %1 = tessera.layer_norm %x scale(%g), axis = 2, epsilon = 1.0e-5 : (tensor<1x?x256xf32>, tensor<256xf32>) -> tensor<1x?x256xf32>
  %2 = tessera.layer_norm %x, axis = 1, epsilon = 1.0e-5 : (tensor<1x?x256xf32>) -> tensor<1x?x256xf32>
  return
}

// -----

// CHECK-LABEL: func @reductions
// CHECK: tessera.reduce_sum %{{.*}}, [2] : tensor<1x?x256xf32> -> tensor<1x?xf32>
// CHECK: tessera.reduce_mean %{{.*}}, [2] {keepdims = true} : tensor<1x?x256xf32> -> tensor<1x?x1xf32>
// CHECK: tessera.reduce_max %{{.*}}, [0, 2] : tensor<1x?x256xf32> -> tensor<?xf32>
// CHECK: tessera.argmax %{{.*}}, axis = 2 : tensor<1x?x256xf32> -> tensor<1x?xi32>
// CHECK: tessera.argmax %{{.*}}, axis = 1 {keepdims = true} : tensor<1x?x256xf32> -> tensor<1x1x256xi32>
// CHECK: tessera.argmax %{{.*}}, axis = 2 {select_last_index} : tensor<1x?x256xf32> -> tensor<1x?xi32>
func.func @reductions(%x: tensor<1x?x256xf32>) {
  %0 = tessera.reduce_sum %x, [2] : tensor<1x?x256xf32> -> tensor<1x?xf32>
  %1 = tessera.reduce_mean %x, [2] {keepdims = true} : tensor<1x?x256xf32> -> tensor<1x?x1xf32>
  %2 = tessera.reduce_max %x, [0, 2] : tensor<1x?x256xf32> -> tensor<?xf32>
  %3 = tessera.argmax %x, axis = 2 : tensor<1x?x256xf32> -> tensor<1x?xi32>
  %4 = tessera.argmax %x, axis = 1 {keepdims = true} : tensor<1x?x256xf32> -> tensor<1x1x256xi32>
  %5 = tessera.argmax %x, axis = 2 {select_last_index} : tensor<1x?x256xf32> -> tensor<1x?xi32>
  return
}

// -----

// CHECK-LABEL: func @attention
// CHECK: tessera.attention %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>) -> tensor<1x4x?x64xf32>
// CHECK: tessera.attention %{{.*}}, %{{.*}}, %{{.*}} key_padding_mask(%{{.*}}) {mask = #tessera.mask<causal>, scale = 1.250000e-01 : f32}
// CHECK: tessera.attention %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}}) {mask = #tessera.mask<window, grid = [8, 8], size = 4, shift = 2>} : (tensor<1x4x64x32xf32>, tensor<1x4x64x32xf32>, tensor<1x4x64x32xf32>, tensor<4x64x64xf32>) -> tensor<1x4x64x32xf32>
// CHECK: tessera.attention %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}}) key_padding_mask(%{{.*}})
// CHECK: tessera.attention %{{.*}}, %{{.*}}, %{{.*}} {alibi_slopes = array<f32: 2.500000e-01, 6.250000e-02, 1.562500e-02, 3.906250e-03>, mask = #tessera.mask<causal>}
// CHECK: tessera.attention %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}}) {mask = #tessera.mask<window, grid = [8, 8], size = 4, shift = 2>, window_relative_bias} : ({{.*}}, tensor<4x16x16xf32>)
func.func @attention(%q: tensor<1x4x?x64xf32>, %pad: tensor<1x?xi1>, %w: tensor<1x4x64x32xf32>, %rpb: tensor<4x64x64xf32>, %bias: tensor<1x4x?x?xf32>, %table: tensor<4x16x16xf32>) {
  %0 = tessera.attention %q, %q, %q : (tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>) -> tensor<1x4x?x64xf32>
  %1 = tessera.attention %q, %q, %q key_padding_mask(%pad) {mask = #tessera.mask<causal>, scale = 0.125 : f32} : (tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x?xi1>) -> tensor<1x4x?x64xf32>
  %2 = tessera.attention %w, %w, %w bias(%rpb) {mask = #tessera.mask<window, grid = [8, 8], size = 4, shift = 2>} : (tensor<1x4x64x32xf32>, tensor<1x4x64x32xf32>, tensor<1x4x64x32xf32>, tensor<4x64x64xf32>) -> tensor<1x4x64x32xf32>
  %3 = tessera.attention %q, %q, %q bias(%bias) key_padding_mask(%pad) : (tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x?xf32>, tensor<1x?xi1>) -> tensor<1x4x?x64xf32>
  %4 = tessera.attention %q, %q, %q {mask = #tessera.mask<causal>, alibi_slopes = array<f32: 0.25, 0.0625, 0.015625, 0.00390625>} : (tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>) -> tensor<1x4x?x64xf32>
  %5 = tessera.attention %w, %w, %w bias(%table) {mask = #tessera.mask<window, grid = [8, 8], size = 4, shift = 2>, window_relative_bias} : (tensor<1x4x64x32xf32>, tensor<1x4x64x32xf32>, tensor<1x4x64x32xf32>, tensor<4x16x16xf32>) -> tensor<1x4x64x32xf32>
  return
}

// -----

// Cross attention (Lq != Lk) with grouped KV heads (8 query heads over 2).
// CHECK-LABEL: func @attention_cross_gqa
// CHECK: tessera.attention %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x8x100x64xf32>, tensor<2x2x850x64xf32>, tensor<2x2x850x32xf32>) -> tensor<2x8x100x32xf32>
func.func @attention_cross_gqa(%q: tensor<2x8x100x64xf32>, %k: tensor<2x2x850x64xf32>, %v: tensor<2x2x850x32xf32>) -> tensor<2x8x100x32xf32> {
  %0 = tessera.attention %q, %k, %v : (tensor<2x8x100x64xf32>, tensor<2x2x850x64xf32>, tensor<2x2x850x32xf32>) -> tensor<2x8x100x32xf32>
  return %0 : tensor<2x8x100x32xf32>
}

// -----

// Quantized weights: 4-bit in groups of 32 with f16 scales, 8-bit per
// channel with zero points.
// CHECK-LABEL: func @dequantize
// CHECK: tessera.dequantize %{{.*}}, %{{.*}} {bits = 4 : i64, group_size = 32 : i64} : (tensor<24x8xi32>, tensor<24x2xf16>) -> tensor<24x64xf32>
// CHECK: tessera.dequantize %{{.*}}, %{{.*}}, %{{.*}} {bits = 8 : i64, group_size = 64 : i64} : (tensor<24x16xi32>, tensor<24x1xf32>, tensor<24x1xf32>) -> tensor<24x64xf32>
func.func @dequantize(%q4: tensor<24x8xi32>, %s4: tensor<24x2xf16>, %q8: tensor<24x16xi32>, %s8: tensor<24x1xf32>, %z8: tensor<24x1xf32>) -> (tensor<24x64xf32>, tensor<24x64xf32>) {
  %0 = tessera.dequantize %q4, %s4 {bits = 4 : i64, group_size = 32 : i64} : (tensor<24x8xi32>, tensor<24x2xf16>) -> tensor<24x64xf32>
  %1 = tessera.dequantize %q8, %s8, %z8 {bits = 8 : i64, group_size = 64 : i64} : (tensor<24x16xi32>, tensor<24x1xf32>, tensor<24x1xf32>) -> tensor<24x64xf32>
  return %0, %1 : tensor<24x64xf32>, tensor<24x64xf32>
}

// -----

// CHECK-LABEL: func @rotary
// CHECK: tessera.rotary %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x4x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>) -> tensor<?x4x?x16xf32>
// CHECK: tessera.rotary %{{.*}}, %{{.*}}, %{{.*}} {interleaved} : (tensor<?x4x?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x4x?x16xf32>
func.func @rotary(%x: tensor<?x4x?x16xf32>, %c: tensor<1x1x?x16xf32>, %t: tensor<?x16xf32>) {
  %0 = tessera.rotary %x, %c, %c : (tensor<?x4x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  %1 = tessera.rotary %x, %t, %t {interleaved} : (tensor<?x4x?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x4x?x16xf32>
  return
}

// -----

// CHECK-LABEL: func @resize_dynamic
// CHECK: tessera.resize %{{.*}} scales = [1.000000e+00, 1.000000e+00, 2.000000e+00, 5.000000e-01] : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
// CHECK: tessera.resize %{{.*}} scales = [1.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00] {dims = ["batch", "4", "h", "7"]} : tensor<?x4x?x?xf32> -> tensor<?x4x?x7xf32>
func.func @resize_dynamic(%x: tensor<?x4x?x?xf32>) {
  // By an integer and its inverse: 2 H and floor(W / 2).
  %0 = tessera.resize %x scales = [1.0, 1.0, 2.0, 0.5] : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  // To sizes known at run time (named) or fixed: the ratio at run time.
  %1 = tessera.resize %x scales = [1.0, 1.0, 0.0, 0.0] {dims = ["batch", "4", "h", "7"]} : tensor<?x4x?x?xf32> -> tensor<?x4x?x7xf32>
  return
}

// -----

// CHECK-LABEL: func @resize
// CHECK: tessera.resize %{{.*}} scales = [1.000000e+00, 1.000000e+00, 2.000000e+00, 2.000000e+00] coordinates = asymmetric nearest = floor : tensor<?x4x8x8xf32> -> tensor<?x4x16x16xf32>
// CHECK: tessera.resize %{{.*}} scales = [1.000000e+00, 1.000000e+00, 5.000000e-01, 5.000000e-01] mode = linear : tensor<?x4x8x8xf32> -> tensor<?x4x4x4xf32>
func.func @resize(%x: tensor<?x4x8x8xf32>) {
  %0 = tessera.resize %x scales = [1.0, 1.0, 2.0, 2.0] coordinates = asymmetric nearest = floor : tensor<?x4x8x8xf32> -> tensor<?x4x16x16xf32>
  %1 = tessera.resize %x scales = [1.0, 1.0, 0.5, 0.5] mode = linear coordinates = half_pixel : tensor<?x4x8x8xf32> -> tensor<?x4x4x4xf32>
  return
}

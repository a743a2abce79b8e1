// RUN: tessera-opt %s -split-input-file --tessera-fuse-horizontal-linears | FileCheck %s
// RUN: tessera-opt %s -split-input-file --tessera-fuse-horizontal-linears | FileCheck %s --check-prefix=NOWEIGHTS
// RUN: tessera-opt %s -split-input-file --tessera-fuse-horizontal-linears --tessera-form-dispatches | FileCheck %s --check-prefix=DISPATCH

// Q, K and V projections of one input: one linear over the concatenated
// weight [6, 2] and bias (K has none: zeros), then each result's columns as
// a slice. Weights: q = [[1,2],[3,4]], k = [[5,6],[7,8]], v = [[9,10],[11,12]].
// NOWEIGHTS-LABEL: func @qkv
// NOWEIGHTS: %[[W:.*]] = tessera.constant dense_resource<horizontal> : tensor<6x2xf32>
// NOWEIGHTS: %[[B:.*]] = tessera.constant dense_resource<horizontal.bias> : tensor<6xf32>
// NOWEIGHTS: %[[F:.*]] = tessera.linear %arg0, %[[W]], %[[B]] : (tensor<?x2xf32>, tensor<6x2xf32>, tensor<6xf32>) -> tensor<?x6xf32>
// NOWEIGHTS: %[[Q:.*]] = tessera.slice %[[F]] [0, 0] to [9223372036854775807, 2] : tensor<?x6xf32> -> tensor<?x2xf32>
// NOWEIGHTS: %[[K:.*]] = tessera.slice %[[F]] [0, 2] to [9223372036854775807, 4]
// NOWEIGHTS: %[[V:.*]] = tessera.slice %[[F]] [0, 4] to [9223372036854775807, 6]
// NOWEIGHTS-NOT: tessera.linear
// NOWEIGHTS: %[[Q4:.*]] = tessera.reshape %[[Q]]
// NOWEIGHTS: %[[K4:.*]] = tessera.reshape %[[K]]
// NOWEIGHTS: %[[V4:.*]] = tessera.reshape %[[V]]
// NOWEIGHTS: tessera.attention %[[Q4]], %[[K4]], %[[V4]]
// The fused weight is the three weights row after row; the bias has K's
// zeros in the middle (blobs are hex: 0x04000000 then little-endian f32s).
// CHECK: horizontal: "0x040000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041"
// CHECK: horizontal.bias: "0x040000000000803F0000004000000000000000000000404000008040"
// The three slices are views of the linear's dispatch: the attention reads
// them in place, so two dispatches in all.
// DISPATCH-LABEL: func @qkv
// DISPATCH: tessera.dispatch
// DISPATCH-NEXT: ^bb0
// DISPATCH-NEXT: tessera.linear
// DISPATCH-COUNT-3: tessera.slice
// DISPATCH-COUNT-3: tessera.reshape
// DISPATCH-NEXT: tessera.dispatch
// DISPATCH-NEXT: ^bb0
// DISPATCH-NEXT: tessera.attention
// DISPATCH-NOT: tessera.dispatch
// DISPATCH-LABEL: func @epilogue_and_other_inputs
func.func @qkv(%x: tensor<?x2xf32> {tessera.dims = ["seq", 2]}) -> tensor<1x1x?x2xf32> {
  %wq = tessera.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %bq = tessera.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %wk = tessera.constant dense<[[5.0, 6.0], [7.0, 8.0]]> : tensor<2x2xf32>
  %wv = tessera.constant dense<[[9.0, 10.0], [11.0, 12.0]]> : tensor<2x2xf32>
  %bv = tessera.constant dense<[3.0, 4.0]> : tensor<2xf32>
  %q = tessera.linear %x, %wq, %bq : (tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %k = tessera.linear %x, %wk : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %v = tessera.linear %x, %wv, %bv : (tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %q4 = tessera.reshape %q : tensor<?x2xf32> -> tensor<1x1x?x2xf32>
  %k4 = tessera.reshape %k : tensor<?x2xf32> -> tensor<1x1x?x2xf32>
  %v4 = tessera.reshape %v : tensor<?x2xf32> -> tensor<1x1x?x2xf32>
  %a = tessera.attention %q4, %k4, %v4 {scale = 1.0 : f32} : (tensor<1x1x?x2xf32>, tensor<1x1x?x2xf32>, tensor<1x1x?x2xf32>) -> tensor<1x1x?x2xf32>
  return %a : tensor<1x1x?x2xf32>
}

// -----

// Negative: a linear whose one consumer is an elementwise op keeps it as
// its epilogue (FFN-in + GELU); the other linear has nothing to fuse with.
// Linears of different inputs stay apart.
// NOWEIGHTS-LABEL: func @epilogue_and_other_inputs
// NOWEIGHTS-NOT: horizontal
// NOWEIGHTS: %[[A:.*]] = tessera.linear %arg0
// NOWEIGHTS-NEXT: tessera.gelu %[[A]]
// NOWEIGHTS: tessera.linear %arg0
// NOWEIGHTS: tessera.linear %arg1
// NOWEIGHTS-NOT: tessera.slice
func.func @epilogue_and_other_inputs(%x: tensor<4x2xf32>, %y: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>) {
  %w = tessera.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %u = tessera.constant dense<[[5.0, 6.0], [7.0, 8.0]]> : tensor<2x2xf32>
  %a = tessera.linear %x, %w : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %g = tessera.gelu %a : tensor<4x2xf32>
  %b = tessera.linear %x, %u : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %c = tessera.linear %y, %u : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  return %g, %b, %c : tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

// Negative: a weight computed at run time (not a constant) is not fused.
// NOWEIGHTS-LABEL: func @runtime_weight
// NOWEIGHTS-NOT: horizontal
// NOWEIGHTS-COUNT-2: tessera.linear %arg0
func.func @runtime_weight(%x: tensor<4x2xf32>, %w: tensor<2x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %u = tessera.constant dense<[[5.0, 6.0], [7.0, 8.0]]> : tensor<2x2xf32>
  %a = tessera.linear %x, %w : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %b = tessera.linear %x, %u : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  return %a, %b : tensor<4x2xf32>, tensor<4x2xf32>
}

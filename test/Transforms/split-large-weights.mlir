// RUN: tessera-opt %s -split-input-file -tessera-split-large-weights=max-bytes=16 | FileCheck %s
// RUN: tessera-opt %s -split-input-file -tessera-split-large-weights=max-bytes=16 -tessera-form-dispatches | FileCheck %s --check-prefix=DISPATCH

// A 5x2 f32 weight (40 bytes) in parts of at most 16 bytes: 2 rows each.
// CHECK-LABEL: func @split
// CHECK-NOT: dense_resource<w>
// CHECK: %[[W0:.*]] = tessera.constant dense_resource<split.part0> : tensor<2x2xf32>
// CHECK: %[[B0:.*]] = tessera.constant dense_resource<split.bias.part0> : tensor<2xf32>
// CHECK: %[[P0:.*]] = tessera.linear %arg0, %[[W0]], %[[B0]] : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// CHECK: %[[P1:.*]] = tessera.linear %arg0
// CHECK: %[[W2:.*]] = tessera.constant dense_resource<split.part2> : tensor<1x2xf32>
// CHECK: %[[P2:.*]] = tessera.linear %arg0, %[[W2]]
// CHECK-SAME: -> tensor<3x1xf32>
// CHECK: %[[C:.*]] = tessera.concat %[[P0]], %[[P1]], %[[P2]] axis = 1 : (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x1xf32>) -> tensor<3x5xf32>
// CHECK: tessera.gelu %[[C]]
// The concat needs no dispatch: three for the parts, one for the GELU.
// DISPATCH-LABEL: func @split
// DISPATCH-COUNT-3: tessera.linear
// DISPATCH: tessera.concat
// DISPATCH: tessera.dispatch
// DISPATCH-NEXT: ^bb0
// DISPATCH-NEXT: tessera.gelu
func.func @split(%x: tensor<3x2xf32>) -> tensor<3x5xf32> {
  %w = tessera.constant dense_resource<w> : tensor<5x2xf32>
  %b = tessera.constant dense_resource<b> : tensor<5xf32>
  %0 = tessera.linear %x, %w, %b : (tensor<3x2xf32>, tensor<5x2xf32>, tensor<5xf32>) -> tensor<3x5xf32>
  %1 = tessera.gelu %0 : tensor<3x5xf32>
  return %1 : tensor<3x5xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000802906BFB429B53D792A85BE07D4543ED3BC803E00735EBF0C4279BFBFC82C3FE76BF6BEC60508BF",
      b: "0x0400000029C57D3FF29973BDAD442C3FEAB641BDE1678E3E"
    }
  }
#-}

// -----

// A 5x2 f32 table (40 bytes) that a gather reads by rows: row parts of at
// most 16 bytes, concatenated along the rows, which the gather's dispatch
// reads part by part (the concat is in the dispatch, not stored).
// CHECK-LABEL: func @embedding
// CHECK: %[[T0:.*]] = tessera.constant dense_resource<split.table.part0> : tensor<2x2xf32>
// CHECK: %[[T1:.*]] = tessera.constant dense_resource<split.table.part1> : tensor<2x2xf32>
// CHECK: %[[T2:.*]] = tessera.constant dense_resource<split.table.part2> : tensor<1x2xf32>
// CHECK: %[[C:.*]] = tessera.concat %[[T0]], %[[T1]], %[[T2]] axis = 0 : (tensor<2x2xf32>, tensor<2x2xf32>, tensor<1x2xf32>) -> tensor<5x2xf32>
// CHECK: tessera.gather %[[C]][%arg0], axis = 0
// DISPATCH-LABEL: func @embedding
// DISPATCH: tessera.dispatch(
// DISPATCH-NEXT: ^bb0
// DISPATCH-NEXT: tessera.concat
// DISPATCH-NEXT: tessera.gather
func.func @embedding(%ids: tensor<3xi32>) -> tensor<3x2xf32> {
  %table = tessera.constant dense_resource<table> : tensor<5x2xf32>
  %0 = tessera.gather %table[%ids], axis = 0 : (tensor<5x2xf32>, tensor<3xi32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      table: "0x040000000000803F0000004000004040000080400000A0400000C0400000E040000000410000104100002041"
    }
  }
#-}

// -----

// A quantized weight is split by the rows of its packed words (5 rows of
// one word: 20 bytes, parts of at most 16 bytes: 4 rows), its scales with
// them; a table gathered by rows likewise.
// CHECK-LABEL: func @split_quantized
// CHECK: %[[Q0:.*]] = tessera.constant dense_resource<split.part0.q> : tensor<4x1xi32>
// CHECK: %[[S0:.*]] = tessera.constant dense_resource<split.part0.scale> : tensor<4x1xf32>
// CHECK: %[[W0:.*]] = tessera.dequantize %[[Q0]], %[[S0]] {bits = 8 : i64, group_size = 4 : i64} : (tensor<4x1xi32>, tensor<4x1xf32>) -> tensor<4x4xf32>
// CHECK: tessera.linear %arg0, %[[W0]]
// CHECK: tessera.dequantize {{.*}} -> tensor<1x4xf32>
// CHECK: tessera.concat {{.*}} axis = 1
// CHECK: %[[T0:.*]] = tessera.dequantize {{.*}} -> tensor<4x4xf32>
// CHECK: %[[T1:.*]] = tessera.dequantize {{.*}} -> tensor<1x4xf32>
// CHECK: %[[T:.*]] = tessera.concat %[[T0]], %[[T1]] axis = 0
// CHECK: tessera.gather %[[T]][%arg1]
// CHECK-NOT: dense_resource<q>
// CHECK: split.part0.q: "0x040000000102030405060708090A0B0C0D0E0F10"
// The gather's dispatch reads the parts' words and scales (4 buffers) and
// dequantizes the elements it picks.
// DISPATCH-LABEL: func @split_quantized
// DISPATCH: tessera.dispatch(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %arg1)
// DISPATCH-COUNT-2: tessera.dequantize
// DISPATCH: tessera.concat
// DISPATCH: tessera.gather
func.func @split_quantized(%x: tensor<3x4xf32>, %ids: tensor<3xi32>) -> (tensor<3x5xf32>, tensor<3x4xf32>) {
  %q = tessera.constant dense_resource<q> : tensor<5x1xi32>
  %s = tessera.constant dense_resource<s> : tensor<5x1xf32>
  %w = tessera.dequantize %q, %s {bits = 8 : i64, group_size = 4 : i64} : (tensor<5x1xi32>, tensor<5x1xf32>) -> tensor<5x4xf32>
  %0 = tessera.linear %x, %w : (tensor<3x4xf32>, tensor<5x4xf32>) -> tensor<3x5xf32>
  %1 = tessera.gather %w[%ids], axis = 0 : (tensor<5x4xf32>, tensor<3xi32>) -> tensor<3x4xf32>
  return %0, %1 : tensor<3x5xf32>, tensor<3x4xf32>
}
{-#
  dialect_resources: {
    builtin: {
      q: "0x040000000102030405060708090A0B0C0D0E0F1011121314",
      s: "0x040000000000803F0000803F0000803F0000803F0000803F"
    }
  }
#-}

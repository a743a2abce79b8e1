// RUN: tessera-opt %s -tessera-split-large-weights=max-bytes=80 -tessera-store-weights-as-f16 -tessera-form-dispatches | FileCheck %s

// A gathered table split into row parts and then stored as f16: each part
// is read through its widening cast (a view), and the gather's dispatch
// evaluates the concat of the casts where it reads it; the whole table is
// never materialised (at GPT-2's size, 154 MB in f32, more than lavapipe
// binds at once).
// CHECK-LABEL: func @embedding_f16
// CHECK-DAG: %[[P0:.*]] = tessera.constant {{.*}} : tensor<5x4xf16>
// CHECK-DAG: %[[P1:.*]] = tessera.constant {{.*}} : tensor<5x4xf16>
// CHECK-DAG: %[[C0:.*]] = tessera.cast %[[P0]] : tensor<5x4xf16> -> tensor<5x4xf32>
// CHECK-DAG: %[[C1:.*]] = tessera.cast %[[P1]] : tensor<5x4xf16> -> tensor<5x4xf32>
// CHECK: tessera.dispatch(
// CHECK-NEXT: ^bb0
// CHECK-NEXT: tessera.concat
// CHECK-NEXT: tessera.gather
// CHECK-NOT: tessera.dispatch
func.func @embedding_f16(%ids: tensor<3xi32>) -> tensor<3x4xf32> {
  %table = tessera.constant dense_resource<table> : tensor<10x4xf32>
  %0 = tessera.gather %table[%ids], axis = 0 : (tensor<10x4xf32>, tensor<3xi32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}
{-#
  dialect_resources: {
    builtin: {
      table: "0x04000000000000000000803E0000003F0000403F0000803F0000A03F0000C03F0000E03F0000004000001040000020400000304000004040000050400000604000007040000080400000884000009040000098400000A0400000A8400000B0400000B8400000C0400000C8400000D0400000D8400000E0400000E8400000F0400000F84000000041000004410000084100000C4100001041000014410000184100001C41"
    }
  }
#-}

// RUN: tessera-opt %s -split-input-file -tessera-infer-dim-bounds -verify-diagnostics | FileCheck %s

// Positions into a 64-row table bound the sequence by 64; the batch, the
// first dim of an input, defaults to 1.
// CHECK-LABEL: func.func @positions
// CHECK-SAME: tessera.dim_bounds = {batch = array<i64: 1, 1>, seq = array<i64: 1, 64>}
// expected-remark @below {{dynamic dimension 'batch' bounded by 1: the batch (the first dimension of input 'ids') defaults to 1; to plan for more, pass --dim batch=1:MAX}}
func.func @positions(%ids: tensor<?x?xi32> {tessera.dims = ["batch", "seq"], tessera.name = "ids"}) -> tensor<?x8xf32> {
  %table = tessera.constant dense<1.0> : tensor<64x8xf32>
  %positions = tessera.iota length = "seq" : tensor<?xi32>
  // expected-remark @below {{dynamic dimension 'seq' bounded by 64: positions into the 64 rows of the table this gather reads; to plan for more, pass --dim seq=1:MAX}}
  %embedded = tessera.gather %table[%positions], axis = 0 : (tensor<64x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  return %embedded : tensor<?x8xf32>
}

// -----

// Decoding after `past` cached positions: the new positions start at past,
// so past is below the table's rows and seq at most its rows.
// CHECK-LABEL: func.func @after_past
// CHECK-SAME: tessera.dim_bounds = {past = array<i64: 1, 31>, seq = array<i64: 1, 32>}
func.func @after_past(%x: tensor<2x?xi32> {tessera.dims = [2, "seq"], tessera.name = "x"}, %cache: tensor<2x?x4xf32> {tessera.dims = [2, "past", 4], tessera.name = "cache"}) -> tensor<?x4xf32> {
  %table = tessera.constant dense<1.0> : tensor<32x4xf32>
  %positions = tessera.iota length = "seq" start = "past" : tensor<?xi32>
  // expected-remark @below {{dynamic dimension 'seq' bounded by 32}}
  // expected-remark @below {{dynamic dimension 'past' bounded by 31: the first position into the 32 rows of the table this gather reads}}
  %embedded = tessera.gather %table[%positions], axis = 0 : (tensor<32x4xf32>, tensor<?xi32>) -> tensor<?x4xf32>
  return %embedded : tensor<?x4xf32>
}

// -----

// Bounds the function states (--dim) are kept: nothing is inferred for
// them and nothing is said.
// CHECK-LABEL: func.func @given
// CHECK-SAME: tessera.dim_bounds = {batch = array<i64: 1, 8>, seq = array<i64: 1, 16>}
func.func @given(%ids: tensor<?x?xi32> {tessera.dims = ["batch", "seq"], tessera.name = "ids"}) -> tensor<?x8xf32> attributes {tessera.dim_bounds = {batch = array<i64: 1, 8>, seq = array<i64: 1, 16>}} {
  %table = tessera.constant dense<1.0> : tensor<64x8xf32>
  %positions = tessera.iota length = "seq" : tensor<?xi32>
  %embedded = tessera.gather %table[%positions], axis = 0 : (tensor<64x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  return %embedded : tensor<?x8xf32>
}

// -----

// A length nothing bounds stays unbounded (compiling it to a binary asks
// for --dim); only the batch gets its default.
// CHECK-LABEL: func.func @free
// CHECK-SAME: tessera.dim_bounds = {batch = array<i64: 1, 1>}
// expected-remark @below {{dynamic dimension 'batch' bounded by 1}}
func.func @free(%x: tensor<?x?x8xf32> {tessera.dims = ["batch", "seq", 8], tessera.name = "x"}) -> tensor<?x?x8xf32> {
  %y = tessera.exp %x : tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

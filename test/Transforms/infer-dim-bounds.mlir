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

// A length nothing bounds gets the default bound; the batch its own.
// CHECK-LABEL: func.func @free
// CHECK-SAME: tessera.dim_bounds = {batch = array<i64: 1, 1>, seq = array<i64: 1, 512>}
// expected-remark @below {{dynamic dimension 'batch' bounded by 1}}
// expected-remark @below {{dynamic dimension 'seq' bounded by 512: nothing in the graph bounds it; the default is 512; to plan for more, pass --dim seq=1:MAX}}
func.func @free(%x: tensor<?x?x8xf32> {tessera.dims = ["batch", "seq", 8], tessera.name = "x"}) -> tensor<?x?x8xf32> {
  %y = tessera.exp %x : tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// Two positions taken from the start and the rest put back after them
// (x[:, :2], x[:, 2:], cat): exact while seq holds the two, so seq is at
// least 2.
// CHECK-LABEL: func.func @head_and_rest
// CHECK-SAME: tessera.dim_bounds = {seq = array<i64: 2, 16>}
func.func @head_and_rest(%x: tensor<2x?x8xf32> {tessera.dims = [2, "seq", 8], tessera.name = "x"}) -> tensor<2x?x8xf32> attributes {tessera.dim_bounds = {seq = array<i64: 1, 16>}} {
  // expected-remark @below {{dynamic dimension 'seq' is at least 2: the slice here takes positions up to 2 from an end of dim 1 (a run with less is refused)}}
  %head = tessera.slice %x [0, 0, 0] to [2, 2, 8] : tensor<2x?x8xf32> -> tensor<2x?x8xf32>
  %rest = tessera.slice %x [0, 2, 0] to [2, 9223372036854775807, 8] : tensor<2x?x8xf32> -> tensor<2x?x8xf32>
  %y = tessera.concat %head, %rest axis = 1 : (tensor<2x?x8xf32>, tensor<2x?x8xf32>) -> tensor<2x?x8xf32>
  return %y : tensor<2x?x8xf32>
}

// -----

// The last three positions (x[:, -3:]) need three.
// CHECK-LABEL: func.func @tail
// CHECK-SAME: tessera.dim_bounds = {seq = array<i64: 3, 16>}
func.func @tail(%x: tensor<2x?xf32> {tessera.dims = [2, "seq"], tessera.name = "x"}) -> tensor<2x?xf32> attributes {tessera.dim_bounds = {seq = array<i64: 1, 16>}} {
  // expected-remark @below {{dynamic dimension 'seq' is at least 3}}
  %tail = tessera.slice %x [0, -3] to [2, 9223372036854775807] : tensor<2x?xf32> -> tensor<2x?xf32>
  return %tail : tensor<2x?xf32>
}

// -----

// A slice that needs more positions than the bound allows is refused.
func.func @too_short(%x: tensor<2x?xf32> {tessera.dims = [2, "seq"], tessera.name = "x"}) -> tensor<2x?xf32> attributes {tessera.dim_bounds = {seq = array<i64: 1, 4>}} {
  // expected-error @below {{dynamic dimension 'seq' must be at least 6 (the slice here takes positions up to 6 from an end of dim 1) but its upper bound is 4}}
  %head = tessera.slice %x [0, 0] to [2, 6] : tensor<2x?xf32> -> tensor<2x?xf32>
  return %head : tensor<2x?xf32>
}

// -----

// Over a sum of named dims the bounds must already hold it: no single dim
// to raise.
func.func @over_a_sum(%x: tensor<?xf32> {tessera.dims = ["past + seq"], tessera.name = "x"}) -> tensor<?xf32> attributes {tessera.dim_bounds = {past = array<i64: 1, 8>, seq = array<i64: 1, 8>}} {
  // expected-error @below {{'tessera.slice' op needs dim 0 (past + seq) to be at least 4; raise the lower bounds of its named dims with --dim}}
  %head = tessera.slice %x [0] to [4] : tensor<?xf32> -> tensor<?xf32>
  return %head : tensor<?xf32>
}

// -----

// Tokens added to a static position table of 5 rows: kernels broadcast
// only static 1s, so seq is 5, both bounds (a run with another length is
// refused rather than read past the table).
// CHECK-LABEL: func.func @tied
// CHECK-SAME: tessera.dim_bounds = {batch = array<i64: 1, 1>, seq = array<i64: 5, 5>}
// expected-remark @below {{dynamic dimension 'batch' bounded by 1}}
func.func @tied(%x: tensor<?x?x8xf32> {tessera.dims = ["batch", "seq", 8], tessera.name = "x"}) -> tensor<?x5x8xf32> {
  %table = tessera.constant dense<1.0> : tensor<1x5x8xf32>
  // expected-remark @below {{dynamic dimension 'seq' bounded by 5: it is broadcast against a static dim of 5 here}}
  // expected-remark @below {{dynamic dimension 'seq' is at least 5: it is broadcast against a static dim of 5 here (a run with less is refused)}}
  %y = tessera.add %x, %table : (tensor<?x?x8xf32>, tensor<1x5x8xf32>) -> tensor<?x5x8xf32>
  return %y : tensor<?x5x8xf32>
}

// -----

// --dim that excludes the tied size is an error.
func.func @tied_against_dim(%x: tensor<?x8xf32> {tessera.dims = ["seq", 8], tessera.name = "x"}) -> tensor<5x8xf32> attributes {tessera.dim_bounds = {seq = array<i64: 1, 4>}} {
  %table = tessera.constant dense<1.0> : tensor<5x8xf32>
  // expected-error @below {{dynamic dimension 'seq' must be 5 (it is broadcast against a static dim of 5 here) but its bounds are [1, 4]}}
  %y = tessera.add %x, %table : (tensor<?x8xf32>, tensor<5x8xf32>) -> tensor<5x8xf32>
  return %y : tensor<5x8xf32>
}

// -----

// A cache concatenated in front of the new tokens' keys (GPT-2's
// past_key_values) may be empty: the prompt runs with past = 0 in the same
// binary as the steps.
// CHECK-LABEL: func.func @empty_cache
// CHECK-SAME: past = array<i64: 0, 512>
// CHECK-SAME: seq = array<i64: 1, 512>
// expected-remark @below {{dynamic dimension 'past' bounded by 512: nothing in the graph bounds it; the default is 512; to plan for more, pass --dim past=0:MAX}}
// expected-remark @below {{dynamic dimension 'seq' bounded by 512}}
func.func @empty_cache(%past: tensor<1x?x8xf32> {tessera.dims = [1, "past", 8], tessera.name = "past"}, %new: tensor<1x?x8xf32> {tessera.dims = [1, "seq", 8], tessera.name = "new"}) -> tensor<1x?x8xf32> {
  // expected-remark @below {{dynamic dimension 'past' may be 0: the length of the part concatenated in front along dim 1 (a cache that starts empty)}}
  %keys = tessera.concat %past, %new axis = 1 : (tensor<1x?x8xf32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  return %keys : tensor<1x?x8xf32>
}

// -----

// Bounds the function states are kept for a cache too.
// CHECK-LABEL: func.func @given_cache
// CHECK-SAME: tessera.dim_bounds = {past = array<i64: 1, 8>, seq = array<i64: 1, 8>}
func.func @given_cache(%past: tensor<1x?x8xf32> {tessera.dims = [1, "past", 8], tessera.name = "past"}, %new: tensor<1x?x8xf32> {tessera.dims = [1, "seq", 8], tessera.name = "new"}) -> tensor<1x?x8xf32> attributes {tessera.dim_bounds = {past = array<i64: 1, 8>, seq = array<i64: 1, 8>}} {
  %keys = tessera.concat %past, %new axis = 1 : (tensor<1x?x8xf32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  return %keys : tensor<1x?x8xf32>
}

// -----

// A strided conv over a dynamic image: its positions are derived dims
// (tessera.derived_dims), bounded by their definitions, not defaulted.
// CHECK-LABEL: func.func @derived_positions
// CHECK-SAME: tessera.dim_bounds = {batch = array<i64: 1, 1>, height = array<i64: 1, 512>, width = array<i64: 1, 512>}
// expected-remark @below {{dynamic dimension 'batch' bounded by 1}}
// expected-remark @below {{dynamic dimension 'height' bounded by 512}}
// expected-remark @below {{dynamic dimension 'width' bounded by 512}}
func.func @derived_positions(%x: tensor<?x3x?x?xf32> {tessera.dims = ["batch", 3, "height", "width"], tessera.name = "x"}) -> tensor<?x4x?x?xf32> attributes {tessera.derived_dims = ["height_1 = floor((height + 1) / 2)", "width_1 = floor((width + 1) / 2)"]} {
  %w = tessera.constant dense<1.0> : tensor<4x3x3x3xf32>
  %y = tessera.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x3x?x?xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x?x?xf32>
  return %y : tensor<?x4x?x?xf32>
}

// -----

// A derived dim broadcast against a static one is fixed at its size; the
// runtime refuses a run whose image gives another.
// CHECK-LABEL: func.func @derived_tied
// CHECK-SAME: height_1 = array<i64: 4, 4>
// expected-remark @below {{dynamic dimension 'height' bounded by 512}}
func.func @derived_tied(%x: tensor<1x3x?x8xf32> {tessera.dims = [1, 3, "height", 8], tessera.name = "x"}) -> tensor<1x4x4x4xf32> attributes {tessera.derived_dims = ["height_1 = floor((height + 1) / 2)"]} {
  %w = tessera.constant dense<1.0> : tensor<4x3x3x3xf32>
  %y = tessera.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x?x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x?x4xf32>
  %t = tessera.constant dense<1.0> : tensor<1x4x4x4xf32>
  // expected-remark @below {{dynamic dimension 'height_1' (floor((1 + height) / 2)) must be 4: it is broadcast against a static dim of 4 here; a run whose input sizes give another value is refused}}
  %z = tessera.add %y, %t : (tensor<1x4x?x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  return %z : tensor<1x4x4x4xf32>
}

// -----

// Several derived dims meeting a static one: no one of them can be fixed.
func.func @derived_product_tied(%x: tensor<1x3x?x?xf32> {tessera.dims = [1, 3, "height", "width"], tessera.name = "x"}) -> tensor<1x4x16xf32> attributes {tessera.derived_dims = ["height_1 = floor((height + 1) / 2)", "width_1 = floor((width + 1) / 2)"]} {
  %w = tessera.constant dense<1.0> : tensor<4x3x3x3xf32>
  %y = tessera.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x?x?xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x?x?xf32>
  %f = tessera.reshape %y {dims = ["1", "4", "height_1*width_1"]} : tensor<1x4x?x?xf32> -> tensor<1x4x?xf32>
  %t = tessera.constant dense<1.0> : tensor<1x4x16xf32>
  // expected-error @below {{broadcasts 'height_1*width_1', computed from the input sizes, against a static dim of 16: the graph holds only for input sizes that give 16; compile for one size with --dim height=N --dim width=N, or export with a fixed size}}
  %z = tessera.add %f, %t : (tensor<1x4x?xf32>, tensor<1x4x16xf32>) -> tensor<1x4x16xf32>
  return %z : tensor<1x4x16xf32>
}

// -----

// expected-error @below {{has derived dim "h2 = height / 2"; each must be "name = floor((numerator) / divisor)" with a new name and a divisor of at least 1}}
func.func @derived_malformed(%x: tensor<1x?xf32> {tessera.dims = [1, "height"], tessera.name = "x"}) -> tensor<1x?xf32> attributes {tessera.derived_dims = ["h2 = height / 2"]} {
  return %x : tensor<1x?xf32>
}

// -----

// The default bound would make a buffer larger than the target's largest
// binding (here 128 MiB): the defaults are halved until it fits.
// CHECK-LABEL: func.func @default_fits_binding
// CHECK-SAME: tessera.dim_bounds = {len = array<i64: 1, 256>}
module attributes {tessera.target = #tessera.target<name = "tiny", subgroup_size = 4, max_shared_memory = 16384, max_workgroup_invocations = 128, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = false, int8 = false>} {
  // expected-remark @below {{dynamic dimension 'len' bounded by 256: nothing in the graph bounds it; at the default of 512 a tensor of [131072, len] would be larger than the largest binding of target 'tiny' (134217728 bytes), so the default is 256; to plan for more, pass --dim len=1:MAX}}
  func.func @default_fits_binding(%x: tensor<131072x?xf32> {tessera.dims = [131072, "len"], tessera.name = "x"}) -> tensor<131072x?xf32> {
    %y = tessera.exp %x : tensor<131072x?xf32>
    return %y : tensor<131072x?xf32>
  }
}

// -----

// A static weight larger than a binding is split later, not bounded; and a
// tensor too large even at a bound of 1 leaves the default (the writer then
// names the dims to bound).
// CHECK-LABEL: func.func @default_kept
// CHECK-SAME: tessera.dim_bounds = {len = array<i64: 1, 512>}
module attributes {tessera.target = #tessera.target<name = "tiny", subgroup_size = 4, max_shared_memory = 16384, max_workgroup_invocations = 128, max_push_constants_size = 128, max_storage_buffer_range = 134217728, fp16 = false, int8 = false>} {
  // expected-remark @below {{dynamic dimension 'len' bounded by 512: nothing in the graph bounds it; the default is 512}}
  func.func @default_kept(%x: tensor<40000000x?xf32> {tessera.dims = [40000000, "len"], tessera.name = "x"}) -> tensor<40000000x?xf32> {
    %w = tessera.constant dense<1.0> : tensor<40000000x1xf32>
    %y = tessera.add %x, %w : (tensor<40000000x?xf32>, tensor<40000000x1xf32>) -> tensor<40000000x?xf32>
    return %y : tensor<40000000x?xf32>
  }
}

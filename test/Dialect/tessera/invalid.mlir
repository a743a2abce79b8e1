// Every verifier rule of the tessera ops, one case each.
// RUN: tessera-opt %s -split-input-file -verify-diagnostics

func.func @constant_inline_too_large() {
  // expected-error @+1 {{'tessera.constant' op inline dense literal has 1025 elements; literals above 1024 elements must be dense_resource blobs}}
  %0 = tessera.constant dense<[0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2]> : tensor<1025xi32>
  return
}

// -----

func.func @constant_not_a_tensor() {
  // expected-error @+1 {{'tessera.constant' op result #0 must be ranked tensor}}
  %0 = tessera.constant 1 : i32
  return
}

// -----

func.func @gather_axis(%t: tensor<8x4xf32>, %i: tensor<2xi64>) {
  // expected-error @+2 {{axis 2 is out of range for a rank-2 input (expected 0 to 1)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.gather %t[%i], axis = 2 : (tensor<8x4xf32>, tensor<2xi64>) -> tensor<8x4xf32>
  return
}

// -----

func.func @gather_float_indices(%t: tensor<8x4xf32>, %i: tensor<2xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = tessera.gather %t[%i], axis = 0 : (tensor<8x4xf32>, tensor<2xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @iota_empty_start() {
  // expected-error @+1 {{has an empty start; leave it out to start at 0}}
  %0 = tessera.iota length = "seq" start = "" : tensor<?xi32>
  return
}

// -----

func.func @reshape_element_type(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{changes the element type from 'f32' to 'f16'; use tessera.cast}}
  %0 = tessera.reshape %x : tensor<4x4xf32> -> tensor<16xf16>
  return
}

// -----

func.func @reshape_count(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{input 4x4 has 16 elements but result 2x4 has 8}}
  %0 = tessera.reshape %x : tensor<4x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @reshape_dynamic_count(%x: tensor<?x6xf32>) {
  // expected-error @+1 {{cannot reshape ?x6 into 4x4: 16 elements are not a multiple of 6}}
  %0 = tessera.reshape %x : tensor<?x6xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @transpose_length(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{permutation has 2 entries for a rank-3 input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.transpose %x, [1, 0] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  return
}

// -----

func.func @transpose_not_permutation(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{permutation [0, 0, 2] is not a permutation of 0..2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.transpose %x, [0, 0, 2] : tensor<2x3x4xf32> -> tensor<2x2x4xf32>
  return
}

// -----

func.func @transpose_wrong_result(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{'tessera.transpose' op inferred type(s) 'tensor<3x2x4xf32>' are incompatible with return type(s) of operation 'tensor<2x3x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.transpose %x, [1, 0, 2] : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  return
}

// -----

func.func @slice_entries(%x: tensor<8x8xf32>) {
  // expected-error @+2 {{starts, ends and steps need one entry per dimension of the rank-2 input, got 1, 2 and 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.slice %x [0] to [4, 4] : tensor<8x8xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @slice_step(%x: tensor<8x8xf32>) {
  // expected-error @+2 {{step -1 of dimension 1 must be positive}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.slice %x [0, 7] to [4, 0] step [1, -1] : tensor<8x8xf32> -> tensor<4x7xf32>
  return
}

// -----

func.func @concat_rank(%a: tensor<2x3xf32>, %b: tensor<2xf32>) {
  // expected-error @+2 {{input 1 has rank 1 but input 0 has rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.concat %a, %b axis = 0 : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_dims(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+2 {{input 1 has size 4 in dimension 1 where input 0 has 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.concat %a, %b axis = 0 : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_element_types(%a: tensor<2xf32>, %b: tensor<2xf16>) {
  // expected-error @+2 {{operands have different element types: 'f32' and 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.concat %a, %b axis = 0 : (tensor<2xf32>, tensor<2xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<2xf32>) {
  // expected-error @+2 {{axis 1 is out of range for a rank-1 input (expected 0 to 0)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.concat %a, %a axis = 1 : (tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @concat_empty() {
  // expected-error @+2 {{needs at least one input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.concat axis = 0 : () -> tensor<4xf32>
  return
}

// -----

func.func @broadcast_element_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{changes the element type from 'f32' to 'f16'}}
  %0 = tessera.broadcast %x : tensor<4xf32> -> tensor<2x4xf16>
  return
}

// -----

func.func @broadcast_rank(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{cannot broadcast rank 2 to the lower rank 1}}
  %0 = tessera.broadcast %x : tensor<2x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @broadcast_dim(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{input dimension 0 of size 3 cannot broadcast to size 5 (input 3x4, result 2x5x4)}}
  %0 = tessera.broadcast %x : tensor<3x4xf32> -> tensor<2x5x4xf32>
  return
}

// -----

func.func @cast_shape(%x: tensor<3x4xi64>) {
  // expected-error @+1 {{changes the shape from 3x4 to 12; a cast only converts elements}}
  %0 = tessera.cast %x : tensor<3x4xi64> -> tensor<12xf32>
  return
}

// -----

func.func @binary_element_types(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+2 {{operands have different element types: 'f32' and 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.add %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @binary_broadcast(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+2 {{operand shapes 2x3, 4x3 are not broadcast-compatible: dimension 2 and dimension 4 cannot be broadcast (trailing dimension 1)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.mul %a, %b : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @binary_wrong_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'tessera.sub' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.sub %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @pow_integers(%a: tensor<4xi64>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float values}}
  %0 = tessera.pow %a, %a : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return
}

// -----

func.func @and_floats(%a: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = tessera.and %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @compare_element_types(%a: tensor<4xi64>, %b: tensor<4xi32>) {
  // expected-error @+2 {{operands have different element types: 'i64' and 'i32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.compare lt, %a, %b : (tensor<4xi64>, tensor<4xi32>) -> tensor<4xi1>
  return
}

// -----

func.func @compare_predicate(%a: tensor<4xi64>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'predicate' [eq, ne, lt, le, gt, ge]}}
  %0 = tessera.compare less, %a, %a : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
  return
}

// -----

func.func @select_branch_types(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+2 {{operands have different element types: 'f32' and 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.select %c, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @select_broadcast(%c: tensor<3xi1>, %a: tensor<4xf32>) {
  // expected-error @+2 {{operand shapes 3, 4, 4 are not broadcast-compatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.select %c, %a, %a : (tensor<3xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @select_condition_type(%c: tensor<4xi64>, %a: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = tessera.select %c, %a, %a : (tensor<4xi64>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @unary_integer(%a: tensor<4xi64>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float values}}
  %0 = tessera.exp %a : tensor<4xi64>
  return
}

// -----

func.func @unary_result_type(%a: tensor<4xf32>) {
  // expected-error @+1 {{'tessera.tanh' op requires the same type for all operands and results}}
  %0 = "tessera.tanh"(%a) : (tensor<4xf32>) -> tensor<4xf16>
  return
}

// -----

func.func @not_float(%a: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = tessera.not %a : tensor<4xf32>
  return
}

// -----

func.func @gelu_approximation(%a: tensor<4xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'approximate' [none, tanh]}}
  %0 = tessera.gelu %a approximate = sigmoid : tensor<4xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<4xf32>, %b: tensor<4x4xf32>) {
  // expected-error @+2 {{operands must have rank 2 or more, got ranks 1 and 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.matmul %a, %b : (tensor<4xf32>, tensor<4x4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @matmul_k(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) {
  // expected-error @+2 {{contraction sizes differ: lhs 4x8 has K = 8, rhs 4x8 has K = 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.matmul %a, %b : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x4x8xf32>, %b: tensor<3x8x4xf32>) {
  // expected-error @+2 {{batch dimensions of 2x4x8 and 3x8x4 are not broadcast-compatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.matmul %a, %b : (tensor<2x4x8xf32>, tensor<3x8x4xf32>) -> tensor<3x4x4xf32>
  return
}

// -----

func.func @matmul_element_types(%a: tensor<4x8xf32>, %b: tensor<8x4xf16>) {
  // expected-error @+2 {{operands have different element types: 'f32' and 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.matmul %a, %b : (tensor<4x8xf32>, tensor<8x4xf16>) -> tensor<4x4xf32>
  return
}

// -----

func.func @matmul_wrong_result(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>) {
  // expected-error @+2 {{'tessera.matmul' op inferred type(s) 'tensor<4x4xf32>' are incompatible with return type(s) of operation 'tensor<4x8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.matmul %a, %b : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<1x2x3x4x5xf32>, %w: tensor<1x2x3x3x3xf32>) {
  // expected-error @+2 {{needs an input [N, C, (H,) W] and a weight [F, C / groups, (KH,) KW] of the same rank, 3 or 4, got ranks 5 and 5}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.conv %x, %w {strides = array<i64: 1, 1, 1>, pads = array<i64: 0, 0, 0, 0, 0, 0>, dilations = array<i64: 1, 1, 1>, groups = 1 : i64} : (tensor<1x2x3x4x5xf32>, tensor<1x2x3x3x3xf32>) -> tensor<1x1x1x2x3xf32>
  return
}

// -----

func.func @conv_attribute_counts(%x: tensor<1x2x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{needs 2 strides, 4 pads and 2 dilations, got 2, 2 and 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_stride(%x: tensor<1x2x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{needs strides, dilations and groups of at least 1 and pads of at least 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.conv %x, %w {strides = array<i64: 0, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_dynamic_channels(%x: tensor<1x?x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{needs static channels and kernel (the batch and image may be dynamic), got input 1x?x8x8 and weight 4x2x3x3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x?x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_groups(%x: tensor<1x6x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{has 6 input and 4 output channels in 3 groups but a weight 4x2x3x3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 3 : i64} : (tensor<1x6x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x2x8x8xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{bias must be [4], got [3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x8x8xf32>, tensor<4x2x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_kernel_too_large(%x: tensor<1x2x8x4xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{has a kernel of 3 (dilation 2) that does not fit axis 3 of 4 positions padded by 0 and 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 2>, groups = 1 : i64} : (tensor<1x2x8x4xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x1xf32>
  return
}

// -----

func.func @pool_rank(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{pools an input of rank 2; it must be [N, C, W] or [N, C, H, W]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.pool %x max {kernel = array<i64: 2>, strides = array<i64: 2>, pads = array<i64: 0, 0>, dilations = array<i64: 1>} : tensor<2x8xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @pool_pad_past_window(%x: tensor<1x2x8x8xf32>) {
  // expected-error @+2 {{pads axis 2 by 2 and 2, not less than its window of 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.pool %x average {kernel = array<i64: 2, 2>, strides = array<i64: 1, 1>, pads = array<i64: 2, 0, 2, 0>, dilations = array<i64: 1, 1>} : tensor<1x2x8x8xf32> -> tensor<1x2x11x7xf32>
  return
}

// -----

func.func @pool_dynamic_channels(%x: tensor<1x?x8x8xf32>) {
  // expected-error @+2 {{needs static channels (the batch and image may be dynamic), got 1x?x8x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.pool %x max {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x?x8x8xf32> -> tensor<1x?x4x4xf32>
  return
}

// -----

func.func @argsort_dynamic_axis(%x: tensor<2x?xf32>) {
  // expected-error @+2 {{sorts along dynamic axis 1; the axis must be static}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.argsort %x, axis = 1 : tensor<2x?xf32> -> tensor<2x?xi32>
  return
}

// -----

func.func @scatter_tuple_too_long(%x: tensor<2x4xf32>, %i: tensor<3x3xi32>, %u: tensor<3xf32>) {
  // expected-error @+2 {{needs indices [Q..., K] with a static K from 1 to the data's rank, got 3x3 for data 2x4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.scatter_nd %x, %i, %u : (tensor<2x4xf32>, tensor<3x3xi32>, tensor<3xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @scatter_updates_shape(%x: tensor<2x4xf32>, %i: tensor<3x1xi32>, %u: tensor<3x5xf32>) {
  // expected-error @+2 {{needs updates 3x4 of the data's element type, got 'tensor<3x5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.scatter_nd %x, %i, %u : (tensor<2x4xf32>, tensor<3x1xi32>, tensor<3x5xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_input_rank(%x: tensor<f32>, %w: tensor<4x4xf32>) {
  // expected-error @+2 {{input must have rank 1 or more}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.linear %x, %w : (tensor<f32>, tensor<4x4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<2x4xf32>, %w: tensor<4xf32>) {
  // expected-error @+2 {{weight must be [N, K], got rank 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.linear %x, %w : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_k(%x: tensor<2x4xf32>, %w: tensor<8x5xf32>) {
  // expected-error @+2 {{input has K = 4 but weight 8x5 has K = 5}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.linear %x, %w : (tensor<2x4xf32>, tensor<8x5xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @linear_bias(%x: tensor<2x4xf32>, %w: tensor<8x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{bias must be [8], got [4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.linear %x, %w, %b : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x4xf32>) {
  // expected-error @+2 {{axis -1 is out of range for a rank-2 input (expected 0 to 1)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.softmax %x, axis = -1 : tensor<2x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @layer_norm_axis(%x: tensor<2x4xf32>) {
  // expected-error @+2 {{axis 2 is out of range for a rank-2 input (expected 0 to 1)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.layer_norm %x, axis = 2, epsilon = 1.0e-5 : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @layer_norm_scale(%x: tensor<2x4xf32>, %g: tensor<2x4xf32>) {
  // expected-error @+2 {{scale has shape 2x4 but the normalized dimensions are 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.layer_norm %x scale(%g), axis = 1, epsilon = 1.0e-5 : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @layer_norm_bias(%x: tensor<2x4xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{bias has shape 3 but the normalized dimensions are 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.layer_norm %x bias(%b), axis = 1, epsilon = 1.0e-5 : (tensor<2x4xf32>, tensor<3xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @layer_norm_element_types(%x: tensor<2x4xf32>, %g: tensor<4xf16>) {
  // expected-error @+2 {{operands have different element types: 'f32' and 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.layer_norm %x scale(%g), axis = 1, epsilon = 1.0e-5 : (tensor<2x4xf32>, tensor<4xf16>) -> tensor<2x4xf32>
  return
}

// -----

func.func @reduce_axis(%x: tensor<2x4xf32>) {
  // expected-error @+2 {{axis 3 is out of range for a rank-2 input (expected 0 to 1)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.reduce_sum %x, [3] : tensor<2x4xf32> -> tensor<2xf32>
  return
}

// -----

func.func @reduce_duplicate_axis(%x: tensor<2x4xf32>) {
  // expected-error @+2 {{axis 1 is listed more than once}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.reduce_mean %x, [1, 1] : tensor<2x4xf32> -> tensor<2xf32>
  return
}

// -----

func.func @reduce_wrong_result(%x: tensor<2x4xf32>) {
  // expected-error @+2 {{'tessera.reduce_max' op inferred type(s) 'tensor<2x1xf32>' are incompatible with return type(s) of operation 'tensor<2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.reduce_max %x, [1] {keepdims = true} : tensor<2x4xf32> -> tensor<2xf32>
  return
}

// -----

func.func @argmax_axis(%x: tensor<2x4xf32>) {
  // expected-error @+2 {{axis 2 is out of range for a rank-2 input (expected 0 to 1)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.argmax %x, axis = 2 : tensor<2x4xf32> -> tensor<2xi32>
  return
}

// -----

func.func @argmax_result_type(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 32-bit signless integer values}}
  %0 = tessera.argmax %x, axis = 1 : tensor<2x4xf32> -> tensor<2xi64>
  return
}

// -----

func.func @attention_rank(%q: tensor<4x8x64xf32>, %k: tensor<1x4x8x64xf32>) {
  // expected-error @+2 {{query must be [batch, heads, length, head_dim], got rank 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.attention %q, %k, %k : (tensor<4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_element_types(%q: tensor<1x4x8x64xf16>, %k: tensor<1x4x8x64xf32>) {
  // expected-error @+2 {{operands have different element types: 'f16' and 'f32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.attention %q, %k, %k : (tensor<1x4x8x64xf16>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf16>
  return
}

// -----

func.func @attention_batch(%q: tensor<2x4x8x64xf32>, %k: tensor<3x4x8x64xf32>) {
  // expected-error @+2 {{batch size differs: query has 2, key has 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.attention %q, %k, %k : (tensor<2x4x8x64xf32>, tensor<3x4x8x64xf32>, tensor<3x4x8x64xf32>) -> tensor<2x4x8x64xf32>
  return
}

// -----

func.func @attention_value_batch(%q: tensor<2x4x8x64xf32>, %v: tensor<3x4x8x64xf32>) {
  // expected-error @+2 {{batch size differs: query has 2, value has 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.attention %q, %q, %v : (tensor<2x4x8x64xf32>, tensor<2x4x8x64xf32>, tensor<3x4x8x64xf32>) -> tensor<2x4x8x64xf32>
  return
}

// -----

func.func @attention_head_dim(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x32xf32>) {
  // expected-error @+2 {{head dim differs: query has 64, key has 32}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.attention %q, %k, %k : (tensor<1x4x8x64xf32>, tensor<1x4x8x32xf32>, tensor<1x4x8x32xf32>) -> tensor<1x4x8x32xf32>
  return
}

// -----

func.func @attention_kv_heads(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>, %v: tensor<1x2x8x64xf32>) {
  // expected-error @+2 {{head count differs: key has 4, value has 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.attention %q, %k, %v : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x2x8x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_key_length(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>, %v: tensor<1x4x9x64xf32>) {
  // expected-error @+2 {{sequence length differs: key has 8, value has 9}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.attention %q, %k, %v : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x9x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_gqa(%q: tensor<1x6x8x64xf32>, %k: tensor<1x4x8x64xf32>) {
  // expected-error @+2 {{query heads (6) must be a multiple of key/value heads (4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.attention %q, %k, %k : (tensor<1x6x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x6x8x64xf32>
  return
}

// -----

func.func @attention_bias_shape(%q: tensor<1x4x8x64xf32>, %b: tensor<1x4x8x9xf32>) {
  // expected-error @+2 {{bias of shape 1x4x8x9 does not broadcast to the scores' shape 1x4x8x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.attention %q, %q, %q bias(%b) : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x9xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_bias_rank(%q: tensor<1x4x8x64xf32>, %b: tensor<1x1x4x8x8xf32>) {
  // expected-error @+2 {{bias of shape 1x1x4x8x8 does not broadcast to the scores' shape 1x4x8x8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.attention %q, %q, %q bias(%b) : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x1x4x8x8xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_bias_element_type(%q: tensor<1x4x8x64xf32>, %b: tensor<8x8xf16>) {
  // expected-error @+2 {{bias element type 'f16' differs from the query's 'f32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.attention %q, %q, %q bias(%b) : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<8x8xf16>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_padding_shape(%q: tensor<1x4x8x64xf32>, %m: tensor<1x9xi1>) {
  // expected-error @+2 {{key_padding_mask must be [batch, key length] = 1x8, got 1x9}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.attention %q, %q, %q key_padding_mask(%m) : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x9xi1>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_padding_type(%q: tensor<1x4x8x64xf32>, %m: tensor<1x8xf32>) {
  // expected-error @+1 {{operand #3 must be ranked tensor of 1-bit signless integer values}}
  %0 = tessera.attention %q, %q, %q key_padding_mask(%m) : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x8xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_dynamic_head_dim(%q: tensor<1x4x8x?xf32>) {
  // expected-error @+1 {{needs an explicit 'scale' when the head dimension is dynamic}}
  %0 = tessera.attention %q, %q, %q : (tensor<1x4x8x?xf32>, tensor<1x4x8x?xf32>, tensor<1x4x8x?xf32>) -> tensor<1x4x8x?xf32>
  return
}

// -----

func.func @attention_scale(%q: tensor<1x4x8x64xf32>) {
  // expected-error @+1 {{'scale' must be a positive finite number}}
  %0 = tessera.attention %q, %q, %q {scale = -0.125 : f32} : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_global_token(%q: tensor<1x4x8x64xf32>) {
  // expected-error @+1 {{global token 8 lies beyond the key length 8}}
  %0 = tessera.attention %q, %q, %q {mask = #tessera.mask<global, tokens = [0, 8], inner = <sliding, left = 1, right = 1>>} : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_window_length(%q: tensor<1x4x8x64xf32>) {
  // expected-error @+1 {{window mask over a 4x4 grid needs 16 tokens, but the query length is 8}}
  %0 = tessera.attention %q, %q, %q {mask = #tessera.mask<window, grid = [4, 4], size = 2>} : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_window_key_length(%q: tensor<1x4x16x64xf32>, %k: tensor<1x4x8x64xf32>) {
  // expected-error @+1 {{window mask over a 4x4 grid needs 16 tokens, but the key length is 8}}
  %0 = tessera.attention %q, %k, %k {mask = #tessera.mask<window, grid = [4, 4], size = 2>} : (tensor<1x4x16x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x16x64xf32>
  return
}

// -----

func.func @attention_alibi_count(%q: tensor<1x4x8x64xf32>) {
  // expected-error @+1 {{has 2 ALiBi slopes for 4 query heads}}
  %0 = tessera.attention %q, %q, %q {alibi_slopes = array<f32: 0.5, 0.25>} : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @window_bias_without_window(%q: tensor<1x4x16x64xf32>, %b: tensor<4x16x16xf32>) {
  // expected-error @+1 {{'window_relative_bias' needs a window mask}}
  %0 = tessera.attention %q, %q, %q bias(%b) {window_relative_bias} : (tensor<1x4x16x64xf32>, tensor<1x4x16x64xf32>, tensor<1x4x16x64xf32>, tensor<4x16x16xf32>) -> tensor<1x4x16x64xf32>
  return
}

// -----

func.func @window_bias_shape(%q: tensor<1x4x64x32xf32>, %b: tensor<4x64x64xf32>) {
  // expected-error @+1 {{window-relative bias must end in 16x16 (positions in a window), got 'tensor<4x64x64xf32>'}}
  %0 = tessera.attention %q, %q, %q bias(%b) {mask = #tessera.mask<window, grid = [8, 8], size = 4>, window_relative_bias} : (tensor<1x4x64x32xf32>, tensor<1x4x64x32xf32>, tensor<1x4x64x32xf32>, tensor<4x64x64xf32>) -> tensor<1x4x64x32xf32>
  return
}

// -----

func.func @dispatch_two_roots(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %0 = tessera.dispatch(%x, %w) : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x8xf32>):
    %1 = tessera.softmax %a, axis = 1 : tensor<4x8xf32> -> tensor<4x8xf32>
    // expected-error @+1 {{'tessera.linear' op is a second root op in one dispatch region}}
    %2 = tessera.linear %1, %b : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
    tessera.yield %2 : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

func.func @dispatch_recomputed_norm_with_scale_as_input(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %g: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = tessera.dispatch(%x, %w, %g) : (tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8x8xf32>, %c: tensor<8xf32>):
    // expected-error @+1 {{'tessera.layer_norm' op recomputed by a linear's dispatch must have the linear's rows and, as its input, no scale or bias}}
    %1 = tessera.layer_norm %a scale(%c), axis = 1, epsilon = 1.0e-5 : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %2 = tessera.linear %1, %b : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
    tessera.yield %2 : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}

// -----

func.func @dispatch_recomputed_norm_over_two_dims(%x: tensor<4x2x4xf32>, %w: tensor<8x4xf32>) -> tensor<4x2x8xf32> {
  %0 = tessera.dispatch(%x, %w) : (tensor<4x2x4xf32>, tensor<8x4xf32>) -> tensor<4x2x8xf32> {
  ^bb0(%a: tensor<4x2x4xf32>, %b: tensor<8x4xf32>):
    // expected-error @+1 {{'tessera.layer_norm' op recomputed by a linear's dispatch must normalise the last dimension only}}
    %1 = tessera.layer_norm %a, axis = 1, epsilon = 1.0e-5 : (tensor<4x2x4xf32>) -> tensor<4x2x4xf32>
    %2 = tessera.linear %1, %b : (tensor<4x2x4xf32>, tensor<8x4xf32>) -> tensor<4x2x8xf32>
    tessera.yield %2 : tensor<4x2x8xf32>
  }
  return %0 : tensor<4x2x8xf32>
}

// -----

func.func @dequantize_bits(%q: tensor<24x12xi32>, %s: tensor<24x1xf32>) -> tensor<24x64xf32> {
  // expected-error@+1 {{bits must be 4 or 8, not 6}}
  %0 = tessera.dequantize %q, %s {bits = 6 : i64, group_size = 64 : i64} : (tensor<24x12xi32>, tensor<24x1xf32>) -> tensor<24x64xf32>
  return %0 : tensor<24x64xf32>
}

// -----

func.func @dequantize_group(%q: tensor<24x8xi32>, %s: tensor<24x2xf32>) -> tensor<24x64xf32> {
  // expected-error@+1 {{group_size 4 must divide K = 64 and be a multiple of 8 (values per 32-bit word)}}
  %0 = tessera.dequantize %q, %s {bits = 4 : i64, group_size = 4 : i64} : (tensor<24x8xi32>, tensor<24x2xf32>) -> tensor<24x64xf32>
  return %0 : tensor<24x64xf32>
}

// -----

func.func @dequantize_words(%q: tensor<24x16xi32>, %s: tensor<24x2xf32>) -> tensor<24x64xf32> {
  // expected-error@+1 {{packed words must be 24x8 for a 24x64 weight of 4-bit values, not 24x16}}
  %0 = tessera.dequantize %q, %s {bits = 4 : i64, group_size = 32 : i64} : (tensor<24x16xi32>, tensor<24x2xf32>) -> tensor<24x64xf32>
  return %0 : tensor<24x64xf32>
}

// -----

func.func @dequantize_scales(%q: tensor<24x8xi32>, %s: tensor<24x1xf32>, %z: tensor<24x2xf32>) -> tensor<24x64xf32> {
  // expected-error@+1 {{scale and zero_point must be 24x2 (one per row and group of 32), not 24x1}}
  %0 = tessera.dequantize %q, %s, %z {bits = 4 : i64, group_size = 32 : i64} : (tensor<24x8xi32>, tensor<24x1xf32>, tensor<24x2xf32>) -> tensor<24x64xf32>
  return %0 : tensor<24x64xf32>
}

// -----

func.func @dequantize_rank(%q: tensor<2x24x8xi32>, %s: tensor<24x2xf32>) -> tensor<2x24x64xf32> {
  // expected-error@+1 {{result must be a static [N, K] matrix, not 'tensor<2x24x64xf32>'}}
  %0 = tessera.dequantize %q, %s {bits = 4 : i64, group_size = 32 : i64} : (tensor<2x24x8xi32>, tensor<24x2xf32>) -> tensor<2x24x64xf32>
  return %0 : tensor<2x24x64xf32>
}

// -----

func.func @rotary_odd(%x: tensor<2x5xf32>, %c: tensor<2x5xf32>) {
  // expected-error @+2 {{rotates pairs, but the last dimension has an odd size, 5}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.rotary %x, %c, %c : (tensor<2x5xf32>, tensor<2x5xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @rotary_dynamic_pairs(%x: tensor<2x?xf32>, %c: tensor<2x?xf32>) {
  // expected-error @+2 {{needs a static last dimension (the pairs)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.rotary %x, %c, %c : (tensor<2x?xf32>, tensor<2x?xf32>, tensor<2x?xf32>) -> tensor<2x?xf32>
  return
}

// -----

func.func @rotary_widening_table(%x: tensor<1x8xf32>, %c: tensor<3x8xf32>) {
  // expected-error @+2 {{cos and sin ('tensor<3x8xf32>', 'tensor<3x8xf32>') must broadcast to the input's shape 'tensor<1x8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = tessera.rotary %x, %c, %c : (tensor<1x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>) -> tensor<3x8xf32>
  return
}

// -----

func.func @resize_scale_count(%x: tensor<2x4x8xf32>) {
  // expected-error @+1 {{needs one scale per dim of its rank-3 input and a result of that rank, got 2 scales and rank 3}}
  %0 = tessera.resize %x scales = [2.0, 2.0] : tensor<2x4x8xf32> -> tensor<2x4x16xf32>
  return
}

// -----

func.func @resize_static_to_dynamic(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{resizes dim 1 by 2.000000e+00; a dynamic dim must be dynamic in the input and the result and resized by an integer, its inverse, or a fraction whose denominator is a power of two up to 2^16}}
  %0 = tessera.resize %x scales = [1.0, 2.0] : tensor<2x4xf32> -> tensor<2x?xf32>
  return
}

// -----

func.func @resize_unit_scale(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{dim 0 has scale 1 but size 3 from 2}}
  %0 = tessera.resize %x scales = [1.0, 2.0] : tensor<2x8xf32> -> tensor<3x16xf32>
  return
}

// -----

func.func @resize_dynamic_by_a_fraction(%x: tensor<1x2x?x8xf32>) {
  // expected-error @+1 {{resizes dim 2 by 3.000000e-01; a dynamic dim must be dynamic in the input and the result and resized by an integer, its inverse, or a fraction whose denominator is a power of two up to 2^16}}
  %0 = tessera.resize %x scales = [1.0, 1.0, 0.3, 1.0] : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return
}

// -----

func.func @resize_at_run_time_unnamed(%x: tensor<1x2x?x8xf32>) {
  // expected-error @+1 {{dim 2 has scale 0 (the ratio of the sizes at run time), which needs a dynamic input dim, and `dims` naming the result's dims where they are dynamic}}
  %0 = tessera.resize %x scales = [1.0, 1.0, 0.0, 1.0] : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return
}

// -----

func.func @resize_static_at_run_time(%x: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{dim 2 has scale 0 (the ratio of the sizes at run time), which needs a dynamic input dim}}
  %0 = tessera.resize %x scales = [1.0, 1.0, 0.0, 1.0] : tensor<1x2x4x8xf32> -> tensor<1x2x6x8xf32>
  return
}

// Tile configs per root kind and per profile; none exceeds the profile.
// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=lavapipe -tessera-form-dispatches -tessera-select-tile-configs | FileCheck %s --check-prefix=LAVAPIPE
// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=nvidia -tessera-form-dispatches -tessera-select-tile-configs | FileCheck %s --check-prefix=NVIDIA
// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=generic -tessera-form-dispatches -tessera-select-tile-configs | FileCheck %s --check-prefix=GENERIC
// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=mali -tessera-form-dispatches -tessera-select-tile-configs | FileCheck %s --check-prefix=MALI
// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=amd -tessera-form-dispatches -tessera-select-tile-configs | FileCheck %s --check-prefix=AMD
// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=intel -tessera-form-dispatches -tessera-select-tile-configs | FileCheck %s --check-prefix=INTEL
// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=adreno -tessera-form-dispatches -tessera-select-tile-configs | FileCheck %s --check-prefix=ADRENO

// Register tiles from the profile's register budget: the largest whose
// accumulators and one k step of operands fit half of it.
// LAVAPIPE-LABEL: func @matmul
// LAVAPIPE: workgroup_size = [8, 16, 1], tile = [256, 64, 1], thread_tile = [16, 8]
// NVIDIA-LABEL: func @matmul
// NVIDIA: workgroup_size = [16, 16, 1], tile = [128, 128, 1], thread_tile = [8, 8]
// GENERIC-LABEL: func @matmul
// GENERIC: workgroup_size = [8, 16, 1], tile = [64, 32, 1], thread_tile = [4, 4]
// MALI-LABEL: func @matmul
// MALI: workgroup_size = [16, 16, 1], tile = [64, 64, 1], thread_tile = [4, 4]
// AMD-LABEL: func @matmul
// AMD: workgroup_size = [16, 16, 1], tile = [128, 128, 1], thread_tile = [8, 8]
// INTEL-LABEL: func @matmul
// INTEL: workgroup_size = [16, 16, 1], tile = [128, 64, 1], thread_tile = [8, 4]
// ADRENO-LABEL: func @matmul
// ADRENO: workgroup_size = [16, 16, 1], tile = [64, 64, 1], thread_tile = [4, 4]
func.func @matmul(%a: tensor<?x256xf32>, %w: tensor<512x256xf32>) -> tensor<?x512xf32> {
  %0 = tessera.linear %a, %w : (tensor<?x256xf32>, tensor<512x256xf32>) -> tensor<?x512xf32>
  return %0 : tensor<?x512xf32>
}

// -----

// Decoding (M = 1): a single row of invocations, one row per invocation,
// the budget spent on columns. On nvidia (64 parallel workgroups) the 12
// tiles of 256 columns become 96 of 32, each workgroup's invocations
// splitting K = 768 in 8 slices (tile[2]) whose partial sums meet in
// workgroup memory. Lavapipe never splits (parallel_workgroups = 1).
// LAVAPIPE-LABEL: func @decode
// LAVAPIPE: workgroup_size = [8, 1, 1], tile = [1, 128, 1], thread_tile = [1, 16]
// NVIDIA-LABEL: func @decode
// NVIDIA: workgroup_size = [2, 1, 8], tile = [1, 32, 8], thread_tile = [1, 16]
// GENERIC-LABEL: func @decode
// GENERIC: workgroup_size = [8, 1, 1], tile = [1, 64, 1], thread_tile = [1, 8]
func.func @decode(%a: tensor<1x768xf32>, %w: tensor<3072x768xf32>) -> tensor<1x3072xf32> {
  %0 = tessera.linear %a, %w : (tensor<1x768xf32>, tensor<3072x768xf32>) -> tensor<1x3072xf32>
  return %0 : tensor<1x3072xf32>
}

// -----

// Batch dims count as workgroups too: 64 single-row matmuls fill nvidia's
// 64 parallel workgroups without splitting K.
// NVIDIA-LABEL: func @batched_rows
// NVIDIA: workgroup_size = [16, 1, 1], tile = [1, 256, 1], thread_tile = [1, 16]
func.func @batched_rows(%a: tensor<64x1x512xf32>, %b: tensor<64x512x256xf32>) -> tensor<64x1x256xf32> {
  %0 = tessera.matmul %a, %b : (tensor<64x1x512xf32>, tensor<64x512x256xf32>) -> tensor<64x1x256xf32>
  return %0 : tensor<64x1x256xf32>
}

// -----

// Dynamic rows count at their bound (tessera.dim_bounds): at most 128 rows
// (a linear's leading dims flattened: 2 x seq) get a 128-row tile rather
// than one half idle; a bound of 1 is the decode tile. Too few tiles for
// the profile's parallel workgroups: fewer rows of threads first (down to
// one subgroup: nvidia's 128 x 128 tile becomes 16 x 64 with 2 K slices),
// then K slices, each at least 64 long (K = 256: at most 4).
// LAVAPIPE-LABEL: func @bounded_rows
// LAVAPIPE: workgroup_size = [8, 8, 1], tile = [128, 64, 1], thread_tile = [16, 8]
// LAVAPIPE: workgroup_size = [8, 1, 1], tile = [1, 128, 1], thread_tile = [1, 16]
// NVIDIA-LABEL: func @bounded_rows
// NVIDIA: workgroup_size = [8, 2, 2], tile = [16, 64, 2], thread_tile = [8, 8]
// NVIDIA: workgroup_size = [4, 1, 4], tile = [1, 64, 4], thread_tile = [1, 16]
func.func @bounded_rows(%a: tensor<2x?x256xf32> {tessera.dims = [2, "seq", 256]}, %t: tensor<?x256xf32> {tessera.dims = ["step", 256]}, %w: tensor<512x256xf32>) -> (tensor<2x?x512xf32>, tensor<?x512xf32>) attributes {tessera.dim_bounds = {seq = array<i64: 1, 64>, step = array<i64: 1, 1>}} {
  %0 = tessera.linear %a, %w : (tensor<2x?x256xf32>, tensor<512x256xf32>) -> tensor<2x?x512xf32>
  %1 = tessera.linear %t, %w : (tensor<?x256xf32>, tensor<512x256xf32>) -> tensor<?x512xf32>
  return %0, %1 : tensor<2x?x512xf32>, tensor<?x512xf32>
}

// -----

// Attention: several query rows per invocation where their keys coincide
// (none, causal, undilated bands), as many as the profile's register budget
// holds with a query and an accumulator row each (D + Dv values), at most
// 4; other masks keep one row per invocation. thread_tile = [rows, split]:
// no split while one row fits the budget.
// LAVAPIPE-LABEL: func @attention
// LAVAPIPE: workgroup_size = [64, 1, 1], tile = [256, 16], thread_tile = [4, 1]
// LAVAPIPE: workgroup_size = [64, 1, 1], tile = [64, 16], thread_tile = [1, 1]
// NVIDIA-LABEL: func @attention
// NVIDIA: workgroup_size = [64, 1, 1], tile = [64, 16], thread_tile = [1, 1]
// NVIDIA: workgroup_size = [64, 1, 1], tile = [64, 16], thread_tile = [1, 1]
// GENERIC-LABEL: func @attention
// GENERIC: workgroup_size = [64, 1, 1], tile = [64, 16], thread_tile = [1, 1]
// GENERIC: workgroup_size = [64, 1, 1], tile = [64, 16], thread_tile = [1, 1]
// Mali's 64 registers hold half a row at D = 64: pairs of invocations.
// MALI-LABEL: func @attention
// MALI: workgroup_size = [64, 1, 1], tile = [32, 16], thread_tile = [1, 2]
// MALI: workgroup_size = [64, 1, 1], tile = [32, 16], thread_tile = [1, 2]
func.func @attention(%q: tensor<1x4x?x64xf32>) -> (tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>) {
  %0 = tessera.attention %q, %q, %q : (tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>) -> tensor<1x4x?x64xf32>
  %1 = tessera.attention %q, %q, %q {mask = #tessera.mask<sliding, left = 4, right = 4, dilation = 2>} : (tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>) -> tensor<1x4x?x64xf32>
  return %0, %1 : tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>
}

// -----

// Rows per invocation follow the head dim: lavapipe's 512 registers hold
// 4 rows at D = 32 and 64, 3 at 80, 2 at 96 and 128. Where one row (D + Dv
// values) exceeds the budget, the head dims are split over 2, 4, ...
// adjacent invocations (up to the subgroup; each holding 1/split of both
// dims), rows per group from what is left: NVIDIA's 255 hold 3 rows at
// D = 32, 1 at 80 and 96, and split D = 128 over 2; Mali's 64 split 80
// and 96 over 4 (40 and 48 values each) and 128 over 4; the generic
// profile (subgroups of 1) cannot split.
// LAVAPIPE-LABEL: func @attention_head_dims
// LAVAPIPE: tile = [256, 16], thread_tile = [4, 1]
// LAVAPIPE: tile = [192, 16], thread_tile = [3, 1]
// LAVAPIPE: tile = [128, 16], thread_tile = [2, 1]
// LAVAPIPE: tile = [128, 16], thread_tile = [2, 1]
// NVIDIA-LABEL: func @attention_head_dims
// NVIDIA: tile = [192, 16], thread_tile = [3, 1]
// NVIDIA: tile = [64, 16], thread_tile = [1, 1]
// NVIDIA: tile = [64, 16], thread_tile = [1, 1]
// NVIDIA: tile = [32, 16], thread_tile = [1, 2]
// MALI-LABEL: func @attention_head_dims
// MALI: tile = [64, 16], thread_tile = [1, 1]
// MALI: tile = [16, 16], thread_tile = [1, 4]
// MALI: tile = [16, 16], thread_tile = [1, 4]
// MALI: tile = [16, 16], thread_tile = [1, 4]
// GENERIC-LABEL: func @attention_head_dims
// GENERIC: tile = [64, 16], thread_tile = [1, 1]
// GENERIC: tile = [64, 16], thread_tile = [1, 1]
// GENERIC: tile = [64, 16], thread_tile = [1, 1]
// GENERIC: tile = [64, 16], thread_tile = [1, 1]
func.func @attention_head_dims(%d32: tensor<1x4x?x32xf32>, %d80: tensor<1x4x?x80xf32>, %d96: tensor<1x4x?x96xf32>, %d128: tensor<1x4x?x128xf32>) -> (tensor<1x4x?x32xf32>, tensor<1x4x?x80xf32>, tensor<1x4x?x96xf32>, tensor<1x4x?x128xf32>) {
  %0 = tessera.attention %d32, %d32, %d32 {mask = #tessera.mask<causal>} : (tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32>) -> tensor<1x4x?x32xf32>
  %1 = tessera.attention %d80, %d80, %d80 : (tensor<1x4x?x80xf32>, tensor<1x4x?x80xf32>, tensor<1x4x?x80xf32>) -> tensor<1x4x?x80xf32>
  %2 = tessera.attention %d96, %d96, %d96 : (tensor<1x4x?x96xf32>, tensor<1x4x?x96xf32>, tensor<1x4x?x96xf32>) -> tensor<1x4x?x96xf32>
  %3 = tessera.attention %d128, %d128, %d128 {mask = #tessera.mask<sliding, left = 64, right = 0>} : (tensor<1x4x?x128xf32>, tensor<1x4x?x128xf32>, tensor<1x4x?x128xf32>) -> tensor<1x4x?x128xf32>
  return %0, %1, %2, %3 : tensor<1x4x?x32xf32>, tensor<1x4x?x80xf32>, tensor<1x4x?x96xf32>, tensor<1x4x?x128xf32>
}

// -----

// A row of 256: 64 invocations, 4 elements each; a row of 10: down to 16
// invocations on lavapipe (never below one subgroup: 8), down to 16 on the
// generic profile too.
// LAVAPIPE-LABEL: func @rows
// LAVAPIPE: workgroup_size = [64, 1, 1], tile = [1], thread_tile = [4]
// LAVAPIPE: workgroup_size = [16, 1, 1], tile = [1], thread_tile = [1]
// NVIDIA-LABEL: func @rows
// NVIDIA: workgroup_size = [64, 1, 1], tile = [1], thread_tile = [4]
// NVIDIA: workgroup_size = [32, 1, 1], tile = [1], thread_tile = [1]
// GENERIC-LABEL: func @rows
// GENERIC: workgroup_size = [64, 1, 1], tile = [1], thread_tile = [4]
// AMD-LABEL: func @rows
// AMD: workgroup_size = [64, 1, 1], tile = [1], thread_tile = [4]
// AMD: workgroup_size = [64, 1, 1], tile = [1], thread_tile = [1]
func.func @rows(%x: tensor<?x256xf32>, %y: tensor<?x10xf32>) -> (tensor<?x256xf32>, tensor<?x10xf32>) {
  %0 = tessera.layer_norm %x, axis = 1, epsilon = 1.0e-5 : (tensor<?x256xf32>) -> tensor<?x256xf32>
  %1 = tessera.softmax %y, axis = 1 : tensor<?x10xf32> -> tensor<?x10xf32>
  return %0, %1 : tensor<?x256xf32>, tensor<?x10xf32>
}

// -----

// LAVAPIPE-LABEL: func @elementwise
// LAVAPIPE: workgroup_size = [64, 1, 1], tile = [64], thread_tile = [1]
func.func @elementwise(%x: tensor<?xf32>) -> tensor<?xf32> {
  %0 = tessera.exp %x : tensor<?xf32>
  return %0 : tensor<?xf32>
}

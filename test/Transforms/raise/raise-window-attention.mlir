// RUN: tessera-opt %s -split-input-file --tessera-raise-window-attention --canonicalize | FileCheck %s
//
// Swin's window attention as exporters write it (grid 4x4, windows 2x2,
// 2 heads): the roll (Slice + Concat), partition and reverse (Reshape /
// Transpose) around per-token projections become one attention over the
// tokens with a window mask; the relative bias becomes a
// window_relative_bias table. Cases whose chains are not exactly a window
// partition, or whose added mask is not the window's, stay as they are.

// CHECK-LABEL: func.func @windows
// CHECK: tessera.linear %arg0, %arg1 : (tensor<2x16x8xf32>, tensor<8x8xf32>) -> tensor<2x16x8xf32>
// CHECK: tessera.attention %{{.*}}, %{{.*}}, %{{.*}} bias(%arg5) {mask = #tessera.mask<window, grid = [4, 4], size = 2>, scale = 5.000000e-01 : f32, window_relative_bias} : (tensor<2x2x16x4xf32>, tensor<2x2x16x4xf32>, tensor<2x2x16x4xf32>, tensor<1x2x4x4xf32>) -> tensor<2x2x16x4xf32>
// CHECK: %[[Y:.*]] = tessera.linear %{{.*}}, %arg4 : (tensor<2x16x8xf32>, tensor<8x8xf32>) -> tensor<2x16x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @windows(%x: tensor<2x16x8xf32>, %wq: tensor<8x8xf32>, %wk: tensor<8x8xf32>, %wv: tensor<8x8xf32>, %wo: tensor<8x8xf32>, %rel: tensor<1x2x4x4xf32>) -> tensor<2x16x8xf32> {
  %g4 = tessera.reshape %x : tensor<2x16x8xf32> -> tensor<2x4x4x8xf32>
  %g = tessera.reshape %g4 : tensor<2x4x4x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %p = tessera.transpose %g, [0, 1, 3, 2, 4, 5] : tensor<2x2x2x2x2x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %w = tessera.reshape %p : tensor<2x2x2x2x2x8xf32> -> tensor<8x4x8xf32>
  %lq = tessera.linear %w, %wq : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %hq = tessera.reshape %lq : tensor<8x4x8xf32> -> tensor<8x4x2x4xf32>
  %q = tessera.transpose %hq, [0, 2, 1, 3] : tensor<8x4x2x4xf32> -> tensor<8x2x4x4xf32>
  %lk = tessera.linear %w, %wk : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %hk = tessera.reshape %lk : tensor<8x4x8xf32> -> tensor<8x4x2x4xf32>
  %k = tessera.transpose %hk, [0, 2, 1, 3] : tensor<8x4x2x4xf32> -> tensor<8x2x4x4xf32>
  %lv = tessera.linear %w, %wv : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %hv = tessera.reshape %lv : tensor<8x4x8xf32> -> tensor<8x4x2x4xf32>
  %v = tessera.transpose %hv, [0, 2, 1, 3] : tensor<8x4x2x4xf32> -> tensor<8x2x4x4xf32>
  %a = tessera.attention %q, %k, %v bias(%rel) {scale = 5.000000e-01 : f32} : (tensor<8x2x4x4xf32>, tensor<8x2x4x4xf32>, tensor<8x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<8x2x4x4xf32>
  %m = tessera.transpose %a, [0, 2, 1, 3] : tensor<8x2x4x4xf32> -> tensor<8x4x2x4xf32>
  %mr = tessera.reshape %m : tensor<8x4x2x4xf32> -> tensor<8x4x8xf32>
  %o = tessera.linear %mr, %wo : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %ow = tessera.reshape %o : tensor<8x4x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %ot = tessera.transpose %ow, [0, 1, 3, 2, 4, 5] : tensor<2x2x2x2x2x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %og = tessera.reshape %ot : tensor<2x2x2x2x2x8xf32> -> tensor<2x4x4x8xf32>
  %y = tessera.reshape %og : tensor<2x4x4x8xf32> -> tensor<2x16x8xf32>
  return %y : tensor<2x16x8xf32>
}

// -----

// Shifted windows: roll by -1 before, +1 after, and the shift's region
// mask (-100 across regions) added per window: shift = 1; the region mask
// is the window mask's own predicate and is dropped.
// CHECK-LABEL: func.func @shifted_windows
// CHECK: tessera.attention {{.*}} bias(%arg5) {mask = #tessera.mask<window, grid = [4, 4], size = 2, shift = 1>, scale = 5.000000e-01 : f32, window_relative_bias}
// CHECK-NOT: tessera.concat
func.func @shifted_windows(%x: tensor<2x16x8xf32>, %wq: tensor<8x8xf32>, %wk: tensor<8x8xf32>, %wv: tensor<8x8xf32>, %wo: tensor<8x8xf32>, %rel: tensor<1x2x4x4xf32>) -> tensor<2x16x8xf32> {
  %g4 = tessera.reshape %x : tensor<2x16x8xf32> -> tensor<2x4x4x8xf32>
  %r0 = tessera.slice %g4 [0, 1, 0, 0] to [2, 4, 4, 8] : tensor<2x4x4x8xf32> -> tensor<2x3x4x8xf32>
  %r1 = tessera.slice %g4 [0, 0, 0, 0] to [2, 1, 4, 8] : tensor<2x4x4x8xf32> -> tensor<2x1x4x8xf32>
  %rows = tessera.concat %r0, %r1 axis = 1 : (tensor<2x3x4x8xf32>, tensor<2x1x4x8xf32>) -> tensor<2x4x4x8xf32>
  %c0 = tessera.slice %rows [0, 0, 1, 0] to [2, 4, 4, 8] : tensor<2x4x4x8xf32> -> tensor<2x4x3x8xf32>
  %c1 = tessera.slice %rows [0, 0, 0, 0] to [2, 4, 1, 8] : tensor<2x4x4x8xf32> -> tensor<2x4x1x8xf32>
  %rolled = tessera.concat %c0, %c1 axis = 2 : (tensor<2x4x3x8xf32>, tensor<2x4x1x8xf32>) -> tensor<2x4x4x8xf32>
  %g = tessera.reshape %rolled : tensor<2x4x4x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %p = tessera.transpose %g, [0, 1, 3, 2, 4, 5] : tensor<2x2x2x2x2x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %w = tessera.reshape %p : tensor<2x2x2x2x2x8xf32> -> tensor<8x4x8xf32>
  %lq = tessera.linear %w, %wq : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %hq = tessera.reshape %lq : tensor<8x4x8xf32> -> tensor<8x4x2x4xf32>
  %q = tessera.transpose %hq, [0, 2, 1, 3] : tensor<8x4x2x4xf32> -> tensor<8x2x4x4xf32>
  %lk = tessera.linear %w, %wk : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %hk = tessera.reshape %lk : tensor<8x4x8xf32> -> tensor<8x4x2x4xf32>
  %k = tessera.transpose %hk, [0, 2, 1, 3] : tensor<8x4x2x4xf32> -> tensor<8x2x4x4xf32>
  %lv = tessera.linear %w, %wv : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %hv = tessera.reshape %lv : tensor<8x4x8xf32> -> tensor<8x4x2x4xf32>
  %v = tessera.transpose %hv, [0, 2, 1, 3] : tensor<8x4x2x4xf32> -> tensor<8x2x4x4xf32>
  %region = tessera.constant dense<[[[[[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]], [[[0.0, -100.0, 0.0, -100.0], [-100.0, 0.0, -100.0, 0.0], [0.0, -100.0, 0.0, -100.0], [-100.0, 0.0, -100.0, 0.0]]], [[[0.0, 0.0, -100.0, -100.0], [0.0, 0.0, -100.0, -100.0], [-100.0, -100.0, 0.0, 0.0], [-100.0, -100.0, 0.0, 0.0]]], [[[0.0, -100.0, -100.0, -100.0], [-100.0, 0.0, -100.0, -100.0], [-100.0, -100.0, 0.0, -100.0], [-100.0, -100.0, -100.0, 0.0]]]]]> : tensor<1x4x1x4x4xf32>
  %rb = tessera.broadcast %region : tensor<1x4x1x4x4xf32> -> tensor<2x4x2x4x4xf32>
  %rf = tessera.reshape %rb : tensor<2x4x2x4x4xf32> -> tensor<8x2x4x4xf32>
  %both = tessera.add %rf, %rel : (tensor<8x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<8x2x4x4xf32>
  %a = tessera.attention %q, %k, %v bias(%both) {scale = 5.000000e-01 : f32} : (tensor<8x2x4x4xf32>, tensor<8x2x4x4xf32>, tensor<8x2x4x4xf32>, tensor<8x2x4x4xf32>) -> tensor<8x2x4x4xf32>
  %m = tessera.transpose %a, [0, 2, 1, 3] : tensor<8x2x4x4xf32> -> tensor<8x4x2x4xf32>
  %mr = tessera.reshape %m : tensor<8x4x2x4xf32> -> tensor<8x4x8xf32>
  %o = tessera.linear %mr, %wo : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %ow = tessera.reshape %o : tensor<8x4x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %ot = tessera.transpose %ow, [0, 1, 3, 2, 4, 5] : tensor<2x2x2x2x2x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %og = tessera.reshape %ot : tensor<2x2x2x2x2x8xf32> -> tensor<2x4x4x8xf32>
  %s0 = tessera.slice %og [0, -1, 0, 0] to [2, 4, 4, 8] : tensor<2x4x4x8xf32> -> tensor<2x1x4x8xf32>
  %s1 = tessera.slice %og [0, 0, 0, 0] to [2, -1, 4, 8] : tensor<2x4x4x8xf32> -> tensor<2x3x4x8xf32>
  %orows = tessera.concat %s0, %s1 axis = 1 : (tensor<2x1x4x8xf32>, tensor<2x3x4x8xf32>) -> tensor<2x4x4x8xf32>
  %t0 = tessera.slice %orows [0, 0, -1, 0] to [2, 4, 4, 8] : tensor<2x4x4x8xf32> -> tensor<2x4x1x8xf32>
  %t1 = tessera.slice %orows [0, 0, 0, 0] to [2, 4, -1, 8] : tensor<2x4x4x8xf32> -> tensor<2x4x3x8xf32>
  %unrolled = tessera.concat %t0, %t1 axis = 2 : (tensor<2x4x1x8xf32>, tensor<2x4x3x8xf32>) -> tensor<2x4x4x8xf32>
  %y = tessera.reshape %unrolled : tensor<2x4x4x8xf32> -> tensor<2x16x8xf32>
  return %y : tensor<2x16x8xf32>
}

// -----

// Negative: one region-mask entry that should hide a key is 0; the mask is
// not the window mask, so nothing is raised.
// CHECK-LABEL: func.func @wrong_region_mask
// CHECK: tessera.concat
// CHECK: tessera.attention {{.*}} {scale = 5.000000e-01 : f32} : (tensor<8x2x4x4xf32>
// CHECK-NOT: window
func.func @wrong_region_mask(%x: tensor<2x16x8xf32>, %wq: tensor<8x8xf32>, %wk: tensor<8x8xf32>, %wv: tensor<8x8xf32>, %wo: tensor<8x8xf32>, %rel: tensor<1x2x4x4xf32>) -> tensor<2x16x8xf32> {
  %g4 = tessera.reshape %x : tensor<2x16x8xf32> -> tensor<2x4x4x8xf32>
  %r0 = tessera.slice %g4 [0, 1, 0, 0] to [2, 4, 4, 8] : tensor<2x4x4x8xf32> -> tensor<2x3x4x8xf32>
  %r1 = tessera.slice %g4 [0, 0, 0, 0] to [2, 1, 4, 8] : tensor<2x4x4x8xf32> -> tensor<2x1x4x8xf32>
  %rows = tessera.concat %r0, %r1 axis = 1 : (tensor<2x3x4x8xf32>, tensor<2x1x4x8xf32>) -> tensor<2x4x4x8xf32>
  %c0 = tessera.slice %rows [0, 0, 1, 0] to [2, 4, 4, 8] : tensor<2x4x4x8xf32> -> tensor<2x4x3x8xf32>
  %c1 = tessera.slice %rows [0, 0, 0, 0] to [2, 4, 1, 8] : tensor<2x4x4x8xf32> -> tensor<2x4x1x8xf32>
  %rolled = tessera.concat %c0, %c1 axis = 2 : (tensor<2x4x3x8xf32>, tensor<2x4x1x8xf32>) -> tensor<2x4x4x8xf32>
  %g = tessera.reshape %rolled : tensor<2x4x4x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %p = tessera.transpose %g, [0, 1, 3, 2, 4, 5] : tensor<2x2x2x2x2x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %w = tessera.reshape %p : tensor<2x2x2x2x2x8xf32> -> tensor<8x4x8xf32>
  %lq = tessera.linear %w, %wq : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %hq = tessera.reshape %lq : tensor<8x4x8xf32> -> tensor<8x4x2x4xf32>
  %q = tessera.transpose %hq, [0, 2, 1, 3] : tensor<8x4x2x4xf32> -> tensor<8x2x4x4xf32>
  %lk = tessera.linear %w, %wk : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %hk = tessera.reshape %lk : tensor<8x4x8xf32> -> tensor<8x4x2x4xf32>
  %k = tessera.transpose %hk, [0, 2, 1, 3] : tensor<8x4x2x4xf32> -> tensor<8x2x4x4xf32>
  %lv = tessera.linear %w, %wv : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %hv = tessera.reshape %lv : tensor<8x4x8xf32> -> tensor<8x4x2x4xf32>
  %v = tessera.transpose %hv, [0, 2, 1, 3] : tensor<8x4x2x4xf32> -> tensor<8x2x4x4xf32>
  %region = tessera.constant dense<[[[[[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]], [[[0.0, 0.0, 0.0, -100.0], [-100.0, 0.0, -100.0, 0.0], [0.0, -100.0, 0.0, -100.0], [-100.0, 0.0, -100.0, 0.0]]], [[[0.0, 0.0, -100.0, -100.0], [0.0, 0.0, -100.0, -100.0], [-100.0, -100.0, 0.0, 0.0], [-100.0, -100.0, 0.0, 0.0]]], [[[0.0, -100.0, -100.0, -100.0], [-100.0, 0.0, -100.0, -100.0], [-100.0, -100.0, 0.0, -100.0], [-100.0, -100.0, -100.0, 0.0]]]]]> : tensor<1x4x1x4x4xf32>
  %rb = tessera.broadcast %region : tensor<1x4x1x4x4xf32> -> tensor<2x4x2x4x4xf32>
  %rf = tessera.reshape %rb : tensor<2x4x2x4x4xf32> -> tensor<8x2x4x4xf32>
  %both = tessera.add %rf, %rel : (tensor<8x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<8x2x4x4xf32>
  %a = tessera.attention %q, %k, %v bias(%both) {scale = 5.000000e-01 : f32} : (tensor<8x2x4x4xf32>, tensor<8x2x4x4xf32>, tensor<8x2x4x4xf32>, tensor<8x2x4x4xf32>) -> tensor<8x2x4x4xf32>
  %m = tessera.transpose %a, [0, 2, 1, 3] : tensor<8x2x4x4xf32> -> tensor<8x4x2x4xf32>
  %mr = tessera.reshape %m : tensor<8x4x2x4xf32> -> tensor<8x4x8xf32>
  %o = tessera.linear %mr, %wo : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %ow = tessera.reshape %o : tensor<8x4x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %ot = tessera.transpose %ow, [0, 1, 3, 2, 4, 5] : tensor<2x2x2x2x2x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %og = tessera.reshape %ot : tensor<2x2x2x2x2x8xf32> -> tensor<2x4x4x8xf32>
  %s0 = tessera.slice %og [0, -1, 0, 0] to [2, 4, 4, 8] : tensor<2x4x4x8xf32> -> tensor<2x1x4x8xf32>
  %s1 = tessera.slice %og [0, 0, 0, 0] to [2, -1, 4, 8] : tensor<2x4x4x8xf32> -> tensor<2x3x4x8xf32>
  %orows = tessera.concat %s0, %s1 axis = 1 : (tensor<2x1x4x8xf32>, tensor<2x3x4x8xf32>) -> tensor<2x4x4x8xf32>
  %t0 = tessera.slice %orows [0, 0, -1, 0] to [2, 4, 4, 8] : tensor<2x4x4x8xf32> -> tensor<2x4x1x8xf32>
  %t1 = tessera.slice %orows [0, 0, 0, 0] to [2, 4, -1, 8] : tensor<2x4x4x8xf32> -> tensor<2x4x3x8xf32>
  %unrolled = tessera.concat %t0, %t1 axis = 2 : (tensor<2x4x1x8xf32>, tensor<2x4x3x8xf32>) -> tensor<2x4x4x8xf32>
  %y = tessera.reshape %unrolled : tensor<2x4x4x8xf32> -> tensor<2x16x8xf32>
  return %y : tensor<2x16x8xf32>
}

// -----

// The evaluation decides, not the op shapes: keeping each grid row's
// tokens together (no transpose) is the 2x2 windows of the same tokens
// seen as an 8x2 grid, which is raised as such.
// CHECK-LABEL: func.func @strips
// CHECK: tessera.attention {{.*}} {mask = #tessera.mask<window, grid = [8, 2], size = 2>
func.func @strips(%x: tensor<2x16x8xf32>, %wq: tensor<8x8xf32>, %wk: tensor<8x8xf32>, %wv: tensor<8x8xf32>, %wo: tensor<8x8xf32>, %rel: tensor<1x2x4x4xf32>) -> tensor<2x16x8xf32> {
  %g4 = tessera.reshape %x : tensor<2x16x8xf32> -> tensor<2x4x4x8xf32>
  %g = tessera.reshape %g4 : tensor<2x4x4x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %p = tessera.transpose %g, [0, 1, 2, 3, 4, 5] : tensor<2x2x2x2x2x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %w = tessera.reshape %p : tensor<2x2x2x2x2x8xf32> -> tensor<8x4x8xf32>
  %lq = tessera.linear %w, %wq : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %hq = tessera.reshape %lq : tensor<8x4x8xf32> -> tensor<8x4x2x4xf32>
  %q = tessera.transpose %hq, [0, 2, 1, 3] : tensor<8x4x2x4xf32> -> tensor<8x2x4x4xf32>
  %lk = tessera.linear %w, %wk : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %hk = tessera.reshape %lk : tensor<8x4x8xf32> -> tensor<8x4x2x4xf32>
  %k = tessera.transpose %hk, [0, 2, 1, 3] : tensor<8x4x2x4xf32> -> tensor<8x2x4x4xf32>
  %lv = tessera.linear %w, %wv : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %hv = tessera.reshape %lv : tensor<8x4x8xf32> -> tensor<8x4x2x4xf32>
  %v = tessera.transpose %hv, [0, 2, 1, 3] : tensor<8x4x2x4xf32> -> tensor<8x2x4x4xf32>
  %a = tessera.attention %q, %k, %v bias(%rel) {scale = 5.000000e-01 : f32} : (tensor<8x2x4x4xf32>, tensor<8x2x4x4xf32>, tensor<8x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<8x2x4x4xf32>
  %m = tessera.transpose %a, [0, 2, 1, 3] : tensor<8x2x4x4xf32> -> tensor<8x4x2x4xf32>
  %mr = tessera.reshape %m : tensor<8x4x2x4xf32> -> tensor<8x4x8xf32>
  %o = tessera.linear %mr, %wo : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %ow = tessera.reshape %o : tensor<8x4x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %ot = tessera.transpose %ow, [0, 1, 2, 3, 4, 5] : tensor<2x2x2x2x2x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %og = tessera.reshape %ot : tensor<2x2x2x2x2x8xf32> -> tensor<2x4x4x8xf32>
  %y = tessera.reshape %og : tensor<2x4x4x8xf32> -> tensor<2x16x8xf32>
  return %y : tensor<2x16x8xf32>
}

// -----

// Negative: each window's positions in column-major order; the relative
// bias would be indexed by the wrong positions, so nothing is raised.
// CHECK-LABEL: func.func @column_major_windows
// CHECK: tessera.attention {{.*}} {scale = 5.000000e-01 : f32} : (tensor<8x2x4x4xf32>
// CHECK-NOT: window
func.func @column_major_windows(%x: tensor<2x16x8xf32>, %wq: tensor<8x8xf32>, %wk: tensor<8x8xf32>, %wv: tensor<8x8xf32>, %wo: tensor<8x8xf32>, %rel: tensor<1x2x4x4xf32>) -> tensor<2x16x8xf32> {
  %g4 = tessera.reshape %x : tensor<2x16x8xf32> -> tensor<2x4x4x8xf32>
  %g = tessera.reshape %g4 : tensor<2x4x4x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %p = tessera.transpose %g, [0, 1, 3, 4, 2, 5] : tensor<2x2x2x2x2x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %w = tessera.reshape %p : tensor<2x2x2x2x2x8xf32> -> tensor<8x4x8xf32>
  %lq = tessera.linear %w, %wq : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %hq = tessera.reshape %lq : tensor<8x4x8xf32> -> tensor<8x4x2x4xf32>
  %q = tessera.transpose %hq, [0, 2, 1, 3] : tensor<8x4x2x4xf32> -> tensor<8x2x4x4xf32>
  %lk = tessera.linear %w, %wk : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %hk = tessera.reshape %lk : tensor<8x4x8xf32> -> tensor<8x4x2x4xf32>
  %k = tessera.transpose %hk, [0, 2, 1, 3] : tensor<8x4x2x4xf32> -> tensor<8x2x4x4xf32>
  %lv = tessera.linear %w, %wv : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %hv = tessera.reshape %lv : tensor<8x4x8xf32> -> tensor<8x4x2x4xf32>
  %v = tessera.transpose %hv, [0, 2, 1, 3] : tensor<8x4x2x4xf32> -> tensor<8x2x4x4xf32>
  %a = tessera.attention %q, %k, %v bias(%rel) {scale = 5.000000e-01 : f32} : (tensor<8x2x4x4xf32>, tensor<8x2x4x4xf32>, tensor<8x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<8x2x4x4xf32>
  %m = tessera.transpose %a, [0, 2, 1, 3] : tensor<8x2x4x4xf32> -> tensor<8x4x2x4xf32>
  %mr = tessera.reshape %m : tensor<8x4x2x4xf32> -> tensor<8x4x8xf32>
  %o = tessera.linear %mr, %wo : (tensor<8x4x8xf32>, tensor<8x8xf32>) -> tensor<8x4x8xf32>
  %ow = tessera.reshape %o : tensor<8x4x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %ot = tessera.transpose %ow, [0, 1, 4, 2, 3, 5] : tensor<2x2x2x2x2x8xf32> -> tensor<2x2x2x2x2x8xf32>
  %og = tessera.reshape %ot : tensor<2x2x2x2x2x8xf32> -> tensor<2x4x4x8xf32>
  %y = tessera.reshape %og : tensor<2x4x4x8xf32> -> tensor<2x16x8xf32>
  return %y : tensor<2x16x8xf32>
}

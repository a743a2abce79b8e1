// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=lavapipe -tessera-form-dispatches -tessera-select-tile-configs -tessera-build-kernels | FileCheck %s
// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=mali -tessera-form-dispatches -tessera-select-tile-configs -tessera-build-kernels | FileCheck %s --check-prefix=MALI

// The ABI: params (i32), then one 1-D buffer per input, then the output.
// Dynamic sizes come from params: slot 0 is "seq" (symbol 0) here. A size
// is encoded as [term count, then per term: coefficient, symbol count,
// symbols], after the divisor for a workgroup count: "seq" is [1, 1, 1, 0].
// CHECK-LABEL: module attributes
// CHECK-SAME: tessera.symbols = ["seq"]
// CHECK: tessera.dispatch
// CHECK-SAME: tessera.kernel = @dispatch_0::@dispatch_0
// CHECK-SAME: tessera.params = [array<i64: 1, 1, 1, 0>]
// CHECK-SAME: tessera.workgroup_count = [array<i64: 64, 1, 512, 0>, array<i64: 256, 1, 1, 1, 0>, array<i64: 1, 1, 1, 0>]
// The input and the weight, both contiguous along K, are bound as vec4 and
// read four k steps per load: 16x8 accumulators, 4 k steps, 512 FMAs per
// iteration of a loop that steps by 4. The output, contiguous along N, is
// bound as vec4 too: each invocation's 8 columns are two stores per row.
// CHECK: gpu.module @dispatch_0
// CHECK: gpu.func @dispatch_0(%[[P:.*]]: memref<?xi32>, %[[X:.*]]: memref<?xvector<4xf32>>, %[[W:.*]]: memref<?xvector<4xf32>>, %[[B:.*]]: memref<?xf32>, %[[O:.*]]: memref<?xvector<4xf32>>) kernel
// CHECK-SAME: spirv.entry_point_abi = #spirv.entry_point_abi<workgroup_size = [8, 16, 1]>
// CHECK: memref.load %[[P]]
// CHECK: scf.for {{.*}} step %c4{{.*}} iter_args
// CHECK: memref.load %[[X]]
// CHECK: memref.load %[[W]]
// CHECK-COUNT-512: arith.mulf
// CHECK: math.tanh
// CHECK: memref.store {{.*}}, %[[O]]
func.func @linear_gelu(%x: tensor<?x256xf32> {tessera.dims = ["seq", 256]}, %w: tensor<512x256xf32>, %b: tensor<512xf32>) -> tensor<?x512xf32> {
  %0 = tessera.linear %x, %w, %b : (tensor<?x256xf32>, tensor<512x256xf32>, tensor<512xf32>) -> tensor<?x512xf32>
  %1 = tessera.gelu %0 approximate = tanh : tensor<?x512xf32>
  return %1 : tensor<?x512xf32>
}

// -----

// The head split is read through a strided view: no dispatch for it; the
// query of head h, position s, element d is at s*64 + h*16 + d.
// CHECK-LABEL: module attributes
// CHECK-COUNT-1: tessera.dispatch
// CHECK-NOT: tessera.dispatch
// CHECK: gpu.func @dispatch_0
// CHECK: gpu.subgroup_reduce
func.func @heads(%x: tensor<1x8x64xf32>) -> tensor<1x4x8x16xf32> {
  %r = tessera.reshape %x : tensor<1x8x64xf32> -> tensor<1x8x4x16xf32>
  %q = tessera.transpose %r, [0, 2, 1, 3] : tensor<1x8x4x16xf32> -> tensor<1x4x8x16xf32>
  %s = tessera.softmax %q, axis = 3 : tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %s : tensor<1x4x8x16xf32>
}

// -----

// A splat constant copied into a region is no root: the scale becomes an
// arith.constant of the matmul's epilogue.
// CHECK-LABEL: module attributes
// CHECK: gpu.func @dispatch_0
// CHECK: %[[S:.*]]:128 = scf.if
// CHECK: %[[K:.*]]:128 = scf.for
// CHECK: scf.yield %[[K]]#0,
// CHECK: %[[C:.*]] = arith.constant 1.250000e-01 : f32
// CHECK: arith.mulf %[[S]]#0, %[[C]] : f32
func.func @scaled_scores(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>) -> tensor<2x8x8xf32> {
  %c = tessera.constant dense<0.125> : tensor<f32>
  %s = tessera.matmul %q, %k {transpose_rhs = true} : (tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x8xf32>
  %x = tessera.mul %s, %c : (tensor<2x8x8xf32>, tensor<f32>) -> tensor<2x8x8xf32>
  return %x : tensor<2x8x8xf32>
}

// -----

// Attention reads Q, K and V rows as vec4 when the head dim is a multiple
// of 4 and the views are 16-byte aligned (here through the head split of a
// [1, L, 128] tensor), and writes its output four head dims per store; the
// padding mask stays scalar.
// CHECK-LABEL: module attributes
// CHECK: gpu.func @dispatch_0(%{{.*}}: memref<?xi32>, %{{.*}}: memref<?xvector<4xf32>>, %{{.*}}: memref<?xi32>, %{{.*}}: memref<?xvector<4xf32>>) kernel
// CHECK: vector.reduction <add>
func.func @attention_vec4(%x: tensor<1x16x128xf32>, %pad: tensor<1x16xi1>) -> tensor<1x4x16x32xf32> {
  %r = tessera.reshape %x : tensor<1x16x128xf32> -> tensor<1x16x4x32xf32>
  %t = tessera.transpose %r, [0, 2, 1, 3] : tensor<1x16x4x32xf32> -> tensor<1x4x16x32xf32>
  %0 = tessera.attention %t, %t, %t key_padding_mask(%pad) : (tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x4x16x32xf32>, tensor<1x16xi1>) -> tensor<1x4x16x32xf32>
  return %0 : tensor<1x4x16x32xf32>
}

// -----

// A head dim of 30 is not a multiple of 4: scalar loads.
// CHECK-LABEL: module attributes
// CHECK: gpu.func @dispatch_0(%{{.*}}: memref<?xi32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>) kernel
// CHECK-NOT: vector.reduction
func.func @attention_scalar(%q: tensor<1x2x16x30xf32>) -> tensor<1x2x16x30xf32> {
  %0 = tessera.attention %q, %q, %q : (tensor<1x2x16x30xf32>, tensor<1x2x16x30xf32>, tensor<1x2x16x30xf32>) -> tensor<1x2x16x30xf32>
  return %0 : tensor<1x2x16x30xf32>
}

// -----

// f16 storage: arithmetic is f32; the output is narrowed to f16 on store.
// With a head dim of 32, Q, K and V are read eight per load (f16 pairs in
// i32 lanes, bit-cast and widened), each load making two vec4 chunks; with
// 36, four per load as vector<4xf16>.
// CHECK-LABEL: module attributes
// CHECK: gpu.func @dispatch_0(%{{.*}}: memref<?xi32>, %{{.*}}: memref<?xvector<4xi32>>, %{{.*}}: memref<?xf16>) kernel
// CHECK: memref.load %{{.*}} : memref<?xvector<4xi32>>
// CHECK: vector.bitcast %{{.*}} : vector<1xi32> to vector<2xf16>
// CHECK: vector.from_elements %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK: %[[NARROW:.*]] = arith.truncf %{{.*}} : f32 to f16
// CHECK: memref.store %[[NARROW]], %{{.*}} : memref<?xf16>
// CHECK: gpu.func @dispatch_1(%{{.*}}: memref<?xi32>, %{{.*}}: memref<?xvector<4xf16>>, %{{.*}}: memref<?xf16>) kernel
// CHECK: %[[CHUNK:.*]] = memref.load %{{.*}} : memref<?xvector<4xf16>>
// CHECK-NEXT: arith.extf %[[CHUNK]] : vector<4xf16> to vector<4xf32>
func.func @attention_f16(%q: tensor<1x2x16x32xf16>, %p: tensor<1x2x16x36xf16>) -> (tensor<1x2x16x32xf16>, tensor<1x2x16x36xf16>) {
  %0 = tessera.attention %q, %q, %q {mask = #tessera.mask<causal>} : (tensor<1x2x16x32xf16>, tensor<1x2x16x32xf16>, tensor<1x2x16x32xf16>) -> tensor<1x2x16x32xf16>
  %1 = tessera.attention %p, %p, %p {mask = #tessera.mask<causal>} : (tensor<1x2x16x36xf16>, tensor<1x2x16x36xf16>, tensor<1x2x16x36xf16>) -> tensor<1x2x16x36xf16>
  return %0, %1 : tensor<1x2x16x32xf16>, tensor<1x2x16x36xf16>
}

// -----

// A static row that fits the registers (256 over 64 invocations: 4 values
// each) is read once: its 4 columns of x and of the residual are loaded
// before the first reduction, and the passes after it read registers. A
// dynamic row walks memory once per pass.
// CHECK-LABEL: module attributes
// CHECK: gpu.func @dispatch_0(%{{.*}}: memref<?xi32>, %[[X:.*]]: memref<?xf32>, %[[R:.*]]: memref<?xf32>, %{{.*}}: memref<?xf32>)
// CHECK-COUNT-4: memref.load %[[X]]
// CHECK: gpu.subgroup_reduce
// CHECK-NOT: memref.load %[[X]]
// CHECK: gpu.return
// CHECK: gpu.func @dispatch_1
// CHECK: scf.for
// CHECK: memref.load
// CHECK: gpu.subgroup_reduce
// CHECK: scf.for
// CHECK: memref.load
// CHECK: gpu.subgroup_reduce
func.func @norm_in_registers(%x: tensor<4x256xf32>, %r: tensor<4x256xf32>, %d: tensor<4x?xf32> {tessera.dims = [4, "cols"]}) -> (tensor<4x256xf32>, tensor<4x?xf32>) {
  %0 = tessera.add %x, %r : (tensor<4x256xf32>, tensor<4x256xf32>) -> tensor<4x256xf32>
  %1 = tessera.layer_norm %0, axis = 1, epsilon = 1.0e-5 : (tensor<4x256xf32>) -> tensor<4x256xf32>
  %2 = tessera.layer_norm %d, axis = 1, epsilon = 1.0e-5 : (tensor<4x?xf32>) -> tensor<4x?xf32>
  return %1, %2 : tensor<4x256xf32>, tensor<4x?xf32>
}

// -----

// A recomputed layer norm as the linear's input takes its statistics from
// the K loop (shifted sums carried beside the products: 16x8 products, 2x16
// row sums and 8 column sums, 168 values): no workgroup memory, no
// barrier. The
// post-LN residual's norm, read only by the epilogue, comes from a prepass
// into workgroup memory behind a barrier.
// CHECK-LABEL: module attributes
// CHECK: gpu.func @dispatch_0
// CHECK-NOT: memref.alloc
// CHECK-NOT: gpu.barrier
// CHECK: %{{.*}}:168 = scf.for
// CHECK-NOT: gpu.barrier
// CHECK: gpu.return
// CHECK: gpu.func @dispatch_1
// CHECK: memref.alloc() : memref<128xf32, 3>
// CHECK: gpu.barrier
// CHECK: %{{.*}}:128 = scf.for
// CHECK: gpu.return
func.func @norm_statistics(%x: tensor<64x32xf32>, %w1: tensor<64x32xf32>, %w2: tensor<32x64xf32>) -> tensor<64x32xf32> {
  %n = tessera.layer_norm %x, axis = 1, epsilon = 1.0e-5 : (tensor<64x32xf32>) -> tensor<64x32xf32>
  %h = tessera.linear %n, %w1 : (tensor<64x32xf32>, tensor<64x32xf32>) -> tensor<64x64xf32>
  %o = tessera.linear %h, %w2 : (tensor<64x64xf32>, tensor<32x64xf32>) -> tensor<64x32xf32>
  %r = tessera.add %o, %n : (tensor<64x32xf32>, tensor<64x32xf32>) -> tensor<64x32xf32>
  return %r : tensor<64x32xf32>
}

// -----

// f16 rows whose length and offsets are multiples of 8 are read eight per
// load: a buffer of vector<4xi32>, each lane bit-cast to an f16 pair and
// widened; the loop over K steps by 8. A row of 36 is read four per load.
// CHECK-LABEL: module attributes
// CHECK: gpu.func @dispatch_0(%{{.*}}: memref<?xi32>, %{{.*}}: memref<?xvector<4xi32>>, %{{.*}}: memref<?xvector<4xi32>>, %{{.*}}: memref<?xf16>)
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c8
// CHECK: vector.bitcast %{{.*}} : vector<1xi32> to vector<2xf16>
// CHECK: arith.extf %{{.*}} : vector<2xf16> to vector<2xf32>
// CHECK: gpu.func @dispatch_1(%{{.*}}: memref<?xi32>, %{{.*}}: memref<?xvector<4xf16>>, %{{.*}}: memref<?xvector<4xf16>>, %{{.*}}: memref<?xf16>)
func.func @f16_pairs(%x: tensor<4x40xf16>, %w: tensor<8x40xf16>, %y: tensor<4x36xf16>, %v: tensor<8x36xf16>) -> (tensor<4x8xf16>, tensor<4x8xf16>) {
  %0 = tessera.linear %x, %w : (tensor<4x40xf16>, tensor<8x40xf16>) -> tensor<4x8xf16>
  %1 = tessera.linear %y, %v : (tensor<4x36xf16>, tensor<8x36xf16>) -> tensor<4x8xf16>
  return %0, %1 : tensor<4x8xf16>, tensor<4x8xf16>
}

// -----

// Mali's 64 registers hold half a query row at D = 64 (thread_tile =
// [1, 2]): pairs of adjacent invocations share a row, the lane (thread id
// mod 2) picks the half of the head dims each holds, one xor shuffle sums
// the partial scores, and each lane stores its 32 output elements, four per
// store. On
// lavapipe one invocation holds the row: no shuffle. Either way the driver
// must keep the key loops as loops.
// CHECK-LABEL: func.func @attention_split
// CHECK: gpu.module @dispatch_0 attributes {tessera.keep_loops}
// CHECK-NOT: gpu.shuffle
// MALI-LABEL: func.func @attention_split
// MALI: gpu.module @dispatch_0 attributes {tessera.keep_loops}
// MALI: %[[THREAD:.*]] = gpu.thread_id x
// MALI: arith.remui %[[THREAD]], %c2
// MALI: arith.divui %[[THREAD]], %c2
// MALI: scf.for
// MALI: gpu.shuffle xor %{{.*}}, %c1_i32, %c32_i32 : f32
// MALI-NOT: gpu.shuffle
// MALI-COUNT-8: memref.store %{{.*}}, %arg2[%{{.*}}] : memref<?xvector<4xf32>>
// MALI-NOT: memref.store
func.func @attention_split(%q: tensor<1x2x16x64xf32>) -> tensor<1x2x16x64xf32> {
  %0 = tessera.attention %q, %q, %q {mask = #tessera.mask<causal>} : (tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>) -> tensor<1x2x16x64xf32>
  return %0 : tensor<1x2x16x64xf32>
}

// -----

// A gather checks its indices: the kernel takes the index status buffer
// last. An index outside [-rows, rows) makes its flat place in the index
// tensor a candidate for the invocation's lowest bad place (a private
// variable: no branch where indices are read); the kernel reads a clamped
// row meanwhile, and at its end puts the lowest bad place it saw into word
// 0 by an atomic minimum. The dispatch records what the runtime needs to
// name it: the extent, the index tensor's shape, and the input (0) the
// indices are.
// CHECK-LABEL: module attributes
// CHECK: tessera.dispatch
// CHECK-SAME: tessera.index_checks = [{extent = array<i64: 1, 30522, 0>, indices = [array<i64: 1, 1, 1, 0>], input = 0 : i64, what = "the tessera.gather at {{.*}}build-kernels.mlir:{{[0-9]+}}:{{[0-9]+}}"}]
// CHECK: gpu.func @dispatch_0(%[[P:.*]]: memref<?xi32>, %[[TABLE:.*]]: memref<?xf32>, %[[IDS:.*]]: memref<?xi32>, %[[O:.*]]: memref<?xf32>, %[[STATUS:.*]]: memref<?xi32>) kernel
// CHECK: %[[LOWEST:.*]] = memref.alloca() : memref<1xi32, 6>
// CHECK: memref.store %c2147483647_i32, %[[LOWEST]]
// CHECK: %[[BELOW:.*]] = arith.cmpi slt
// CHECK: %[[ABOVE:.*]] = arith.cmpi sge
// CHECK: %[[OUTSIDE:.*]] = arith.ori %[[BELOW]], %[[ABOVE]]
// CHECK: %[[CANDIDATE:.*]] = arith.select %[[OUTSIDE]]
// CHECK: %[[SOFAR:.*]] = memref.load %[[LOWEST]]
// CHECK: %[[MIN:.*]] = arith.minsi %[[SOFAR]], %[[CANDIDATE]] : i32
// CHECK: memref.store %[[MIN]], %[[LOWEST]]
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: %[[SEEN:.*]] = memref.load %[[LOWEST]]
// CHECK: %[[BAD:.*]] = arith.cmpi ne, %[[SEEN]]
// CHECK: scf.if %[[BAD]] {
// CHECK: memref.atomic_rmw mins %[[SEEN]], %[[STATUS]][%{{.*}}] : (i32, memref<?xi32>) -> i32
// CHECK: gpu.return
// MALI-LABEL: func.func @embedding
func.func @embedding(%ids: tensor<?xi32> {tessera.dims = ["seq"]}, %table: tensor<30522x64xf32>) -> tensor<?x64xf32> {
  %0 = tessera.gather %table[%ids], axis = 0 : (tensor<30522x64xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// --dump-dispatches says, per attention dispatch, its mask and the share of
// key tiles it visits at the compiled bounds (counted row group by row group
// from the enumeration the kernel emits).
// RUN: tessera-compile %s -o %t.tsr --dim seq=1:512 --dump-dispatches=%t.dumps
// RUN: cat %t.dumps/dispatch_0.txt %t.dumps/dispatch_1.txt %t.dumps/dispatch_2.txt %t.dumps/dispatch_3.txt %t.dumps/dispatch_4.txt %t.dumps/dispatch_5.txt | FileCheck %s
// RUN: tessera-compile %s -o %t.tsr --dim seq=1:2048 --dump-dispatches=%t.long
// RUN: FileCheck %s --check-prefix=LONG < %t.long/dispatch_2.txt

// 128 groups of 4 rows x 32 tiles of 16 keys.
// CHECK: attention, mask #tessera.mask<none>; at Lq = 512, Lk = 512 it visits 4096 of 4096 key tiles (100.0% of a dense kernel)
// Group g sees 4g + 4 keys: sum of ceil((g + 1) / 4) = 2112 tiles.
// CHECK: attention, mask #tessera.mask<causal>; at Lq = 512, Lk = 512 it visits 2112 of 4096 key tiles (51.6% of a dense kernel)
// A band of 65 keys over a group of 4 rows: 68 keys, 5 tiles.
// CHECK: attention, mask #tessera.mask<sliding, left = 32, right = 32>; at Lq = 512, Lk = 512 it visits 640 of 4096 key tiles (15.6% of a dense kernel)
// One row per invocation: 33 dilated keys, 3 tiles.
// CHECK: attention, mask #tessera.mask<sliding, left = 32, right = 32, dilation = 2>; at Lq = 512, Lk = 512 it visits 1536 of 16384 key tiles (9.4% of a dense kernel)
// Rows in window order, 4 per invocation: 8 windows x 16 groups, 64 keys
// (4 tiles) each.
// CHECK: attention, mask #tessera.mask<window, grid = [16, 32], size = 8>; at Lq = 512, Lk = 512 it visits 512 of 4096 key tiles (12.5% of a dense kernel)
// Row 0 is global (32 tiles); every other row enumerates its 1 global key
// and then its 65 band keys: 66 keys, 5 tiles.
// CHECK: attention, mask #tessera.mask<global, tokens = [0], inner = <sliding, left = 32, right = 32>>; at Lq = 512, Lk = 512 it visits 2587 of 16384 key tiles (15.8% of a dense kernel)

// The band's work grows linearly: 4x the rows, 4x the tiles.
// LONG: at Lq = 2048, Lk = 2048 it visits 2560 of 65536 key tiles (3.9% of a dense kernel)

func.func @variants(%q: tensor<1x2x?x32xf32> {tessera.name = "q", tessera.dims = [1, 2, "seq", 32]}, %w: tensor<1x2x512x32xf32> {tessera.name = "w"})
    -> (tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x512x32xf32>, tensor<1x2x?x32xf32>) {
  %0 = tessera.attention %q, %q, %q : (tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>) -> tensor<1x2x?x32xf32>
  %1 = tessera.attention %q, %q, %q {mask = #tessera.mask<causal>} : (tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>) -> tensor<1x2x?x32xf32>
  %2 = tessera.attention %q, %q, %q {mask = #tessera.mask<sliding, left = 32, right = 32>} : (tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>) -> tensor<1x2x?x32xf32>
  %3 = tessera.attention %q, %q, %q {mask = #tessera.mask<sliding, left = 32, right = 32, dilation = 2>} : (tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>) -> tensor<1x2x?x32xf32>
  %4 = tessera.attention %w, %w, %w {mask = #tessera.mask<window, grid = [16, 32], size = 8>} : (tensor<1x2x512x32xf32>, tensor<1x2x512x32xf32>, tensor<1x2x512x32xf32>) -> tensor<1x2x512x32xf32>
  %5 = tessera.attention %q, %q, %q {mask = #tessera.mask<global, tokens = [0], inner = <sliding, left = 32, right = 32>>} : (tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>) -> tensor<1x2x?x32xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x512x32xf32>, tensor<1x2x?x32xf32>
}

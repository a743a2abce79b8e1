// RUN: tessera-opt %s -split-input-file -tessera-form-dispatches | FileCheck %s
// Unnamed dynamic dims (@elementwise_chain) are left for kernel building to
// report: this pass prints no diagnostics.
// RUN: tessera-opt %s -split-input-file -tessera-form-dispatches 2>&1 >/dev/null | FileCheck %s --check-prefix=QUIET --allow-empty
// QUIET-NOT: error

// Bias is part of linear; GELU and the residual add join as an epilogue.
// CHECK-LABEL: func @linear_epilogue
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<8x8xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK-NEXT: %[[D:.*]] = tessera.dispatch(%[[X]], %[[W]], %[[B]])
// CHECK-NEXT: ^bb0(%[[A0:.*]]: tensor<4x8xf32>, %[[A1:.*]]: tensor<8x8xf32>, %[[A2:.*]]: tensor<8xf32>):
// CHECK-NEXT:   %[[L:.*]] = tessera.linear %[[A0]], %[[A1]], %[[A2]]
// CHECK-NEXT:   %[[G:.*]] = tessera.gelu %[[L]]
// CHECK-NEXT:   %[[R:.*]] = tessera.add %[[G]], %[[A0]]
// CHECK-NEXT:   tessera.yield %[[R]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[D]]
func.func @linear_epilogue(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = tessera.linear %x, %w, %b : (tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %1 = tessera.gelu %0 : tensor<4x8xf32>
  %2 = tessera.add %1, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}

// -----

// An intermediate with a second use is materialised: the epilogue stops
// there, and the elementwise ops after it form their own dispatch, which
// reads the intermediate once.
// CHECK-LABEL: func @epilogue_stops_at_second_use
// CHECK: %[[D0:.*]] = tessera.dispatch
// CHECK:   tessera.linear
// CHECK-NEXT: tessera.yield
// CHECK: %[[D1:.*]] = tessera.dispatch(%[[D0]])
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<4x8xf32>):
// CHECK-NEXT:   %[[G:.*]] = tessera.gelu %[[A]]
// CHECK-NEXT:   tessera.add %[[G]], %[[A]]
// CHECK: return %[[D1]]
func.func @epilogue_stops_at_second_use(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %0 = tessera.linear %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %1 = tessera.gelu %0 : tensor<4x8xf32>
  %2 = tessera.add %1, %0 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}

// -----

// Every elementwise epilogue form joins the linear: ReLU, swish, GELU,
// a scale (its splat constant copied into the region) and a cast.
// CHECK-LABEL: func @every_epilogue_form
// CHECK-NEXT: %[[D:.*]] = tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   %[[S:.*]] = tessera.constant dense<1.250000e-01>
// CHECK-NEXT:   %[[L:.*]] = tessera.linear
// CHECK-NEXT:   %[[R:.*]] = tessera.relu %[[L]]
// CHECK-NEXT:   %[[Q:.*]] = tessera.swish %[[R]] beta = 1.702000e+00
// CHECK-NEXT:   %[[G:.*]] = tessera.gelu %[[Q]]
// CHECK-NEXT:   %[[M:.*]] = tessera.mul %[[G]], %[[S]]
// CHECK-NEXT:   %[[C:.*]] = tessera.cast %[[M]] : tensor<4x8xf32> -> tensor<4x8xf16>
// CHECK-NEXT:   tessera.yield %[[C]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[D]]
func.func @every_epilogue_form(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf16> {
  %s = tessera.constant dense<0.125> : tensor<f32>
  %0 = tessera.linear %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %1 = tessera.relu %0 : tensor<4x8xf32>
  %2 = tessera.swish %1 beta = 1.702 : tensor<4x8xf32>
  %3 = tessera.gelu %2 : tensor<4x8xf32>
  %4 = tessera.mul %3, %s : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %5 = tessera.cast %4 : tensor<4x8xf32> -> tensor<4x8xf16>
  return %5 : tensor<4x8xf16>
}

// -----

// A residual add feeding a layer_norm alone becomes its prologue.
// CHECK-LABEL: func @layer_norm_prologue
// CHECK: tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   tessera.add
// CHECK-NEXT:   tessera.layer_norm
// CHECK-NEXT:   tessera.yield
// CHECK-NOT: tessera.dispatch
func.func @layer_norm_prologue(%x: tensor<4x8xf32>, %r: tensor<4x8xf32>, %g: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = tessera.add %x, %r : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %1 = tessera.layer_norm %0 scale(%g), axis = 1, epsilon = 1.0e-5 : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// A residual sum that is also returned is materialised by its own dispatch;
// the layer_norm reads it (no prologue that would compute it twice).
// CHECK-LABEL: func @prologue_stops_at_second_use
// CHECK-NEXT: %[[D0:.*]] = tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   tessera.add
// CHECK-NEXT:   tessera.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[D1:.*]] = tessera.dispatch(%[[D0]], %{{.*}})
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<4x8xf32>, %{{.*}}: tensor<8xf32>):
// CHECK-NEXT:   tessera.layer_norm %[[A]]
// CHECK-NEXT:   tessera.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[D1]], %[[D0]]
func.func @prologue_stops_at_second_use(%x: tensor<4x8xf32>, %r: tensor<4x8xf32>, %g: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = tessera.add %x, %r : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %1 = tessera.layer_norm %0 scale(%g), axis = 1, epsilon = 1.0e-5 : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %1, %0 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Reshape and transpose stay outside; the attention reads through them.
// Splat constants are copied into the region; weights stay inputs.
// CHECK-LABEL: func @shape_ops_stay_outside
// CHECK: %[[Q:.*]] = tessera.transpose
// CHECK: tessera.dispatch(%[[Q]]) :
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   tessera.constant dense<2.000000e+00> : tensor<f32>
// CHECK-NEXT:   tessera.attention
// CHECK-NEXT:   tessera.mul
// CHECK-NEXT:   tessera.yield
// CHECK: tessera.transpose
// CHECK: tessera.reshape
func.func @shape_ops_stay_outside(%x: tensor<1x6x8xf32>) -> tensor<1x6x8xf32> {
  %two = tessera.constant dense<2.0> : tensor<f32>
  %r = tessera.reshape %x : tensor<1x6x8xf32> -> tensor<1x6x2x4xf32>
  %q = tessera.transpose %r, [0, 2, 1, 3] : tensor<1x6x2x4xf32> -> tensor<1x2x6x4xf32>
  %a = tessera.attention %q, %q, %q : (tensor<1x2x6x4xf32>, tensor<1x2x6x4xf32>, tensor<1x2x6x4xf32>) -> tensor<1x2x6x4xf32>
  %s = tessera.mul %a, %two : (tensor<1x2x6x4xf32>, tensor<f32>) -> tensor<1x2x6x4xf32>
  %m = tessera.transpose %s, [0, 2, 1, 3] : tensor<1x2x6x4xf32> -> tensor<1x6x2x4xf32>
  %o = tessera.reshape %m : tensor<1x6x2x4xf32> -> tensor<1x6x8xf32>
  return %o : tensor<1x6x8xf32>
}

// -----

// Elementwise ops with no root become one dispatch per chain.
// CHECK-LABEL: func @elementwise_chain
// CHECK: tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   tessera.exp
// CHECK-NEXT:   tessera.mul
// CHECK-NEXT:   tessera.tanh
// CHECK-NEXT:   tessera.yield
// CHECK-NOT: tessera.dispatch
func.func @elementwise_chain(%x: tensor<?xf32>, %y: tensor<?xf32>) -> tensor<?xf32> {
  %0 = tessera.exp %x : tensor<?xf32>
  %1 = tessera.mul %0, %y : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
  %2 = tessera.tanh %1 : tensor<?xf32>
  return %2 : tensor<?xf32>
}

// -----

// A consumer that broadcasts to a larger shape does not join the epilogue.
// CHECK-LABEL: func @no_fusion_across_broadcast
// CHECK: tessera.dispatch
// CHECK:   tessera.softmax
// CHECK-NOT: tessera.add
// CHECK: tessera.dispatch
// CHECK:   tessera.add
func.func @no_fusion_across_broadcast(%x: tensor<1x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = tessera.softmax %x, axis = 1 : tensor<1x8xf32> -> tensor<1x8xf32>
  %1 = tessera.add %0, %y : (tensor<1x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// A cast is elementwise: it fuses like any other (here a row reduction's
// prologue, and a chain of its own that stores f16).
// CHECK-LABEL: func @casts_fuse
// CHECK: tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   tessera.cast
// CHECK-NEXT:   tessera.softmax
// CHECK-NEXT:   tessera.yield
// CHECK: tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   tessera.cast
// CHECK-NEXT:   tessera.add
// CHECK-NEXT:   tessera.yield
// CHECK-NOT: tessera.dispatch
func.func @casts_fuse(%x: tensor<4x8xi32>, %y: tensor<4x8xf32>, %z: tensor<4x8xf16>) -> (tensor<4x8xf32>, tensor<4x8xf16>) {
  %0 = tessera.cast %x : tensor<4x8xi32> -> tensor<4x8xf32>
  %1 = tessera.softmax %0, axis = 1 : tensor<4x8xf32> -> tensor<4x8xf32>
  %2 = tessera.cast %y : tensor<4x8xf32> -> tensor<4x8xf16>
  %3 = tessera.add %2, %z : (tensor<4x8xf16>, tensor<4x8xf16>) -> tensor<4x8xf16>
  return %1, %3 : tensor<4x8xf32>, tensor<4x8xf16>
}

// -----

// Slices are views of their input (GPT-2's packed QKV split): the matmuls
// read their parts in place, and no slice becomes a dispatch. A slice that
// is a model output owns its buffer: it is copied by a dispatch of its own.
// CHECK-LABEL: func @slices_are_views
// CHECK: %[[QKV:.*]] = tessera.dispatch
// CHECK:   tessera.linear
// CHECK: %[[Q:.*]] = tessera.slice %[[QKV]] [0, 0] to [4, 8]
// CHECK-NEXT: %[[K:.*]] = tessera.slice %[[QKV]] [0, 8] to [4, 16]
// CHECK-NEXT: %[[OUT:.*]] = tessera.dispatch(%[[QKV]])
// CHECK:   tessera.slice
// CHECK: %[[S:.*]] = tessera.dispatch(%[[Q]], %[[K]])
// CHECK:   tessera.matmul
// CHECK: return %[[S]], %[[OUT]]
func.func @slices_are_views(%x: tensor<4x8xf32>, %w: tensor<24x8xf32>) -> (tensor<4x4xf32>, tensor<4x8xf32>) {
  %qkv = tessera.linear %x, %w : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %q = tessera.slice %qkv [0, 0] to [4, 8] : tensor<4x24xf32> -> tensor<4x8xf32>
  %k = tessera.slice %qkv [0, 8] to [4, 16] : tensor<4x24xf32> -> tensor<4x8xf32>
  %v = tessera.slice %qkv [0, 16] to [4, 24] : tensor<4x24xf32> -> tensor<4x8xf32>
  %s = tessera.matmul %q, %k {transpose_rhs = true} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x4xf32>
  return %s, %v : tensor<4x4xf32>, tensor<4x8xf32>
}

// -----

// A bare layer norm read by a linear and the same norm with scale and
// shift read by another linear's residual add: no dispatch writes either;
// each linear's dispatch recomputes its norm from %x (pre-LN block input,
// post-LN residual).
// CHECK-LABEL: func @linears_recompute_layer_norms
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<16x8xf32>, %[[W2:.*]]: tensor<8x16xf32>, %[[G:.*]]: tensor<8xf32>)
// CHECK-NOT: tessera.layer_norm
// CHECK: %[[D0:.*]] = tessera.dispatch(%[[X]], %[[W]])
// CHECK-NEXT: ^bb0(%[[A0:.*]]: tensor<4x8xf32>, %[[A1:.*]]: tensor<16x8xf32>):
// CHECK-NEXT:   %[[N:.*]] = tessera.layer_norm %[[A0]], axis = 1
// CHECK-NEXT:   %[[L:.*]] = tessera.linear %[[N]], %[[A1]]
// CHECK-NEXT:   %[[E:.*]] = tessera.gelu %[[L]]
// CHECK-NEXT:   tessera.yield %[[E]]
// CHECK: %[[D1:.*]] = tessera.dispatch(%[[D0]], %[[W2]], %[[X]], %[[G]])
// CHECK-NEXT: ^bb0(%[[B0:.*]]: tensor<4x16xf32>, %[[B1:.*]]: tensor<8x16xf32>, %[[B2:.*]]: tensor<4x8xf32>, %[[B3:.*]]: tensor<8xf32>):
// CHECK-NEXT:   %[[M:.*]] = tessera.layer_norm %[[B2]] scale(%[[B3]]), axis = 1
// CHECK-NEXT:   %[[L2:.*]] = tessera.linear %[[B0]], %[[B1]]
// CHECK-NEXT:   %[[R:.*]] = tessera.add %[[L2]], %[[M]]
// CHECK-NEXT:   tessera.yield %[[R]]
// CHECK: return %[[D1]]
func.func @linears_recompute_layer_norms(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %w2: tensor<8x16xf32>, %g: tensor<8xf32>) -> tensor<4x8xf32> {
  %n = tessera.layer_norm %x, axis = 1, epsilon = 1.0e-5 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %m = tessera.layer_norm %x scale(%g), axis = 1, epsilon = 1.0e-5 : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %0 = tessera.linear %n, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %1 = tessera.gelu %0 : tensor<4x16xf32>
  %2 = tessera.linear %1, %w2 : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
  %3 = tessera.add %2, %m : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %3 : tensor<4x8xf32>
}

// -----

// Not recomputed: a norm that is also returned (its tensor must exist), a
// norm with scale read as a linear's input (its scale was not folded into
// the weight), and a norm whose input is its prologue (one dispatch
// already).
// CHECK-LABEL: func @layer_norms_that_keep_their_dispatch
// CHECK: tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   %[[N:.*]] = tessera.layer_norm
// CHECK-NEXT:   tessera.yield %[[N]]
// CHECK: tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   tessera.linear
// CHECK-NEXT:   tessera.yield
// CHECK: tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   %[[S:.*]] = tessera.layer_norm
// CHECK-NEXT:   tessera.yield %[[S]]
// CHECK: tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   tessera.linear
// CHECK-NEXT:   tessera.yield
// CHECK: tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   tessera.add
// CHECK-NEXT:   %[[P:.*]] = tessera.layer_norm
// CHECK-NEXT:   tessera.yield %[[P]]
// CHECK: tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   tessera.linear
// CHECK-NEXT:   tessera.yield
func.func @layer_norms_that_keep_their_dispatch(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %g: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>) {
  %n = tessera.layer_norm %x, axis = 1, epsilon = 1.0e-5 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %0 = tessera.linear %n, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %s = tessera.layer_norm %x scale(%g), axis = 1, epsilon = 1.0e-5 : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %1 = tessera.linear %s, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %a = tessera.add %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %p = tessera.layer_norm %a, axis = 1, epsilon = 1.0e-5 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %2 = tessera.linear %p, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  return %n, %0, %1, %2 : tensor<4x8xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// An embedding: the word and position lookups, their sum and its layer
// norm are one dispatch. The gathers are evaluated where the add reads
// them; the positions (an iota reshaped to [1, seq]) are computed in the
// kernel, so neither the iota nor a gather gets a dispatch of its own.
// CHECK-LABEL: func @embedding_in_one_dispatch
// CHECK-SAME: (%[[IDS:.*]]: tensor<?x?xi32> {{.*}}, %[[WORDS:.*]]: tensor<50x8xf32>, %[[POS:.*]]: tensor<16x8xf32>)
// CHECK-NEXT: %[[D:.*]] = tessera.dispatch(%[[WORDS]], %[[IDS]], %[[POS]])
// CHECK-NEXT: ^bb0(%[[W:.*]]: tensor<50x8xf32>, %[[I:.*]]: tensor<?x?xi32>, %[[P:.*]]: tensor<16x8xf32>):
// CHECK-NEXT:   %[[IOTA:.*]] = tessera.iota length = "seq"
// CHECK-NEXT:   %[[ROW:.*]] = tessera.reshape %[[IOTA]]
// CHECK-NEXT:   %[[WE:.*]] = tessera.gather %[[W]][%[[I]]]
// CHECK-NEXT:   %[[PE:.*]] = tessera.gather %[[P]][%[[ROW]]]
// CHECK-NEXT:   %[[SUM:.*]] = tessera.add %[[WE]], %[[PE]]
// CHECK-NEXT:   %[[N:.*]] = tessera.layer_norm %[[SUM]]
// CHECK-NEXT:   tessera.yield %[[N]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[D]]
func.func @embedding_in_one_dispatch(%ids: tensor<?x?xi32> {tessera.dims = ["batch", "seq"]}, %words: tensor<50x8xf32>, %positions: tensor<16x8xf32>) -> tensor<?x?x8xf32> {
  %iota = tessera.iota length = "seq" : tensor<?xi32>
  %row = tessera.reshape %iota {dims = ["1", "seq"]} : tensor<?xi32> -> tensor<1x?xi32>
  %w = tessera.gather %words[%ids], axis = 0 : (tensor<50x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  %p = tessera.gather %positions[%row], axis = 0 : (tensor<16x8xf32>, tensor<1x?xi32>) -> tensor<1x?x8xf32>
  %sum = tessera.add %w, %p : (tensor<?x?x8xf32>, tensor<1x?x8xf32>) -> tensor<?x?x8xf32>
  %n = tessera.layer_norm %sum, axis = 2, epsilon = 1.0e-5 : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %n : tensor<?x?x8xf32>
}

// -----

// A gather with a second reader is materialised by a dispatch of its own,
// which both readers read; the iota it reads is computed in that kernel.
// CHECK-LABEL: func @gather_with_two_readers_keeps_its_dispatch
// CHECK: %[[G:.*]] = tessera.dispatch(%{{.*}})
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   tessera.iota
// CHECK-NEXT:   tessera.gather
// CHECK-NEXT:   tessera.yield
// CHECK: %[[E:.*]] = tessera.dispatch(%[[G]])
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   tessera.exp
// CHECK-NEXT:   tessera.yield
// CHECK: return %[[E]], %[[G]]
func.func @gather_with_two_readers_keeps_its_dispatch(%table: tensor<16x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) attributes {tessera.dim_bounds = {seq = array<i64: 1, 16>}} {
  %iota = tessera.iota length = "seq" : tensor<?xi32>
  %g = tessera.gather %table[%iota], axis = 0 : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  %e = tessera.exp %g : tensor<?x8xf32>
  return %e, %g : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Booleans are stored as i32 and loaded as `!= 0`, so a cast from i32 to
// i1 is a view: the attention reads the i32 mask itself, and the cast gets
// no dispatch.
// CHECK-LABEL: func @bool_cast_is_a_view
// CHECK-SAME: %[[MASK:[^:]*]]: tensor<1x6xi32>
// CHECK-NEXT: %[[B:.*]] = tessera.cast %[[MASK]]
// CHECK-NEXT: %[[A:.*]] = tessera.dispatch(%{{.*}}, %{{.*}}, %{{.*}}, %[[B]])
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   tessera.attention
// CHECK-NEXT:   tessera.yield
// CHECK: return %[[A]]
// CHECK-NOT: tessera.dispatch
func.func @bool_cast_is_a_view(%q: tensor<1x2x6x4xf32>, %k: tensor<1x2x6x4xf32>, %v: tensor<1x2x6x4xf32>, %mask: tensor<1x6xi32>) -> tensor<1x2x6x4xf32> {
  %b = tessera.cast %mask : tensor<1x6xi32> -> tensor<1x6xi1>
  %a = tessera.attention %q, %k, %v key_padding_mask(%b) : (tensor<1x2x6x4xf32>, tensor<1x2x6x4xf32>, tensor<1x2x6x4xf32>, tensor<1x6xi1>) -> tensor<1x2x6x4xf32>
  return %a : tensor<1x2x6x4xf32>
}

// -----

// A returned widening cast is a copy (a returned view owns its buffer) and
// the linear's epilogue at once: the linear's dispatch writes it, once.
// CHECK-LABEL: func @returned_cast_in_an_epilogue
// CHECK-NEXT: %[[D:.*]] = tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   %[[L:.*]] = tessera.linear
// CHECK-NEXT:   %[[C:.*]] = tessera.cast %[[L]] : tensor<4x8xf16> -> tensor<4x8xf32>
// CHECK-NEXT:   tessera.yield %[[C]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[D]]
func.func @returned_cast_in_an_epilogue(%x: tensor<4x8xf16>, %w: tensor<8x8xf16>) -> tensor<4x8xf32> {
  %0 = tessera.linear %x, %w : (tensor<4x8xf16>, tensor<8x8xf16>) -> tensor<4x8xf16>
  %1 = tessera.cast %0 : tensor<4x8xf16> -> tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// A rotary embedding reads its input at two positions: it is never a
// linear's epilogue. The queries' rotary joins the attention (its loads
// apply it); the keys' keeps a dispatch of its own, with the elementwise
// op after it as its epilogue.
// CHECK-LABEL: func @rotary_queries_join_attention
// CHECK: %[[L:.*]] = tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   tessera.linear
// CHECK-NEXT:   tessera.yield
// CHECK: %[[K:.*]] = tessera.dispatch(%{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   %[[R:.*]] = tessera.rotary
// CHECK-NEXT:   %[[N:.*]] = tessera.neg %[[R]]
// CHECK-NEXT:   tessera.yield %[[N]]
// CHECK: tessera.dispatch(%[[L]], %{{.*}}, %{{.*}}, %[[K]])
// CHECK-NEXT: ^bb0(%[[Q:[^:]*]]: tensor<1x2x4x8xf32>, %[[C:[^:]*]]: tensor<4x8xf32>, %[[S:[^:]*]]: tensor<4x8xf32>, %[[KA:[^:]*]]: tensor<1x2x4x8xf32>):
// CHECK-NEXT:   %[[QR:.*]] = tessera.rotary %[[Q]], %[[C]], %[[S]]
// CHECK-NEXT:   %[[A:.*]] = tessera.attention %[[QR]], %[[KA]], %[[KA]]
// CHECK-NEXT:   tessera.yield %[[A]]
func.func @rotary_queries_join_attention(%x: tensor<1x2x4x8xf32>, %w: tensor<8x8xf32>, %cos: tensor<4x8xf32>, %sin: tensor<4x8xf32>) -> tensor<1x2x4x8xf32> {
  %q = tessera.linear %x, %w : (tensor<1x2x4x8xf32>, tensor<8x8xf32>) -> tensor<1x2x4x8xf32>
  %qr = tessera.rotary %q, %cos, %sin : (tensor<1x2x4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<1x2x4x8xf32>
  %kr = tessera.rotary %x, %cos, %sin : (tensor<1x2x4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<1x2x4x8xf32>
  %k = tessera.neg %kr : tensor<1x2x4x8xf32>
  %a = tessera.attention %qr, %k, %k : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %a : tensor<1x2x4x8xf32>
}

// -----

// New keys rotated where the cache concatenation reads them: one dispatch
// writes the cache and the rotated keys after it.
// CHECK-LABEL: func @rotary_joins_cache_concat
// CHECK: %[[D:.*]] = tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   %[[R:.*]] = tessera.rotary
// CHECK-NEXT:   %[[C:.*]] = tessera.concat %{{.*}}, %[[R]] axis = 2
// CHECK-NEXT:   tessera.yield %[[C]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[D]]
func.func @rotary_joins_cache_concat(%past: tensor<1x2x3x8xf32>, %k: tensor<1x2x4x8xf32>, %cos: tensor<4x8xf32>, %sin: tensor<4x8xf32>) -> tensor<1x2x7x8xf32> {
  %r = tessera.rotary %k, %cos, %sin : (tensor<1x2x4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<1x2x4x8xf32>
  %c = tessera.concat %past, %r axis = 2 : (tensor<1x2x3x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x7x8xf32>
  return %c : tensor<1x2x7x8xf32>
}

// -----

// A resize read by one elementwise op is evaluated where it is read (an
// index remap, like a gather); one read by anything else is a dispatch.
// CHECK-LABEL: func @resize_joins_its_reader
// CHECK: %[[D:.*]] = tessera.dispatch
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   %[[R:.*]] = tessera.resize
// CHECK-NEXT:   %[[A:.*]] = tessera.add %[[R]], %{{.*}}
// CHECK-NEXT:   tessera.yield %[[A]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[D]]
func.func @resize_joins_its_reader(%x: tensor<1x2x4x4xf32>, %y: tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %r = tessera.resize %x scales = [1.0, 1.0, 2.0, 2.0] coordinates = asymmetric nearest = floor : tensor<1x2x4x4xf32> -> tensor<1x2x8x8xf32>
  %a = tessera.add %r, %y : (tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  return %a : tensor<1x2x8x8xf32>
}

// -----

// An input or a constant returned unchanged is copied into the output's
// own buffer by a dispatch of its own (outputs own their buffers): an
// identity transpose, a returned layout op. Each return of it gets one.
// CHECK-LABEL: func @returned_sources_are_copied
// CHECK: %[[C:.*]] = tessera.constant
// CHECK: %[[D0:.*]] = tessera.dispatch(%arg0)
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<2x3xf32>):
// CHECK-NEXT:   %[[T:.*]] = tessera.transpose %[[A]], [0, 1]
// CHECK-NEXT:   tessera.yield %[[T]]
// CHECK: %[[D1:.*]] = tessera.dispatch(%[[C]])
// CHECK: %[[D2:.*]] = tessera.dispatch(%arg0)
// CHECK: return %[[D0]], %[[D1]], %[[D2]]
func.func @returned_sources_are_copied(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<4xf32>, tensor<2x3xf32>) {
  %c = tessera.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  return %x, %c, %x : tensor<2x3xf32>, tensor<4xf32>, tensor<2x3xf32>
}

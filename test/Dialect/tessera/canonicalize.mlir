// Folders and canonicalization patterns of the tessera dialect.
// RUN: tessera-opt %s -split-input-file -canonicalize | FileCheck %s

// CHECK-LABEL: func @reshape_of_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[R:.*]] = tessera.reshape %[[X]] : tensor<2x3x4xf32> -> tensor<4x6xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_of_reshape(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  %0 = tessera.reshape %x : tensor<2x3x4xf32> -> tensor<24xf32>
  %1 = tessera.reshape %0 : tensor<24xf32> -> tensor<4x6xf32>
  return %1 : tensor<4x6xf32>
}

// -----

// CHECK-LABEL: func @reshape_back_to_input
// CHECK-SAME: (%[[X:.*]]: tensor<2x12xf32>)
// CHECK-NEXT: return %[[X]]
func.func @reshape_back_to_input(%x: tensor<2x12xf32>) -> tensor<2x12xf32> {
  %0 = tessera.reshape %x : tensor<2x12xf32> -> tensor<24xf32>
  %1 = tessera.reshape %0 : tensor<24xf32> -> tensor<2x12xf32>
  return %1 : tensor<2x12xf32>
}

// -----

// CHECK-LABEL: func @reshape_constant
// CHECK-NEXT: %[[C:.*]] = tessera.constant dense<{{\[}}[1, 2], [3, 4]]> : tensor<2x2xi64>
// CHECK-NEXT: return %[[C]]
func.func @reshape_constant() -> tensor<2x2xi64> {
  %c = tessera.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %0 = tessera.reshape %c : tensor<4xi64> -> tensor<2x2xi64>
  return %0 : tensor<2x2xi64>
}

// -----

// CHECK-LABEL: func @transpose_of_transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[T:.*]] = tessera.transpose %[[X]], [2, 1, 0] : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
// CHECK-NEXT: return %[[T]]
func.func @transpose_of_transpose(%x: tensor<2x3x4xf32>) -> tensor<4x3x2xf32> {
  %0 = tessera.transpose %x, [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %1 = tessera.transpose %0, [2, 0, 1] : tensor<3x2x4xf32> -> tensor<4x3x2xf32>
  return %1 : tensor<4x3x2xf32>
}

// -----

// The head split followed by the head merge is no transpose at all.
// CHECK-LABEL: func @transposes_cancel
// CHECK-SAME: (%[[X:.*]]: tensor<1x?x4x64xf32>)
// CHECK-NEXT: return %[[X]]
func.func @transposes_cancel(%x: tensor<1x?x4x64xf32>) -> tensor<1x?x4x64xf32> {
  %0 = tessera.transpose %x, [0, 2, 1, 3] : tensor<1x?x4x64xf32> -> tensor<1x4x?x64xf32>
  %1 = tessera.transpose %0, [0, 2, 1, 3] : tensor<1x4x?x64xf32> -> tensor<1x?x4x64xf32>
  return %1 : tensor<1x?x4x64xf32>
}

// -----

// CHECK-LABEL: func @transpose_constant
// CHECK-NEXT: %[[C:.*]] = tessera.constant dense<{{\[}}[1, 3], [2, 4]]> : tensor<2x2xi32>
// CHECK-NEXT: return %[[C]]
func.func @transpose_constant() -> tensor<2x2xi32> {
  %c = tessera.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi32>
  %0 = tessera.transpose %c, [1, 0] : tensor<2x2xi32> -> tensor<2x2xi32>
  return %0 : tensor<2x2xi32>
}

// -----

// CHECK-LABEL: func @broadcast_of_broadcast
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[B:.*]] = tessera.broadcast %[[X]] : tensor<4xf32> -> tensor<2x3x4xf32>
// CHECK-NEXT: return %[[B]]
func.func @broadcast_of_broadcast(%x: tensor<4xf32>) -> tensor<2x3x4xf32> {
  %0 = tessera.broadcast %x : tensor<4xf32> -> tensor<3x4xf32>
  %1 = tessera.broadcast %0 : tensor<3x4xf32> -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// -----

// A splat broadcasts to a splat of any size; a non-splat only while the
// result stays a small literal.
// CHECK-LABEL: func @broadcast_constants
// CHECK-DAG: tessera.constant dense<-1.000000e+09> : tensor<512x512xf32>
// CHECK-DAG: tessera.constant dense<{{\[}}[1, 2], [1, 2], [1, 2]]> : tensor<3x2xi64>
// CHECK-DAG: tessera.broadcast %{{.*}} : tensor<2xi64> -> tensor<1025x2xi64>
func.func @broadcast_constants() -> (tensor<512x512xf32>, tensor<3x2xi64>, tensor<1025x2xi64>) {
  %s = tessera.constant dense<-1.0e9> : tensor<1x1xf32>
  %0 = tessera.broadcast %s : tensor<1x1xf32> -> tensor<512x512xf32>
  %c = tessera.constant dense<[1, 2]> : tensor<2xi64>
  %1 = tessera.broadcast %c : tensor<2xi64> -> tensor<3x2xi64>
  %2 = tessera.broadcast %c : tensor<2xi64> -> tensor<1025x2xi64>
  return %0, %1, %2 : tensor<512x512xf32>, tensor<3x2xi64>, tensor<1025x2xi64>
}

// -----

// Widening a non-splat float constant does not fold: that is how weights
// stay stored at half precision (tessera-store-weights-as-f16). A splat
// widens (it costs nothing), and narrowing folds.
// CHECK-LABEL: func @widening_constant_casts
// CHECK-DAG: %[[H:.*]] = tessera.constant dense<[1.000000e+00, 2.500000e-01]> : tensor<2xf16>
// CHECK-DAG: %[[W:.*]] = tessera.cast %[[H]] : tensor<2xf16> -> tensor<2xf32>
// CHECK-DAG: %[[S:.*]] = tessera.constant dense<5.000000e-01> : tensor<2xf32>
// CHECK-DAG: %[[N:.*]] = tessera.constant dense<[5.000000e-01, 3.000000e+00]> : tensor<2xf16>
// CHECK: return %[[W]], %[[S]], %[[N]]
func.func @widening_constant_casts() -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf16>) {
  %h = tessera.constant dense<[1.0, 0.25]> : tensor<2xf16>
  %0 = tessera.cast %h : tensor<2xf16> -> tensor<2xf32>
  %s = tessera.constant dense<0.5> : tensor<2xf16>
  %1 = tessera.cast %s : tensor<2xf16> -> tensor<2xf32>
  %f = tessera.constant dense<[0.5, 3.0]> : tensor<2xf32>
  %2 = tessera.cast %f : tensor<2xf32> -> tensor<2xf16>
  return %0, %1, %2 : tensor<2xf32>, tensor<2xf32>, tensor<2xf16>
}

// -----

// CHECK-LABEL: func @same_type_noops
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]], %[[X]], %[[X]], %[[X]]
func.func @same_type_noops(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = tessera.cast %x : tensor<2x3xf32> -> tensor<2x3xf32>
  %1 = tessera.broadcast %x : tensor<2x3xf32> -> tensor<2x3xf32>
  %2 = tessera.reshape %x : tensor<2x3xf32> -> tensor<2x3xf32>
  %3 = tessera.slice %x [0, 0] to [2, 9223372036854775807] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0, %1, %2, %3 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Shape arithmetic as PyTorch exports it: Shape -> Gather -> Mul -> Concat ->
// Reshape of the head split, on constants once the shape is known.
// CHECK-LABEL: func @shape_arithmetic
// CHECK-NEXT: %[[S:.*]] = tessera.constant dense<[1, 128, 4, 64]> : tensor<4xi64>
// CHECK-NEXT: return %[[S]]
func.func @shape_arithmetic() -> tensor<4xi64> {
  %shape = tessera.constant dense<[1, 128, 256]> : tensor<3xi64>
  %i0 = tessera.constant dense<[0]> : tensor<1xi64>
  %i1 = tessera.constant dense<[1]> : tensor<1xi64>
  %heads = tessera.constant dense<[4]> : tensor<1xi64>
  %hidden = tessera.slice %shape [2] to [3] : tensor<3xi64> -> tensor<1xi64>
  %batch = tessera.gather %shape[%i0], axis = 0 : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %seq = tessera.gather %shape[%i1], axis = 0 : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %dim = tessera.div %hidden, %heads : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %0 = tessera.concat %batch, %seq, %heads, %dim axis = 0 : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

// CHECK-LABEL: func @integer_folds
// CHECK-DAG: tessera.constant dense<[5, 7]> : tensor<2xi64>
// CHECK-DAG: tessera.constant dense<-3> : tensor<2xi64>
// CHECK-DAG: tessera.constant dense<[4, 10]> : tensor<2xi64>
// CHECK-DAG: tessera.constant dense<[4, 5]> : tensor<2xi64>
// CHECK-DAG: tessera.constant dense<[1, 2]> : tensor<2xi64>
// CHECK-DAG: tessera.constant dense<[-1, -2]> : tensor<2xi64>
// CHECK-DAG: tessera.constant dense<[-2, 2]> : tensor<2xi64>
func.func @integer_folds() -> (tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) {
  %a = tessera.constant dense<[1, 2]> : tensor<2xi64>
  %b = tessera.constant dense<[4, 5]> : tensor<2xi64>
  %0 = tessera.add %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %1 = tessera.sub %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %2 = tessera.mul %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %3 = tessera.max %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %4 = tessera.min %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %5 = tessera.neg %a : tensor<2xi64>
  // Integer division truncates toward zero, as ONNX Div does.
  %m = tessera.constant dense<[-7, 7]> : tensor<2xi64>
  %t = tessera.constant dense<3> : tensor<2xi64>
  %6 = tessera.div %m, %t : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>
}

// -----

// Division by zero is left for run time.
// CHECK-LABEL: func @no_fold_division_by_zero
// CHECK: tessera.div
func.func @no_fold_division_by_zero() -> tensor<2xi64> {
  %a = tessera.constant dense<[1, 2]> : tensor<2xi64>
  %z = tessera.constant dense<[1, 0]> : tensor<2xi64>
  %0 = tessera.div %a, %z : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

// CHECK-LABEL: func @float_folds
// CHECK-DAG: tessera.constant dense<8.000000e+00> : tensor<f32>
// CHECK-DAG: tessera.constant dense<1.250000e-01> : tensor<f32>
func.func @float_folds() -> (tensor<f32>, tensor<f32>) {
  %c64 = tessera.constant dense<64.0> : tensor<f32>
  %half = tessera.constant dense<0.5> : tensor<f32>
  %one = tessera.constant dense<1.0> : tensor<f32>
  %0 = tessera.pow %c64, %half : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %1 = tessera.div %one, %0 : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0, %1 : tensor<f32>, tensor<f32>
}

// -----

// CHECK-LABEL: func @identities
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[I:.*]]: tensor<4xi64>)
// CHECK: %[[ADD:.*]] = tessera.add %[[X]]
// CHECK: return %[[X]], %[[X]], %[[ADD]], %[[I]], %[[I]]
func.func @identities(%x: tensor<4xf32>, %i: tensor<4xi64>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi64>, tensor<4xi64>) {
  %one = tessera.constant dense<1.0> : tensor<4xf32>
  %zero = tessera.constant dense<0.0> : tensor<4xf32>
  %izero = tessera.constant dense<0> : tensor<4xi64>
  %0 = tessera.mul %one, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = tessera.div %x, %one : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // x + 0.0 is not x when x is -0.0: kept.
  %2 = tessera.add %x, %zero : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = tessera.add %izero, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %4 = tessera.sub %i, %izero : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %0, %1, %2, %3, %4 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi64>, tensor<4xi64>
}

// -----

// An identity that would change the result type (by broadcasting) stays.
// CHECK-LABEL: func @identity_that_broadcasts
// CHECK: tessera.mul
func.func @identity_that_broadcasts(%x: tensor<4xf32>) -> tensor<2x4xf32> {
  %one = tessera.constant dense<1.0> : tensor<2x4xf32>
  %0 = tessera.mul %x, %one : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Causal mask from Range / Less, the way exporters build it.
// CHECK-LABEL: func @compare_and_select
// CHECK-DAG: tessera.constant dense<{{\[}}[true, false, false], [true, true, false], [true, true, true]]> : tensor<3x3xi1>
// CHECK-DAG: tessera.constant dense<{{\[}}[0.000000e+00, -1.000000e+04, -1.000000e+04], [0.000000e+00, 0.000000e+00, -1.000000e+04], [0.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<3x3xf32>
func.func @compare_and_select() -> (tensor<3x3xi1>, tensor<3x3xf32>) {
  %rows = tessera.constant dense<[[0], [1], [2]]> : tensor<3x1xi64>
  %cols = tessera.constant dense<[[0, 1, 2]]> : tensor<1x3xi64>
  %visible = tessera.compare le, %cols, %rows : (tensor<1x3xi64>, tensor<3x1xi64>) -> tensor<3x3xi1>
  %zero = tessera.constant dense<0.0> : tensor<f32>
  %min = tessera.constant dense<-10000.0> : tensor<f32>
  %bias = tessera.select %visible, %zero, %min : (tensor<3x3xi1>, tensor<f32>, tensor<f32>) -> tensor<3x3xf32>
  return %visible, %bias : tensor<3x3xi1>, tensor<3x3xf32>
}

// -----

// CHECK-LABEL: func @compare_predicates
// CHECK-DAG: tessera.constant dense<[false, true, false]> : tensor<3xi1>
// CHECK-DAG: tessera.constant dense<[true, false, true]> : tensor<3xi1>
// CHECK-DAG: tessera.constant dense<[true, false, false]> : tensor<3xi1>
// CHECK-DAG: tessera.constant dense<[false, false, true]> : tensor<3xi1>
func.func @compare_predicates() -> (tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>) {
  %a = tessera.constant dense<[1, 2, 3]> : tensor<3xi32>
  %b = tessera.constant dense<2> : tensor<3xi32>
  %0 = tessera.compare eq, %a, %b : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi1>
  %1 = tessera.compare ne, %a, %b : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi1>
  %2 = tessera.compare lt, %a, %b : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi1>
  %3 = tessera.compare gt, %a, %b : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi1>
  %4 = tessera.compare le, %a, %b : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi1>
  %5 = tessera.compare ge, %a, %b : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>
}

// -----

// CHECK-LABEL: func @select_folds
// CHECK-SAME: (%[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>, %[[C:.*]]: tensor<4xi1>)
// CHECK-NEXT: %[[S:.*]] = tessera.select %[[C]], %[[B]], %[[A]]
// CHECK-NEXT: return %[[A]], %[[B]], %[[A]], %[[S]]
func.func @select_folds(%a: tensor<4xf32>, %b: tensor<4xf32>, %c: tensor<4xi1>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %t = tessera.constant dense<true> : tensor<4xi1>
  %f = tessera.constant dense<false> : tensor<4xi1>
  %0 = tessera.select %t, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = tessera.select %f, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = tessera.select %c, %a, %a : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %n = tessera.not %c : tensor<4xi1>
  %3 = tessera.select %n, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func @involutions
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[M:.*]]: tensor<4xi1>)
// CHECK-NEXT: return %[[X]], %[[M]]
func.func @involutions(%x: tensor<4xf32>, %m: tensor<4xi1>) -> (tensor<4xf32>, tensor<4xi1>) {
  %0 = tessera.neg %x : tensor<4xf32>
  %1 = tessera.neg %0 : tensor<4xf32>
  %2 = tessera.not %m : tensor<4xi1>
  %3 = tessera.not %2 : tensor<4xi1>
  return %1, %3 : tensor<4xf32>, tensor<4xi1>
}

// -----

// CHECK-LABEL: func @logical_folds
// CHECK-DAG: tessera.constant dense<[true, false, false, false]> : tensor<4xi1>
// CHECK-DAG: tessera.constant dense<[true, true, true, false]> : tensor<4xi1>
// CHECK-DAG: tessera.constant dense<[false, false, true, true]> : tensor<4xi1>
func.func @logical_folds() -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %a = tessera.constant dense<[true, true, false, false]> : tensor<4xi1>
  %b = tessera.constant dense<[true, false, true, false]> : tensor<4xi1>
  %0 = tessera.and %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %1 = tessera.or %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %2 = tessera.not %a : tensor<4xi1>
  return %0, %1, %2 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// CHECK-LABEL: func @cast_folds
// CHECK-DAG: tessera.constant dense<[1.000000e+00, -2.000000e+00]> : tensor<2xf32>
// CHECK-DAG: tessera.constant dense<[1, -2]> : tensor<2xi32>
// CHECK-DAG: tessera.constant dense<[true, false]> : tensor<2xi1>
// CHECK-DAG: tessera.constant dense<[1, 0]> : tensor<2xi64>
func.func @cast_folds() -> (tensor<2xf32>, tensor<2xi32>, tensor<2xi1>, tensor<2xi64>) {
  %i = tessera.constant dense<[1, -2]> : tensor<2xi64>
  %f = tessera.constant dense<[1.7, -2.9]> : tensor<2xf32>
  %m = tessera.constant dense<[3.0, 0.0]> : tensor<2xf32>
  %0 = tessera.cast %i : tensor<2xi64> -> tensor<2xf32>
  // Floats truncate toward zero.
  %1 = tessera.cast %f : tensor<2xf32> -> tensor<2xi32>
  %2 = tessera.cast %m : tensor<2xf32> -> tensor<2xi1>
  // A boolean widens to 0 / 1, never to -1.
  %3 = tessera.cast %2 : tensor<2xi1> -> tensor<2xi64>
  return %0, %1, %2, %3 : tensor<2xf32>, tensor<2xi32>, tensor<2xi1>, tensor<2xi64>
}

// -----

// CHECK-LABEL: func @slice_and_gather_constants
// CHECK-DAG: tessera.constant dense<[20, 40]> : tensor<2xi64>
// CHECK-DAG: tessera.constant dense<{{\[}}[30, 10], [50, 30]]> : tensor<2x2xi64>
func.func @slice_and_gather_constants() -> (tensor<2xi64>, tensor<2x2xi64>) {
  %c = tessera.constant dense<[10, 20, 30, 40, 50]> : tensor<5xi64>
  %0 = tessera.slice %c [1] to [-1] step [2] : tensor<5xi64> -> tensor<2xi64>
  %idx = tessera.constant dense<[[2, 0], [-1, 2]]> : tensor<2x2xi64>
  %1 = tessera.gather %c[%idx], axis = 0 : (tensor<5xi64>, tensor<2x2xi64>) -> tensor<2x2xi64>
  return %0, %1 : tensor<2xi64>, tensor<2x2xi64>
}

// -----

// An out-of-range gather index is a run-time error: never folded.
// CHECK-LABEL: func @no_fold_gather_out_of_range
// CHECK: tessera.gather
func.func @no_fold_gather_out_of_range() -> tensor<1xi64> {
  %c = tessera.constant dense<[10, 20]> : tensor<2xi64>
  %idx = tessera.constant dense<[2]> : tensor<1xi64>
  %0 = tessera.gather %c[%idx], axis = 0 : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  return %0 : tensor<1xi64>
}

// -----

// Weights held as resources are never evaluated into text.
// CHECK-LABEL: func @no_fold_resources
// CHECK: tessera.transpose
// CHECK: tessera.add
func.func @no_fold_resources() -> tensor<2x2xf32> {
  %w = tessera.constant dense_resource<w> : tensor<2x2xf32>
  %0 = tessera.transpose %w, [1, 0] : tensor<2x2xf32> -> tensor<2x2xf32>
  %1 = tessera.add %0, %w : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return %1 : tensor<2x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// CHECK-LABEL: func @concat_single_input
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @concat_single_input(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = tessera.concat %x axis = 1 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Kᵀ by an explicit transpose becomes the matmul's transpose_rhs.
// CHECK-LABEL: func @matmul_absorbs_transposes
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x?x64xf32>, %[[K:.*]]: tensor<1x4x?x64xf32>)
// CHECK-NEXT: %[[S:.*]] = tessera.matmul %[[Q]], %[[K]] {transpose_rhs = true}
// CHECK-NEXT: %[[T:.*]] = tessera.matmul %[[Q]], %[[K]] {transpose_lhs = true}
// CHECK-NEXT: return %[[S]], %[[T]]
func.func @matmul_absorbs_transposes(%q: tensor<1x4x?x64xf32>, %k: tensor<1x4x?x64xf32>) -> (tensor<1x4x?x?xf32>, tensor<1x4x64x64xf32>) {
  %kt = tessera.transpose %k, [0, 1, 3, 2] : tensor<1x4x?x64xf32> -> tensor<1x4x64x?xf32>
  %0 = tessera.matmul %q, %kt : (tensor<1x4x?x64xf32>, tensor<1x4x64x?xf32>) -> tensor<1x4x?x?xf32>
  %qt = tessera.transpose %q, [0, 1, 3, 2] : tensor<1x4x?x64xf32> -> tensor<1x4x64x?xf32>
  %1 = tessera.matmul %qt, %k : (tensor<1x4x64x?xf32>, tensor<1x4x?x64xf32>) -> tensor<1x4x64x64xf32>
  return %0, %1 : tensor<1x4x?x?xf32>, tensor<1x4x64x64xf32>
}

// -----

// A transpose that moves batch dimensions is not a matmul attribute.
// CHECK-LABEL: func @matmul_keeps_other_transposes
// CHECK: tessera.transpose
// CHECK: tessera.matmul
func.func @matmul_keeps_other_transposes(%a: tensor<2x3x4xf32>, %b: tensor<3x4x5xf32>) -> tensor<3x2x5xf32> {
  %t = tessera.transpose %a, [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %0 = tessera.matmul %t, %b : (tensor<3x2x4xf32>, tensor<3x4x5xf32>) -> tensor<3x2x5xf32>
  return %0 : tensor<3x2x5xf32>
}

// -----

// A reshape of a linear's rows moves before the linear (GPT-2's Conv1D
// computes on [batch*seq, C]): the residual add then reads the linear's
// own result, its epilogue.
// CHECK-LABEL: func @reshape_of_linear_rows
// CHECK-SAME: (%[[X:.*]]: tensor<6x4xf32>, %[[W:.*]]: tensor<8x4xf32>, %[[R:.*]]: tensor<2x3x8xf32>)
// CHECK-NEXT: %[[I:.*]] = tessera.reshape %[[X]] {dims = ["2", "3", "4"]} : tensor<6x4xf32> -> tensor<2x3x4xf32>
// CHECK-NEXT: %[[L:.*]] = tessera.linear %[[I]], %[[W]] : (tensor<2x3x4xf32>, tensor<8x4xf32>) -> tensor<2x3x8xf32>
// CHECK-NEXT: tessera.add %[[L]], %[[R]]
func.func @reshape_of_linear_rows(%x: tensor<6x4xf32>, %w: tensor<8x4xf32>, %r: tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
  %0 = tessera.linear %x, %w : (tensor<6x4xf32>, tensor<8x4xf32>) -> tensor<6x8xf32>
  %1 = tessera.reshape %0 {dims = ["2", "3", "8"]} : tensor<6x8xf32> -> tensor<2x3x8xf32>
  %2 = tessera.add %1, %r : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  return %2 : tensor<2x3x8xf32>
}

// -----

// Not moved: a reshape that splits the features, and one of a linear with
// another use.
// CHECK-LABEL: func @reshapes_that_stay
// CHECK: %[[L:.*]] = tessera.linear
// CHECK-NEXT: tessera.reshape %[[L]] : tensor<6x8xf32> -> tensor<6x2x4xf32>
// CHECK: %[[M:.*]] = tessera.linear
// CHECK-NEXT: tessera.reshape %[[M]] : tensor<6x8xf32> -> tensor<2x3x8xf32>
func.func @reshapes_that_stay(%x: tensor<6x4xf32>, %w: tensor<8x4xf32>) -> (tensor<6x2x4xf32>, tensor<2x3x8xf32>, tensor<6x8xf32>) {
  %0 = tessera.linear %x, %w : (tensor<6x4xf32>, tensor<8x4xf32>) -> tensor<6x8xf32>
  %1 = tessera.reshape %0 : tensor<6x8xf32> -> tensor<6x2x4xf32>
  %2 = tessera.linear %x, %w : (tensor<6x4xf32>, tensor<8x4xf32>) -> tensor<6x8xf32>
  %3 = tessera.reshape %2 : tensor<6x8xf32> -> tensor<2x3x8xf32>
  return %1, %3, %2 : tensor<6x2x4xf32>, tensor<2x3x8xf32>, tensor<6x8xf32>
}

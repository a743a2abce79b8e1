// RUN: tessera-opt %s -split-input-file -tessera-fold-layer-norm-into-linear | FileCheck %s

// W' = W * g by columns: [[1,2],[3,4],[5,6]] * [2, 0.5] = [[2,1],[6,2],[10,3]];
// c' = c + W s: [0.5, 0, -0.5] + [1-2, 3-4, 5-6] = [-0.5, -1, -1.5]. The
// layer norm with scale and shift has no other user and goes.
// CHECK-LABEL: func @folds_scale_and_shift
// CHECK-SAME: (%[[X:.*]]: tensor<4x2xf32>)
// CHECK-DAG: %[[W:.*]] = tessera.constant dense_resource<folded_norm> : tensor<3x2xf32>
// CHECK-DAG: %[[C:.*]] = tessera.constant dense_resource<folded_norm.bias> : tensor<3xf32>
// CHECK-DAG: %[[N:.*]] = tessera.layer_norm %[[X]], axis = 1, epsilon = 9.99999974E-6 : (tensor<4x2xf32>) -> tensor<4x2xf32>
// CHECK: %[[L:.*]] = tessera.linear %[[N]], %[[W]], %[[C]]
// CHECK-NEXT: return %[[L]]
// CHECK: folded_norm: "0x04000000000000400000803F0000C040000000400000204100004040"
// CHECK: folded_norm.bias: "0x04000000000000BF000080BF0000C0BF"
func.func @folds_scale_and_shift(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  %g = tessera.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %s = tessera.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %w = tessera.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %c = tessera.constant dense<[0.5, 0.0, -0.5]> : tensor<3xf32>
  %n = tessera.layer_norm %x scale(%g) bias(%s), axis = 1, epsilon = 1.0e-5 : (tensor<4x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %0 = tessera.linear %n, %w, %c : (tensor<4x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// Two linears fed by one norm share one bare normalisation (so that they
// still share their input); the norm itself stays for the residual. A
// linear without a bias gets one.
// CHECK-LABEL: func @shares_the_bare_norm
// CHECK: %[[M:.*]] = tessera.layer_norm %{{.*}} scale(%{{.*}}) bias(%{{.*}})
// CHECK-NEXT: %[[N:.*]] = tessera.layer_norm %{{.*}}, axis = 1
// CHECK-NOT: tessera.layer_norm
// CHECK: tessera.linear %[[N]], %{{.*}}, %{{.*}} : (tensor<4x2xf32>, tensor<3x2xf32>, tensor<3xf32>)
// CHECK: tessera.linear %[[N]], %{{.*}}, %{{.*}} : (tensor<4x2xf32>, tensor<2x2xf32>, tensor<2xf32>)
// CHECK: tessera.add %{{.*}}, %[[M]]
func.func @shares_the_bare_norm(%x: tensor<4x2xf32>) -> (tensor<4x3xf32>, tensor<4x2xf32>) {
  %g = tessera.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %s = tessera.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %w = tessera.constant dense<1.0> : tensor<3x2xf32>
  %v = tessera.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %n = tessera.layer_norm %x scale(%g) bias(%s), axis = 1, epsilon = 1.0e-5 : (tensor<4x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %0 = tessera.linear %n, %w : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
  %1 = tessera.linear %n, %v : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %2 = tessera.add %1, %n : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<4x2xf32>
  return %0, %2 : tensor<4x3xf32>, tensor<4x2xf32>
}

// -----

// Left alone: a norm over two dims (its scale is not per column of the
// linear's input), and a weight that is not a constant.
// CHECK-LABEL: func @not_folded
// CHECK: %[[A:.*]] = tessera.layer_norm %{{.*}} scale(%{{.*}}), axis = 1
// CHECK: tessera.linear %[[A]], %{{.*}} : (tensor<4x2x2xf32>, tensor<3x2xf32>)
// CHECK: %[[B:.*]] = tessera.layer_norm %{{.*}} scale(%{{.*}}), axis = 1
// CHECK: tessera.linear %[[B]], %{{.*}} : (tensor<4x2xf32>, tensor<3x2xf32>)
func.func @not_folded(%x: tensor<4x2x2xf32>, %y: tensor<4x2xf32>, %w2: tensor<3x2xf32>) -> (tensor<4x2x3xf32>, tensor<4x3xf32>) {
  %g2 = tessera.constant dense<2.0> : tensor<2x2xf32>
  %g = tessera.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %w = tessera.constant dense<1.0> : tensor<3x2xf32>
  %n = tessera.layer_norm %x scale(%g2), axis = 1, epsilon = 1.0e-5 : (tensor<4x2x2xf32>, tensor<2x2xf32>) -> tensor<4x2x2xf32>
  %0 = tessera.linear %n, %w : (tensor<4x2x2xf32>, tensor<3x2xf32>) -> tensor<4x2x3xf32>
  %m = tessera.layer_norm %y scale(%g), axis = 1, epsilon = 1.0e-5 : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %1 = tessera.linear %m, %w2 : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
  return %0, %1 : tensor<4x2x3xf32>, tensor<4x3xf32>
}

// -----

// Two linears are the norm's only readers: both fold, the norm goes once.
// CHECK-LABEL: func @two_linears_only
// CHECK: %[[N:.*]] = tessera.layer_norm %{{.*}}, axis = 1
// CHECK-NOT: tessera.layer_norm
// CHECK: tessera.linear %[[N]]
// CHECK: tessera.linear %[[N]]
func.func @two_linears_only(%x: tensor<4x2xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  %g = tessera.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %w = tessera.constant dense<1.0> : tensor<3x2xf32>
  %v = tessera.constant dense<2.0> : tensor<3x2xf32>
  %n = tessera.layer_norm %x scale(%g), axis = 1, epsilon = 1.0e-5 : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %0 = tessera.linear %n, %w : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
  %1 = tessera.linear %n, %v : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
  return %0, %1 : tensor<4x3xf32>, tensor<4x3xf32>
}

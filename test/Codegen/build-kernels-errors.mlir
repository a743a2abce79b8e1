// RUN: tessera-opt %s -split-input-file -verify-diagnostics -tessera-verify-target=target=lavapipe -tessera-form-dispatches -tessera-select-tile-configs -tessera-build-kernels

// expected-error @+1 {{dynamic dimension 0 of argument 0 has no name; name it with the argument attribute tessera.dims}}
func.func @unnamed(%x: tensor<?xf32>) -> tensor<?xf32> {
  %0 = tessera.exp %x : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @softmax_not_last(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{softmax over a dimension other than the last has no kernel yet}}
  %0 = tessera.softmax %x, axis = 0 : tensor<4x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @wide_integers(%x: tensor<4xi64>) -> tensor<4xi64> {
  // expected-error @+1 {{uses 'i64' tensors, which kernels cannot hold yet (f32, f16, i32 and i1 are supported)}}
  %0 = tessera.neg %x : tensor<4xi64>
  return %0 : tensor<4xi64>
}

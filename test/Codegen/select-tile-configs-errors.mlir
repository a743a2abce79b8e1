// RUN: tessera-opt %s -split-input-file -verify-diagnostics -tessera-form-dispatches -tessera-select-tile-configs

// expected-error @+1 {{no target profile on the module; run tessera-verify-target first}}
module {
  func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
    %0 = tessera.exp %x : tensor<4xf32>
    return %0 : tensor<4xf32>
  }
}

// RUN: tessera-opt %s -split-input-file --tessera-raise-gelu | FileCheck %s
//
// A half-precision export stores GELU's constants as f16: 1/√2 is
// 0.70703125 and 0.044715 is 0.044708, further from the real numbers than
// f32's 1e-4 tolerance; they still match, within a few f16 roundings.

// CHECK-LABEL: func.func @erf_f16
// CHECK: %[[G:.*]] = tessera.gelu %arg0 : tensor<2x8xf16>
// CHECK: return %[[G]]
func.func @erf_f16(%x: tensor<2x8xf16>) -> tensor<2x8xf16> {
  %half = tessera.constant dense<5.000000e-01> : tensor<f16>
  %one = tessera.constant dense<1.000000e+00> : tensor<f16>
  %rsqrt2 = tessera.constant dense<0.70703125> : tensor<f16>
  %0 = tessera.mul %x, %half : (tensor<2x8xf16>, tensor<f16>) -> tensor<2x8xf16>
  %1 = tessera.mul %x, %rsqrt2 : (tensor<2x8xf16>, tensor<f16>) -> tensor<2x8xf16>
  %2 = tessera.erf %1 : tensor<2x8xf16>
  %3 = tessera.add %one, %2 : (tensor<f16>, tensor<2x8xf16>) -> tensor<2x8xf16>
  %4 = tessera.mul %0, %3 : (tensor<2x8xf16>, tensor<2x8xf16>) -> tensor<2x8xf16>
  return %4 : tensor<2x8xf16>
}

// -----

// CHECK-LABEL: func.func @tanh_f16
// CHECK: %[[G:.*]] = tessera.gelu %arg0 approximate = tanh : tensor<2x8xf16>
// CHECK: return %[[G]]
func.func @tanh_f16(%x: tensor<2x8xf16>) -> tensor<2x8xf16> {
  %half = tessera.constant dense<5.000000e-01> : tensor<f16>
  %one = tessera.constant dense<1.000000e+00> : tensor<f16>
  %three = tessera.constant dense<3.000000e+00> : tensor<f16>
  %k = tessera.constant dense<0.044708> : tensor<f16>
  %s = tessera.constant dense<0.797851562> : tensor<f16>
  %0 = tessera.pow %x, %three : (tensor<2x8xf16>, tensor<f16>) -> tensor<2x8xf16>
  %1 = tessera.mul %k, %0 : (tensor<f16>, tensor<2x8xf16>) -> tensor<2x8xf16>
  %2 = tessera.add %x, %1 : (tensor<2x8xf16>, tensor<2x8xf16>) -> tensor<2x8xf16>
  %3 = tessera.mul %2, %s : (tensor<2x8xf16>, tensor<f16>) -> tensor<2x8xf16>
  %4 = tessera.tanh %3 : tensor<2x8xf16>
  %5 = tessera.add %4, %one : (tensor<2x8xf16>, tensor<f16>) -> tensor<2x8xf16>
  %6 = tessera.mul %half, %x : (tensor<f16>, tensor<2x8xf16>) -> tensor<2x8xf16>
  %7 = tessera.mul %6, %5 : (tensor<2x8xf16>, tensor<2x8xf16>) -> tensor<2x8xf16>
  return %7 : tensor<2x8xf16>
}

// -----

// The f32 tolerance is unchanged: f32's 1/√2 off by 1e-3 is no GELU.
// CHECK-LABEL: func.func @erf_f32_near_miss
// CHECK-NOT: tessera.gelu
func.func @erf_f32_near_miss(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %half = tessera.constant dense<5.000000e-01> : tensor<f32>
  %one = tessera.constant dense<1.000000e+00> : tensor<f32>
  %rsqrt2 = tessera.constant dense<0.70703125> : tensor<f32>
  %0 = tessera.mul %x, %half : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %1 = tessera.mul %x, %rsqrt2 : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %2 = tessera.erf %1 : tensor<2x8xf32>
  %3 = tessera.add %one, %2 : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %4 = tessera.mul %0, %3 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %4 : tensor<2x8xf32>
}

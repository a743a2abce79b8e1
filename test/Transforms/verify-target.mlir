// RUN: tessera-opt %s -split-input-file -tessera-verify-target=target=lavapipe | FileCheck %s
// RUN: tessera-opt %s -split-input-file -tessera-verify-target="target=lavapipe emit-remarks" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: not tessera-opt %s -split-input-file -tessera-verify-target=target=generic 2>&1 | FileCheck %s --check-prefix=GENERIC
// RUN: not tessera-opt %s -split-input-file -tessera-verify-target=target=quantum 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// UNKNOWN: error: unknown target profile 'quantum'; built-in profiles are: lavapipe, nvidia, amd, intel, mali, adreno, generic

// An f32 model needs nothing optional.
// CHECK-LABEL: module attributes
// CHECK-SAME: tessera.requirements = []
// CHECK-SAME: tessera.target = #tessera.target<name = "lavapipe", subgroup_size = 8
// CHECK-LABEL: func @f32_layer
// REMARK: remark: target 'lavapipe' requirements: none
module {
func.func @f32_layer(%x: tensor<1x?x256xf32>, %w: tensor<256x256xf32>) -> tensor<1x?x256xf32> {
  %0 = tessera.linear %x, %w : (tensor<1x?x256xf32>, tensor<256x256xf32>) -> tensor<1x?x256xf32>
  return %0 : tensor<1x?x256xf32>
}
}

// -----

// f16 weights need 16-bit floats: lavapipe has them, generic does not.
// CHECK-LABEL: module attributes
// CHECK-SAME: tessera.requirements = ["fp16"]
// GENERIC: error: 'func.func' op needs 16-bit float support (shaderFloat16), which target 'generic' lacks
// GENERIC: note: 3 more op(s) in the module need it too
// REMARK: remark: target 'lavapipe' requirements: fp16
module {
func.func @f16_layer(%x: tensor<1x?x256xf16>, %w: tensor<256x256xf16>) -> tensor<1x?x256xf16> {
  %0 = tessera.linear %x, %w : (tensor<1x?x256xf16>, tensor<256x256xf16>) -> tensor<1x?x256xf16>
  %1 = tessera.gelu %0 : tensor<1x?x256xf16>
  return %1 : tensor<1x?x256xf16>
}
}

// -----

// Both features, listed sorted.
// CHECK-LABEL: module attributes
// CHECK-SAME: tessera.requirements = ["fp16", "int8"]
// GENERIC: error: 'func.func' op needs 16-bit float support (shaderFloat16), which target 'generic' lacks
// GENERIC: note: 2 more op(s) in the module need it too
// GENERIC: error: 'tessera.constant' op needs 8-bit integer support (shaderInt8), which target 'generic' lacks
// REMARK: remark: target 'lavapipe' requirements: fp16, int8
module {
func.func @int8_and_f16() -> tensor<4xf16> {
  %c = tessera.constant dense<[1, 2, 3, 4]> : tensor<4xi8>
  %0 = tessera.cast %c : tensor<4xi8> -> tensor<4xf16>
  return %0 : tensor<4xf16>
}
}

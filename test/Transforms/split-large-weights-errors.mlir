// RUN: tessera-opt %s -verify-diagnostics -tessera-split-large-weights=max-bytes=4

func.func @split(%x: tensor<3x2xf32>) -> tensor<3x5xf32> {
  %w = tessera.constant dense_resource<w> : tensor<5x2xf32>
  %b = tessera.constant dense_resource<b> : tensor<5xf32>
  // expected-error @+1 {{has weight rows of 8 bytes, more than one storage-buffer binding holds (4 bytes)}}
  %0 = tessera.linear %x, %w, %b : (tensor<3x2xf32>, tensor<5x2xf32>, tensor<5xf32>) -> tensor<3x5xf32>
  %1 = tessera.gelu %0 : tensor<3x5xf32>
  return %1 : tensor<3x5xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000802906BFB429B53D792A85BE07D4543ED3BC803E00735EBF0C4279BFBFC82C3FE76BF6BEC60508BF",
      b: "0x0400000029C57D3FF29973BDAD442C3FEAB641BDE1678E3E"
    }
  }
#-}

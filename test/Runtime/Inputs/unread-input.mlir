func.func @f(%x: tensor<?x8xf32> {tessera.name = "x", tessera.dims = ["rows", 8]}, %z: tensor<4x8xi32> {tessera.name = "z"}, %w: tensor<4x8xf32> {tessera.name = "w"}) -> tensor<?x4xf32> attributes {tessera.dim_bounds = {rows = array<i64: 1, 16>}} {
  %0 = tessera.linear %x, %w : (tensor<?x8xf32>, tensor<4x8xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

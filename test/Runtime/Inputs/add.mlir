// A small model for the runtime's error tests: y = x + b, x is [?, 3].
func.func @add(%x: tensor<?x3xf32> {tessera.name = "x", tessera.dims = ["rows", 3]},
               %b: tensor<3xf32> {tessera.name = "b"}) -> (tensor<?x3xf32> {tessera.name = "y"})
    attributes {tessera.dim_bounds = {rows = array<i64: 1, 8>}} {
  %0 = tessera.add %x, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

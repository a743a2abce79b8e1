//===- ElementwiseKernelTest.cpp - Elementwise chains ---------------------===//
//
// Chains of elementwise ops with broadcasting, iotas and embedding gathers
// in one dispatch, against a C++ reference.
//
//===----------------------------------------------------------------------===//

#include "KernelTestFixture.h"

using namespace tessera_test;

namespace {

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST_F(KernelTest, ElementwiseChainWithBroadcasting) {
  // select(x > y, exp(x) * s, erf(y) - sqrt(|x|)) with y and s broadcast.
  std::string mlir = R"(
func.func @f(%x: tensor<5x7xf32> {tessera.name = "x"}, %y: tensor<7xf32> {tessera.name = "y"},
             %s: tensor<5x1xf32> {tessera.name = "s"}) -> tensor<5x7xf32> {
  %c = tessera.compare gt, %x, %y : (tensor<5x7xf32>, tensor<7xf32>) -> tensor<5x7xi1>
  %e = tessera.exp %x : tensor<5x7xf32>
  %t = tessera.mul %e, %s : (tensor<5x7xf32>, tensor<5x1xf32>) -> tensor<5x7xf32>
  %f = tessera.erf %y : tensor<7xf32>
  %a = tessera.abs %x : tensor<5x7xf32>
  %q = tessera.sqrt %a : tensor<5x7xf32>
  %g = tessera.sub %f, %q : (tensor<7xf32>, tensor<5x7xf32>) -> tensor<5x7xf32>
  %r = tessera.select %c, %t, %g : (tensor<5x7xi1>, tensor<5x7xf32>, tensor<5x7xf32>) -> tensor<5x7xf32>
  return %r : tensor<5x7xf32>
})";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  Tensor x{"x", {5, 7}, randomValues(35, 11)};
  Tensor y{"y", {7}, randomValues(7, 12)};
  Tensor s{"s", {5, 1}, randomValues(5, 13)};
  std::vector<float> got = run(program, {x, y, s});
  tessera_program_destroy(program);
  std::vector<double> want(35);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 7; ++j) {
      double xv = x.values[i * 7 + j], yv = y.values[j];
      want[i * 7 + j] = xv > yv ? std::exp(xv) * s.values[i]
                                : std::erf(yv) - std::sqrt(std::abs(xv));
    }
  expectClose(got, want);
}

TEST_F(KernelTest, ReshapedIotaBroadcastInAnElementwiseChain) {
  // float(x + positions), the positions an iota reshaped to [1, seq] and
  // computed in the kernel where the add reads them: every batch row sees
  // 0 .. seq-1.
  std::string mlir = R"(
func.func @f(%x: tensor<?x?xi32> {tessera.name = "x", tessera.dims = ["batch", "seq"]})
    -> tensor<?x?xf32> attributes {tessera.dim_bounds = {batch = array<i64: 1, 4>, seq = array<i64: 1, 16>}} {
  %iota = tessera.iota length = "seq" : tensor<?xi32>
  %row = tessera.reshape %iota {dims = ["1", "seq"]} : tensor<?xi32> -> tensor<1x?xi32>
  %sum = tessera.add %x, %row : (tensor<?x?xi32>, tensor<1x?xi32>) -> tensor<?x?xi32>
  %y = tessera.cast %sum : tensor<?x?xi32> -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
})";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  EXPECT_EQ(tessera_program_dispatch_count(program), 1u);
  Tensor x{"x", {3, 7}};
  for (int32_t i = 0; i < 21; ++i)
    x.ints.push_back(100 * i);
  std::vector<float> got = run(program, {x});
  tessera_program_destroy(program);
  std::vector<double> want(21);
  for (int64_t i = 0; i < 21; ++i)
    want[i] = 100.0 * i + i % 7;
  expectClose(got, want);
}

TEST_F(KernelTest, EmbeddingLookupsSumAndLayerNormInOneDispatch) {
  // layer_norm(words[ids] + positions[seq positions]) with scale and bias:
  // the gathers and the positions' iota are evaluated in the layer norm's
  // prologue (one dispatch). Negative ids count from the table's end.
  std::string mlir = R"(
func.func @f(%ids: tensor<?x?xi32> {tessera.name = "ids", tessera.dims = ["batch", "seq"]},
             %words: tensor<50x40xf32> {tessera.name = "words"},
             %positions: tensor<16x40xf32> {tessera.name = "positions"},
             %g: tensor<40xf32> {tessera.name = "g"}, %b: tensor<40xf32> {tessera.name = "b"})
    -> tensor<?x?x40xf32> attributes {tessera.dim_bounds = {batch = array<i64: 1, 4>, seq = array<i64: 1, 16>}} {
  %iota = tessera.iota length = "seq" : tensor<?xi32>
  %row = tessera.reshape %iota {dims = ["1", "seq"]} : tensor<?xi32> -> tensor<1x?xi32>
  %w = tessera.gather %words[%ids], axis = 0 : (tensor<50x40xf32>, tensor<?x?xi32>) -> tensor<?x?x40xf32>
  %p = tessera.gather %positions[%row], axis = 0 : (tensor<16x40xf32>, tensor<1x?xi32>) -> tensor<1x?x40xf32>
  %sum = tessera.add %w, %p : (tensor<?x?x40xf32>, tensor<1x?x40xf32>) -> tensor<?x?x40xf32>
  %n = tessera.layer_norm %sum scale(%g) bias(%b), axis = 2, epsilon = 1.0e-5 : (tensor<?x?x40xf32>, tensor<40xf32>, tensor<40xf32>) -> tensor<?x?x40xf32>
  return %n : tensor<?x?x40xf32>
})";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  EXPECT_EQ(tessera_program_dispatch_count(program), 1u);
  const int64_t batch = 3, seq = 11, width = 40;
  Tensor ids{"ids", {batch, seq}};
  std::mt19937 rng(21);
  for (int64_t i = 0; i < batch * seq; ++i)
    ids.ints.push_back(static_cast<int32_t>(rng() % 100) - 50); // [-50, 50)
  Tensor words{"words", {50, width}, randomValues(50 * width, 22)};
  Tensor positions{"positions", {16, width}, randomValues(16 * width, 23)};
  Tensor g{"g", {width}, randomValues(width, 24)};
  Tensor b{"b", {width}, randomValues(width, 25)};
  std::vector<float> got = run(program, {ids, words, positions, g, b});
  tessera_program_destroy(program);
  std::vector<double> want(batch * seq * width), row(width);
  for (int64_t r = 0; r < batch * seq; ++r) {
    int64_t id = ids.ints[r] < 0 ? ids.ints[r] + 50 : ids.ints[r];
    int64_t position = r % seq;
    double mean = 0, var = 0;
    for (int64_t c = 0; c < width; ++c) {
      row[c] = double(words.values[id * width + c]) +
               positions.values[position * width + c];
      mean += row[c];
    }
    mean /= width;
    for (int64_t c = 0; c < width; ++c)
      var += (row[c] - mean) * (row[c] - mean);
    var /= width;
    for (int64_t c = 0; c < width; ++c)
      want[r * width + c] =
          (row[c] - mean) / std::sqrt(var + 1e-5) * g.values[c] + b.values[c];
  }
  expectClose(got, want);
}

TEST_F(KernelTest, EmbeddingTableSplitAcrossBindingsReadsEveryPart) {
  // A 40x24 table with bindings of 16 rows: three parts (16, 16, 8),
  // concatenated for the gather, which reads each id's row from its part.
  // Ids at every part's edges, and negative ones from the table's end.
  const int64_t rows = 40, width = 24;
  std::vector<float> table = randomValues(rows * width, 31);
  std::string mlir = R"(
func.func @f(%ids: tensor<10xi32> {tessera.name = "ids"}) -> tensor<10x24xf32> {
  %table = tessera.constant dense_resource<table> : tensor<40x24xf32>
  %rows = tessera.gather %table[%ids], axis = 0 : (tensor<40x24xf32>, tensor<10xi32>) -> tensor<10x24xf32>
  %one = tessera.constant dense<1.0> : tensor<f32>
  %0 = tessera.add %rows, %one : (tensor<10x24xf32>, tensor<f32>) -> tensor<10x24xf32>
  return %0 : tensor<10x24xf32>
}
{-#
  dialect_resources: { builtin: { table: ")" +
                     blobOf(table) + R"(" } }
#-}
)";
  tessera_program program = compile(mlir, /*maxBindingBytes=*/16 * width * 4);
  ASSERT_TRUE(program);
  // One dispatch: the concatenated table is never stored.
  EXPECT_EQ(tessera_program_dispatch_count(program), 1u);
  Tensor ids{"ids", {10}};
  ids.ints = {0, 15, 16, 31, 32, 39, -1, -8, -9, 7};
  std::vector<float> got = run(program, {ids});
  tessera_program_destroy(program);
  std::vector<double> want;
  for (int32_t id : ids.ints)
    for (int64_t c = 0; c < width; ++c)
      want.push_back(table[(id < 0 ? id + rows : id) * width + c] + 1.0);
  expectClose(got, want);
}

//===----------------------------------------------------------------------===//
// Rotary embeddings
//===----------------------------------------------------------------------===//

/// y[d] = x[d] cos[d] + r[d] sin[d], r the negated or kept partner of d
/// (RotaryOp's definition, written out independently here).
double rotaryReference(const float *x, const float *cos, const float *sin,
                       int64_t d, int64_t size, bool interleaved) {
  bool first = interleaved ? d % 2 == 0 : d < size / 2;
  int64_t partner = interleaved ? (first ? d + 1 : d - 1)
                                : (first ? d + size / 2 : d - size / 2);
  double r = first ? -double(x[partner]) : double(x[partner]);
  return double(x[d]) * cos[d] + r * sin[d];
}

class RotaryKernelTest : public KernelTest,
                         public ::testing::WithParamInterface<bool> {};

TEST_P(RotaryKernelTest, RotatesQueriesReadThroughTheHeadSplit) {
  // The queries of a [batch, seq, heads * 8] projection, split into heads
  // by a reshape and a transpose (read through the view), rotated by
  // tables [seq, 8] shared by every batch and head: one dispatch.
  bool interleaved = GetParam();
  std::string mlir =
      R"(
func.func @f(%x: tensor<?x?x24xf32> {tessera.name = "x", tessera.dims = ["batch", "seq"]},
             %cos: tensor<?x8xf32> {tessera.name = "cos", tessera.dims = ["seq"]},
             %sin: tensor<?x8xf32> {tessera.name = "sin", tessera.dims = ["seq"]})
    -> tensor<?x3x?x8xf32> attributes {tessera.dim_bounds = {batch = array<i64: 1, 4>, seq = array<i64: 1, 16>}} {
  %h = tessera.reshape %x {dims = ["batch", "seq", "3", "8"]} : tensor<?x?x24xf32> -> tensor<?x?x3x8xf32>
  %t = tessera.transpose %h, [0, 2, 1, 3] : tensor<?x?x3x8xf32> -> tensor<?x3x?x8xf32>
  %r = tessera.rotary %t, %cos, %sin)" +
      std::string(interleaved ? " {interleaved}" : "") +
      R"( : (tensor<?x3x?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x3x?x8xf32>
  return %r : tensor<?x3x?x8xf32>
})";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  EXPECT_EQ(tessera_program_dispatch_count(program), 1u);
  const int64_t batch = 2, seq = 5, heads = 3, size = 8;
  Tensor x{"x",
           {batch, seq, heads * size},
           randomValues(batch * seq * heads * size, 41)};
  Tensor cos{"cos", {seq, size}, randomValues(seq * size, 42)};
  Tensor sin{"sin", {seq, size}, randomValues(seq * size, 43)};
  std::vector<float> got = run(program, {x, cos, sin});
  tessera_program_destroy(program);
  std::vector<double> want;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t s = 0; s < seq; ++s)
        for (int64_t d = 0; d < size; ++d)
          want.push_back(
              rotaryReference(&x.values[((b * seq + s) * heads + h) * size],
                              &cos.values[s * size], &sin.values[s * size], d,
                              size, interleaved));
  expectClose(got, want);
}

TEST_P(RotaryKernelTest, RotatedNewKeysJoinTheCacheConcatenation) {
  // present = concat(past, rotary(k)) along the sequence: the rotary is
  // evaluated where the concatenation reads it (one dispatch).
  bool interleaved = GetParam();
  std::string mlir =
      R"(
func.func @f(%past: tensor<1x2x?x8xf32> {tessera.name = "past", tessera.dims = ["1", "2", "past", "8"]},
             %k: tensor<1x2x?x8xf32> {tessera.name = "k", tessera.dims = ["1", "2", "seq", "8"]},
             %cos: tensor<1x1x?x8xf32> {tessera.name = "cos", tessera.dims = ["1", "1", "seq", "8"]},
             %sin: tensor<1x1x?x8xf32> {tessera.name = "sin", tessera.dims = ["1", "1", "seq", "8"]})
    -> tensor<1x2x?x8xf32> attributes {tessera.dim_bounds = {past = array<i64: 0, 8>, seq = array<i64: 1, 8>}} {
  %r = tessera.rotary %k, %cos, %sin)" +
      std::string(interleaved ? " {interleaved}" : "") +
      R"( : (tensor<1x2x?x8xf32>, tensor<1x1x?x8xf32>, tensor<1x1x?x8xf32>) -> tensor<1x2x?x8xf32>
  %c = tessera.concat %past, %r axis = 2 : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %c : tensor<1x2x?x8xf32>
})";
  tessera_program program = compile(mlir);
  ASSERT_TRUE(program);
  EXPECT_EQ(tessera_program_dispatch_count(program), 1u);
  const int64_t past = 3, seq = 4, heads = 2, size = 8;
  Tensor cached{
      "past", {1, heads, past, size}, randomValues(heads * past * size, 51)};
  Tensor k{"k", {1, heads, seq, size}, randomValues(heads * seq * size, 52)};
  Tensor cos{"cos", {1, 1, seq, size}, randomValues(seq * size, 53)};
  Tensor sin{"sin", {1, 1, seq, size}, randomValues(seq * size, 54)};
  std::vector<float> got = run(program, {cached, k, cos, sin});
  tessera_program_destroy(program);
  std::vector<double> want;
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < past * size; ++i)
      want.push_back(cached.values[h * past * size + i]);
    for (int64_t s = 0; s < seq; ++s)
      for (int64_t d = 0; d < size; ++d)
        want.push_back(rotaryReference(
            &k.values[(h * seq + s) * size], &cos.values[s * size],
            &sin.values[s * size], d, size, interleaved));
  }
  expectClose(got, want);
}

INSTANTIATE_TEST_SUITE_P(Forms, RotaryKernelTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool> &info) {
                           return info.param ? "Interleaved" : "RotateHalf";
                         });

//===----------------------------------------------------------------------===//

} // namespace

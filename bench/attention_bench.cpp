//===- attention_bench.cpp - Attention variants on one device -------------===//
//
//   tessera-bench-attention [--runs N] [--device D] [--quick]
//
// Batch 1, f32 (one line with f16 storage). Every case is compiled through
// every phase and timed through the runtime (median of N runs, default 5,
// after 2 warm-up runs), all in one process. The cases compared in one
// ratio are timed in rounds (each round runs each of them once:
// measureInRounds), so that the machine's changing load reaches them alike:
//   1. `none`, 12 heads, head dim 64, at S = 512 and 2048 (GFLOP/s count
//      4·S²·D·H); at 512 also the same work as separate dispatches (matmul
//      Q·Kᵀ with the scale fused, softmax, matmul with V). At 2048 the S×S
//      scores of the separate form exceed one binding on lavapipe.
//   2. `causal` at 2048, as a fraction of `none` at 2048.
//   3. `sliding<256, 256>` at 2048, 4096, 8192 and 16384: t(16384)/t(2048)
//      (8 is linear, 64 quadratic); at 4096 also the same kernel with the
//      band given as a dense additive mask (0 / -1e9, what an unclassified
//      mask compiles to): it visits every key tile and applies the band
//      element by element.
//   4. Swin-T stage 1: `window<56x56, 7, 3>`, 3 heads, head dim 32, with its
//      relative position table, against the same attention on data already
//      rolled and partitioned into 64 windows of 49 tokens (the copies that
//      roll and partition would take are not counted for the peer).
// --quick runs a smaller set (S = 512 only) for a smoke test.
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"

#include "tessera/runtime.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace tessera::bench;

namespace {

std::string tensorType(const std::vector<int64_t> &shape,
                       const char *element = "f32") {
  std::string text = "tensor<";
  for (int64_t d : shape)
    text += std::to_string(d) + "x";
  return text + element + ">";
}

/// One attention (or its decomposition) and the inputs it takes.
struct Case {
  int64_t batch = 1, heads = 12, seq = 512, headDim = 64;
  std::string attributes;          // e.g. "mask = #tessera.mask<causal>"
  std::vector<int64_t> biasShape;  // empty: no bias
  std::vector<float> biasValues;   // (random when empty)
  bool decomposed = false;
  bool f16 = false; // f16 storage for q, k, v and the output (no bias)

  std::vector<int64_t> qkvShape() const { return {batch, heads, seq, headDim}; }

  std::string source() const {
    std::string t = tensorType(qkvShape(), f16 ? "f16" : "f32");
    std::string args = "%q: " + t + " {tessera.name = \"q\"}, %k: " + t +
                       " {tessera.name = \"k\"}, %v: " + t +
                       " {tessera.name = \"v\"}";
    std::string body;
    if (decomposed) {
      std::string s = tensorType({batch, heads, seq, seq});
      body = "  %c = tessera.constant dense<0.125> : tensor<f32>\n"
             "  %s = tessera.matmul %q, %k {transpose_rhs = true} : (" +
             t + ", " + t + ") -> " + s + "\n  %x = tessera.mul %s, %c : (" +
             s + ", tensor<f32>) -> " + s +
             "\n  %p = tessera.softmax %x, axis = 3 : " + s + " -> " + s +
             "\n  %0 = tessera.matmul %p, %v : (" + s + ", " + t + ") -> " + t +
             "\n";
    } else {
      std::string operands = "%q, %k, %v", types = t + ", " + t + ", " + t;
      if (!biasShape.empty()) {
        args += ", %bias: " + tensorType(biasShape) +
                " {tessera.name = \"bias\"}";
        operands += " bias(%bias)";
        types += ", " + tensorType(biasShape);
      }
      std::string attrs = attributes.empty() ? "" : " {" + attributes + "}";
      body = "  %0 = tessera.attention " + operands + attrs + " : (" + types +
             ") -> " + t + "\n";
    }
    return "func.func @f(" + args + ") -> " + t + " {\n" + body +
           "  return %0 : " + t + "\n}\n";
  }

  double gflop() const {
    return 4.0 * seq * seq * headDim * heads * batch / 1e9;
  }
};

/// A case compiled to its own file, with the inputs it runs on.
struct Prepared {
  std::vector<float> q, k, v, bias;
  std::vector<uint16_t> halves[3];
  Job job;
};

/// Compiles `c` to a file named by `index` and makes random inputs; null on
/// failure (printed).
std::unique_ptr<Prepared> prepare(const Case &c, int index) {
  auto prepared = std::make_unique<Prepared>();
  prepared->job.path =
      "/tmp/tessera-bench-attention." + std::to_string(index) + ".tsr";
  if (!compileToFile(c.source(), prepared->job.path))
    return nullptr;
  std::vector<int64_t> shape = c.qkvShape();
  size_t count = 1;
  for (int64_t d : shape)
    count *= d;
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  const char *names[] = {"q", "k", "v"};
  std::vector<float> *data[] = {&prepared->q, &prepared->k, &prepared->v};
  for (int i = 0; i < 3; ++i) {
    data[i]->resize(count);
    for (float &x : *data[i])
      x = normal(rng);
    tessera_tensor t{names[i], TESSERA_F32, 4, {}, data[i]->data(),
                     count * 4};
    if (c.f16) {
      for (float x : *data[i])
        prepared->halves[i].push_back(tessera_f32_to_f16(x));
      t.element_type = TESSERA_F16;
      t.data = prepared->halves[i].data();
      t.size = count * 2;
    }
    std::copy(shape.begin(), shape.end(), t.shape);
    prepared->job.inputs.push_back(t);
  }
  if (!c.biasShape.empty()) {
    size_t biasCount = 1;
    for (int64_t d : c.biasShape)
      biasCount *= d;
    prepared->bias = c.biasValues;
    if (prepared->bias.empty()) {
      prepared->bias.resize(biasCount);
      for (float &x : prepared->bias)
        x = normal(rng);
    }
    tessera_tensor t{"bias", TESSERA_F32,
                     static_cast<uint32_t>(c.biasShape.size()),
                     {},
                     prepared->bias.data(),
                     biasCount * 4};
    std::copy(c.biasShape.begin(), c.biasShape.end(), t.shape);
    prepared->job.inputs.push_back(t);
  }
  return prepared;
}

/// Median seconds of each case, measured in rounds (measureInRounds): the
/// cases of one comparison share the machine's state. Empty on failure
/// (printed).
std::vector<double> timeTogether(tessera_instance instance, uint32_t device,
                                 const std::vector<Case> &cases, int runs) {
  std::vector<std::unique_ptr<Prepared>> prepared;
  std::vector<Job> jobs;
  for (const Case &c : cases) {
    prepared.push_back(prepare(c, static_cast<int>(jobs.size())));
    if (!prepared.back())
      return {};
    jobs.push_back(prepared.back()->job);
  }
  std::vector<Measurement> results;
  if (!measureInRounds(instance, device, jobs, runs, results))
    return {};
  std::vector<double> seconds;
  for (const Measurement &m : results)
    seconds.push_back(m.medianSeconds);
  return seconds;
}

/// A dense additive mask [S, S] for a band: 0 inside, -1e9 outside.
std::vector<float> bandMask(int64_t seq, int64_t left, int64_t right) {
  std::vector<float> mask(static_cast<size_t>(seq * seq), -1e9f);
  for (int64_t i = 0; i < seq; ++i)
    for (int64_t j = std::max<int64_t>(0, i - left);
         j <= std::min<int64_t>(seq - 1, i + right); ++j)
      mask[i * seq + j] = 0;
  return mask;
}

} // namespace

int main(int argc, char **argv) {
  BenchArguments arguments{5};
  if (!parseBenchArguments(
          argc, argv,
          "tessera-bench-attention [--runs N] [--device D] [--quick]",
          /*allowQuick=*/true, arguments))
    return 2;
  int runs = arguments.runs;
  bool quick = arguments.quick;
  tessera_instance instance = nullptr;
  uint32_t device = 0;
  tessera_device_info info;
  if (!openDevice(arguments.device, instance, device, info))
    return 1;
  std::printf("device: %s; batch 1, f32 unless marked; median of %d runs after 2 warm-up "
              "runs\n\n",
              info.name, runs);
  // The cases of one comparison, timed in rounds; exits on failure.
  auto timeAll = [&](const std::vector<Case> &cases) {
    std::vector<double> seconds = timeTogether(instance, device, cases, runs);
    if (seconds.empty()) {
      tessera_instance_destroy(instance);
      std::exit(1);
    }
    return seconds;
  };

  // 1. none at 512: fused, separate, f16 storage.
  Case none;
  Case separate = none;
  separate.decomposed = true;
  Case half = none;
  half.f16 = true;
  Case causal = none;
  causal.attributes = "mask = #tessera.mask<causal>";
  std::vector<Case> at512 = {none, separate, half};
  if (quick)
    at512.push_back(causal);
  std::vector<double> t512 = timeAll(at512);
  double fused512 = t512[0], separate512 = t512[1], half512 = t512[2];
  std::printf("none    12 heads, D 64, S=512   fused %8.1f ms (%5.2f GFLOP/s)"
              "   separate matmul+softmax+matmul %8.1f ms (%5.2f GFLOP/s)   "
              "fused is %.2fx faster\n",
              fused512 * 1e3, none.gflop() / fused512, separate512 * 1e3,
              none.gflop() / separate512, separate512 / fused512);
  std::printf("none    S=512 with f16 storage %8.1f ms (%5.2f GFLOP/s) = "
              "%.2f of f32\n",
              half512 * 1e3, none.gflop() / half512, half512 / fused512);
  if (quick) {
    std::printf("causal  S=512   %8.1f ms = %.2f of none\n", t512[3] * 1e3,
                t512[3] / fused512);
    tessera_instance_destroy(instance);
    return 0;
  }

  // 2. none and causal at 2048.
  none.seq = causal.seq = 2048;
  std::vector<double> t2048 = timeAll({none, causal});
  std::printf("none    12 heads, D 64, S=2048  fused %8.1f ms (%5.2f "
              "GFLOP/s)\n",
              t2048[0] * 1e3, none.gflop() / t2048[0]);
  std::printf("causal  S=2048  %8.1f ms = %.2f of none at 2048\n",
              t2048[1] * 1e3, t2048[1] / t2048[0]);

  // 3. sliding<256, 256>: linear growth, and what the structure buys.
  Case band = none;
  band.attributes = "mask = #tessera.mask<sliding, left = 256, right = 256>";
  std::vector<int64_t> lengths = {2048, 4096, 8192, 16384};
  std::vector<Case> bands;
  for (int64_t seq : lengths) {
    band.seq = seq;
    bands.push_back(band);
  }
  Case dense = bands[1];
  dense.attributes.clear();
  dense.biasShape = {dense.seq, dense.seq};
  dense.biasValues = bandMask(dense.seq, 256, 256);
  bands.push_back(dense);
  std::vector<double> tBand = timeAll(bands);
  for (size_t i = 0; i < lengths.size(); ++i) {
    long long seq = lengths[i], times = seq / 2048;
    std::printf("sliding<256,256> S=%-5lld %9.1f ms   t(S)/t(2048) = %5.2f "
                "(linear %2lld, quadratic %3lld)\n",
                seq, tBand[i] * 1e3, tBand[i] / tBand[0], times,
                times * times);
  }
  std::printf("        S=4096 with the band as a dense additive mask (every "
              "key tile): %9.1f ms; the structured band is %.1fx faster\n",
              tBand[4] * 1e3, tBand[4] / tBand[1]);

  // 4. Swin-T stage 1.
  Case window;
  window.heads = 3;
  window.headDim = 32;
  window.seq = 56 * 56;
  window.attributes = "mask = #tessera.mask<window, grid = [56, 56], size = "
                      "7, shift = 3>, window_relative_bias";
  window.biasShape = {3, 49, 49};
  Case windows; // 64 windows of 49 tokens, each its own batch entry
  windows.batch = 64;
  windows.heads = 3;
  windows.headDim = 32;
  windows.seq = 49;
  windows.biasShape = {64, 3, 49, 49}; // position bias + shift mask
  std::vector<double> tWindow = timeAll({window, windows});
  std::printf("window<56x56, 7, 3> 3 heads, D 32: %8.1f ms; on rolled and "
              "partitioned data (64 x 49 tokens): %8.1f ms; ratio %.2f\n",
              tWindow[0] * 1e3, tWindow[1] * 1e3, tWindow[0] / tWindow[1]);
  tessera_instance_destroy(instance);
  return 0;
}

//===- attention_bench.cpp - Attention variants on one device -------------===//
//
//   tessera-bench-attention [--runs N] [--device D] [--heads H] [--seq S]
//
// Batch 1, H heads (default 12), head dim 64, f32. Every case is compiled
// through every phase and timed through the runtime (median of N runs, after
// 2 warm-up runs), all in one process:
//   - `none` at S (default 512): the fused kernel, and the same work as
//     separate dispatches (matmul Q·Kᵀ with the scale fused, softmax, matmul
//     with V); GFLOP/s counts 4·S²·D·H for both;
//   - `causal` at S, as a fraction of `none`;
//   - `sliding<128, 128>` at S, 2S and 4S: time grows linearly, not
//     quadratically.
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"

#include "tessera/runtime.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace tessera::bench;

namespace {

int64_t heads = 12, headDim = 64;

std::string qkvType(int64_t seq) {
  return "tensor<1x" + std::to_string(heads) + "x" + std::to_string(seq) + "x" +
         std::to_string(headDim) + "xf32>";
}

std::string fused(int64_t seq, const std::string &mask) {
  std::string t = qkvType(seq);
  std::string attrs = mask.empty() ? "" : " {mask = " + mask + "}";
  return "func.func @f(%q: " + t + " {tessera.name = \"q\"}, %k: " + t +
         " {tessera.name = \"k\"}, %v: " + t + " {tessera.name = \"v\"}) -> " +
         t + " {\n  %0 = tessera.attention %q, %k, %v" + attrs + " : (" + t +
         ", " + t + ", " + t + ") -> " + t + "\n  return %0 : " + t + "\n}\n";
}

std::string decomposed(int64_t seq) {
  std::string t = qkvType(seq);
  std::string s = "tensor<1x" + std::to_string(heads) + "x" +
                  std::to_string(seq) + "x" + std::to_string(seq) + "xf32>";
  return "func.func @f(%q: " + t + " {tessera.name = \"q\"}, %k: " + t +
         " {tessera.name = \"k\"}, %v: " + t + " {tessera.name = \"v\"}) -> " +
         t +
         " {\n  %c = tessera.constant dense<0.125> : tensor<f32>\n"
         "  %s = tessera.matmul %q, %k {transpose_rhs = true} : (" +
         t + ", " + t + ") -> " + s + "\n  %x = tessera.mul %s, %c : (" + s +
         ", tensor<f32>) -> " + s +
         "\n  %p = tessera.softmax %x, axis = 3 : " + s + " -> " + s +
         "\n  %o = tessera.matmul %p, %v : (" + s + ", " + t + ") -> " + t +
         "\n  return %o : " + t + "\n}\n";
}

/// Median seconds of `runs` runs after 2 warm-up runs; < 0 on failure.
double measureCase(tessera_instance instance, uint32_t device,
                   const std::string &source, int64_t seq, int runs) {
  std::string path = "/tmp/tessera-bench-attention.tsr";
  if (!compileToFile(source, path))
    return -1;
  size_t count = heads * seq * headDim;
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  std::vector<float> q(count), k(count), v(count);
  for (auto *data : {&q, &k, &v})
    for (float &x : *data)
      x = normal(rng);
  std::vector<tessera_tensor> inputs;
  const char *names[] = {"q", "k", "v"};
  std::vector<float> *data[] = {&q, &k, &v};
  for (int i = 0; i < 3; ++i)
    inputs.push_back(tessera_tensor{names[i],
                                    TESSERA_F32,
                                    4,
                                    {1, heads, seq, headDim},
                                    data[i]->data(),
                                    count * 4});
  Measurement result;
  if (!measure(instance, device, path, inputs, runs, result))
    return -1;
  return result.medianSeconds;
}

} // namespace

int main(int argc, char **argv) {
  int runs = 5;
  int64_t seq = 512;
  const char *selector = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--heads") && i + 1 < argc)
      heads = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--seq") && i + 1 < argc)
      seq = std::max(16, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--device") && i + 1 < argc)
      selector = argv[++i];
    else {
      std::fprintf(stderr, "usage: tessera-bench-attention [--runs N] "
                           "[--device D] [--heads H] [--seq S]\n");
      return 2;
    }
  }
  tessera_instance instance = nullptr;
  uint32_t device = 0;
  tessera_device_info info;
  if (!openDevice(selector, instance, device, info))
    return 1;
  std::printf("device: %s; batch 1, %lld heads, head dim %lld, f32; median "
              "of %d runs after 2 warm-up runs\n\n",
              info.name, static_cast<long long>(heads),
              static_cast<long long>(headDim), runs);
  auto gflops = [&](int64_t s, double seconds) {
    return 4.0 * s * s * headDim * heads / seconds / 1e9;
  };
  double none = measureCase(instance, device, fused(seq, ""), seq, runs);
  double split = measureCase(instance, device, decomposed(seq), seq, runs);
  double causal = measureCase(instance, device,
                              fused(seq, "#tessera.mask<causal>"), seq, runs);
  if (none < 0 || split < 0 || causal < 0)
    return 1;
  std::printf("none    S=%-5lld fused %9.1f ms (%5.2f GFLOP/s)   separate "
              "matmul+softmax+matmul %9.1f ms (%5.2f GFLOP/s)   %.2fx\n",
              static_cast<long long>(seq), none * 1e3, gflops(seq, none),
              split * 1e3, gflops(seq, split), split / none);
  std::printf("causal  S=%-5lld %9.1f ms = %.2f of none\n",
              static_cast<long long>(seq), causal * 1e3, causal / none);
  std::string band = "#tessera.mask<sliding, left = 128, right = 128>";
  double first = 0;
  for (int64_t s : {seq, 2 * seq, 4 * seq}) {
    double t = measureCase(instance, device, fused(s, band), s, runs);
    if (t < 0)
      return 1;
    if (first == 0)
      first = t;
    std::printf("sliding<128,128> S=%-5lld %9.1f ms   t(S)/t(%lld) = %.2f "
                "(linear: %.0f, quadratic: %.0f)\n",
                static_cast<long long>(s), t * 1e3, static_cast<long long>(seq),
                t / first, static_cast<double>(s) / seq,
                static_cast<double>(s * s) / (seq * seq));
  }
  tessera_instance_destroy(instance);
  return 0;
}

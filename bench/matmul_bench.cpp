//===- matmul_bench.cpp - Tessera's matmul kernel vs hand-written GLSL ----===//
//
//   tessera-bench-matmul [--runs N] [--device D]
//
// For each shape, compiles C = A·Wᵀ as a tessera.linear (the weight W[N, K]
// in the layout Tessera gives weights: K contiguous) through every phase,
// and wraps the hand-written GLSL kernel (bench/kernels/matmul_reference.comp,
// compiled by glslang, reading B = Wᵀ as [K, N]) into a .tsr with the same
// ABI, so that both run through the same runtime path (one command buffer,
// submit, fence). After two warm-up runs, prints the median of N timed
// runs (default 7) of each, GFLOP/s (2*M*N*K / time), Tessera's weight
// bandwidth (N*K*4 bytes / time: what decoding, M = 1, is bound by), the
// ratios, and the largest difference between the results.
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"

#include "tessera/runtime.h"
#include "tessera/tsr_format.h"
#include "tessera/tsr_generated.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace tessera::bench;
namespace tsr = ::tessera::tsr;

namespace {

struct Shape {
  int64_t m, n, k;
  const char *label;
};

std::vector<char> readFile(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(file),
                           std::istreambuf_iterator<char>());
}

std::string linearSource(const Shape &s) {
  auto t = [](int64_t a, int64_t b) {
    return "tensor<" + std::to_string(a) + "x" + std::to_string(b) + "xf32>";
  };
  return "func.func @mm(%a: " + t(s.m, s.k) +
         " {tessera.name = \"a\"}, %w: " + t(s.n, s.k) +
         " {tessera.name = \"w\"}) -> " + t(s.m, s.n) +
         " {\n  %0 = tessera.linear %a, %w : (" + t(s.m, s.k) + ", " +
         t(s.n, s.k) + ") -> " + t(s.m, s.n) +
         "\n  return %0 : " + t(s.m, s.n) + "\n}\n";
}

/// A single-row linear (decoding) with its weight W[N, K] given as `parts`
/// inputs w0, w1, ... split along N (each part must fit one binding), stored
/// as `elementType` (f16 weights are widened by a tessera.cast, which the
/// kernels do as they load) and concatenated.
std::string decodeSource(int64_t n, int64_t k, int parts,
                         const std::string &elementType) {
  auto t = [](int64_t a, int64_t b, const std::string &type) {
    return "tensor<" + std::to_string(a) + "x" + std::to_string(b) + "x" +
           type + ">";
  };
  std::string arguments = "%a: " + t(1, k, "f32") + " {tessera.name = \"a\"}";
  std::string body, results, resultTypes;
  for (int p = 0; p < parts; ++p) {
    int64_t rows = n / parts + (p < n % parts ? 1 : 0);
    std::string w = "%w" + std::to_string(p), id = std::to_string(p);
    arguments += ", " + w + ": " + t(rows, k, elementType) +
                 " {tessera.name = \"w" + id + "\"}";
    std::string weight = w;
    if (elementType != "f32") {
      weight = "%c" + id;
      body += "  " + weight + " = tessera.cast " + w + " : " +
              t(rows, k, elementType) + " -> " + t(rows, k, "f32") + "\n";
    }
    body += "  %y" + id + " = tessera.linear %a, " + weight + " : (" +
            t(1, k, "f32") + ", " + t(rows, k, "f32") + ") -> " +
            t(1, rows, "f32") + "\n";
    results += (p ? ", %y" : "%y") + id;
    resultTypes += (p ? ", " : "") + t(1, rows, "f32");
  }
  std::string result = "%y0";
  if (parts > 1) {
    result = "%y";
    body += "  %y = tessera.concat " + results + " axis = 1 : (" +
            resultTypes + ") -> " + t(1, n, "f32") + "\n";
  }
  return "func.func @decode(" + arguments + ") -> " + t(1, n, "f32") +
         " {\n" + body + "  return " + result + " : " + t(1, n, "f32") +
         "\n}\n";
}

/// Decoding streams the weight once per token: Tessera's single-row linear
/// with f32 and with f16 weights (GB/s of weight bytes), against the host's
/// own memcpy of the f32 bytes as the practical bandwidth bound; and the
/// f32 kernel with split K as GPU profiles choose it (the lavapipe profile
/// with parallel_workgroups = 64), the measurement behind lavapipe's 1.
bool benchDecode(tessera_instance instance, uint32_t device, int runs) {
  struct DecodeShape {
    int64_t n, k;
    int f32Parts; // an f32 LM head exceeds a 128 MiB binding: two parts
    const char *label;
  };
  const DecodeShape shapes[] = {{3072, 768, 1, "FFN-in 1x3072x768"},
                                {768, 3072, 1, "FFN-out 1x768x3072"},
                                {50257, 768, 2, "GPT-2 LM head 1x50257x768"}};
  std::printf("\nDecoding (M = 1): weight GB/s; f16 = --precision f16 "
              "(weights stored as f16, f32 arithmetic); memcpy = the host "
              "copying the f32 weight once; split K = the f32 kernel with K "
              "split as for a 64-workgroup GPU (the lavapipe profile with "
              "parallel_workgroups = 64), ratio = its time / f32's\n\n");
  std::printf("%-28s %10s %7s %10s %7s %7s %10s %7s %10s %12s %8s\n",
              "shape (MxNxK)", "f32", "GB/s", "f16", "GB/s", "f32/f16",
              "memcpy", "GB/s", "rel diff", "f32 split K", "ratio");
  // The benchmarks compile for the lavapipe profile.
  const std::string splitTarget =
      profileWithParallelWorkgroups("lavapipe", 64);
  for (const DecodeShape &s : shapes) {
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> uniform(-1, 1);
    std::vector<float> a(s.k), w(s.n * s.k);
    for (float &v : a)
      v = uniform(rng);
    for (float &v : w)
      v = uniform(rng);
    std::vector<uint16_t> half(w.size());
    for (size_t i = 0; i < w.size(); ++i)
      half[i] = tessera_f32_to_f16(w[i]);
    // f32, f16, and f32 with split K.
    Measurement results[3];
    const char *types[] = {"f32", "f16", "f32"};
    for (int precision = 0; precision < 3; ++precision) {
      int parts = precision == 1 ? 1 : s.f32Parts;
      std::vector<std::string> names = {"a"};
      std::vector<tessera_tensor> inputs = {
          {"a", TESSERA_F32, 2, {1, s.k}, a.data(), a.size() * 4}};
      int64_t row = 0;
      for (int p = 0; p < parts; ++p) {
        int64_t rows = s.n / parts + (p < s.n % parts ? 1 : 0);
        names.push_back("w" + std::to_string(p));
        inputs.push_back(
            precision != 1
                ? tessera_tensor{nullptr, TESSERA_F32, 2, {rows, s.k},
                                 w.data() + row * s.k,
                                 static_cast<size_t>(rows * s.k * 4)}
                : tessera_tensor{nullptr, TESSERA_F16, 2, {rows, s.k},
                                 half.data() + row * s.k,
                                 static_cast<size_t>(rows * s.k * 2)});
        row += rows;
      }
      for (size_t i = 0; i < inputs.size(); ++i)
        inputs[i].name = names[i].c_str();
      std::string path = "/tmp/tessera-bench-decode.tsr";
      std::string source = decodeSource(s.n, s.k, parts, types[precision]);
      bool ok = precision < 2
                    ? compileToFile(source, path)
                    : compileToFile("module attributes {tessera.target = " +
                                        splitTarget + "} {\n" + source +
                                        "}\n",
                                    path, /*target=*/"");
      if (!ok ||
          !measure(instance, device, path, inputs, runs, results[precision]))
        return false;
    }
    std::vector<float> copy(w.size());
    std::vector<double> copies;
    for (int r = 0; r < runs + 2; ++r) {
      auto start = std::chrono::steady_clock::now();
      std::memcpy(copy.data(), w.data(), w.size() * 4);
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      if (r >= 2)
        copies.push_back(seconds);
    }
    std::sort(copies.begin(), copies.end());
    double copySeconds = copies[copies.size() / 2];
    double diff = 0;
    for (size_t i = 0; i < results[0].output.size(); ++i)
      diff = std::max<double>(
          diff, std::abs(results[0].output[i] - results[1].output[i]) /
                    std::max(1.0f, std::abs(results[0].output[i])));
    double bytes = s.n * s.k * 4.0;
    std::printf("%-28s %8.2fms %7.2f %8.2fms %7.2f %6.2fx %8.2fms %7.2f "
                "%10.2g %10.2fms %7.2fx\n",
                s.label, results[0].medianSeconds * 1e3,
                bytes / results[0].medianSeconds / 1e9,
                results[1].medianSeconds * 1e3,
                bytes / 2 / results[1].medianSeconds / 1e9,
                results[0].medianSeconds / results[1].medianSeconds,
                copySeconds * 1e3, bytes / copySeconds / 1e9, diff,
                results[2].medianSeconds * 1e3,
                results[2].medianSeconds / results[0].medianSeconds);
  }
  return true;
}

/// A .tsr holding one dispatch of the GLSL kernel (8x8 invocations, a
/// tile x tile block each).
std::vector<char> wrapReference(const Shape &s, const std::vector<char> &spirv,
                                int64_t tile) {
  flatbuffers::FlatBufferBuilder b;
  auto dim = [&](int64_t value) { return tsr::CreateDimExpr(b, value); };
  auto shape = [&](int64_t r, int64_t c) {
    return std::vector<flatbuffers::Offset<tsr::DimExpr>>{dim(r), dim(c)};
  };
  uint64_t sizeA = s.m * s.k * 4, sizeB = s.k * s.n * 4, sizeC = s.m * s.n * 4;
  uint64_t offB = tsr::alignTo(sizeA, tsr::kBufferAlignment);
  uint64_t offC = tsr::alignTo(offB + sizeB, tsr::kBufferAlignment);
  auto sa = shape(s.m, s.k), sb = shape(s.k, s.n), sc = shape(s.m, s.n);
  std::vector<flatbuffers::Offset<tsr::Buffer>> buffers = {
      tsr::CreateBufferDirect(b, tsr::BufferKind::Input, tsr::ElementType::F32,
                              &sa, sizeA, 0),
      tsr::CreateBufferDirect(b, tsr::BufferKind::Input, tsr::ElementType::F32,
                              &sb, sizeB, offB),
      tsr::CreateBufferDirect(b, tsr::BufferKind::Output, tsr::ElementType::F32,
                              &sc, sizeC, offC)};
  auto ia = shape(s.m, s.k), ib = shape(s.k, s.n), oc = shape(s.m, s.n);
  std::vector<flatbuffers::Offset<tsr::TensorInfo>> inputs = {
      tsr::CreateTensorInfoDirect(b, "a", tsr::ElementType::F32, &ia, 0),
      tsr::CreateTensorInfoDirect(b, "b", tsr::ElementType::F32, &ib, 1)};
  std::vector<flatbuffers::Offset<tsr::TensorInfo>> outputs = {
      tsr::CreateTensorInfoDirect(b, "c", tsr::ElementType::F32, &oc, 2)};
  std::vector<uint32_t> words(spirv.size() / 4);
  std::memcpy(words.data(), spirv.data(), words.size() * 4);
  std::vector<uint32_t> workgroup = {8, 8, 1};
  std::vector<flatbuffers::Offset<tsr::DimExpr>> params = {dim(s.m), dim(s.n),
                                                           dim(s.k)};
  std::vector<flatbuffers::Offset<tsr::Executable>> executables = {
      tsr::CreateExecutableDirect(b, "glsl", "main", &words, &workgroup, 3,
                                  &params)};
  std::vector<uint32_t> bound = {0, 1, 2};
  std::vector<flatbuffers::Offset<tsr::WorkgroupCount>> counts = {
      tsr::CreateWorkgroupCount(b, dim(s.n), 8 * tile),
      tsr::CreateWorkgroupCount(b, dim(s.m), 8 * tile),
      tsr::CreateWorkgroupCount(b, dim(1), 1)};
  std::vector<flatbuffers::Offset<tsr::Dispatch>> dispatches = {
      tsr::CreateDispatchDirect(b, 0, &bound, &counts, false)};
  auto needs = tsr::CreateTargetNeedsDirect(b, "any", (1u << 22) | (1u << 12),
                                            false, false, false, 64, 0, sizeA);
  std::vector<flatbuffers::Offset<tsr::Symbol>> symbols;
  auto model = tsr::CreateModelDirect(
      b, tsr::kFormatVersion, 0, needs, &symbols, &inputs, &outputs, &buffers,
      &executables, &dispatches, tsr::alignTo(offC + sizeC, 256), 0);
  tsr::FinishModelBuffer(b, model);
  tsr::FileHeader header = {};
  std::memcpy(header.magic, tsr::kMagic, 8);
  header.format_version = tsr::kFormatVersion;
  header.header_size = tsr::kHeaderSize;
  header.model_offset = tsr::kHeaderSize;
  header.model_size = b.GetSize();
  header.weights_offset = tsr::alignTo(64 + b.GetSize(), 64);
  std::vector<char> file(header.weights_offset, 0);
  std::memcpy(file.data(), &header, sizeof(header));
  std::memcpy(file.data() + 64, b.GetBufferPointer(), b.GetSize());
  tsr::sealFile(file.data(), file.size());
  return file;
}

} // namespace

int main(int argc, char **argv) {
  BenchArguments arguments{7};
  if (!parseBenchArguments(argc, argv,
                           "tessera-bench-matmul [--runs N] [--device D]",
                           /*allowQuick=*/false, arguments))
    return 2;
  int runs = arguments.runs;
  tessera_instance instance = nullptr;
  uint32_t device = 0;
  tessera_device_info info;
  if (!openDevice(arguments.device, instance, device, info))
    return 1;
  const int64_t tiles[] = {4, 8};
  std::vector<char> spirv[2];
  for (int t = 0; t < 2; ++t) {
    std::string path = std::string(TESSERA_REFERENCE_DIR) +
                       "/matmul_reference_" + std::to_string(tiles[t]) + "x" +
                       std::to_string(tiles[t]) + ".spv";
    spirv[t] = readFile(path);
    if (spirv[t].empty()) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      return 1;
    }
  }
  std::printf("device: %s; median of %d runs after 2 warm-up runs; ratio = "
              "peer time / Tessera time\n\n",
              info.name, runs);
  std::printf("%-30s %10s %8s %6s %10s %8s %7s %10s %8s %7s %9s\n",
              "shape (MxNxK)", "tessera", "GFLOP/s", "GB/s", "glsl 4x4",
              "GFLOP/s", "ratio", "glsl 8x8", "GFLOP/s", "ratio", "max diff");
  const Shape shapes[] = {{1024, 1024, 1024, "1024^3"},
                          {128, 2304, 768, "BERT-base QKV 128x2304x768"},
                          {128, 768, 768, "BERT-base out 128x768x768"},
                          {128, 3072, 768, "BERT-base FFN-in 128x3072x768"},
                          {128, 768, 3072, "BERT-base FFN-out 128x768x3072"},
                          {1, 3072, 768, "decode 1x3072x768"}};
  for (const Shape &s : shapes) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> uniform(-1, 1);
    std::vector<float> a(s.m * s.k), b(s.k * s.n), w(s.n * s.k);
    for (float &v : a)
      v = uniform(rng);
    for (float &v : b)
      v = uniform(rng);
    for (int64_t k = 0; k < s.k; ++k) // W = Bᵀ
      for (int64_t n = 0; n < s.n; ++n)
        w[n * s.k + k] = b[k * s.n + n];
    tessera_tensor ta{"a", TESSERA_F32, 2, {s.m, s.k}, a.data(), a.size() * 4};
    tessera_tensor tb{"b", TESSERA_F32, 2, {s.k, s.n}, b.data(), b.size() * 4};
    tessera_tensor tw{"w", TESSERA_F32, 2, {s.n, s.k}, w.data(), w.size() * 4};
    std::string dir = "/tmp/tessera-bench-";
    if (!compileToFile(linearSource(s), dir + "tessera.tsr"))
      return 1;
    Measurement ours, peers[2];
    if (!measure(instance, device, dir + "tessera.tsr", {ta, tw}, runs, ours))
      return 1;
    for (int t = 0; t < 2; ++t) {
      writeFile(dir + "glsl.tsr", wrapReference(s, spirv[t], tiles[t]));
      if (!measure(instance, device, dir + "glsl.tsr", {ta, tb}, runs,
                   peers[t]))
        return 1;
    }
    double flops = 2.0 * s.m * s.n * s.k;
    double diff = 0;
    for (const Measurement &peer : peers)
      for (size_t i = 0; i < ours.output.size(); ++i)
        diff =
            std::max<double>(diff, std::abs(ours.output[i] - peer.output[i]));
    std::printf("%-30s %8.1fms %8.2f %6.2f %8.1fms %8.2f %6.2fx %8.1fms "
                "%8.2f %6.2fx %9.2g\n",
                s.label, ours.medianSeconds * 1e3,
                flops / ours.medianSeconds / 1e9,
                s.n * s.k * 4.0 / ours.medianSeconds / 1e9,
                peers[0].medianSeconds * 1e3,
                flops / peers[0].medianSeconds / 1e9,
                peers[0].medianSeconds / ours.medianSeconds,
                peers[1].medianSeconds * 1e3,
                flops / peers[1].medianSeconds / 1e9,
                peers[1].medianSeconds / ours.medianSeconds, diff);
  }
  if (!benchDecode(instance, device, runs))
    return 1;
  tessera_instance_destroy(instance);
  return 0;
}

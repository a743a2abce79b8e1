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
  header.model_checksum = tsr::fnv1a(b.GetBufferPointer(), b.GetSize());
  header.header_checksum = tsr::headerChecksum(header);
  std::vector<char> file(header.weights_offset, 0);
  std::memcpy(file.data(), &header, sizeof(header));
  std::memcpy(file.data() + 64, b.GetBufferPointer(), b.GetSize());
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
  tessera_instance_destroy(instance);
  return 0;
}

//===- load_bench.cpp - What loading a .tsr costs, by step ----------------===//
//
// tessera-bench-load MODEL.tsr [--runs N] [--device D]: the median over N
// runs of each step the runtime takes before a model can run, beside its
// peer: reading the file (the peer of the checksum computed over it),
// Model::load (read, checksum, FlatBuffer verifier, reference checks), the
// kernels' SPIR-V checks (SPIRV-Tools' validator and the interface check),
// and the whole tessera_program_load onto the device (pipelines from a warm
// cache, weights uploaded), of which the checks are a part.
//
//===----------------------------------------------------------------------===//

#include "BenchCommon.h"

#include "kernel_check.h"
#include "model.h"

#include "tessera/tsr_format.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <vector>

using namespace tessera;

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

/// The median seconds `step` takes over `runs` runs.
double timeRuns(int runs, const std::function<void()> &step) {
  std::vector<double> seconds;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    step();
    seconds.push_back(std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - start)
                          .count());
  }
  return median(seconds);
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-') {
    std::fprintf(stderr,
                 "usage: tessera-bench-load MODEL.tsr [--runs N] [--device D]\n");
    return 2;
  }
  const char *path = argv[1];
  bench::BenchArguments arguments{5};
  if (!bench::parseBenchArguments(
          argc - 1, argv + 1,
          "tessera-bench-load MODEL.tsr [--runs N] [--device D]",
          /*allowQuick=*/false, arguments))
    return 2;
  int runs = arguments.runs;

  // Into fresh memory each time, as the loader reads it.
  std::vector<char> bytes;
  double read = timeRuns(runs, [&] {
    std::ifstream file(path, std::ios::binary | std::ios::ate);
    std::vector<char> fresh(static_cast<size_t>(file.tellg()));
    file.seekg(0);
    file.read(fresh.data(), static_cast<std::streamsize>(fresh.size()));
    bytes = std::move(fresh);
  });
  if (bytes.size() < tsr::kHeaderSize) {
    std::fprintf(stderr, "tessera-bench-load: '%s' is not a .tsr file\n", path);
    return 1;
  }
  volatile uint64_t sink = 0;
  double checksum = timeRuns(runs, [&] {
    sink = tsr::checksum(bytes.data() + tsr::kHeaderSize,
                         bytes.size() - tsr::kHeaderSize);
  });
  std::unique_ptr<runtime::Model> model;
  runtime::Status status = runtime::Status::ok();
  double load = timeRuns(runs, [&] {
    status = runtime::Model::load(path, model);
  });
  if (!status.isOk()) {
    std::fprintf(stderr, "tessera-bench-load: %s\n", status.message().c_str());
    return 1;
  }

  tessera_instance instance = nullptr;
  uint32_t device = 0;
  tessera_device_info info;
  if (!bench::openDevice(arguments.device, instance, device, info))
    return 1;
  // The interface check reads the device's limits; these are lavapipe's
  // and every desktop GPU's (1024 invocations), enough to time it.
  VkPhysicalDeviceLimits limits{};
  limits.maxComputeWorkGroupSize[0] = limits.maxComputeWorkGroupSize[1] = 1024;
  limits.maxComputeWorkGroupSize[2] = 64;
  limits.maxComputeWorkGroupInvocations = info.max_workgroup_invocations;
  const tsr::Model &root = model->root();
  uint32_t kernels = root.executables()->size();
  double checks = timeRuns(runs, [&] {
    runtime::KernelChecker checker(limits, path);
    for (uint32_t i = 0; i < kernels; ++i)
      status = checker.check(*root.executables()->Get(i), i);
  });
  if (!status.isOk()) {
    std::fprintf(stderr, "tessera-bench-load: %s\n", status.message().c_str());
    return 1;
  }
  // Once to warm the pipeline cache, then timed with the kernels checked
  // and trusted, in rounds (the machine's load drifts).
  auto programLoad = [&](bool trust) {
    tessera_program program = nullptr;
    tessera_program_options options{};
    options.trust_kernels = trust;
    if (tessera_program_load_with_options(instance, path, device, &options,
                                          &program) != TESSERA_OK) {
      std::fprintf(stderr, "tessera-bench-load: %s\n", tessera_last_error());
      std::exit(1);
    }
    tessera_program_destroy(program);
  };
  programLoad(false);
  std::vector<double> checked, trusted;
  for (int i = 0; i < runs; ++i) {
    checked.push_back(timeRuns(1, [&] { programLoad(false); }));
    trusted.push_back(timeRuns(1, [&] { programLoad(true); }));
  }
  double whole = median(checked), withoutChecks = median(trusted);
  tessera_instance_destroy(instance);

  double megabytes = static_cast<double>(bytes.size()) / 1e6;
  std::printf("%s: %.1f MB, %u kernels; medians of %d runs on %s\n", path,
              megabytes, kernels, runs, info.name);
  std::printf("  read the file             %8.2f ms  (%.2f GB/s)\n", read * 1e3,
              megabytes / 1e3 / read);
  std::printf("  XXH3 over it              %8.2f ms  (%.2f of the read; "
              "%.1f GB/s)\n",
              checksum * 1e3, checksum / read, megabytes / 1e3 / checksum);
  std::printf("  Model::load               %8.2f ms  (read, checksum, "
              "verifier, references)\n",
              load * 1e3);
  std::printf("  kernel SPIR-V checks      %8.2f ms  (%.3f ms per kernel)\n",
              checks * 1e3, checks * 1e3 / std::max(kernels, 1u));
  std::printf("  tessera_program_load      %8.2f ms  (warm pipeline cache; "
              "the checks are %.1f%% of it)\n",
              whole * 1e3, 100.0 * checks / whole);
  std::printf("    with --trust-kernels    %8.2f ms  (%.2fx as fast)\n",
              withoutChecks * 1e3, whole / withoutChecks);
  return 0;
}

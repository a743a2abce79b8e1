//===- BenchCommon.h - What every benchmark program does --------*- C++ -*-===//

#ifndef TESSERA_BENCH_BENCHCOMMON_H
#define TESSERA_BENCH_BENCHCOMMON_H

#include "tessera/runtime.h"

#include <string>
#include <vector>

namespace tessera::bench {

/// The options every benchmark takes: `--runs N`, `--device D`, and
/// `--quick` where the benchmark has a smaller set.
struct BenchArguments {
  int runs;
  const char *device = nullptr;
  bool quick = false;
};

/// Parses argv into `arguments` (its `runs` holds the default); prints
/// `usage` and returns false on anything else, or on `--quick` when the
/// benchmark has no quick set (`allowQuick`).
bool parseBenchArguments(int argc, char **argv, const char *usage,
                         bool allowQuick, BenchArguments &arguments);

/// Creates an instance and picks a device (`selector`: index or name
/// substring; null for the default). Prints the failure and returns false.
bool openDevice(const char *selector, tessera_instance &instance,
                uint32_t &device, tessera_device_info &info);

void writeFile(const std::string &path, const std::vector<char> &bytes);

/// Compiles tessera-dialect MLIR through every phase into a .tsr at `path`
/// for the built-in profile `target`, or for the module's own
/// `tessera.target` when `target` is empty.
bool compileToFile(const std::string &source, const std::string &path,
                   const std::string &target = "lavapipe");

/// The built-in profile `name` as a `#tessera.target` attribute with its
/// parallel workgroups replaced (1: matmuls never split K).
std::string profileWithParallelWorkgroups(const std::string &name,
                                          int64_t parallelWorkgroups);

struct Measurement {
  double medianSeconds = 0;
  std::vector<float> output; ///< output 0 of the last run
};

/// Loads `path` on `device`, runs it 2 times to warm up (shader compilation,
/// caches) and `runs` times more, and keeps the median of those.
bool measure(tessera_instance instance, uint32_t device,
             const std::string &path, const std::vector<tessera_tensor> &inputs,
             int runs, Measurement &result);

/// A compiled program and the inputs to run it with.
struct Job {
  std::string path;
  std::vector<tessera_tensor> inputs;
};

/// For programs whose times are compared as ratios: loads every job, then
/// runs 2 warm-up rounds and `runs` measured rounds, each round running
/// every job once in turn, so that a change in the machine's load during
/// the measurement reaches all of them alike. One median per job.
bool measureInRounds(tessera_instance instance, uint32_t device,
                     const std::vector<Job> &jobs, int runs,
                     std::vector<Measurement> &results);

} // namespace tessera::bench

#endif // TESSERA_BENCH_BENCHCOMMON_H

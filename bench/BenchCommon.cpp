//===- BenchCommon.cpp - What every benchmark program does ----------------===//

#include "BenchCommon.h"

#include "compiler/Pipelines/Pipeline.h"
#include "compiler/Target/DeviceProfiles.h"
#include "dialects/tessera/IR/TesseraDialect.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <fstream>

namespace tessera::bench {

bool parseBenchArguments(int argc, char **argv, const char *usage,
                         bool allowQuick, BenchArguments &arguments) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc)
      arguments.runs = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--device") && i + 1 < argc)
      arguments.device = argv[++i];
    else if (allowQuick && !std::strcmp(argv[i], "--quick"))
      arguments.quick = true;
    else {
      std::fprintf(stderr, "usage: %s\n", usage);
      return false;
    }
  }
  return true;
}

bool openDevice(const char *selector, tessera_instance &instance,
                uint32_t &device, tessera_device_info &info) {
  if (tessera_instance_create(nullptr, &instance) != TESSERA_OK ||
      tessera_instance_select_device(instance, selector, &device) !=
          TESSERA_OK ||
      tessera_instance_device_info(instance, device, &info) != TESSERA_OK) {
    std::fprintf(stderr, "%s\n", tessera_last_error());
    return false;
  }
  return true;
}

std::string profileWithParallelWorkgroups(const std::string &name,
                                          int64_t parallelWorkgroups) {
  mlir::MLIRContext context;
  context.loadDialect<mlir::tessera::TesseraDialect>();
  mlir::tessera::TargetAttr p =
      mlir::tessera::lookupBuiltinProfile(&context, name);
  mlir::tessera::TargetAttr changed = mlir::tessera::TargetAttr::get(
      &context, p.getName(), p.getSubgroupSize(), p.getMaxSharedMemory(),
      p.getMaxWorkgroupInvocations(), p.getMaxPushConstantsSize(),
      p.getMaxStorageBufferRange(), p.getFp16(), p.getInt8(),
      p.getRegisterBudget(), parallelWorkgroups);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << mlir::Attribute(changed);
  return text;
}

void writeFile(const std::string &path, const std::vector<char> &bytes) {
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

bool compileToFile(const std::string &source, const std::string &path,
                   const std::string &target) {
  mlir::tessera::PipelineOptions options;
  options.target = target;
  mlir::FailureOr<std::vector<char>> bytes =
      mlir::tessera::compileSource(source, options);
  if (mlir::failed(bytes)) {
    std::fprintf(stderr, "compilation failed\n");
    return false;
  }
  writeFile(path, *bytes);
  return true;
}

bool measure(tessera_instance instance, uint32_t device,
             const std::string &path, const std::vector<tessera_tensor> &inputs,
             int runs, Measurement &result) {
  std::vector<Measurement> results;
  if (!measureInRounds(instance, device, {Job{path, inputs}}, runs, results))
    return false;
  result = std::move(results[0]);
  return true;
}

bool measureInRounds(tessera_instance instance, uint32_t device,
                     const std::vector<Job> &jobs, int runs,
                     std::vector<Measurement> &results) {
  std::vector<tessera_program> programs;
  auto destroyAll = [&] {
    for (tessera_program program : programs)
      tessera_program_destroy(program);
  };
  for (const Job &job : jobs) {
    tessera_program program = nullptr;
    if (tessera_program_load(instance, job.path.c_str(), device, &program) !=
        TESSERA_OK) {
      std::fprintf(stderr, "load %s: %s\n", job.path.c_str(),
                   tessera_last_error());
      destroyAll();
      return false;
    }
    programs.push_back(program);
  }
  std::vector<std::vector<double>> times(jobs.size());
  for (int round = 0; round < runs + 2; ++round)
    for (size_t j = 0; j < jobs.size(); ++j) {
      if (tessera_program_run(programs[j], jobs[j].inputs.data(),
                              static_cast<uint32_t>(jobs[j].inputs.size())) !=
          TESSERA_OK) {
        std::fprintf(stderr, "run %s: %s\n", jobs[j].path.c_str(),
                     tessera_last_error());
        destroyAll();
        return false;
      }
      if (round >= 2)
        times[j].push_back(tessera_program_last_run_seconds(programs[j]));
    }
  results.assign(jobs.size(), Measurement{});
  for (size_t j = 0; j < jobs.size(); ++j) {
    std::sort(times[j].begin(), times[j].end());
    results[j].medianSeconds = times[j][times[j].size() / 2];
    tessera_tensor output{};
    tessera_program_output(programs[j], 0, &output);
    const float *data = static_cast<const float *>(output.data);
    results[j].output.assign(data, data + output.size / 4);
  }
  destroyAll();
  return true;
}

} // namespace tessera::bench

//===- program.h - A model loaded onto a device -----------------*- C++ -*-===//

#ifndef TESSERA_RUNTIME_PROGRAM_H
#define TESSERA_RUNTIME_PROGRAM_H

#include "buffer.h"
#include "cache.h"
#include "model.h"
#include "pipeline.h"

#include <functional>
#include <optional>

namespace tessera::runtime {

/// What a model needs on a device and never changes between runs: the
/// checked device, one pipeline per kernel, the weights uploaded once.
class Program {
public:
  struct Options {
    /// Check each kernel's SPIR-V before the driver sees it (kernel_check.h).
    bool checkKernels = true;
    /// Threads that create pipelines (0: one per hardware thread).
    unsigned threads = 0;
    /// Receives a line worth telling a person: that the driver is about
    /// to compile kernels it has not compiled before.
    std::function<void(const std::string &)> log;
  };

  /// Loads and verifies `path`; with a device index, also checks the device
  /// against the model's needs and creates pipelines and weights. Without
  /// one (inspection only) the program cannot run.
  static Status load(const Instance &instance, const std::string &path,
                     std::optional<uint32_t> deviceIndex,
                     const Options &options, std::unique_ptr<Program> &out);
  /// The same for a model already read and verified (Model::fromBytes:
  /// a .tsr in memory).
  static Status load(const Instance &instance, std::unique_ptr<Model> verified,
                     std::optional<uint32_t> deviceIndex,
                     const Options &options, std::unique_ptr<Program> &out);

  const Model &model() const { return *model_; }
  const Device *device() const { return device_.get(); }
  const Pipeline &pipeline(uint32_t executable) const {
    return *pipelines_[executable];
  }
  const Buffer &weights() const { return *weights_; }

  /// Records the kernels as compiled by the driver: call after a run, when
  /// drivers that compile at the first dispatch have done so.
  void recordKernelsCompiled();

  uint32_t kernelCount() const {
    return static_cast<uint32_t>(pipelines_.size());
  }

private:
  Program() = default;
  Status createPipelines(unsigned threads);
  void noteNewKernels(const VkPhysicalDeviceProperties &properties,
                      const Options &options);

  std::unique_ptr<Model> model_;
  std::unique_ptr<Device> device_;
  std::unique_ptr<PipelineCache> cache_;
  std::vector<std::unique_ptr<Pipeline>> pipelines_;
  std::unique_ptr<Buffer> weights_;
  std::optional<CompiledKernels> compiled_;
  std::vector<uint64_t> newKernels_;
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_PROGRAM_H

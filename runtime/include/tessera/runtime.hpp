//===- tessera/runtime.hpp - Thin C++ wrapper of the C API ------*- C++ -*-===//
//
// RAII handles over runtime.h; failures throw tessera::Error.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_HPP
#define TESSERA_RUNTIME_HPP

#include "tessera/runtime.h"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace tessera {

class Error : public std::runtime_error {
public:
  Error(tessera_status status, const std::string &message)
      : std::runtime_error(message), status_(status) {}
  tessera_status status() const { return status_; }

private:
  tessera_status status_;
};

inline void check(tessera_status status) {
  if (status != TESSERA_OK)
    throw Error(status, tessera_last_error());
}

class Instance {
public:
  explicit Instance(bool enableValidation = false) {
    tessera_instance_options options{};
    options.enable_validation = enableValidation ? 1 : 0;
    tessera_instance raw = nullptr;
    check(tessera_instance_create(&options, &raw));
    handle_.reset(raw);
  }

  std::vector<tessera_device_info> devices() const {
    std::vector<tessera_device_info> infos(
        tessera_instance_device_count(get()));
    for (uint32_t i = 0; i < infos.size(); ++i)
      check(tessera_instance_device_info(get(), i, &infos[i]));
    return infos;
  }

  uint32_t selectDevice(const std::string &selector = "") const {
    uint32_t index = 0;
    check(tessera_instance_select_device(get(), selector.c_str(), &index));
    return index;
  }

  uint32_t validationMessageCount() const {
    return tessera_instance_validation_message_count(get());
  }

  tessera_instance get() const { return handle_.get(); }

private:
  struct Deleter {
    void operator()(tessera_instance instance) const {
      tessera_instance_destroy(instance);
    }
  };
  std::unique_ptr<tessera_instance_t, Deleter> handle_;
};

/// A compiled model loaded onto a device (or, with TESSERA_NO_DEVICE, for
/// inspection). The Instance must outlive it.
class Program {
public:
  /// `trustKernels`: skip the kernels' SPIR-V checks (see
  /// tessera_program_options).
  Program(const Instance &instance, const std::string &path,
          uint32_t deviceIndex, bool trustKernels = false)
      : Program(instance, path, deviceIndex, optionsTrusting(trustKernels)) {}
  Program(const Instance &instance, const std::string &path,
          uint32_t deviceIndex, const tessera_program_options &options) {
    tessera_program raw = nullptr;
    check(tessera_program_load_with_options(instance.get(), path.c_str(),
                                            deviceIndex, &options, &raw));
    handle_.reset(raw);
  }

  /// A .tsr in memory (copied; see tessera_program_load_from_memory).
  static Program fromMemory(const Instance &instance, const void *data,
                            size_t size, uint32_t deviceIndex,
                            const tessera_program_options &options = {},
                            const std::string &name = "") {
    tessera_program raw = nullptr;
    check(tessera_program_load_from_memory(
        instance.get(), data, size, name.c_str(), deviceIndex, &options, &raw));
    return Program(raw);
  }

  std::string describe() const { return tessera_program_describe(get()); }
  uint32_t dispatchCount() const {
    return tessera_program_dispatch_count(get());
  }
  std::vector<tessera_tensor> inputs() const {
    std::vector<tessera_tensor> signature(tessera_program_input_count(get()));
    for (uint32_t i = 0; i < signature.size(); ++i)
      check(tessera_program_input(get(), i, &signature[i]));
    return signature;
  }
  void run(const std::vector<tessera_tensor> &inputs) {
    check(tessera_program_run(get(), inputs.data(),
                              static_cast<uint32_t>(inputs.size())));
  }
  /// Outputs of the last run; valid until the next run.
  std::vector<tessera_tensor> outputs() const {
    std::vector<tessera_tensor> result(tessera_program_output_count(get()));
    for (uint32_t i = 0; i < result.size(); ++i)
      check(tessera_program_output(get(), i, &result[i]));
    return result;
  }
  double lastRunSeconds() const {
    return tessera_program_last_run_seconds(get());
  }
  tessera_dispatch_info dispatchInfo(uint32_t index) const {
    tessera_dispatch_info info{};
    check(tessera_program_dispatch_info(get(), index, &info));
    return info;
  }
  uint32_t kernelCount() const { return tessera_program_kernel_count(get()); }
  tessera_kernel_info kernelInfo(uint32_t index) const {
    tessera_kernel_info info{};
    check(tessera_program_kernel_info(get(), index, &info));
    return info;
  }
  void setProfiling(bool enable) {
    check(tessera_program_set_profiling(get(), enable ? 1 : 0));
  }
  /// Per-dispatch device seconds of the last (profiled) run.
  std::vector<double> dispatchSeconds() const {
    std::vector<double> seconds(dispatchCount());
    for (uint32_t i = 0; i < seconds.size(); ++i)
      check(tessera_program_dispatch_seconds(get(), i, &seconds[i]));
    return seconds;
  }
  tessera_program get() const { return handle_.get(); }

private:
  explicit Program(tessera_program raw) { handle_.reset(raw); }
  static tessera_program_options optionsTrusting(bool trustKernels) {
    tessera_program_options options{};
    options.trust_kernels = trustKernels;
    return options;
  }
  struct Deleter {
    void operator()(tessera_program program) const {
      tessera_program_destroy(program);
    }
  };
  std::unique_ptr<tessera_program_t, Deleter> handle_;
};

} // namespace tessera

#endif // TESSERA_RUNTIME_HPP

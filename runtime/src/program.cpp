//===- program.cpp - A model loaded onto a device -------------------------===//

#include "program.h"

#include "kernel_check.h"

#include "tessera/tsr_format.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

namespace tessera::runtime {

Status Program::load(const Instance &instance, const std::string &path,
                     std::optional<uint32_t> deviceIndex,
                     const Options &options, std::unique_ptr<Program> &out) {
  std::unique_ptr<Model> model;
  if (Status s = Model::load(path, model); !s.isOk())
    return s;
  return load(instance, std::move(model), deviceIndex, options, out);
}

Status Program::load(const Instance &instance, std::unique_ptr<Model> verified,
                     std::optional<uint32_t> deviceIndex,
                     const Options &options, std::unique_ptr<Program> &out) {
  std::unique_ptr<Program> program(new Program());
  program->model_ = std::move(verified);
  if (!deviceIndex) {
    out = std::move(program);
    return Status::ok();
  }
  if (Status s = Device::create(instance, *deviceIndex, program->device_);
      !s.isOk())
    return s;
  const tsr::Model &model = program->model_->root();
  if (model.needs())
    if (Status s = program->device_->checkNeeds(*model.needs()); !s.isOk())
      return s;
  if (Status s = PipelineCache::create(*program->device_, program->cache_);
      !s.isOk())
    return s;
  VkPhysicalDeviceProperties properties;
  vkGetPhysicalDeviceProperties(program->device_->physicalDevice(),
                                &properties);
  program->noteNewKernels(properties, options);
  KernelChecker checker(properties.limits, program->model_->name());
  if (options.checkKernels)
    for (uint32_t i = 0; i < model.executables()->size(); ++i)
      if (Status s = checker.check(*model.executables()->Get(i), i); !s.isOk())
        return s;
  if (Status s = program->createPipelines(options.threads); !s.isOk())
    return s;
  uint64_t weightsSize =
      std::max<uint64_t>(program->model_->weightsSize(), tsr::kBufferAlignment);
  if (Status s = Buffer::create(*program->device_, weightsSize, "weights",
                                program->weights_);
      !s.isOk())
    return s;
  std::memcpy(program->weights_->data(), program->model_->weights(),
              program->model_->weightsSize());
  out = std::move(program);
  return Status::ok();
}

/// Which kernels this driver build has not compiled before, and a line
/// saying so: their first use is where a first run's time goes.
void Program::noteNewKernels(const VkPhysicalDeviceProperties &properties,
                             const Options &options) {
  // (Lavapipe's pipeline cache UUID stays the same across Mesa releases;
  // its driver version does not.)
  std::string driver = properties.deviceName;
  driver += "/" + std::to_string(properties.vendorID) + "/" +
            std::to_string(properties.deviceID) + "/" +
            std::to_string(properties.driverVersion) + "/";
  driver.append(std::begin(properties.pipelineCacheUUID),
                std::end(properties.pipelineCacheUUID));
  compiled_.emplace(driver);
  for (const tsr::Executable *executable : *model_->root().executables()) {
    uint64_t kernel =
        tsr::checksum(executable->spirv()->data(),
                      executable->spirv()->size() * sizeof(uint32_t));
    if (!compiled_->contains(kernel))
      newKernels_.push_back(kernel);
  }
  if (newKernels_.empty() || !options.log)
    return;
  std::string line = "compiling " + std::to_string(newKernels_.size()) +
                     " kernel" + (newKernels_.size() == 1 ? "" : "s") +
                     " for " + properties.deviceName + " on first use";
  if (!compiled_->folder().empty())
    line += "; cached afterwards in " + compiled_->folder();
  options.log(line);
}

void Program::recordKernelsCompiled() {
  if (!compiled_ || newKernels_.empty())
    return;
  compiled_->add(newKernels_);
  newKernels_.clear();
}

Status Program::createPipelines(unsigned threads) {
  const auto *executables = model_->root().executables();
  uint32_t count = executables->size();
  pipelines_.resize(count);
  std::vector<Status> statuses(count, Status::ok());
  // Drivers compile the shader inside vkCreateComputePipelines, one kernel
  // per call: on a CPU device that is most of a first run, and the calls
  // are independent, so spread them over threads (the cache is internally
  // synchronized).
  std::atomic<uint32_t> next{0};
  auto work = [&] {
    for (uint32_t i = next++; i < count; i = next++)
      statuses[i] = Pipeline::create(*device_, *cache_, *executables->Get(i),
                                     pipelines_[i]);
  };
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, count);
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t)
    pool.emplace_back(work);
  work();
  for (std::thread &thread : pool)
    thread.join();
  for (Status &status : statuses)
    if (!status.isOk())
      return status;
  return Status::ok();
}

} // namespace tessera::runtime

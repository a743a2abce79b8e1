//===- program.cpp - A model loaded onto a device -------------------------===//

#include "program.h"

#include "kernel_check.h"

#include "tessera/tsr_format.h"

#include <cstring>

namespace tessera::runtime {

Status Program::load(const Instance &instance, const std::string &path,
                     std::optional<uint32_t> deviceIndex,
                     const Options &options, std::unique_ptr<Program> &out) {
  std::unique_ptr<Program> program(new Program());
  if (Status s = Model::load(path, program->model_); !s.isOk())
    return s;
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
  KernelChecker checker(properties.limits, program->model_->name());
  for (uint32_t i = 0; i < model.executables()->size(); ++i) {
    const tsr::Executable *executable = model.executables()->Get(i);
    if (options.checkKernels)
      if (Status s = checker.check(*executable, i); !s.isOk())
        return s;
    std::unique_ptr<Pipeline> pipeline;
    if (Status s = Pipeline::create(*program->device_, *program->cache_,
                                    *executable, pipeline);
        !s.isOk())
      return s;
    program->pipelines_.push_back(std::move(pipeline));
  }
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

} // namespace tessera::runtime

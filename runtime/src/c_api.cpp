//===- c_api.cpp - The C API over the runtime's objects -------------------===//

#include "instance.h"

#include "tessera/runtime.h"

#include <new>

using tessera::runtime::Instance;
using tessera::runtime::reportStatus;
using tessera::runtime::Status;

struct tessera_instance_t {
  std::unique_ptr<Instance> impl;
};

namespace {
Status invalidArgument(const std::string &message) {
  return Status(TESSERA_ERROR_INVALID_ARGUMENT, message);
}
} // namespace

extern "C" {

tessera_status tessera_instance_create(const tessera_instance_options *options,
                                       tessera_instance *out_instance) {
  if (!out_instance)
    return reportStatus(
        invalidArgument("tessera_instance_create: out_instance is NULL"));
  *out_instance = nullptr;
  bool validation = options && options->enable_validation;
  auto handle = std::unique_ptr<tessera_instance_t>(new (std::nothrow)
                                                        tessera_instance_t);
  if (!handle)
    return reportStatus(Status(TESSERA_ERROR_VULKAN, "out of host memory"));
  if (Status status = Instance::create(validation, handle->impl);
      !status.isOk())
    return reportStatus(status);
  *out_instance = handle.release();
  return TESSERA_OK;
}

void tessera_instance_destroy(tessera_instance instance) { delete instance; }

uint32_t tessera_instance_device_count(tessera_instance instance) {
  return instance ? static_cast<uint32_t>(instance->impl->devices().size()) : 0;
}

tessera_status tessera_instance_device_info(tessera_instance instance,
                                            uint32_t index,
                                            tessera_device_info *out_info) {
  if (!instance || !out_info)
    return reportStatus(invalidArgument(
        "tessera_instance_device_info: instance or out_info is NULL"));
  const auto &devices = instance->impl->devices();
  if (index >= devices.size())
    return reportStatus(invalidArgument(
        "tessera_instance_device_info: device index " + std::to_string(index) +
        " is out of range (" + std::to_string(devices.size()) + " devices)"));
  *out_info = devices[index];
  return TESSERA_OK;
}

tessera_status tessera_instance_select_device(tessera_instance instance,
                                              const char *selector,
                                              uint32_t *out_index) {
  if (!instance || !out_index)
    return reportStatus(invalidArgument(
        "tessera_instance_select_device: instance or out_index is NULL"));
  return reportStatus(
      instance->impl->selectDevice(selector ? selector : "", *out_index));
}

uint32_t tessera_instance_validation_message_count(tessera_instance instance) {
  return instance ? instance->impl->validationMessageCount() : 0;
}

} // extern "C"

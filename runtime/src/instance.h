//===- instance.h - Vulkan instance and device discovery --------*- C++ -*-===//

#ifndef TESSERA_RUNTIME_INSTANCE_H
#define TESSERA_RUNTIME_INSTANCE_H

#include "status.h"

#include <vulkan/vulkan.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessera::runtime {

/// A Vulkan instance with its physical devices and what each supports.
class Instance {
public:
  ~Instance();
  Instance(const Instance &) = delete;
  Instance &operator=(const Instance &) = delete;

  static Status create(bool enableValidation, std::unique_ptr<Instance> &out);

  const std::vector<tessera_device_info> &devices() const { return infos_; }
  VkPhysicalDevice physicalDevice(uint32_t index) const {
    return physicalDevices_[index];
  }

  /// See tessera_instance_select_device.
  Status selectDevice(const std::string &selector, uint32_t &index) const;

  uint32_t validationMessageCount() const { return validationMessages_; }

private:
  Instance() = default;
  Status enumerateDevices();

  static VKAPI_ATTR VkBool32 VKAPI_CALL onValidationMessage(
      VkDebugUtilsMessageSeverityFlagBitsEXT severity,
      VkDebugUtilsMessageTypeFlagsEXT types,
      const VkDebugUtilsMessengerCallbackDataEXT *data, void *userData);

  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  std::atomic<uint32_t> validationMessages_{0};
  std::vector<VkPhysicalDevice> physicalDevices_;
  std::vector<tessera_device_info> infos_;
};

/// Queries the facts of one physical device that a target profile states.
tessera_device_info queryDeviceInfo(VkPhysicalDevice device);

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_INSTANCE_H

//===- device.h - A Vulkan logical device with a compute queue --*- C++ -*-===//

#ifndef TESSERA_RUNTIME_DEVICE_H
#define TESSERA_RUNTIME_DEVICE_H

#include "instance.h"

#include "tessera/tsr_generated.h"

namespace tessera::runtime {

class Device {
public:
  ~Device();
  Device(const Device &) = delete;
  Device &operator=(const Device &) = delete;

  static Status create(const Instance &instance, uint32_t index,
                       std::unique_ptr<Device> &out);

  /// Checks that the device offers what a model needs; the message names
  /// every missing feature or limit.
  Status checkNeeds(const tsr::TargetNeeds &needs) const;

  VkDevice handle() const { return device_; }
  VkQueue queue() const { return queue_; }
  VkCommandPool commandPool() const { return commandPool_; }
  VkPhysicalDevice physicalDevice() const { return physical_; }
  const tessera_device_info &info() const { return info_; }
  /// Nanoseconds per timestamp tick, and the bits a timestamp on the
  /// compute queue holds (0: the queue cannot write timestamps).
  double timestampPeriod() const { return timestampPeriod_; }
  uint32_t timestampValidBits() const { return timestampValidBits_; }
  /// A memory type that is host-visible and coherent, for every buffer.
  Status findHostMemoryType(uint32_t typeBits, uint32_t &index) const;

private:
  Device() = default;

  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  VkCommandPool commandPool_ = VK_NULL_HANDLE;
  tessera_device_info info_{};
  VkPhysicalDeviceMemoryProperties memory_{};
  bool subgroupArithmetic_ = false;
  bool subgroupShuffle_ = false;
  double timestampPeriod_ = 0;
  uint32_t timestampValidBits_ = 0;
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_DEVICE_H

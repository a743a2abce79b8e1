//===- device.cpp - A Vulkan logical device with a compute queue ----------===//

#include "device.h"

#include <string>

namespace tessera::runtime {

Status Device::create(const Instance &instance, uint32_t index,
                      std::unique_ptr<Device> &out) {
  if (index >= instance.devices().size())
    return Status(TESSERA_ERROR_NO_DEVICE,
                  "device index " + std::to_string(index) + " is out of range");
  std::unique_ptr<Device> device(new Device());
  device->physical_ = instance.physicalDevice(index);
  device->info_ = instance.devices()[index];
  vkGetPhysicalDeviceMemoryProperties(device->physical_, &device->memory_);

  VkPhysicalDeviceSubgroupProperties subgroup{};
  subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES;
  VkPhysicalDeviceProperties2 properties{};
  properties.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
  properties.pNext = &subgroup;
  vkGetPhysicalDeviceProperties2(device->physical_, &properties);
  device->subgroupArithmetic_ =
      (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) &&
      (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT);
  device->subgroupShuffle_ =
      (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT) &&
      (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT);

  uint32_t familyCount = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device->physical_, &familyCount,
                                           nullptr);
  std::vector<VkQueueFamilyProperties> families(familyCount);
  vkGetPhysicalDeviceQueueFamilyProperties(device->physical_, &familyCount,
                                           families.data());
  uint32_t family = familyCount;
  for (uint32_t i = 0; i < familyCount && family == familyCount; ++i)
    if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
      family = i;
  if (family == familyCount)
    return Status(TESSERA_ERROR_UNSUPPORTED,
                  std::string(device->info_.name) + " has no compute queue");
  device->timestampPeriod_ = properties.properties.limits.timestampPeriod;
  device->timestampValidBits_ = families[family].timestampValidBits;

  float priority = 1.0f;
  VkDeviceQueueCreateInfo queueInfo{};
  queueInfo.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
  queueInfo.queueFamilyIndex = family;
  queueInfo.queueCount = 1;
  queueInfo.pQueuePriorities = &priority;
  // Enable the 16- and 8-bit features the device has, so that binaries with
  // f16 (or i8) tensors run; shaders declare only what they use.
  VkPhysicalDevice8BitStorageFeatures storage8{};
  storage8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES;
  storage8.storageBuffer8BitAccess = device->info_.int8;
  VkPhysicalDevice16BitStorageFeatures storage16{};
  storage16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
  storage16.pNext = &storage8;
  storage16.storageBuffer16BitAccess = device->info_.fp16;
  VkPhysicalDeviceShaderFloat16Int8Features arithmetic{};
  arithmetic.sType =
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
  arithmetic.pNext = &storage16;
  arithmetic.shaderFloat16 = device->info_.fp16;
  arithmetic.shaderInt8 = device->info_.int8;
  bool enableSmallTypes = device->info_.fp16 || device->info_.int8;

  VkDeviceCreateInfo createInfo{};
  createInfo.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
  createInfo.pNext = enableSmallTypes ? &arithmetic : nullptr;
  createInfo.queueCreateInfoCount = 1;
  createInfo.pQueueCreateInfos = &queueInfo;
  if (VkResult result = vkCreateDevice(device->physical_, &createInfo, nullptr,
                                       &device->device_);
      result != VK_SUCCESS)
    return vulkanFailure("vkCreateDevice", result);
  vkGetDeviceQueue(device->device_, family, 0, &device->queue_);

  VkCommandPoolCreateInfo poolInfo{};
  poolInfo.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
  poolInfo.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  poolInfo.queueFamilyIndex = family;
  if (VkResult result = vkCreateCommandPool(device->device_, &poolInfo, nullptr,
                                            &device->commandPool_);
      result != VK_SUCCESS)
    return vulkanFailure("vkCreateCommandPool", result);
  out = std::move(device);
  return Status::ok();
}

Device::~Device() {
  if (commandPool_ != VK_NULL_HANDLE)
    vkDestroyCommandPool(device_, commandPool_, nullptr);
  if (device_ != VK_NULL_HANDLE)
    vkDestroyDevice(device_, nullptr);
}

Status Device::checkNeeds(const tsr::TargetNeeds &needs) const {
  std::string missing;
  auto lack = [&](const std::string &what) {
    missing += (missing.empty() ? "" : "; ") + what;
  };
  if (info_.api_version < needs.vulkan_version())
    lack("Vulkan " + std::to_string(needs.vulkan_version() >> 22) + "." +
         std::to_string((needs.vulkan_version() >> 12) & 0x3ff) + " (it has " +
         std::to_string(info_.api_version >> 22) + "." +
         std::to_string((info_.api_version >> 12) & 0x3ff) + ")");
  if (needs.subgroup_arithmetic() && !subgroupArithmetic_)
    lack("subgroup arithmetic operations in compute shaders");
  if (needs.subgroup_shuffle() && !subgroupShuffle_)
    lack("subgroup shuffles in compute shaders");
  if (needs.min_subgroup_size() > info_.subgroup_size)
    lack("subgroups of at least " + std::to_string(needs.min_subgroup_size()) +
         " invocations (it has " + std::to_string(info_.subgroup_size) + ")");
  if (needs.fp16() && !info_.fp16)
    lack("16-bit floats (shaderFloat16 + storageBuffer16BitAccess)");
  if (needs.int8() && !info_.int8)
    lack("8-bit integers (shaderInt8 + storageBuffer8BitAccess)");
  if (needs.max_workgroup_invocations() > info_.max_workgroup_invocations)
    lack("workgroups of " + std::to_string(needs.max_workgroup_invocations()) +
         " invocations (it allows " +
         std::to_string(info_.max_workgroup_invocations) + ")");
  if (needs.max_shared_memory() > info_.max_shared_memory)
    lack(std::to_string(needs.max_shared_memory()) +
         " bytes of shared memory (it has " +
         std::to_string(info_.max_shared_memory) + ")");
  if (needs.max_binding_range() > info_.max_storage_buffer_range)
    lack("storage-buffer bindings of " +
         std::to_string(needs.max_binding_range()) + " bytes (it allows " +
         std::to_string(info_.max_storage_buffer_range) + ")");
  if (missing.empty())
    return Status::ok();
  return Status(TESSERA_ERROR_UNSUPPORTED,
                std::string(info_.name) + " cannot run this model: it lacks " +
                    missing);
}

Status Device::findHostMemoryType(uint32_t typeBits, uint32_t &index) const {
  const VkMemoryPropertyFlags wanted = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                       VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  for (uint32_t i = 0; i < memory_.memoryTypeCount; ++i)
    if ((typeBits & (1u << i)) &&
        (memory_.memoryTypes[i].propertyFlags & wanted) == wanted) {
      index = i;
      return Status::ok();
    }
  return Status(TESSERA_ERROR_UNSUPPORTED,
                std::string(info_.name) +
                    " has no host-visible coherent memory for buffers");
}

} // namespace tessera::runtime

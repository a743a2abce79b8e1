//===- buffer.cpp - A host-visible storage buffer -------------------------===//

#include "buffer.h"

#include <string>

namespace tessera::runtime {

Status Buffer::create(const Device &device, VkDeviceSize size,
                      const char *purpose, std::unique_ptr<Buffer> &out) {
  std::unique_ptr<Buffer> buffer(new Buffer());
  buffer->device_ = device.handle();
  buffer->size_ = size;
  auto failed = [&](const char *call, VkResult result) {
    return Status(result == VK_ERROR_OUT_OF_DEVICE_MEMORY ||
                          result == VK_ERROR_OUT_OF_HOST_MEMORY
                      ? TESSERA_ERROR_OUT_OF_MEMORY
                      : TESSERA_ERROR_VULKAN,
                  std::string(call) + " for the " + purpose + " (" +
                      std::to_string(size) +
                      " bytes) failed: " + vulkanResultString(result));
  };
  VkBufferCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  info.size = size;
  // Transfers too: a session copies carried outputs (a decoder's key/value
  // cache) between runs on the device.
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
               VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  if (VkResult r =
          vkCreateBuffer(buffer->device_, &info, nullptr, &buffer->buffer_);
      r != VK_SUCCESS)
    return failed("vkCreateBuffer", r);
  VkMemoryRequirements requirements;
  vkGetBufferMemoryRequirements(buffer->device_, buffer->buffer_,
                                &requirements);
  VkMemoryAllocateInfo allocate{};
  allocate.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
  allocate.allocationSize = requirements.size;
  if (Status s = device.findHostMemoryType(requirements.memoryTypeBits,
                                           allocate.memoryTypeIndex);
      !s.isOk())
    return s;
  if (VkResult r = vkAllocateMemory(buffer->device_, &allocate, nullptr,
                                    &buffer->memory_);
      r != VK_SUCCESS)
    return failed("vkAllocateMemory", r);
  if (VkResult r = vkBindBufferMemory(buffer->device_, buffer->buffer_,
                                      buffer->memory_, 0);
      r != VK_SUCCESS)
    return failed("vkBindBufferMemory", r);
  void *mapped = nullptr;
  if (VkResult r = vkMapMemory(buffer->device_, buffer->memory_, 0,
                               VK_WHOLE_SIZE, 0, &mapped);
      r != VK_SUCCESS)
    return failed("vkMapMemory", r);
  buffer->mapped_ = static_cast<char *>(mapped);
  out = std::move(buffer);
  return Status::ok();
}

Buffer::~Buffer() {
  if (mapped_)
    vkUnmapMemory(device_, memory_);
  if (buffer_ != VK_NULL_HANDLE)
    vkDestroyBuffer(device_, buffer_, nullptr);
  if (memory_ != VK_NULL_HANDLE)
    vkFreeMemory(device_, memory_, nullptr);
}

} // namespace tessera::runtime

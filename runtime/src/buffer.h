//===- buffer.h - A host-visible storage buffer -----------------*- C++ -*-===//

#ifndef TESSERA_RUNTIME_BUFFER_H
#define TESSERA_RUNTIME_BUFFER_H

#include "device.h"

namespace tessera::runtime {

/// A storage buffer in host-visible, coherent memory, mapped for its whole
/// life: uploads and downloads are plain memcpy. (On lavapipe this is the
/// only kind of memory; discrete GPUs will want device-local memory and a
/// staging copy.)
class Buffer {
public:
  ~Buffer();
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;

  static Status create(const Device &device, VkDeviceSize size,
                       const char *purpose, std::unique_ptr<Buffer> &out);

  VkBuffer handle() const { return buffer_; }
  VkDeviceSize size() const { return size_; }
  char *data() const { return mapped_; }

private:
  Buffer() = default;
  VkDevice device_ = VK_NULL_HANDLE;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkDeviceSize size_ = 0;
  char *mapped_ = nullptr;
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_BUFFER_H

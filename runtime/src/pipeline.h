//===- pipeline.h - Compute pipelines and their cache -----------*- C++ -*-===//

#ifndef TESSERA_RUNTIME_PIPELINE_H
#define TESSERA_RUNTIME_PIPELINE_H

#include "device.h"

#include <string>

namespace tessera::runtime {

/// A VkPipelineCache kept on disk per device, so that later loads of a model
/// skip shader compilation: $TESSERA_CACHE_DIR, else $XDG_CACHE_HOME/tessera,
/// else ~/.cache/tessera. A cache that cannot be read or written is not an
/// error; the driver rejects data that is not its own.
class PipelineCache {
public:
  ~PipelineCache();
  PipelineCache(const PipelineCache &) = delete;
  PipelineCache &operator=(const PipelineCache &) = delete;

  static Status create(const Device &device,
                       std::unique_ptr<PipelineCache> &out);
  VkPipelineCache handle() const { return cache_; }
  const std::string &path() const { return path_; }

private:
  PipelineCache() = default;
  VkDevice device_ = VK_NULL_HANDLE;
  VkPipelineCache cache_ = VK_NULL_HANDLE;
  std::string path_;
};

/// One compute shader with its layout: set 0 holds `bindingCount` storage
/// buffers (the params buffer, the tensors, the index status buffer; see
/// layoutBindingCount).
class Pipeline {
public:
  ~Pipeline();
  Pipeline(const Pipeline &) = delete;
  Pipeline &operator=(const Pipeline &) = delete;

  static Status create(const Device &device, const PipelineCache &cache,
                       const tsr::Executable &executable,
                       std::unique_ptr<Pipeline> &out);

  VkPipeline handle() const { return pipeline_; }
  VkPipelineLayout layout() const { return layout_; }
  VkDescriptorSetLayout setLayout() const { return setLayout_; }
  uint32_t bindingCount() const { return bindingCount_; }
  /// Wall seconds vkCreateComputePipelines took: the driver's compile of
  /// the shader, unless a cache held it.
  double createSeconds() const { return createSeconds_; }

private:
  Pipeline() = default;
  VkDevice device_ = VK_NULL_HANDLE;
  VkDescriptorSetLayout setLayout_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
  uint32_t bindingCount_ = 0;
  double createSeconds_ = 0;
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_PIPELINE_H

//===- pipeline.cpp - Compute pipelines and their cache -------------------===//

#include "pipeline.h"

#include "cache.h"
#include "model.h"

#include <chrono>
#include <fstream>
#include <vector>

namespace tessera::runtime {

Status PipelineCache::create(const Device &device,
                             std::unique_ptr<PipelineCache> &out) {
  std::unique_ptr<PipelineCache> cache(new PipelineCache());
  cache->device_ = device.handle();
  std::string dir = cacheDirectory();
  if (!dir.empty())
    cache->path_ = dir + "/pipelines-" +
                   std::to_string(device.info().vendor_id) + "-" +
                   std::to_string(device.info().device_id) + ".bin";
  std::vector<char> data;
  if (!cache->path_.empty()) {
    std::ifstream file(cache->path_, std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(file),
                std::istreambuf_iterator<char>());
  }
  VkPipelineCacheCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO;
  info.initialDataSize = data.size();
  info.pInitialData = data.empty() ? nullptr : data.data();
  VkResult result =
      vkCreatePipelineCache(cache->device_, &info, nullptr, &cache->cache_);
  if (result != VK_SUCCESS && !data.empty()) {
    // Unreadable data: start empty rather than fail.
    info.initialDataSize = 0;
    info.pInitialData = nullptr;
    result =
        vkCreatePipelineCache(cache->device_, &info, nullptr, &cache->cache_);
  }
  if (result != VK_SUCCESS)
    return vulkanFailure("vkCreatePipelineCache", result);
  out = std::move(cache);
  return Status::ok();
}

PipelineCache::~PipelineCache() {
  if (cache_ == VK_NULL_HANDLE)
    return;
  size_t size = 0;
  if (!path_.empty() &&
      vkGetPipelineCacheData(device_, cache_, &size, nullptr) == VK_SUCCESS &&
      size > 0) {
    std::string data(size, '\0');
    if (vkGetPipelineCacheData(device_, cache_, &size, data.data()) ==
        VK_SUCCESS) {
      data.resize(size);
      saveCacheFile(path_, data);
    }
  }
  vkDestroyPipelineCache(device_, cache_, nullptr);
}

Status Pipeline::create(const Device &device, const PipelineCache &cache,
                        const tsr::Executable &executable,
                        std::unique_ptr<Pipeline> &out) {
  std::unique_ptr<Pipeline> pipeline(new Pipeline());
  pipeline->device_ = device.handle();
  pipeline->bindingCount_ = layoutBindingCount(executable);

  std::vector<VkDescriptorSetLayoutBinding> bindings(pipeline->bindingCount_);
  for (uint32_t i = 0; i < bindings.size(); ++i) {
    bindings[i] = {};
    bindings[i].binding = i;
    bindings[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    bindings[i].descriptorCount = 1;
    bindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
  }
  VkDescriptorSetLayoutCreateInfo setInfo{};
  setInfo.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
  setInfo.bindingCount = static_cast<uint32_t>(bindings.size());
  setInfo.pBindings = bindings.data();
  if (VkResult r = vkCreateDescriptorSetLayout(pipeline->device_, &setInfo,
                                               nullptr, &pipeline->setLayout_);
      r != VK_SUCCESS)
    return vulkanFailure("vkCreateDescriptorSetLayout", r);
  VkPipelineLayoutCreateInfo layoutInfo{};
  layoutInfo.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
  layoutInfo.setLayoutCount = 1;
  layoutInfo.pSetLayouts = &pipeline->setLayout_;
  if (VkResult r = vkCreatePipelineLayout(pipeline->device_, &layoutInfo,
                                          nullptr, &pipeline->layout_);
      r != VK_SUCCESS)
    return vulkanFailure("vkCreatePipelineLayout", r);

  VkShaderModuleCreateInfo moduleInfo{};
  moduleInfo.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
  moduleInfo.codeSize = executable.spirv()->size() * sizeof(uint32_t);
  moduleInfo.pCode = executable.spirv()->data();
  VkShaderModule module = VK_NULL_HANDLE;
  if (VkResult r = vkCreateShaderModule(pipeline->device_, &moduleInfo, nullptr,
                                        &module);
      r != VK_SUCCESS)
    return vulkanFailure("vkCreateShaderModule", r);
  VkComputePipelineCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
  info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = module;
  std::string entry = executable.entry_point()->str();
  info.stage.pName = entry.c_str();
  info.layout = pipeline->layout_;
  auto start = std::chrono::steady_clock::now();
  VkResult result =
      vkCreateComputePipelines(pipeline->device_, cache.handle(), 1, &info,
                               nullptr, &pipeline->pipeline_);
  pipeline->createSeconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  vkDestroyShaderModule(pipeline->device_, module, nullptr);
  if (result != VK_SUCCESS)
    return Status(TESSERA_ERROR_VULKAN,
                  "creating the pipeline of kernel '" + entry +
                      "' failed: " + vulkanResultString(result));
  out = std::move(pipeline);
  return Status::ok();
}

Pipeline::~Pipeline() {
  if (pipeline_ != VK_NULL_HANDLE)
    vkDestroyPipeline(device_, pipeline_, nullptr);
  if (layout_ != VK_NULL_HANDLE)
    vkDestroyPipelineLayout(device_, layout_, nullptr);
  if (setLayout_ != VK_NULL_HANDLE)
    vkDestroyDescriptorSetLayout(device_, setLayout_, nullptr);
}

} // namespace tessera::runtime

//===- instance.cpp - Vulkan instance and device discovery ----------------===//

#include "instance.h"

#include "cache.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tessera::runtime {

namespace {

constexpr const char *kValidationLayer = "VK_LAYER_KHRONOS_validation";

bool hasLayer(const char *name) {
  uint32_t count = 0;
  vkEnumerateInstanceLayerProperties(&count, nullptr);
  std::vector<VkLayerProperties> layers(count);
  vkEnumerateInstanceLayerProperties(&count, layers.data());
  return std::any_of(layers.begin(), layers.end(), [&](const auto &layer) {
    return std::strcmp(layer.layerName, name) == 0;
  });
}

bool hasInstanceExtension(const char *name) {
  uint32_t count = 0;
  vkEnumerateInstanceExtensionProperties(nullptr, &count, nullptr);
  std::vector<VkExtensionProperties> extensions(count);
  vkEnumerateInstanceExtensionProperties(nullptr, &count, extensions.data());
  return std::any_of(extensions.begin(), extensions.end(),
                     [&](const auto &ext) {
                       return std::strcmp(ext.extensionName, name) == 0;
                     });
}

bool validationRequestedByEnvironment() {
  const char *value = std::getenv("TESSERA_VALIDATION");
  return value && *value && std::strcmp(value, "0") != 0;
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string describeDevices(const std::vector<tessera_device_info> &infos) {
  std::string text;
  for (size_t i = 0; i < infos.size(); ++i)
    text += (i ? ", " : "") + std::to_string(i) + ": " + infos[i].name;
  return text.empty() ? "none" : text;
}

/// Rank of a device type when no device is asked for: real GPUs first,
/// the CPU (lavapipe) last.
int defaultPreference(tessera_device_type type) {
  switch (type) {
  case TESSERA_DEVICE_DISCRETE_GPU:
    return 0;
  case TESSERA_DEVICE_INTEGRATED_GPU:
    return 1;
  case TESSERA_DEVICE_VIRTUAL_GPU:
    return 2;
  case TESSERA_DEVICE_CPU:
    return 3;
  case TESSERA_DEVICE_OTHER:
    return 4;
  }
  return 5;
}

} // namespace

tessera_device_info queryDeviceInfo(VkPhysicalDevice device) {
  VkPhysicalDeviceSubgroupProperties subgroup{};
  subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES;
  VkPhysicalDeviceProperties2 properties{};
  properties.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
  properties.pNext = &subgroup;
  vkGetPhysicalDeviceProperties2(device, &properties);

  VkPhysicalDevice8BitStorageFeatures storage8{};
  storage8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES;
  VkPhysicalDevice16BitStorageFeatures storage16{};
  storage16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
  storage16.pNext = &storage8;
  VkPhysicalDeviceShaderFloat16Int8Features arithmetic{};
  arithmetic.sType =
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
  arithmetic.pNext = &storage16;
  VkPhysicalDeviceFeatures2 features{};
  features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
  features.pNext = &arithmetic;
  vkGetPhysicalDeviceFeatures2(device, &features);

  const VkPhysicalDeviceProperties &props = properties.properties;
  tessera_device_info info{};
  std::snprintf(info.name, sizeof(info.name), "%s", props.deviceName);
  switch (props.deviceType) {
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
    info.type = TESSERA_DEVICE_INTEGRATED_GPU;
    break;
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
    info.type = TESSERA_DEVICE_DISCRETE_GPU;
    break;
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
    info.type = TESSERA_DEVICE_VIRTUAL_GPU;
    break;
  case VK_PHYSICAL_DEVICE_TYPE_CPU:
    info.type = TESSERA_DEVICE_CPU;
    break;
  default:
    info.type = TESSERA_DEVICE_OTHER;
  }
  info.vendor_id = props.vendorID;
  info.device_id = props.deviceID;
  info.api_version = props.apiVersion;
  info.subgroup_size = subgroup.subgroupSize;
  info.max_shared_memory = props.limits.maxComputeSharedMemorySize;
  info.max_workgroup_invocations = props.limits.maxComputeWorkGroupInvocations;
  info.max_push_constants_size = props.limits.maxPushConstantsSize;
  info.max_storage_buffer_range = props.limits.maxStorageBufferRange;
  // The feature structs are core in Vulkan 1.2; Device::create enables
  // them only there.
  bool core12 = props.apiVersion >= VK_API_VERSION_1_2;
  info.fp16 = core12 && arithmetic.shaderFloat16 &&
              storage16.storageBuffer16BitAccess;
  info.int8 =
      core12 && arithmetic.shaderInt8 && storage8.storageBuffer8BitAccess;
  return info;
}

Status Instance::create(bool enableValidation, std::unique_ptr<Instance> &out) {
  enableValidation |= validationRequestedByEnvironment();
  // Before the loader loads a driver, which reads it once.
  placeDriverShaderCache();
  std::unique_ptr<Instance> instance(new Instance());

  std::vector<const char *> layers;
  std::vector<const char *> extensions;
  if (enableValidation) {
    if (!hasLayer(kValidationLayer))
      return Status(TESSERA_ERROR_UNSUPPORTED,
                    std::string("validation was requested but the layer ") +
                        kValidationLayer +
                        " is not installed (Debian package "
                        "vulkan-validationlayers)");
    layers.push_back(kValidationLayer);
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
  }
  VkInstanceCreateFlags flags = 0;
  // MoltenVK and other non-conformant drivers are only listed on request.
  if (hasInstanceExtension(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {
    extensions.push_back(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME);
    flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
  }

  VkApplicationInfo app{};
  app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
  app.pApplicationName = "tessera";
  app.pEngineName = "tessera";
  app.apiVersion = VK_API_VERSION_1_3;

  VkDebugUtilsMessengerCreateInfoEXT messengerInfo{};
  messengerInfo.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT;
  messengerInfo.messageSeverity =
      VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
      VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  messengerInfo.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                              VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                              VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  messengerInfo.pfnUserCallback = &Instance::onValidationMessage;
  messengerInfo.pUserData = instance.get();

  VkInstanceCreateInfo createInfo{};
  createInfo.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
  // Chained so that instance creation and destruction are validated too.
  createInfo.pNext = enableValidation ? &messengerInfo : nullptr;
  createInfo.flags = flags;
  createInfo.pApplicationInfo = &app;
  createInfo.enabledLayerCount = static_cast<uint32_t>(layers.size());
  createInfo.ppEnabledLayerNames = layers.data();
  createInfo.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  createInfo.ppEnabledExtensionNames = extensions.data();
  if (VkResult result =
          vkCreateInstance(&createInfo, nullptr, &instance->instance_);
      result != VK_SUCCESS) {
    if (result == VK_ERROR_INCOMPATIBLE_DRIVER)
      return Status(TESSERA_ERROR_NO_DEVICE,
                    "vkCreateInstance found no Vulkan driver "
                    "(VK_ERROR_INCOMPATIBLE_DRIVER); install a GPU driver or "
                    "Mesa's lavapipe (Debian package mesa-vulkan-drivers)");
    return vulkanFailure("vkCreateInstance", result);
  }

  if (enableValidation) {
    auto createMessenger = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance->instance_,
                              "vkCreateDebugUtilsMessengerEXT"));
    if (!createMessenger)
      return Status(TESSERA_ERROR_UNSUPPORTED,
                    "validation was requested but "
                    "vkCreateDebugUtilsMessengerEXT is unavailable");
    if (VkResult result = createMessenger(instance->instance_, &messengerInfo,
                                          nullptr, &instance->messenger_);
        result != VK_SUCCESS)
      return vulkanFailure("vkCreateDebugUtilsMessengerEXT", result);
  }

  if (Status status = instance->enumerateDevices(); !status.isOk())
    return status;
  out = std::move(instance);
  return Status::ok();
}

Status Instance::enumerateDevices() {
  uint32_t count = 0;
  if (VkResult result = vkEnumeratePhysicalDevices(instance_, &count, nullptr);
      result != VK_SUCCESS)
    return vulkanFailure("vkEnumeratePhysicalDevices", result);
  physicalDevices_.resize(count);
  if (VkResult result = vkEnumeratePhysicalDevices(instance_, &count,
                                                   physicalDevices_.data());
      result != VK_SUCCESS && result != VK_INCOMPLETE)
    return vulkanFailure("vkEnumeratePhysicalDevices", result);
  physicalDevices_.resize(count);
  for (VkPhysicalDevice device : physicalDevices_)
    infos_.push_back(queryDeviceInfo(device));
  return Status::ok();
}

Instance::~Instance() {
  if (messenger_ != VK_NULL_HANDLE) {
    auto destroyMessenger =
        reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(instance_,
                                  "vkDestroyDebugUtilsMessengerEXT"));
    if (destroyMessenger)
      destroyMessenger(instance_, messenger_, nullptr);
  }
  if (instance_ != VK_NULL_HANDLE)
    vkDestroyInstance(instance_, nullptr);
}

Status Instance::selectDevice(const std::string &requested,
                              uint32_t &index) const {
  std::string selector = requested;
  if (selector.empty())
    if (const char *env = std::getenv("TESSERA_DEVICE"))
      selector = env;
  if (infos_.empty())
    return Status(TESSERA_ERROR_NO_DEVICE,
                  "no Vulkan device found; install a GPU driver or Mesa's "
                  "lavapipe (Debian package mesa-vulkan-drivers)");

  if (selector.empty()) {
    auto best = std::min_element(
        infos_.begin(), infos_.end(), [](const auto &a, const auto &b) {
          return defaultPreference(a.type) < defaultPreference(b.type);
        });
    index = static_cast<uint32_t>(best - infos_.begin());
    return Status::ok();
  }

  bool isIndex = std::all_of(selector.begin(), selector.end(),
                             [](unsigned char c) { return std::isdigit(c); });
  if (isIndex) {
    unsigned long value = std::strtoul(selector.c_str(), nullptr, 10);
    if (selector.size() > 9 || value >= infos_.size())
      return Status(TESSERA_ERROR_NO_DEVICE, "device index " + selector +
                                                 " is out of range; devices: " +
                                                 describeDevices(infos_));
    index = static_cast<uint32_t>(value);
    return Status::ok();
  }

  std::string needle = lowercase(selector);
  for (uint32_t i = 0; i < infos_.size(); ++i) {
    if (lowercase(infos_[i].name).find(needle) != std::string::npos) {
      index = i;
      return Status::ok();
    }
  }
  return Status(TESSERA_ERROR_NO_DEVICE,
                "no device name contains '" + selector +
                    "'; devices: " + describeDevices(infos_));
}

VKAPI_ATTR VkBool32 VKAPI_CALL Instance::onValidationMessage(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity,
    VkDebugUtilsMessageTypeFlagsEXT,
    const VkDebugUtilsMessengerCallbackDataEXT *data, void *userData) {
  auto *instance = static_cast<Instance *>(userData);
  ++instance->validationMessages_;
  std::fprintf(stderr, "tessera: Vulkan validation %s: %s\n",
               severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT
                   ? "error"
                   : "warning",
               data && data->pMessage ? data->pMessage : "(no message)");
  return VK_FALSE;
}

} // namespace tessera::runtime

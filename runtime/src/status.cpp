//===- status.cpp - Errors inside the runtime -----------------------------===//

#include "status.h"

#include <vulkan/vulkan.h>

#include <fstream>
#include <sstream>

namespace tessera::runtime {

namespace {
thread_local std::string lastError;
} // namespace

Status readFile(const std::string &path, std::string &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status(TESSERA_ERROR_IO, "cannot read " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  return Status::ok();
}

tessera_status reportStatus(const Status &status) {
  if (!status.isOk())
    lastError = status.message();
  return status.code();
}

const char *vulkanResultString(int result) {
  switch (static_cast<VkResult>(result)) {
#define TESSERA_VK_RESULT(name)                                                \
  case name:                                                                   \
    return #name;
    TESSERA_VK_RESULT(VK_SUCCESS)
    TESSERA_VK_RESULT(VK_NOT_READY)
    TESSERA_VK_RESULT(VK_TIMEOUT)
    TESSERA_VK_RESULT(VK_INCOMPLETE)
    TESSERA_VK_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY)
    TESSERA_VK_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    TESSERA_VK_RESULT(VK_ERROR_INITIALIZATION_FAILED)
    TESSERA_VK_RESULT(VK_ERROR_DEVICE_LOST)
    TESSERA_VK_RESULT(VK_ERROR_MEMORY_MAP_FAILED)
    TESSERA_VK_RESULT(VK_ERROR_LAYER_NOT_PRESENT)
    TESSERA_VK_RESULT(VK_ERROR_EXTENSION_NOT_PRESENT)
    TESSERA_VK_RESULT(VK_ERROR_FEATURE_NOT_PRESENT)
    TESSERA_VK_RESULT(VK_ERROR_INCOMPATIBLE_DRIVER)
    TESSERA_VK_RESULT(VK_ERROR_TOO_MANY_OBJECTS)
    TESSERA_VK_RESULT(VK_ERROR_FORMAT_NOT_SUPPORTED)
#undef TESSERA_VK_RESULT
  default:
    return "unknown VkResult";
  }
}

Status vulkanFailure(const char *call, int result) {
  return Status(TESSERA_ERROR_VULKAN,
                std::string(call) + " failed: " + vulkanResultString(result));
}

} // namespace tessera::runtime

extern "C" const char *tessera_last_error(void) {
  return tessera::runtime::lastError.c_str();
}

extern "C" const char *tessera_status_string(tessera_status status) {
  switch (status) {
  case TESSERA_OK:
    return "TESSERA_OK";
  case TESSERA_ERROR_INVALID_ARGUMENT:
    return "TESSERA_ERROR_INVALID_ARGUMENT";
  case TESSERA_ERROR_VULKAN:
    return "TESSERA_ERROR_VULKAN";
  case TESSERA_ERROR_NO_DEVICE:
    return "TESSERA_ERROR_NO_DEVICE";
  case TESSERA_ERROR_UNSUPPORTED:
    return "TESSERA_ERROR_UNSUPPORTED";
  case TESSERA_ERROR_IO:
    return "TESSERA_ERROR_IO";
  case TESSERA_ERROR_INVALID_MODEL:
    return "TESSERA_ERROR_INVALID_MODEL";
  case TESSERA_ERROR_INVALID_INPUT:
    return "TESSERA_ERROR_INVALID_INPUT";
  case TESSERA_ERROR_OUT_OF_MEMORY:
    return "TESSERA_ERROR_OUT_OF_MEMORY";
  }
  return "unknown tessera_status";
}

//===- tessera-devices.cpp - List the Vulkan devices Tessera sees ---------===//

#include "tessera/runtime.hpp"

#include <cstdio>
#include <cstring>

namespace {

const char *typeName(tessera_device_type type) {
  switch (type) {
  case TESSERA_DEVICE_INTEGRATED_GPU:
    return "integrated GPU";
  case TESSERA_DEVICE_DISCRETE_GPU:
    return "discrete GPU";
  case TESSERA_DEVICE_VIRTUAL_GPU:
    return "virtual GPU";
  case TESSERA_DEVICE_CPU:
    return "CPU";
  case TESSERA_DEVICE_OTHER:
    break;
  }
  return "other";
}

void printUsage() {
  std::printf(
      "usage: tessera-devices [--device D] [--validation]\n\n"
      "Lists the Vulkan devices the Tessera runtime can run on, with the\n"
      "facts a target profile states, and marks the one it would pick.\n\n"
      "  --device D     index or name substring of the device to mark\n"
      "                 (default: $TESSERA_DEVICE, else the first real GPU,\n"
      "                 else the CPU device, lavapipe)\n"
      "  --validation   enable the Khronos validation layer\n"
      "  --version      print Tessera's version and git revision\n");
}

} // namespace

int main(int argc, char **argv) {
  std::string selector;
  bool validation = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      printUsage();
      return 0;
    }
    if (!std::strcmp(argv[i], "--version")) {
      std::printf("tessera-devices: %s\n", tessera_version_text());
      return 0;
    }
    if (!std::strcmp(argv[i], "--validation")) {
      validation = true;
    } else if (!std::strcmp(argv[i], "--device") && i + 1 < argc) {
      selector = argv[++i];
    } else {
      std::fprintf(stderr, "tessera-devices: unknown argument '%s'\n", argv[i]);
      printUsage();
      return 2;
    }
  }
  try {
    tessera::Instance instance(validation);
    uint32_t selected = instance.selectDevice(selector);
    auto devices = instance.devices();
    for (uint32_t i = 0; i < devices.size(); ++i) {
      const tessera_device_info &d = devices[i];
      std::printf("%c %u: %s (%s, Vulkan %u.%u)\n", i == selected ? '*' : ' ',
                  i, d.name, typeName(d.type), d.api_version >> 22,
                  (d.api_version >> 12) & 0x3ff);
      std::printf("     subgroup_size = %u, max_shared_memory = %u, "
                  "max_workgroup_invocations = %u,\n"
                  "     max_push_constants_size = %u, "
                  "max_storage_buffer_range = %llu, fp16 = %s, int8 = %s\n",
                  d.subgroup_size, d.max_shared_memory,
                  d.max_workgroup_invocations, d.max_push_constants_size,
                  static_cast<unsigned long long>(d.max_storage_buffer_range),
                  d.fp16 ? "true" : "false", d.int8 ? "true" : "false");
    }
  } catch (const tessera::Error &error) {
    std::fprintf(stderr, "tessera-devices: %s\n", error.what());
    return 1;
  }
  return 0;
}

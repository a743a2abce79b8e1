//===- TsrFuzzer.cpp - libFuzzer: the .tsr loader, to a session -----------===//
//
// Bytes written to a file and loaded through the C API onto the default
// device (lavapipe here): the header, the FlatBuffer verifier, the
// reference checks, the device's needs, the kernels' SPIR-V checks,
// pipelines, buffers and the session's descriptor sets. Built with
// TESSERA_FUZZING, the runtime ignores the checksums, so that mutations
// reach all of that instead of stopping at the first check.
//
//===----------------------------------------------------------------------===//

#include "tessera/runtime.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace {

struct Device {
  tessera_instance instance = nullptr;
  uint32_t index = 0;
  std::string path;
  Device() {
    if (tessera_instance_create(nullptr, &instance) != TESSERA_OK ||
        tessera_instance_select_device(instance, nullptr, &index) != TESSERA_OK)
      __builtin_trap();
    const char *dir = std::getenv("TMPDIR");
    path = std::string(dir && *dir ? dir : "/tmp") + "/tessera-fuzz-" +
           std::to_string(getpid()) + ".tsr";
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static Device device;
  FILE *file = std::fopen(device.path.c_str(), "wb");
  if (!file)
    return 0;
  std::fwrite(data, 1, size, file);
  std::fclose(file);
  tessera_program program = nullptr;
  if (tessera_program_load(device.instance, device.path.c_str(), device.index,
                           &program) == TESSERA_OK) {
    (void)tessera_program_describe(program);
    tessera_program_destroy(program);
  }
  return 0;
}

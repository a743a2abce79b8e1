//===- cache.h - What Tessera keeps between processes -----------*- C++ -*-===//
//
// One folder holds everything the runtime caches: $TESSERA_CACHE_DIR, else
// $XDG_CACHE_HOME/tessera, else ~/.cache/tessera. In it: the Vulkan
// pipeline cache of each device, the record of which kernels each driver
// has compiled, and Mesa's shader cache (`mesa/`), where lavapipe and
// Mesa's GPU drivers keep compiled shaders (their VkPipelineCache data is
// a header only). A cache that cannot be read or written is never an
// error: it only costs the compile again.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_CACHE_H
#define TESSERA_RUNTIME_CACHE_H

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::runtime {

/// The cache folder; empty when no environment variable names one.
std::string cacheDirectory();

/// Creates `path` and its parents; false when it cannot.
bool makeDirectories(const std::string &path);

/// Replaces the file `path` (in the cache folder) with `bytes`, creating
/// its folder: written aside, then renamed, since several processes may
/// save at once. Failing is not an error (see above).
void saveCacheFile(const std::string &path, const std::string &bytes);

/// Points Mesa's shader cache at `<cache folder>/mesa` unless the user set
/// MESA_SHADER_CACHE_DIR, creating the folder (Mesa caches nothing when it
/// is missing). Must run before the Vulkan driver is loaded.
void placeDriverShaderCache();

/// The kernels a driver has compiled before, as checksums of their SPIR-V
/// (tsr::checksum), kept per device and driver build in the cache folder:
/// a kernel not in it is compiled by the driver on its first use.
class CompiledKernels {
public:
  /// Reads the record of the driver that `driver` names (its properties'
  /// bytes that identify a build: name, versions, pipeline cache UUID).
  explicit CompiledKernels(const std::string &driver);

  bool contains(uint64_t kernel) const;
  /// Adds `kernels` to the record and saves it.
  void add(const std::vector<uint64_t> &kernels);
  const std::string &folder() const { return folder_; }

private:
  std::string folder_, path_;
  std::vector<uint64_t> known_;
};

} // namespace tessera::runtime

#endif // TESSERA_RUNTIME_CACHE_H

//===- cache.cpp - What Tessera keeps between processes -------------------===//

#include "cache.h"

#include "tessera/tsr_format.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace tessera::runtime {

std::string cacheDirectory() {
  if (const char *dir = std::getenv("TESSERA_CACHE_DIR"); dir && *dir)
    return dir;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/tessera";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/tessera";
  return "";
}

bool makeDirectories(const std::string &path) {
  for (size_t i = 1; i <= path.size(); ++i)
    if (i == path.size() || path[i] == '/')
      ::mkdir(path.substr(0, i).c_str(), 0755);
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

void saveCacheFile(const std::string &path, const std::string &bytes) {
  if (!makeDirectories(path.substr(0, path.rfind('/'))))
    return;
  std::string temporary = path + ".tmp." + std::to_string(::getpid());
  std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (file)
    std::rename(temporary.c_str(), path.c_str());
  else
    std::remove(temporary.c_str());
}

void placeDriverShaderCache() {
  if (const char *set = std::getenv("MESA_SHADER_CACHE_DIR"); set && *set)
    return;
  std::string folder = cacheDirectory();
  if (folder.empty() || !makeDirectories(folder + "/mesa"))
    return;
  ::setenv("MESA_SHADER_CACHE_DIR", (folder + "/mesa").c_str(), 0);
}

CompiledKernels::CompiledKernels(const std::string &driver) {
  folder_ = cacheDirectory();
  if (folder_.empty())
    return;
  char name[64];
  std::snprintf(name, sizeof(name), "compiled-kernels-%016llx.txt",
                static_cast<unsigned long long>(
                    tsr::checksum(driver.data(), driver.size())));
  path_ = folder_ + "/" + name;
  std::ifstream file(path_);
  std::string line;
  while (std::getline(file, line))
    known_.push_back(std::strtoull(line.c_str(), nullptr, 16));
  std::sort(known_.begin(), known_.end());
}

bool CompiledKernels::contains(uint64_t kernel) const {
  return std::binary_search(known_.begin(), known_.end(), kernel);
}

void CompiledKernels::add(const std::vector<uint64_t> &kernels) {
  size_t before = known_.size();
  for (uint64_t kernel : kernels)
    if (!contains(kernel))
      known_.push_back(kernel);
  if (known_.size() == before || path_.empty())
    return;
  std::sort(known_.begin(), known_.end());
  std::string text;
  for (uint64_t kernel : known_) {
    char line[24];
    std::snprintf(line, sizeof(line), "%016llx\n",
                  static_cast<unsigned long long>(kernel));
    text += line;
  }
  saveCacheFile(path_, text);
}

} // namespace tessera::runtime

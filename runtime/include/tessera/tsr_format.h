//===- tessera/tsr_format.h - The .tsr file header --------------*- C++ -*-===//
//
// The fixed 64-byte header in front of a .tsr file's FlatBuffer (schema:
// runtime/schema/tessera.fbs). Shared by the compiler's writer and the
// runtime's reader; header-only, no dependencies.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_TSR_FORMAT_H
#define TESSERA_TSR_FORMAT_H

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tessera::tsr {

/// Bumped on every incompatible change of the header or the schema.
constexpr uint32_t kFormatVersion = 3;
constexpr char kMagic[8] = {'T', 'E', 'S', 'S', 'E', 'R', 'A', '\0'};
constexpr uint64_t kHeaderSize = 64;
/// Alignment of the weights section and of every buffer offset in it and in
/// the arena (Vulkan's largest minStorageBufferOffsetAlignment).
constexpr uint64_t kBufferAlignment = 256;
constexpr uint64_t kWeightsSectionAlignment = 64;

/// Little-endian on disk; every field is naturally aligned.
struct FileHeader {
  char magic[8];
  uint32_t format_version;
  uint32_t header_size;
  uint64_t model_offset;
  uint64_t model_size;
  uint64_t weights_offset;
  uint64_t weights_size;
  uint64_t model_checksum;  ///< FNV-1a of the FlatBuffer bytes
  uint64_t header_checksum; ///< FNV-1a of the 56 bytes before this field
};
static_assert(sizeof(FileHeader) == kHeaderSize, "header must be 64 bytes");

inline uint64_t fnv1a(const void *data, size_t size) {
  const auto *bytes = static_cast<const unsigned char *>(data);
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

inline uint64_t headerChecksum(const FileHeader &header) {
  return fnv1a(&header, offsetof(FileHeader, header_checksum));
}

inline uint64_t alignTo(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

} // namespace tessera::tsr

#endif // TESSERA_TSR_FORMAT_H

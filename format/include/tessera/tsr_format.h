//===- tessera/tsr_format.h - The .tsr file header --------------*- C++ -*-===//
//
// The fixed 64-byte header in front of a .tsr file's FlatBuffer (schema:
// runtime/schema/tessera.fbs), and the checksums that cover every byte of
// the file. Shared by the compiler's writer and the runtime's reader;
// header-only, needs xxHash's header (Debian's libxxhash-dev).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_TSR_FORMAT_H
#define TESSERA_TSR_FORMAT_H

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace tessera::tsr {

/// Bumped on every incompatible change of the header or the schema.
constexpr uint32_t kFormatVersion = 5;
constexpr char kMagic[8] = {'T', 'E', 'S', 'S', 'E', 'R', 'A', '\0'};
constexpr uint64_t kHeaderSize = 64;
/// Alignment of the weights section and of every buffer offset in it and in
/// the arena (Vulkan's largest minStorageBufferOffsetAlignment).
constexpr uint64_t kBufferAlignment = 256;
constexpr uint64_t kWeightsSectionAlignment = 64;

/// Little-endian on disk; every field is naturally aligned. The file ends
/// where the weights section does.
struct FileHeader {
  char magic[8];
  uint32_t format_version;
  uint32_t header_size;
  uint64_t model_offset;
  uint64_t model_size;
  uint64_t weights_offset;
  uint64_t weights_size;
  uint64_t body_checksum;   ///< of every byte after the header
  uint64_t header_checksum; ///< of the 56 bytes before this field
};
static_assert(sizeof(FileHeader) == kHeaderSize, "header must be 64 bytes");

/// A word of the index status buffer that saw no bad index (see
/// IndexCheck in tessera.fbs): kernels write the lowest bad place below it,
/// the runtime sets every word to it before a run.
constexpr int32_t kNoBadIndex = INT32_MAX;

/// The format's checksum: XXH3, 64 bits, seed 0. Fast enough to run over
/// the weights as they are read (tens of GB/s), and a strong check against
/// corruption; not a signature (see docs/binary-format.md).
inline uint64_t checksum(const void *data, size_t size) {
  return XXH3_64bits(data, size);
}

/// The same checksum over bytes that come in pieces: a body read or
/// written in parts, never whole in memory.
class ChecksumStream {
public:
  ChecksumStream() {
    XXH3_INITSTATE(&state_);
    XXH3_64bits_reset(&state_);
  }
  void update(const void *data, size_t size) {
    XXH3_64bits_update(&state_, data, size);
  }
  uint64_t digest() const { return XXH3_64bits_digest(&state_); }

private:
  XXH3_state_t state_;
};

inline uint64_t headerChecksum(const FileHeader &header) {
  return checksum(&header, offsetof(FileHeader, header_checksum));
}

/// Fills in the checksums of a whole file in memory: `file` starts with a
/// header whose other fields are set, and its body follows.
inline void sealFile(char *file, size_t size) {
  FileHeader header;
  std::memcpy(&header, file, sizeof(header));
  header.body_checksum = checksum(file + kHeaderSize, size - kHeaderSize);
  header.header_checksum = headerChecksum(header);
  std::memcpy(file, &header, sizeof(header));
}

inline uint64_t alignTo(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

} // namespace tessera::tsr

#endif // TESSERA_TSR_FORMAT_H

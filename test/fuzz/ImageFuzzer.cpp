//===- ImageFuzzer.cpp - libFuzzer: image decoding and preparation --------===//
//
// Images come from users: decoding must refuse what it cannot read, and
// what it decodes must be prepared without reading outside its buffers.

#include "tessera/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static tessera_image_processor processor = [] {
    tessera_image_processor p = nullptr;
    tessera_image_processor_create_default(24, 20, &p);
    return p;
  }();
  tessera_image image{};
  if (tessera_image_prepare(processor, data, size, &image) == TESSERA_OK) {
    if (image.height != 24 || image.width != 20)
      __builtin_trap();
    tessera_image_destroy(&image);
  }
  return 0;
}

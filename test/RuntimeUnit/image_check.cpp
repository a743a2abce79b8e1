//===- image_check.cpp - What the image preprocessing makes of a file -----===//
//
// For test/images: prepares an image as a preprocessor_config.json says
// and writes the [1, 3, H, W] floats as .npy, to compare with Pillow and
// numpy doing Hugging Face's steps.
//
//   tessera-image-check IMAGE CONFIG.json OUT.npy
//
//===----------------------------------------------------------------------===//

#include "npy.h"

#include "tessera/image.h"

#include <cstdio>
#include <string>

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: tessera-image-check IMAGE CONFIG OUT.npy\n");
    return 2;
  }
  tessera_image_processor processor = nullptr;
  tessera_image image{};
  if (tessera_image_processor_load(argv[2], &processor) != TESSERA_OK ||
      tessera_image_prepare_file(processor, argv[1], &image) != TESSERA_OK) {
    std::fprintf(stderr, "tessera-image-check: %s\n", tessera_last_error());
    return 1;
  }
  tessera_tensor tensor{};
  tensor.name = "pixel_values";
  tensor.element_type = TESSERA_F32;
  tensor.rank = 4;
  tensor.shape[0] = 1;
  tensor.shape[1] = 3;
  tensor.shape[2] = image.height;
  tensor.shape[3] = image.width;
  tensor.data = image.data;
  tensor.size = size_t(3) * image.height * image.width * sizeof(float);
  std::string error;
  bool written = tessera::npy::write(argv[3], tensor, error);
  tessera_image_destroy(&image);
  tessera_image_processor_destroy(processor);
  if (!written) {
    std::fprintf(stderr, "tessera-image-check: %s\n", error.c_str());
    return 1;
  }
  return 0;
}

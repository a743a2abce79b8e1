/*===- tessera/image.h - Images for vision models
 *----------------------------===
 *
 * Decodes an image (JPEG, PNG, GIF, BMP) and prepares it
 * as a Hugging Face image processor does, from its preprocessor_config.json:
 * resize with Pillow's filters (bit-exact in 8 bits), center-crop, rescale,
 * normalize, channels first. Errors follow runtime.h.
 *
 *===------------------------------------------------------------------------===*/

#ifndef TESSERA_IMAGE_H
#define TESSERA_IMAGE_H

#include "tessera/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tessera_image_processor_t *tessera_image_processor;

/* Reads a preprocessor_config.json (or a directory holding one). */
tessera_status
tessera_image_processor_load(const char *path,
                             tessera_image_processor *out_processor);
/* The image processor a .tsr carries (tessera-compile --image-processor);
 * TESSERA_ERROR_INVALID_ARGUMENT when it carries none. */
tessera_status
tessera_image_processor_from_program(tessera_program program,
                                     tessera_image_processor *out_processor);
/* ViTImageProcessor's defaults for a model taking height x width images:
 * bilinear resize, rescale by 1/255, normalize with mean and std 0.5. */
tessera_status
tessera_image_processor_create_default(uint32_t height, uint32_t width,
                                       tessera_image_processor *out_processor);
void tessera_image_processor_destroy(tessera_image_processor processor);

/* A prepared image: [3][height][width] floats, owned until
 * tessera_image_destroy. */
typedef struct tessera_image {
  uint32_t height;
  uint32_t width;
  float *data;
} tessera_image;

/* Decodes the image file at `path` and prepares it. */
tessera_status tessera_image_prepare_file(tessera_image_processor processor,
                                          const char *path,
                                          tessera_image *out_image);
/* The same for an image file's bytes in memory. */
tessera_status tessera_image_prepare(tessera_image_processor processor,
                                     const void *bytes, size_t size,
                                     tessera_image *out_image);
void tessera_image_destroy(tessera_image *image);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TESSERA_IMAGE_H */

/*===- tessera/runtime.h - Tessera runtime C API ----------------------------===
 *
 * The C interface of the Tessera runtime. Every function that can fail
 * returns a tessera_status; on failure, tessera_last_error() describes what
 * went wrong on the calling thread until that thread's next failing call.
 *
 *===------------------------------------------------------------------------===*/

#ifndef TESSERA_RUNTIME_H
#define TESSERA_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tessera_status {
  TESSERA_OK = 0,
  TESSERA_ERROR_INVALID_ARGUMENT =
      1,                         /* a null pointer, an index out of range */
  TESSERA_ERROR_VULKAN = 2,      /* a Vulkan call failed */
  TESSERA_ERROR_NO_DEVICE = 3,   /* no device matches the request */
  TESSERA_ERROR_UNSUPPORTED = 4, /* a needed layer or feature is missing */
} tessera_status;

/* A short name for a status, e.g. "TESSERA_ERROR_VULKAN". */
const char *tessera_status_string(tessera_status status);

/* The message of the calling thread's last failure ("" if none). */
const char *tessera_last_error(void);

typedef enum tessera_device_type {
  TESSERA_DEVICE_OTHER = 0,
  TESSERA_DEVICE_INTEGRATED_GPU = 1,
  TESSERA_DEVICE_DISCRETE_GPU = 2,
  TESSERA_DEVICE_VIRTUAL_GPU = 3,
  TESSERA_DEVICE_CPU = 4, /* e.g. Mesa's lavapipe */
} tessera_device_type;

/* What the runtime knows about a Vulkan device: the same facts a compiler
 * target profile (#tessera.target) states. Sizes are in bytes. */
typedef struct tessera_device_info {
  char name[256];
  tessera_device_type type;
  uint32_t vendor_id;
  uint32_t device_id;
  uint32_t api_version; /* VK_MAKE_API_VERSION encoding */
  uint32_t subgroup_size;
  uint32_t max_shared_memory;
  uint32_t max_workgroup_invocations;
  uint32_t max_push_constants_size;
  uint64_t max_storage_buffer_range;
  int fp16; /* shaderFloat16 and 16-bit storage buffers */
  int int8; /* shaderInt8 and 8-bit storage buffers */
} tessera_device_info;

typedef struct tessera_instance_options {
  /* Enable the Khronos validation layer and count what it reports. Also
   * enabled by the environment variable TESSERA_VALIDATION=1. */
  int enable_validation;
} tessera_instance_options;

typedef struct tessera_instance_t *tessera_instance;

/* Creates a Vulkan instance and enumerates its devices. `options` may be
 * NULL for the defaults. */
tessera_status tessera_instance_create(const tessera_instance_options *options,
                                       tessera_instance *out_instance);
void tessera_instance_destroy(tessera_instance instance);

uint32_t tessera_instance_device_count(tessera_instance instance);
tessera_status tessera_instance_device_info(tessera_instance instance,
                                            uint32_t index,
                                            tessera_device_info *out_info);

/* Picks a device. `selector` is a device index ("0") or a case-insensitive
 * substring of a device name ("llvmpipe", "nvidia"); NULL or "" falls back
 * to the environment variable TESSERA_DEVICE, then to the default: the first
 * discrete GPU, else the first integrated or virtual GPU, else the first
 * CPU device. */
tessera_status tessera_instance_select_device(tessera_instance instance,
                                              const char *selector,
                                              uint32_t *out_index);

/* Number of validation-layer warnings and errors reported so far (0 when
 * validation is off). */
uint32_t tessera_instance_validation_message_count(tessera_instance instance);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TESSERA_RUNTIME_H */

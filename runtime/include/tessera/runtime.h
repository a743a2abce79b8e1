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
  TESSERA_ERROR_IO = 5,          /* a file cannot be read */
  TESSERA_ERROR_INVALID_MODEL =
      6, /* not a .tsr file, corrupted, wrong version */
  TESSERA_ERROR_INVALID_INPUT = 7, /* wrong input name, type or shape */
  TESSERA_ERROR_OUT_OF_MEMORY = 8,
} tessera_status;

/* A short name for a status, e.g. "TESSERA_ERROR_VULKAN". */
const char *tessera_status_string(tessera_status status);

/* The message of the calling thread's last failure ("" if none). */
const char *tessera_last_error(void);

/* The library's version, "MAJOR.MINOR.PATCH" (tessera/version.h has the
 * version of the headers). */
const char *tessera_version(void);
/* The git revision it was built from: 12 hex digits, "+" after them when
 * the tree had uncommitted changes, "unknown" outside a git checkout. */
const char *tessera_git_revision(void);
/* The .tsr format version it loads (binaries of another version are
 * refused, naming both). */
uint32_t tessera_format_version(void);
/* The three in one line, what every tool's --version prints:
 * "Tessera 0.1.0 (git 0123456789ab), .tsr format 4". */
const char *tessera_version_text(void);

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

/*===------------------------------------------------------------------===*
 * Programs: a compiled model (.tsr) loaded onto a device
 *===------------------------------------------------------------------===*/

typedef enum tessera_element_type {
  TESSERA_F32 = 0,
  TESSERA_I32 = 1,
  TESSERA_BOOL = 2, /* one byte per element on the host */
  TESSERA_F16 = 3,  /* IEEE binary16, two bytes per element */
} tessera_element_type;

/* IEEE binary16 <-> float conversions for filling and reading f16 tensors
 * (round to nearest even; overflow gives infinity, NaN stays NaN). */
float tessera_f16_to_f32(uint16_t value);
uint16_t tessera_f32_to_f16(float value);

#define TESSERA_MAX_RANK 8
/* Pass as device_index to load a program for inspection only. */
#define TESSERA_NO_DEVICE 0xffffffffu

/* A tensor on the host, row-major. In a signature (tessera_program_input),
 * dynamic dimensions are -1 and data is NULL. */
typedef struct tessera_tensor {
  const char *name;
  tessera_element_type element_type;
  uint32_t rank;
  int64_t shape[TESSERA_MAX_RANK];
  const void *data;
  size_t size; /* bytes */
} tessera_tensor;

typedef struct tessera_program_t *tessera_program;

/* Loads a .tsr file: verifies it (header, the checksum of every byte,
 * FlatBuffer, internal references), checks that device `device_index` has
 * what the model needs (the message names what is missing), checks each
 * kernel's SPIR-V (SPIRV-Tools' validator and the interface the runtime
 * binds) before the driver sees it, creates its pipelines (through a
 * pipeline cache kept under ~/.cache/tessera) and uploads the weights.
 * The instance must outlive the program. */
tessera_status tessera_program_load(tessera_instance instance, const char *path,
                                    uint32_t device_index,
                                    tessera_program *out_program);

typedef struct tessera_program_options {
  /* Skip the kernels' SPIR-V checks, for binaries from a source you trust
   * as you would a shared library: they cost about 10 ms per kernel on
   * lavapipe (docs/benchmarks.md). The file's checksum is checked either
   * way. */
  int trust_kernels;
  /* Threads that create the kernels' pipelines at load, where drivers
   * compile the shaders; 0 (the default): one per hardware thread. */
  uint32_t pipeline_threads;
  /* Called (with log_user_data) with a line worth telling the person
   * waiting, or NULL: today, that the driver is about to compile kernels it
   * has not compiled before ("compiling 7 kernels for llvmpipe ... on first
   * use; cached afterwards in ~/.cache/tessera"), which on lavapipe takes
   * seconds per kernel. */
  void (*log)(void *log_user_data, const char *message);
  void *log_user_data;
} tessera_program_options;

/* tessera_program_load with options; `options` may be NULL (the defaults,
 * every check on). */
tessera_status tessera_program_load_with_options(
    tessera_instance instance, const char *path, uint32_t device_index,
    const tessera_program_options *options, tessera_program *out_program);
/* tessera_program_load_with_options for a .tsr in memory (a model shipped
 * inside an application, bytes from elsewhere): the same checks, with
 * `name` (may be NULL) naming it in messages. The bytes are copied; the
 * caller's may be freed when this returns. */
tessera_status tessera_program_load_from_memory(
    tessera_instance instance, const void *data, size_t size, const char *name,
    uint32_t device_index, const tessera_program_options *options,
    tessera_program *out_program);
void tessera_program_destroy(tessera_program program);

/* Signature, target needs and schedule as text (owned by the program). */
const char *tessera_program_describe(tessera_program program);
uint32_t tessera_program_dispatch_count(tessera_program program);

uint32_t tessera_program_input_count(tessera_program program);
uint32_t tessera_program_output_count(tessera_program program);
tessera_status tessera_program_input(tessera_program program, uint32_t index,
                                     tessera_tensor *out_signature);

/* The signature of output `index`, as tessera_program_input gives an
 * input's: dynamic dimensions -1, data NULL. */
tessera_status tessera_program_output_signature(tessera_program program,
                                                uint32_t index,
                                                tessera_tensor *out_signature);

/* A named dynamic dimension ("batch", "seq") and the inclusive bounds the
 * program was compiled for (tessera-compile --dim NAME=MIN:MAX). The name
 * is owned by the program. */
typedef struct tessera_dim_info {
  const char *name;
  int64_t min;
  int64_t max;
} tessera_dim_info;

uint32_t tessera_program_dim_count(tessera_program program);
tessera_status tessera_program_dim_info(tessera_program program, uint32_t index,
                                        tessera_dim_info *out_info);

/* Axis `axis` of input `index` (of output `index` when `output` is
 * non-zero) as text: "256", "seq", "past + seq", "4*seq". Owned by the
 * program. */
tessera_status tessera_program_dim_text(tessera_program program, int output,
                                        uint32_t index, uint32_t axis,
                                        const char **out_text);

/* Runs the model. Inputs are matched by name; a wrong name, element type,
 * rank, size, or a dynamic size beyond the compiled bounds is refused with a
 * message naming the input. */
tessera_status tessera_program_run(tessera_program program,
                                   const tessera_tensor *inputs,
                                   uint32_t input_count);
/* Output `index` of the last run, read from the device when first asked
 * for (outputs nobody reads are never copied); its data stays valid until
 * the next run or the program's destruction. */
tessera_status tessera_program_output(tessera_program program, uint32_t index,
                                      tessera_tensor *out_tensor);
/* Carries an output of each run into an input of the next without the
 * bytes leaving the device: a decoder's present keys and values become its
 * past at the next step. From the next run on, `input` may be left out of
 * tessera_program_run's inputs, and the last run's `output` takes its place
 * (its shape too); given explicitly, the given tensor is used. Element
 * types and ranks must agree. */
tessera_status tessera_program_carry(tessera_program program,
                                     const char *output, const char *input);
/* Forgets what the carries hold (a new sequence starts): the next run needs
 * the carried inputs given. */
tessera_status tessera_program_reset_carried(tessera_program program);

/* Seconds the last run took from submission to completion. */
double tessera_program_last_run_seconds(tessera_program program);

/*===------------------------------------------------------------------===*
 * Dispatches and profiling
 *===------------------------------------------------------------------===*/

/* What one dispatch runs. Strings are owned by the program. `kind` and
 * `ops` are empty for binaries written before they were recorded. */
typedef struct tessera_dispatch_info {
  const char *name;  /* the kernel's entry point, e.g. "dispatch_3" */
  const char *kind;  /* "matmul", "attention", "row_reduction",
                        "elementwise" */
  const char *ops;   /* the fused ops in order, e.g. "layer_norm+linear+add" */
  const char *label; /* kind and ops, or the name: one line for reports */
} tessera_dispatch_info;

tessera_status tessera_program_dispatch_info(tessera_program program,
                                             uint32_t index,
                                             tessera_dispatch_info *out_info);

/* A kernel: one compiled shader, which several dispatches may run (every
 * layer of the same shapes shares one). Strings are owned by the program.
 * Without a device, create_seconds is 0. */
typedef struct tessera_kernel_info {
  const char *name;  /* the entry point */
  const char *label; /* the label of the first dispatch that runs it */
  size_t spirv_bytes;
  uint32_t dispatches;   /* how many dispatches run it */
  double create_seconds; /* wall time of its pipeline's creation at load:
                            the driver's shader compile, unless a cache
                            held it */
  uint32_t barriers;     /* workgroup barriers in its SPIR-V */
  uint32_t loops;        /* structured loops in its SPIR-V */
} tessera_kernel_info;

uint32_t tessera_program_kernel_count(tessera_program program);
tessera_status tessera_program_kernel_info(tessera_program program,
                                           uint32_t index,
                                           tessera_kernel_info *out_info);

/* With profiling on, each run writes a device timestamp before the first
 * dispatch and after every one (a little overhead per dispatch). Fails with
 * TESSERA_ERROR_UNSUPPORTED on a device whose compute queue has no
 * timestamps. */
tessera_status tessera_program_set_profiling(tessera_program program,
                                             int enable);
/* Device seconds of dispatch `index` in the last run, which must have been
 * profiled: from the end of the previous dispatch to the end of this one, so
 * the times add up to the whole run and a barrier counts towards the
 * dispatch that waits on it. */
tessera_status tessera_program_dispatch_seconds(tessera_program program,
                                                uint32_t index,
                                                double *out_seconds);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TESSERA_RUNTIME_H */

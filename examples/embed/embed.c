/* Runs a compiled model through Tessera's C API: load the .tsr on the
 * default device, fill every input, run, print every output's name, shape,
 * mean absolute value and first values.
 *
 *   embed MODEL.tsr [LENGTH]
 *
 * Each dynamic dimension takes LENGTH (default 8). Inputs are made up, the
 * same way in embed.cpp: f32 element i is sin(0.1 i), i32 is i % 7, bool is
 * 1 (masks that show everything). */
#include <tessera/runtime.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what) {
  fprintf(stderr, "embed: %s: %s\n", what, tessera_last_error());
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: embed MODEL.tsr [LENGTH]\n");
    return 2;
  }
  int64_t length = argc > 2 ? atoll(argv[2]) : 8;
  tessera_instance instance;
  tessera_program program;
  uint32_t device;
  if (tessera_instance_create(NULL, &instance) != TESSERA_OK)
    return fail("instance");
  if (tessera_instance_select_device(instance, NULL, &device) != TESSERA_OK ||
      tessera_program_load(instance, argv[1], device, &program) != TESSERA_OK)
    return fail(argv[1]);

  uint32_t count = tessera_program_input_count(program);
  tessera_tensor *inputs = calloc(count, sizeof(tessera_tensor));
  for (uint32_t i = 0; i < count; ++i) {
    tessera_tensor *in = &inputs[i];
    tessera_program_input(program, i, in);
    size_t n = 1;
    for (uint32_t d = 0; d < in->rank; ++d)
      n *= (size_t)(in->shape[d] = in->shape[d] < 0 ? length : in->shape[d]);
    size_t width = in->element_type == TESSERA_BOOL  ? 1
                   : in->element_type == TESSERA_F16 ? 2
                                                     : 4;
    char *data = malloc(n * width);
    for (size_t e = 0; e < n; ++e) {
      if (in->element_type == TESSERA_F32)
        ((float *)data)[e] = sinf(0.1f * (float)e);
      else if (in->element_type == TESSERA_F16)
        ((uint16_t *)data)[e] = tessera_f32_to_f16(sinf(0.1f * (float)e));
      else if (in->element_type == TESSERA_I32)
        ((int32_t *)data)[e] = (int32_t)(e % 7);
      else
        data[e] = 1;
    }
    in->data = data;
    in->size = n * width;
  }
  if (tessera_program_run(program, inputs, count) != TESSERA_OK)
    return fail("run");

  for (uint32_t i = 0; i < tessera_program_output_count(program); ++i) {
    tessera_tensor out;
    if (tessera_program_output(program, i, &out) != TESSERA_OK)
      return fail("output");
    printf("%s [", out.name);
    for (uint32_t d = 0; d < out.rank; ++d)
      printf(d ? " %lld" : "%lld", (long long)out.shape[d]);
    printf("]");
    if (out.element_type == TESSERA_F32) { /* mean |x|, the first values */
      const float *x = out.data;
      size_t n = out.size / 4;
      double sum = 0;
      for (size_t e = 0; e < n; ++e)
        sum += fabs(x[e]);
      printf(" mean|x| %.7g:", n ? sum / n : 0.0);
      for (size_t e = 0; e < 4 && e < n; ++e)
        printf(" %.7g", x[e]);
    }
    printf("\n");
  }
  for (uint32_t i = 0; i < count; ++i)
    free((void *)inputs[i].data);
  free(inputs);
  tessera_program_destroy(program);
  tessera_instance_destroy(instance);
  return 0;
}

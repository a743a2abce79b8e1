/* Generates text with a compiled decoder through Tessera's C API: load the
 * .tsr, take the tokenizer it carries, encode the prompt, and stream the new
 * tokens as tessera_generate produces them.
 *
 *   generate MODEL.tsr "Once upon a time" [MAX_TOKENS]
 */
#include <tessera/generate.h>

#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what) {
  fprintf(stderr, "generate: %s: %s\n", what, tessera_last_error());
  return 1;
}

static int print_token(void *user_data, int32_t id, const char *text) {
  (void)user_data;
  (void)id;
  fputs(text, stdout);
  fflush(stdout);
  return 0; /* go on */
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: generate MODEL.tsr PROMPT [MAX_TOKENS]\n");
    return 2;
  }
  tessera_instance instance = NULL;
  tessera_program program = NULL;
  tessera_tokenizer tokenizer = NULL;
  uint32_t device = 0;
  if (tessera_instance_create(NULL, &instance) != TESSERA_OK)
    return fail("instance");
  if (tessera_instance_select_device(instance, NULL, &device) != TESSERA_OK ||
      tessera_program_load(instance, argv[1], device, &program) != TESSERA_OK)
    return fail("load");
  if (tessera_tokenizer_from_program(program, &tokenizer) != TESSERA_OK)
    return fail("tokenizer");

  tessera_encoding prompt;
  const char *texts[] = {argv[2]};
  if (tessera_tokenizer_encode(tokenizer, texts, NULL, 1, 1, &prompt) !=
      TESSERA_OK)
    return fail("encode");

  tessera_generation_options options = {0};
  options.max_new_tokens = argc > 3 ? (uint32_t)atoi(argv[3]) : 32;
  options.tokenizer = tokenizer; /* its end-of-sequence token stops */
  options.on_token = print_token;
  tessera_generation_result result;
  fputs(argv[2], stdout);
  if (tessera_generate(program, prompt.ids, prompt.length, &options, &result) !=
      TESSERA_OK)
    return fail("generate");
  printf("\n%u tokens, %.1f tokens/s\n", result.count,
         result.decode_seconds > 0 ? (result.count - 1) / result.decode_seconds
                                   : 0.0);

  tessera_generation_result_destroy(&result);
  tessera_encoding_destroy(&prompt);
  tessera_tokenizer_destroy(tokenizer);
  tessera_program_destroy(program);
  tessera_instance_destroy(instance);
  return 0;
}

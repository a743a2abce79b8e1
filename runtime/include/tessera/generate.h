/*===- tessera/generate.h - Text generation with a decoder ----------------===
 *
 * The decoding loop around a compiled decoder with past keys and values
 * (GPT-2 exported with past_key_values): a prefill of the prompt, then one
 * token per step, the key/value cache carried from step to step on the
 * device (tessera_program_carry). Greedy or sampled (temperature, top-k,
 * top-p, repetition penalty, seed); stops at an end-of-sequence token, a
 * stop string, the token budget, or the context the binary was compiled
 * for.
 *
 *===------------------------------------------------------------------------===*/

#ifndef TESSERA_GENERATE_H
#define TESSERA_GENERATE_H

#include "tessera/runtime.h"
#include "tessera/tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tessera_generation_options {
  uint32_t max_new_tokens;  /* 0: the default, 64 */
  float temperature;        /* 0: greedy decoding */
  uint32_t top_k;           /* 0: no top-k filter */
  float top_p;              /* 0 or 1: no nucleus filter */
  float repetition_penalty; /* 0 or 1: none; > 1 discourages repeats */
  uint64_t seed;            /* of the sampler; the same seed, the same text */
  /* Ends generation, besides the tokenizer's end-of-sequence token (when a
   * tokenizer is given): ids, and strings of the decoded text (which need
   * a tokenizer). The stop token is kept; a stop string's text is too. */
  const int32_t *stop_ids;
  uint32_t stop_id_count;
  const char *const *stop_strings;
  uint32_t stop_string_count;
  /* Decodes text for stop strings and for on_token; may be NULL. */
  tessera_tokenizer tokenizer;
  /* Called for each new token with the text it completes (UTF-8; "" while
   * a character is incomplete, or without a tokenizer). Return non-zero to
   * stop. May be NULL. */
  int (*on_token)(void *user_data, int32_t id, const char *text);
  void *user_data;
  /* The same decoder compiled for one token per step (tessera-compile
   * --dim seq=1), for the steps: a program's tiles are sized for its
   * bounds, so a binary that also runs prompts runs steps several times
   * slower. The cache moves to it once, after the prompt. NULL: the steps
   * run on `program`. */
  tessera_program step_program;
  /* Inputs the decoder takes besides its tokens, the same at every step:
   * an encoder's output, image features, their masks. */
  const tessera_tensor *inputs;
  uint32_t input_count;
} tessera_generation_options;

typedef enum tessera_stop_reason {
  TESSERA_STOP_MAX_TOKENS = 0,
  TESSERA_STOP_END_OF_SEQUENCE = 1, /* an end-of-sequence or stop id */
  TESSERA_STOP_STRING = 2,
  TESSERA_STOP_CONTEXT = 3, /* the context the binary was compiled for */
  TESSERA_STOP_CALLBACK = 4,
} tessera_stop_reason;

typedef struct tessera_generation_result {
  int32_t *ids; /* the new tokens (the prompt not included) */
  uint32_t count;
  tessera_stop_reason stop_reason;
  uint32_t prompt_tokens;
  double prefill_seconds;       /* wall time of the prompt's run */
  double decode_seconds;        /* wall time of the one-token steps */
  double decode_device_seconds; /* of which on the device queue */
} tessera_generation_result;

/* Generates from `prompt` (token ids, batch 1). The program must be a
 * decoder whose inputs are input_ids [batch, seq], optionally
 * attention_mask [batch, past + seq] and position_ids [batch, seq], past
 * keys and values whose names contain "past" with a dimension that may be
 * 0 (tessera-compile allows it for a cache by itself), and options->inputs
 * for any other; its outputs are "logits" [batch, seq, vocab] and, for each
 * past input, a present output of the same name with "present" for
 * "past_key_values" or "past". A decoder without past inputs runs the
 * whole sequence again at each step. A prompt longer than the binary's
 * bounds is refused with the flag that would fit it. */
tessera_status tessera_generate(tessera_program program, const int32_t *prompt,
                                uint32_t prompt_length,
                                const tessera_generation_options *options,
                                tessera_generation_result *out_result);
void tessera_generation_result_destroy(tessera_generation_result *result);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TESSERA_GENERATE_H */

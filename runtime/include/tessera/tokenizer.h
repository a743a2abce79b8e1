/*===- tessera/tokenizer.h - Tokenizers in the Tessera runtime -------------===
 *
 * Text to token ids and back, as Hugging Face's tokenizer.json declares it
 * (or BERT's vocab.txt, GPT-2's vocab.json + merges.txt): the same ids,
 * offsets and masks as the `tokenizers` library. Errors follow runtime.h:
 * a tessera_status, and tessera_last_error() says what and where.
 *
 *===------------------------------------------------------------------------===*/

#ifndef TESSERA_TOKENIZER_H
#define TESSERA_TOKENIZER_H

#include "tessera/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tessera_tokenizer_t *tessera_tokenizer;

/* Loads a tokenizer from a directory holding tokenizer.json (or vocab.txt,
 * or vocab.json + merges.txt; tokenizer_config.json is read beside them),
 * or from one tokenizer.json / vocab.txt file. */
tessera_status tessera_tokenizer_load(const char *path,
                                      tessera_tokenizer *out_tokenizer);
/* The tokenizer a .tsr carries (tessera-compile --tokenizer DIR);
 * TESSERA_ERROR_INVALID_ARGUMENT when it carries none. The program may be
 * destroyed afterwards. */
tessera_status tessera_tokenizer_from_program(tessera_program program,
                                              tessera_tokenizer *out_tokenizer);
void tessera_tokenizer_destroy(tessera_tokenizer tokenizer);

/* The files a tokenizer at `path` consists of, as tessera_tokenizer_load
 * reads them (after checking that they load): calls `visit` with each
 * file's name ("tokenizer.json") and bytes. tessera-compile --tokenizer
 * embeds them in the .tsr this way. */
tessera_status
tessera_tokenizer_read_files(const char *path,
                             void (*visit)(void *user_data, const char *name,
                                           const void *data, size_t size),
                             void *user_data);

/* Truncation to max_length tokens, special tokens included (0: none,
 * unless the tokenizer's files ask for it). */
tessera_status tessera_tokenizer_set_truncation(tessera_tokenizer tokenizer,
                                                uint32_t max_length);
/* Padding of a batch: to `length` tokens (0: the longest text), on the
 * left when `left` is non-zero. Without this call a batch is padded to
 * its longest text, as the tokenizer's files say. */
tessera_status tessera_tokenizer_set_padding(tessera_tokenizer tokenizer,
                                             uint32_t length, int left);

/* The tokens of a batch of texts, each row padded to one length. Arrays
 * are row-major [rows][length] and stay valid until the encoding is
 * destroyed. */
typedef struct tessera_encoding {
  uint32_t rows;
  uint32_t length;
  const int32_t *ids;
  const int32_t *type_ids;
  const int32_t *attention_mask;      /* 1 for tokens, 0 for padding */
  const int32_t *special_tokens_mask; /* 1 for special and padding tokens */
  const int32_t *sequence_ids; /* 0 text, 1 its pair, -1 special/padding */
  /* [rows][length][2]: the bytes of the token in its text ([begin, end));
   * [0, 0) for special and padding tokens. */
  const uint32_t *offsets;
  void *internal;
} tessera_encoding;

/* Encodes `count` texts, and with `pairs` (or NULL) a second text each
 * (BERT's sentence pairs). With add_special_tokens, the post-processor's
 * tokens ([CLS] ... [SEP]) are added. Text must be UTF-8. */
tessera_status tessera_tokenizer_encode(tessera_tokenizer tokenizer,
                                        const char *const *texts,
                                        const char *const *pairs,
                                        uint32_t count, int add_special_tokens,
                                        tessera_encoding *out_encoding);
void tessera_encoding_destroy(tessera_encoding *encoding);

/* Decodes `count` ids into UTF-8 text. Writes at most `capacity` bytes
 * (NUL included) into `buffer` and the full length (without the NUL) into
 * *out_length, as snprintf does: call with capacity 0 to size a buffer. */
tessera_status tessera_tokenizer_decode(tessera_tokenizer tokenizer,
                                        const int32_t *ids, uint32_t count,
                                        int skip_special_tokens, char *buffer,
                                        size_t capacity, size_t *out_length);

/* The id of a token, or TESSERA_ERROR_INVALID_ARGUMENT. */
tessera_status tessera_tokenizer_token_to_id(tessera_tokenizer tokenizer,
                                             const char *token,
                                             int32_t *out_id);
uint32_t tessera_tokenizer_vocab_size(tessera_tokenizer tokenizer);
/* The end-of-sequence token's id; TESSERA_ERROR_INVALID_ARGUMENT when the
 * tokenizer's files name none. */
tessera_status tessera_tokenizer_eos_id(tessera_tokenizer tokenizer,
                                        int32_t *out_id);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TESSERA_TOKENIZER_H */

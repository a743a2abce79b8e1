//===- TokenizerFuzzer.cpp - libFuzzer: tokenizer.json and encoding -------===//
//
// A tokenizer.json travels inside a .tsr from anywhere: loading it must
// refuse what it cannot use, and a tokenizer that loads must encode and
// decode any text without reading outside its buffers.

#include "tessera/tokenizer.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The loader reads files: one per process, rewritten for each input.
  static std::string path =
      "/tmp/tessera-fuzz-tokenizer-" + std::to_string(::getpid()) + ".json";
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return 0;
  std::fwrite(data, 1, size, file);
  std::fclose(file);
  tessera_tokenizer tokenizer = nullptr;
  if (tessera_tokenizer_load(path.c_str(), &tokenizer) != TESSERA_OK)
    return 0;
  const char *texts[] = {"Héllo wörld! It's 2026 — 日本語 😀 [CLS] <s>",
                         "  tabs\tand\nlines  "};
  const char *pairs[] = {"a pair", ""};
  tessera_encoding encoding{};
  if (tessera_tokenizer_encode(tokenizer, texts, pairs, 2, 1, &encoding) ==
      TESSERA_OK) {
    size_t length = 0;
    tessera_tokenizer_decode(tokenizer, encoding.ids, encoding.length, 0,
                             nullptr, 0, &length);
    tessera_encoding_destroy(&encoding);
  }
  tessera_tokenizer_destroy(tokenizer);
  return 0;
}

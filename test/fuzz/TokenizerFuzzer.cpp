//===- TokenizerFuzzer.cpp - libFuzzer: tokenizer.json and encoding -------===//
//
// A tokenizer's files travel inside a .tsr from anywhere: loading them must
// refuse what it cannot use, and a tokenizer that loads must encode and
// decode any text without reading outside its buffers.

#include "tessera/tokenizer.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {
void writeFile(const std::string &path, const uint8_t *data, size_t size) {
  if (FILE *file = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, file);
    std::fclose(file);
  }
}
} // namespace

/// An input starting with byte 1 is a tokenizer_config.json beside a fixed
/// vocab.txt (the older file set, whose settings it holds); any other is a
/// tokenizer.json.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The loader reads files: one folder per process, rewritten for each
  // input.
  static const std::string dir =
      "/tmp/tessera-fuzz-tokenizer-" + std::to_string(::getpid());
  static bool made = [] {
    std::string command = "mkdir -p " + dir;
    return std::system(command.c_str()) == 0;
  }();
  if (!made)
    return 0;
  std::remove((dir + "/tokenizer.json").c_str());
  std::remove((dir + "/vocab.txt").c_str());
  std::remove((dir + "/tokenizer_config.json").c_str());
  if (size > 0 && data[0] == 1) {
    static const char vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n##s\n!\n";
    writeFile(dir + "/vocab.txt", reinterpret_cast<const uint8_t *>(vocab),
              sizeof(vocab) - 1);
    writeFile(dir + "/tokenizer_config.json", data + 1, size - 1);
  } else {
    writeFile(dir + "/tokenizer.json", data, size);
  }
  tessera_tokenizer tokenizer = nullptr;
  if (tessera_tokenizer_load(dir.c_str(), &tokenizer) != TESSERA_OK)
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

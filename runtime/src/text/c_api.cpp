//===- c_api.cpp - The C API over the tokenizers --------------------------===//

#include "handles.h"
#include "text/tokenizer.h"

#include "tessera/tokenizer.h"

#include <cstring>
#include <new>

using tessera::runtime::invalidArgument;
using tessera::runtime::reportStatus;
using tessera::runtime::Status;
using tessera::text::Encoding;
using tessera::text::Tokenizer;

struct tessera_tokenizer_t {
  std::unique_ptr<Tokenizer> impl;
};

namespace {
/// The arrays a tessera_encoding points into.
struct EncodingStorage {
  std::vector<int32_t> ids, typeIds, attentionMask, specialTokensMask,
      sequenceIds;
  std::vector<uint32_t> offsets;
};

tessera_status wrap(std::unique_ptr<Tokenizer> tokenizer,
                    tessera_tokenizer *out) {
  auto handle = std::unique_ptr<tessera_tokenizer_t>(new (std::nothrow)
                                                         tessera_tokenizer_t);
  if (!handle)
    return reportStatus(Status(TESSERA_ERROR_OUT_OF_MEMORY, "out of memory"));
  handle->impl = std::move(tokenizer);
  *out = handle.release();
  return TESSERA_OK;
}
} // namespace

extern "C" {

tessera_status tessera_tokenizer_load(const char *path,
                                      tessera_tokenizer *out_tokenizer) {
  if (!path || !out_tokenizer)
    return reportStatus(
        invalidArgument("tessera_tokenizer_load: path or out_tokenizer is "
                        "NULL"));
  *out_tokenizer = nullptr;
  std::unique_ptr<Tokenizer> tokenizer;
  if (Status s = Tokenizer::fromPath(path, tokenizer); !s.isOk())
    return reportStatus(s);
  return wrap(std::move(tokenizer), out_tokenizer);
}

tessera_status
tessera_tokenizer_from_program(tessera_program program,
                               tessera_tokenizer *out_tokenizer) {
  if (!program || !out_tokenizer)
    return reportStatus(invalidArgument(
        "tessera_tokenizer_from_program: program or out_tokenizer is NULL"));
  *out_tokenizer = nullptr;
  const auto &model = program->program->model();
  auto files = model.resources("tokenizer/");
  if (files.empty())
    return reportStatus(invalidArgument(
        model.name() + " carries no tokenizer (compile it with "
                       "tessera-compile --tokenizer DIR, or give one with "
                       "--tokenizer)"));
  std::unique_ptr<Tokenizer> tokenizer;
  if (Status s = Tokenizer::fromFiles(files, tokenizer); !s.isOk())
    return reportStatus(
        Status(s.code(), model.name() + ": its tokenizer: " + s.message()));
  return wrap(std::move(tokenizer), out_tokenizer);
}

void tessera_tokenizer_destroy(tessera_tokenizer tokenizer) {
  delete tokenizer;
}

tessera_status
tessera_tokenizer_read_files(const char *path,
                             void (*visit)(void *user_data, const char *name,
                                           const void *data, size_t size),
                             void *user_data) {
  if (!path || !visit)
    return reportStatus(
        invalidArgument("tessera_tokenizer_read_files: path or visit is NULL"));
  std::map<std::string, std::string> files;
  if (Status s = Tokenizer::readFiles(path, files); !s.isOk())
    return reportStatus(s);
  std::unique_ptr<Tokenizer> tokenizer;
  if (Status s = Tokenizer::fromFiles(files, tokenizer); !s.isOk())
    return reportStatus(
        Status(s.code(), std::string(path) + ": " + s.message()));
  for (const auto &[name, data] : files)
    visit(user_data, name.c_str(), data.data(), data.size());
  return TESSERA_OK;
}

tessera_status tessera_tokenizer_set_truncation(tessera_tokenizer tokenizer,
                                                uint32_t max_length) {
  if (!tokenizer)
    return reportStatus(
        invalidArgument("tessera_tokenizer_set_truncation: NULL tokenizer"));
  tokenizer->impl->truncation.maxLength = max_length;
  return TESSERA_OK;
}

tessera_status tessera_tokenizer_set_padding(tessera_tokenizer tokenizer,
                                             uint32_t length, int left) {
  if (!tokenizer)
    return reportStatus(
        invalidArgument("tessera_tokenizer_set_padding: NULL tokenizer"));
  auto &padding = tokenizer->impl->padding;
  padding.enabled = true;
  padding.length = length;
  padding.side = left ? tessera::text::Side::Left : tessera::text::Side::Right;
  return TESSERA_OK;
}

tessera_status tessera_tokenizer_encode(tessera_tokenizer tokenizer,
                                        const char *const *texts,
                                        const char *const *pairs,
                                        uint32_t count, int add_special_tokens,
                                        tessera_encoding *out_encoding) {
  if (!tokenizer || !texts || !out_encoding)
    return reportStatus(invalidArgument(
        "tessera_tokenizer_encode: tokenizer, texts or out_encoding is "
        "NULL"));
  std::memset(out_encoding, 0, sizeof(*out_encoding));
  std::vector<std::string> textList, pairList;
  for (uint32_t i = 0; i < count; ++i) {
    if (!texts[i] || (pairs && !pairs[i]))
      return reportStatus(invalidArgument("tessera_tokenizer_encode: text " +
                                          std::to_string(i) + " is NULL"));
    textList.push_back(texts[i]);
    if (pairs)
      pairList.push_back(pairs[i]);
  }
  std::vector<Encoding> encodings;
  if (Status s = tokenizer->impl->encodeBatch(
          textList, pairList, add_special_tokens != 0, encodings);
      !s.isOk())
    return reportStatus(s);

  auto storage = std::make_unique<EncodingStorage>();
  uint32_t length = encodings.empty() ? 0 : encodings[0].size();
  for (const Encoding &e : encodings) {
    auto add = [](std::vector<int32_t> &to, const std::vector<int32_t> &from) {
      to.insert(to.end(), from.begin(), from.end());
    };
    add(storage->ids, e.ids);
    add(storage->typeIds, e.typeIds);
    add(storage->attentionMask, e.attentionMask);
    add(storage->specialTokensMask, e.specialTokensMask);
    add(storage->sequenceIds, e.sequenceIds);
    for (const auto &span : e.offsets) {
      storage->offsets.push_back(span.begin);
      storage->offsets.push_back(span.end);
    }
  }
  out_encoding->rows = count;
  out_encoding->length = length;
  out_encoding->ids = storage->ids.data();
  out_encoding->type_ids = storage->typeIds.data();
  out_encoding->attention_mask = storage->attentionMask.data();
  out_encoding->special_tokens_mask = storage->specialTokensMask.data();
  out_encoding->sequence_ids = storage->sequenceIds.data();
  out_encoding->offsets = storage->offsets.data();
  out_encoding->internal = storage.release();
  return TESSERA_OK;
}

void tessera_encoding_destroy(tessera_encoding *encoding) {
  if (!encoding)
    return;
  delete static_cast<EncodingStorage *>(encoding->internal);
  std::memset(encoding, 0, sizeof(*encoding));
}

tessera_status tessera_tokenizer_decode(tessera_tokenizer tokenizer,
                                        const int32_t *ids, uint32_t count,
                                        int skip_special_tokens, char *buffer,
                                        size_t capacity, size_t *out_length) {
  if (!tokenizer || (!ids && count) || (!buffer && capacity) || !out_length)
    return reportStatus(
        invalidArgument("tessera_tokenizer_decode: a NULL argument"));
  std::string text;
  if (Status s = tokenizer->impl->decode(std::vector<int32_t>(ids, ids + count),
                                         skip_special_tokens != 0, text);
      !s.isOk())
    return reportStatus(s);
  *out_length = text.size();
  if (capacity) {
    size_t n = std::min(capacity - 1, text.size());
    std::memcpy(buffer, text.data(), n);
    buffer[n] = '\0';
  }
  return TESSERA_OK;
}

tessera_status tessera_tokenizer_token_to_id(tessera_tokenizer tokenizer,
                                             const char *token,
                                             int32_t *out_id) {
  if (!tokenizer || !token || !out_id)
    return reportStatus(
        invalidArgument("tessera_tokenizer_token_to_id: a NULL argument"));
  auto id = tokenizer->impl->tokenToId(token);
  if (!id)
    return reportStatus(invalidArgument(std::string("the token \"") + token +
                                        "\" is not in the vocabulary"));
  *out_id = *id;
  return TESSERA_OK;
}

uint32_t tessera_tokenizer_vocab_size(tessera_tokenizer tokenizer) {
  return tokenizer ? static_cast<uint32_t>(tokenizer->impl->vocabSize()) : 0;
}

tessera_status tessera_tokenizer_eos_id(tessera_tokenizer tokenizer,
                                        int32_t *out_id) {
  if (!tokenizer || !out_id)
    return reportStatus(
        invalidArgument("tessera_tokenizer_eos_id: a NULL argument"));
  if (!tokenizer->impl->eosId)
    return reportStatus(
        invalidArgument("the tokenizer's files name no end-of-sequence token"));
  *out_id = *tokenizer->impl->eosId;
  return TESSERA_OK;
}

} // extern "C"

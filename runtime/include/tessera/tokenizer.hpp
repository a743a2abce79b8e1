//===- tessera/tokenizer.hpp - Thin C++ wrapper of tokenizer.h --*- C++ -*-===//
//
// RAII handles over tokenizer.h; failures throw tessera::Error.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_TOKENIZER_HPP
#define TESSERA_TOKENIZER_HPP

#include "tessera/runtime.hpp"
#include "tessera/tokenizer.h"

#include <optional>

namespace tessera {

/// A batch of encoded texts; see tessera_encoding.
class Encoding {
public:
  Encoding() = default;
  Encoding(const Encoding &) = delete;
  Encoding &operator=(const Encoding &) = delete;
  Encoding(Encoding &&other) noexcept : raw_(other.raw_) { other.raw_ = {}; }
  ~Encoding() { tessera_encoding_destroy(&raw_); }

  uint32_t rows() const { return raw_.rows; }
  uint32_t length() const { return raw_.length; }
  const tessera_encoding &raw() const { return raw_; }
  tessera_encoding *out() { return &raw_; }

  std::vector<int32_t> ids(uint32_t row) const { return rowOf(raw_.ids, row); }
  std::vector<int32_t> attentionMask(uint32_t row) const {
    return rowOf(raw_.attention_mask, row);
  }

private:
  std::vector<int32_t> rowOf(const int32_t *data, uint32_t row) const {
    return std::vector<int32_t>(data + size_t(row) * raw_.length,
                                data + size_t(row + 1) * raw_.length);
  }
  tessera_encoding raw_{};
};

class Tokenizer {
public:
  /// A tokenizer directory or file (tessera_tokenizer_load).
  explicit Tokenizer(const std::string &path) {
    tessera_tokenizer raw = nullptr;
    check(tessera_tokenizer_load(path.c_str(), &raw));
    handle_.reset(raw);
  }
  /// The tokenizer a program carries.
  explicit Tokenizer(const Program &program) {
    tessera_tokenizer raw = nullptr;
    check(tessera_tokenizer_from_program(program.get(), &raw));
    handle_.reset(raw);
  }

  Encoding encode(const std::vector<std::string> &texts,
                  const std::vector<std::string> &pairs = {},
                  bool addSpecialTokens = true) const {
    std::vector<const char *> t, p;
    for (const std::string &text : texts)
      t.push_back(text.c_str());
    for (const std::string &pair : pairs)
      p.push_back(pair.c_str());
    Encoding encoding;
    check(tessera_tokenizer_encode(get(), t.data(),
                                   p.empty() ? nullptr : p.data(),
                                   static_cast<uint32_t>(t.size()),
                                   addSpecialTokens ? 1 : 0, encoding.out()));
    return encoding;
  }

  std::string decode(const std::vector<int32_t> &ids,
                     bool skipSpecialTokens = false) const {
    size_t length = 0;
    check(tessera_tokenizer_decode(get(), ids.data(),
                                   static_cast<uint32_t>(ids.size()),
                                   skipSpecialTokens, nullptr, 0, &length));
    std::string text(length + 1, '\0');
    check(tessera_tokenizer_decode(
        get(), ids.data(), static_cast<uint32_t>(ids.size()), skipSpecialTokens,
        text.data(), text.size(), &length));
    text.resize(length);
    return text;
  }

  void setTruncation(uint32_t maxLength) {
    check(tessera_tokenizer_set_truncation(get(), maxLength));
  }
  void setPadding(uint32_t length, bool left = false) {
    check(tessera_tokenizer_set_padding(get(), length, left));
  }
  std::optional<int32_t> eosId() const {
    int32_t id = 0;
    if (tessera_tokenizer_eos_id(get(), &id) != TESSERA_OK)
      return std::nullopt;
    return id;
  }
  uint32_t vocabSize() const { return tessera_tokenizer_vocab_size(get()); }

  tessera_tokenizer get() const { return handle_.get(); }

private:
  struct Deleter {
    void operator()(tessera_tokenizer t) const { tessera_tokenizer_destroy(t); }
  };
  std::unique_ptr<tessera_tokenizer_t, Deleter> handle_;
};

} // namespace tessera

#endif // TESSERA_TOKENIZER_HPP

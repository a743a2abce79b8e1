//===- pipeline.h - The stages of a tokenizer -------------------*- C++ -*-===//
//
// A tokenizer runs the stages Hugging Face's tokenizer.json declares:
// normalizer → pre-tokenizer → model → post-processor, and a decoder back.
// Each stage is built from its JSON object by a make* function that refuses
// what it does not know by name. Text carries, for every code point, the
// bytes of the user's input it came from, so that tokens report offsets into
// that input whatever the normalizer did.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_TEXT_PIPELINE_H
#define TESSERA_RUNTIME_TEXT_PIPELINE_H

#include "status.h"
#include "text/unicode.h"

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace tessera::text {

using runtime::Status;

/// A "tokenizer.json: ..." error (TESSERA_ERROR_INVALID_MODEL).
Status invalidTokenizer(const std::string &message);

/// A boolean field of a tokenizer.json object: `fallback` where it is
/// missing or null. Any other value that is not a boolean throws, and the
/// loader refuses the file naming a field of the wrong type (as the
/// `tokenizers` library refuses it).
bool optionalFlag(const nlohmann::json &object, const char *key, bool fallback);

/// Text being tokenized: code points, each with the input bytes it came
/// from (a code point a normalizer inserted takes those of its neighbour).
struct AlignedText {
  std::u32string chars;
  std::vector<Span> spans;

  size_t size() const { return chars.size(); }
  bool empty() const { return chars.empty(); }
  void push(char32_t c, Span span) {
    chars.push_back(c);
    spans.push_back(span);
  }
  AlignedText slice(size_t begin, size_t end) const;
  std::string utf8() const { return toUtf8(chars); }
  /// The input bytes of code points [begin, end).
  Span inputSpan(size_t begin, size_t end) const {
    return {spans[begin].begin, spans[end - 1].end};
  }
};

/// A compiled PCRE2 pattern (UTF-8, Unicode properties, JIT where it can).
class Regex {
public:
  static Status compile(const std::string &pattern, const std::string &where,
                        std::shared_ptr<const Regex> &out);
  ~Regex();
  /// The non-empty matches in `text`, as ranges of code points.
  std::vector<std::pair<size_t, size_t>> findAll(const AlignedText &text) const;

private:
  Regex() = default;
  void *code_ = nullptr; // pcre2_code_8
};

/// The literal `pattern` or a Regex, as tokenizer.json's {"String": ..} or
/// {"Regex": ..} objects say.
struct Pattern {
  std::u32string literal;
  std::shared_ptr<const Regex> regex;
  std::vector<std::pair<size_t, size_t>> findAll(const AlignedText &text) const;
};
Status makePattern(const nlohmann::json &json, const std::string &where,
                   Pattern &out);

using Normalizer = std::function<void(AlignedText &)>;
Status makeNormalizer(const nlohmann::json &json, Normalizer &out);

/// Replaces each piece of `pieces` with the pieces it splits into.
using PreTokenizer = std::function<void(std::vector<AlignedText> &pieces)>;
Status makePreTokenizer(const nlohmann::json &json, PreTokenizer &out);

/// What to do with the parts of a text a pattern matched (Hugging Face's
/// SplitDelimiterBehavior).
enum class SplitBehavior {
  Removed,
  Isolated,
  MergedWithPrevious,
  MergedWithNext,
  Contiguous
};
/// Splits `text` at `matches` (ranges of code points); with `invert` the
/// matches are the pieces kept and the text between them the delimiters.
void splitAt(const AlignedText &text,
             const std::vector<std::pair<size_t, size_t>> &matches,
             SplitBehavior behavior, bool invert,
             std::vector<AlignedText> &out);

/// A token of one piece: its id, its text, and the code points of the
/// piece it covers.
struct Token {
  int32_t id = 0;
  std::string value;
  size_t begin = 0;
  size_t end = 0;
};

/// A vocabulary model: WordPiece, BPE or WordLevel.
class Model {
public:
  virtual ~Model() = default;
  virtual Status tokenize(const AlignedText &piece,
                          std::vector<Token> &out) const = 0;
  std::optional<int32_t> tokenToId(const std::string &token) const;
  const std::string *idToToken(int32_t id) const;
  size_t vocabSize() const { return idToToken_.size(); }

protected:
  /// Fills the vocabulary from a JSON object of token → id.
  Status setVocabulary(const nlohmann::json &vocab, const std::string &where);
  std::unordered_map<std::string, int32_t> vocab_;
  std::unordered_map<int32_t, std::string> idToToken_;
};
Status makeModel(const nlohmann::json &json, std::unique_ptr<Model> &out);

/// Turns tokens back into text pieces, step by step (Hugging Face's
/// decode_chain); the pieces are then concatenated.
using Decoder = std::function<void(std::vector<std::string> &tokens)>;
Status makeDecoder(const nlohmann::json &json, Decoder &out);

/// The byte ↔ printable code point mapping of byte-level BPE (GPT-2).
char32_t byteToChar(uint8_t byte);
/// The byte `c` stands for, or -1 when it is not one of the 256.
int charToByte(char32_t c);

} // namespace tessera::text

#endif // TESSERA_RUNTIME_TEXT_PIPELINE_H

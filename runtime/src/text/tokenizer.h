//===- tokenizer.h - Text to token ids and back -----------------*- C++ -*-===//
//
// A tokenizer as Hugging Face's tokenizer.json declares it, or as the older
// file sets imply (vocab.txt for BERT's WordPiece; vocab.json + merges.txt
// for GPT-2's byte-level BPE). It gives the same ids, offsets and masks as
// the `tokenizers` library (test/tokenizers checks that on real vocabularies).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_TEXT_TOKENIZER_H
#define TESSERA_RUNTIME_TEXT_TOKENIZER_H

#include "text/pipeline.h"

#include <map>

namespace tessera::text {

/// The tokens of one text (or pair of texts), after the post-processor's
/// special tokens, truncation and padding.
struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> typeIds;
  std::vector<std::string> tokens;
  /// Input bytes of each token, in the text its sequence id names; special
  /// and padding tokens have [0, 0).
  std::vector<Span> offsets;
  std::vector<int32_t> sequenceIds; // 0, 1, or -1 for special tokens
  std::vector<int32_t> specialTokensMask;
  std::vector<int32_t> attentionMask;

  size_t size() const { return ids.size(); }
  void append(const Encoding &other);
};

enum class Side { Left, Right };

/// One special token as a one-token Encoding (offsets [0, 0)).
Encoding specialToken(int32_t id, const std::string &token, int32_t typeId);

/// A post-processor: the special tokens it adds around one sequence
/// (pair = false) or two, and the merge of the sequences' encodings.
struct PostProcessor {
  std::function<size_t(bool pair)> added;
  std::function<Encoding(Encoding, Encoding *, bool addSpecial)> process;
};
Status makePostProcessor(const nlohmann::json &json, PostProcessor &out);

struct TruncationOptions {
  size_t maxLength = 0; // 0: no truncation
  enum class Strategy {
    LongestFirst,
    OnlyFirst,
    OnlySecond
  } strategy = Strategy::LongestFirst;
  Side side = Side::Right;
};

struct PaddingOptions {
  bool enabled = false;
  size_t length = 0; // 0: the longest of the batch
  size_t multipleOf = 0;
  Side side = Side::Right;
  int32_t padId = 0;
  int32_t padTypeId = 0;
  std::string padToken = "[PAD]";
};

class Tokenizer {
public:
  /// Files by name ("tokenizer.json", "vocab.txt", "vocab.json",
  /// "merges.txt", "tokenizer_config.json", "special_tokens_map.json") →
  /// contents; tokenizer.json wins where several sets are present.
  static Status fromFiles(const std::map<std::string, std::string> &files,
                          std::unique_ptr<Tokenizer> &out);
  /// A directory holding such files, or one tokenizer.json / vocab.txt.
  static Status fromPath(const std::string &path,
                         std::unique_ptr<Tokenizer> &out);
  /// The tokenizer files fromPath would read, by name.
  static Status readFiles(const std::string &path,
                          std::map<std::string, std::string> &files);

  Status encode(std::string_view text, const std::string_view *pair,
                bool addSpecialTokens, Encoding &out) const;
  /// Encodes each text (and its pair, when `pairs` is not empty) and pads
  /// them to one length as the padding options say (to the longest when
  /// padding is off, so that they form a batch).
  Status encodeBatch(const std::vector<std::string> &texts,
                     const std::vector<std::string> &pairs,
                     bool addSpecialTokens, std::vector<Encoding> &out) const;
  Status decode(const std::vector<int32_t> &ids, bool skipSpecialTokens,
                std::string &out) const;

  std::optional<int32_t> tokenToId(const std::string &token) const;
  const std::string *idToToken(int32_t id) const;
  size_t vocabSize() const;
  bool isSpecial(int32_t id) const;

  TruncationOptions truncation;
  PaddingOptions padding;
  /// The end-of-sequence token's id, where the files name one
  /// (tokenizer_config.json's eos_token, else a conventional name).
  std::optional<int32_t> eosId;

private:
  struct AddedToken {
    int32_t id;
    std::string content;
    std::u32string match; // content, normalized when `normalized`
    bool singleWord, leftStrip, rightStrip, normalized, special;
  };
  Status load(const nlohmann::json &config);
  Status encodeSequence(std::string_view text, int32_t typeId,
                        Encoding &out) const;
  void splitAddedTokens(const AlignedText &text, bool normalizedSet,
                        std::vector<std::pair<AlignedText, int>> &out) const;
  void pad(Encoding &encoding, size_t length) const;

  std::optional<Normalizer> normalizer_;
  std::optional<PreTokenizer> preTokenizer_;
  std::unique_ptr<Model> model_;
  std::shared_ptr<PostProcessor> postProcessor_;
  std::optional<Decoder> decoder_;
  std::vector<AddedToken> added_;
  std::unordered_map<int32_t, size_t> addedById_;
  std::unordered_map<std::string, size_t> addedByContent_;
};

/// Applies truncation to a sequence and its pair, `reserved` positions
/// left for the special tokens.
void truncate(Encoding &first, Encoding *second,
              const TruncationOptions &options, size_t reserved);

} // namespace tessera::text

#endif // TESSERA_RUNTIME_TEXT_TOKENIZER_H

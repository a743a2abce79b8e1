//===- tokenizer.cpp - Text to token ids and back -------------------------===//

#include "text/tokenizer.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>

namespace tessera::text {

using nlohmann::json;
using runtime::readFile;

namespace {
const char *const kTokenizerFiles[] = {"tokenizer.json",
                                       "vocab.txt",
                                       "vocab.json",
                                       "merges.txt",
                                       "tokenizer_config.json",
                                       "special_tokens_map.json"};

/// The token a tokenizer_config.json / special_tokens_map.json entry names:
/// a string or {"content": ...}.
std::string tokenName(const json &entry) {
  if (entry.is_string())
    return entry;
  if (entry.is_object() && entry.contains("content") &&
      entry["content"].is_string())
    return entry["content"];
  return "";
}

} // namespace

Status invalidTokenizer(const std::string &message) {
  return Status(TESSERA_ERROR_INVALID_MODEL, "tokenizer.json: " + message);
}

bool optionalFlag(const json &object, const char *key, bool fallback) {
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? fallback : it->get<bool>();
}

void Encoding::append(const Encoding &other) {
  ids.insert(ids.end(), other.ids.begin(), other.ids.end());
  typeIds.insert(typeIds.end(), other.typeIds.begin(), other.typeIds.end());
  tokens.insert(tokens.end(), other.tokens.begin(), other.tokens.end());
  offsets.insert(offsets.end(), other.offsets.begin(), other.offsets.end());
  sequenceIds.insert(sequenceIds.end(), other.sequenceIds.begin(),
                     other.sequenceIds.end());
  specialTokensMask.insert(specialTokensMask.end(),
                           other.specialTokensMask.begin(),
                           other.specialTokensMask.end());
  attentionMask.insert(attentionMask.end(), other.attentionMask.begin(),
                       other.attentionMask.end());
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

Status Tokenizer::load(const json &config) {
  if (!config.is_object())
    return invalidTokenizer("the file is not a JSON object");
  if (Status s = makeModel(config.value("model", json()), model_); !s.isOk())
    return s;
  if (const json &n = config.value("normalizer", json()); !n.is_null()) {
    Normalizer normalizer;
    if (Status s = makeNormalizer(n, normalizer); !s.isOk())
      return s;
    normalizer_ = std::move(normalizer);
  }
  if (const json &p = config.value("pre_tokenizer", json()); !p.is_null()) {
    PreTokenizer preTokenizer;
    if (Status s = makePreTokenizer(p, preTokenizer); !s.isOk())
      return s;
    preTokenizer_ = std::move(preTokenizer);
  }
  if (const json &p = config.value("post_processor", json()); !p.is_null()) {
    auto processor = std::make_shared<PostProcessor>();
    if (Status s = makePostProcessor(p, *processor); !s.isOk())
      return s;
    postProcessor_ = std::move(processor);
  }
  if (const json &d = config.value("decoder", json()); !d.is_null()) {
    Decoder decoder;
    if (Status s = makeDecoder(d, decoder); !s.isOk())
      return s;
    decoder_ = std::move(decoder);
  }

  const json &added = config.value("added_tokens", json::array());
  if (!added.is_array())
    return invalidTokenizer("\"added_tokens\" must be a list");
  for (const json &entry : added) {
    if (!entry.is_object() || !entry.contains("id") ||
        !entry["id"].is_number_integer() || !entry.contains("content") ||
        !entry["content"].is_string())
      return invalidTokenizer("an added token needs an integer \"id\" and a "
                              "\"content\" string");
    AddedToken token;
    token.id = entry["id"];
    token.content = entry["content"];
    token.singleWord = optionalFlag(entry, "single_word", false);
    token.leftStrip = optionalFlag(entry, "lstrip", false);
    token.rightStrip = optionalFlag(entry, "rstrip", false);
    token.special = optionalFlag(entry, "special", false);
    token.normalized = optionalFlag(entry, "normalized", !token.special);
    AlignedText content;
    for (char32_t c : toCodePoints(token.content))
      content.push(c, {});
    if (token.normalized && normalizer_)
      (*normalizer_)(content);
    token.match = content.chars;
    if (token.content.empty())
      continue;
    addedById_[token.id] = added_.size();
    addedByContent_[token.content] = added_.size();
    added_.push_back(std::move(token));
  }

  if (const json &t = config.value("truncation", json()); t.is_object()) {
    truncation.maxLength = t.value("max_length", size_t(0));
    std::string strategy = t.value("strategy", std::string("LongestFirst"));
    truncation.strategy =
        strategy == "OnlyFirst"    ? TruncationOptions::Strategy::OnlyFirst
        : strategy == "OnlySecond" ? TruncationOptions::Strategy::OnlySecond
                                   : TruncationOptions::Strategy::LongestFirst;
    truncation.side = t.value("direction", std::string("Right")) == "Left"
                          ? Side::Left
                          : Side::Right;
  }
  if (const json &p = config.value("padding", json()); p.is_object()) {
    padding.enabled = true;
    const json &strategy = p.value("strategy", json());
    if (strategy.is_object() && strategy.contains("Fixed"))
      padding.length = strategy["Fixed"].get<size_t>();
    if (p.contains("pad_to_multiple_of") &&
        p["pad_to_multiple_of"].is_number_integer())
      padding.multipleOf = p["pad_to_multiple_of"];
    padding.side = p.value("direction", std::string("Right")) == "Left"
                       ? Side::Left
                       : Side::Right;
    padding.padId = p.value("pad_id", 0);
    padding.padTypeId = p.value("pad_type_id", 0);
    padding.padToken = p.value("pad_token", std::string("[PAD]"));
  }
  return Status::ok();
}

namespace {

/// tokenizer.json's equivalent of BERT's vocab.txt.
Status wordPieceConfig(const std::string &vocabText, const json &settings,
                       json &out) {
  json vocab = json::object();
  std::istringstream lines(vocabText);
  std::string line;
  int32_t id = 0;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    vocab[line] = id++;
  }
  if (id == 0)
    return Status(TESSERA_ERROR_INVALID_MODEL, "vocab.txt: the file is empty");
  bool lower = settings.value("do_lower_case", true);
  out = {{"model",
          {{"type", "WordPiece"},
           {"vocab", vocab},
           {"unk_token", "[UNK]"},
           {"continuing_subword_prefix", "##"},
           {"max_input_chars_per_word", 100}}},
         {"normalizer",
          {{"type", "BertNormalizer"},
           {"lowercase", lower},
           {"strip_accents", settings.value("strip_accents", json())},
           {"clean_text", true},
           {"handle_chinese_chars",
            settings.value("tokenize_chinese_chars", true)}}},
         {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
         {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}}}};
  json added = json::array();
  for (const char *name : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"})
    if (vocab.contains(name))
      added.push_back({{"id", vocab[name]},
                       {"content", name},
                       {"special", true},
                       {"normalized", false}});
  out["added_tokens"] = added;
  if (!vocab.contains("[CLS]") || !vocab.contains("[SEP]"))
    return Status(TESSERA_ERROR_INVALID_MODEL,
                  "vocab.txt: [CLS] and [SEP] are missing; write a "
                  "tokenizer.json for a vocabulary without them");
  out["post_processor"] = {{"type", "BertProcessing"},
                           {"sep", {"[SEP]", vocab["[SEP]"]}},
                           {"cls", {"[CLS]", vocab["[CLS]"]}}};
  return Status::ok();
}

/// tokenizer.json's equivalent of GPT-2's (or RoBERTa's) vocab.json +
/// merges.txt.
Status byteLevelBpeConfig(const std::string &vocabText,
                          const std::string &mergesText, const json &settings,
                          json &out) {
  json vocab = json::parse(vocabText, nullptr, false);
  if (!vocab.is_object())
    return Status(TESSERA_ERROR_INVALID_MODEL,
                  "vocab.json: not a JSON object of token → id");
  json merges = json::array();
  std::istringstream lines(mergesText);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.empty() || line.rfind("#version", 0) == 0)
      continue;
    merges.push_back(line);
  }
  bool prefixSpace = settings.value("add_prefix_space", false);
  json byteLevel = {{"type", "ByteLevel"},
                    {"add_prefix_space", prefixSpace},
                    {"trim_offsets", true},
                    {"use_regex", true}};
  out = {{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}},
         {"pre_tokenizer", byteLevel},
         {"decoder", byteLevel}};
  json added = json::array();
  bool roberta = vocab.contains("<s>") && vocab.contains("</s>");
  for (const char *name :
       {"<s>", "<pad>", "</s>", "<unk>", "<mask>", "<|endoftext|>"})
    if (vocab.contains(name))
      added.push_back({{"id", vocab[name]},
                       {"content", name},
                       {"special", true},
                       {"normalized", false},
                       {"lstrip", std::string(name) == "<mask>"}});
  out["added_tokens"] = added;
  if (roberta)
    out["post_processor"] = {{"type", "RobertaProcessing"},
                             {"sep", {"</s>", vocab["</s>"]}},
                             {"cls", {"<s>", vocab["<s>"]}},
                             {"trim_offsets", true},
                             {"add_prefix_space", prefixSpace}};
  else
    out["post_processor"] = {{"type", "ByteLevel"},
                             {"add_prefix_space", prefixSpace},
                             {"trim_offsets", false}};
  return Status::ok();
}

} // namespace

Status Tokenizer::fromFiles(const std::map<std::string, std::string> &files,
                            std::unique_ptr<Tokenizer> &out) {
  auto has = [&](const char *name) { return files.count(name) > 0; };
  json settings = json::object();
  if (has("tokenizer_config.json")) {
    settings = json::parse(files.at("tokenizer_config.json"), nullptr, false);
    if (!settings.is_object())
      return Status(TESSERA_ERROR_INVALID_MODEL,
                    "tokenizer_config.json: not a JSON object");
  }
  if (!has("tokenizer.json") && !has("vocab.txt") &&
      !(has("vocab.json") && has("merges.txt")))
    return Status(TESSERA_ERROR_INVALID_MODEL,
                  "no tokenizer: expected tokenizer.json, vocab.txt, or "
                  "vocab.json with merges.txt");
  json config;
  // The older file sets read their settings from tokenizer_config.json; a
  // setting of the wrong JSON type throws.
  try {
    if (has("tokenizer.json")) {
      config = json::parse(files.at("tokenizer.json"), nullptr, false);
      if (config.is_discarded())
        return invalidTokenizer("not valid JSON");
    } else if (has("vocab.txt")) {
      if (Status s = wordPieceConfig(files.at("vocab.txt"), settings, config);
          !s.isOk())
        return s;
    } else if (has("vocab.json") && has("merges.txt")) {
      if (Status s = byteLevelBpeConfig(
              files.at("vocab.json"), files.at("merges.txt"), settings, config);
          !s.isOk())
        return s;
    }
  } catch (const json::exception &e) {
    return Status(TESSERA_ERROR_INVALID_MODEL,
                  std::string("tokenizer_config.json: a setting has the "
                              "wrong type: ") +
                      e.what());
  }
  auto tokenizer = std::unique_ptr<Tokenizer>(new Tokenizer());
  try {
    if (Status s = tokenizer->load(config); !s.isOk())
      return s;
  } catch (const json::exception &e) {
    // A field of the wrong JSON type somewhere the loader read it.
    return invalidTokenizer(std::string("a field has the wrong type: ") +
                            e.what());
  }

  // The end of a sequence: what the config names, else a conventional token.
  std::vector<std::string> candidates;
  if (std::string eos = tokenName(settings.value("eos_token", json()));
      !eos.empty())
    candidates.push_back(eos);
  if (has("special_tokens_map.json")) {
    json map = json::parse(files.at("special_tokens_map.json"), nullptr, false);
    if (map.is_object())
      if (std::string eos = tokenName(map.value("eos_token", json()));
          !eos.empty())
        candidates.push_back(eos);
  }
  for (const char *name : {"<|endoftext|>", "</s>", "[SEP]"})
    candidates.push_back(name);
  for (const std::string &name : candidates)
    if (auto id = tokenizer->tokenToId(name)) {
      tokenizer->eosId = id;
      break;
    }
  out = std::move(tokenizer);
  return Status::ok();
}

Status Tokenizer::readFiles(const std::string &path,
                            std::map<std::string, std::string> &files) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::is_regular_file(path, error)) {
    std::string name = fs::path(path).filename().string();
    if (name != "tokenizer.json" && name != "vocab.txt" &&
        fs::path(path).extension() != ".json")
      return Status(TESSERA_ERROR_INVALID_ARGUMENT,
                    path + ": give a directory holding the tokenizer's files, "
                           "or a tokenizer.json or vocab.txt");
    if (name != "vocab.txt")
      name = "tokenizer.json";
    return readFile(path, files[name]);
  }
  if (!fs::is_directory(path, error))
    return Status(TESSERA_ERROR_IO, path + ": no such file or directory");
  for (const char *name : kTokenizerFiles) {
    fs::path file = fs::path(path) / name;
    if (fs::is_regular_file(file, error))
      if (Status s = readFile(file.string(), files[name]); !s.isOk())
        return s;
  }
  if (files.empty())
    return Status(TESSERA_ERROR_IO,
                  path + ": holds none of tokenizer.json, vocab.txt, "
                         "vocab.json + merges.txt");
  return Status::ok();
}

Status Tokenizer::fromPath(const std::string &path,
                           std::unique_ptr<Tokenizer> &out) {
  std::map<std::string, std::string> files;
  if (Status s = readFiles(path, files); !s.isOk())
    return s;
  Status s = fromFiles(files, out);
  if (!s.isOk())
    return Status(s.code(), path + ": " + s.message());
  return s;
}

//===----------------------------------------------------------------------===//
// Encoding
//===----------------------------------------------------------------------===//

/// Splits `text` at the added tokens of one set (those matched before or
/// after normalization): pieces paired with the index of the added token
/// they are, or -1.
void Tokenizer::splitAddedTokens(
    const AlignedText &text, bool normalizedSet,
    std::vector<std::pair<AlignedText, int>> &out) const {
  const std::u32string &chars = text.chars;
  auto isWordChar = [](char32_t c) {
    return c == '_' || isNumeric(c) ||
           (!isWhitespace(c) && !isPunctuation(c) && !isOther(c) && c > ' ');
  };
  size_t last = 0;
  for (size_t at = 0; at < chars.size();) {
    int best = -1;
    size_t bestLength = 0;
    for (size_t k = 0; k < added_.size(); ++k) {
      const AddedToken &token = added_[k];
      if (token.normalized != normalizedSet)
        continue;
      const std::u32string &m =
          token.normalized ? token.match : toCodePoints(token.content);
      if (m.size() > bestLength && chars.compare(at, m.size(), m) == 0) {
        best = static_cast<int>(k);
        bestLength = m.size();
      }
    }
    if (best < 0) {
      ++at;
      continue;
    }
    const AddedToken &token = added_[best];
    size_t begin = at, end = at + bestLength;
    at = end;
    if (token.singleWord) {
      bool startOk = begin == 0 || !isWordChar(chars[begin - 1]);
      bool endOk = end == chars.size() || !isWordChar(chars[end]);
      if (!startOk || !endOk)
        continue;
    }
    if (token.leftStrip)
      while (begin > last && isWhitespace(chars[begin - 1]))
        --begin;
    if (token.rightStrip)
      while (end < chars.size() && isWhitespace(chars[end]))
        ++end;
    at = end;
    if (last < begin)
      out.push_back({text.slice(last, begin), -1});
    out.push_back({text.slice(begin, end), best});
    last = end;
  }
  if (last < chars.size())
    out.push_back({text.slice(last, chars.size()), -1});
}

Status Tokenizer::encodeSequence(std::string_view input, int32_t typeId,
                                 Encoding &out) const {
  AlignedText text;
  size_t bad = 0;
  if (!decodeUtf8(input, text.chars, text.spans, bad))
    return Status(TESSERA_ERROR_INVALID_INPUT,
                  "the text is not valid UTF-8 (byte " + std::to_string(bad) +
                      ")");

  // Added tokens matched on the input, then on the normalized rest.
  std::vector<std::pair<AlignedText, int>> raw, pieces;
  splitAddedTokens(text, /*normalizedSet=*/false, raw);
  for (auto &[piece, added] : raw) {
    if (added >= 0) {
      pieces.push_back({std::move(piece), added});
      continue;
    }
    if (normalizer_)
      (*normalizer_)(piece);
    splitAddedTokens(piece, /*normalizedSet=*/true, pieces);
  }

  // The words to tokenize, in order; an added token is one of its own.
  struct Word {
    AlignedText text;
    int added;
    Encoding tokens;
    bool done = false;
  };
  std::vector<Word> words;
  for (auto &[piece, added] : pieces) {
    if (added >= 0) {
      words.push_back({std::move(piece), added, {}});
      continue;
    }
    std::vector<AlignedText> split{std::move(piece)};
    if (preTokenizer_)
      (*preTokenizer_)(split);
    for (AlignedText &word : split)
      words.push_back({std::move(word), -1, {}});
  }

  // With truncation, Hugging Face tokenizes words only until it has the
  // limit's worth of tokens, from the end that truncation keeps; its
  // truncation of pairs then compares those lengths, so do the same.
  bool limited =
      truncation.maxLength > 0 &&
      (truncation.strategy != TruncationOptions::Strategy::OnlySecond ||
       typeId != 0);
  bool fromEnd = truncation.side == Side::Left;
  size_t total = 0;
  std::vector<Token> tokens;
  for (size_t k = 0; k < words.size(); ++k) {
    Word &word = words[fromEnd ? words.size() - 1 - k : k];
    word.done = true;
    if (word.added >= 0) {
      // The token's text is what it matched, with the spaces lstrip /
      // rstrip took, as in Hugging Face (a post-processor may trim them
      // from the offsets).
      const AddedToken &token = added_[word.added];
      word.tokens = specialToken(token.id, word.text.utf8(), typeId);
      word.tokens.offsets.back() =
          word.text.empty() ? Span{} : word.text.inputSpan(0, word.text.size());
      word.tokens.sequenceIds.back() = 0;
      word.tokens.specialTokensMask.back() = 0;
      total += 1;
      continue;
    }
    tokens.clear();
    if (Status s = model_->tokenize(word.text, tokens); !s.isOk())
      return s;
    for (Token &token : tokens) {
      // A token of no code points (a byte of one) takes the one it is in.
      size_t begin = std::min(token.begin, word.text.size() - 1);
      size_t end = std::max(token.end, begin + 1);
      Encoding &e = word.tokens;
      e.ids.push_back(token.id);
      e.typeIds.push_back(typeId);
      e.tokens.push_back(std::move(token.value));
      e.offsets.push_back(word.text.inputSpan(begin, end));
      e.sequenceIds.push_back(0);
      e.specialTokensMask.push_back(0);
      e.attentionMask.push_back(1);
    }
    total += tokens.size();
    if (limited && total >= truncation.maxLength)
      break;
  }
  for (const Word &word : words)
    if (word.done)
      out.append(word.tokens);
  return Status::ok();
}

namespace {
void truncateOne(Encoding &e, size_t length, Side side) {
  if (e.size() <= length)
    return;
  auto cut = [&](auto &v) {
    if (side == Side::Right)
      v.resize(length);
    else
      v.erase(v.begin(), v.begin() + (v.size() - length));
  };
  cut(e.ids);
  cut(e.typeIds);
  cut(e.tokens);
  cut(e.offsets);
  cut(e.sequenceIds);
  cut(e.specialTokensMask);
  cut(e.attentionMask);
}
} // namespace

void truncate(Encoding &first, Encoding *second,
              const TruncationOptions &options, size_t reserved) {
  if (options.maxLength == 0)
    return;
  size_t maxLength =
      options.maxLength > reserved ? options.maxLength - reserved : 0;
  size_t total = first.size() + (second ? second->size() : 0);
  if (total <= maxLength)
    return;
  using Strategy = TruncationOptions::Strategy;
  if (options.strategy == Strategy::LongestFirst) {
    if (!second) {
      truncateOne(first, maxLength, options.side);
      return;
    }
    // Hugging Face's split: the shorter keeps its length when the longer
    // can take the rest; else the shorter gets half and the longer half and
    // the odd one.
    size_t n1 = first.size(), n2 = second->size();
    bool swapped = n1 > n2;
    if (swapped)
      std::swap(n1, n2);
    n2 = n1 > maxLength ? n1 : std::max(n1, maxLength - n1);
    if (n1 + n2 > maxLength) {
      n1 = maxLength / 2;
      n2 = n1 + maxLength % 2;
    }
    if (swapped)
      std::swap(n1, n2);
    truncateOne(first, n1, options.side);
    truncateOne(*second, n2, options.side);
    return;
  }
  Encoding *target = options.strategy == Strategy::OnlyFirst ? &first : second;
  if (!target)
    return;
  size_t excess = total - maxLength;
  if (target->size() > excess)
    truncateOne(*target, target->size() - excess, options.side);
}

void Tokenizer::pad(Encoding &e, size_t length) const {
  if (e.size() >= length)
    return;
  size_t n = length - e.size();
  auto fill = [&](auto &v, auto value) {
    if (padding.side == Side::Right)
      v.insert(v.end(), n, value);
    else
      v.insert(v.begin(), n, value);
  };
  fill(e.ids, padding.padId);
  fill(e.typeIds, padding.padTypeId);
  fill(e.tokens, padding.padToken);
  fill(e.offsets, Span{});
  fill(e.sequenceIds, -1);
  fill(e.specialTokensMask, 1);
  fill(e.attentionMask, 0);
}

Status Tokenizer::encode(std::string_view text, const std::string_view *pair,
                         bool addSpecialTokens, Encoding &out) const {
  out = Encoding();
  Encoding first, second;
  if (Status s = encodeSequence(text, 0, first); !s.isOk())
    return s;
  if (pair) {
    if (Status s = encodeSequence(*pair, 1, second); !s.isOk())
      return s;
    for (int32_t &id : second.sequenceIds)
      id = id < 0 ? id : 1;
  }
  size_t reserved = addSpecialTokens && postProcessor_
                        ? postProcessor_->added(pair != nullptr)
                        : 0;
  truncate(first, pair ? &second : nullptr, truncation, reserved);
  if (postProcessor_) {
    out = postProcessor_->process(std::move(first), pair ? &second : nullptr,
                                  addSpecialTokens);
  } else {
    out = std::move(first);
    if (pair)
      out.append(second);
  }
  if (padding.enabled && padding.length > 0)
    pad(out, padding.length);
  return Status::ok();
}

Status Tokenizer::encodeBatch(const std::vector<std::string> &texts,
                              const std::vector<std::string> &pairs,
                              bool addSpecialTokens,
                              std::vector<Encoding> &out) const {
  if (!pairs.empty() && pairs.size() != texts.size())
    return Status(TESSERA_ERROR_INVALID_ARGUMENT,
                  std::to_string(texts.size()) + " texts but " +
                      std::to_string(pairs.size()) + " pairs");
  out.assign(texts.size(), Encoding());
  size_t longest = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    std::string_view pair = pairs.empty() ? std::string_view() : pairs[i];
    if (Status s = encode(texts[i], pairs.empty() ? nullptr : &pair,
                          addSpecialTokens, out[i]);
        !s.isOk())
      return Status(s.code(), "text " + std::to_string(i) + ": " + s.message());
    longest = std::max(longest, out[i].size());
  }
  size_t length = padding.enabled && padding.length ? padding.length : longest;
  if (padding.multipleOf > 1)
    length = (length + padding.multipleOf - 1) / padding.multipleOf *
             padding.multipleOf;
  for (Encoding &e : out)
    pad(e, length);
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Decoding and lookups
//===----------------------------------------------------------------------===//

std::optional<int32_t> Tokenizer::tokenToId(const std::string &token) const {
  if (auto it = addedByContent_.find(token); it != addedByContent_.end())
    return added_[it->second].id;
  return model_->tokenToId(token);
}

const std::string *Tokenizer::idToToken(int32_t id) const {
  if (auto it = addedById_.find(id); it != addedById_.end())
    return &added_[it->second].content;
  return model_->idToToken(id);
}

size_t Tokenizer::vocabSize() const {
  size_t n = model_->vocabSize();
  for (const AddedToken &token : added_)
    if (!model_->idToToken(token.id))
      ++n;
  return n;
}

bool Tokenizer::isSpecial(int32_t id) const {
  auto it = addedById_.find(id);
  return it != addedById_.end() && added_[it->second].special;
}

Status Tokenizer::decode(const std::vector<int32_t> &ids,
                         bool skipSpecialTokens, std::string &out) const {
  std::vector<std::string> tokens;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string *token = idToToken(ids[i]);
    if (!token)
      return Status(TESSERA_ERROR_INVALID_ARGUMENT,
                    "token id " + std::to_string(ids[i]) + " (position " +
                        std::to_string(i) + ") is not in the vocabulary of " +
                        std::to_string(vocabSize()) + " tokens");
    if (skipSpecialTokens && isSpecial(ids[i]))
      continue;
    tokens.push_back(*token);
  }
  if (decoder_) {
    (*decoder_)(tokens);
    out.clear();
    for (const std::string &piece : tokens)
      out += piece;
  } else {
    out.clear();
    for (size_t i = 0; i < tokens.size(); ++i)
      out += (i ? " " : "") + tokens[i];
  }
  return Status::ok();
}

} // namespace tessera::text

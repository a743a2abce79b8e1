//===- models.cpp - WordPiece, BPE and WordLevel vocabularies -------------===//

#include "text/pipeline.h"

#include <nlohmann/json.hpp>

#include <mutex>
#include <queue>

namespace tessera::text {

using nlohmann::json;

namespace {
std::string optionalString(const json &object, const char *key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}
} // namespace

std::optional<int32_t> Model::tokenToId(const std::string &token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end())
    return std::nullopt;
  return it->second;
}

const std::string *Model::idToToken(int32_t id) const {
  auto it = idToToken_.find(id);
  return it == idToToken_.end() ? nullptr : &it->second;
}

Status Model::setVocabulary(const json &vocab, const std::string &where) {
  if (!vocab.is_object())
    return invalidTokenizer(where +
                            ": \"vocab\" must be an object of token → id");
  vocab_.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 ||
        it.value().get<int64_t>() > INT32_MAX)
      return invalidTokenizer(where + ": the id of \"" + it.key() +
                              "\" is not an integer in [0, 2^31)");
    int32_t id = it.value().get<int32_t>();
    vocab_.emplace(it.key(), id);
    idToToken_.emplace(id, it.key());
  }
  return Status::ok();
}

namespace {

//===----------------------------------------------------------------------===//
// WordPiece: greedy longest match, "##" before the pieces of a word.
//===----------------------------------------------------------------------===//

class WordPiece : public Model {
public:
  Status init(const json &object) {
    if (Status s = setVocabulary(object.value("vocab", json()), "WordPiece");
        !s.isOk())
      return s;
    unk_ = optionalString(object, "unk_token");
    prefix_ = object.value("continuing_subword_prefix", std::string("##"));
    maxChars_ = object.value("max_input_chars_per_word", 100);
    auto unk = tokenToId(unk_);
    if (!unk)
      return invalidTokenizer("WordPiece: the unk_token \"" + unk_ +
                              "\" is not in the vocabulary");
    unkId_ = *unk;
    return Status::ok();
  }

  Status tokenize(const AlignedText &piece,
                  std::vector<Token> &out) const override {
    size_t n = piece.size();
    size_t first = out.size();
    bool bad = n > maxChars_;
    for (size_t start = 0; start < n && !bad;) {
      size_t end = n;
      std::optional<int32_t> id;
      std::string candidate;
      for (; end > start; --end) {
        candidate = start > 0 ? prefix_ : std::string();
        candidate +=
            toUtf8(std::u32string_view(piece.chars).substr(start, end - start));
        if ((id = tokenToId(candidate)))
          break;
      }
      if (!id) {
        bad = true;
        break;
      }
      out.push_back({*id, std::move(candidate), start, end});
      start = end;
    }
    if (bad) {
      out.resize(first);
      out.push_back({unkId_, unk_, 0, n});
    }
    return Status::ok();
  }

private:
  std::string unk_, prefix_;
  int32_t unkId_ = 0;
  size_t maxChars_ = 100;
};

//===----------------------------------------------------------------------===//
// BPE: merges applied lowest rank first, leftmost first among equals.
//===----------------------------------------------------------------------===//

class Bpe : public Model {
public:
  Status init(const json &object) {
    if (Status s = setVocabulary(object.value("vocab", json()), "BPE");
        !s.isOk())
      return s;
    if (object.contains("dropout") && !object["dropout"].is_null() &&
        object["dropout"].get<double>() != 0.0)
      return invalidTokenizer(
          "BPE: dropout is a training-time option; a tokenizer "
          "for inference must have \"dropout\": null");
    unk_ = optionalString(object, "unk_token");
    prefix_ = optionalString(object, "continuing_subword_prefix");
    suffix_ = optionalString(object, "end_of_word_suffix");
    fuseUnk_ = object.value("fuse_unk", false);
    byteFallback_ = object.value("byte_fallback", false);
    ignoreMerges_ = object.value("ignore_merges", false);
    if (!unk_.empty()) {
      if (auto unk = tokenToId(unk_))
        unkId_ = *unk;
      else
        return invalidTokenizer("BPE: the unk_token \"" + unk_ +
                                "\" is not in the vocabulary");
    }
    const json &merges = object.value("merges", json::array());
    if (!merges.is_array())
      return invalidTokenizer("BPE: \"merges\" must be a list");
    for (size_t rank = 0; rank < merges.size(); ++rank)
      if (Status s = addMerge(merges[rank], rank); !s.isOk())
        return s;
    return Status::ok();
  }

  Status tokenize(const AlignedText &piece,
                  std::vector<Token> &out) const override {
    if (piece.empty())
      return Status::ok();
    if (ignoreMerges_)
      if (auto id = tokenToId(piece.utf8())) {
        out.push_back({*id, piece.utf8(), 0, piece.size()});
        return Status::ok();
      }
    std::vector<Symbol> word;
    if (!cached(piece.chars, word)) {
      word = mergeWord(piece.chars);
      remember(piece.chars, word);
    }
    size_t at = 0;
    for (const Symbol &symbol : word) {
      out.push_back({symbol.id, *idToToken(symbol.id), at, at + symbol.length});
      at += symbol.length;
    }
    return Status::ok();
  }

private:
  struct Symbol {
    int32_t id;
    size_t length; // code points of the piece
  };
  struct PairHash {
    size_t operator()(const std::pair<int32_t, int32_t> &p) const {
      return std::hash<uint64_t>()((uint64_t(uint32_t(p.first)) << 32) |
                                   uint32_t(p.second));
    }
  };
  struct Merge {
    size_t rank;
    int32_t id;
  };

  Status addMerge(const json &entry, size_t rank) {
    std::string left, right;
    if (entry.is_string()) {
      std::string line = entry;
      size_t space = line.find(' ');
      if (space == std::string::npos ||
          line.find(' ', space + 1) != std::string::npos)
        return invalidTokenizer("BPE: merge " + std::to_string(rank) + " \"" +
                                line +
                                "\" is not two tokens separated by one space");
      left = line.substr(0, space);
      right = line.substr(space + 1);
    } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() &&
               entry[1].is_string()) {
      left = entry[0];
      right = entry[1];
    } else {
      return invalidTokenizer("BPE: merge " + std::to_string(rank) +
                              " is neither \"a b\" nor [\"a\", \"b\"]");
    }
    auto a = tokenToId(left), b = tokenToId(right);
    std::string rightTail = right;
    if (!prefix_.empty() && rightTail.compare(0, prefix_.size(), prefix_) == 0)
      rightTail = rightTail.substr(prefix_.size());
    auto merged = tokenToId(left + rightTail);
    if (!a || !b || !merged)
      return invalidTokenizer("BPE: merge " + std::to_string(rank) + " (\"" +
                              left + "\", \"" + right +
                              "\") names a token that is not in "
                              "the vocabulary");
    merges_.emplace(std::make_pair(*a, *b), Merge{rank, *merged});
    return Status::ok();
  }

  std::vector<Symbol> mergeWord(const std::u32string &chars) const {
    // Initial symbols: one per code point (the suffix on the last, the
    // prefix on the others), bytes where a code point is missing and the
    // vocabulary has byte tokens, else the unknown token.
    std::vector<Symbol> symbols;
    std::optional<Symbol> unk;
    for (size_t i = 0; i < chars.size(); ++i) {
      std::string s = toUtf8(std::u32string_view(chars).substr(i, 1));
      size_t bytes = s.size();
      if (i > 0)
        s = prefix_ + s;
      if (i + 1 == chars.size())
        s += suffix_;
      if (auto id = tokenToId(s)) {
        if (unk)
          symbols.push_back(*unk);
        unk.reset();
        symbols.push_back({*id, 1});
        continue;
      }
      if (byteFallback_) {
        std::vector<int32_t> byteIds;
        for (unsigned char b : s) {
          char name[8];
          std::snprintf(name, sizeof(name), "<0x%02X>", b);
          if (auto id = tokenToId(name))
            byteIds.push_back(*id);
          else
            break;
        }
        if (byteIds.size() == s.size()) {
          // Byte tokens of one code point: the first covers it.
          for (size_t k = 0; k < byteIds.size(); ++k)
            symbols.push_back({byteIds[k], k == 0 ? size_t(1) : size_t(0)});
          continue;
        }
      }
      (void)bytes;
      if (unk_.empty())
        continue; // Hugging Face drops a code point it cannot name.
      if (unk && fuseUnk_) {
        unk->length += 1;
      } else {
        if (unk)
          symbols.push_back(*unk);
        unk = Symbol{unkId_, 1};
      }
    }
    if (unk)
      symbols.push_back(*unk);

    // Merge through a heap of candidate pairs, as a linked list of symbols.
    size_t n = symbols.size();
    std::vector<long> prev(n), next(n);
    for (size_t i = 0; i < n; ++i) {
      prev[i] = static_cast<long>(i) - 1;
      next[i] = i + 1 < n ? static_cast<long>(i + 1) : -1;
    }
    struct Candidate {
      size_t rank, position;
      int32_t id;
      bool operator>(const Candidate &o) const {
        return rank != o.rank ? rank > o.rank : position > o.position;
      }
    };
    std::priority_queue<Candidate, std::vector<Candidate>,
                        std::greater<Candidate>>
        queue;
    auto consider = [&](long left) {
      if (left < 0 || next[left] < 0)
        return;
      auto it = merges_.find({symbols[left].id, symbols[next[left]].id});
      if (it != merges_.end())
        queue.push({it->second.rank, static_cast<size_t>(left), it->second.id});
    };
    for (size_t i = 0; i + 1 < n; ++i)
      consider(static_cast<long>(i));
    std::vector<bool> alive(n, true);
    while (!queue.empty()) {
      Candidate top = queue.top();
      queue.pop();
      long left = static_cast<long>(top.position);
      if (!alive[left] || next[left] < 0)
        continue;
      long right = next[left];
      auto it = merges_.find({symbols[left].id, symbols[right].id});
      if (it == merges_.end() || it->second.id != top.id)
        continue;
      symbols[left].id = top.id;
      symbols[left].length += symbols[right].length;
      alive[right] = false;
      next[left] = next[right];
      if (next[right] >= 0)
        prev[next[right]] = left;
      consider(prev[left]);
      consider(left);
    }
    std::vector<Symbol> word;
    for (size_t i = 0; i < n; ++i)
      if (alive[i])
        word.push_back(symbols[i]);
    return word;
  }

  bool cached(const std::u32string &chars, std::vector<Symbol> &word) const {
    std::lock_guard<std::mutex> lock(cacheMutex_);
    auto it = cache_.find(chars);
    if (it == cache_.end())
      return false;
    word = it->second;
    return true;
  }
  void remember(const std::u32string &chars,
                const std::vector<Symbol> &word) const {
    std::lock_guard<std::mutex> lock(cacheMutex_);
    if (chars.size() < 256 && cache_.size() < kCacheCapacity)
      cache_.emplace(chars, word);
  }

  static constexpr size_t kCacheCapacity = 10000;
  std::unordered_map<std::pair<int32_t, int32_t>, Merge, PairHash> merges_;
  std::string unk_, prefix_, suffix_;
  int32_t unkId_ = 0;
  bool fuseUnk_ = false, byteFallback_ = false, ignoreMerges_ = false;
  mutable std::mutex cacheMutex_;
  mutable std::unordered_map<std::u32string, std::vector<Symbol>> cache_;
};

//===----------------------------------------------------------------------===//
// WordLevel: one id per piece.
//===----------------------------------------------------------------------===//

class WordLevel : public Model {
public:
  Status init(const json &object) {
    if (Status s = setVocabulary(object.value("vocab", json()), "WordLevel");
        !s.isOk())
      return s;
    unk_ = optionalString(object, "unk_token");
    return Status::ok();
  }
  Status tokenize(const AlignedText &piece,
                  std::vector<Token> &out) const override {
    std::string text = piece.utf8();
    if (auto id = tokenToId(text)) {
      out.push_back({*id, text, 0, piece.size()});
    } else if (auto unk = tokenToId(unk_)) {
      out.push_back({*unk, unk_, 0, piece.size()});
    } else {
      return Status(TESSERA_ERROR_INVALID_MODEL,
                    "tokenizer.json: WordLevel: \"" + text +
                        "\" is not in the vocabulary and the unk_token \"" +
                        unk_ + "\" is missing too");
    }
    return Status::ok();
  }

private:
  std::string unk_;
};

template <typename M>
Status build(const json &object, std::unique_ptr<Model> &out) {
  auto model = std::make_unique<M>();
  if (Status s = model->init(object); !s.isOk())
    return s;
  out = std::move(model);
  return Status::ok();
}

} // namespace

Status makeModel(const json &object, std::unique_ptr<Model> &out) {
  if (!object.is_object())
    return invalidTokenizer("\"model\" is missing or not an object");
  std::string type = optionalString(object, "type");
  // Files written before models had a "type" name it by their fields.
  if (type.empty())
    type = object.contains("merges")                      ? "BPE"
           : object.contains("continuing_subword_prefix") ? "WordPiece"
                                                          : "WordLevel";
  if (type == "WordPiece")
    return build<WordPiece>(object, out);
  if (type == "BPE")
    return build<Bpe>(object, out);
  if (type == "WordLevel")
    return build<WordLevel>(object, out);
  return invalidTokenizer("model type \"" + type +
                          "\" is not supported (supported: WordPiece, BPE, "
                          "WordLevel)");
}

} // namespace tessera::text

//===- pre_tokenizers.cpp - Patterns and tokenizer.json's pre-tokenizers --===//

#include "text/pipeline.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace tessera::text {

using nlohmann::json;

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

Status Regex::compile(const std::string &pattern, const std::string &where,
                      std::shared_ptr<const Regex> &out) {
  int error = 0;
  PCRE2_SIZE errorOffset = 0;
  pcre2_code *code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()),
                                   pattern.size(), PCRE2_UTF | PCRE2_UCP,
                                   &error, &errorOffset, nullptr);
  if (!code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return invalidTokenizer(where + ": the pattern \"" + pattern +
                            "\" does not compile at offset " +
                            std::to_string(errorOffset) + ": " +
                            reinterpret_cast<const char *>(message));
  }
  // The JIT is an optimisation; the interpreter serves where it is missing.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  auto regex = std::shared_ptr<Regex>(new Regex());
  regex->code_ = code;
  out = std::move(regex);
  return Status::ok();
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code *>(code_)); }

std::vector<std::pair<size_t, size_t>>
Regex::findAll(const AlignedText &text) const {
  std::string utf8;
  std::vector<uint32_t> charAt; // byte offset → code point index
  utf8.reserve(text.size());
  charAt.reserve(text.size() + 1);
  for (size_t i = 0; i < text.size(); ++i) {
    size_t before = utf8.size();
    appendUtf8(text.chars[i], utf8);
    charAt.resize(utf8.size(), static_cast<uint32_t>(i));
    (void)before;
  }
  charAt.push_back(static_cast<uint32_t>(text.size()));

  std::vector<std::pair<size_t, size_t>> matches;
  auto *code = static_cast<pcre2_code *>(code_);
  pcre2_match_data *data = pcre2_match_data_create_from_pattern(code, nullptr);
  PCRE2_SIZE start = 0;
  while (start < utf8.size()) {
    int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(utf8.data()),
                         utf8.size(), start, 0, data, nullptr);
    if (rc < 0)
      break;
    PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(data);
    PCRE2_SIZE begin = ovector[0], end = ovector[1];
    if (end == begin) {
      // Skip an empty match: one code point on.
      start = begin + utf8Length(text.chars[charAt[begin]]);
      continue;
    }
    matches.push_back({charAt[begin], charAt[end]});
    start = end;
  }
  pcre2_match_data_free(data);
  return matches;
}

std::vector<std::pair<size_t, size_t>>
Pattern::findAll(const AlignedText &text) const {
  if (regex)
    return regex->findAll(text);
  std::vector<std::pair<size_t, size_t>> matches;
  if (literal.empty())
    return matches;
  for (size_t at = text.chars.find(literal); at != std::u32string::npos;
       at = text.chars.find(literal, at + literal.size()))
    matches.push_back({at, at + literal.size()});
  return matches;
}

Status makePattern(const json &object, const std::string &where, Pattern &out) {
  if (object.is_object() && object.contains("Regex") &&
      object["Regex"].is_string())
    return Regex::compile(object["Regex"], where, out.regex);
  if (object.is_object() && object.contains("String") &&
      object["String"].is_string()) {
    out.literal = toCodePoints(object["String"].get<std::string>());
    return Status::ok();
  }
  return invalidTokenizer(where + ": \"pattern\" must be {\"String\": ...} or "
                                  "{\"Regex\": ...}");
}

//===----------------------------------------------------------------------===//
// Splitting
//===----------------------------------------------------------------------===//

void splitAt(const AlignedText &text,
             const std::vector<std::pair<size_t, size_t>> &matches,
             SplitBehavior behavior, bool invert,
             std::vector<AlignedText> &out) {
  // The text as alternating parts: (range, is it a delimiter).
  struct Part {
    size_t begin, end;
    bool delimiter;
  };
  std::vector<Part> parts;
  size_t last = 0;
  for (auto [begin, end] : matches) {
    if (last < begin)
      parts.push_back({last, begin, invert});
    parts.push_back({begin, end, !invert});
    last = end;
  }
  if (last < text.size())
    parts.push_back({last, text.size(), invert});

  std::vector<Part> pieces;
  switch (behavior) {
  case SplitBehavior::Removed:
    for (const Part &part : parts)
      if (!part.delimiter)
        pieces.push_back(part);
    break;
  case SplitBehavior::Isolated:
    pieces = parts;
    break;
  case SplitBehavior::MergedWithPrevious: {
    bool previousDelimiter = false;
    for (const Part &part : parts) {
      if (part.delimiter && !previousDelimiter && !pieces.empty())
        pieces.back().end = part.end;
      else
        pieces.push_back(part);
      previousDelimiter = part.delimiter;
    }
    break;
  }
  case SplitBehavior::MergedWithNext: {
    bool nextDelimiter = false;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      if (it->delimiter && !nextDelimiter && !pieces.empty())
        pieces.back().begin = it->begin;
      else
        pieces.push_back(*it);
      nextDelimiter = it->delimiter;
    }
    std::reverse(pieces.begin(), pieces.end());
    break;
  }
  case SplitBehavior::Contiguous:
    for (const Part &part : parts) {
      if (part.delimiter && !pieces.empty() && pieces.back().delimiter)
        pieces.back().end = part.end;
      else
        pieces.push_back(part);
    }
    break;
  }
  for (const Part &piece : pieces)
    if (piece.begin < piece.end)
      out.push_back(text.slice(piece.begin, piece.end));
}

namespace {

/// Each code point for which `test` holds as its own match.
template <typename Test>
std::vector<std::pair<size_t, size_t>> matchEach(const AlignedText &text,
                                                 Test test) {
  std::vector<std::pair<size_t, size_t>> matches;
  for (size_t i = 0; i < text.size(); ++i)
    if (test(text.chars[i]))
      matches.push_back({i, i + 1});
  return matches;
}

/// Applies `split` to every piece, in order.
template <typename Split>
void splitEach(std::vector<AlignedText> &pieces, Split split) {
  std::vector<AlignedText> out;
  for (const AlignedText &piece : pieces)
    split(piece, out);
  pieces = std::move(out);
}

bool isBertPunctuation(char32_t c) {
  return isAsciiPunctuation(c) || isPunctuation(c);
}

//===----------------------------------------------------------------------===//
// Byte level (GPT-2)
//===----------------------------------------------------------------------===//

/// GPT-2's table: printable bytes stand for themselves, the other 68 take
/// the code points from U+0100 on, in byte order.
struct ByteTable {
  char32_t toChar[256];
  ByteTable() {
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                       (b >= 0xAE && b <= 0xFF);
      toChar[b] = printable ? static_cast<char32_t>(b) : next++;
    }
  }
};
const ByteTable &byteTable() {
  static const ByteTable table;
  return table;
}

const char *kGpt2Pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| "
                           "?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

void byteLevelSplit(const AlignedText &piece, bool addPrefixSpace,
                    const Regex *regex, std::vector<AlignedText> &out) {
  AlignedText text = piece;
  if (addPrefixSpace && !text.empty() && text.chars[0] != ' ') {
    text.chars.insert(text.chars.begin(), U' ');
    text.spans.insert(text.spans.begin(), text.spans[0]);
  }
  std::vector<AlignedText> split;
  if (regex)
    splitAt(text, regex->findAll(text), SplitBehavior::Isolated, false, split);
  else if (!text.empty())
    split.push_back(std::move(text));
  for (const AlignedText &part : split) {
    AlignedText bytes;
    std::string utf8;
    for (size_t i = 0; i < part.size(); ++i) {
      utf8.clear();
      appendUtf8(part.chars[i], utf8);
      for (unsigned char b : utf8)
        bytes.push(byteTable().toChar[b], part.spans[i]);
    }
    out.push_back(std::move(bytes));
  }
}

Status splitBehavior(const json &object, SplitBehavior fallback,
                     SplitBehavior &out) {
  auto it = object.find("behavior");
  if (it == object.end() || it->is_null()) {
    out = fallback;
    return Status::ok();
  }
  std::string name = it->is_string() ? it->get<std::string>() : "";
  static const std::pair<const char *, SplitBehavior> kNames[] = {
      {"Removed", SplitBehavior::Removed},
      {"Isolated", SplitBehavior::Isolated},
      {"MergedWithPrevious", SplitBehavior::MergedWithPrevious},
      {"MergedWithNext", SplitBehavior::MergedWithNext},
      {"Contiguous", SplitBehavior::Contiguous}};
  for (auto [known, behavior] : kNames)
    if (name == known) {
      out = behavior;
      return Status::ok();
    }
  return invalidTokenizer("unknown split behavior \"" + name + "\"");
}

} // namespace

char32_t byteToChar(uint8_t byte) { return byteTable().toChar[byte]; }

int charToByte(char32_t c) {
  if (c < 256) {
    bool printable = (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) ||
                     (c >= 0xAE && c <= 0xFF);
    return printable ? static_cast<int>(c) : -1;
  }
  for (int b = 0; b < 256; ++b)
    if (byteTable().toChar[b] == c)
      return b;
  return -1;
}

Status makePreTokenizer(const json &object, PreTokenizer &out) {
  if (!object.is_object() || !object.contains("type") ||
      !object["type"].is_string())
    return invalidTokenizer("a pre_tokenizer without a \"type\"");
  std::string type = object["type"];
  if (type == "BertPreTokenizer") {
    out = [](std::vector<AlignedText> &pieces) {
      splitEach(pieces, [](const AlignedText &piece, auto &out) {
        std::vector<AlignedText> words;
        splitAt(piece, matchEach(piece, isWhitespace), SplitBehavior::Removed,
                false, words);
        for (const AlignedText &word : words)
          splitAt(word, matchEach(word, isBertPunctuation),
                  SplitBehavior::Isolated, false, out);
      });
    };
  } else if (type == "ByteLevel") {
    bool addPrefixSpace = optionalFlag(object, "add_prefix_space", true);
    std::shared_ptr<const Regex> regex;
    if (optionalFlag(object, "use_regex", true))
      if (Status s = Regex::compile(kGpt2Pattern, "ByteLevel", regex);
          !s.isOk())
        return s;
    out = [addPrefixSpace, regex](std::vector<AlignedText> &pieces) {
      splitEach(pieces, [&](const AlignedText &piece, auto &out) {
        byteLevelSplit(piece, addPrefixSpace, regex.get(), out);
      });
    };
  } else if (type == "Whitespace") {
    std::shared_ptr<const Regex> regex;
    if (Status s = Regex::compile("\\w+|[^\\w\\s]+", "Whitespace", regex);
        !s.isOk())
      return s;
    out = [regex](std::vector<AlignedText> &pieces) {
      splitEach(pieces, [&](const AlignedText &piece, auto &out) {
        splitAt(piece, regex->findAll(piece), SplitBehavior::Removed, true,
                out);
      });
    };
  } else if (type == "WhitespaceSplit") {
    out = [](std::vector<AlignedText> &pieces) {
      splitEach(pieces, [](const AlignedText &piece, auto &out) {
        splitAt(piece, matchEach(piece, isWhitespace), SplitBehavior::Removed,
                false, out);
      });
    };
  } else if (type == "Punctuation") {
    SplitBehavior behavior;
    if (Status s = splitBehavior(object, SplitBehavior::Isolated, behavior);
        !s.isOk())
      return s;
    out = [behavior](std::vector<AlignedText> &pieces) {
      splitEach(pieces, [&](const AlignedText &piece, auto &out) {
        splitAt(piece, matchEach(piece, isBertPunctuation), behavior, false,
                out);
      });
    };
  } else if (type == "Digits") {
    SplitBehavior behavior = optionalFlag(object, "individual_digits", false)
                                 ? SplitBehavior::Isolated
                                 : SplitBehavior::Contiguous;
    out = [behavior](std::vector<AlignedText> &pieces) {
      splitEach(pieces, [&](const AlignedText &piece, auto &out) {
        splitAt(piece, matchEach(piece, isNumeric), behavior, false, out);
      });
    };
  } else if (type == "CharDelimiterSplit") {
    std::u32string delimiter =
        toCodePoints(object.value("delimiter", std::string()));
    if (delimiter.size() != 1)
      return invalidTokenizer(
          "CharDelimiterSplit needs a one-character \"delimiter\"");
    char32_t d = delimiter[0];
    out = [d](std::vector<AlignedText> &pieces) {
      splitEach(pieces, [&](const AlignedText &piece, auto &out) {
        splitAt(piece, matchEach(piece, [d](char32_t c) { return c == d; }),
                SplitBehavior::Removed, false, out);
      });
    };
  } else if (type == "Split") {
    Pattern pattern;
    if (Status s = makePattern(object.value("pattern", json()),
                               "Split pre_tokenizer", pattern);
        !s.isOk())
      return s;
    SplitBehavior behavior;
    if (Status s = splitBehavior(object, SplitBehavior::Removed, behavior);
        !s.isOk())
      return s;
    bool invert = optionalFlag(object, "invert", false);
    out = [pattern, behavior, invert](std::vector<AlignedText> &pieces) {
      splitEach(pieces, [&](const AlignedText &piece, auto &out) {
        splitAt(piece, pattern.findAll(piece), behavior, invert, out);
      });
    };
  } else if (type == "Metaspace") {
    std::u32string replacement =
        toCodePoints(object.value("replacement", std::string("\u2581")));
    if (replacement.size() != 1)
      return invalidTokenizer(
          "Metaspace needs a one-character \"replacement\"");
    std::string scheme = object.value("prepend_scheme", std::string());
    if (scheme.empty())
      scheme =
          optionalFlag(object, "add_prefix_space", true) ? "always" : "never";
    if (scheme != "always" && scheme != "first" && scheme != "never")
      return invalidTokenizer("Metaspace: unknown prepend_scheme \"" + scheme +
                              "\"");
    bool split = optionalFlag(object, "split", true);
    char32_t r = replacement[0];
    out = [r, scheme, split](std::vector<AlignedText> &pieces) {
      splitEach(pieces, [&](const AlignedText &piece, auto &out) {
        AlignedText text = piece;
        for (char32_t &c : text.chars)
          if (c == ' ')
            c = r;
        bool prepend =
            scheme == "always" ||
            (scheme == "first" && !text.empty() && text.spans[0].begin == 0);
        if (prepend && !text.empty() && text.chars[0] != r) {
          text.chars.insert(text.chars.begin(), r);
          text.spans.insert(text.spans.begin(), text.spans[0]);
        }
        if (split)
          splitAt(text, matchEach(text, [r](char32_t c) { return c == r; }),
                  SplitBehavior::MergedWithNext, false, out);
        else if (!text.empty())
          out.push_back(std::move(text));
      });
    };
  } else if (type == "Sequence") {
    if (!object.contains("pretokenizers") ||
        !object["pretokenizers"].is_array())
      return invalidTokenizer(
          "Sequence pre_tokenizer without a \"pretokenizers\" "
          "list");
    std::vector<PreTokenizer> steps;
    for (const json &step : object["pretokenizers"]) {
      PreTokenizer preTokenizer;
      if (Status s = makePreTokenizer(step, preTokenizer); !s.isOk())
        return s;
      steps.push_back(std::move(preTokenizer));
    }
    out = [steps](std::vector<AlignedText> &pieces) {
      for (const PreTokenizer &step : steps)
        step(pieces);
    };
  } else {
    return invalidTokenizer(
        "pre_tokenizer type \"" + type +
        "\" is not supported (supported: BertPreTokenizer, "
        "ByteLevel, Whitespace, WhitespaceSplit, Punctuation, "
        "Digits, CharDelimiterSplit, Split, Metaspace, Sequence)");
  }
  return Status::ok();
}

} // namespace tessera::text

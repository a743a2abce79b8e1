//===- normalizers.cpp - tokenizer.json's normalizers ---------------------===//
//
// Each normalizer rewrites the code points of an AlignedText and keeps, for
// every code point it writes, the input bytes Hugging Face's NormalizedString
// would align it with: a replaced code point keeps its own; one a mapping
// adds (a decomposition's marks, lowercase İ's dot) takes the code point it
// came from; Replace's content takes the last code point it replaces.
//
//===----------------------------------------------------------------------===//

#include "text/pipeline.h"

#include <nlohmann/json.hpp>

namespace tessera::text {

using nlohmann::json;

AlignedText AlignedText::slice(size_t begin, size_t end) const {
  AlignedText out;
  out.chars = chars.substr(begin, end - begin);
  out.spans.assign(spans.begin() + begin, spans.begin() + end);
  return out;
}

namespace {

template <typename Keep> void filter(AlignedText &text, Keep keep) {
  AlignedText out;
  for (size_t i = 0; i < text.size(); ++i)
    if (keep(text.chars[i]))
      out.push(text.chars[i], text.spans[i]);
  text = std::move(out);
}

void normalizeForm(AlignedText &text, NormalForm form) {
  AlignedText out;
  std::vector<uint32_t> sources;
  normalize(text.chars, form, out.chars, sources);
  out.spans.reserve(sources.size());
  for (uint32_t source : sources)
    out.spans.push_back(text.spans[source]);
  text = std::move(out);
}

void lowercase(AlignedText &text) {
  AlignedText out;
  std::u32string mapped;
  for (size_t i = 0; i < text.size(); ++i) {
    mapped.clear();
    appendLowercase(text.chars[i], mapped);
    for (char32_t c : mapped)
      out.push(c, text.spans[i]);
  }
  text = std::move(out);
}

bool isChineseChar(char32_t c) {
  // The CJK Unified Ideographs blocks BERT's tokenizer puts spaces around.
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

struct BertOptions {
  bool cleanText = true;
  bool handleChineseChars = true;
  bool stripAccents = true;
  bool lowercase = true;
};

void bertNormalize(AlignedText &text, const BertOptions &options) {
  if (options.cleanText) {
    filter(text, [](char32_t c) {
      bool control = c != '\t' && c != '\n' && c != '\r' && isOther(c);
      return !(c == 0 || c == 0xFFFD || control);
    });
    for (char32_t &c : text.chars)
      if (isWhitespace(c))
        c = ' ';
  }
  if (options.handleChineseChars) {
    AlignedText out;
    for (size_t i = 0; i < text.size(); ++i) {
      if (!isChineseChar(text.chars[i])) {
        out.push(text.chars[i], text.spans[i]);
        continue;
      }
      out.push(' ', text.spans[i]);
      out.push(text.chars[i], text.spans[i]);
      out.push(' ', text.spans[i]);
    }
    text = std::move(out);
  }
  if (options.stripAccents) {
    normalizeForm(text, NormalForm::NFD);
    filter(text, [](char32_t c) { return !isNonspacingMark(c); });
  }
  if (options.lowercase)
    lowercase(text);
}

void strip(AlignedText &text, bool left, bool right) {
  size_t begin = 0, end = text.size();
  while (left && begin < end && isWhitespace(text.chars[begin]))
    ++begin;
  while (right && end > begin && isWhitespace(text.chars[end - 1]))
    --end;
  text = text.slice(begin, end);
}

void replace(AlignedText &text, const Pattern &pattern,
             const std::u32string &content) {
  AlignedText out;
  size_t last = 0;
  for (auto [begin, end] : pattern.findAll(text)) {
    for (size_t i = last; i < begin; ++i)
      out.push(text.chars[i], text.spans[i]);
    for (char32_t c : content)
      out.push(c, text.spans[end - 1]);
    last = end;
  }
  for (size_t i = last; i < text.size(); ++i)
    out.push(text.chars[i], text.spans[i]);
  text = std::move(out);
}

} // namespace

Status makeNormalizer(const json &object, Normalizer &out) {
  if (!object.is_object() || !object.contains("type") ||
      !object["type"].is_string())
    return invalidTokenizer("a normalizer without a \"type\"");
  std::string type = object["type"];
  if (type == "BertNormalizer") {
    BertOptions options;
    options.cleanText = optionalFlag(object, "clean_text", true);
    options.handleChineseChars =
        optionalFlag(object, "handle_chinese_chars", true);
    options.lowercase = optionalFlag(object, "lowercase", true);
    // strip_accents null follows lowercase, as in BERT's original code.
    options.stripAccents =
        optionalFlag(object, "strip_accents", options.lowercase);
    out = [options](AlignedText &text) { bertNormalize(text, options); };
  } else if (type == "Lowercase") {
    out = lowercase;
  } else if (type == "NFC" || type == "NFD" || type == "NFKC" ||
             type == "NFKD") {
    NormalForm form = type == "NFC"    ? NormalForm::NFC
                      : type == "NFD"  ? NormalForm::NFD
                      : type == "NFKC" ? NormalForm::NFKC
                                       : NormalForm::NFKD;
    out = [form](AlignedText &text) { normalizeForm(text, form); };
  } else if (type == "StripAccents") {
    out = [](AlignedText &text) {
      filter(text, [](char32_t c) { return !isNonspacingMark(c); });
    };
  } else if (type == "Strip") {
    bool left = optionalFlag(object, "strip_left", true);
    bool right = optionalFlag(object, "strip_right", true);
    out = [left, right](AlignedText &text) { strip(text, left, right); };
  } else if (type == "Replace") {
    Pattern pattern;
    if (Status s = makePattern(object.value("pattern", json()),
                               "Replace normalizer", pattern);
        !s.isOk())
      return s;
    if (!object.contains("content") || !object["content"].is_string())
      return invalidTokenizer(
          "Replace normalizer without a \"content\" string");
    std::u32string content = toCodePoints(object["content"].get<std::string>());
    out = [pattern, content](AlignedText &text) {
      replace(text, pattern, content);
    };
  } else if (type == "Prepend") {
    if (!object.contains("prepend") || !object["prepend"].is_string())
      return invalidTokenizer(
          "Prepend normalizer without a \"prepend\" string");
    std::u32string prefix = toCodePoints(object["prepend"].get<std::string>());
    out = [prefix](AlignedText &text) {
      if (text.empty())
        return;
      AlignedText out;
      for (char32_t c : prefix)
        out.push(c, text.spans[0]);
      out.chars += text.chars;
      out.spans.insert(out.spans.end(), text.spans.begin(), text.spans.end());
      text = std::move(out);
    };
  } else if (type == "Sequence") {
    if (!object.contains("normalizers") || !object["normalizers"].is_array())
      return invalidTokenizer(
          "Sequence normalizer without a \"normalizers\" list");
    std::vector<Normalizer> steps;
    for (const json &step : object["normalizers"]) {
      Normalizer normalizer;
      if (Status s = makeNormalizer(step, normalizer); !s.isOk())
        return s;
      steps.push_back(std::move(normalizer));
    }
    out = [steps](AlignedText &text) {
      for (const Normalizer &step : steps)
        step(text);
    };
  } else {
    return invalidTokenizer(
        "normalizer type \"" + type +
        "\" is not supported (supported: BertNormalizer, "
        "Lowercase, NFC, NFD, NFKC, NFKD, StripAccents, Strip, "
        "Replace, Prepend, Sequence)");
  }
  return Status::ok();
}

} // namespace tessera::text

//===- decoders.cpp - tokenizer.json's decoders ---------------------------===//

#include "text/pipeline.h"

#include <nlohmann/json.hpp>

namespace tessera::text {

using nlohmann::json;

namespace {
void replaceAll(std::string &text, std::string_view from, std::string_view to) {
  if (from.empty())
    return;
  for (size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

/// BERT's clean-up of spaces before punctuation and contractions.
void wordPieceCleanup(std::string &token) {
  static const std::pair<const char *, const char *> kRules[] = {
      {" .", "."},   {" ?", "?"},     {" !", "!"},    {" ,", ","},
      {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"},  {" do not", " don't"},
      {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (auto [from, to] : kRules)
    replaceAll(token, from, to);
}

/// GPT-2's byte-level tokens back to bytes; a token with a code point
/// outside the byte table (an added token) stays as it is.
void byteLevelDecode(std::vector<std::string> &tokens) {
  std::string bytes;
  for (const std::string &token : tokens) {
    std::u32string chars = toCodePoints(token);
    std::string decoded;
    bool allBytes = true;
    for (char32_t c : chars) {
      int b = charToByte(c);
      if (b < 0) {
        allBytes = false;
        break;
      }
      decoded.push_back(static_cast<char>(b));
    }
    bytes += allBytes ? decoded : token;
  }
  // Invalid UTF-8 (a code point cut between tokens) becomes U+FFFD.
  tokens.assign(1, toUtf8(toCodePoints(bytes)));
}

/// "<0x41>"-style byte tokens back to bytes, consecutive ones joined.
void byteFallbackDecode(std::vector<std::string> &tokens) {
  std::vector<std::string> out;
  std::string pending;
  size_t pendingTokens = 0;
  auto flush = [&] {
    if (pendingTokens == 0)
      return;
    std::u32string chars = toCodePoints(pending);
    bool valid = toUtf8(chars) == pending;
    if (valid)
      out.push_back(pending);
    else
      for (size_t k = 0; k < pendingTokens; ++k)
        out.push_back("\xEF\xBF\xBD");
    pending.clear();
    pendingTokens = 0;
  };
  for (const std::string &token : tokens) {
    unsigned value = 0;
    if (token.size() == 6 && token.compare(0, 3, "<0x") == 0 &&
        token[5] == '>' && std::sscanf(token.c_str() + 3, "%2x", &value) == 1) {
      pending.push_back(static_cast<char>(value));
      ++pendingTokens;
      continue;
    }
    flush();
    out.push_back(token);
  }
  flush();
  tokens = std::move(out);
}

} // namespace

Status makeDecoder(const json &object, Decoder &out) {
  if (!object.is_object() || !object.contains("type") ||
      !object["type"].is_string())
    return invalidTokenizer("a decoder without a \"type\"");
  std::string type = object["type"];
  if (type == "ByteLevel") {
    out = byteLevelDecode;
  } else if (type == "WordPiece") {
    std::string prefix = object.value("prefix", std::string("##"));
    bool cleanup = object.value("cleanup", true);
    out = [prefix, cleanup](std::vector<std::string> &tokens) {
      for (size_t i = 0; i < tokens.size(); ++i) {
        std::string &token = tokens[i];
        if (i != 0) {
          if (token.compare(0, prefix.size(), prefix) == 0)
            token = token.substr(prefix.size());
          else
            token = " " + token;
        }
        if (cleanup)
          wordPieceCleanup(token);
      }
    };
  } else if (type == "BPEDecoder") {
    std::string suffix = object.value("suffix", std::string("</w>"));
    out = [suffix](std::vector<std::string> &tokens) {
      for (size_t i = 0; i < tokens.size(); ++i)
        replaceAll(tokens[i], suffix, i + 1 == tokens.size() ? "" : " ");
    };
  } else if (type == "Metaspace") {
    std::string replacement =
        object.value("replacement", std::string("\u2581"));
    std::string scheme = object.value("prepend_scheme", std::string());
    bool prepend = scheme.empty() ? object.value("add_prefix_space", true)
                                  : scheme != "never";
    out = [replacement, prepend](std::vector<std::string> &tokens) {
      for (size_t i = 0; i < tokens.size(); ++i)
        replaceAll(tokens[i], replacement, i == 0 && prepend ? "" : " ");
    };
  } else if (type == "Replace") {
    const json &pattern = object.value("pattern", json());
    if (!pattern.is_object() || !pattern.contains("String"))
      return invalidTokenizer(
          "Replace decoder: only a {\"String\": ...} pattern is "
          "supported");
    std::string from = pattern["String"];
    std::string to = object.value("content", std::string());
    out = [from, to](std::vector<std::string> &tokens) {
      for (std::string &token : tokens)
        replaceAll(token, from, to);
    };
  } else if (type == "Strip") {
    std::u32string content = toCodePoints(object.value("content", " "));
    size_t start = object.value("start", 0), stop = object.value("stop", 0);
    if (content.size() != 1)
      return invalidTokenizer(
          "Strip decoder needs a one-character \"content\"");
    out = [c = content[0], start, stop](std::vector<std::string> &tokens) {
      for (std::string &token : tokens) {
        std::u32string chars = toCodePoints(token);
        size_t begin = 0, end = chars.size();
        while (begin < start && begin < end && chars[begin] == c)
          ++begin;
        while (chars.size() - end < stop && end > begin && chars[end - 1] == c)
          --end;
        token = toUtf8(std::u32string_view(chars).substr(begin, end - begin));
      }
    };
  } else if (type == "Fuse") {
    out = [](std::vector<std::string> &tokens) {
      std::string joined;
      for (const std::string &token : tokens)
        joined += token;
      tokens.assign(1, joined);
    };
  } else if (type == "ByteFallback") {
    out = byteFallbackDecode;
  } else if (type == "Sequence") {
    if (!object.contains("decoders") || !object["decoders"].is_array())
      return invalidTokenizer("Sequence decoder without a \"decoders\" list");
    std::vector<Decoder> steps;
    for (const json &step : object["decoders"]) {
      Decoder decoder;
      if (Status s = makeDecoder(step, decoder); !s.isOk())
        return s;
      steps.push_back(std::move(decoder));
    }
    out = [steps](std::vector<std::string> &tokens) {
      for (const Decoder &step : steps)
        step(tokens);
    };
  } else {
    return invalidTokenizer(
        "decoder type \"" + type +
        "\" is not supported (supported: ByteLevel, WordPiece, "
        "BPEDecoder, Metaspace, Replace, Strip, Fuse, "
        "ByteFallback, Sequence)");
  }
  return Status::ok();
}

} // namespace tessera::text

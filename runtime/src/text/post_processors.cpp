//===- post_processors.cpp - tokenizer.json's post-processors ------------===//
//
// The special tokens around one sequence or a pair ([CLS] A [SEP] B [SEP],
// <s> A </s></s> B </s>, templates), their type ids, and the offset
// trimming of byte-level tokens, as Hugging Face's processors do them.
//
//===----------------------------------------------------------------------===//

#include "text/tokenizer.h"

#include <nlohmann/json.hpp>

namespace tessera::text {

using nlohmann::json;

namespace {
/// Hugging Face's trimming of a byte-level token's offsets to leave out
/// the spaces ("Ġ") it starts or ends with.
void trimByteLevelOffsets(Encoding &encoding, bool addPrefixSpace) {
  const char32_t space = byteToChar(' ');
  for (size_t i = 0; i < encoding.size(); ++i) {
    std::u32string chars = toCodePoints(encoding.tokens[i]);
    auto isSpace = [&](char32_t c) { return c == space || isWhitespace(c); };
    size_t leading = 0, trailing = 0;
    while (leading < chars.size() && isSpace(chars[leading]))
      ++leading;
    while (trailing < chars.size() &&
           isSpace(chars[chars.size() - 1 - trailing]))
      ++trailing;
    Span &span = encoding.offsets[i];
    if (leading > 0) {
      bool first = i == 0 || span.begin == 0;
      if (first && addPrefixSpace && leading == 1)
        leading = 0;
      span.begin = std::min<uint32_t>(span.begin + leading, span.end);
    }
    if (trailing > 0 && span.end >= trailing)
      span.end = std::max<uint32_t>(span.end - trailing, span.begin);
  }
}

} // namespace

Encoding specialToken(int32_t id, const std::string &token, int32_t typeId) {
  Encoding e;
  e.ids = {id};
  e.typeIds = {typeId};
  e.tokens = {token};
  e.offsets = {Span{}};
  e.sequenceIds = {-1};
  e.specialTokensMask = {1};
  e.attentionMask = {1};
  return e;
}

namespace {

using PostProcessorFn = decltype(PostProcessor::process);

/// A template piece: a special token or one of the sequences.
struct TemplatePiece {
  bool sequence;
  int which; // 0: A, 1: B (sequences)
  std::string special;
  int32_t typeId;
};

struct SpecialTokens {
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;
};

Status parseTemplate(const json &list, const char *name,
                     std::vector<TemplatePiece> &out) {
  if (!list.is_array())
    return invalidTokenizer(std::string("TemplateProcessing: \"") + name +
                            "\" must be a list");
  for (const json &piece : list) {
    if (piece.contains("Sequence")) {
      const json &s = piece["Sequence"];
      std::string id = s.value("id", std::string("A"));
      out.push_back({true, id == "B" ? 1 : 0, "", s.value("type_id", 0)});
    } else if (piece.contains("SpecialToken")) {
      const json &s = piece["SpecialToken"];
      out.push_back(
          {false, 0, s.value("id", std::string()), s.value("type_id", 0)});
    } else {
      return invalidTokenizer(std::string("TemplateProcessing: a piece of \"") +
                              name +
                              "\" is neither a Sequence nor a SpecialToken");
    }
  }
  return Status::ok();
}

Encoding applyTemplate(const std::vector<TemplatePiece> &pieces,
                       const std::map<std::string, SpecialTokens> &specials,
                       Encoding &first, Encoding *second, bool addSpecial) {
  Encoding out;
  for (const TemplatePiece &piece : pieces) {
    if (piece.sequence) {
      Encoding &e = piece.which == 0 ? first : *second;
      if (piece.which == 1 && !second)
        continue;
      e.typeIds.assign(e.size(), piece.typeId);
      out.append(e);
    } else if (addSpecial) {
      const SpecialTokens &s = specials.at(piece.special);
      for (size_t k = 0; k < s.ids.size(); ++k)
        out.append(specialToken(s.ids[k], s.tokens[k], piece.typeId));
    }
  }
  return out;
}

Status specialPair(const json &entry, const char *what,
                   std::pair<std::string, int32_t> &out) {
  if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() ||
      !entry[1].is_number_integer())
    return invalidTokenizer(std::string("post_processor: \"") + what +
                            "\" must be [token, id]");
  out = {entry[0], entry[1]};
  return Status::ok();
}

Status makeStage(const json &object, std::function<size_t(bool)> &added,
                 PostProcessorFn &process) {
  std::string type = object.value("type", std::string());
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    std::pair<std::string, int32_t> sep, cls;
    if (Status s = specialPair(object.value("sep", json()), "sep", sep);
        !s.isOk())
      return s;
    if (Status s = specialPair(object.value("cls", json()), "cls", cls);
        !s.isOk())
      return s;
    bool roberta = type == "RobertaProcessing";
    bool trim = roberta && optionalFlag(object, "trim_offsets", true);
    bool prefixSpace = optionalFlag(object, "add_prefix_space", true);
    added = [roberta](bool pair) -> size_t {
      return pair ? (roberta ? 4 : 3) : 2;
    };
    process = [=](Encoding first, Encoding *second, bool addSpecial) {
      if (trim) {
        trimByteLevelOffsets(first, prefixSpace);
        if (second)
          trimByteLevelOffsets(*second, prefixSpace);
      }
      if (roberta) {
        first.typeIds.assign(first.size(), 0);
        if (second)
          second->typeIds.assign(second->size(), 0);
      }
      if (!addSpecial) {
        if (second)
          first.append(*second);
        return first;
      }
      Encoding out = specialToken(cls.second, cls.first, 0);
      first.typeIds.assign(first.size(), 0);
      out.append(first);
      out.append(specialToken(sep.second, sep.first, 0));
      if (second) {
        int32_t typeId = roberta ? 0 : 1;
        if (roberta)
          out.append(specialToken(sep.second, sep.first, 0));
        second->typeIds.assign(second->size(), typeId);
        out.append(*second);
        out.append(specialToken(sep.second, sep.first, typeId));
      }
      return out;
    };
  } else if (type == "TemplateProcessing") {
    std::vector<TemplatePiece> single, pair;
    if (Status s =
            parseTemplate(object.value("single", json()), "single", single);
        !s.isOk())
      return s;
    if (Status s = parseTemplate(object.value("pair", json()), "pair", pair);
        !s.isOk())
      return s;
    std::map<std::string, SpecialTokens> specials;
    const json &table = object.value("special_tokens", json::object());
    for (auto it = table.begin(); it != table.end(); ++it) {
      SpecialTokens s;
      const json &ids = it.value().value("ids", json());
      const json &tokens = it.value().value("tokens", json());
      if (!ids.is_array() || !tokens.is_array() || ids.size() != tokens.size())
        return invalidTokenizer(
            "TemplateProcessing: special token \"" + it.key() +
            "\" needs \"ids\" and \"tokens\" of one length");
      for (size_t k = 0; k < ids.size(); ++k) {
        s.ids.push_back(ids[k].get<int32_t>());
        s.tokens.push_back(tokens[k].get<std::string>());
      }
      specials[it.key()] = s;
    }
    for (const auto *list : {&single, &pair})
      for (const TemplatePiece &piece : *list)
        if (!piece.sequence && !specials.count(piece.special))
          return invalidTokenizer("TemplateProcessing: the template names \"" +
                                  piece.special +
                                  "\", which \"special_tokens\" does "
                                  "not define");
    auto count = [specials](const std::vector<TemplatePiece> &pieces) {
      size_t n = 0;
      for (const TemplatePiece &piece : pieces)
        if (!piece.sequence)
          n += specials.at(piece.special).ids.size();
      return n;
    };
    size_t singleAdded = count(single), pairAdded = count(pair);
    added = [=](bool isPair) { return isPair ? pairAdded : singleAdded; };
    process = [=](Encoding first, Encoding *second, bool addSpecial) {
      return applyTemplate(second ? pair : single, specials, first, second,
                           addSpecial);
    };
  } else if (type == "ByteLevel") {
    bool trim = optionalFlag(object, "trim_offsets", true);
    bool prefixSpace = optionalFlag(object, "add_prefix_space", true);
    added = [](bool) -> size_t { return 0; };
    process = [=](Encoding first, Encoding *second, bool) {
      if (trim) {
        trimByteLevelOffsets(first, prefixSpace);
        if (second)
          trimByteLevelOffsets(*second, prefixSpace);
      }
      if (second)
        first.append(*second);
      return first;
    };
  } else if (type == "Sequence") {
    if (!object.contains("processors") || !object["processors"].is_array())
      return invalidTokenizer(
          "Sequence post_processor without a \"processors\" list");
    std::vector<std::pair<std::function<size_t(bool)>, PostProcessorFn>> steps;
    for (const json &step : object["processors"]) {
      std::pair<std::function<size_t(bool)>, PostProcessorFn> made;
      if (Status s = makeStage(step, made.first, made.second); !s.isOk())
        return s;
      steps.push_back(std::move(made));
    }
    added = [steps](bool pair) {
      size_t n = 0;
      for (const auto &step : steps)
        n += step.first(pair);
      return n;
    };
    // Hugging Face's Sequence hands the encodings from one processor to the
    // next; only the last adds the pair to the first.
    process = [steps](Encoding first, Encoding *second, bool addSpecial) {
      for (size_t k = 0; k < steps.size(); ++k) {
        bool last = k + 1 == steps.size();
        first = steps[k].second(std::move(first), last ? second : nullptr,
                                addSpecial);
      }
      return first;
    };
  } else {
    return invalidTokenizer("post_processor type \"" + type +
                            "\" is not supported (supported: BertProcessing, "
                            "RobertaProcessing, TemplateProcessing, ByteLevel, "
                            "Sequence)");
  }
  return Status::ok();
}

} // namespace

Status makePostProcessor(const json &object, PostProcessor &out) {
  return makeStage(object, out.added, out.process);
}

} // namespace tessera::text

//===- tessera-tokenize.cpp - Encode and decode text ----------------------===//
//
// Runs a tokenizer (a directory of Hugging Face tokenizer files, or the one a
// .tsr carries) over text from the command line or a file of lines, and
// prints the tokens — or, with --json, one JSON object per line with ids,
// type ids, offsets and masks, which test/tokenizers compares with the
// `tokenizers` library.
//
//===----------------------------------------------------------------------===//

#include "tessera/tokenizer.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

namespace {

void printUsage() {
  std::printf(
      "usage: tessera-tokenize TOKENIZER [--text T [--text-pair P]] [options]\n"
      "       tessera-tokenize TOKENIZER --lines FILE [--pairs FILE] "
      "[options]\n"
      "\n"
      "TOKENIZER is a directory holding tokenizer.json (or vocab.txt, or\n"
      "vocab.json + merges.txt), one such file, or a .tsr compiled with\n"
      "--tokenizer.\n\n"
      "  --text T            the text to encode\n"
      "  --text-pair P       a second text (sentence pairs)\n"
      "  --lines FILE        encode each line of FILE on its own\n"
      "  --pairs FILE        with --lines: line i is the pair of text i\n"
      "  --no-special-tokens leave out [CLS]/[SEP], <s>/</s> and the like\n"
      "  --max-length N      truncate to N tokens, special tokens included\n"
      "  --json              one JSON object per text: ids, type_ids,\n"
      "                      attention_mask, special_tokens_mask, offsets\n"
      "                      (bytes of the text), tokens and the decoded text\n"
      "  --decode IDS        decode comma-separated ids and print the text\n"
      "  --skip-special      with --decode or --json: leave out special\n"
      "                      tokens from decoded text\n"
      "  --time              print the seconds encoding took, on stderr\n"
      "  --version           print Tessera's version and git revision\n");
}

int fail(const std::string &message) {
  std::fprintf(stderr, "tessera-tokenize: %s\n", message.c_str());
  return 1;
}

bool readLines(const std::string &path, std::vector<std::string> &lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::string line;
  while (std::getline(in, line))
    lines.push_back(line);
  return true;
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

int main(int argc, char **argv) {
  std::string source, text, pair, linesFile, pairsFile, decodeIds;
  bool hasText = false, hasPair = false, json = false, special = true,
       skipSpecial = false, time = false;
  long maxLength = -1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *flag) -> std::string {
      if (i + 1 >= argc) {
        fail(std::string(flag) + " needs a value");
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      printUsage();
      return 0;
    } else if (arg == "--version") {
      std::printf("tessera-tokenize: %s\n", tessera_version_text());
      return 0;
    } else if (arg == "--text") {
      text = value("--text");
      hasText = true;
    } else if (arg == "--text-pair") {
      pair = value("--text-pair");
      hasPair = true;
    } else if (arg == "--lines") {
      linesFile = value("--lines");
    } else if (arg == "--pairs") {
      pairsFile = value("--pairs");
    } else if (arg == "--no-special-tokens") {
      special = false;
    } else if (arg == "--max-length") {
      maxLength = std::atol(value("--max-length").c_str());
      if (maxLength < 1)
        return fail("--max-length needs a positive count");
    } else if (arg == "--json") {
      json = true;
    } else if (arg == "--decode") {
      decodeIds = value("--decode");
    } else if (arg == "--skip-special") {
      skipSpecial = true;
    } else if (arg == "--time") {
      time = true;
    } else if (!arg.empty() && arg[0] == '-') {
      printUsage();
      return fail("unknown option '" + arg + "'");
    } else if (source.empty()) {
      source = arg;
    } else {
      return fail("more than one tokenizer given");
    }
  }
  if (source.empty()) {
    printUsage();
    return fail("no tokenizer given");
  }

  try {
    std::unique_ptr<tessera::Tokenizer> tokenizer;
    if (endsWith(source, ".tsr")) {
      tessera::Instance instance;
      tessera::Program program(instance, source, TESSERA_NO_DEVICE);
      tokenizer = std::make_unique<tessera::Tokenizer>(program);
    } else {
      tokenizer = std::make_unique<tessera::Tokenizer>(source);
    }
    if (maxLength > 0)
      tokenizer->setTruncation(static_cast<uint32_t>(maxLength));

    if (!decodeIds.empty()) {
      std::vector<int32_t> ids;
      for (size_t at = 0; at < decodeIds.size();) {
        size_t comma = decodeIds.find(',', at);
        if (comma == std::string::npos)
          comma = decodeIds.size();
        ids.push_back(std::atoi(decodeIds.substr(at, comma - at).c_str()));
        at = comma + 1;
      }
      std::printf("%s\n", tokenizer->decode(ids, skipSpecial).c_str());
      return 0;
    }

    std::vector<std::string> texts, pairs;
    if (!linesFile.empty()) {
      if (!readLines(linesFile, texts))
        return fail("cannot read " + linesFile);
      if (!pairsFile.empty()) {
        if (!readLines(pairsFile, pairs))
          return fail("cannot read " + pairsFile);
        if (pairs.size() != texts.size())
          return fail(pairsFile + " has " + std::to_string(pairs.size()) +
                      " lines, " + linesFile + " " +
                      std::to_string(texts.size()));
      }
    } else if (hasText) {
      texts.push_back(text);
      if (hasPair)
        pairs.push_back(pair);
    } else {
      printUsage();
      return fail("give --text, --lines or --decode");
    }

    // One text at a time, so that each keeps its own length (no padding).
    auto start = std::chrono::steady_clock::now();
    std::vector<tessera::Encoding> encodings;
    for (size_t i = 0; i < texts.size(); ++i)
      encodings.push_back(
          tokenizer->encode({texts[i]},
                            pairs.empty() ? std::vector<std::string>{}
                                          : std::vector<std::string>{pairs[i]},
                            special));
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if (time)
      std::fprintf(stderr, "encoded %zu texts in %.6f s\n", texts.size(),
                   seconds);

    for (const tessera::Encoding &e : encodings) {
      const tessera_encoding &raw = e.raw();
      std::vector<int32_t> ids(raw.ids, raw.ids + raw.length);
      if (!json) {
        std::string line;
        for (uint32_t k = 0; k < raw.length; ++k)
          line += (k ? " " : "") + std::to_string(raw.ids[k]);
        std::printf("%s\n", line.c_str());
        continue;
      }
      nlohmann::json out;
      auto list = [&](const int32_t *data) {
        return std::vector<int32_t>(data, data + raw.length);
      };
      out["ids"] = ids;
      out["type_ids"] = list(raw.type_ids);
      out["attention_mask"] = list(raw.attention_mask);
      out["special_tokens_mask"] = list(raw.special_tokens_mask);
      out["sequence_ids"] = list(raw.sequence_ids);
      nlohmann::json offsets = nlohmann::json::array();
      for (uint32_t k = 0; k < raw.length; ++k)
        offsets.push_back({raw.offsets[2 * k], raw.offsets[2 * k + 1]});
      out["offsets"] = offsets;
      out["decoded"] = tokenizer->decode(ids, skipSpecial);
      std::printf("%s\n", out.dump(-1, ' ', false,
                                   nlohmann::json::error_handler_t::replace)
                              .c_str());
    }
  } catch (const tessera::Error &error) {
    return fail(error.what());
  }
  return 0;
}

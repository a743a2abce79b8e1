//===- tokenizer_test.cpp - The tokenizer C API: batches, errors ----------===//
//
// What the comparison with Hugging Face (test/tokenizers) does not reach:
// batches and padding, the C API's contracts, and hostile tokenizer files,
// each of which must give one error naming the place.
//
//===----------------------------------------------------------------------===//

#include "tessera/tokenizer.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;

/// A directory with one tokenizer.json, removed at the end of the test.
class TokenizerDir {
public:
  explicit TokenizerDir(const std::string &json) {
    path_ = fs::temp_directory_path() /
            ("tessera-tokenizer-test-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter_++));
    fs::create_directories(path_);
    std::ofstream(path_ / "tokenizer.json") << json;
  }
  ~TokenizerDir() { fs::remove_all(path_); }
  std::string path() const { return path_.string(); }

private:
  fs::path path_;
  static inline int counter_ = 0;
};

/// A small WordPiece tokenizer in BERT's form.
const char *kWordPiece = R"({
  "added_tokens": [
    {"id": 0, "content": "[PAD]", "special": true, "normalized": false},
    {"id": 1, "content": "[UNK]", "special": true, "normalized": false},
    {"id": 2, "content": "[CLS]", "special": true, "normalized": false},
    {"id": 3, "content": "[SEP]", "special": true, "normalized": false}],
  "normalizer": {"type": "BertNormalizer", "lowercase": true},
  "pre_tokenizer": {"type": "BertPreTokenizer"},
  "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3],
                     "cls": ["[CLS]", 2]},
  "decoder": {"type": "WordPiece"},
  "model": {"type": "WordPiece", "unk_token": "[UNK]",
            "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3,
                      "hello": 4, "world": 5, "##s": 6, "!": 7}}
})";

std::string loadError(const std::string &json) {
  TokenizerDir dir(json);
  tessera_tokenizer tokenizer = nullptr;
  tessera_status status =
      tessera_tokenizer_load(dir.path().c_str(), &tokenizer);
  EXPECT_NE(status, TESSERA_OK);
  EXPECT_EQ(tokenizer, nullptr);
  return tessera_last_error();
}

TEST(Tokenizer, EncodesDecodesAndPadsABatch) {
  TokenizerDir dir(kWordPiece);
  tessera::Tokenizer tokenizer(dir.path());
  tessera::Encoding batch = tokenizer.encode({"Hello worlds!", "hello"});
  ASSERT_EQ(batch.rows(), 2u);
  ASSERT_EQ(batch.length(), 6u); // the longest text
  EXPECT_EQ(batch.ids(0), (std::vector<int32_t>{2, 4, 5, 6, 7, 3}));
  EXPECT_EQ(batch.ids(1), (std::vector<int32_t>{2, 4, 3, 0, 0, 0}));
  EXPECT_EQ(batch.attentionMask(1), (std::vector<int32_t>{1, 1, 1, 0, 0, 0}));
  // Offsets are bytes of the text: "Hello" [0, 5), "world" [6, 11),
  // "##s" [11, 12); [CLS] and padding [0, 0).
  const uint32_t *offsets = batch.raw().offsets;
  EXPECT_EQ(offsets[2], 0u);
  EXPECT_EQ(offsets[3], 5u);
  EXPECT_EQ(offsets[6], 11u);
  EXPECT_EQ(offsets[7], 12u);
  EXPECT_EQ(tokenizer.decode({2, 4, 5, 6, 7, 3}, true), "hello worlds!");
  EXPECT_EQ(tokenizer.decode({2, 4, 3}, false), "[CLS] hello [SEP]");
}

TEST(Tokenizer, PadsToAFixedLengthOnTheLeftAndTruncates) {
  TokenizerDir dir(kWordPiece);
  tessera::Tokenizer tokenizer(dir.path());
  tokenizer.setPadding(5, /*left=*/true);
  tessera::Encoding short_ = tokenizer.encode({"hello"});
  EXPECT_EQ(short_.ids(0), (std::vector<int32_t>{0, 0, 2, 4, 3}));
  tokenizer.setTruncation(4);
  tessera::Encoding cut = tokenizer.encode({"hello world hello world"});
  EXPECT_EQ(cut.length(), 5u);
  EXPECT_EQ(cut.ids(0), (std::vector<int32_t>{0, 2, 4, 5, 3}));
}

TEST(Tokenizer, RefusesInvalidUtf8AndUnknownIds) {
  TokenizerDir dir(kWordPiece);
  tessera::Tokenizer tokenizer(dir.path());
  try {
    tokenizer.encode({std::string("ok \xC3\x28 bad")});
    FAIL() << "invalid UTF-8 was accepted";
  } catch (const tessera::Error &error) {
    EXPECT_EQ(error.status(), TESSERA_ERROR_INVALID_INPUT);
    EXPECT_NE(std::string(error.what()).find("not valid UTF-8 (byte 3)"),
              std::string::npos)
        << error.what();
  }
  try {
    tokenizer.decode({4, 99});
    FAIL() << "an id outside the vocabulary was decoded";
  } catch (const tessera::Error &error) {
    EXPECT_NE(std::string(error.what()).find("token id 99 (position 1)"),
              std::string::npos)
        << error.what();
  }
}

TEST(Tokenizer, DecodeReportsTheLengthItNeeds) {
  TokenizerDir dir(kWordPiece);
  tessera::Tokenizer tokenizer(dir.path());
  int32_t ids[] = {4, 5};
  size_t length = 0;
  char small[4];
  ASSERT_EQ(tessera_tokenizer_decode(tokenizer.get(), ids, 2, 0, small,
                                     sizeof(small), &length),
            TESSERA_OK);
  EXPECT_EQ(length, 11u); // "hello world"
  EXPECT_STREQ(small, "hel");
}

TEST(Tokenizer, RefusesHostileFilesByName) {
  EXPECT_NE(loadError("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(loadError(R"({"model": {"type": "Unigram", "vocab": []}})")
                .find("model type \"Unigram\" is not supported"),
            std::string::npos);
  EXPECT_NE(loadError(R"({"model": {"type": "WordPiece", "unk_token": "[UNK]",
                          "vocab": {"a": 0}}})")
                .find("unk_token \"[UNK]\" is not in the vocabulary"),
            std::string::npos);
  EXPECT_NE(loadError(R"({"model": {"type": "BPE", "vocab": {"a": 0},
                          "merges": ["a b"]}})")
                .find("merge 0 (\"a\", \"b\") names a token"),
            std::string::npos);
  EXPECT_NE(loadError(R"({"model": {"type": "BPE", "vocab": {"a": -4},
                          "merges": []}})")
                .find("is not an integer in [0, 2^31)"),
            std::string::npos);
  EXPECT_NE(loadError(R"({"model": {"type": "BPE", "vocab": {"a": 0},
                          "merges": []},
                          "pre_tokenizer": {"type": "Split",
                          "pattern": {"Regex": "(unclosed"}}})")
                .find("does not compile"),
            std::string::npos);
  EXPECT_NE(loadError(R"({"model": {"type": "BPE", "vocab": {"a": 0},
                          "merges": []}, "normalizer": {"type": "Precompiled"}})")
                .find("normalizer type \"Precompiled\" is not supported"),
            std::string::npos);
  EXPECT_NE(loadError(R"({"model": {"type": "WordPiece", "vocab": {"a": 0},
                          "unk_token": "a", "max_input_chars_per_word": "x"}})")
                .find("wrong type"),
            std::string::npos);
  EXPECT_NE(
      loadError(R"({"model": {"type": "BPE", "vocab": {"a": 0},
                          "merges": []}, "post_processor":
                          {"type": "TemplateProcessing", "single":
                          [{"SpecialToken": {"id": "[X]"}}], "pair": [],
                          "special_tokens": {}}})")
          .find("names \"[X]\", which \"special_tokens\" does not define"),
      std::string::npos);
}

TEST(Tokenizer, RefusesSettingsOfTheWrongType) {
  // vocab.txt takes its settings from tokenizer_config.json, where a
  // setting of the wrong type once escaped the loader as an exception.
  fs::path dir = fs::temp_directory_path() /
                 ("tessera-tokenizer-config-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "vocab.txt") << "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n";
  std::ofstream(dir / "tokenizer_config.json") << R"({"do_lower_case": "yes"})";
  tessera_tokenizer tokenizer = nullptr;
  EXPECT_EQ(tessera_tokenizer_load(dir.string().c_str(), &tokenizer),
            TESSERA_ERROR_INVALID_MODEL);
  EXPECT_NE(std::string(tessera_last_error())
                .find("tokenizer_config.json: a setting has the wrong type"),
            std::string::npos)
      << tessera_last_error();
  fs::remove_all(dir);
  // A flag of an added token that is not a boolean.
  EXPECT_NE(loadError(R"({"model": {"type": "WordLevel", "vocab": {"a": 0}},
                          "added_tokens": [{"id": 1, "content": "<x>",
                          "special": "yes"}]})")
                .find("a field has the wrong type"),
            std::string::npos);
}

TEST(Tokenizer, RefusesAMissingPathAndNullArguments) {
  tessera_tokenizer tokenizer = nullptr;
  EXPECT_EQ(tessera_tokenizer_load("/nonexistent/tokenizer", &tokenizer),
            TESSERA_ERROR_IO);
  EXPECT_NE(std::string(tessera_last_error()).find("no such file"),
            std::string::npos);
  EXPECT_EQ(tessera_tokenizer_load(nullptr, &tokenizer),
            TESSERA_ERROR_INVALID_ARGUMENT);
  tessera_encoding encoding{};
  EXPECT_EQ(
      tessera_tokenizer_encode(nullptr, nullptr, nullptr, 0, 1, &encoding),
      TESSERA_ERROR_INVALID_ARGUMENT);
  tessera_encoding_destroy(&encoding); // harmless on an empty encoding
}

} // namespace

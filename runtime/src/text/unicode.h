//===- unicode.h - UTF-8 and Unicode facts for the tokenizers ---*- C++ -*-===//
//
// Code points, UTF-8 and the Unicode properties that tokenizers test. The
// properties come from utf8proc (Debian's libutf8proc, the Unicode database
// as data); only White_Space, a fixed 25-code-point property that utf8proc
// does not expose, is listed here.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_TEXT_UNICODE_H
#define TESSERA_RUNTIME_TEXT_UNICODE_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::text {

/// A half-open range of bytes in the text a user passed in.
struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
};

/// Decodes `text` as UTF-8 into code points and the byte range of each.
/// Returns false (and the offset of the first bad byte) on invalid UTF-8.
bool decodeUtf8(std::string_view text, std::u32string &codePoints,
                std::vector<Span> &spans, size_t &badOffset);

void appendUtf8(char32_t c, std::string &out);
std::string toUtf8(std::u32string_view codePoints);
/// The code points of valid UTF-8 `text`; invalid bytes become U+FFFD.
std::u32string toCodePoints(std::string_view text);
/// Bytes of `c` in UTF-8.
unsigned utf8Length(char32_t c);

bool isWhitespace(char32_t c);     // Unicode White_Space (Rust's is_whitespace)
bool isPunctuation(char32_t c);    // general category P*
bool isOther(char32_t c);          // Cc, Cf, Cn, Co, Cs
bool isNonspacingMark(char32_t c); // Mn
bool isAsciiPunctuation(char32_t c);
bool isNumeric(char32_t c); // Nd, Nl, No

/// The full lowercase mapping of one code point (one or more code points).
void appendLowercase(char32_t c, std::u32string &out);

enum class NormalForm { NFC, NFD, NFKC, NFKD };

/// Normalizes `chars` into `form`; `sources[i]` is the index in the input of
/// the code point that output code point i came from (a composed code point
/// comes from the first of those it composes).
void normalize(std::u32string_view chars, NormalForm form, std::u32string &out,
               std::vector<uint32_t> &sources);

} // namespace tessera::text

#endif // TESSERA_RUNTIME_TEXT_UNICODE_H

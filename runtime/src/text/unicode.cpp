//===- unicode.cpp - UTF-8 and Unicode facts for the tokenizers -----------===//

#include "unicode.h"

#include <utf8proc.h>

#include <algorithm>

namespace tessera::text {

bool decodeUtf8(std::string_view text, std::u32string &codePoints,
                std::vector<Span> &spans, size_t &badOffset) {
  codePoints.clear();
  spans.clear();
  codePoints.reserve(text.size());
  spans.reserve(text.size());
  const auto *bytes = reinterpret_cast<const utf8proc_uint8_t *>(text.data());
  size_t offset = 0;
  while (offset < text.size()) {
    utf8proc_int32_t c = 0;
    utf8proc_ssize_t length =
        utf8proc_iterate(bytes + offset, text.size() - offset, &c);
    if (length <= 0) {
      badOffset = offset;
      return false;
    }
    codePoints.push_back(static_cast<char32_t>(c));
    spans.push_back({static_cast<uint32_t>(offset),
                     static_cast<uint32_t>(offset + length)});
    offset += length;
  }
  return true;
}

unsigned utf8Length(char32_t c) {
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

void appendUtf8(char32_t c, std::string &out) {
  utf8proc_uint8_t buffer[4];
  utf8proc_ssize_t length =
      utf8proc_encode_char(static_cast<utf8proc_int32_t>(c), buffer);
  out.append(reinterpret_cast<const char *>(buffer), length);
}

std::string toUtf8(std::u32string_view codePoints) {
  std::string out;
  out.reserve(codePoints.size());
  for (char32_t c : codePoints)
    appendUtf8(c, out);
  return out;
}

namespace {
/// The bytes of `text`'s start that one U+FFFD replaces when they do not
/// begin a valid sequence: the longest prefix of a valid sequence, at least
/// one byte (Unicode's "maximal subpart" practice, which Rust's
/// from_utf8_lossy and the WHATWG decoder follow).
size_t maximalSubpart(std::string_view text) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  size_t needed = lead >= 0xC2 && lead <= 0xDF   ? 2
                  : lead >= 0xE0 && lead <= 0xEF ? 3
                  : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                 : 1;
  size_t length = 1;
  for (; length < needed && length < text.size(); ++length) {
    unsigned char low = 0x80, high = 0xBF;
    if (length == 1) {
      if (lead == 0xE0)
        low = 0xA0;
      if (lead == 0xED)
        high = 0x9F;
      if (lead == 0xF0)
        low = 0x90;
      if (lead == 0xF4)
        high = 0x8F;
    }
    if (byte(length) < low || byte(length) > high)
      break;
  }
  return length;
}
} // namespace

std::u32string toCodePoints(std::string_view text) {
  std::u32string out;
  const auto *bytes = reinterpret_cast<const utf8proc_uint8_t *>(text.data());
  size_t offset = 0;
  while (offset < text.size()) {
    utf8proc_int32_t c = 0;
    utf8proc_ssize_t length =
        utf8proc_iterate(bytes + offset, text.size() - offset, &c);
    if (length <= 0) {
      out.push_back(0xFFFD);
      offset += maximalSubpart(text.substr(offset));
      continue;
    }
    out.push_back(static_cast<char32_t>(c));
    offset += length;
  }
  return out;
}

namespace {
utf8proc_category_t category(char32_t c) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}
} // namespace

bool isWhitespace(char32_t c) {
  // Unicode's White_Space property (PropList.txt); utf8proc has no query
  // for it.
  switch (c) {
  case 0x09:
  case 0x0A:
  case 0x0B:
  case 0x0C:
  case 0x0D:
  case 0x20:
  case 0x85:
  case 0xA0:
  case 0x1680:
  case 0x2028:
  case 0x2029:
  case 0x202F:
  case 0x205F:
  case 0x3000:
    return true;
  default:
    return c >= 0x2000 && c <= 0x200A;
  }
}

bool isPunctuation(char32_t c) {
  switch (category(c)) {
  case UTF8PROC_CATEGORY_PC:
  case UTF8PROC_CATEGORY_PD:
  case UTF8PROC_CATEGORY_PS:
  case UTF8PROC_CATEGORY_PE:
  case UTF8PROC_CATEGORY_PI:
  case UTF8PROC_CATEGORY_PF:
  case UTF8PROC_CATEGORY_PO:
    return true;
  default:
    return false;
  }
}

bool isOther(char32_t c) {
  switch (category(c)) {
  case UTF8PROC_CATEGORY_CC:
  case UTF8PROC_CATEGORY_CF:
  case UTF8PROC_CATEGORY_CN:
  case UTF8PROC_CATEGORY_CO:
  case UTF8PROC_CATEGORY_CS:
    return true;
  default:
    return false;
  }
}

bool isNonspacingMark(char32_t c) {
  return category(c) == UTF8PROC_CATEGORY_MN;
}

bool isAsciiPunctuation(char32_t c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) ||
         (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

bool isNumeric(char32_t c) {
  utf8proc_category_t k = category(c);
  return k == UTF8PROC_CATEGORY_ND || k == UTF8PROC_CATEGORY_NL ||
         k == UTF8PROC_CATEGORY_NO;
}

void appendLowercase(char32_t c, std::u32string &out) {
  // SpecialCasing.txt's one unconditional lowercase mapping to more than one
  // code point; utf8proc gives the simple mappings.
  if (c == 0x130) {
    out.push_back(0x69);
    out.push_back(0x307);
    return;
  }
  out.push_back(static_cast<char32_t>(
      utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
}

namespace {
int combiningClass(char32_t c) {
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))
      ->combining_class;
}

/// The primary composite of `starter` and `c`, or 0.
char32_t compose(char32_t starter, char32_t c) {
  utf8proc_int32_t pair[2] = {static_cast<utf8proc_int32_t>(starter),
                              static_cast<utf8proc_int32_t>(c)};
  if (utf8proc_normalize_utf32(pair, 2, UTF8PROC_COMPOSE) == 1)
    return static_cast<char32_t>(pair[0]);
  return 0;
}
} // namespace

void normalize(std::u32string_view chars, NormalForm form, std::u32string &out,
               std::vector<uint32_t> &sources) {
  bool compat = form == NormalForm::NFKC || form == NormalForm::NFKD;
  bool composeAfter = form == NormalForm::NFC || form == NormalForm::NFKC;
  auto options = static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE |
                                                (compat ? UTF8PROC_COMPAT : 0));

  // Full decomposition, one code point at a time.
  std::u32string decomposed;
  std::vector<uint32_t> decomposedSources;
  for (uint32_t i = 0; i < chars.size(); ++i) {
    utf8proc_int32_t buffer[32];
    int boundClass = UTF8PROC_BOUNDCLASS_START;
    utf8proc_ssize_t n =
        utf8proc_decompose_char(static_cast<utf8proc_int32_t>(chars[i]), buffer,
                                32, options, &boundClass);
    if (n <= 0 || n > 32) {
      decomposed.push_back(chars[i]);
      decomposedSources.push_back(i);
      continue;
    }
    for (utf8proc_ssize_t k = 0; k < n; ++k) {
      decomposed.push_back(static_cast<char32_t>(buffer[k]));
      decomposedSources.push_back(i);
    }
  }

  // Canonical ordering: each run of combining marks sorted (stably) by
  // combining class.
  for (size_t begin = 0; begin < decomposed.size();) {
    if (combiningClass(decomposed[begin]) == 0) {
      ++begin;
      continue;
    }
    size_t end = begin;
    while (end < decomposed.size() && combiningClass(decomposed[end]) != 0)
      ++end;
    // An insertion sort: runs of marks are short, and it is stable.
    for (size_t k = begin + 1; k < end; ++k)
      for (size_t j = k; j > begin && combiningClass(decomposed[j - 1]) >
                                          combiningClass(decomposed[j]);
           --j) {
        std::swap(decomposed[j - 1], decomposed[j]);
        std::swap(decomposedSources[j - 1], decomposedSources[j]);
      }
    begin = end;
  }

  out.clear();
  sources.clear();
  if (!composeAfter) {
    out = std::move(decomposed);
    sources = std::move(decomposedSources);
    return;
  }

  // Canonical composition (UAX #15): a mark composes with the last starter
  // unless a code point between them blocks it.
  long starter = -1;
  int lastClass = 0;
  bool adjacent = false;
  for (size_t k = 0; k < decomposed.size(); ++k) {
    char32_t c = decomposed[k];
    int cc = combiningClass(c);
    if (starter >= 0 && (adjacent || (lastClass != 0 && lastClass < cc))) {
      if (char32_t composite = compose(out[starter], c)) {
        out[starter] = composite;
        continue;
      }
    }
    if (cc == 0) {
      starter = static_cast<long>(out.size());
      lastClass = 0;
      adjacent = true;
    } else {
      lastClass = cc;
      adjacent = false;
    }
    out.push_back(c);
    sources.push_back(decomposedSources[k]);
  }
}

} // namespace tessera::text

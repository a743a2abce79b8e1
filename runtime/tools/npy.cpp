//===- npy.cpp - NumPy .npy files -----------------------------------------===//
//
// The reader follows numpy.lib.format.read_array (numpy 1.24): the same
// versions, header size limit, header grammar (a Python literal dict with
// exactly the keys descr, fortran_order and shape) and checks, with numpy's
// wording where it has one. Whatever numpy rejects is rejected here too;
// test/Runtime/npy-vs-numpy.test holds the two side by side.
//
//===----------------------------------------------------------------------===//

#include "npy.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <variant>

namespace tessera::npy {

namespace {

/// numpy's default `max_header_size` when pickles are not allowed.
constexpr size_t kMaxHeaderSize = 10000;

/// A Python literal as it may appear in a .npy header.
struct Literal;
using LiteralList = std::vector<Literal>;
using LiteralDict = std::vector<std::pair<Literal, Literal>>;
struct Literal {
  enum Kind { String, Integer, Bool, None, Tuple, List, Dict } kind = None;
  std::string text;   // String
  int64_t integer = 0; // Integer (Python's are unbounded: too large fails)
  bool flag = false;  // Bool
  LiteralList items;  // Tuple, List
  LiteralDict entries; // Dict
  std::string repr;   // the source text, for messages
};

/// A recursive-descent parser of the literals ast.literal_eval accepts in
/// numpy's headers: strings, integers (with a sign), True, False, None,
/// tuples, lists and dicts.
class LiteralParser {
public:
  explicit LiteralParser(const std::string &text) : text_(text) {}

  /// The whole text as one literal (surrounding blanks allowed).
  std::optional<Literal> parseAll() {
    std::optional<Literal> value = parseValue(0);
    skipBlanks();
    if (!value || at_ != text_.size())
      return std::nullopt;
    return value;
  }

private:
  void skipBlanks() {
    while (at_ < text_.size() &&
           std::isspace(static_cast<unsigned char>(text_[at_])))
      ++at_;
  }
  bool consume(char c) {
    skipBlanks();
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }

  std::optional<Literal> parseValue(int depth) {
    // Deep nesting is no header numpy writes; bound the recursion.
    if (depth > 32)
      return std::nullopt;
    skipBlanks();
    if (at_ >= text_.size())
      return std::nullopt;
    size_t start = at_;
    std::optional<Literal> value;
    char c = text_[at_];
    if (c == '\'' || c == '"')
      value = parseString();
    else if (c == '(' || c == '[')
      value = parseSequence(depth);
    else if (c == '{')
      value = parseDict(depth);
    else if (c == '-' || c == '+' || std::isdigit(static_cast<unsigned char>(c)))
      value = parseInteger();
    else
      value = parseName();
    if (value)
      value->repr = text_.substr(start, at_ - start);
    return value;
  }

  std::optional<Literal> parseString() {
    char quote = text_[at_++];
    Literal literal;
    literal.kind = Literal::String;
    while (at_ < text_.size() && text_[at_] != quote) {
      char c = text_[at_++];
      if (c == '\n')
        return std::nullopt;
      if (c == '\\') {
        if (at_ >= text_.size())
          return std::nullopt;
        c = text_[at_++];
        // The escapes a dtype string could hold; others are not in headers
        // numpy writes, and are refused rather than guessed.
        if (c != '\\' && c != '\'' && c != '"')
          return std::nullopt;
      }
      literal.text += c;
    }
    if (at_ >= text_.size())
      return std::nullopt;
    ++at_; // the closing quote
    return literal;
  }

  /// A Python int: one optional sign, then decimal digits (no leading
  /// zeros), or 0x / 0o / 0b digits, with single underscores between digits.
  std::optional<Literal> parseInteger() {
    bool negative = false;
    if (text_[at_] == '-' || text_[at_] == '+') {
      negative = text_[at_] == '-';
      ++at_;
      skipBlanks();
    }
    unsigned base = 10;
    if (at_ + 1 < text_.size() && text_[at_] == '0' &&
        std::strchr("xXoObB", text_[at_ + 1]) && text_[at_ + 1] != '\0') {
      char prefix = static_cast<char>(std::tolower(text_[at_ + 1]));
      base = prefix == 'x' ? 16 : prefix == 'o' ? 8 : 2;
      at_ += 2;
      if (at_ < text_.size() && text_[at_] == '_')
        ++at_; // 0x_ff is valid
    }
    auto digitValue = [&](char c) -> int {
      int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
              : std::isalpha(static_cast<unsigned char>(c))
                  ? std::tolower(c) - 'a' + 10
                  : 99;
      return v < static_cast<int>(base) ? v : -1;
    };
    size_t start = at_;
    uint64_t magnitude = 0;
    bool overflow = false;
    while (at_ < text_.size()) {
      char c = text_[at_];
      if (c == '_' && at_ > start && at_ + 1 < text_.size() &&
          digitValue(text_[at_ + 1]) >= 0) {
        ++at_;
        continue;
      }
      int digit = digitValue(c);
      if (digit < 0)
        break;
      overflow |= magnitude > (std::numeric_limits<uint64_t>::max() -
                               static_cast<unsigned>(digit)) /
                                  base;
      magnitude = magnitude * base + static_cast<unsigned>(digit);
      ++at_;
    }
    if (at_ == start)
      return std::nullopt;
    // Python 3 allows a leading zero only in zero itself.
    if (base == 10 && text_[start] == '0' &&
        text_.find_first_not_of("0_", start) < at_)
      return std::nullopt;
    // A float, a suffix or a name right after the digits: not an int.
    if (at_ < text_.size() &&
        (std::isalnum(static_cast<unsigned char>(text_[at_])) ||
         text_[at_] == '.' || text_[at_] == '_'))
      return std::nullopt;
    // Python's ints are unbounded; a dim this large fails later in numpy
    // too (it does not fit the platform's intp).
    if (overflow ||
        magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return std::nullopt;
    Literal literal;
    literal.kind = Literal::Integer;
    literal.integer = negative ? -static_cast<int64_t>(magnitude)
                               : static_cast<int64_t>(magnitude);
    return literal;
  }

  std::optional<Literal> parseName() {
    size_t start = at_;
    while (at_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[at_])) ||
            text_[at_] == '_'))
      ++at_;
    std::string name = text_.substr(start, at_ - start);
    Literal literal;
    if (name == "True" || name == "False") {
      literal.kind = Literal::Bool;
      literal.flag = name == "True";
    } else if (name == "None") {
      literal.kind = Literal::None;
    } else {
      return std::nullopt;
    }
    return literal;
  }

  /// `(a, b, ...)` or `[a, b, ...]`, a trailing comma allowed; a
  /// parenthesised single value without a comma is that value.
  std::optional<Literal> parseSequence(int depth) {
    char close = text_[at_++] == '(' ? ')' : ']';
    Literal literal;
    literal.kind = close == ')' ? Literal::Tuple : Literal::List;
    bool sawComma = false;
    while (!consume(close)) {
      std::optional<Literal> item = parseValue(depth + 1);
      if (!item)
        return std::nullopt;
      literal.items.push_back(std::move(*item));
      if (consume(','))
        sawComma = true;
      else if (!consume(close))
        return std::nullopt;
      else
        break;
    }
    if (close == ')' && literal.items.size() == 1 && !sawComma)
      return literal.items.front();
    return literal;
  }

  std::optional<Literal> parseDict(int depth) {
    ++at_; // '{'
    Literal literal;
    literal.kind = Literal::Dict;
    while (!consume('}')) {
      std::optional<Literal> key = parseValue(depth + 1);
      if (!key || !consume(':'))
        return std::nullopt;
      std::optional<Literal> value = parseValue(depth + 1);
      if (!value)
        return std::nullopt;
      // A repeated key keeps its last value, as in Python.
      bool replaced = false;
      for (auto &[k, v] : literal.entries)
        if (k.kind == key->kind &&
            (k.kind == Literal::String ? k.text == key->text
                                       : k.repr == key->repr)) {
          v = std::move(*value);
          replaced = true;
        }
      if (!replaced)
        literal.entries.emplace_back(std::move(*key), std::move(*value));
      if (!consume(',')) {
        if (!consume('}'))
          return std::nullopt;
        break;
      }
    }
    return literal;
  }

  const std::string &text_;
  size_t at_ = 0;
};

/// numpy's _filter_header for version 1.0 and 2.0 files, which Python 2 may
/// have written: an `L` right after an integer is dropped.
std::string dropLongSuffixes(const std::string &header) {
  std::string out;
  for (size_t i = 0; i < header.size(); ++i) {
    if ((header[i] == 'L' || header[i] == 'l') && i > 0 &&
        std::isdigit(static_cast<unsigned char>(header[i - 1])) &&
        (i + 1 == header.size() ||
         !std::isalnum(static_cast<unsigned char>(header[i + 1]))))
      continue;
    out += header[i];
  }
  return out;
}

std::string quoted(const std::string &text) { return "'" + text + "'"; }

/// What a dtype descriptor means to Tessera: its element type, bytes per
/// element, and whether int64 values are narrowed to int32.
struct Dtype {
  tessera_element_type type;
  size_t size;
  bool narrow = false;
};

std::optional<Dtype> lookupDtype(const std::string &descr) {
  static const std::map<std::string, Dtype> supported = {
      {"<f4", {TESSERA_F32, 4}},  {"<f2", {TESSERA_F16, 2}},
      {"<i4", {TESSERA_I32, 4}},  {"<i8", {TESSERA_I32, 8, true}},
      {"|b1", {TESSERA_BOOL, 1}},
  };
  auto it = supported.find(descr);
  if (it == supported.end())
    return std::nullopt;
  return it->second;
}

} // namespace

bool parse(const char *bytes, size_t size, const std::string &name,
           Array &array, std::string &error) {
  auto fail = [&](const std::string &message) {
    error = quoted(name) + ": " + message;
    return false;
  };
  size_t at = 0;
  // numpy's _read_bytes: "EOF: reading <what>, expected <n> bytes got <m>".
  auto take = [&](size_t count, const char *what, const char *&out) {
    if (size - at < count) {
      fail(std::string("EOF: reading ") + what + ", expected " +
           std::to_string(count) + " bytes got " + std::to_string(size - at));
      return false;
    }
    out = bytes + at;
    at += count;
    return true;
  };
  const char *magic;
  if (!take(8, "magic string", magic))
    return false;
  if (std::memcmp(magic, "\x93NUMPY", 6) != 0)
    return fail("not a .npy file: the magic string is not correct; "
                "expected b'\\x93NUMPY'");
  int major = static_cast<unsigned char>(magic[6]);
  int minor = static_cast<unsigned char>(magic[7]);
  if (minor != 0 || major < 1 || major > 3)
    return fail("we only support format version (1,0), (2,0), and (3,0), "
                "not (" +
                std::to_string(major) + ", " + std::to_string(minor) + ")");
  const char *lengthBytes;
  size_t lengthSize = major == 1 ? 2 : 4;
  if (!take(lengthSize, "array header length", lengthBytes))
    return false;
  uint32_t headerLength = 0;
  for (size_t i = 0; i < lengthSize; ++i)
    headerLength |= static_cast<uint32_t>(
                        static_cast<unsigned char>(lengthBytes[i]))
                    << (8 * i);
  const char *headerBytes;
  if (!take(headerLength, "array header", headerBytes))
    return false;
  // Version 3 headers are UTF-8 and the limit counts characters; every
  // byte of a header numpy accepts is ASCII, so bytes count the same.
  if (headerLength > kMaxHeaderSize)
    return fail("Header info length (" + std::to_string(headerLength) +
                ") is large and may not be safe to load securely");
  std::string header(headerBytes, headerLength);
  if (major <= 2)
    header = dropLongSuffixes(header);

  std::optional<Literal> dict = LiteralParser(header).parseAll();
  if (!dict)
    return fail("Cannot parse header: " + quoted(header));
  if (dict->kind != Literal::Dict)
    return fail("Header is not a dictionary: " + dict->repr);
  std::map<std::string, const Literal *> fields;
  std::string keys;
  for (const auto &[key, value] : dict->entries) {
    keys += (keys.empty() ? "" : ", ") + key.repr;
    if (key.kind == Literal::String)
      fields[key.text] = &value;
  }
  if (dict->entries.size() != 3 || !fields.count("descr") ||
      !fields.count("fortran_order") || !fields.count("shape"))
    return fail("Header does not contain the correct keys: [" + keys + "]");

  const Literal &shape = *fields["shape"];
  bool shapeValid = shape.kind == Literal::Tuple;
  for (const Literal &dim : shape.items)
    shapeValid &= dim.kind == Literal::Integer;
  if (!shapeValid)
    return fail("shape is not valid: " + shape.repr);
  const Literal &fortran = *fields["fortran_order"];
  if (fortran.kind != Literal::Bool)
    return fail("fortran_order is not a valid bool: " + fortran.repr);
  const Literal &descr = *fields["descr"];
  if (descr.kind != Literal::String)
    return fail("descr is not a valid dtype descriptor: " + descr.repr);

  std::optional<Dtype> dtype = lookupDtype(descr.text);
  if (!dtype)
    return fail("has dtype " + quoted(descr.text) +
                "; Tessera reads float32 '<f4', float16 '<f2', int32 '<i4', "
                "int64 '<i8' and bool '|b1'");
  if (fortran.flag)
    return fail("is in Fortran order; save it in C order "
                "(numpy.ascontiguousarray)");

  array.type = dtype->type;
  array.shape.clear();
  // numpy infers a dim of -1 from the file's size (its reshape does); a
  // header describes an array, so Tessera takes no negative dim.
  for (const Literal &dim : shape.items) {
    if (dim.integer < 0)
      return fail("negative dimensions are not allowed (shape " + shape.repr +
                  ")");
    array.shape.push_back(dim.integer);
  }
  uint64_t count = 1;
  bool tooLarge = false;
  for (int64_t dim : array.shape) {
    uint64_t d = static_cast<uint64_t>(dim);
    tooLarge |= d != 0 && count > std::numeric_limits<uint64_t>::max() / d;
    count *= d;
  }
  if (std::find(array.shape.begin(), array.shape.end(), 0) !=
      array.shape.end()) {
    count = 0;
    tooLarge = false;
  }
  uint64_t available = size - at;
  if (tooLarge || count > available / dtype->size)
    return fail("is truncated: shape " + shape.repr + " of " + descr.text +
                " needs more data than the " + std::to_string(available) +
                " bytes after the header");
  const char *data = bytes + at;
  if (!dtype->narrow) {
    array.data.assign(data, data + count * dtype->size);
    return true;
  }
  array.data.resize(count * 4);
  for (uint64_t i = 0; i < count; ++i) {
    int64_t value;
    std::memcpy(&value, data + 8 * i, 8);
    if (value < std::numeric_limits<int32_t>::min() ||
        value > std::numeric_limits<int32_t>::max())
      return fail("holds the int64 value " + std::to_string(value) +
                  ", beyond the int32 range Tessera computes in");
    int32_t small = static_cast<int32_t>(value);
    std::memcpy(array.data.data() + 4 * i, &small, 4);
  }
  return true;
}

bool read(const std::string &path, Array &array, std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = "cannot open '" + path + "'";
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(file)),
                          std::istreambuf_iterator<char>());
  if (file.bad()) {
    error = "cannot read '" + path + "'";
    return false;
  }
  return parse(bytes.data(), bytes.size(), path, array, error);
}

bool write(const std::string &path, const tessera_tensor &tensor,
           std::string &error) {
  const char *descr = tensor.element_type == TESSERA_F32   ? "<f4"
                      : tensor.element_type == TESSERA_F16 ? "<f2"
                      : tensor.element_type == TESSERA_I32 ? "<i4"
                                                           : "|b1";
  std::string shape = "(";
  for (uint32_t d = 0; d < tensor.rank; ++d)
    shape += std::to_string(tensor.shape[d]) +
             (tensor.rank == 1 ? "," : (d + 1 < tensor.rank ? ", " : ""));
  shape += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream file(path, std::ios::binary);
  uint16_t length = static_cast<uint16_t>(header.size());
  file.write("\x93NUMPY\x01\x00", 8);
  file.write(reinterpret_cast<const char *>(&length), 2);
  file.write(header.data(), static_cast<std::streamsize>(header.size()));
  file.write(static_cast<const char *>(tensor.data),
             static_cast<std::streamsize>(tensor.size));
  if (!file) {
    error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

bool Inputs::add(const std::string &spec, std::string &error) {
  size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) {
    error = "--input '" + spec + "' is not NAME=FILE.npy";
    return false;
  }
  names.push_back(spec.substr(0, eq));
  paths.push_back(spec.substr(eq + 1));
  return true;
}

bool Inputs::read(std::string &error) {
  arrays.assign(names.size(), Array());
  tensors.assign(names.size(), tessera_tensor{});
  for (size_t i = 0; i < names.size(); ++i) {
    if (!npy::read(paths[i], arrays[i], error)) {
      error = "input '" + names[i] + "': " + error;
      return false;
    }
    if (arrays[i].shape.size() > TESSERA_MAX_RANK) {
      error = "input '" + names[i] + "' has too high a rank";
      return false;
    }
    tessera_tensor &tensor = tensors[i];
    tensor.name = names[i].c_str();
    tensor.element_type = arrays[i].type;
    tensor.rank = static_cast<uint32_t>(arrays[i].shape.size());
    std::copy(arrays[i].shape.begin(), arrays[i].shape.end(), tensor.shape);
    tensor.data = arrays[i].data.data();
    tensor.size = arrays[i].data.size();
  }
  return true;
}

} // namespace tessera::npy

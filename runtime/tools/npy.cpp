//===- npy.cpp - NumPy .npy files -----------------------------------------===//

#include "npy.h"

#include <cstring>
#include <fstream>
#include <limits>

namespace tessera::npy {

namespace {

/// The value of `key` in the header dict, e.g. 'descr': '<f4'.
std::string field(const std::string &header, const std::string &key) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return "";
  size_t colon = header.find(':', at);
  size_t end = header.find_first_of(",}", colon);
  if (key == "shape")
    end = header.find(')', colon) + 1;
  std::string value = header.substr(colon + 1, end - colon - 1);
  size_t first = value.find_first_not_of(" '");
  size_t last = value.find_last_not_of(" '");
  return first == std::string::npos ? ""
                                    : value.substr(first, last - first + 1);
}

} // namespace

bool read(const std::string &path, Array &array, std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = "cannot open '" + path + "'";
    return false;
  }
  char magic[8];
  if (!file.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    error = "'" + path + "' is not a .npy file";
    return false;
  }
  uint32_t headerLength = 0;
  if (magic[6] == 1) {
    uint16_t length = 0;
    file.read(reinterpret_cast<char *>(&length), 2);
    headerLength = length;
  } else {
    file.read(reinterpret_cast<char *>(&headerLength), 4);
  }
  std::string header(headerLength, '\0');
  if (!file.read(header.data(), headerLength)) {
    error = "'" + path + "' has a truncated header";
    return false;
  }
  std::string descr = field(header, "descr");
  if (field(header, "fortran_order") == "True") {
    error = "'" + path + "' is in Fortran order; save it in C order";
    return false;
  }
  size_t elementSize;
  bool narrow = false;
  if (descr == "<f4") {
    array.type = TESSERA_F32;
    elementSize = 4;
  } else if (descr == "<f2") {
    array.type = TESSERA_F16;
    elementSize = 2;
  } else if (descr == "<i4") {
    array.type = TESSERA_I32;
    elementSize = 4;
  } else if (descr == "<i8") {
    array.type = TESSERA_I32;
    elementSize = 8;
    narrow = true;
  } else if (descr == "|b1") {
    array.type = TESSERA_BOOL;
    elementSize = 1;
  } else {
    error = "'" + path + "' has dtype '" + descr +
            "'; Tessera reads float32, float16, int32, int64 and bool";
    return false;
  }
  std::string shape = field(header, "shape");
  array.shape.clear();
  int64_t count = 1;
  for (size_t i = 0; i < shape.size();) {
    if (!std::isdigit(static_cast<unsigned char>(shape[i]))) {
      ++i;
      continue;
    }
    size_t used = 0;
    int64_t dim = std::stoll(shape.substr(i), &used);
    array.shape.push_back(dim);
    count *= dim;
    i += used;
  }
  std::vector<char> raw(count * elementSize);
  if (!file.read(raw.data(), static_cast<std::streamsize>(raw.size()))) {
    error = "'" + path + "' is truncated: shape needs " +
            std::to_string(raw.size()) + " bytes of data";
    return false;
  }
  if (!narrow) {
    array.data = std::move(raw);
    return true;
  }
  array.data.resize(count * 4);
  for (int64_t i = 0; i < count; ++i) {
    int64_t value;
    std::memcpy(&value, raw.data() + 8 * i, 8);
    if (value < std::numeric_limits<int32_t>::min() ||
        value > std::numeric_limits<int32_t>::max()) {
      error = "'" + path + "' holds int64 values beyond int32";
      return false;
    }
    int32_t small = static_cast<int32_t>(value);
    std::memcpy(array.data.data() + 4 * i, &small, 4);
  }
  return true;
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

} // namespace tessera::npy

//===- npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Reads and writes version 1.0 / 2.0 .npy files of little-endian float32,
// int32, int64 (narrowed to int32 when the values fit) and bool, C order.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_TOOLS_NPY_H
#define TESSERA_TOOLS_NPY_H

#include "tessera/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::npy {

struct Array {
  tessera_element_type type = TESSERA_F32;
  std::vector<int64_t> shape;
  std::vector<char> data;
};

/// Reads `path`; on failure returns false and sets `error`.
bool read(const std::string &path, Array &array, std::string &error);
bool write(const std::string &path, const tessera_tensor &tensor,
           std::string &error);

} // namespace tessera::npy

#endif // TESSERA_TOOLS_NPY_H

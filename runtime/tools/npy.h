//===- npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Reads .npy files of little-endian float32, float16, int32, int64 (narrowed
// to int32 when the values fit) and bool in C order, rejecting what numpy
// rejects; writes version 1.0 files.
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
/// Parses the bytes of a .npy file, as numpy.load does (numpy 1.24: format
/// versions 1.0 to 3.0, headers up to 10000 bytes, exactly the keys descr,
/// fortran_order and shape); `name` names it in errors.
bool parse(const char *bytes, size_t size, const std::string &name,
           Array &array, std::string &error);
bool write(const std::string &path, const tessera_tensor &tensor,
           std::string &error);

/// Model inputs given as `--input NAME=FILE.npy`: the arrays, and tensors
/// that point into them (and into the names).
struct Inputs {
  std::vector<std::string> names;
  std::vector<std::string> paths;
  std::vector<Array> arrays;
  std::vector<tessera_tensor> tensors;

  /// Adds one `NAME=FILE.npy`; false (and `error`) when it is not that.
  bool add(const std::string &spec, std::string &error);
  /// Reads every file; false (and `error`, naming the input) on failure.
  bool read(std::string &error);
};

} // namespace tessera::npy

#endif // TESSERA_TOOLS_NPY_H

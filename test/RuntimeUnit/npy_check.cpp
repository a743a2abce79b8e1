//===- npy_check.cpp - What Tessera's .npy reader makes of a file ---------===//
//
// tessera-npy-check FILE prints "ok DTYPE [SHAPE] HEX" (numpy's dtype string
// and the data's bytes in hex) or the reader's error and exit status 1.
// test/Runtime/npy-vs-numpy.test compares it with numpy.load.
//
//===----------------------------------------------------------------------===//

#include "npy.h"

#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: tessera-npy-check FILE.npy\n");
    return 2;
  }
  tessera::npy::Array array;
  std::string error;
  if (!tessera::npy::read(argv[1], array, error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  const char *dtype = array.type == TESSERA_F32   ? "<f4"
                      : array.type == TESSERA_F16 ? "<f2"
                      : array.type == TESSERA_I32 ? "<i4"
                                                  : "|b1";
  std::printf("ok %s [", dtype);
  for (size_t d = 0; d < array.shape.size(); ++d)
    std::printf("%s%lld", d ? ", " : "",
                static_cast<long long>(array.shape[d]));
  std::printf("] ");
  for (char byte : array.data)
    std::printf("%02x", static_cast<unsigned char>(byte));
  std::printf("\n");
  return 0;
}

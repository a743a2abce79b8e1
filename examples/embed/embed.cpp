// Runs a compiled model through Tessera's C++ wrapper (tessera/runtime.hpp,
// inline over the C API; failures throw tessera::Error). The same job as
// embed.c, with the same made-up inputs and the same output lines.
//
//   embed-cpp MODEL.tsr [LENGTH]
#include <tessera/runtime.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char **argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: embed-cpp MODEL.tsr [LENGTH]\n");
    return 2;
  }
  int64_t length = argc > 2 ? std::stoll(argv[2]) : 8;
  tessera::Instance instance;
  tessera::Program program(instance, argv[1], instance.selectDevice());

  std::vector<tessera_tensor> inputs = program.inputs();
  std::vector<std::vector<char>> storage;
  for (tessera_tensor &in : inputs) {
    size_t n = 1;
    for (uint32_t d = 0; d < in.rank; ++d)
      n *= size_t(in.shape[d] = in.shape[d] < 0 ? length : in.shape[d]);
    size_t width = in.element_type == TESSERA_BOOL  ? 1
                   : in.element_type == TESSERA_F16 ? 2
                                                    : 4;
    std::vector<char> &data = storage.emplace_back(n * width);
    for (size_t e = 0; e < n; ++e) {
      float wave = std::sin(0.1f * float(e));
      if (in.element_type == TESSERA_F32)
        reinterpret_cast<float *>(data.data())[e] = wave;
      else if (in.element_type == TESSERA_F16)
        reinterpret_cast<uint16_t *>(data.data())[e] = tessera_f32_to_f16(wave);
      else if (in.element_type == TESSERA_I32)
        reinterpret_cast<int32_t *>(data.data())[e] = int32_t(e % 7);
      else
        data[e] = 1;
    }
    in.data = data.data();
    in.size = data.size();
  }
  program.run(inputs);

  for (const tessera_tensor &out : program.outputs()) {
    std::printf("%s [", out.name);
    for (uint32_t d = 0; d < out.rank; ++d)
      std::printf(d ? " %lld" : "%lld", static_cast<long long>(out.shape[d]));
    std::printf("]");
    if (out.element_type == TESSERA_F32) {
      auto x = static_cast<const float *>(out.data);
      size_t n = out.size / 4;
      double sum = 0;
      for (size_t e = 0; e < n; ++e)
        sum += std::fabs(x[e]);
      std::printf(" mean|x| %.7g:", n ? sum / n : 0.0);
      for (size_t e = 0; e < 4 && e < n; ++e)
        std::printf(" %.7g", x[e]);
    }
    std::printf("\n");
  }
  return 0;
} catch (const tessera::Error &error) {
  std::fprintf(stderr, "embed-cpp: %s\n", error.what());
  return 1;
}

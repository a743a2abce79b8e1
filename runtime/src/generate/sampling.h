//===- sampling.h - Choosing the next token from logits ---------*- C++ -*-===//
//
// The logits processors of Hugging Face's generate(), in its order:
// repetition penalty, then temperature, top-k and top-p; greedy decoding
// takes the first largest logit, as torch.argmax does.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_GENERATE_SAMPLING_H
#define TESSERA_RUNTIME_GENERATE_SAMPLING_H

#include <cstdint>
#include <random>
#include <vector>

namespace tessera::generate {

struct SamplingOptions {
  float temperature = 0; // 0: greedy
  uint32_t topK = 0;     // 0: off
  float topP = 1;        // 1: off
  float repetitionPenalty = 1;
};

/// Divides positive logits of tokens seen by `penalty`, multiplies the
/// negative ones (CTRL's penalty, as transformers applies it).
void applyRepetitionPenalty(std::vector<float> &logits,
                            const std::vector<int32_t> &seen, float penalty);

/// The next token from `logits`: greedy or sampled with `random`.
int32_t chooseToken(std::vector<float> logits, const SamplingOptions &options,
                    std::mt19937_64 &random);

} // namespace tessera::generate

#endif // TESSERA_RUNTIME_GENERATE_SAMPLING_H

//===- sampling.cpp - Choosing the next token from logits -----------------===//

#include "generate/sampling.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>

namespace tessera::generate {

void applyRepetitionPenalty(std::vector<float> &logits,
                            const std::vector<int32_t> &seen, float penalty) {
  if (penalty == 1 || penalty <= 0)
    return;
  std::unordered_set<int32_t> unique(seen.begin(), seen.end());
  for (int32_t id : unique) {
    if (id < 0 || static_cast<size_t>(id) >= logits.size())
      continue;
    float &logit = logits[id];
    logit = logit > 0 ? logit / penalty : logit * penalty;
  }
}

int32_t chooseToken(std::vector<float> logits, const SamplingOptions &options,
                    std::mt19937_64 &random) {
  if (options.temperature <= 0)
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) -
                                logits.begin());

  for (float &logit : logits)
    logit /= options.temperature;
  // Candidates by decreasing logit (stable: the lower id first on ties).
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  size_t keep = order.size();
  if (options.topK > 0 && options.topK < keep)
    keep = options.topK;
  std::partial_sort(order.begin(), order.begin() + keep, order.end(),
                    [&](int32_t a, int32_t b) {
                      return logits[a] != logits[b] ? logits[a] > logits[b]
                                                    : a < b;
                    });
  order.resize(keep);
  // Softmax over the candidates.
  float top = logits[order[0]];
  std::vector<double> probabilities(keep);
  double sum = 0;
  for (size_t k = 0; k < keep; ++k)
    sum += probabilities[k] = std::exp(double(logits[order[k]]) - top);
  for (double &p : probabilities)
    p /= sum;
  // Top-p: the smallest prefix whose mass reaches p (at least one token).
  if (options.topP > 0 && options.topP < 1) {
    double mass = 0;
    size_t k = 0;
    while (k < keep && mass < options.topP)
      mass += probabilities[k++];
    probabilities.resize(std::max<size_t>(k, 1));
    order.resize(probabilities.size());
  }
  // A uniform double in [0, 1) from the engine's bits, then the
  // cumulative mass: the same on every standard library (mt19937_64 is
  // specified bit for bit; the distributions are not).
  double total =
      std::accumulate(probabilities.begin(), probabilities.end(), 0.0);
  double u = double(random() >> 11) * 0x1.0p-53 * total;
  for (size_t k = 0; k < probabilities.size(); ++k) {
    if (u < probabilities[k])
      return order[k];
    u -= probabilities[k];
  }
  return order.back();
}

} // namespace tessera::generate

//===- sampling_test.cpp - Choosing the next token ------------------------===//
//
// The logits processors against what their definitions imply: greedy takes
// the first largest logit; sampling follows the softmax; top-k and top-p
// keep the tokens they name and no others; the repetition penalty divides
// positive logits and multiplies negative ones.
//
//===----------------------------------------------------------------------===//

#include "generate/sampling.h"

#include <gtest/gtest.h>

#include <cmath>

namespace {

using tessera::generate::applyRepetitionPenalty;
using tessera::generate::chooseToken;
using tessera::generate::SamplingOptions;

std::vector<float> logitsOf(const std::vector<double> &probabilities) {
  std::vector<float> logits;
  for (double p : probabilities)
    logits.push_back(static_cast<float>(std::log(p)));
  return logits;
}

/// How often each token is drawn in `n` samples.
std::vector<double> frequencies(const std::vector<float> &logits,
                                const SamplingOptions &options, int n) {
  std::mt19937_64 random(42);
  std::vector<double> counts(logits.size());
  for (int i = 0; i < n; ++i)
    counts[chooseToken(logits, options, random)] += 1.0 / n;
  return counts;
}

TEST(Sampling, GreedyTakesTheFirstLargest) {
  std::mt19937_64 random(0);
  EXPECT_EQ(chooseToken({1, 3, 3, 2}, SamplingOptions{}, random), 1);
}

TEST(Sampling, FollowsTheSoftmax) {
  SamplingOptions options;
  options.temperature = 1;
  std::vector<double> f =
      frequencies(logitsOf({0.5, 0.3, 0.2}), options, 20000);
  EXPECT_NEAR(f[0], 0.5, 0.015);
  EXPECT_NEAR(f[1], 0.3, 0.015);
  EXPECT_NEAR(f[2], 0.2, 0.015);
  // Temperature 0.5 squares the odds: 25 : 9 : 4.
  options.temperature = 0.5;
  f = frequencies(logitsOf({0.5, 0.3, 0.2}), options, 20000);
  EXPECT_NEAR(f[0], 25.0 / 38, 0.015);
  EXPECT_NEAR(f[2], 4.0 / 38, 0.015);
}

TEST(Sampling, TopKAndTopPKeepWhatTheyName) {
  SamplingOptions options;
  options.temperature = 1;
  options.topK = 2;
  std::vector<double> f =
      frequencies(logitsOf({0.2, 0.5, 0.3}), options, 20000);
  EXPECT_EQ(f[0], 0.0);
  EXPECT_NEAR(f[1], 0.5 / 0.8, 0.015);
  // Top-p 0.6: 0.5 is not enough, 0.5 + 0.3 is; 0.2 is never drawn.
  options.topK = 0;
  options.topP = 0.6f;
  f = frequencies(logitsOf({0.2, 0.5, 0.3}), options, 20000);
  EXPECT_EQ(f[0], 0.0);
  EXPECT_NEAR(f[2], 0.3 / 0.8, 0.015);
  // A p below the likeliest token's mass keeps that token alone.
  options.topP = 0.1f;
  f = frequencies(logitsOf({0.2, 0.5, 0.3}), options, 1000);
  EXPECT_NEAR(f[1], 1.0, 1e-9);
}

TEST(Sampling, TheSameSeedDrawsTheSameTokens) {
  SamplingOptions options;
  options.temperature = 1;
  std::vector<float> logits = logitsOf({0.25, 0.25, 0.25, 0.25});
  std::mt19937_64 a(7), b(7);
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(chooseToken(logits, options, a), chooseToken(logits, options, b));
}

TEST(Sampling, RepetitionPenaltyDividesAndMultiplies) {
  std::vector<float> logits = {2, -2, 2, -2};
  applyRepetitionPenalty(logits, {0, 1, 1}, 2);
  EXPECT_EQ(logits, (std::vector<float>{1, -4, 2, -2}));
}

} // namespace

//===- generator.h - The decoding loop --------------------------*- C++ -*-===//
//
// Generation with a decoder: the signature the loop needs is read from the
// binary (which input is which, which output carries into which past). With
// past keys and values, the prompt is prefilled with an empty cache and
// each step runs one token while the cache stays on the device
// (Session::carry); without, each step runs the whole sequence again.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_GENERATE_GENERATOR_H
#define TESSERA_RUNTIME_GENERATE_GENERATOR_H

#include "generate/sampling.h"
#include "session.h"

#include <functional>

namespace tessera::generate {

using runtime::Status;

/// Where a decoder's inputs and outputs are, and how long its context is.
struct DecoderSignature {
  uint32_t inputIds = 0;
  std::optional<uint32_t> attentionMask, positionIds;
  struct Cache {
    uint32_t input, output;
    std::vector<int64_t> emptyShape; // [1, heads, 0, head_dim]
  };
  std::vector<Cache> caches;
  uint32_t logits = 0;
  int64_t vocab = 0;
  int64_t maxPrompt = 0;         // the bound of the sequence dimension
  int64_t maxContext = 0;        // prompt and new tokens: the past bound + 1
  std::string seqName, pastName; // the dynamic dimensions, for messages

  /// Reads the signature of `model`; the message says what is missing.
  static Status read(const runtime::Model &model, DecoderSignature &out);
};

struct GenerationOptions {
  uint32_t maxNewTokens = 64;
  SamplingOptions sampling;
  uint64_t seed = 0;
  std::vector<int32_t> stopIds;
  std::vector<std::string> stopStrings;
  /// Text of the new tokens so far (for stop strings and streaming); empty
  /// without a tokenizer.
  std::function<Status(const std::vector<int32_t> &, std::string &)> decode;
  /// Each new token and the text it completes; true stops.
  std::function<bool(int32_t, const std::string &)> onToken;
  /// Inputs the decoder takes besides the tokens, the same at every step
  /// (an encoder's output, image features).
  std::vector<runtime::HostTensor> extraInputs;
};

enum class StopReason {
  MaxTokens,
  EndOfSequence,
  StopString,
  Context,
  Callback
};

struct GenerationResult {
  std::vector<int32_t> ids;
  StopReason stop = StopReason::MaxTokens;
  double prefillSeconds = 0, decodeSeconds = 0, decodeDeviceSeconds = 0;
};

/// A decoder binary and where its inputs and outputs are.
struct Decoder {
  runtime::Session &session;
  DecoderSignature signature;
};

/// Runs the loop: the prompt on `prompt`, the one-token steps on `steps`
/// (the same binary, or one compiled for one token per step, whose tiles
/// fit a step: the cache then moves to it once, after the prompt). Sets up
/// the carries of the steps' session on first use.
Status generate(const Decoder &promptDecoder, const Decoder &stepDecoder,
                const std::vector<int32_t> &prompt,
                const GenerationOptions &options, GenerationResult &out);

} // namespace tessera::generate

#endif // TESSERA_RUNTIME_GENERATE_GENERATOR_H

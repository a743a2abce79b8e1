//===- generator.cpp - The decoding loop ----------------------------------===//

#include "generate/generator.h"

#include <chrono>

namespace tessera::generate {

namespace {

Status notADecoder(const runtime::Model &model, const std::string &why) {
  return Status(TESSERA_ERROR_INVALID_MODEL,
                model.name() + " cannot generate: " + why);
}

/// The present output that a past input's name pairs with: Hugging Face's
/// "past_key_values.0.key" → "present.0.key", or "past_key_0" →
/// "present_key_0".
std::vector<std::string> presentNames(const std::string &past) {
  std::vector<std::string> names;
  for (const char *from : {"past_key_values", "past"}) {
    size_t at = past.find(from);
    if (at != std::string::npos)
      names.push_back(past.substr(0, at) + "present" +
                      past.substr(at + std::string(from).size()));
  }
  return names;
}

/// The one symbol a dimension is (coefficient 1), or -1.
int64_t symbolOf(const tsr::DimExpr *dim) {
  if (!dim || dim->terms() || !dim->symbols() || dim->symbols()->size() != 1 ||
      dim->coefficient() != 1)
    return -1;
  return dim->symbols()->Get(0);
}

} // namespace

Status DecoderSignature::read(const runtime::Model &model,
                              DecoderSignature &out) {
  const tsr::Model &root = model.root();
  auto inputNamed = [&](const std::string &name) -> std::optional<uint32_t> {
    for (uint32_t i = 0; i < root.inputs()->size(); ++i)
      if (root.inputs()->Get(i)->name()->str() == name)
        return i;
    return std::nullopt;
  };
  auto outputNamed = [&](const std::string &name) -> std::optional<uint32_t> {
    for (uint32_t i = 0; i < root.outputs()->size(); ++i)
      if (root.outputs()->Get(i)->name()->str() == name)
        return i;
    return std::nullopt;
  };
  auto rank = [](const tsr::TensorInfo *t) {
    return t->shape() ? t->shape()->size() : 0u;
  };

  auto ids = inputNamed("input_ids");
  if (!ids || rank(root.inputs()->Get(*ids)) != 2 ||
      root.inputs()->Get(*ids)->element_type() != tsr::ElementType::I32)
    return notADecoder(model, "it has no input 'input_ids' of rank 2");
  out.inputIds = *ids;
  out.attentionMask = inputNamed("attention_mask");
  out.positionIds = inputNamed("position_ids");

  auto logits = outputNamed("logits");
  if (!logits || rank(root.outputs()->Get(*logits)) != 3)
    return notADecoder(model, "it has no output 'logits' [batch, seq, vocab]");
  out.logits = *logits;
  const tsr::DimExpr *vocab = root.outputs()->Get(*logits)->shape()->Get(2);
  if (vocab->symbols() && vocab->symbols()->size())
    return notADecoder(model, "its logits' vocabulary dimension is dynamic");
  out.vocab = vocab->coefficient();

  int64_t pastSymbol = -1;
  std::string unpaired;
  for (uint32_t i = 0; i < root.inputs()->size(); ++i) {
    const tsr::TensorInfo *info = root.inputs()->Get(i);
    std::string name = info->name()->str();
    if (name.find("past") == std::string::npos)
      continue;
    std::optional<uint32_t> present;
    for (const std::string &candidate : presentNames(name))
      if ((present = outputNamed(candidate)))
        break;
    if (!present) {
      unpaired += (unpaired.empty() ? "" : ", ") + name;
      continue;
    }
    if (rank(info) != 4)
      return notADecoder(model, "past input '" + name +
                                    "' is not [batch, heads, past, head_dim]");
    Cache cache{i, *present, {}};
    for (uint32_t d = 0; d < 4; ++d) {
      const tsr::DimExpr *dim = info->shape()->Get(d);
      int64_t symbol = symbolOf(dim);
      if (d == 2) {
        if (symbol < 0 || (pastSymbol >= 0 && symbol != pastSymbol))
          return notADecoder(model, "past input '" + name +
                                        "' has no past length dimension "
                                        "shared with the others");
        pastSymbol = symbol;
        cache.emptyShape.push_back(0);
      } else if (d == 0) {
        cache.emptyShape.push_back(1);
      } else {
        if (dim->symbols() && dim->symbols()->size())
          return notADecoder(model, "past input '" + name +
                                        "' has a dynamic dimension " +
                                        std::to_string(d));
        cache.emptyShape.push_back(dim->coefficient());
      }
    }
    out.caches.push_back(std::move(cache));
  }
  if (!unpaired.empty())
    return notADecoder(model, "no present output pairs with " + unpaired +
                                  " (expected 'present' in place of "
                                  "'past_key_values' or 'past')");

  // The length of 'input_ids': one dynamic dimension, or fixed (a step
  // model compiled with --dim seq=1, whose length the import made static).
  const tsr::DimExpr *length = root.inputs()->Get(out.inputIds)->shape()->Get(1);
  int64_t seqSymbol = symbolOf(length);
  bool fixedLength = !length->terms() &&
                     (!length->symbols() || length->symbols()->size() == 0);
  if (seqSymbol < 0 && !fixedLength)
    return notADecoder(model, "the length of 'input_ids' is not one dynamic "
                              "dimension");
  if (seqSymbol >= 0) {
    const tsr::Symbol *seq = root.symbols()->Get(seqSymbol);
    out.seqName = seq->name()->str();
    out.maxPrompt = seq->max();
  } else {
    out.maxPrompt = length->coefficient();
  }
  if (out.caches.empty()) {
    // Without a cache every step runs the whole sequence again.
    out.maxContext = out.maxPrompt;
    return Status::ok();
  }
  const tsr::Symbol *past = root.symbols()->Get(pastSymbol);
  if (past->min() != 0)
    return notADecoder(
        model, "its past length '" + past->name()->str() + "' starts at " +
                   std::to_string(past->min()) +
                   ", so the prompt cannot run with an empty cache; "
                   "recompile with tessera-compile --dim " +
                   past->name()->str() + "=0:" + std::to_string(past->max()));
  out.maxContext = past->max() + 1;
  out.pastName = past->name()->str();
  return Status::ok();
}

namespace {

runtime::HostTensor intTensor(const std::string &name,
                              std::vector<int64_t> shape,
                              const std::vector<int32_t> &values) {
  runtime::HostTensor t;
  t.name = name;
  t.type = tsr::ElementType::I32;
  t.shape = std::move(shape);
  t.data.resize(values.size() * 4);
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

/// The inputs of one step: `ids` at positions [past, past + ids.size()).
std::vector<runtime::HostTensor> stepInputs(const runtime::Model &model,
                                            const DecoderSignature &signature,
                                            const std::vector<int32_t> &ids,
                                            int64_t past, bool emptyCache) {
  const tsr::Model &root = model.root();
  auto name = [&](uint32_t input) {
    return root.inputs()->Get(input)->name()->str();
  };
  int64_t n = static_cast<int64_t>(ids.size());
  std::vector<runtime::HostTensor> inputs;
  inputs.push_back(intTensor(name(signature.inputIds), {1, n}, ids));
  if (signature.attentionMask)
    inputs.push_back(intTensor(name(*signature.attentionMask), {1, past + n},
                               std::vector<int32_t>(past + n, 1)));
  if (signature.positionIds) {
    std::vector<int32_t> positions(n);
    for (int64_t k = 0; k < n; ++k)
      positions[k] = static_cast<int32_t>(past + k);
    inputs.push_back(
        intTensor(name(*signature.positionIds), {1, n}, positions));
  }
  if (emptyCache)
    for (const DecoderSignature::Cache &cache : signature.caches) {
      runtime::HostTensor empty;
      empty.name = name(cache.input);
      empty.type = root.inputs()->Get(cache.input)->element_type();
      empty.shape = cache.emptyShape;
      inputs.push_back(std::move(empty));
    }
  return inputs;
}

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

namespace {

/// The presents of the last run of `from`, as the past inputs of `to`: the
/// cache moving from the prompt's binary to the steps'.
Status handOver(const Decoder &from, const Decoder &to,
                std::vector<runtime::HostTensor> &out) {
  const tsr::Model &target = to.session.program().model().root();
  for (size_t k = 0; k < from.signature.caches.size(); ++k) {
    runtime::HostTensor present;
    if (Status s =
            from.session.readOutput(from.signature.caches[k].output, present);
        !s.isOk())
      return s;
    present.name =
        target.inputs()->Get(to.signature.caches[k].input)->name()->str();
    out.push_back(std::move(present));
  }
  return Status::ok();
}

/// Both binaries must be the same decoder.
Status checkPair(const Decoder &prompt, const Decoder &steps) {
  const auto &a = prompt.signature, &b = steps.signature;
  bool same = a.vocab == b.vocab && a.caches.size() == b.caches.size();
  for (size_t k = 0; same && k < a.caches.size(); ++k)
    same = a.caches[k].emptyShape == b.caches[k].emptyShape;
  if (!same)
    return Status(TESSERA_ERROR_INVALID_ARGUMENT,
                  steps.session.program().model().name() +
                      " is not the same decoder as " +
                      prompt.session.program().model().name() +
                      ": their vocabularies or caches differ");
  return Status::ok();
}

} // namespace

Status generate(const Decoder &promptDecoder, const Decoder &stepDecoder,
                const std::vector<int32_t> &prompt,
                const GenerationOptions &options, GenerationResult &out) {
  const DecoderSignature &signature = promptDecoder.signature;
  const runtime::Model &model = promptDecoder.session.program().model();
  out = GenerationResult();
  if (prompt.empty())
    return Status(TESSERA_ERROR_INVALID_INPUT, "the prompt has no tokens");
  if (Status s = checkPair(promptDecoder, stepDecoder); !s.isOk())
    return s;
  int64_t length = static_cast<int64_t>(prompt.size());
  int64_t maxContext = stepDecoder.signature.maxContext;
  bool cached = !stepDecoder.signature.caches.empty();
  if (signature.seqName.empty() && length != signature.maxPrompt)
    return Status(TESSERA_ERROR_INVALID_INPUT,
                  "the prompt has " + std::to_string(length) + " tokens; " +
                      model.name() + " was compiled for exactly " +
                      std::to_string(signature.maxPrompt) +
                      " per run (its length fixed by --dim); recompile it "
                      "with a range, --dim NAME=1:N");
  if (length > signature.maxPrompt || (cached && length >= maxContext))
    return Status(TESSERA_ERROR_INVALID_INPUT,
                  "the prompt has " + std::to_string(length) + " tokens; " +
                      model.name() + " was compiled for " +
                      std::to_string(
                          cached ? std::min(signature.maxPrompt, maxContext - 1)
                                 : signature.maxPrompt) +
                      " (to run it, recompile with tessera-compile --dim " +
                      signature.seqName + "=1:" +
                      std::to_string(std::max(length, signature.maxPrompt)) +
                      (cached ? " --dim " + signature.pastName + "=0:N, N > " +
                                    std::to_string(length)
                              : std::string()) +
                      ")");
  for (size_t i = 0; i < prompt.size(); ++i)
    if (prompt[i] < 0 || prompt[i] >= signature.vocab)
      return Status(TESSERA_ERROR_INVALID_INPUT,
                    "prompt token " + std::to_string(i) + " is " +
                        std::to_string(prompt[i]) +
                        ", outside the model's vocabulary of " +
                        std::to_string(signature.vocab));

  // The steps carry their cache on the device.
  runtime::Session &steps = stepDecoder.session;
  const tsr::Model &stepRoot = steps.program().model().root();
  for (const DecoderSignature::Cache &cache : stepDecoder.signature.caches)
    if (Status s =
            steps.carry(stepRoot.outputs()->Get(cache.output)->name()->str(),
                        stepRoot.inputs()->Get(cache.input)->name()->str());
        !s.isOk())
      return s;
  steps.resetCarries();
  bool twoBinaries = &promptDecoder.session != &steps;

  std::mt19937_64 random(options.seed);
  std::vector<int32_t> seen = prompt;
  std::vector<float> logits;
  std::string text, previousText;
  int64_t past = 0;
  std::vector<int32_t> step = prompt;
  while (true) {
    auto start = std::chrono::steady_clock::now();
    bool prefill = out.ids.empty();
    const Decoder &decoder = prefill ? promptDecoder : stepDecoder;
    std::vector<runtime::HostTensor> inputs =
        stepInputs(decoder.session.program().model(), decoder.signature, step,
                   past, prefill);
    inputs.insert(inputs.end(), options.extraInputs.begin(),
                  options.extraInputs.end());
    // The first step of a second binary takes the prompt's cache.
    if (twoBinaries && cached && out.ids.size() == 1)
      if (Status s = handOver(promptDecoder, stepDecoder, inputs); !s.isOk())
        return s;
    if (Status s = decoder.session.run(inputs); !s.isOk())
      return s;
    // The last position's logits.
    int64_t rows = static_cast<int64_t>(step.size());
    if (Status s = decoder.session.readOutputFloats(
            decoder.signature.logits, (rows - 1) * signature.vocab,
            signature.vocab, logits);
        !s.isOk())
      return s;
    applyRepetitionPenalty(logits, seen, options.sampling.repetitionPenalty);
    int32_t next = chooseToken(std::move(logits), options.sampling, random);
    if (prefill) {
      out.prefillSeconds = since(start);
    } else {
      out.decodeSeconds += since(start);
      out.decodeDeviceSeconds += decoder.session.lastRunSeconds();
    }
    // Without a cache the next run takes the whole sequence again.
    past = cached ? past + rows : 0;
    out.ids.push_back(next);
    seen.push_back(next);

    // The text this token completes, held back while a character is cut.
    std::string piece;
    if (options.decode) {
      if (Status s = options.decode(out.ids, text); !s.isOk())
        return s;
      bool cut = text.size() >= 3 &&
                 text.compare(text.size() - 3, 3, "\xEF\xBF\xBD") == 0;
      if (!cut && text.compare(0, previousText.size(), previousText) == 0) {
        piece = text.substr(previousText.size());
        previousText = text;
      }
    }
    if (options.onToken && options.onToken(next, piece)) {
      out.stop = StopReason::Callback;
      break;
    }
    if (std::find(options.stopIds.begin(), options.stopIds.end(), next) !=
        options.stopIds.end()) {
      out.stop = StopReason::EndOfSequence;
      break;
    }
    bool stopString = false;
    for (const std::string &stop : options.stopStrings)
      stopString =
          stopString || (!stop.empty() && text.find(stop) != std::string::npos);
    if (stopString) {
      out.stop = StopReason::StopString;
      break;
    }
    if (out.ids.size() >= options.maxNewTokens) {
      out.stop = StopReason::MaxTokens;
      break;
    }
    // The next step feeds `next` at position `past` (with a cache), or the
    // sequence with it: it must fit.
    if ((cached && past + 1 > maxContext) ||
        (!cached && seen.size() > static_cast<size_t>(maxContext))) {
      out.stop = StopReason::Context;
      break;
    }
    if (cached)
      step.assign(1, next);
    else
      step = seen;
  }
  return Status::ok();
}

} // namespace tessera::generate

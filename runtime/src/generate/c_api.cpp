//===- c_api.cpp - The C API over the decoding loop -----------------------===//

#include "generate/generator.h"
#include "handles.h"

#include "tessera/generate.h"

#include <cstdlib>
#include <cstring>

using tessera::runtime::reportStatus;
using tessera::runtime::Status;
namespace gen = tessera::generate;

extern "C" {

tessera_status tessera_generate(tessera_program program, const int32_t *prompt,
                                uint32_t prompt_length,
                                const tessera_generation_options *options,
                                tessera_generation_result *out_result) {
  if (!program || (!prompt && prompt_length) || !out_result)
    return reportStatus(tessera::runtime::invalidArgument(
        "tessera_generate: program, prompt or "
        "out_result is NULL"));
  std::memset(out_result, 0, sizeof(*out_result));
  if (!program->session)
    return reportStatus(tessera::runtime::invalidArgument(
        "tessera_generate: the program was loaded "
        "without a device"));
  tessera_generation_options defaults{};
  const tessera_generation_options &o = options ? *options : defaults;

  tessera_program stepProgram = o.step_program ? o.step_program : program;
  if (!stepProgram->session)
    return reportStatus(tessera::runtime::invalidArgument(
        "tessera_generate: the step program was "
        "loaded without a device"));
  gen::Decoder prompter{*program->session, {}};
  gen::Decoder stepper{*stepProgram->session, {}};
  if (Status s = gen::DecoderSignature::read(program->program->model(),
                                             prompter.signature);
      !s.isOk())
    return reportStatus(s);
  if (Status s = gen::DecoderSignature::read(stepProgram->program->model(),
                                             stepper.signature);
      !s.isOk())
    return reportStatus(s);

  gen::GenerationOptions g;
  g.maxNewTokens = o.max_new_tokens ? o.max_new_tokens : 64;
  g.sampling.temperature = o.temperature;
  g.sampling.topK = o.top_k;
  g.sampling.topP = o.top_p > 0 ? o.top_p : 1;
  g.sampling.repetitionPenalty =
      o.repetition_penalty > 0 ? o.repetition_penalty : 1;
  g.seed = o.seed;
  if (o.stop_ids)
    g.stopIds.assign(o.stop_ids, o.stop_ids + o.stop_id_count);
  for (uint32_t i = 0; i < o.stop_string_count; ++i)
    if (o.stop_strings && o.stop_strings[i])
      g.stopStrings.push_back(o.stop_strings[i]);
  if (!g.stopStrings.empty() && !o.tokenizer)
    return reportStatus(tessera::runtime::invalidArgument(
        "tessera_generate: stop strings need a "
        "tokenizer to decode the text"));
  if (tessera_tokenizer tokenizer = o.tokenizer) {
    int32_t eos = 0;
    if (tessera_tokenizer_eos_id(tokenizer, &eos) == TESSERA_OK)
      g.stopIds.push_back(eos);
    g.decode = [tokenizer](const std::vector<int32_t> &ids, std::string &text) {
      size_t length = 0;
      if (tessera_tokenizer_decode(tokenizer, ids.data(),
                                   static_cast<uint32_t>(ids.size()), 0,
                                   nullptr, 0, &length) != TESSERA_OK)
        return Status(TESSERA_ERROR_INVALID_INPUT, tessera_last_error());
      text.assign(length + 1, '\0');
      tessera_tokenizer_decode(tokenizer, ids.data(),
                               static_cast<uint32_t>(ids.size()), 0,
                               text.data(), text.size(), &length);
      text.resize(length);
      return Status::ok();
    };
  }
  if (o.on_token)
    g.onToken = [&o](int32_t id, const std::string &text) {
      return o.on_token(o.user_data, id, text.c_str()) != 0;
    };

  if (o.input_count && !o.inputs)
    return reportStatus(tessera::runtime::invalidArgument(
        "tessera_generate: options->inputs is NULL"));
  if (Status s = tessera::runtime::hostTensors(
          o.inputs, o.input_count, "tessera_generate: ", g.extraInputs);
      !s.isOk())
    return reportStatus(s);

  gen::GenerationResult result;
  std::vector<int32_t> promptIds(prompt, prompt + prompt_length);
  if (Status s = gen::generate(prompter, stepper, promptIds, g, result);
      !s.isOk())
    return reportStatus(s);
  // Every kernel has run once.
  program->program->recordKernelsCompiled();
  if (result.ids.size() > 1)
    stepProgram->program->recordKernelsCompiled();

  out_result->ids = static_cast<int32_t *>(
      std::malloc(result.ids.size() * sizeof(int32_t) + 1));
  if (!out_result->ids)
    return reportStatus(Status(TESSERA_ERROR_OUT_OF_MEMORY, "out of memory"));
  std::memcpy(out_result->ids, result.ids.data(),
              result.ids.size() * sizeof(int32_t));
  out_result->count = static_cast<uint32_t>(result.ids.size());
  out_result->stop_reason = static_cast<tessera_stop_reason>(result.stop);
  out_result->prompt_tokens = prompt_length;
  out_result->prefill_seconds = result.prefillSeconds;
  out_result->decode_seconds = result.decodeSeconds;
  out_result->decode_device_seconds = result.decodeDeviceSeconds;
  return TESSERA_OK;
}

void tessera_generation_result_destroy(tessera_generation_result *result) {
  if (!result)
    return;
  std::free(result->ids);
  std::memset(result, 0, sizeof(*result));
}

} // extern "C"

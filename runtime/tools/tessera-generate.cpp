//===- tessera-generate.cpp - Generate text with a compiled decoder -------===//

#include "npy.h"

#include "tessera/generate.h"
#include "tessera/tokenizer.hpp"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

void printUsage() {
  std::printf(
      "usage: tessera-generate MODEL.tsr --prompt TEXT [options]\n"
      "       tessera-generate MODEL.tsr --prompt-ids 464,2068,... [options]\n"
      "\n"
      "Generates text with a decoder compiled with its past keys and values\n"
      "(docs/runtime-api.md, \"Generation\"), streaming each token as it is\n"
      "produced, then the prefill and decoding speed.\n\n"
      "  --prompt TEXT         the prompt, tokenized with the model's "
      "tokenizer\n"
      "  --prompt-ids IDS      the prompt as comma-separated token ids\n"
      "  --step-model STEP.tsr the same decoder compiled for one token per\n"
      "                        step (tessera-compile --dim seq=1), for the\n"
      "                        steps: several times faster than running them\n"
      "                        with MODEL.tsr, whose tiles fit the prompt\n"
      "  --input NAME=FILE     an input besides the tokens, as a .npy file,\n"
      "                        the same at every step (an encoder's output,\n"
      "                        image features); repeatable\n"
      "  --tokenizer DIR       a tokenizer directory (tokenizer.json, ...)\n"
      "                        instead of the one the .tsr carries\n"
      "  --max-tokens N        new tokens at most (default 64)\n"
      "  --temperature T       0 (the default): greedy; > 0: sampling\n"
      "  --top-k K             sample among the K likeliest tokens\n"
      "  --top-p P             sample among the likeliest tokens of mass P\n"
      "  --repetition-penalty R  > 1 makes repeating a token less likely\n"
      "  --seed S              the sampler's seed (default 0): the same seed\n"
      "                        gives the same text\n"
      "  --stop STRING         stop once the text contains STRING "
      "(repeatable);\n"
      "                        the tokenizer's end-of-sequence token stops "
      "too\n"
      "  --ids                 print the new token ids (one line) instead of\n"
      "                        the text\n"
      "  --device D            device index or name substring\n"
      "  --validation          enable the Khronos validation layer; any\n"
      "                        message it reports fails the run\n"
      "  --trust-kernels       skip the kernels' SPIR-V checks at load\n"
      "  --version             print Tessera's version and git revision\n");
}

int fail(const std::string &message) {
  std::fprintf(stderr, "tessera-generate: %s\n", message.c_str());
  return 1;
}

bool parseIds(const std::string &text, std::vector<int32_t> &ids) {
  for (size_t at = 0; at < text.size();) {
    size_t comma = text.find(',', at);
    if (comma == std::string::npos)
      comma = text.size();
    std::string item = text.substr(at, comma - at);
    char *end = nullptr;
    long value = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end || value < 0 || value > INT32_MAX)
      return false;
    ids.push_back(static_cast<int32_t>(value));
    at = comma + 1;
  }
  return !ids.empty();
}

const char *stopText(tessera_stop_reason reason) {
  switch (reason) {
  case TESSERA_STOP_MAX_TOKENS:
    return "the token budget (--max-tokens)";
  case TESSERA_STOP_END_OF_SEQUENCE:
    return "an end-of-sequence token";
  case TESSERA_STOP_STRING:
    return "a stop string";
  case TESSERA_STOP_CONTEXT:
    return "the context the model was compiled for";
  default:
    return "the caller";
  }
}

} // namespace

int main(int argc, char **argv) {
  std::string modelPath, stepModelPath, prompt, promptIds, tokenizerPath,
      device;
  bool hasPrompt = false, printIds = false, trustKernels = false,
       validation = false;
  tessera_generation_options options{};
  options.max_new_tokens = 64;
  std::vector<std::string> stops;
  tessera::npy::Inputs inputFiles;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *flag) -> std::string {
      if (i + 1 >= argc) {
        fail(std::string(flag) + " needs a value");
        std::exit(2);
      }
      return argv[++i];
    };
    auto number = [&](const char *flag, double low, double high) {
      std::string text = value(flag);
      char *end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end || !(v >= low && v <= high)) {
        fail(std::string(flag) + " needs a number in [" + std::to_string(low) +
             ", " + std::to_string(high) + "], not '" + text + "'");
        std::exit(2);
      }
      return v;
    };
    if (arg == "--help" || arg == "-h") {
      printUsage();
      return 0;
    } else if (arg == "--version") {
      std::printf("tessera-generate: %s\n", tessera_version_text());
      return 0;
    } else if (arg == "--prompt") {
      prompt = value("--prompt");
      hasPrompt = true;
    } else if (arg == "--prompt-ids") {
      promptIds = value("--prompt-ids");
    } else if (arg == "--input") {
      std::string error;
      if (!inputFiles.add(value("--input"), error))
        return fail(error);
    } else if (arg == "--step-model") {
      stepModelPath = value("--step-model");
    } else if (arg == "--tokenizer") {
      tokenizerPath = value("--tokenizer");
    } else if (arg == "--max-tokens") {
      options.max_new_tokens =
          static_cast<uint32_t>(number("--max-tokens", 1, 1e9));
    } else if (arg == "--temperature") {
      options.temperature = static_cast<float>(number("--temperature", 0, 100));
    } else if (arg == "--top-k") {
      options.top_k = static_cast<uint32_t>(number("--top-k", 0, 1e9));
    } else if (arg == "--top-p") {
      options.top_p = static_cast<float>(number("--top-p", 0, 1));
    } else if (arg == "--repetition-penalty") {
      options.repetition_penalty =
          static_cast<float>(number("--repetition-penalty", 0.01, 100));
    } else if (arg == "--seed") {
      options.seed = static_cast<uint64_t>(number("--seed", 0, 1.8e19));
    } else if (arg == "--stop") {
      stops.push_back(value("--stop"));
    } else if (arg == "--ids") {
      printIds = true;
    } else if (arg == "--device") {
      device = value("--device");
    } else if (arg == "--trust-kernels") {
      trustKernels = true;
    } else if (arg == "--validation") {
      validation = true;
    } else if (!arg.empty() && arg[0] == '-') {
      printUsage();
      return fail("unknown option '" + arg + "'");
    } else if (modelPath.empty()) {
      modelPath = arg;
    } else {
      return fail("more than one model given");
    }
  }
  if (modelPath.empty() || (hasPrompt == !promptIds.empty())) {
    printUsage();
    return fail(modelPath.empty() ? "no model given"
                                  : "give one of --prompt and --prompt-ids");
  }

  try {
    tessera::Instance instance(validation);
    uint32_t deviceIndex = instance.selectDevice(device);
    tessera_program_options loadOptions{};
    loadOptions.trust_kernels = trustKernels;
    loadOptions.log = [](void *, const char *message) {
      std::fprintf(stderr, "tessera-generate: %s\n", message);
    };
    tessera::Program program(instance, modelPath, deviceIndex, loadOptions);
    std::unique_ptr<tessera::Program> stepProgram;
    if (!stepModelPath.empty()) {
      stepProgram = std::make_unique<tessera::Program>(
          instance, stepModelPath, deviceIndex, loadOptions);
      options.step_program = stepProgram->get();
    }

    std::unique_ptr<tessera::Tokenizer> tokenizer;
    if (!tokenizerPath.empty())
      tokenizer = std::make_unique<tessera::Tokenizer>(tokenizerPath);
    else if (hasPrompt || !printIds) {
      tessera_tokenizer raw = nullptr;
      if (tessera_tokenizer_from_program(program.get(), &raw) == TESSERA_OK) {
        tessera_tokenizer_destroy(raw);
        tokenizer = std::make_unique<tessera::Tokenizer>(program);
      } else if (hasPrompt) {
        return fail(std::string(tessera_last_error()) +
                    "; --prompt needs a tokenizer (or give --prompt-ids)");
      }
    }

    std::vector<int32_t> ids;
    if (hasPrompt) {
      tessera::Encoding encoding = tokenizer->encode({prompt}, {}, true);
      ids = encoding.ids(0);
    } else if (!parseIds(promptIds, ids)) {
      return fail("--prompt-ids '" + promptIds +
                  "' is not a comma-separated list of token ids");
    }

    if (std::string error; !inputFiles.read(error))
      return fail(error);
    options.inputs = inputFiles.tensors.data();
    options.input_count = static_cast<uint32_t>(inputFiles.tensors.size());

    std::vector<const char *> stopPointers;
    for (const std::string &stop : stops)
      stopPointers.push_back(stop.c_str());
    options.stop_strings = stopPointers.data();
    options.stop_string_count = static_cast<uint32_t>(stopPointers.size());
    options.tokenizer = tokenizer ? tokenizer->get() : nullptr;
    if (!printIds) {
      if (hasPrompt)
        std::printf("%s", prompt.c_str());
      options.on_token = [](void *, int32_t, const char *text) {
        std::fputs(text, stdout);
        std::fflush(stdout);
        return 0;
      };
    }
    tessera_generation_result result{};
    tessera::check(tessera_generate(program.get(), ids.data(),
                                    static_cast<uint32_t>(ids.size()), &options,
                                    &result));
    if (printIds) {
      for (uint32_t k = 0; k < result.count; ++k)
        std::printf("%s%d", k ? " " : "", result.ids[k]);
    }
    std::printf("\n");
    uint32_t steps = result.count > 0 ? result.count - 1 : 0;
    std::fprintf(
        stderr,
        "prompt: %u tokens, prefill %.3f s (%.1f tokens/s); "
        "decode: %u tokens in %.3f s (%.1f tokens/s, %.1f%% of each "
        "step outside the device); stopped by %s\n",
        result.prompt_tokens, result.prefill_seconds,
        result.prefill_seconds > 0
            ? result.prompt_tokens / result.prefill_seconds
            : 0.0,
        steps, result.decode_seconds,
        result.decode_seconds > 0 ? steps / result.decode_seconds : 0.0,
        result.decode_seconds > 0
            ? 100 * (1 - result.decode_device_seconds / result.decode_seconds)
            : 0.0,
        stopText(result.stop_reason));
    tessera_generation_result_destroy(&result);
    if (validation && instance.validationMessageCount())
      return fail(std::to_string(instance.validationMessageCount()) +
                  " validation message(s) reported");
  } catch (const tessera::Error &error) {
    return fail(error.what());
  }
  return 0;
}

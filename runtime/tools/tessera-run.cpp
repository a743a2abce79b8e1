//===- tessera-run.cpp - Run a compiled model -----------------------------===//

#include "npy.h"

#include "tessera/image.h"
#include "tessera/runtime.hpp"
#include "tessera/tokenizer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace {

void printUsage() {
  std::printf(
      "usage: tessera-run MODEL.tsr --input NAME=FILE.npy ... [options]\n"
      "       tessera-run MODEL.tsr --text TEXT [--text-pair TEXT] ... "
      "[options]\n"
      "       tessera-run --info MODEL.tsr\n\n"
      "Runs a model compiled by tessera-compile and prints each output's\n"
      "shape, a short summary of its values and the run time.\n\n"
      "  --input NAME=FILE   an input as a .npy file (float32, int32, int64\n"
      "                      or bool); one per model input\n"
      "  --text TEXT         a text to tokenize into the model's input_ids,\n"
      "                      attention_mask, token_type_ids and position_ids\n"
      "                      (those it has); repeat for a batch, padded to\n"
      "                      the longest (or to a static sequence length)\n"
      "  --text-pair TEXT    the second text of a pair (BERT's sentence\n"
      "                      pairs), one per --text\n"
      "  --tokenizer DIR     a tokenizer directory (tokenizer.json, or\n"
      "                      vocab.txt, or vocab.json + merges.txt) instead\n"
      "                      of the one the .tsr carries\n"
      "  --image FILE        an image (JPEG, PNG, GIF, BMP) for the model's\n"
      "                      pixel_values [batch, 3, H, W], prepared as the\n"
      "                      image processor the .tsr carries says (else\n"
      "                      ViTImageProcessor's defaults at H x W); repeat\n"
      "                      for a batch. With --text too (CLIP), prints\n"
      "                      each image's probabilities over the texts\n"
      "  --image-processor F a preprocessor_config.json (or its directory)\n"
      "                      instead of the one the .tsr carries\n"
      "  --output-dir DIR    write each output to DIR/NAME.npy\n"
      "  --device D          device index or name substring (default:\n"
      "                      $TESSERA_DEVICE, else the first real GPU, else\n"
      "                      lavapipe)\n"
      "  --repeat N          run N times and report every time (default 1)\n"
      "  --profile           time every dispatch with device timestamps and\n"
      "                      print a table (median over the runs after the\n"
      "                      first when N > 1: the first compiles shaders on\n"
      "                      some drivers) and the share of each kernel kind,\n"
      "                      then each kernel's pipeline creation time at\n"
      "                      load (the driver's shader compile when no cache\n"
      "                      holds it)\n"
      "  --pipeline-threads N  threads that create pipelines at load\n"
      "                      (default: one per hardware thread)\n"
      "  --validation        enable the Khronos validation layer\n"
      "  --trust-kernels     skip the checks of the binary's SPIR-V before\n"
      "                      the driver sees it (SPIRV-Tools' validator and\n"
      "                      the interface), for binaries you trust; the\n"
      "                      file's checksum is checked either way\n"
      "  --info              print the signature, target needs and dispatch\n"
      "                      count, without running\n"
      "  --version           print Tessera's version, git revision and\n"
      "                      .tsr format version\n");
}

int fail(const std::string &message) {
  std::fprintf(stderr, "tessera-run: %s\n", message.c_str());
  return 1;
}

const char *typeName(tessera_element_type type) {
  switch (type) {
  case TESSERA_F32:
    return "f32";
  case TESSERA_F16:
    return "f16";
  case TESSERA_I32:
    return "i32";
  default:
    return "bool";
  }
}

void printSummary(const tessera_tensor &tensor) {
  std::string shape;
  size_t count = 1;
  for (uint32_t d = 0; d < tensor.rank; ++d) {
    shape += (d ? "x" : "") + std::to_string(tensor.shape[d]);
    count *= tensor.shape[d];
  }
  std::printf("%s: %s [%s]", tensor.name, typeName(tensor.element_type),
              shape.c_str());
  if ((tensor.element_type == TESSERA_F32 ||
       tensor.element_type == TESSERA_F16) &&
      count) {
    std::vector<float> v(count);
    if (tensor.element_type == TESSERA_F32)
      std::memcpy(v.data(), tensor.data, count * 4);
    else
      for (size_t i = 0; i < count; ++i)
        v[i] = tessera_f16_to_f32(static_cast<const uint16_t *>(tensor.data)[i]);
    double sum = 0, minimum = v[0], maximum = v[0];
    size_t nonFinite = 0;
    for (size_t i = 0; i < count; ++i) {
      if (!std::isfinite(v[i])) {
        ++nonFinite;
        continue;
      }
      sum += v[i];
      minimum = std::min<double>(minimum, v[i]);
      maximum = std::max<double>(maximum, v[i]);
    }
    std::printf("  min %.6g  max %.6g  mean %.6g", minimum, maximum,
                sum / count);
    if (nonFinite)
      std::printf("  (%zu non-finite)", nonFinite);
    std::printf("\n  first values:");
    for (size_t i = 0; i < std::min<size_t>(count, 6); ++i)
      std::printf(" %.6g", v[i]);
  }
  std::printf("\n");
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/// One line per dispatch with its median time and share, then the share of
/// each kernel kind: where a model's time goes.
void printProfile(const tessera::Program &program,
                  const std::vector<std::vector<double>> &runs) {
  uint32_t count = program.dispatchCount();
  std::vector<double> perDispatch(count);
  double total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    std::vector<double> samples;
    for (const std::vector<double> &run : runs)
      samples.push_back(run[i]);
    perDispatch[i] = median(samples);
    total += perDispatch[i];
  }
  std::printf("profile: device timestamps, median of %zu run%s%s\n",
              runs.size(), runs.size() == 1 ? "" : "s",
              runs.size() > 1 ? " after the first" : "");
  std::printf("  %4s %10s %7s  %s\n", "#", "ms", "share", "kernel");
  std::vector<std::pair<std::string, double>> byKind;
  for (uint32_t i = 0; i < count; ++i) {
    tessera_dispatch_info info = program.dispatchInfo(i);
    double share = total > 0 ? perDispatch[i] / total : 0;
    std::printf("  %4u %10.3f %6.1f%%  %s\n", i, perDispatch[i] * 1e3,
                100 * share, info.label);
    std::string kind = *info.kind ? info.kind : "unknown";
    auto it = std::find_if(byKind.begin(), byKind.end(),
                           [&](const auto &entry) { return entry.first == kind; });
    if (it == byKind.end())
      byKind.push_back({kind, perDispatch[i]});
    else
      it->second += perDispatch[i];
  }
  std::printf("  total %.3f ms\n", total * 1e3);
  double outside = total;
  for (const auto &[kind, seconds] : byKind) {
    std::printf("  %-14s %10.3f ms %6.1f%%\n", kind.c_str(), seconds * 1e3,
                total > 0 ? 100 * seconds / total : 0.0);
    if (kind == "matmul" || kind == "attention")
      outside -= seconds;
  }
  std::printf("  outside matmul and attention: %.1f%%\n",
              total > 0 ? 100 * outside / total : 0.0);
}

/// Each kernel's pipeline creation at load, slowest first: what a first
/// run with cold caches spends in the driver's shader compiler.
void printKernels(const tessera::Program &program, double loadSeconds) {
  std::vector<tessera_kernel_info> kernels;
  double total = 0;
  for (uint32_t i = 0; i < program.kernelCount(); ++i) {
    kernels.push_back(program.kernelInfo(i));
    total += kernels.back().create_seconds;
  }
  std::stable_sort(kernels.begin(), kernels.end(),
                   [](const auto &a, const auto &b) {
                     return a.create_seconds > b.create_seconds;
                   });
  std::printf("kernels: %zu, load %.3f s, pipeline creation %.3f s summed "
              "over threads\n",
              kernels.size(), loadSeconds, total);
  std::printf("  %10s %8s %8s %5s %4s  %s\n", "create ms", "SPIR-V", "barriers",
              "loops", "uses", "kernel");
  for (const tessera_kernel_info &kernel : kernels)
    std::printf("  %10.1f %7zuB %8u %5u %4u  %s (%s)\n",
                kernel.create_seconds * 1e3, kernel.spirv_bytes,
                kernel.barriers, kernel.loops, kernel.dispatches, kernel.label,
                kernel.name);
}

/// The integer inputs a text fills, by the names Hugging Face's exports
/// give them.
struct TextInputs {
  std::vector<std::string> names;
  std::vector<std::vector<int32_t>> values;
  std::vector<std::vector<int64_t>> shapes;
};

/// Tokenizes `texts` (and `pairs`) for the model's inputs that a text fills
/// and `given` does not: input_ids, attention_mask, token_type_ids,
/// position_ids. A static sequence length pads and truncates to it.
std::string textInputs(const tessera::Program &program,
                       tessera::Tokenizer &tokenizer,
                       const std::vector<std::string> &texts,
                       const std::vector<std::string> &pairs,
                       const std::vector<std::string> &given, TextInputs &out) {
  std::vector<tessera_tensor> signature = program.inputs();
  for (const tessera_tensor &input : signature)
    if (std::string(input.name) == "input_ids" && input.rank == 2 &&
        input.shape[1] > 0) {
      tokenizer.setTruncation(static_cast<uint32_t>(input.shape[1]));
      tokenizer.setPadding(static_cast<uint32_t>(input.shape[1]));
    }
  tessera::Encoding encoding = tokenizer.encode(texts, pairs);
  const tessera_encoding &raw = encoding.raw();
  size_t count = size_t(raw.rows) * raw.length;
  bool any = false;
  for (const tessera_tensor &input : signature) {
    std::string name = input.name;
    if (std::find(given.begin(), given.end(), name) != given.end())
      continue;
    std::vector<int32_t> values;
    if (name == "input_ids")
      values.assign(raw.ids, raw.ids + count);
    else if (name == "attention_mask")
      values.assign(raw.attention_mask, raw.attention_mask + count);
    else if (name == "token_type_ids")
      values.assign(raw.type_ids, raw.type_ids + count);
    else if (name == "position_ids")
      for (uint32_t r = 0; r < raw.rows; ++r)
        for (uint32_t k = 0; k < raw.length; ++k)
          values.push_back(static_cast<int32_t>(k));
    else
      continue;
    if (input.element_type != TESSERA_I32 || input.rank != 2)
      return "input '" + name +
             "' is not a [batch, sequence] integer "
             "tensor; give it with --input";
    out.names.push_back(name);
    out.values.push_back(std::move(values));
    out.shapes.push_back({raw.rows, raw.length});
    any = true;
  }
  if (!any)
    return "--text fills input_ids, attention_mask, token_type_ids or "
           "position_ids, and the model has none of them (not given with "
           "--input)";
  std::printf("text: %u row%s of %u tokens\n", raw.rows,
              raw.rows == 1 ? "" : "s", raw.length);
  return "";
}

/// Prepares `images` for the model's image input: "pixel_values", else
/// its one [batch, 3, H, W] float input.
std::string imageInput(const tessera::Program &program,
                       const std::vector<std::string> &images,
                       const std::string &processorPath, std::string &name,
                       std::vector<float> &pixels,
                       std::vector<int64_t> &shape) {
  const tessera_tensor *target = nullptr;
  std::vector<tessera_tensor> signature = program.inputs();
  for (const tessera_tensor &input : signature) {
    bool image = input.rank == 4 && input.element_type == TESSERA_F32 &&
                 input.shape[1] == 3;
    if (std::string(input.name) == "pixel_values") {
      target = &input;
      break;
    }
    if (image && !target)
      target = &input;
  }
  if (!target || target->rank != 4 || target->shape[1] != 3)
    return "--image needs an input 'pixel_values' [batch, 3, height, width]";
  int64_t height = target->shape[2], width = target->shape[3];
  tessera_image_processor processor = nullptr;
  tessera_status status;
  if (!processorPath.empty())
    status = tessera_image_processor_load(processorPath.c_str(), &processor);
  else if (tessera_image_processor_from_program(program.get(), &processor) ==
           TESSERA_OK)
    status = TESSERA_OK;
  else if (height > 0 && width > 0)
    status = tessera_image_processor_create_default(
        static_cast<uint32_t>(height), static_cast<uint32_t>(width),
        &processor);
  else
    return "the model's image size is dynamic and it carries no image "
           "processor: give --image-processor";
  if (status != TESSERA_OK)
    return tessera_last_error();
  std::string error;
  for (const std::string &path : images) {
    tessera_image image{};
    if (tessera_image_prepare_file(processor, path.c_str(), &image) !=
        TESSERA_OK) {
      error = tessera_last_error();
      break;
    }
    if ((height > 0 && image.height != height) ||
        (width > 0 && image.width != width) ||
        (!shape.empty() &&
         (shape[2] != image.height || shape[3] != image.width))) {
      error = path + ": prepared to " + std::to_string(image.height) + "x" +
              std::to_string(image.width) + " but input '" + target->name +
              "' takes " + std::to_string(height) + "x" +
              std::to_string(width) +
              "; its image processor does not fit "
              "the model";
      tessera_image_destroy(&image);
      break;
    }
    shape = {0, 3, image.height, image.width};
    pixels.insert(pixels.end(), image.data,
                  image.data + size_t(3) * image.height * image.width);
    tessera_image_destroy(&image);
  }
  tessera_image_processor_destroy(processor);
  if (!error.empty())
    return error;
  shape[0] = static_cast<int64_t>(images.size());
  name = target->name;
  return "";
}

/// CLIP's job: each image's probabilities over the texts, from its
/// logits_per_image output.
void printSimilarities(const tessera_tensor &logits,
                       const std::vector<std::string> &images,
                       const std::vector<std::string> &texts) {
  if (logits.rank != 2 || logits.element_type != TESSERA_F32 ||
      logits.shape[0] != static_cast<int64_t>(images.size()) ||
      logits.shape[1] != static_cast<int64_t>(texts.size()))
    return;
  const float *values = static_cast<const float *>(logits.data);
  for (size_t i = 0; i < images.size(); ++i) {
    std::printf("%s:\n", images[i].c_str());
    const float *row = values + i * texts.size();
    float top = *std::max_element(row, row + texts.size());
    double sum = 0;
    for (size_t t = 0; t < texts.size(); ++t)
      sum += std::exp(double(row[t]) - top);
    for (size_t t = 0; t < texts.size(); ++t)
      std::printf("  %6.2f%%  %s\n", 100 * std::exp(double(row[t]) - top) / sum,
                  texts[t].c_str());
  }
}

} // namespace

int main(int argc, char **argv) {
  std::string modelPath, outputDir, device, tokenizerPath;
  tessera::npy::Inputs inputFiles;
  std::vector<std::string> texts, pairs, images;
  std::string imageProcessorPath;
  bool info = false, validation = false, profile = false,
       trustKernels = false;
  int repeat = 1;
  uint32_t pipelineThreads = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *flag) -> const char * {
      if (i + 1 >= argc) {
        fail(std::string(flag) + " needs a value");
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      printUsage();
      return 0;
    } else if (arg == "--version") {
      std::printf("tessera-run: %s\n", tessera_version_text());
      return 0;
    } else if (arg == "--info") {
      info = true;
    } else if (arg == "--validation") {
      validation = true;
    } else if (arg == "--profile") {
      profile = true;
    } else if (arg == "--trust-kernels") {
      trustKernels = true;
    } else if (arg == "--input") {
      std::string error;
      if (!inputFiles.add(value("--input"), error))
        return fail(error);
    } else if (arg == "--text") {
      texts.push_back(value("--text"));
    } else if (arg == "--text-pair") {
      pairs.push_back(value("--text-pair"));
    } else if (arg == "--image") {
      images.push_back(value("--image"));
    } else if (arg == "--image-processor") {
      imageProcessorPath = value("--image-processor");
    } else if (arg == "--tokenizer") {
      tokenizerPath = value("--tokenizer");
    } else if (arg == "--output-dir") {
      outputDir = value("--output-dir");
    } else if (arg == "--device") {
      device = value("--device");
    } else if (arg == "--pipeline-threads") {
      int threads = std::atoi(value("--pipeline-threads"));
      if (threads < 1)
        return fail("--pipeline-threads needs a positive count");
      pipelineThreads = static_cast<uint32_t>(threads);
    } else if (arg == "--repeat") {
      repeat = std::atoi(value("--repeat"));
      if (repeat < 1)
        return fail("--repeat needs a positive count");
    } else if (!arg.empty() && arg[0] == '-') {
      printUsage();
      return fail("unknown option '" + arg + "'");
    } else if (modelPath.empty()) {
      modelPath = arg;
    } else {
      return fail("more than one model given ('" + modelPath + "', '" + arg +
                  "')");
    }
  }
  if (modelPath.empty()) {
    printUsage();
    return fail("no model given");
  }
  if (!pairs.empty() && pairs.size() != texts.size())
    return fail(std::to_string(texts.size()) + " --text but " +
                std::to_string(pairs.size()) +
                " --text-pair: give one pair per text");

  try {
    tessera::Instance instance(validation);
    if (info) {
      tessera::Program program(instance, modelPath, TESSERA_NO_DEVICE);
      std::printf("%s", program.describe().c_str());
      return 0;
    }
    uint32_t deviceIndex = instance.selectDevice(device);
    tessera_program_options options{};
    options.trust_kernels = trustKernels;
    options.pipeline_threads = pipelineThreads;
    options.log = [](void *, const char *message) {
      std::fprintf(stderr, "tessera-run: %s\n", message);
    };
    auto loadStart = std::chrono::steady_clock::now();
    tessera::Program program(instance, modelPath, deviceIndex, options);
    double loadSeconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - loadStart)
                             .count();
    std::printf("device: %s\n", instance.devices()[deviceIndex].name);

    if (std::string error; !inputFiles.read(error))
      return fail(error);
    std::vector<tessera_tensor> inputs = inputFiles.tensors;
    TextInputs text;
    if (!texts.empty()) {
      std::unique_ptr<tessera::Tokenizer> tokenizer =
          tokenizerPath.empty()
              ? std::make_unique<tessera::Tokenizer>(program)
              : std::make_unique<tessera::Tokenizer>(tokenizerPath);
      const std::vector<std::string> &given = inputFiles.names;
      if (std::string error =
              textInputs(program, *tokenizer, texts, pairs, given, text);
          !error.empty())
        return fail(error);
      for (size_t k = 0; k < text.names.size(); ++k) {
        tessera_tensor tensor{};
        tensor.name = text.names[k].c_str();
        tensor.element_type = TESSERA_I32;
        tensor.rank = 2;
        tensor.shape[0] = text.shapes[k][0];
        tensor.shape[1] = text.shapes[k][1];
        tensor.data = text.values[k].data();
        tensor.size = text.values[k].size() * sizeof(int32_t);
        inputs.push_back(tensor);
      }
    }
    std::string imageName;
    std::vector<float> pixels;
    std::vector<int64_t> pixelShape;
    if (!images.empty()) {
      if (std::string error = imageInput(program, images, imageProcessorPath,
                                         imageName, pixels, pixelShape);
          !error.empty())
        return fail(error);
      tessera_tensor tensor{};
      tensor.name = imageName.c_str();
      tensor.element_type = TESSERA_F32;
      tensor.rank = 4;
      std::copy(pixelShape.begin(), pixelShape.end(), tensor.shape);
      tensor.data = pixels.data();
      tensor.size = pixels.size() * sizeof(float);
      inputs.push_back(tensor);
    }
    if (profile)
      program.setProfiling(true);
    std::vector<std::vector<double>> dispatchTimes;
    for (int r = 0; r < repeat; ++r) {
      program.run(inputs);
      std::printf("run %d: %.3f ms\n", r + 1, program.lastRunSeconds() * 1e3);
      if (profile && (repeat == 1 || r > 0))
        dispatchTimes.push_back(program.dispatchSeconds());
    }
    if (profile) {
      printProfile(program, dispatchTimes);
      printKernels(program, loadSeconds);
    }
    if (!outputDir.empty())
      ::mkdir(outputDir.c_str(), 0755);
    for (const tessera_tensor &output : program.outputs()) {
      printSummary(output);
      if (std::string(output.name) == "logits_per_image" && !images.empty() &&
          !texts.empty())
        printSimilarities(output, images, texts);
      if (outputDir.empty())
        continue;
      std::string error;
      std::string path = outputDir + "/" + output.name + ".npy";
      if (!tessera::npy::write(path, output, error))
        return fail(error);
      std::printf("  written to %s\n", path.c_str());
    }
    if (validation && instance.validationMessageCount())
      return fail(std::to_string(instance.validationMessageCount()) +
                  " validation message(s) reported");
  } catch (const tessera::Error &error) {
    return fail(error.what());
  }
  return 0;
}

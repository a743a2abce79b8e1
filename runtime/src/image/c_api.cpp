//===- c_api.cpp - The C API over image preprocessing ---------------------===//

#include "handles.h"
#include "image/image.h"

#include "tessera/image.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>

using tessera::image::Processor;
using tessera::runtime::invalidArgument;
using tessera::runtime::readFile;
using tessera::runtime::reportStatus;
using tessera::runtime::Status;

struct tessera_image_processor_t {
  Processor impl;
};

namespace {
tessera_status wrap(const Processor &processor, tessera_image_processor *out) {
  auto *handle = new (std::nothrow) tessera_image_processor_t{processor};
  if (!handle)
    return reportStatus(Status(TESSERA_ERROR_OUT_OF_MEMORY, "out of memory"));
  *out = handle;
  return TESSERA_OK;
}
} // namespace

extern "C" {

tessera_status
tessera_image_processor_load(const char *path,
                             tessera_image_processor *out_processor) {
  if (!path || !out_processor)
    return reportStatus(invalidArgument(
        "tessera_image_processor_load: path or out_processor is NULL"));
  *out_processor = nullptr;
  std::string file = path;
  std::error_code error;
  if (std::filesystem::is_directory(file, error))
    file = (std::filesystem::path(file) / "preprocessor_config.json").string();
  std::string json;
  if (Status s = readFile(file, json); !s.isOk())
    return reportStatus(s);
  Processor processor;
  if (Status s = Processor::fromJson(json, processor); !s.isOk())
    return reportStatus(Status(s.code(), file + ": " + s.message()));
  return wrap(processor, out_processor);
}

tessera_status
tessera_image_processor_from_program(tessera_program program,
                                     tessera_image_processor *out_processor) {
  if (!program || !out_processor)
    return reportStatus(invalidArgument(
        "tessera_image_processor_from_program: a NULL argument"));
  *out_processor = nullptr;
  const auto &model = program->program->model();
  auto files = model.resources("image/");
  auto it = files.find("preprocessor_config.json");
  if (it == files.end())
    return reportStatus(invalidArgument(
        model.name() + " carries no image processor (compile it with "
                       "tessera-compile --image-processor FILE)"));
  Processor processor;
  if (Status s = Processor::fromJson(it->second, processor); !s.isOk())
    return reportStatus(Status(s.code(), model.name() + ": " + s.message()));
  return wrap(processor, out_processor);
}

tessera_status
tessera_image_processor_create_default(uint32_t height, uint32_t width,
                                       tessera_image_processor *out_processor) {
  if (!out_processor || !height || !width)
    return reportStatus(invalidArgument(
        "tessera_image_processor_create_default: a zero size or NULL"));
  Processor processor;
  processor.height = height;
  processor.width = width;
  return wrap(processor, out_processor);
}

void tessera_image_processor_destroy(tessera_image_processor processor) {
  delete processor;
}

} // extern "C"

namespace {
/// Decodes `bytes` (named `name` in messages) and prepares the image.
tessera_status prepare(tessera_image_processor processor,
                       const std::string &bytes, const std::string &name,
                       tessera_image *out_image) {
  tessera::image::Rgb8 image;
  if (Status s = tessera::image::decode(bytes, name, image); !s.isOk())
    return reportStatus(s);
  uint32_t height = 0, width = 0;
  std::vector<float> values;
  if (Status s = processor->impl.apply(image, values, height, width); !s.isOk())
    return reportStatus(Status(s.code(), name + ": " + s.message()));
  out_image->data =
      static_cast<float *>(std::malloc(values.size() * sizeof(float) + 1));
  if (!out_image->data)
    return reportStatus(Status(TESSERA_ERROR_OUT_OF_MEMORY, "out of memory"));
  std::memcpy(out_image->data, values.data(), values.size() * sizeof(float));
  out_image->height = height;
  out_image->width = width;
  return TESSERA_OK;
}
} // namespace

extern "C" {

tessera_status tessera_image_prepare(tessera_image_processor processor,
                                     const void *bytes, size_t size,
                                     tessera_image *out_image) {
  if (!processor || (!bytes && size) || !out_image)
    return reportStatus(
        invalidArgument("tessera_image_prepare: a NULL argument"));
  std::memset(out_image, 0, sizeof(*out_image));
  return prepare(processor, std::string(static_cast<const char *>(bytes), size),
                 "the image", out_image);
}

tessera_status tessera_image_prepare_file(tessera_image_processor processor,
                                          const char *path,
                                          tessera_image *out_image) {
  if (!processor || !path || !out_image)
    return reportStatus(
        invalidArgument("tessera_image_prepare_file: a NULL argument"));
  std::memset(out_image, 0, sizeof(*out_image));
  std::string bytes;
  if (Status s = readFile(path, bytes); !s.isOk())
    return reportStatus(s);
  return prepare(processor, bytes, path, out_image);
}

void tessera_image_destroy(tessera_image *image) {
  if (!image)
    return;
  std::free(image->data);
  std::memset(image, 0, sizeof(*image));
}

} // extern "C"

//===- image.cpp - Decoding and Hugging Face's preprocessing --------------===//

#include "image/image.h"

#include <nlohmann/json.hpp>
#include <stb_image.h>

#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <memory>

#include <jerror.h>
#include <jpeglib.h>

namespace tessera::image {

using nlohmann::json;

namespace {

/// libjpeg's error manager, returning to the caller instead of exiting.
struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf back;
  char message[JMSG_LENGTH_MAX];
};

void jpegFailed(j_common_ptr info) {
  auto *errors = reinterpret_cast<JpegErrors *>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->back, 1);
}

/// The first bytes of every PNG file.
constexpr std::string_view kPngSignature("\x89PNG\r\n\x1a\n", 8);

bool isJpeg(const std::string &bytes) {
  return bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
         static_cast<unsigned char>(bytes[1]) == 0xD8 &&
         static_cast<unsigned char>(bytes[2]) == 0xFF;
}

/// JPEG through libjpeg-turbo, as Pillow decodes it (islow DCT, fancy
/// upsampling): the same pixels, where decoders otherwise differ by a
/// level here and there.
Status decodeJpeg(const std::string &bytes, const std::string &name,
                  Rgb8 &out) {
  jpeg_decompress_struct info{};
  JpegErrors errors{};
  info.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = jpegFailed;
  errors.manager.output_message = [](j_common_ptr) {};
  // A file that ends early is an error, as Pillow makes it (libjpeg would
  // fill the rest with gray and warn).
  errors.manager.emit_message = [](j_common_ptr common, int level) {
    if (level < 0 && common->err->msg_code == JWRN_JPEG_EOF)
      jpegFailed(common);
  };
  // Only trivially destructible locals live across setjmp.
  std::vector<uint8_t> *pixels = &out.pixels;
  if (setjmp(errors.back)) {
    jpeg_destroy_decompress(&info);
    return Status(TESSERA_ERROR_INVALID_INPUT,
                  name + ": cannot decode the JPEG image: " + errors.message);
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char *>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  bool supported = info.jpeg_color_space == JCS_GRAYSCALE ||
                   info.jpeg_color_space == JCS_YCbCr ||
                   info.jpeg_color_space == JCS_RGB;
  uint64_t area = uint64_t(info.image_width) * info.image_height;
  if (!supported || area == 0 || area > kMaxPixels) {
    jpeg_destroy_decompress(&info);
    return Status(TESSERA_ERROR_INVALID_INPUT,
                  name + (supported
                              ? ": a " + std::to_string(info.image_width) +
                                    "x" + std::to_string(info.image_height) +
                                    " image is outside the 64-megapixel limit"
                              : ": a CMYK or YCCK JPEG is not supported"));
  }
  info.out_color_space = JCS_RGB;
  jpeg_start_decompress(&info);
  out.width = info.output_width;
  out.height = info.output_height;
  pixels->assign(size_t(out.width) * out.height * 3, 0);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row =
        pixels->data() + size_t(info.output_scanline) * out.width * 3;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return Status::ok();
}

/// The formats vision models are given: JPEG (libjpeg-turbo), PNG, GIF and
/// BMP (stb_image, which reads more, such as PNM, whose truncation it does
/// not notice: those are refused here by their magic bytes).
bool isStbFormat(const std::string &bytes) {
  return bytes.compare(0, 8, kPngSignature) == 0 ||
         bytes.compare(0, 6, "GIF87a") == 0 ||
         bytes.compare(0, 6, "GIF89a") == 0 || bytes.compare(0, 2, "BM") == 0;
}

} // namespace

Status decode(const std::string &bytes, const std::string &name, Rgb8 &out) {
  if (isJpeg(bytes))
    return decodeJpeg(bytes, name, out);
  if (!isStbFormat(bytes))
    return Status(TESSERA_ERROR_INVALID_INPUT,
                  name + ": not a JPEG, PNG, GIF or BMP image");
  if (bytes.size() > INT32_MAX)
    return Status(TESSERA_ERROR_INVALID_INPUT,
                  name + ": the file is too large");
  const auto *data = reinterpret_cast<const stbi_uc *>(bytes.data());
  int length = static_cast<int>(bytes.size());
  // A PNG's size, from its header, before stb_image looks (whose refusal of
  // a huge one does not say why).
  if (bytes.size() >= 24 && bytes.compare(0, 8, kPngSignature) == 0) {
    auto be32 = [&](size_t at) {
      return uint32_t(data[at]) << 24 | uint32_t(data[at + 1]) << 16 |
             uint32_t(data[at + 2]) << 8 | uint32_t(data[at + 3]);
    };
    uint64_t area = uint64_t(be32(16)) * be32(20);
    if (area > kMaxPixels)
      return Status(TESSERA_ERROR_INVALID_INPUT,
                    name + ": a " + std::to_string(be32(16)) + "x" +
                        std::to_string(be32(20)) +
                        " image is larger than the 64-megapixel limit");
  }
  int width = 0, height = 0, channels = 0;
  if (!stbi_info_from_memory(data, length, &width, &height, &channels))
    return Status(TESSERA_ERROR_INVALID_INPUT,
                  name + ": cannot read the image: " +
                      std::string(stbi_failure_reason() ? stbi_failure_reason()
                                                        : "corrupt data"));
  if (width <= 0 || height <= 0 ||
      uint64_t(width) * uint64_t(height) > kMaxPixels)
    return Status(TESSERA_ERROR_INVALID_INPUT,
                  name + ": a " + std::to_string(width) + "x" +
                      std::to_string(height) +
                      " image is larger than the 64-megapixel limit");
  std::unique_ptr<stbi_uc, void (*)(void *)> pixels(
      stbi_load_from_memory(data, length, &width, &height, &channels, 3),
      stbi_image_free);
  if (!pixels) {
    std::string reason = stbi_failure_reason() ? stbi_failure_reason() : "";
    return Status(TESSERA_ERROR_INVALID_INPUT,
                  name + ": cannot decode the image: " +
                      (reason.empty() ? "corrupt or truncated data" : reason));
  }
  out.width = static_cast<uint32_t>(width);
  out.height = static_cast<uint32_t>(height);
  out.pixels.assign(pixels.get(), pixels.get() + size_t(width) * height * 3);
  return Status::ok();
}

namespace {

Status invalid(const std::string &message) {
  return Status(TESSERA_ERROR_INVALID_MODEL,
                "preprocessor_config.json: " + message);
}

/// A size entry: {"height": h, "width": w}, {"shortest_edge": s}, or a
/// number (a square).
Status readSize(const json &entry, const char *key, uint32_t &height,
                uint32_t &width, uint32_t *shortestEdge) {
  auto positive = [](const json &v) {
    return v.is_number_integer() && v.get<int64_t>() > 0 &&
           v.get<int64_t>() <= 65535;
  };
  if (positive(entry)) {
    height = width = entry.get<uint32_t>();
    return Status::ok();
  }
  if (entry.is_object() && entry.contains("height") &&
      entry.contains("width") && positive(entry["height"]) &&
      positive(entry["width"])) {
    height = entry["height"];
    width = entry["width"];
    return Status::ok();
  }
  if (shortestEdge && entry.is_object() && entry.contains("shortest_edge") &&
      positive(entry["shortest_edge"]) && !entry.contains("longest_edge")) {
    *shortestEdge = entry["shortest_edge"];
    return Status::ok();
  }
  return invalid(std::string("\"") + key +
                 "\" must be {\"height\", \"width\"}" +
                 (shortestEdge ? ", {\"shortest_edge\"}" : "") +
                 " or a number, each in [1, 65535]");
}

Status readTriple(const json &entry, const char *key,
                  std::array<float, 3> &out) {
  if (entry.is_number()) {
    out.fill(entry.get<float>());
    return Status::ok();
  }
  if (!entry.is_array() || entry.size() != 3)
    return invalid(std::string("\"") + key + "\" must be 3 numbers");
  for (int c = 0; c < 3; ++c) {
    if (!entry[c].is_number())
      return invalid(std::string("\"") + key + "\" must be 3 numbers");
    out[c] = entry[c].get<float>();
  }
  return Status::ok();
}

} // namespace

Status Processor::fromJson(const std::string &text, Processor &out) {
  json config = json::parse(text, nullptr, false);
  if (!config.is_object())
    return invalid("not a JSON object");
  Processor p;
  auto flag = [&](const char *key, bool &value) {
    if (config.contains(key) && config[key].is_boolean())
      value = config[key];
  };
  flag("do_resize", p.doResize);
  flag("do_center_crop", p.doCenterCrop);
  flag("do_rescale", p.doRescale);
  flag("do_normalize", p.doNormalize);
  if (config.contains("size"))
    if (Status s = readSize(config["size"], "size", p.height, p.width,
                            &p.shortestEdge);
        !s.isOk())
      return s;
  if (config.contains("crop_size"))
    if (Status s = readSize(config["crop_size"], "crop_size", p.cropHeight,
                            p.cropWidth, nullptr);
        !s.isOk())
      return s;
  if (config.contains("resample")) {
    const json &r = config["resample"];
    if (!r.is_number_integer() || r.get<int>() < 0 || r.get<int>() > 5)
      return invalid("\"resample\" must be one of Pillow's filters, 0 to 5");
    p.resample = static_cast<Resample>(r.get<int>());
  }
  if (config.contains("rescale_factor")) {
    if (!config["rescale_factor"].is_number())
      return invalid("\"rescale_factor\" must be a number");
    p.rescaleFactor = config["rescale_factor"];
  }
  if (config.contains("image_mean"))
    if (Status s = readTriple(config["image_mean"], "image_mean", p.mean);
        !s.isOk())
      return s;
  if (config.contains("image_std"))
    if (Status s = readTriple(config["image_std"], "image_std", p.std);
        !s.isOk())
      return s;
  for (float s : p.std)
    if (p.doNormalize && s == 0)
      return invalid("\"image_std\" has a 0");
  out = p;
  return Status::ok();
}

Status Processor::apply(const Rgb8 &input, std::vector<float> &out,
                        uint32_t &height, uint32_t &width) const {
  Rgb8 image = input;
  if (doResize) {
    uint32_t h = height, w = width;
    if (shortestEdge) {
      // transformers' get_resize_output_image_size: the short side to the
      // size, the long one in proportion, truncated.
      bool wide = image.width >= image.height;
      uint32_t shortSide = wide ? image.height : image.width;
      uint32_t longSide = wide ? image.width : image.height;
      uint32_t newLong =
          static_cast<uint32_t>(double(shortestEdge) * longSide / shortSide);
      h = wide ? shortestEdge : newLong;
      w = wide ? newLong : shortestEdge;
    } else {
      h = this->height;
      w = this->width;
    }
    if (h != image.height || w != image.width) {
      Rgb8 resized;
      if (!resize(image, w, h, resample, kMaxPixels, resized))
        return Status(TESSERA_ERROR_INVALID_INPUT,
                      "a " + std::to_string(image.width) + "x" +
                          std::to_string(image.height) +
                          " image is too elongated to resize to " +
                          std::to_string(w) + "x" + std::to_string(h) +
                          " within the 64-megapixel limit");
      image = std::move(resized);
    }
  }
  uint32_t top = 0, left = 0, outH = image.height, outW = image.width;
  if (doCenterCrop && cropHeight <= image.height && cropWidth <= image.width) {
    top = (image.height - cropHeight) / 2;
    left = (image.width - cropWidth) / 2;
    outH = cropHeight;
    outW = cropWidth;
  }
  // A crop larger than the image pads it with zeros around, centered.
  int64_t padTop = 0, padLeft = 0;
  if (doCenterCrop && (cropHeight > image.height || cropWidth > image.width)) {
    outH = cropHeight;
    outW = cropWidth;
    padTop = (int64_t(cropHeight) - image.height) / 2;
    padLeft = (int64_t(cropWidth) - image.width) / 2;
  }
  out.assign(size_t(3) * outH * outW, 0.0f);
  for (uint32_t c = 0; c < 3; ++c)
    for (uint32_t y = 0; y < outH; ++y)
      for (uint32_t x = 0; x < outW; ++x) {
        int64_t sy = int64_t(y) + top - padTop,
                sx = int64_t(x) + left - padLeft;
        float value = 0;
        if (sy >= 0 && sx >= 0 && sy < image.height && sx < image.width)
          value = image.pixels[(size_t(sy) * image.width + sx) * 3 + c];
        // As numpy computes it: uint8 * a double scale, stored as f32;
        // then (x - mean) / std in f32.
        if (doRescale)
          value = static_cast<float>(value * rescaleFactor);
        if (doNormalize)
          value = (value - mean[c]) / std[c];
        out[(size_t(c) * outH + y) * outW + x] = value;
      }
  height = outH;
  width = outW;
  return Status::ok();
}

} // namespace tessera::image

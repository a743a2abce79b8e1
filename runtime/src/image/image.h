//===- image.h - Images in, model inputs out --------------------*- C++ -*-===//
//
// What Hugging Face's image processors do before a vision model, without
// Python: decode (JPEG, PNG, GIF, BMP), resize
// with Pillow's resampling (the same 8-bit results), center-crop, rescale
// and normalize, channels first, as preprocessor_config.json says.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_RUNTIME_IMAGE_IMAGE_H
#define TESSERA_RUNTIME_IMAGE_IMAGE_H

#include "status.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tessera::image {

using runtime::Status;

/// Images above this many pixels are refused before they are decoded (a
/// small file can declare a huge image), and so are resizes whose
/// intermediate image would be larger.
constexpr uint64_t kMaxPixels = uint64_t(1) << 26; // 64 megapixels

/// 8-bit RGB pixels, row-major, interleaved.
struct Rgb8 {
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> pixels; // height * width * 3
};

/// Decodes an image file's bytes to RGB (grayscale and alpha converted).
/// `name` is used in messages.
Status decode(const std::string &bytes, const std::string &name, Rgb8 &out);

/// Pillow's filters (the numbers of PIL.Image.Resampling, which
/// preprocessor_config.json's "resample" holds).
enum class Resample {
  Nearest = 0,
  Lanczos = 1,
  Bilinear = 2,
  Bicubic = 3,
  Box = 4,
  Hamming = 5
};

/// Pillow's Image.resize for an 8-bit RGB image. Refuses (returns false)
/// a resize whose intermediate image, after the horizontal pass, would
/// exceed `maxPixels`: an elongated image made wide would cost minutes.
bool resize(const Rgb8 &image, uint32_t width, uint32_t height, Resample filter,
            uint64_t maxPixels, Rgb8 &out);

/// The steps of a Hugging Face image processor (ViTImageProcessor,
/// CLIPImageProcessor, ...), as preprocessor_config.json declares them.
struct Processor {
  bool doResize = true;
  /// Either both of height and width, or the shortest edge (the other in
  /// proportion).
  uint32_t height = 224, width = 224, shortestEdge = 0;
  Resample resample = Resample::Bilinear;
  bool doCenterCrop = false;
  uint32_t cropHeight = 224, cropWidth = 224;
  bool doRescale = true;
  double rescaleFactor = 1.0 / 255;
  bool doNormalize = true;
  std::array<float, 3> mean{0.5f, 0.5f, 0.5f}, std{0.5f, 0.5f, 0.5f};

  /// Reads preprocessor_config.json; what it leaves out keeps the defaults
  /// above (ViTImageProcessor's).
  static Status fromJson(const std::string &json, Processor &out);

  /// The [3, height, width] floats a model takes for `image`.
  Status apply(const Rgb8 &image, std::vector<float> &out, uint32_t &height,
               uint32_t &width) const;
};

} // namespace tessera::image

#endif // TESSERA_RUNTIME_IMAGE_IMAGE_H

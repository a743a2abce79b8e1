//===- AttentionKernelTest.cpp - Attention kernels ------------------------===//
//
// Every attention variant (masks, f16 storage, split head dims, fully
// masked rows) against a C++ reference.
//
//===----------------------------------------------------------------------===//

#include "KernelTestFixture.h"

using namespace tessera_test;

namespace {

// Attention
//===----------------------------------------------------------------------===//

struct AttentionCase {
  int64_t queryHeads, kvHeads, queryLength, keyLength, headDim;
  const char *mask; // "" for none, else a #tessera.mask
  bool padding, bias;
  bool alibi = false;      // ALiBi slopes, one per query head
  bool windowBias = false; // bias [heads, size², size²] by window position
  bool residual = false;   // + q in the epilogue (an element of a vec4 row)
  bool f16 = false;        // f16 storage for q, k, v, bias and the output
  // The profile compiled for; where one query row outgrows its register
  // budget, the head dims are split over several invocations.
  const char *target = "lavapipe";
  // What the source graph added to hidden keys (AttentionOp's mask_fill,
  // padding_fill, shared_fill): rows that see no key compute with them.
  std::optional<float> maskFill, paddingFill;
  bool sharedFill = false;
  bool padAll = false;       // every key padded: every row sees none
  bool biasHidesRow = false; // bias row 2 is finfo.min: a dense mask
  // The query is a rotary embedding of the input q by tables [Lq, D],
  // applied as the kernel loads the rows: "", "half" or "interleaved".
  const char *rotary = "";
};

void PrintTo(const AttentionCase &c, std::ostream *os) {
  *os << c.queryHeads << "/" << c.kvHeads << " heads, Lq " << c.queryLength
      << ", Lk " << c.keyLength << ", D " << c.headDim << ", mask '" << c.mask
      << "'" << (c.padding ? ", padding" : "") << (c.bias ? ", bias" : "")
      << (c.alibi ? ", alibi" : "") << (c.windowBias ? ", window bias" : "")
      << (c.residual ? ", residual" : "") << (c.f16 ? ", f16" : "");
  if (c.maskFill)
    *os << ", mask fill " << *c.maskFill;
  if (c.paddingFill)
    *os << ", padding fill " << *c.paddingFill;
  *os << (c.sharedFill ? ", shared fill" : "")
      << (c.padAll ? ", all keys padded" : "")
      << (c.biasHidesRow ? ", bias hides row 2" : "")
      << (*c.rotary ? std::string(", rotary ") + c.rotary : "") << ", "
      << c.target;
}

class AttentionKernelTest
    : public KernelTest,
      public ::testing::WithParamInterface<AttentionCase> {};

TEST_P(AttentionKernelTest, MatchesReference) {
  AttentionCase c = GetParam();
  const char *fp = c.f16 ? "f16" : "f32";
  std::vector<int64_t> qShape = {1, c.queryHeads, c.queryLength, c.headDim};
  std::vector<int64_t> kShape = {1, c.kvHeads, c.keyLength, c.headDim};
  std::vector<int64_t> biasShape = {c.queryLength, c.keyLength};
  MLIRContext maskContext;
  maskContext.loadDialect<TesseraDialect>();
  MaskAttr maskAttr = *c.mask
                          ? cast<MaskAttr>(parseAttribute(c.mask, &maskContext))
                          : MaskAttr::getNone(&maskContext);
  int64_t windowPositions =
      maskAttr.getSize() ? *maskAttr.getSize() * *maskAttr.getSize() : 0;
  if (c.windowBias)
    biasShape = {c.queryHeads, windowPositions, windowPositions};
  std::vector<float> slopes;
  for (int64_t h = 0; h < c.queryHeads; ++h)
    slopes.push_back(std::pow(2.0f, -8.0f * float(h + 1) / c.queryHeads));
  std::vector<int64_t> padShape = {1, c.keyLength};
  std::vector<int64_t> tableShape = {c.queryLength, c.headDim};
  std::string operands = std::string(*c.rotary ? "%qr" : "%q") + ", %k, %v";
  std::string types =
      type(qShape, fp) + ", " + type(kShape, fp) + ", " + type(kShape, fp);
  std::string args = "%q: " + type(qShape, fp) +
                     " {tessera.name = \"q\"}, %k: " + type(kShape, fp) +
                     " {tessera.name = \"k\"}, %v: " + type(kShape, fp) +
                     " {tessera.name = \"v\"}";
  if (c.bias) {
    operands += " bias(%bias)";
    types += ", " + type(biasShape, fp);
    args += ", %bias: " + type(biasShape, fp) + " {tessera.name = \"bias\"}";
  }
  if (c.padding) {
    operands += " key_padding_mask(%pad)";
    types += ", " + type(padShape, "i1");
    args += ", %pad: " + type(padShape, "i1") + " {tessera.name = \"pad\"}";
  }
  std::string rotate;
  if (*c.rotary) {
    std::string table = type(tableShape, fp);
    args += ", %cos: " + table + " {tessera.name = \"cos\"}, %sin: " + table +
            " {tessera.name = \"sin\"}";
    rotate =
        "  %qr = tessera.rotary %q, %cos, %sin" +
        std::string(std::string(c.rotary) == "interleaved" ? " {interleaved}"
                                                           : "") +
        " : (" + type(qShape, fp) + ", " + table + ", " + table + ") -> " +
        type(qShape, fp) + "\n";
  }
  std::string attributes;
  auto addAttribute = [&](const std::string &attribute) {
    attributes += (attributes.empty() ? "" : ", ") + attribute;
  };
  if (*c.mask)
    addAttribute(std::string("mask = ") + c.mask);
  if (c.alibi) {
    std::string list;
    for (float slope : slopes)
      list += (list.empty() ? "" : ", ") + std::to_string(slope);
    addAttribute("alibi_slopes = array<f32: " + list + ">");
  }
  if (c.windowBias)
    addAttribute("window_relative_bias");
  // Fills as the printer writes f32 (hexadecimal: exact, and -inf too).
  auto f32Attribute = [](float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    char text[32];
    std::snprintf(text, sizeof(text), "0x%08X : f32", bits);
    return std::string(text);
  };
  if (c.maskFill)
    addAttribute("mask_fill = " + f32Attribute(*c.maskFill));
  if (c.paddingFill)
    addAttribute("padding_fill = " + f32Attribute(*c.paddingFill));
  if (c.sharedFill)
    addAttribute("shared_fill");
  std::string mask = attributes.empty() ? "" : " {" + attributes + "}";
  std::string mlir =
      "func.func @f(" + args + ") -> " + type(qShape, fp) + " {\n" + rotate +
      "  %0 = tessera.attention " + operands + mask + " : (" + types + ") -> " +
      type(qShape, fp) + "\n" +
      (c.residual ? "  %1 = tessera.add %0, %q : (" + type(qShape, fp) + ", " +
                        type(qShape, fp) + ") -> " + type(qShape, fp) + "\n"
                  : std::string()) +
      "  return %" + (c.residual ? "1" : "0") + " : " + type(qShape, fp) +
      "\n}\n";
  tessera_program program = compile(mlir, 0, c.target);
  ASSERT_TRUE(program);
  // A rotary query is applied by the attention's own loads.
  EXPECT_EQ(tessera_program_dispatch_count(program), 1u);
  Tensor q{"q", qShape, randomValues(product(qShape), 14)};
  Tensor k{"k", kShape, randomValues(product(kShape), 15)};
  Tensor v{"v", kShape, randomValues(product(kShape), 16)};
  Tensor bias{"bias", biasShape, randomValues(product(biasShape), 17)};
  Tensor cos{"cos", tableShape, randomValues(product(tableShape), 18)};
  Tensor sin{"sin", tableShape, randomValues(product(tableShape), 19)};
  if (c.f16)
    for (Tensor *t : {&q, &k, &v, &bias, &cos, &sin})
      t->asF16();
  Tensor pad{"pad", padShape, {}, std::vector<unsigned char>(c.keyLength, 1)};
  // Pad the first key: with a causal mask, query 0 then sees no key at all.
  pad.flags[0] = 0;
  if (c.keyLength > 3)
    pad.flags[c.keyLength - 2] = 0;
  if (c.padAll)
    std::fill(pad.flags.begin(), pad.flags.end(), 0);
  if (c.biasHidesRow)
    for (int64_t j = 0; j < c.keyLength; ++j)
      bias.values[2 * c.keyLength + j] = -std::numeric_limits<float>::max();
  std::vector<Tensor> inputs = {q, k, v};
  if (c.bias)
    inputs.push_back(bias);
  if (c.padding)
    inputs.push_back(pad);
  if (*c.rotary) {
    inputs.push_back(cos);
    inputs.push_back(sin);
  }
  std::vector<float> got = run(program, inputs);
  tessera_program_destroy(program);

  // The reference mask: MaskAttr::isVisible, the definition kernels follow
  // (checked against independent constructions in MaskAttrTest).
  auto maskVisible = [&](int64_t i, int64_t j) {
    return maskAttr.isVisible(i, j, c.queryLength, c.keyLength);
  };
  // Swin: a token's position inside its window of the rolled grid.
  auto windowPosition = [&](int64_t token) {
    int64_t height = maskAttr.getGrid()[0], width = maskAttr.getGrid()[1];
    int64_t size = *maskAttr.getSize(), shift = maskAttr.getShift();
    int64_t row = (token / width - shift + height) % height;
    int64_t col = (token % width - shift + width) % width;
    return (row % size) * size + col % size;
  };
  auto biasAt = [&](int64_t h, int64_t i, int64_t j) -> double {
    if (!c.bias)
      return 0;
    if (c.windowBias)
      return bias
          .values[(h * windowPositions + windowPosition(i)) * windowPositions +
                  windowPosition(j)];
    return bias.values[i * c.keyLength + j];
  };
  int64_t group = c.queryHeads / c.kvHeads, d = c.headDim;
  double scale = 1.0 / std::sqrt(double(d));
  // The queries the scores use: q, or its rotary embedding (pairs (e, e +
  // d/2) or (e, e + 1), the first of each negated as the partner).
  std::vector<double> queries(q.values.begin(), q.values.end());
  if (*c.rotary) {
    bool interleaved = std::string(c.rotary) == "interleaved";
    for (int64_t r = 0; r < c.queryHeads * c.queryLength; ++r)
      for (int64_t e = 0; e < d; ++e) {
        bool first = interleaved ? e % 2 == 0 : e < d / 2;
        int64_t partner = interleaved ? (first ? e + 1 : e - 1)
                                      : (first ? e + d / 2 : e - d / 2);
        double other = q.values[r * d + partner];
        int64_t i = r % c.queryLength;
        queries[r * d + e] =
            double(q.values[r * d + e]) * cos.values[i * d + e] +
            (first ? -other : other) * sin.values[i * d + e];
      }
  }
  std::vector<double> want(product(qShape), 0.0);
  for (int64_t h = 0; h < c.queryHeads; ++h)
    for (int64_t i = 0; i < c.queryLength; ++i) {
      int64_t kh = h / group;
      std::vector<double> scores(c.keyLength);
      std::vector<bool> visible(c.keyLength);
      double max = -INFINITY;
      for (int64_t j = 0; j < c.keyLength; ++j) {
        visible[j] = maskVisible(i, j) && (!c.padding || pad.flags[j]);
        double s = 0;
        for (int64_t e = 0; e < d; ++e)
          s += queries[(h * c.queryLength + i) * d + e] *
               k.values[(kh * c.keyLength + j) * d + e];
        scores[j] = s * scale + biasAt(h, i, j);
        if (c.alibi)
          scores[j] -=
              slopes[h] * std::abs(double(i + c.keyLength - c.queryLength - j));
        if (visible[j])
          max = std::max(max, scores[j]);
      }
      // A row that sees no key, where the op records the fills (or a dense
      // bias hides the keys): the softmax over every key of what the source
      // graph gives it, fills added in f32 as the graph adds them; every
      // key at -inf is NaN.
      bool paddingKnown = !c.padding || c.paddingFill || c.sharedFill;
      bool maskKnown = !*c.mask || c.maskFill;
      if (max == -INFINITY && paddingKnown && maskKnown &&
          (c.padding || c.bias || *c.mask)) {
        for (int64_t j = 0; j < c.keyLength; ++j) {
          bool maskHides = !maskVisible(i, j);
          bool padded = c.padding && !pad.flags[j];
          float score = static_cast<float>(scores[j]);
          if (c.sharedFill) {
            if (maskHides || padded)
              score += *c.maskFill;
          } else {
            if (maskHides && c.maskFill)
              score += *c.maskFill;
            if (padded && c.paddingFill)
              score += *c.paddingFill;
          }
          scores[j] = score;
          visible[j] = true;
          max = std::max(max, scores[j]);
        }
        if (max == -INFINITY) {
          for (int64_t e = 0; e < d; ++e)
            want[(h * c.queryLength + i) * d + e] = NAN;
          continue;
        }
      }
      double sum = 0;
      for (int64_t j = 0; j < c.keyLength; ++j)
        if (visible[j])
          sum += std::exp(scores[j] - max);
      for (int64_t e = 0; e < d; ++e) {
        double o = 0;
        for (int64_t j = 0; j < c.keyLength; ++j)
          if (visible[j])
            o += std::exp(scores[j] - max) / sum *
                 v.values[(kh * c.keyLength + j) * d + e];
        want[(h * c.queryLength + i) * d + e] =
            (sum > 0 ? o : 0.0) +
            (c.residual ? q.values[(h * c.queryLength + i) * d + e] : 0.0);
      }
    }
  expectClose(got, want, c.f16 ? kF16Tolerance : kTolerance);
}

const AttentionCase kAttentionCases[] = {
    // heads, kv heads, Lq, Lk, D, mask, padding, bias
    AttentionCase{2, 2, 1, 1, 16, "", false, false},
    AttentionCase{2, 2, 70, 70, 16, "", false, false},
    AttentionCase{2, 2, 33, 33, 64, "#tessera.mask<causal>", false, false},
    // GQA; with key 0 padded, row 0 sees nothing: zeros
    AttentionCase{4, 2, 17, 17, 32, "#tessera.mask<causal>", true, false},
    AttentionCase{2, 1, 5, 29, 16, "", true, true}, // cross, bias
    // decoding with past keys
    AttentionCase{2, 2, 3, 20, 16, "#tessera.mask<causal>", false, false},
    AttentionCase{1, 1, 1, 40, 16, "#tessera.mask<causal>", true, false},
    // Longformer: band, dilated band, global tokens around a band
    AttentionCase{2, 2, 50, 50, 16,
                  "#tessera.mask<sliding, left = 3, right = 2>", false, false},
    AttentionCase{2, 2, 41, 41, 32,
                  "#tessera.mask<sliding, left = 6, right = 6, "
                  "dilation = 2>",
                  true, false},
    AttentionCase{2, 2, 6, 30, 16,
                  "#tessera.mask<sliding, left = 4, right = 0>", false, true},
    AttentionCase{2, 2, 33, 33, 16,
                  "#tessera.mask<global, tokens = [0, 7], inner = "
                  "<sliding, left = 2, right = 2>>",
                  true, false},
    AttentionCase{2, 2, 20, 20, 16,
                  "#tessera.mask<global, tokens = [3], inner = <causal>>",
                  false, false},
    // Swin: windows of an 8x12 grid, plain and shifted
    AttentionCase{2, 2, 96, 96, 16,
                  "#tessera.mask<window, grid = [8, 12], size = 4>", false,
                  true},
    AttentionCase{2, 2, 96, 96, 32,
                  "#tessera.mask<window, grid = [8, 12], size = 4, "
                  "shift = 2>",
                  true, false},
    // Swin's relative position table, indexed by window positions
    AttentionCase{3, 3, 96, 96, 32,
                  "#tessera.mask<window, grid = [8, 12], size = 4, "
                  "shift = 2>",
                  false, true, false, true},
    AttentionCase{2, 2, 36, 36, 16,
                  "#tessera.mask<window, grid = [6, 6], size = 3>", true, true,
                  false, true},
    // ALiBi (MPT, BLOOM), causal and banded
    AttentionCase{4, 4, 37, 37, 32, "#tessera.mask<causal>", false, false,
                  true},
    AttentionCase{2, 2, 3, 25, 16,
                  "#tessera.mask<sliding, left = 8, right = 0>", true, true,
                  true},
    // head dims of real models: 64 (BERT), 80 (Phi), 96, 128 (Llama)
    AttentionCase{2, 2, 45, 45, 64, "", true, false},
    AttentionCase{2, 1, 19, 19, 80, "#tessera.mask<causal>", false, false},
    AttentionCase{1, 1, 30, 30, 96, "", false, true},
    AttentionCase{2, 2, 21, 21, 128, "#tessera.mask<causal>", true, false},
    // a prefix LM / BLIP-2's Q-Former: the first keys seen by every query,
    // causal after them; with a fully masked row (key 0 padded is in the
    // prefix: no row loses every key), and decoding with past keys
    AttentionCase{2, 2, 40, 40, 16, "#tessera.mask<prefix, length = 9>", true,
                  false},
    AttentionCase{2, 2, 3, 20, 32, "#tessera.mask<prefix, length = 12>", false,
                  true},
    // a head dim that is no multiple of 4: scalar loads
    AttentionCase{2, 2, 19, 19, 30, "#tessera.mask<causal>", true, false},
    // the epilogue reads single elements of the vec4-bound query
    AttentionCase{2, 2, 13, 13, 16, "", false, false, false, false, true}};

/// Queries rotated as they are loaded (LLaMA's RoPE): both forms with vec4
/// chunks (the rotate-half partner chunk D/2 away, the interleaved one
/// shuffled from the chunk), a head dim whose half is no multiple of 4
/// (scalar loads), GQA with a fully masked row, the residual epilogue
/// (which adds the unrotated q), f16 storage, and head dims split over
/// invocations (each lane's chunks' partners in another lane's slice).
std::vector<AttentionCase> rotaryAttentionCases() {
  auto rotated = [](AttentionCase c, const char *form, bool f16 = false,
                    const char *target = "lavapipe") {
    c.rotary = form;
    c.f16 = f16;
    c.target = target;
    return c;
  };
  return {
      rotated({4, 2, 17, 17, 32, "#tessera.mask<causal>", true, false}, "half"),
      rotated({4, 2, 17, 17, 32, "#tessera.mask<causal>", true, false},
              "interleaved"),
      rotated({2, 2, 19, 19, 12, "#tessera.mask<causal>", false, false},
              "half"),
      rotated({2, 2, 19, 19, 30, "", true, false}, "interleaved"),
      rotated({2, 2, 13, 13, 16, "", false, false, false, false, true}, "half"),
      rotated({2, 2, 3, 20, 16, "#tessera.mask<causal>", false, false}, "half",
              true),
      rotated({4, 2, 37, 37, 128, "#tessera.mask<causal>", true, false}, "half",
              false, "nvidia"),
      rotated({1, 1, 19, 19, 256, "", false, false}, "interleaved", false,
              "mali")};
}

/// rotary_<index>_<form>_d<head dim>[_f16][_target].
std::string
rotaryCaseName(const ::testing::TestParamInfo<AttentionCase> &info) {
  const AttentionCase &c = info.param;
  return std::to_string(info.index) + "_" + c.rotary + "_d" +
         std::to_string(c.headDim) + (c.f16 ? "_f16" : "") +
         (std::string(c.target) == "lavapipe" ? ""
                                              : std::string("_") + c.target);
}

INSTANTIATE_TEST_SUITE_P(RotaryQueries, AttentionKernelTest,
                         ::testing::ValuesIn(rotaryAttentionCases()),
                         rotaryCaseName);

/// "<index>_<mask kind>_d<head dim>[_f16]", e.g. 3_causal_d32.
std::string
attentionCaseName(const ::testing::TestParamInfo<AttentionCase> &info) {
  const AttentionCase &c = info.param;
  std::string kind = "none";
  // A global mask names its inner kind after its own: look for it first.
  for (const char *known : {"global", "window", "sliding", "prefix", "causal"})
    if (std::string(c.mask).find(known) != std::string::npos) {
      kind = known;
      break;
    }
  return std::to_string(info.index) + "_" + kind + "_d" +
         std::to_string(c.headDim) + (c.f16 ? "_f16" : "") +
         (std::string(c.target) == "lavapipe" ? ""
                                              : std::string("_") + c.target);
}

INSTANTIATE_TEST_SUITE_P(Variants, AttentionKernelTest,
                         ::testing::ValuesIn(kAttentionCases),
                         attentionCaseName);

/// The cases above with f16 storage, one or more per mask kind: none (with
/// cross lengths and a bias), causal with GQA and a fully masked row,
/// causal with past keys, sliding, dilated, global, window with shift and
/// its relative bias, ALiBi, prefix, head dims 64, 128 and 30 (scalar
/// loads), and the vec4 epilogue.
std::vector<AttentionCase> f16AttentionCases() {
  std::vector<AttentionCase> cases;
  for (size_t index : {1, 3, 4, 5, 7, 8, 10, 13, 14, 17, 18, 21, 22, 24, 25}) {
    AttentionCase c = kAttentionCases[index];
    c.f16 = true;
    cases.push_back(c);
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(F16Storage, AttentionKernelTest,
                         ::testing::ValuesIn(f16AttentionCases()),
                         attentionCaseName);

/// GPU profiles whose register budget holds less than one query row split
/// the head dims over a group of invocations that sum their partial scores
/// through subgroup shuffles (select-tile-configs.mlir has the rule):
/// groups of 2 (nvidia and intel at D = 128, mali at 64), 4 (mali at 128,
/// adreno at 96) and 8 (mali at 256: lavapipe's whole subgroup), slices of
/// 35 (scalar loads) and 24 (f16, eight per load); every mask kind. Run
/// here on lavapipe, whose subgroups of 8 hold every such group.
std::vector<AttentionCase> splitHeadDimAttentionCases() {
  auto on = [](AttentionCase c, const char *target, bool f16 = false) {
    c.target = target;
    c.f16 = f16;
    return c;
  };
  return {
      // GQA, causal, a fully masked row
      on({4, 2, 37, 37, 128, "#tessera.mask<causal>", true, false}, "nvidia"),
      on({4, 2, 37, 37, 128, "#tessera.mask<causal>", true, false}, "nvidia",
         true),
      // cross lengths, bias, the residual epilogue
      on({2, 2, 5, 29, 64, "", false, true, false, false, true}, "mali"),
      on({2, 2, 41, 41, 128,
          "#tessera.mask<sliding, left = 6, right = 6, dilation = 2>", true,
          false},
         "mali"),
      on({1, 1, 19, 19, 256, "", false, false}, "mali"),
      on({2, 2, 33, 33, 128,
          "#tessera.mask<global, tokens = [0, 7], inner = <sliding, left = "
          "2, right = 2>>",
          true, false},
         "intel"),
      on({2, 2, 36, 36, 96,
          "#tessera.mask<window, grid = [6, 6], size = 3, "
          "shift = 1>",
          false, true, false, true},
         "adreno"),
      on({2, 2, 36, 36, 96,
          "#tessera.mask<window, grid = [6, 6], size = 3, "
          "shift = 1>",
          false, true, false, true},
         "adreno", true),
      // ALiBi, decoding with past keys; slices of 35: scalar loads
      on({2, 2, 3, 25, 70, "#tessera.mask<causal>", false, false, true},
         "intel"),
  };
}

INSTANTIATE_TEST_SUITE_P(SplitHeadDim, AttentionKernelTest,
                         ::testing::ValuesIn(splitHeadDimAttentionCases()),
                         attentionCaseName);

/// Rows that see no key compute what the source graph gives them, from the
/// fills the op records (mask classification sets them; the model tests
/// hold whole exports to PyTorch): Hugging Face's finfo.min (a uniform
/// average), -inf (NaN, as PyTorch and ONNX Runtime), an old -10000 (a
/// softmax of the raw scores), a key hidden by both masks (their fills
/// add: -inf, so it drops out), one term for both (shared_fill), more
/// queries than keys under a causal mask, a dense bias of finfo.min; with
/// f16 storage and with the head dims split over invocations.
std::vector<AttentionCase> fullyMaskedRowCases() {
  constexpr float kMin = -std::numeric_limits<float>::max();
  constexpr float kInf = std::numeric_limits<float>::infinity();
  auto with = [](AttentionCase c, std::optional<float> maskFill,
                 std::optional<float> paddingFill, bool padAll) {
    c.maskFill = maskFill;
    c.paddingFill = paddingFill;
    c.padAll = padAll;
    return c;
  };
  AttentionCase shared =
      with({2, 2, 17, 17, 32, "#tessera.mask<causal>", true, false}, kMin,
           std::nullopt, false);
  shared.sharedFill = true;
  AttentionCase denseBias{2, 2, 9, 21, 16, "", false, true};
  denseBias.biasHidesRow = true;
  AttentionCase split =
      with({2, 2, 21, 21, 128, "", true, false}, std::nullopt, kMin, true);
  split.target = "nvidia";
  AttentionCase f16 =
      with({2, 2, 19, 19, 64, "#tessera.mask<causal>", true, false}, kMin, kMin,
           false);
  f16.f16 = true;
  return {
      with({2, 2, 19, 19, 64, "", true, false}, std::nullopt, kMin, true),
      with({2, 2, 19, 19, 32, "", true, false}, std::nullopt, -kInf, true),
      with({2, 2, 19, 19, 32, "", true, true}, std::nullopt, -1e4f, true),
      with({2, 2, 19, 19, 64, "#tessera.mask<causal>", true, false}, kMin, kMin,
           false),
      shared,
      with({2, 2, 20, 12, 16, "#tessera.mask<causal>", false, false}, kMin,
           std::nullopt, false),
      denseBias,
      split,
      f16,
  };
}

INSTANTIATE_TEST_SUITE_P(FullyMaskedRows, AttentionKernelTest,
                         ::testing::ValuesIn(fullyMaskedRowCases()),
                         attentionCaseName);

TEST_F(KernelTest, RefusesAHeadDimSplitWiderThanTheDeviceSubgroup) {
  // Mali's budget of 64 registers splits a head dim of 512 over 16
  // invocations, which must share a subgroup: a device with narrower
  // subgroups (lavapipe: 8) refuses the binary at load time, naming why.
  tessera_device_info info{};
  ASSERT_EQ(tessera_instance_device_info(instance, device, &info), TESSERA_OK);
  if (info.subgroup_size >= 16)
    GTEST_SKIP() << info.name << " has subgroups of " << info.subgroup_size;
  std::string t = "tensor<1x1x4x512xf32>";
  std::string path = compileToFile(
      "func.func @f(%q: " + t + ") -> " + t + " {\n" +
          "  %0 = tessera.attention %q, %q, %q : (" + t + ", " + t + ", " + t +
          ") -> " + t + "\n  return %0 : " + t + "\n}\n",
      0, "mali");
  ASSERT_FALSE(path.empty());
  tessera_program program = nullptr;
  EXPECT_EQ(tessera_program_load(instance, path.c_str(), device, &program),
            TESSERA_ERROR_UNSUPPORTED);
  EXPECT_EQ(program, nullptr);
  std::string error = tessera_last_error();
  EXPECT_NE(error.find("lacks subgroups of at least 16 invocations (it has " +
                       std::to_string(info.subgroup_size) + ")"),
            std::string::npos)
      << error;
}

} // namespace

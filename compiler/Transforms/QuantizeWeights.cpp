//===- QuantizeWeights.cpp - Integer weight storage for linears -----------===//
//
// Replaces each f32 weight a linear reads by a tessera.dequantize of packed
// integers and per-group scales (Passes.td says which and how).
//
//===----------------------------------------------------------------------===//

#include "compiler/Target/DeviceProfiles.h"
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RaisingUtils.h"
#include "dialects/tessera/IR/Quantization.h"
#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/APFloat.h"

#include <cmath>

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERAQUANTIZEWEIGHTS
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// `value` rounded to the nearest f16 (as the scale will be stored); kept
/// where f16 cannot hold it (the scales are then stored as f32).
float roundToHalf(float value) {
  llvm::APFloat half(value);
  bool losesInfo = false;
  if (half.convert(llvm::APFloat::IEEEhalf(),
                   llvm::APFloat::rmNearestTiesToEven, &losesInfo) &
      llvm::APFloat::opOverflow)
    return value;
  half.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
               &losesInfo);
  return half.convertToFloat();
}

/// The integers and scale of one group of weights.
struct QuantizedGroup {
  float scale = 0.0f;
  SmallVector<int8_t> values;
};

/// `weights` rounded to `scale` (clamped to the field's range).
void roundGroup(ArrayRef<float> weights, float scale, int64_t bits,
                SmallVectorImpl<int8_t> &values) {
  values.clear();
  for (float w : weights) {
    float q = scale == 0.0f ? 0.0f : std::nearbyint(w / scale);
    q = std::clamp(q, static_cast<float>(quantizedMin(bits)),
                   static_cast<float>(quantizedMax(bits)));
    values.push_back(static_cast<int8_t>(q));
  }
}

/// The group's scale and integers: for each candidate range (the largest
/// magnitude mapped to `top` for `top` near 2^(bits-1) - 1), round, refit
/// the scale by least squares (s = <w, q> / <q, q>), and keep the pair
/// with the least squared error, sum w^2 - <w, q>^2 / <q, q>. Then the
/// integers are rounded again against the scale as stored.
QuantizedGroup quantizeGroup(ArrayRef<float> weights, int64_t bits,
                             bool halfScale) {
  float largest = 0.0f;
  for (float w : weights)
    largest = std::max(largest, std::fabs(w));
  QuantizedGroup best;
  if (largest == 0.0f) {
    best.values.assign(weights.size(), 0);
    return best;
  }
  double qmax = quantizedMax(bits);
  // 8-bit fields leave little to gain; 4-bit ones much.
  SmallVector<double> tops = {qmax};
  if (bits == 4)
    tops = {qmax - 1.0, qmax - 0.5, qmax, qmax + 0.5, qmax + 1.0};
  double bestFit = -1.0;
  SmallVector<int8_t> values;
  for (double top : tops) {
    roundGroup(weights, static_cast<float>(largest / top), bits, values);
    double wq = 0.0, qq = 0.0;
    for (auto [w, q] : llvm::zip(weights, values)) {
      wq += static_cast<double>(w) * q;
      qq += static_cast<double>(q) * q;
    }
    if (qq == 0.0)
      continue;
    double fit = wq * wq / qq; // the error is sum w^2 - fit
    if (fit > bestFit) {
      bestFit = fit;
      best.scale = static_cast<float>(wq / qq);
    }
  }
  if (halfScale)
    best.scale = roundToHalf(best.scale);
  roundGroup(weights, best.scale, bits, best.values);
  return best;
}

struct QuantizeWeightsPass
    : public tessera::impl::TesseraQuantizeWeightsBase<QuantizeWeightsPass> {
  using TesseraQuantizeWeightsBase::TesseraQuantizeWeightsBase;

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (bits != 4 && bits != 8) {
      function.emitError() << "quantized weights have 4 or 8 bits, not "
                           << bits;
      return signalPassFailure();
    }
    if (groupSize < 0) {
      function.emitError() << "group size must be positive (0: per channel)";
      return signalPassFailure();
    }
    TargetAttr target = getModuleTarget(function->getParentOp());
    halfScales = !target || target.supportsFloat16();
    // One dequantize per weight, whichever linears read it.
    llvm::DenseMap<Value, Value> dequantized;
    function.walk([&](LinearOp linear) {
      Value weight = linear.getWeight();
      auto it = dequantized.find(weight);
      if (it == dequantized.end())
        it = dequantized.try_emplace(weight, quantize(weight)).first;
      if (it->second)
        linear.getWeightMutable().assign(it->second);
    });
    for (auto &[weight, replacement] : dequantized)
      if (weight.use_empty())
        weight.getDefiningOp()->erase();
  }

  /// The dequantize of `weight`'s integers, or null where it stays.
  Value quantize(Value weight) {
    auto constant = weight.getDefiningOp<ConstantOp>();
    auto type = dyn_cast<RankedTensorType>(weight.getType());
    if (!constant || !type || !type.getElementType().isF32() ||
        !type.hasStaticShape() || type.getRank() != 2)
      return {};
    int64_t n = type.getDimSize(0), k = type.getDimSize(1);
    int64_t group = groupSize == 0 ? k : groupSize;
    int64_t perWord = 32 / bits;
    if (k % group != 0 || group % perWord != 0) {
      ++numKept;
      constant.emitRemark()
          << "weight of " << k
          << " columns kept as f32: " << static_cast<int64_t>(bits)
          << "-bit groups of " << group
          << " columns must divide it and hold whole "
             "32-bit words";
      return {};
    }
    std::optional<SmallVector<float>> values = getF32Values(weight);
    if (!values)
      return {};
    int64_t groups = k / group;
    SmallVector<int8_t> integers;
    integers.reserve(n * k);
    SmallVector<float> scales;
    scales.reserve(n * groups);
    for (int64_t g = 0; g < n * groups; ++g) {
      QuantizedGroup quantized = quantizeGroup(
          ArrayRef<float>(*values).slice(g * group, group), bits, halfScales);
      llvm::append_range(integers, quantized.values);
      scales.push_back(quantized.scale);
    }
    std::vector<int32_t> packed = packQuantized(integers, bits);

    std::string name = "weight";
    if (auto resource =
            dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
      name = resource.getRawHandle().getKey().str();
    OpBuilder builder(constant);
    builder.setInsertionPointAfter(constant);
    Location loc = constant.getLoc();
    Value words = createResource(
        builder, loc,
        RankedTensorType::get({n, k / perWord}, builder.getI32Type()),
        ArrayRef<int32_t>(packed), name + "_q" + std::to_string(bits));
    auto scaleType = RankedTensorType::get({n, groups}, builder.getF32Type());
    Value scale;
    std::optional<std::vector<uint16_t>> half;
    if (halfScales && (half = toHalfBits(scales)))
      scale =
          createResource(builder, loc, scaleType.clone(builder.getF16Type()),
                         ArrayRef<uint16_t>(*half), name + "_scale");
    else
      scale = createResource(builder, loc, scaleType, ArrayRef<float>(scales),
                             name + "_scale");
    ++numQuantized;
    return DequantizeOp::create(builder, loc, type, words, scale,
                                /*zero_point=*/Value(), bits, group)
        .getResult();
  }

  bool halfScales = true;
};

} // namespace

//===- QuantizeWeights.cpp - Integer weight storage for linears -----------===//
//
// Replaces each f32 weight that linears and gathers read by rows by a
// tessera.dequantize of packed integers and per-group scales (Passes.td
// says which and how).
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
#include "mlir/IR/Threading.h"
#include "llvm/ADT/APFloat.h"

#include <cmath>
#include <map>

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

/// `weights` rounded to `scale` (to nearest, ties to even; clamped to the
/// field's range) into `values`.
void roundGroup(ArrayRef<float> weights, float scale, int64_t bits,
                MutableArrayRef<int8_t> values) {
  float inverse = scale == 0.0f ? 0.0f : 1.0f / scale;
  float low = static_cast<float>(quantizedMin(bits));
  float high = static_cast<float>(quantizedMax(bits));
  for (auto [w, q] : llvm::zip(weights, values))
    q = static_cast<int8_t>(std::clamp(std::rint(w * inverse), low, high));
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
  best.values.assign(weights.size(), 0);
  if (largest == 0.0f)
    return best;
  double qmax = quantizedMax(bits);
  // 8-bit fields leave little to gain; 4-bit ones much.
  SmallVector<double> tops = {qmax};
  if (bits == 4)
    tops = {qmax - 1.0, qmax - 0.5, qmax, qmax + 0.5, qmax + 1.0};
  double bestFit = -1.0;
  SmallVector<int8_t> values(weights.size());
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
    // One dequantize per weight, for every reader that takes it by rows:
    // constants with equal bytes are one weight (a tied LM head that the
    // exporter wrote transposed, raise-linear transposed back).
    for (SmallVector<ConstantOp> &copies : equalConstants(function)) {
      SmallVector<OpOperand *> uses;
      for (ConstantOp copy : copies)
        for (OpOperand &use : copy->getUses())
          if (readsByRows(use))
            uses.push_back(&use);
      if (uses.empty())
        continue;
      ConstantOp constant = copies.front();
      // A table (and a tied LM head: the same weight) takes 8 bits per
      // row: every token's vector is read from it, and 4-bit embeddings
      // cost more accuracy than they save (docs/benchmarks.md).
      bool table = llvm::any_of(
          uses, [](OpOperand *use) { return !isa<LinearOp>(use->getOwner()); });
      Value dequantized = table && bits == 4
                              ? quantize(constant.getResult(), 8, 0)
                              : quantize(constant.getResult(), bits, groupSize);
      if (!dequantized)
        continue;
      for (OpOperand *use : uses)
        use->set(dequantized);
      for (ConstantOp copy : copies)
        if (copy->use_empty())
          copy->erase();
    }
  }

  /// The function's 2-D f32 resource constants, those with equal bytes
  /// together, in program order of their first.
  static SmallVector<SmallVector<ConstantOp>>
  equalConstants(func::FuncOp function) {
    SmallVector<SmallVector<ConstantOp>> classes;
    std::map<std::pair<const void *, size_t>, SmallVector<size_t>> byHash;
    for (ConstantOp constant : function.getOps<ConstantOp>()) {
      auto type = cast<RankedTensorType>(constant.getType());
      if (type.getRank() != 2 || !type.getElementType().isF32())
        continue;
      std::optional<ArrayRef<char>> bytes = getResourceBytes(constant);
      if (!bytes) { // an inline literal: small, and its own weight
        classes.push_back({constant});
        continue;
      }
      SmallVector<size_t> &candidates =
          byHash[{type.getAsOpaquePointer(),
                  static_cast<size_t>(llvm::hash_value(*bytes))}];
      auto same = llvm::find_if(candidates, [&](size_t c) {
        return *getResourceBytes(classes[c].front()) == *bytes;
      });
      if (same != candidates.end()) {
        classes[*same].push_back(constant);
        continue;
      }
      candidates.push_back(classes.size());
      classes.push_back({constant});
    }
    return classes;
  }

  /// Whether `use` reads its weight a row of K values at a time: a linear's
  /// weight, a gather's table (rows along axis 0), or a part of a table
  /// split across bindings (a concat along rows that only gathers read).
  static bool readsByRows(OpOperand &use) {
    Operation *user = use.getOwner();
    auto isTableRead = [](OpOperand &read) {
      auto gather = dyn_cast<GatherOp>(read.getOwner());
      return gather && read.getOperandNumber() == 0 && gather.getAxis() == 0;
    };
    if (isa<LinearOp>(user))
      return use.getOperandNumber() == 1;
    if (isa<GatherOp>(user))
      return isTableRead(use);
    if (auto concat = dyn_cast<ConcatOp>(user))
      return concat.getAxis() == 0 &&
             llvm::all_of(concat->getUses(), isTableRead);
    return false;
  }

  /// The dequantize of `weight` as `fieldBits`-bit integers in groups of
  /// `columnsPerGroup` columns (0: the row), or null where it stays.
  Value quantize(Value weight, int64_t fieldBits, int64_t columnsPerGroup) {
    auto constant = weight.getDefiningOp<ConstantOp>();
    auto type = dyn_cast<RankedTensorType>(weight.getType());
    if (!constant || !type || !type.getElementType().isF32() ||
        !type.hasStaticShape() || type.getRank() != 2)
      return {};
    int64_t n = type.getDimSize(0), k = type.getDimSize(1);
    int64_t group = columnsPerGroup == 0 ? k : columnsPerGroup;
    int64_t perWord = 32 / fieldBits;
    if (k % group != 0 || group % perWord != 0) {
      ++numKept;
      constant.emitRemark()
          << "weight of " << k << " columns kept as f32: " << fieldBits
          << "-bit groups of " << group
          << " columns must divide it and hold whole "
             "32-bit words";
      return {};
    }
    SmallVector<float> storage;
    std::optional<ArrayRef<float>> values = getF32Data(weight, storage);
    if (!values)
      return {};
    int64_t groups = k / group;
    // Groups are independent: rows in parallel (the scale search is most
    // of the pass's time at published sizes).
    SmallVector<int8_t> integers(n * k);
    SmallVector<float> scales(n * groups);
    mlir::parallelFor(&getContext(), 0, n, [&](size_t row) {
      for (int64_t g = row * groups; g < static_cast<int64_t>(row + 1) * groups;
           ++g) {
        QuantizedGroup quantized = quantizeGroup(
            values->slice(g * group, group), fieldBits, halfScales);
        llvm::copy(quantized.values, integers.begin() + g * group);
        scales[g] = quantized.scale;
      }
    });
    std::vector<int32_t> packed = packQuantized(integers, fieldBits);

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
        ArrayRef<int32_t>(packed), name + "_q" + std::to_string(fieldBits));
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
                                /*zero_point=*/Value(), fieldBits, group)
        .getResult();
  }

  bool halfScales = true;
};

} // namespace

//===- FoldAttentionScaleIntoQuery.cpp - Scale into Q's weights -----------===//
//
// softmax(s · Q·Kᵀ + bias) with Q = x·Wᵀ + b equals softmax((x·(sW)ᵀ + sb)·Kᵀ
// + bias): the score scale folds into the query projection's constant
// weight and bias at compile time. Only where that is exact (s a power of
// two, every scaled value representable), so results do not move by a bit.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RaisingUtils.h"
#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <cmath>

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERAFOLDATTENTIONSCALEINTOQUERY
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// The linear that computes `query`, through single-use reshapes and
/// transposes (the head split), when nothing else reads it or the views.
LinearOp getQueryProjection(Value query) {
  Value value = query;
  while (value.hasOneUse()) {
    Operation *producer = value.getDefiningOp();
    if (auto linear = dyn_cast_or_null<LinearOp>(producer))
      return linear;
    if (!isa_and_nonnull<ReshapeOp, TransposeOp>(producer))
      return {};
    value = producer->getOperand(0);
  }
  return {};
}

/// `values` times `scale`, when every product is exact.
std::optional<SmallVector<float>> scaleExactly(ArrayRef<float> values,
                                               float scale) {
  SmallVector<float> scaled;
  scaled.reserve(values.size());
  for (float value : values) {
    float product = value * scale;
    if (!std::isfinite(product) || product / scale != value)
      return std::nullopt;
    scaled.push_back(product);
  }
  return scaled;
}

struct FoldAttentionScaleIntoQueryPass
    : public tessera::impl::TesseraFoldAttentionScaleIntoQueryBase<
          FoldAttentionScaleIntoQueryPass> {
  void runOnOperation() override {
    getOperation().walk([&](AttentionOp attention) {
      if (succeeded(fold(attention)))
        ++numFolded;
    });
  }

  LogicalResult fold(AttentionOp attention) {
    auto scale = static_cast<float>(attention.getEffectiveScale());
    int exponent = 0;
    if (scale == 1.0f || std::frexp(scale, &exponent) != 0.5f)
      return failure(); // nothing to do, or not a power of two
    LinearOp linear = getQueryProjection(attention.getQuery());
    if (!linear || !getElementTypeOrSelf(linear.getType()).isF32())
      return failure();
    std::optional<SmallVector<float>> weight = getF32Values(linear.getWeight());
    if (!weight)
      return failure();
    std::optional<SmallVector<float>> weightScaled =
        scaleExactly(*weight, scale);
    std::optional<SmallVector<float>> biasScaled;
    if (Value bias = linear.getBias()) {
      std::optional<SmallVector<float>> values = getF32Values(bias);
      if (!values || !(biasScaled = scaleExactly(*values, scale)))
        return failure();
    }
    if (!weightScaled)
      return failure();

    OpBuilder builder(linear);
    Value newWeight = createF32Resource(
        builder, linear.getLoc(),
        cast<RankedTensorType>(linear.getWeight().getType()), *weightScaled,
        "scaled_query");
    Value newBias;
    if (biasScaled)
      newBias = createF32Resource(
          builder, linear.getLoc(),
          cast<RankedTensorType>(linear.getBias().getType()), *biasScaled,
          "scaled_query.bias");
    replaceLinear(linear, LinearOp::create(builder, linear.getLoc(),
                                           linear.getType(), linear.getInput(),
                                           newWeight, newBias));
    attention.setScaleAttr(builder.getF32FloatAttr(1.0f));
    return success();
  }
};

} // namespace

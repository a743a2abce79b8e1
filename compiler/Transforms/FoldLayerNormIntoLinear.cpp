//===- FoldLayerNormIntoLinear.cpp - LN scale and shift into the weights ---===//
//
// linear(layer_norm(x, g, b), W, c) = linear(layer_norm(x), W * g, c + W b):
// the affine part of a layer norm folds into the constant weight of the
// linear it feeds (g scales W's columns, W b adds to the bias). What is left
// is a bare normalisation, which the linear's dispatch recomputes from x as
// a prologue (tessera-form-dispatches) instead of reading a materialised
// tensor: pre-LN blocks lose a dispatch per layer norm.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RaisingUtils.h"
#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERAFOLDLAYERNORMINTOLINEAR
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// The layer norm feeding `linear` whose affine part can fold into it: over
/// the last dim, with a constant f32 scale or shift, into a linear whose
/// weight (and bias) are f32 constants of static shape.
LayerNormOp getFoldableNorm(LinearOp linear) {
  auto norm = linear.getInput().getDefiningOp<LayerNormOp>();
  if (!norm || (!norm.getScale() && !norm.getBias()) ||
      !norm.isOverLastDim() ||
      !getElementTypeOrSelf(linear.getType()).isF32())
    return {};
  for (Value constant : {norm.getScale(), norm.getBias(), linear.getWeight(),
                         linear.getBias()})
    if (constant && (!constant.getDefiningOp<ConstantOp>() ||
                     !cast<RankedTensorType>(constant.getType())
                          .hasStaticShape()))
      return {};
  return norm;
}

struct FoldLayerNormIntoLinearPass
    : public tessera::impl::TesseraFoldLayerNormIntoLinearBase<
          FoldLayerNormIntoLinearPass> {
  /// One bare normalisation per layer norm, shared by every linear it feeds
  /// (so that they still share their input).
  llvm::DenseMap<Operation *, Value> bareNorms;

  void runOnOperation() override {
    bareNorms.clear(); // one pass instance runs over several functions
    SmallVector<std::pair<LinearOp, LayerNormOp>> foldable;
    getOperation().walk([&](LinearOp linear) {
      if (LayerNormOp norm = getFoldableNorm(linear))
        foldable.push_back({linear, norm});
    });
    // A norm feeding several linears is listed once: it is erased once.
    llvm::SetVector<LayerNormOp> folded;
    for (auto [linear, norm] : foldable)
      if (succeeded(fold(linear, norm)))
        folded.insert(norm);
    for (LayerNormOp norm : folded)
      if (norm->use_empty()) {
        SmallVector<Value> constants = {norm.getScale(), norm.getBias()};
        norm.erase();
        for (Value constant : constants)
          if (constant && constant.use_empty())
            constant.getDefiningOp()->erase();
      }
  }

  LogicalResult fold(LinearOp linear, LayerNormOp norm) {
    std::optional<SmallVector<float>> weight = getF32Values(linear.getWeight());
    if (!weight)
      return failure();
    auto weightType = cast<RankedTensorType>(linear.getWeight().getType());
    int64_t n = weightType.getDimSize(0), k = weightType.getDimSize(1);
    SmallVector<float> scale(k, 1.0f), shift(k, 0.0f), bias(n, 0.0f);
    for (auto [value, values] : {std::pair{norm.getScale(), &scale},
                                 std::pair{norm.getBias(), &shift},
                                 std::pair{linear.getBias(), &bias}}) {
      if (!value)
        continue;
      std::optional<SmallVector<float>> read = getF32Values(value);
      if (!read || read->size() != values->size())
        return failure();
      *values = std::move(*read);
    }

    SmallVector<float> foldedWeight(n * k), foldedBias(n);
    for (int64_t row = 0; row < n; ++row) {
      double sum = bias[row];
      for (int64_t col = 0; col < k; ++col) {
        float w = (*weight)[row * k + col];
        foldedWeight[row * k + col] = w * scale[col];
        sum += static_cast<double>(w) * shift[col];
      }
      foldedBias[row] = static_cast<float>(sum);
    }

    Value &bare = bareNorms[norm];
    if (!bare) {
      OpBuilder builder(norm->getContext());
      builder.setInsertionPointAfter(norm);
      bare = LayerNormOp::create(builder, norm.getLoc(), norm.getType(),
                                 norm.getInput(), Value(), Value(),
                                 norm.getAxisAttr(), norm.getEpsilonAttr(),
                                 norm.getRmsAttr());
    }
    OpBuilder builder(linear);
    Value newWeight = createF32Resource(builder, linear.getLoc(), weightType,
                                        foldedWeight, "folded_norm");
    Value newBias = createF32Resource(
        builder, linear.getLoc(),
        RankedTensorType::get({n}, weightType.getElementType()), foldedBias,
        "folded_norm.bias");
    replaceLinear(linear, LinearOp::create(builder, linear.getLoc(),
                                           linear.getType(), bare, newWeight,
                                           newBias));
    return success();
  }
};

} // namespace

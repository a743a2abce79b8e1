//===- SplitLargeWeights.cpp - Fit weights into storage-buffer bindings ---===//

#include "compiler/Target/DeviceProfiles.h"
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RaisingUtils.h"
#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERASPLITLARGEWEIGHTS
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

struct SplitLargeWeightsPass
    : public tessera::impl::TesseraSplitLargeWeightsBase<
          SplitLargeWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t limit = maxBytes;
    if (limit <= 0) {
      TargetAttr target = getModuleTarget(module);
      if (!target) {
        module.emitError() << "no target profile on the module; run "
                              "tessera-verify-target first or pass max-bytes";
        return signalPassFailure();
      }
      limit = target.getMaxStorageBufferRange();
    }
    SmallVector<LinearOp> linears;
    module.walk([&](LinearOp linear) {
      if (!isa<DispatchOp>(linear->getParentOp()))
        linears.push_back(linear);
    });
    for (LinearOp linear : linears)
      if (failed(split(linear, limit)))
        return signalPassFailure();
  }

  LogicalResult split(LinearOp linear, int64_t limit) {
    auto weightType = cast<RankedTensorType>(linear.getWeight().getType());
    if (!weightType.hasStaticShape() ||
        weightType.getNumElements() * 4 <= limit)
      return success();
    std::optional<ArrayRef<float>> weights = getF32ResourceData(linear.getWeight());
    std::optional<ArrayRef<float>> bias;
    if (linear.getBias() && !(bias = getF32ResourceData(linear.getBias())))
      return success(); // not splittable here; the serializer reports it
    if (!weights)
      return success();
    int64_t n = weightType.getDimSize(0), k = weightType.getDimSize(1);
    int64_t rowsPerPart = limit / (k * 4);
    if (rowsPerPart < 1)
      return linear.emitOpError()
             << "has weight rows of " << k * 4
             << " bytes, more than one storage-buffer binding holds (" << limit
             << " bytes)";

    OpBuilder builder(linear);
    Location loc = linear.getLoc();
    auto resultType = cast<RankedTensorType>(linear.getType());
    SmallVector<Value> parts;
    for (int64_t row = 0, part = 0; row < n; row += rowsPerPart, ++part) {
      int64_t rows = std::min(rowsPerPart, n - row);
      std::string suffix = ".part" + std::to_string(part);
      Type f32 = builder.getF32Type();
      Value weight = createF32Resource(
          builder, loc, RankedTensorType::get({rows, k}, f32),
          weights->slice(row * k, rows * k), "split" + suffix);
      Value partBias;
      if (bias)
        partBias = createF32Resource(builder, loc,
                                     RankedTensorType::get({rows}, f32),
                                     bias->slice(row, rows),
                                     "split.bias" + suffix);
      SmallVector<int64_t> shape(resultType.getShape());
      shape.back() = rows;
      parts.push_back(LinearOp::create(
          builder, loc,
          RankedTensorType::get(shape, resultType.getElementType()),
          linear.getInput(), weight, partBias));
    }
    Value joined = ConcatOp::create(builder, loc, resultType, parts,
                                    resultType.getRank() - 1);
    replaceLinear(linear, joined);
    return success();
  }
};

} // namespace

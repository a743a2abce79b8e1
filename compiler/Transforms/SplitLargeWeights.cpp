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

/// Where each part of `rows` rows of `rowBytes` bytes starts and how many
/// rows it holds, when no part may exceed `limit` bytes; an error on `op`
/// (its rows, said as `rowsAre`) when one row alone does.
FailureOr<SmallVector<std::pair<int64_t, int64_t>>>
rowParts(Operation *op, StringRef rowsAre, int64_t rows, int64_t rowBytes,
         int64_t limit) {
  int64_t rowsPerPart = limit / rowBytes;
  if (rowsPerPart < 1)
    return op->emitOpError()
           << rowsAre << " of " << rowBytes
           << " bytes, more than one storage-buffer binding holds (" << limit
           << " bytes)";
  SmallVector<std::pair<int64_t, int64_t>> parts;
  for (int64_t row = 0; row < rows; row += rowsPerPart)
    parts.push_back({row, std::min(rowsPerPart, rows - row)});
  return parts;
}

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
    // Collected first: splitting creates ops.
    SmallVector<Operation *> readers;
    module.walk([&](Operation *op) {
      if (isa<LinearOp, GatherOp>(op) && !isa<DispatchOp>(op->getParentOp()))
        readers.push_back(op);
    });
    for (Operation *op : readers) {
      LogicalResult result = isa<LinearOp>(op)
                                 ? split(cast<LinearOp>(op), limit)
                                 : split(cast<GatherOp>(op), limit);
      if (failed(result))
        return signalPassFailure();
    }
  }

  /// A table gathered by rows (an embedding) becomes a concat of row parts:
  /// the gather's kernel reads the concat part by part (each its own
  /// binding), and checks indices against the whole table.
  LogicalResult split(GatherOp gather, int64_t limit) {
    auto tableType = cast<RankedTensorType>(gather.getInput().getType());
    if (gather.getAxis() != 0 || !tableType.hasStaticShape() ||
        !tableType.getElementType().isF32() ||
        tableType.getNumElements() * 4 <= limit)
      return success();
    std::optional<ArrayRef<float>> table =
        getF32ResourceData(gather.getInput());
    if (!table)
      return success(); // not splittable here; the serializer reports it
    int64_t rows = tableType.getDimSize(0);
    int64_t rowElements = tableType.getNumElements() / rows;
    auto ranges =
        rowParts(gather, "gathers rows", rows, rowElements * 4, limit);
    if (failed(ranges))
      return failure();
    OpBuilder builder(gather);
    SmallVector<Value> parts;
    for (auto [part, range] : llvm::enumerate(*ranges)) {
      auto [row, count] = range;
      SmallVector<int64_t> shape(tableType.getShape());
      shape[0] = count;
      parts.push_back(createF32Resource(
          builder, gather.getLoc(),
          RankedTensorType::get(shape, builder.getF32Type()),
          table->slice(row * rowElements, count * rowElements),
          "split.table.part" + std::to_string(part)));
    }
    Value joined =
        ConcatOp::create(builder, gather.getLoc(), tableType, parts, 0);
    Value old = gather.getInput();
    gather.getInputMutable().assign(joined);
    if (old.use_empty())
      old.getDefiningOp()->erase();
    return success();
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
    auto ranges = rowParts(linear, "has weight rows", n, k * 4, limit);
    if (failed(ranges))
      return failure();

    OpBuilder builder(linear);
    Location loc = linear.getLoc();
    auto resultType = cast<RankedTensorType>(linear.getType());
    SmallVector<Value> parts;
    for (auto [part, range] : llvm::enumerate(*ranges)) {
      auto [row, rows] = range;
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

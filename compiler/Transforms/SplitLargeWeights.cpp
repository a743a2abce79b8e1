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

/// A weight whose rows can be split: an f32 constant, or a dequantize of
/// constants (its words, scales and zero points split by the same rows).
bool isSplittable(Value weight) {
  auto type = cast<RankedTensorType>(weight.getType());
  if (!type.hasStaticShape())
    return false;
  if (auto dequantize = weight.getDefiningOp<DequantizeOp>())
    return llvm::all_of(dequantize->getOperands(), [](Value operand) {
      return getResourceBytes(operand).has_value();
    });
  return type.getElementType().isF32() && getResourceBytes(weight).has_value();
}

/// The bytes of one row of `weight` in its largest binding (a
/// dequantize's: its packed words).
int64_t rowBytes(Value weight) {
  if (auto dequantize = weight.getDefiningOp<DequantizeOp>())
    weight = dequantize.getPacked();
  auto type = cast<RankedTensorType>(weight.getType());
  return type.getNumElements() / type.getDimSize(0) *
         type.getElementTypeBitWidth() / 8;
}

/// Rows [row, row + count) of the constant `value`, as a constant named
/// `name`.
Value sliceConstantRows(OpBuilder &builder, Location loc, Value value,
                        int64_t row, int64_t count, StringRef name) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  int64_t bytesPerRow = rowBytes(value);
  shape[0] = count;
  ArrayRef<char> bytes =
      getResourceBytes(value)->slice(row * bytesPerRow, count * bytesPerRow);
  return ConstantOp::create(builder, loc,
                            DenseResourceElementsAttr::get(
                                type.clone(shape), name,
                                HeapAsmResourceBlob::allocateAndCopyWithAlign(
                                    bytes, type.getElementTypeBitWidth() / 8)))
      .getResult();
}

/// Rows [row, row + count) of the splittable `weight` as a weight of its
/// own.
Value sliceRows(OpBuilder &builder, Location loc, Value weight, int64_t row,
                int64_t count, StringRef name) {
  auto dequantize = weight.getDefiningOp<DequantizeOp>();
  if (!dequantize)
    return sliceConstantRows(builder, loc, weight, row, count, name);
  auto slice = [&](Value operand, StringRef suffix) {
    return operand ? sliceConstantRows(builder, loc, operand, row, count,
                                       (name + suffix).str())
                   : Value();
  };
  auto type = cast<RankedTensorType>(weight.getType());
  // (In this order: arguments are evaluated in no fixed one.)
  Value packed = slice(dequantize.getPacked(), ".q");
  Value scale = slice(dequantize.getScale(), ".scale");
  Value zeroPoint = slice(dequantize.getZeroPoint(), ".zero_point");
  return DequantizeOp::create(builder, loc,
                              RankedTensorType::get({count, type.getDimSize(1)},
                                                    type.getElementType()),
                              packed, scale, zeroPoint, dequantize.getBits(),
                              dequantize.getGroupSize())
      .getResult();
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
    Value table = gather.getInput();
    auto tableType = cast<RankedTensorType>(table.getType());
    if (gather.getAxis() != 0 || !tableType.hasStaticShape() ||
        tableType.getDimSize(0) * rowBytes(table) <= limit)
      return success();
    if (!isSplittable(table))
      return success(); // not splittable here; the serializer reports it
    auto ranges = rowParts(gather, "gathers rows", tableType.getDimSize(0),
                           rowBytes(table), limit);
    if (failed(ranges))
      return failure();
    OpBuilder builder(gather);
    SmallVector<Value> parts;
    for (auto [part, range] : llvm::enumerate(*ranges))
      parts.push_back(sliceRows(builder, gather.getLoc(), table, range.first,
                                range.second,
                                "split.table.part" + std::to_string(part)));
    Value joined =
        ConcatOp::create(builder, gather.getLoc(), tableType, parts, 0);
    gather.getInputMutable().assign(joined);
    eraseIfUnread(table);
    return success();
  }

  LogicalResult split(LinearOp linear, int64_t limit) {
    Value weight = linear.getWeight();
    auto weightType = cast<RankedTensorType>(weight.getType());
    if (!weightType.hasStaticShape() ||
        weightType.getDimSize(0) * rowBytes(weight) <= limit)
      return success();
    std::optional<ArrayRef<float>> bias;
    if (linear.getBias() && !(bias = getF32ResourceData(linear.getBias())))
      return success(); // not splittable here; the serializer reports it
    if (!isSplittable(weight))
      return success();
    int64_t n = weightType.getDimSize(0);
    auto ranges =
        rowParts(linear, "has weight rows", n, rowBytes(weight), limit);
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
      Value partWeight =
          sliceRows(builder, loc, weight, row, rows, "split" + suffix);
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
          linear.getInput(), partWeight, partBias));
    }
    Value joined = ConcatOp::create(builder, loc, resultType, parts,
                                    resultType.getRank() - 1);
    replaceLinear(linear, joined);
    return success();
  }
};

} // namespace

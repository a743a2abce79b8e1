//===- RaisingUtils.cpp - Shared matchers of the raising passes -----------===//

#include "compiler/Transforms/RaisingUtils.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tessera;

std::optional<double> mlir::tessera::getSplatValue(Value value) {
  // Casts, broadcasts and reshapes of a splat are splats.
  if (isa_and_nonnull<CastOp, BroadcastOp, ReshapeOp>(value.getDefiningOp()))
    return getSplatValue(value.getDefiningOp()->getOperand(0));
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense || !dense.isSplat())
    return std::nullopt;
  if (isa<FloatType>(dense.getElementType()))
    return dense.getSplatValue<APFloat>().convertToDouble();
  if (dense.getElementType().isInteger(1))
    return dense.getSplatValue<bool>() ? 1.0 : 0.0;
  return static_cast<double>(dense.getSplatValue<APInt>().getSExtValue());
}

bool mlir::tessera::isSplatNear(Value value, double expected,
                                double relTolerance) {
  std::optional<double> actual = getSplatValue(value);
  return actual &&
         std::abs(*actual - expected) <=
             relTolerance * std::max(1.0, std::abs(expected));
}

std::optional<ArrayRef<char>> mlir::tessera::getResourceBytes(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  auto resource = constant
                      ? dyn_cast<DenseResourceElementsAttr>(constant.getValue())
                      : DenseResourceElementsAttr();
  AsmResourceBlob *blob =
      resource ? resource.getRawHandle().getBlob() : nullptr;
  if (!blob)
    return std::nullopt;
  return blob->getData();
}

std::optional<ArrayRef<float>> mlir::tessera::getF32ResourceData(Value value) {
  std::optional<ArrayRef<char>> bytes = getResourceBytes(value);
  if (!bytes || !getElementTypeOrSelf(value.getType()).isF32())
    return std::nullopt;
  return ArrayRef<float>(reinterpret_cast<const float *>(bytes->data()),
                         bytes->size() / sizeof(float));
}

std::optional<SmallVector<float>> mlir::tessera::getF32Values(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto type = cast<RankedTensorType>(constant.getType());
  if (!type.getElementType().isF32() || !type.hasStaticShape())
    return std::nullopt;
  if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue())) {
    SmallVector<float> values;
    for (APFloat v : dense.getValues<APFloat>())
      values.push_back(v.convertToFloat());
    return values;
  }
  std::optional<ArrayRef<float>> data = getF32ResourceData(value);
  if (!data)
    return std::nullopt;
  return SmallVector<float>(data->begin(), data->end());
}

std::optional<ArrayRef<float>>
mlir::tessera::getF32Data(Value value, SmallVectorImpl<float> &storage) {
  if (std::optional<ArrayRef<float>> data = getF32ResourceData(value))
    return data;
  std::optional<SmallVector<float>> values = getF32Values(value);
  if (!values)
    return std::nullopt;
  storage = std::move(*values);
  return ArrayRef<float>(storage);
}

std::optional<std::vector<uint16_t>>
mlir::tessera::toHalfBits(ArrayRef<float> values) {
  std::vector<uint16_t> bits;
  bits.reserve(values.size());
  for (float value : values) {
    llvm::APFloat half(value);
    bool losesInfo = false;
    llvm::APFloat::opStatus status =
        half.convert(llvm::APFloat::IEEEhalf(),
                     llvm::APFloat::rmNearestTiesToEven, &losesInfo);
    if (status & llvm::APFloat::opOverflow)
      return std::nullopt;
    bits.push_back(static_cast<uint16_t>(half.bitcastToAPInt().getZExtValue()));
  }
  return bits;
}

void mlir::tessera::eraseIfUnread(Value value) {
  Operation *op = value ? value.getDefiningOp() : nullptr;
  if (!op || !op->use_empty())
    return;
  SmallVector<Value> operands(op->getOperands());
  op->erase();
  for (Value operand : operands)
    eraseIfUnread(operand);
}

void mlir::tessera::replaceLinear(LinearOp linear, Value replacement) {
  Value weight = linear.getWeight(), bias = linear.getBias();
  linear.replaceAllUsesWith(replacement);
  linear.erase();
  eraseIfUnread(weight);
  eraseIfUnread(bias);
}

Product mlir::tessera::collectProduct(Value value) {
  Product product;
  SmallVector<Value> worklist = {value};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    if (std::optional<double> c = getSplatValue(v)) {
      product.constant *= *c;
    } else if (auto mul = v.getDefiningOp<MulOp>()) {
      worklist.push_back(mul.getLhs());
      worklist.push_back(mul.getRhs());
    } else if (auto div = v.getDefiningOp<DivOp>();
               div && getSplatValue(div.getRhs()) &&
               *getSplatValue(div.getRhs()) != 0) {
      product.constant /= *getSplatValue(div.getRhs());
      worklist.push_back(div.getLhs());
    } else if (auto neg = v.getDefiningOp<NegOp>()) {
      product.constant = -product.constant;
      worklist.push_back(neg.getInput());
    } else {
      product.factors.push_back(v);
    }
  }
  return product;
}

SmallVector<Value> mlir::tessera::addedTerms(Value value) {
  SmallVector<Value> terms, worklist = {value};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    auto add = v.getDefiningOp<AddOp>();
    if (add && v.hasOneUse()) {
      worklist.push_back(add.getRhs());
      worklist.push_back(add.getLhs());
    } else {
      terms.push_back(v);
    }
  }
  return terms;
}

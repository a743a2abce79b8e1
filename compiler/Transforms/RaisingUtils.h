//===- RaisingUtils.h - Shared matchers of the raising passes ---*- C++ -*-===//
//
// The raising passes recognise decomposed transformer ops by dataflow and by
// the values of their constants. These helpers read constants (inline,
// splat or dense_resource) and walk commutative and product trees, so that
// each pass states its pattern, not the exporter's operand order. The weight
// helpers also serve tessera-split-large-weights.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_TRANSFORMS_RAISINGUTILS_H
#define TESSERA_COMPILER_TRANSFORMS_RAISINGUTILS_H

#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <vector>

#include <optional>

namespace mlir::tessera {

/// A score offset this negative (or -inf) removes a key from the softmax:
/// HF uses finfo.min, older code -10000 or -1e9.
constexpr double kMaskedFill = -1e4;

/// The value of a constant whose elements are all equal (a scalar or a
/// splat, float or integer, looking through casts of constants).
std::optional<double> getSplatValue(Value value);

/// Whether `value` is a splat constant within `relTolerance` of `expected`.
bool isSplatNear(Value value, double expected, double relTolerance = 1e-5);

/// The f32 elements of a dense_resource constant, in place (no copy).
std::optional<ArrayRef<float>> getF32ResourceData(Value value);

/// The bytes of a dense_resource constant, in place (no copy).
std::optional<ArrayRef<char>> getResourceBytes(Value value);

/// The f32 elements of a constant (inline dense or a dense_resource blob).
std::optional<SmallVector<float>> getF32Values(Value value);

/// The same without a copy where the constant is a dense_resource blob (a
/// weight of hundreds of megabytes); an inline literal's elements are
/// copied into `storage`, which the result then points into.
std::optional<ArrayRef<float>> getF32Data(Value value,
                                          SmallVectorImpl<float> &storage);

/// A constant of `type` holding `values` (of the type's element width) as
/// a new dense_resource blob named after `name`.
template <typename T>
Value createResource(OpBuilder &builder, Location loc, RankedTensorType type,
                     ArrayRef<T> values, StringRef name) {
  auto attr = DenseResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyInferAlign(values));
  return ConstantOp::create(builder, loc, attr);
}
inline Value createF32Resource(OpBuilder &builder, Location loc,
                               RankedTensorType type, ArrayRef<float> values,
                               StringRef name) {
  return createResource(builder, loc, type, values, name);
}

/// `values` as IEEE binary16 bits, rounded to nearest even; std::nullopt
/// when a finite value would overflow to infinity.
std::optional<std::vector<uint16_t>> toHalfBits(ArrayRef<float> values);

/// Erases the op defining `value` where nothing reads it, then likewise
/// the ops its operands come from (a dequantize and its constants).
void eraseIfUnread(Value value);

/// Replaces every use of `linear` by `replacement` and erases it, with its
/// weight (a dequantize with its constants) and bias where nothing else
/// uses them (passes that rewrite a linear over new weights).
void replaceLinear(LinearOp linear, Value replacement);

/// The operands of a commutative binary op `op` of type OpTy, ordered so
/// that the first satisfies `isFirst`; std::nullopt if neither does.
template <typename OpTy, typename Pred>
std::optional<std::pair<Value, Value>> matchCommutative(Value value,
                                                        Pred isFirst) {
  auto op = value.getDefiningOp<OpTy>();
  if (!op)
    return std::nullopt;
  if (isFirst(op.getLhs()))
    return std::make_pair(op.getLhs(), op.getRhs());
  if (isFirst(op.getRhs()))
    return std::make_pair(op.getRhs(), op.getLhs());
  return std::nullopt;
}

/// `value` as a product: its non-constant factors (through mul, and div by
/// a constant) and the product of its constant factors.
struct Product {
  SmallVector<Value, 4> factors;
  double constant = 1.0;
};
Product collectProduct(Value value);

/// The terms of a sum: `value` split through adds that have one use (an
/// attention's bias made of several masks), in order.
SmallVector<Value> addedTerms(Value value);

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_TRANSFORMS_RAISINGUTILS_H

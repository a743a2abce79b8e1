//===- QuantizedOps.cpp - Quantized weights: DequantizeLinear, MatMulNBits ===//
//
// Pre-quantized weights, as ONNX's DequantizeLinear (per tensor, per axis,
// blocked; int8, uint8, int4, uint4) and ONNX Runtime's
// com.microsoft.MatMulNBits store them, become tessera.dequantize: signed
// integers packed in 32-bit words with one scale (and zero point) per
// output row and group of K columns, read in registers by the linear's
// kernel. Unsigned integers u with zero point z are stored as the signed
// u - 2^(bits-1) with zero point z - 2^(bits-1), which is 0 (and so
// absent) for the symmetric default z = 2^(bits-1).
//
// A DequantizeLinear whose layout is not a weight's (a scale along K per
// element, a 1-D tensor, int32 biases) is evaluated here, into an f32
// constant. Quantized activations (QDQ around computed tensors) are not
// imported yet.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/tessera/IR/Quantization.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::onnx_frontend;

namespace {

/// Field `i` of `bytes` packed with `bits`-bit unsigned values as ONNX
/// and MatMulNBits pack them: one per byte, or two (the first in the low
/// bits).
int32_t unsignedField(StringRef bytes, int64_t i, int64_t bits) {
  auto byte = static_cast<uint8_t>(bytes[bits == 8 ? i : i / 2]);
  return bits == 8 ? byte : (byte >> (4 * (i % 2))) & 0xF;
}

/// The integer elements of input `i` (the node's `what`), in order: an 8-
/// or 4-bit initializer (its type says which and whether signed), or a
/// small integer tensor known at compile time.
FailureOr<SmallVector<int32_t>> integersOf(NodeContext &node, int i,
                                           StringRef what) {
  const ImportedValue &value = node.info(i);
  SmallVector<int32_t> integers;
  if (value.known) {
    for (const DimExpr &e : *value.known) {
      if (!e.isConstant())
        return node.emitError() << "dequantizes a dynamic dimension";
      integers.push_back(static_cast<int32_t>(e.getCoefficient()));
    }
    return integers;
  }
  if (!value.packedIntegers)
    return node.emitError()
           << "needs a constant " << what << " (input " << i << ")";
  auto type = cast<IntegerType>(value.type.getElementType());
  int64_t bits = type.getWidth();
  for (int64_t at = 0; at < value.type.getNumElements(); ++at) {
    int32_t field = unsignedField(*value.packedIntegers, at, bits);
    if (type.isSigned() && field >= (1 << (bits - 1)))
      field -= 1 << bits;
    integers.push_back(field);
  }
  return integers;
}

/// A weight constant of `type` holding `values`, named `name`.
template <typename T>
Value createWeight(NodeContext &node, RankedTensorType type, ArrayRef<T> values,
                   const std::string &name) {
  return ConstantOp::create(
             node.builder(), node.loc(),
             DenseResourceElementsAttr::get(
                 type, name,
                 HeapAsmResourceBlob::allocateAndCopyInferAlign(values)))
      .getResult();
}

/// The float elements of a constant input (f32 or f16), or nullopt.
std::optional<SmallVector<float>> floatsOf(NodeContext &node, int i) {
  std::optional<SmallVector<double>> values = node.constantFloats(i);
  if (!values)
    return std::nullopt;
  return SmallVector<float>(values->begin(), values->end());
}

/// A weight [N, K] in tessera.dequantize's terms: signed integers
/// row-major, and per row and group the scale and zero point.
struct QuantizedMatrix {
  int64_t n = 0, k = 0, bits = 0, group = 0;
  SmallVector<int8_t> values;
  SmallVector<float> scales, zeros;
};

/// Its tessera.dequantize ([N, K] f32); the zero points only where one is
/// not 0.
Value createDequantize(NodeContext &node, const QuantizedMatrix &matrix,
                       StringRef name) {
  OpBuilder &builder = node.builder();
  Location loc = node.loc();
  int64_t groups = matrix.k / matrix.group;
  std::vector<int32_t> words = packQuantized(matrix.values, matrix.bits);
  Value packed = createWeight(
      node,
      RankedTensorType::get({matrix.n, matrix.k * matrix.bits / 32},
                            builder.getI32Type()),
      ArrayRef<int32_t>(words), (name + "_q").str());
  auto groupType =
      RankedTensorType::get({matrix.n, groups}, builder.getF32Type());
  Value scale = createWeight(node, groupType, ArrayRef<float>(matrix.scales),
                             (name + "_scale").str());
  Value zero;
  if (llvm::any_of(matrix.zeros, [](float z) { return z != 0.0f; }))
    zero = createWeight(node, groupType, ArrayRef<float>(matrix.zeros),
                        (name + "_zero_point").str());
  return DequantizeOp::create(
             builder, loc,
             RankedTensorType::get({matrix.n, matrix.k}, builder.getF32Type()),
             packed, scale, zero, matrix.bits, matrix.group)
      .getResult();
}

/// DequantizeLinear(x, scale, zero_point) of a constant x: a
/// tessera.dequantize where x is a 2-D 8- or 4-bit weight whose scales run
/// along one dim in whole words (per tensor, per axis, or blocked along
/// the other axis), else an f32 constant.
LogicalResult convertDequantizeLinear(NodeContext &node) {
  const ImportedValue &x = node.info(0);
  if (!x.packedIntegers && !x.known)
    return node.emitError()
           << "dequantizes a tensor computed at run time (quantized "
              "activations, QDQ); Tessera imports quantized weights only";
  int64_t rank = x.type.getRank();
  std::optional<SmallVector<float>> scales = floatsOf(node, 1);
  if (!scales)
    return node.emitError() << "needs a constant float scale (input 1)";
  FailureOr<SmallVector<int32_t>> integers = integersOf(node, 0, "input");
  if (failed(integers))
    return failure();
  SmallVector<int32_t> zeros(scales->size(), 0);
  if (node.hasInput(2)) {
    FailureOr<SmallVector<int32_t>> given = integersOf(node, 2, "zero point");
    if (failed(given))
      return failure();
    zeros = std::move(*given);
    if (zeros.size() != scales->size())
      return node.emitError() << "has " << zeros.size() << " zero points for "
                              << scales->size() << " scales";
  }
  ArrayRef<int64_t> shape = x.type.getShape();
  if (x.type.getNumElements() == 0)
    return node.emitError() << "dequantizes an empty tensor";
  if (rank == 0 && scales->size() != 1)
    return node.emitError() << "has " << scales->size()
                            << " scales for a scalar";
  // Where each element's scale is: per tensor, per index along `axis`, or
  // per block of `blockSize` along it (and per index of the others).
  int64_t blockSize = node.opset() >= 21 ? node.intAttr("block_size", 0) : 0;
  if (blockSize < 0)
    return node.emitError() << "has block_size " << blockSize;
  FailureOr<int64_t> axis =
      rank == 0 ? FailureOr<int64_t>(0)
                : node.normalizeAxis(node.intAttr("axis", 1), rank);
  if (failed(axis))
    return failure();
  int64_t count = x.type.getNumElements();
  auto parameterOf = [&](int64_t flat) -> int64_t {
    if (scales->size() == 1)
      return 0;
    SmallVector<int64_t> index(rank);
    for (int64_t d = rank - 1, rest = flat; d >= 0; --d) {
      index[d] = rest % shape[d];
      rest /= shape[d];
    }
    if (blockSize == 0)
      return index[*axis];
    // Scales shaped as x with the axis divided into blocks.
    int64_t at = 0;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t extent =
          d == *axis ? (shape[d] + blockSize - 1) / blockSize : shape[d];
      at = at * extent + (d == *axis ? index[d] / blockSize : index[d]);
    }
    return at;
  };
  int64_t expected =
      scales->size() == 1 ? 1
      : blockSize == 0
          ? shape[*axis]
          : count / shape[*axis] * ((shape[*axis] + blockSize - 1) / blockSize);
  if (rank > 0 && static_cast<int64_t>(scales->size()) != expected)
    return node.emitError()
           << "has " << scales->size()
           << " scales where its axis and block size need " << expected;

  // As a weight: [A, B] with scales along rows (per axis 0, or blocks
  // along axis 1) is [N, K] as it stands; scales along columns make it
  // [K, N], dequantized transposed.
  auto elementType = dyn_cast<IntegerType>(x.type.getElementType());
  int64_t bits = elementType ? elementType.getWidth() : 0;
  if (x.packedIntegers && rank == 2 && (scales->size() > 1 || blockSize == 0)) {
    bool rowsAreN =
        blockSize == 0 ? *axis == 0 && scales->size() > 1 : *axis == 1;
    if (scales->size() == 1)
      rowsAreN = false; // per tensor: MatMul's [K, N] weight
    QuantizedMatrix matrix;
    matrix.bits = bits;
    matrix.n = shape[rowsAreN ? 0 : 1];
    matrix.k = shape[rowsAreN ? 1 : 0];
    matrix.group = blockSize == 0 ? matrix.k : blockSize;
    int64_t perWord = 32 / bits, groups = matrix.k / matrix.group;
    if (matrix.k % matrix.group == 0 && matrix.group % perWord == 0) {
      int32_t offset = elementType.isUnsigned() ? 1 << (bits - 1) : 0;
      matrix.values.resize(count);
      matrix.scales.resize(matrix.n * groups);
      matrix.zeros.resize(matrix.n * groups);
      for (int64_t flat = 0; flat < count; ++flat) {
        int64_t row = flat / shape[1], column = flat % shape[1];
        int64_t n = rowsAreN ? row : column, k = rowsAreN ? column : row;
        int64_t parameter = parameterOf(flat);
        matrix.values[n * matrix.k + k] =
            static_cast<int8_t>((*integers)[flat] - offset);
        int64_t g = n * groups + k / matrix.group;
        matrix.scales[g] = (*scales)[parameter];
        matrix.zeros[g] = static_cast<float>(zeros[parameter] - offset);
      }
      Value dequantized = createDequantize(node, matrix, node.node().input(0));
      if (rowsAreN)
        return node.setOutput(0, dequantized);
      return node.setOutput(
          0, node.create<TransposeOp>(dequantized, SmallVector<int64_t>{1, 0}));
    }
  }
  // Anything else is evaluated now.
  SmallVector<float> values(count);
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t parameter = parameterOf(flat);
    values[flat] = static_cast<float>((*integers)[flat] - zeros[parameter]) *
                   (*scales)[parameter];
  }
  return node.setOutput(
      0, createWeight(
             node, RankedTensorType::get(shape, node.builder().getF32Type()),
             ArrayRef<float>(values), node.node().input(0) + "_dequantized"));
}

/// com.microsoft.MatMulNBits: A · dequantize(B)ᵀ (+ bias), B [N, blocks,
/// bytes] of unsigned `bits`-bit values (low bits first) in blocks of
/// block_size along K, one scale per row and block, zero points packed
/// likewise (default 2^(bits-1)).
LogicalResult convertMatMulNBits(NodeContext &node) {
  int64_t k = node.intAttr("K", 0), n = node.intAttr("N", 0);
  int64_t bits = node.intAttr("bits", 4), block = node.intAttr("block_size", 0);
  if (bits != 4 && bits != 8)
    return node.emitError()
           << "has " << bits << "-bit weights; Tessera reads 4 and 8";
  if (!checkedElementCount({n, k}))
    return node.emitError() << "has K = " << k << " and N = " << n
                            << ": not a weight Tessera can hold";
  if (k <= 0 || n <= 0 || block <= 0 || k % block != 0 ||
      block % (32 / bits) != 0)
    return node.emitError()
           << "has K = " << k << ", N = " << n << " and block_size = " << block
           << "; Tessera needs blocks that divide K and hold "
              "whole 32-bit words";
  if (node.hasInput(4))
    return node.emitError() << "reorders K by g_idx (input 4), which Tessera "
                               "does not support";
  const ImportedValue &b = node.info(1);
  int64_t blocks = k / block, bytesPerBlock = block * bits / 8;
  if (!b.packedIntegers || !b.type.getElementType().isUnsignedInteger(8) ||
      static_cast<int64_t>(b.packedIntegers->size()) !=
          n * blocks * bytesPerBlock)
    return node.emitError() << "needs B (input 1) as a constant uint8 tensor "
                               "of "
                            << n * blocks * bytesPerBlock << " bytes";
  std::optional<SmallVector<float>> scales = floatsOf(node, 2);
  if (!scales || static_cast<int64_t>(scales->size()) != n * blocks)
    return node.emitError()
           << "needs " << n * blocks << " constant float scales (input 2)";
  int32_t offset = 1 << (bits - 1);
  QuantizedMatrix matrix;
  matrix.n = n;
  matrix.k = k;
  matrix.bits = bits;
  matrix.group = block;
  matrix.scales = std::move(*scales);
  matrix.zeros.assign(n * blocks, 0.0f);
  if (node.hasInput(3)) {
    const ImportedValue &zero = node.info(3);
    int64_t perRow = (blocks * bits + 7) / 8;
    if (!zero.packedIntegers ||
        !zero.type.getElementType().isUnsignedInteger(8) ||
        static_cast<int64_t>(zero.packedIntegers->size()) != n * perRow)
      return node.emitError() << "needs zero points (input 3) as " << n * perRow
                              << " constant uint8 bytes (float zero points "
                                 "are not supported)";
    StringRef bytes = *zero.packedIntegers;
    for (int64_t row = 0; row < n; ++row)
      for (int64_t g = 0; g < blocks; ++g)
        matrix.zeros[row * blocks + g] = static_cast<float>(
            unsignedField(bytes.substr(row * perRow), g, bits) - offset);
  }
  matrix.values.resize(n * k);
  for (int64_t i = 0; i < n * k; ++i)
    matrix.values[i] =
        static_cast<int8_t>(unsignedField(*b.packedIntegers, i, bits) - offset);
  FailureOr<Value> a = node.input(0), given = node.optionalInput(5);
  if (failed(a) || failed(given))
    return failure();
  Value bias = *given;
  Value weight = createDequantize(node, matrix, node.node().input(1));
  // An f16 model computes in f16: the weight is narrowed (by a dispatch of
  // its own; f32 models read it in registers).
  if (Type element = node.elementType(0); !element.isF32())
    weight = CastOp::create(node.builder(), node.loc(),
                            RankedTensorType::get({n, k}, element), weight);
  return node.setOutput(0, node.create<LinearOp>(*a, weight, bias));
}

} // namespace

void mlir::tessera::onnx_frontend::addQuantizedConverters(
    ConverterTable &table) {
  table["DequantizeLinear"] = {convertDequantizeLinear, {2, 3}};
  table["com.microsoft.DequantizeLinear"] = {convertDequantizeLinear, {2, 3}};
  table["com.microsoft.MatMulNBits"] = {convertMatMulNBits, {3, 6}};
}

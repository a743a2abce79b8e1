//===- OpConverters.h - The ONNX op converters, by family -------*- C++ -*-===//
//
// Each family file (ElementwiseOps.cpp, ShapeOps.cpp, NeuralOps.cpp,
// EinsumOps.cpp, ContribOps.cpp, QuantizedOps.cpp) adds
// its converters to the table that lookupConverter reads. A new op is one
// function in its family's file and one line in its add*Converters, which
// also says how many inputs and outputs the op takes.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_FRONTENDS_ONNX_OPCONVERTERS_H
#define TESSERA_FRONTENDS_ONNX_OPCONVERTERS_H

#include "frontends/onnx/GraphImporter.h"

#include "llvm/ADT/StringMap.h"

namespace mlir::tessera::onnx_frontend {

using ConverterTable = llvm::StringMap<OpConverter>;

void addElementwiseConverters(ConverterTable &table);
void addShapeConverters(ConverterTable &table);
void addNeuralConverters(ConverterTable &table);
void addEinsumConverters(ConverterTable &table);
/// ONNX Runtime's com.microsoft ops, keyed "com.microsoft.OpType".
void addContribConverters(ConverterTable &table);
/// Quantized weights: DequantizeLinear, com.microsoft.MatMulNBits.
void addQuantizedConverters(ConverterTable &table);

// Helpers shared by the family files (defined in ShapeOps.cpp).

/// A tensor type for a symbolic shape: static where the dim is a constant.
RankedTensorType typeFor(ArrayRef<DimExpr> shape, Type element);
/// `[batch, seq, 64]`, for messages.
std::string shapeText(ArrayRef<DimExpr> shape, NodeContext &node);
/// `x` reshaped to `shape`, its dynamic dims named in the op's `dims`.
Value createReshape(NodeContext &node, Value x, ArrayRef<DimExpr> shape);
/// `x` broadcast to `shape`, its dynamic dims named in the op's `dims`.
Value createBroadcast(NodeContext &node, Value x, ArrayRef<DimExpr> shape);
/// start, start + 1, ..., start + length - 1 as a 1-D tensor of `element`;
/// length and start may be expressions of named dims.
FailureOr<Value> createIota(NodeContext &node, const DimExpr &length,
                            Type element,
                            const DimExpr &start = DimExpr::constant(0));
/// column - row as a [rows, columns] i32 tensor, rows numbered from
/// `firstRow` (Trilu's and CumSum's position tests; Attention's causal test
/// after `past` cached keys).
FailureOr<Value>
createPositionOffsets(NodeContext &node, const DimExpr &rows,
                      const DimExpr &columns,
                      const DimExpr &firstRow = DimExpr::constant(0));
/// `x` cut along `axis` into consecutive parts of `sizes` (Split; the
/// Q/K/V of a merged projection).
FailureOr<SmallVector<Value>>
createSplit(NodeContext &node, Value x, int64_t axis, ArrayRef<int64_t> sizes);
/// 0 where a query may see a key, `fill` after its position: the causal
/// term of an attention's bias over [queries, keys], queries numbered from
/// `past` (defined in NeuralOps.cpp).
FailureOr<Value> createCausalBias(NodeContext &node, Type element,
                                  const DimExpr &queries, const DimExpr &keys,
                                  const DimExpr &past, double fill);
/// A rank-0 constant of `element` (float or integer).
Value createScalar(NodeContext &node, Type element, double value);
/// x · rsqrt(mean(x², last dim) + epsilon) · scale as `layer_norm {rms}`
/// (RMSNorm: ONNX's RMSNormalization, ONNX Runtime's
/// SimplifiedLayerNormalization; defined in NeuralOps.cpp).
FailureOr<Value> createRootMeanSquareNorm(NodeContext &node, Value x,
                                          Value scale, float epsilon);

/// A [B, S, H·D] tensor as [B, H, S, D] for `count` heads; an error naming
/// `what` and the attribute `countName` where the last dim does not split
/// (defined in NeuralOps.cpp, as are the other head helpers).
FailureOr<Value> splitHeads(NodeContext &node, Value x, int64_t count,
                            StringRef what, StringRef countName);
/// [B, H, S, D] merged back into [B, S, H·D] (splitHeads' inverse).
FailureOr<Value> mergeHeads(NodeContext &node, Value y);

/// Where a RotaryEmbedding's operands are: ONNX's (opset 23) and ONNX
/// Runtime's (com.microsoft) order them differently.
struct RotaryEmbeddingInputs {
  int x, cos, sin, positions;
};
/// RotaryEmbedding as `tessera.rotary` (defined in NeuralOps.cpp): a 4-D
/// [B, H, S, D] input or a 3-D [B, S, H·D] one with `num_heads`; caches of
/// one angle per pair gathered at the positions; `interleaved`;
/// `rotary_embedding_dim` rotates the first dims of each head.
LogicalResult convertRotaryEmbedding(NodeContext &node,
                                     const RotaryEmbeddingInputs &inputs);

} // namespace mlir::tessera::onnx_frontend

#endif // TESSERA_FRONTENDS_ONNX_OPCONVERTERS_H

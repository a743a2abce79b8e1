//===- StridedView.h - Tensors as strided views of buffers ------*- C++ -*-===//
//
// How kernels find a tensor's elements in a buffer (offset and strides in
// named dims), and which layout ops move no data because a strided view
// expresses them.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECT_SHAPES_STRIDEDVIEW_H
#define TESSERA_DIALECT_SHAPES_STRIDEDVIEW_H

#include "dialects/tessera/Shapes/SymbolicShapes.h"

namespace mlir::tessera {

/// How a kernel finds element (i0, i1, ...) of a logical tensor in a buffer:
/// offset + i0*strides[0] + i1*strides[1] + ... (elements). A stride of 0
/// broadcasts.
struct StridedView {
  SymbolicShape shape;
  SymbolicShape strides;
  /// Elements before element (0, 0, ...) in the buffer.
  DimExpr offset = DimExpr::constant(0);

  static StridedView dense(ArrayRef<DimExpr> shape);
  /// The view of the transposed tensor.
  StridedView transpose(ArrayRef<int64_t> permutation) const;
  /// The view of the reshaped tensor, when the reshape only splits dims,
  /// merges contiguous dims, or adds and drops dims of size 1.
  std::optional<StridedView> reshape(ArrayRef<DimExpr> newShape) const;
  /// The view after NumPy broadcasting to `newShape` (stride 0 where a
  /// dimension of size 1 stretches).
  StridedView broadcastTo(ArrayRef<DimExpr> newShape) const;
  /// The view of a slice starting at `starts` with `steps`, of shape
  /// `newShape`.
  StridedView slice(ArrayRef<DimExpr> starts, ArrayRef<int64_t> steps,
                    ArrayRef<DimExpr> newShape) const;
};

/// Where a producer of `result` can write it: the end of the longest chain
/// of single-use transposes and reshapes after it (the head merge after an
/// attention) whose inverse is a strided view of the end's dense buffer,
/// and that view; `result` itself, dense, when there is no such chain.
struct OutputChain {
  Value end;
  StridedView view;
  /// The layout ops between `result` and `end`, which move no data.
  SmallVector<Operation *> ops;
};
OutputChain traceOutputChain(Value result, const SymbolicShapes &shapes);

/// Whether `op` is a layout op that may be a view: reshape, transpose,
/// broadcast, slice, and the casts kernels perform as they load: f16 to
/// f32 (the f32 tensor is the f16 buffer read wider) and i32 to i1
/// (booleans are stored as i32 and loaded as `!= 0`).
bool isViewOp(Operation *op);
/// The view that view op `op` makes of a tensor viewed as `source` (its
/// result's shape from `shapes`); std::nullopt when no strided view
/// expresses it.
std::optional<StridedView> viewThrough(Operation *op, const StridedView &source,
                                       const SymbolicShapes &shapes);

} // namespace mlir::tessera

#endif // TESSERA_DIALECT_SHAPES_STRIDEDVIEW_H

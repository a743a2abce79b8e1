//===- StridedView.cpp - Tensors as strided views of buffers --------------===//

#include "dialects/tessera/Shapes/StridedView.h"

#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tessera;

StridedView StridedView::dense(ArrayRef<DimExpr> shape) {
  return {SymbolicShape(shape), SymbolicShapes::denseStrides(shape)};
}

StridedView StridedView::transpose(ArrayRef<int64_t> permutation) const {
  StridedView view;
  view.offset = offset;
  for (int64_t d : permutation) {
    view.shape.push_back(shape[d]);
    view.strides.push_back(strides[d]);
  }
  return view;
}

std::optional<StridedView>
StridedView::reshape(ArrayRef<DimExpr> newShape) const {
  // Size-1 dims take no part in addressing: reshape between the other dims,
  // then put the target's size-1 dims back with stride 0.
  SmallVector<std::pair<DimExpr, DimExpr>> source;
  for (auto [dim, stride] : llvm::zip(shape, strides))
    if (!isUnitDim(dim))
      source.push_back({dim, stride});
  SmallVector<DimExpr> target;
  for (const DimExpr &dim : newShape)
    if (!isUnitDim(dim))
      target.push_back(dim);

  SmallVector<DimExpr> targetStrides;
  size_t i = 0, j = 0;
  while (i < source.size() || j < target.size()) {
    if (i >= source.size() || j >= target.size())
      return std::nullopt;
    // Grow a group of source dims and a group of target dims until their
    // products agree.
    size_t iEnd = i + 1, jEnd = j + 1;
    DimExpr sourceProduct = source[i].first, targetProduct = target[j];
    while (sourceProduct != targetProduct) {
      if (sourceProduct.divide(targetProduct) && jEnd < target.size()) {
        targetProduct = targetProduct * target[jEnd++];
      } else if (targetProduct.divide(sourceProduct) && iEnd < source.size()) {
        sourceProduct = sourceProduct * source[iEnd].first;
        ++iEnd;
      } else {
        return std::nullopt;
      }
    }
    // The source group must be contiguous to be merged.
    for (size_t k = i; k + 1 < iEnd; ++k)
      if (source[k].second != source[k + 1].second * source[k + 1].first)
        return std::nullopt;
    // Split it into the target group, innermost stride first.
    SmallVector<DimExpr> groupStrides(jEnd - j, source[iEnd - 1].second);
    for (int64_t g = static_cast<int64_t>(groupStrides.size()) - 2; g >= 0; --g)
      groupStrides[g] = groupStrides[g + 1] * target[j + g + 1];
    llvm::append_range(targetStrides, groupStrides);
    i = iEnd;
    j = jEnd;
  }

  StridedView view;
  view.offset = offset;
  size_t next = 0;
  for (const DimExpr &dim : newShape) {
    view.shape.push_back(dim);
    view.strides.push_back(isUnitDim(dim) ? DimExpr::constant(0)
                                          : targetStrides[next++]);
  }
  return view;
}

StridedView StridedView::broadcastTo(ArrayRef<DimExpr> newShape) const {
  StridedView view;
  view.offset = offset;
  size_t offset = newShape.size() - shape.size();
  for (size_t d = 0; d < newShape.size(); ++d) {
    view.shape.push_back(newShape[d]);
    if (d < offset || (isUnitDim(shape[d - offset]) && !isUnitDim(newShape[d])))
      view.strides.push_back(DimExpr::constant(0));
    else
      view.strides.push_back(strides[d - offset]);
  }
  return view;
}

StridedView StridedView::slice(ArrayRef<DimExpr> starts,
                               ArrayRef<int64_t> steps,
                               ArrayRef<DimExpr> newShape) const {
  StridedView view;
  view.offset = offset;
  view.shape.assign(newShape.begin(), newShape.end());
  for (size_t d = 0; d < shape.size(); ++d) {
    view.strides.push_back(strides[d] * DimExpr::constant(steps[d]));
    view.offset = view.offset + strides[d] * starts[d];
  }
  return view;
}

OutputChain mlir::tessera::traceOutputChain(Value result,
                                            const SymbolicShapes &shapes) {
  SmallVector<Operation *> chain;
  Value end = result;
  while (end.hasOneUse()) {
    Operation *user = *end.getUsers().begin();
    if (!isa<ReshapeOp, TransposeOp>(user))
      break;
    chain.push_back(user);
    end = user->getResult(0);
  }
  while (!chain.empty()) {
    std::optional<StridedView> view = StridedView::dense(shapes.getShape(end));
    for (Operation *op : llvm::reverse(chain)) {
      Value source = op->getOperand(0);
      if (auto transpose = dyn_cast<TransposeOp>(op)) {
        SmallVector<int64_t> inverse(transpose.getPermutation().size());
        for (auto [i, p] : llvm::enumerate(transpose.getPermutation()))
          inverse[p] = i;
        view = view->transpose(inverse);
      } else {
        view = view->reshape(shapes.getShape(source));
      }
      if (!view)
        break;
    }
    if (view)
      return {end, *view, chain};
    // Not expressible: try a shorter chain.
    chain.pop_back();
    end = chain.empty() ? result : chain.back()->getResult(0);
  }
  return {result, StridedView::dense(shapes.getShape(result)), {}};
}

/// A cast that kernels perform as they load: f16 to f32 (the widening of
/// an f16 buffer), and i32 to i1 (booleans are stored as i32 and loaded as
/// `!= 0`, which is the cast).
static bool isCastOnLoad(Operation *op) {
  auto cast = dyn_cast_or_null<CastOp>(op);
  if (!cast)
    return false;
  Type from = getElementTypeOrSelf(cast.getInput().getType());
  Type to = getElementTypeOrSelf(cast.getType());
  return (from.isF16() && to.isF32()) ||
         (from.isInteger(32) && to.isInteger(1));
}

bool mlir::tessera::isViewOp(Operation *op) {
  return isa_and_nonnull<ReshapeOp, TransposeOp, BroadcastOp, SliceOp>(op) ||
         isCastOnLoad(op);
}

std::optional<StridedView>
mlir::tessera::viewThrough(Operation *op, const StridedView &source,
                           const SymbolicShapes &shapes) {
  const SymbolicShape &resultShape = shapes.getShape(op->getResult(0));
  if (auto transpose = dyn_cast<TransposeOp>(op))
    return source.transpose(transpose.getPermutation());
  if (isa<ReshapeOp>(op))
    return source.reshape(resultShape);
  if (isa<BroadcastOp>(op))
    return source.broadcastTo(resultShape);
  if (isCastOnLoad(op))
    return source;
  auto slice = cast<SliceOp>(op);
  SmallVector<DimExpr> starts;
  SmallVector<int64_t> steps;
  for (unsigned d = 0; d < resultShape.size(); ++d) {
    std::optional<SliceExtent> extent = shapes.sliceExtent(slice, d);
    if (!extent)
      return std::nullopt;
    starts.push_back(extent->start);
    steps.push_back(extent->step);
  }
  return source.slice(starts, steps, resultShape);
}

//===- ShapeOps.cpp - ONNX shape, layout and constant ops -----------------===//
//
// Shape, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Slice, Split,
// Concat, Gather, Expand, Tile, Constant, ConstantOfShape, Range, Trilu. Integer tensors
// known at compile time (shapes, axes, index lists) are computed here, so
// the Shape -> Gather -> Unsqueeze -> Concat -> Reshape bookkeeping of
// dynamic-axis exports never becomes an op.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/tessera/IR/ShapeUtils.h"

#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"

#include <limits>

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::onnx_frontend;

RankedTensorType mlir::tessera::onnx_frontend::typeFor(ArrayRef<DimExpr> shape,
                                                      Type element) {
  SmallVector<int64_t> dims;
  for (const DimExpr &d : shape)
    dims.push_back(d.isConstant() ? d.getCoefficient() : ShapedType::kDynamic);
  return RankedTensorType::get(dims, element);
}

std::string mlir::tessera::onnx_frontend::shapeText(ArrayRef<DimExpr> shape,
                                                   NodeContext &node) {
  const SymbolicShapes &shapes = node.graph().shapes();
  return "[" +
         llvm::join(llvm::map_range(shape,
                                    [&](const DimExpr &d) {
                                      return shapes.format(d);
                                    }),
                    ", ") +
         "]";
}

/// The `dims` attribute of a reshape or broadcast to `shape`: null when the
/// result is static.
static ArrayAttr namedDims(NodeContext &node, RankedTensorType type,
                           ArrayRef<DimExpr> shape) {
  // The named dims are written down: the compiler cannot always tell them
  // from the types ([b*s, 192] -> [?, ?, 192]).
  if (type.hasStaticShape())
    return ArrayAttr();
  SmallVector<std::string> names;
  for (const DimExpr &d : shape)
    names.push_back(node.graph().shapes().format(d));
  return node.builder().getStrArrayAttr(llvm::to_vector_of<StringRef>(names));
}

/// `OpTy` (reshape or broadcast) of `x` to `shape`, its dims named.
template <typename OpTy>
static Value createNamedLayout(NodeContext &node, Value x,
                               ArrayRef<DimExpr> shape) {
  RankedTensorType type =
      typeFor(shape, cast<RankedTensorType>(x.getType()).getElementType());
  return OpTy::create(node.builder(), node.loc(), type, x,
                      namedDims(node, type, shape));
}

Value mlir::tessera::onnx_frontend::createReshape(NodeContext &node, Value x,
                                                  ArrayRef<DimExpr> shape) {
  return createNamedLayout<ReshapeOp>(node, x, shape);
}

Value mlir::tessera::onnx_frontend::createBroadcast(NodeContext &node, Value x,
                                                    ArrayRef<DimExpr> shape) {
  return createNamedLayout<BroadcastOp>(node, x, shape);
}

FailureOr<Value> mlir::tessera::onnx_frontend::createIota(
    NodeContext &node, const DimExpr &length, Type element,
    const DimExpr &start) {
  OpBuilder &b = node.builder();
  const SymbolicShapes &shapes = node.graph().shapes();
  bool dynamic = !length.isConstant();
  if (!dynamic && length.getCoefficient() < 0)
    return node.emitError() << "needs " << length.getCoefficient()
                            << " positions";
  auto type = RankedTensorType::get(
      {dynamic ? ShapedType::kDynamic : length.getCoefficient()}, element);
  StringAttr lengthAttr =
      dynamic ? b.getStringAttr(shapes.format(length)) : StringAttr();
  StringAttr startAttr = start == DimExpr::constant(0)
                             ? StringAttr()
                             : b.getStringAttr(shapes.format(start));
  return IotaOp::create(b, node.loc(), type, lengthAttr, startAttr)
      .getResult();
}

FailureOr<Value> mlir::tessera::onnx_frontend::createPositionOffsets(
    NodeContext &node, const DimExpr &rows, const DimExpr &columns,
    const DimExpr &firstRow) {
  Type i32 = node.builder().getI32Type();
  FailureOr<Value> rowIds = createIota(node, rows, i32, firstRow);
  FailureOr<Value> columnIds = createIota(node, columns, i32);
  if (failed(rowIds) || failed(columnIds))
    return failure();
  Value rowColumn = createReshape(node, *rowIds, {rows, DimExpr::constant(1)});
  return node.create<SubOp>(*columnIds, rowColumn);
}

FailureOr<SmallVector<Value>> mlir::tessera::onnx_frontend::createSplit(
    NodeContext &node, Value x, int64_t axis, ArrayRef<int64_t> sizes) {
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  OpBuilder &b = node.builder();
  SmallVector<Value> parts;
  int64_t offset = 0;
  for (int64_t size : sizes) {
    SmallVector<int64_t> starts(rank, 0),
        ends(rank, std::numeric_limits<int64_t>::max());
    starts[axis] = offset;
    ends[axis] = offset += size;
    FailureOr<Value> part =
        node.create<SliceOp>(x, b.getDenseI64ArrayAttr(starts),
                             b.getDenseI64ArrayAttr(ends), DenseI64ArrayAttr());
    if (failed(part))
      return failure();
    parts.push_back(*part);
  }
  return parts;
}

Value mlir::tessera::onnx_frontend::createScalar(NodeContext &node,
                                                 Type element, double value) {
  OpBuilder &b = node.builder();
  auto type = RankedTensorType::get({}, element);
  Attribute attr = isa<FloatType>(element)
                       ? Attribute(b.getFloatAttr(element, value))
                       : Attribute(b.getIntegerAttr(
                             element, static_cast<int64_t>(value)));
  return ConstantOp::create(b, node.loc(), type,
                            DenseElementsAttr::get(type, attr));
}

namespace {

/// Reshapes input 0 to `shape` (symbolic); checks that the compiler's
/// inference follows the same dims.
LogicalResult emitReshape(NodeContext &node, ArrayRef<DimExpr> shape) {
  const ImportedValue &input = node.info(0);
  if (input.known) {
    SmallVector<int64_t> dims;
    for (const DimExpr &d : shape) {
      if (!d.isConstant())
        return node.emitError() << "reshapes a known tensor to a dynamic shape";
      dims.push_back(d.getCoefficient());
    }
    node.setKnownOutput(0, input.type.getElementType(), dims, *input.known);
    return success();
  }
  if (ArrayRef<DimExpr>(input.shape) == shape) {
    node.forwardInput(0, 0);
    return success();
  }
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  if (failed(node.setOutput(0, createReshape(node, *x, shape))))
    return failure();
  if (ArrayRef<DimExpr>(node.graph().lookup(node.node().output(0))->shape) !=
      shape)
    return node.emitError()
           << "reshape from " << shapeText(input.shape, node) << " to "
           << shapeText(shape, node)
           << ": the compiler cannot yet tell which input dims the dynamic "
              "dims of the result are";
  return success();
}

LogicalResult convertShape(NodeContext &node) {
  const SymbolicShape &shape = node.shape(0);
  int64_t rank = shape.size();
  int64_t start = node.intAttr("start", 0), end = node.intAttr("end", rank);
  auto clampIndex = [&](int64_t i) {
    if (i < 0)
      i += rank;
    return std::clamp<int64_t>(i, 0, rank);
  };
  start = clampIndex(start);
  end = clampIndex(end);
  SmallVector<DimExpr> dims(shape.begin() + start,
                            shape.begin() + std::max(start, end));
  int64_t count = dims.size();
  node.setKnownOutput(0, node.builder().getI32Type(), {count},
                      std::move(dims));
  return success();
}

/// Resize (opsets 11 on; 10's Upsample is upgraded to it): nearest or
/// linear sampling by constant scales or sizes, as `tessera.resize`. The
/// resized dims must be static; the others keep their size (scale 1).
LogicalResult convertResize(NodeContext &node) {
  std::string mode = node.stringAttr("mode", "nearest");
  std::string coordinates =
      node.stringAttr("coordinate_transformation_mode", "half_pixel");
  std::string nearest = node.stringAttr("nearest_mode", "round_prefer_floor");
  std::optional<ResizeMode> resizeMode = symbolizeResizeMode(mode);
  std::optional<ResizeCoordinates> transform =
      symbolizeResizeCoordinates(coordinates);
  std::optional<NearestRounding> rounding = symbolizeNearestRounding(nearest);
  if (!resizeMode || !transform || !rounding)
    return node.emitError()
           << "resizes with mode '" << mode << "', coordinates '" << coordinates
           << "' and nearest_mode '" << nearest
           << "'; Tessera resizes nearest or linear with half_pixel, "
              "pytorch_half_pixel, align_corners, asymmetric or "
              "tf_half_pixel_for_nn coordinates";
  if (node.intAttr("antialias", 0) != 0 || node.attribute("axes") ||
      node.stringAttr("keep_aspect_ratio_policy", "stretch") != "stretch")
    return node.emitError() << "uses antialias, axes or a "
                               "keep_aspect_ratio_policy, which Tessera's "
                               "resize does not take";
  const SymbolicShape &shape = node.shape(0);
  int64_t rank = node.rank(0);
  SmallVector<double> scales(rank, 1.0);
  SmallVector<DimExpr> sizes(shape.begin(), shape.end());
  if (node.hasInput(3)) {
    // Sizes: the scale of a dim is its output size over its input size.
    std::optional<SmallVector<DimExpr>> target = node.known(3);
    if (!target || static_cast<int64_t>(target->size()) != rank)
      return node.emitError() << "takes its output sizes (input 3) at run "
                                 "time, or not one per dim";
    for (int64_t d = 0; d < rank; ++d) {
      if ((*target)[d] == shape[d])
        continue;
      // A dynamic dim to a multiple of itself: scaled by an integer.
      std::optional<DimExpr> ratio = (*target)[d].divide(shape[d]);
      if (!shape[d].isConstant() && ratio && ratio->isConstant() &&
          ratio->getCoefficient() >= 2 &&
          ResizeOp::getScaleFraction(ratio->getCoefficient())) {
        sizes[d] = (*target)[d];
        scales[d] = ratio->getCoefficient();
        continue;
      }
      if (!shape[d].isConstant()) {
        // From a dynamic size to another (a mask to a feature map's size)
        // or to a fixed one: the scale is their ratio at run time.
        sizes[d] = (*target)[d];
        scales[d] = 0.0;
        continue;
      }
      if (!(*target)[d].isConstant())
        return node.emitError()
               << "resizes static dim " << d << " of " << shapeText(shape, node)
               << " to " << shapeText(*target, node)
               << ", a size known only at run time";
      sizes[d] = (*target)[d];
      scales[d] = static_cast<double>((*target)[d].getCoefficient()) /
                  shape[d].getCoefficient();
    }
  } else {
    std::optional<SmallVector<double>> given = node.constantFloats(2);
    if (!given || static_cast<int64_t>(given->size()) != rank)
      return node.emitError() << "takes its scales (input 2) at run time, or "
                                 "not one per dim";
    for (int64_t d = 0; d < rank; ++d) {
      if ((*given)[d] == 1.0)
        continue;
      scales[d] = (*given)[d];
      if (!shape[d].isConstant() && ResizeOp::getScaleFraction(scales[d]))
        continue; // dynamic in the type; the op's shape rule names it
      if (!shape[d].isConstant() || !((*given)[d] > 0))
        return node.emitError()
               << "resizes dim " << d << " of " << shapeText(shape, node)
               << " by " << (*given)[d]
               << "; a dynamic dim must be resized by an integer, its "
                  "inverse, or a fraction whose denominator is a power of "
                  "two up to 2^16, and scales must be positive";
      // ONNX: the output size is floor(input size * scale).
      int64_t size = static_cast<int64_t>(
          std::floor(shape[d].getCoefficient() * (*given)[d]));
      if (size < 1)
        return node.emitError()
               << "resizes dim " << d << " of " << shapeText(shape, node)
               << " by " << (*given)[d] << " to nothing";
      sizes[d] = DimExpr::constant(size);
    }
  }
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  SmallVector<float> scaleValues(scales.begin(), scales.end());
  OpBuilder &b = node.builder();
  auto type = typeFor(sizes, node.elementType(0));
  Value resized = ResizeOp::create(
      b, node.loc(), type, *x, b.getDenseF32ArrayAttr(scaleValues),
      ResizeModeAttr::get(b.getContext(), *resizeMode),
      ResizeCoordinatesAttr::get(b.getContext(), *transform),
      NearestRoundingAttr::get(b.getContext(), *rounding),
      llvm::is_contained(scales, 0.0) ? namedDims(node, type, sizes)
                                      : ArrayAttr());
  if (failed(mlir::verify(resized.getDefiningOp())))
    return failure();
  return node.setOutput(0, resized);
}

/// Size: the number of elements, known at compile time as the product of
/// the dims (an expression of named dims where some are dynamic).
LogicalResult convertSize(NodeContext &node) {
  DimExpr count = DimExpr::constant(1);
  for (const DimExpr &d : node.shape(0))
    count = count * d;
  node.setKnownOutput(0, node.builder().getI32Type(), {}, {count});
  return success();
}

LogicalResult convertReshape(NodeContext &node) {
  std::optional<SmallVector<DimExpr>> target = node.known(1);
  if (!target)
    return node.emitError() << "the target shape is computed at run time; "
                               "only shapes that fold at compile time are "
                               "supported";
  const SymbolicShape &input = node.shape(0);
  bool allowZero = node.intAttr("allowzero", 0) != 0;
  SmallVector<DimExpr> shape;
  std::optional<size_t> inferred;
  DimExpr known = DimExpr::constant(1);
  for (auto [i, d] : llvm::enumerate(*target)) {
    if (d == DimExpr::constant(-1)) {
      if (inferred)
        return node.emitError() << "has two -1 dims in its target shape";
      inferred = i;
      shape.push_back(d);
      continue;
    }
    DimExpr dim = d;
    if (d == DimExpr::constant(0) && !allowZero) {
      if (i >= input.size())
        return node.emitError() << "copies dim " << i << " (0 in the target) "
                                << "but the input has rank " << input.size();
      dim = input[i];
    }
    if (dim.isConstant() && dim.getCoefficient() < 0)
      return node.emitError() << "has dim " << dim.getCoefficient()
                              << " in its target shape";
    shape.push_back(dim);
    known = known * dim;
  }
  if (inferred) {
    std::optional<DimExpr> rest =
        SymbolicShapes::product(input).divide(known);
    if (!rest)
      return node.emitError()
             << "cannot infer the -1 dim of " << shapeText(*target, node)
             << " from input shape " << shapeText(input, node);
    shape[*inferred] = *rest;
  }
  return emitReshape(node, shape);
}

LogicalResult convertFlatten(NodeContext &node) {
  const SymbolicShape &input = node.shape(0);
  FailureOr<int64_t> axis =
      node.intAttr("axis", 1) == static_cast<int64_t>(input.size())
          ? FailureOr<int64_t>(input.size())
          : node.normalizeAxis(node.intAttr("axis", 1), input.size());
  if (failed(axis))
    return failure();
  SmallVector<DimExpr> shape = {
      SymbolicShapes::product(ArrayRef<DimExpr>(input).take_front(*axis)),
      SymbolicShapes::product(ArrayRef<DimExpr>(input).drop_front(*axis))};
  return emitReshape(node, shape);
}

LogicalResult convertSqueeze(NodeContext &node) {
  FailureOr<std::optional<SmallVector<int64_t>>> axes = node.axes(1, 13);
  if (failed(axes))
    return failure();
  const SymbolicShape &input = node.shape(0);
  int64_t rank = input.size();
  SmallVector<bool> drop(rank, false);
  if (*axes) {
    for (int64_t axis : **axes) {
      FailureOr<int64_t> a = node.normalizeAxis(axis, rank);
      if (failed(a))
        return failure();
      if (input[*a] != DimExpr::constant(1))
        return node.emitError() << "squeezes dim " << *a
                                << ", which is not of size 1";
      drop[*a] = true;
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      drop[d] = input[d] == DimExpr::constant(1);
  }
  SmallVector<DimExpr> shape;
  for (int64_t d = 0; d < rank; ++d)
    if (!drop[d])
      shape.push_back(input[d]);
  return emitReshape(node, shape);
}

LogicalResult convertUnsqueeze(NodeContext &node) {
  FailureOr<std::optional<SmallVector<int64_t>>> axes = node.axes(1, 13);
  if (failed(axes))
    return failure();
  if (!*axes)
    return node.emitError() << "has no axes";
  const SymbolicShape &input = node.shape(0);
  int64_t rank = input.size() + (*axes)->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t axis : **axes) {
    FailureOr<int64_t> a = node.normalizeAxis(axis, rank);
    if (failed(a))
      return failure();
    inserted[*a] = true;
  }
  SmallVector<DimExpr> shape;
  for (int64_t d = 0, next = 0; d < rank; ++d)
    shape.push_back(inserted[d] ? DimExpr::constant(1) : input[next++]);
  return emitReshape(node, shape);
}

/// Output `0` of `node` as known values read from the known tensor `value`:
/// output dim d runs over input dim `from[d]` at `positions[d]` (a
/// transpose permutes the dims, a slice picks positions).
static void setKnownView(NodeContext &node, const ImportedValue &value,
                         ArrayRef<int64_t> from,
                         ArrayRef<SmallVector<int64_t>> positions) {
  ArrayRef<int64_t> dims = value.type.getShape();
  int64_t rank = dims.size(), count = 1;
  SmallVector<int64_t> shape;
  for (const SmallVector<int64_t> &picked : positions) {
    shape.push_back(picked.size());
    count *= picked.size();
  }
  SmallVector<DimExpr> elements;
  for (int64_t flat = 0; flat < count; ++flat) {
    SmallVector<int64_t> index(rank);
    for (int64_t d = rank - 1, rest = flat; d >= 0; --d) {
      index[from[d]] = positions[d][rest % shape[d]];
      rest /= shape[d];
    }
    int64_t source = 0;
    for (int64_t d = 0; d < rank; ++d)
      source = source * dims[d] + index[d];
    elements.push_back((*value.known)[source]);
  }
  node.setKnownOutput(0, value.type.getElementType(), shape,
                      std::move(elements));
}

LogicalResult convertTranspose(NodeContext &node) {
  int64_t rank = node.rank(0);
  SmallVector<int64_t> permutation;
  if (std::optional<SmallVector<int64_t>> perm = node.intsAttr("perm"))
    permutation = *perm;
  else
    for (int64_t d = rank - 1; d >= 0; --d)
      permutation.push_back(d);
  if (llvm::equal(permutation, llvm::seq<int64_t>(0, rank))) {
    node.forwardInput(0, 0);
    return success();
  }
  // Known values (shape arithmetic) are transposed here.
  if (const ImportedValue &value = node.info(0);
      value.known && static_cast<int64_t>(permutation.size()) == rank &&
      llvm::all_of(permutation,
                   [&](int64_t p) { return p >= 0 && p < rank; })) {
    SmallVector<SmallVector<int64_t>> positions;
    for (int64_t p : permutation)
      positions.push_back(
          llvm::to_vector(llvm::seq<int64_t>(0, value.type.getDimSize(p))));
    setKnownView(node, value, permutation, positions);
    return success();
  }
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  return node.setOutput(0, node.create<TransposeOp>(*x, permutation));
}

/// Start, end and step of a slice along one dim, normalized like ONNX
/// (negative counts from the end; clamped). `end` may be symbolic only
/// when it reaches the dim's end.
struct SliceRange {
  int64_t start = 0, end = std::numeric_limits<int64_t>::max(), step = 1;
};

/// The positions a slice with a negative step takes along a dim of `size`,
/// clamped as ONNX clamps going back (to [-1, size - 1]): any range of a
/// static dim, and the whole of a dynamic one reversed (torch.flip).
FailureOr<Value> backwardPositions(NodeContext &node, const DimExpr &size,
                                   const DimExpr &start, const DimExpr &end,
                                   int64_t step) {
  Type i32 = node.builder().getI32Type();
  if (!start.isConstant() || !end.isConstant())
    return node.emitError() << "has step " << step
                            << " between positions computed from named dims";
  int64_t from = start.getCoefficient(), to = end.getCoefficient();
  if (size.isConstant()) {
    int64_t n = size.getCoefficient();
    auto place = [&](int64_t p) {
      return std::clamp<int64_t>(p < 0 ? p + n : p, -1, n - 1);
    };
    SmallVector<int32_t> positions;
    for (int64_t p = place(from); p > place(to); p += step)
      positions.push_back(static_cast<int32_t>(p));
    auto type =
        RankedTensorType::get({static_cast<int64_t>(positions.size())}, i32);
    return ConstantOp::create(
               node.builder(), node.loc(), type,
               DenseElementsAttr::get(type, ArrayRef<int32_t>(positions)))
        .getResult();
  }
  // From the last position (-1, or any start past the end) through the
  // first (an end before any position).
  constexpr int64_t kPastEnd = std::numeric_limits<int32_t>::max();
  bool whole =
      step == -1 && (from == -1 || from >= kPastEnd) && to <= -kPastEnd;
  if (!whole)
    return node.emitError()
           << "has step " << step << " over the dynamic dim "
           << shapeText({size}, node)
           << "; going back, only the whole dim (torch.flip) is supported";
  // size - 1, ..., 0 as -(1 - size + iota).
  FailureOr<Value> rising =
      createIota(node, size, i32, DimExpr::constant(1) - size);
  if (failed(rising))
    return failure();
  return node.create<MulOp>(*rising, createScalar(node, i32, -1));
}

LogicalResult convertSlice(NodeContext &node) {
  int64_t rank = node.rank(0);
  std::optional<SmallVector<DimExpr>> starts = node.known(1),
                                      ends = node.known(2);
  if (!starts || !ends)
    return node.emitError() << "its starts and ends are computed at run "
                               "time; only slices that fold are supported";
  SmallVector<int64_t> axes, steps;
  if (node.hasInput(3)) {
    FailureOr<SmallVector<int64_t>> a = node.constantInts(3, "axes");
    if (failed(a))
      return failure();
    axes = *a;
  } else {
    axes = llvm::to_vector(llvm::seq<int64_t>(0, starts->size()));
  }
  if (node.hasInput(4)) {
    FailureOr<SmallVector<int64_t>> s = node.constantInts(4, "steps");
    if (failed(s))
      return failure();
    steps = *s;
  } else {
    steps.assign(axes.size(), 1);
  }
  // A known tensor (shape values; PyTorch's F.pad reverses its pads as a
  // [n, 2] tensor sliced with a step of -1) is sliced here, with any step,
  // clamped as ONNX clamps: to [0, size] going forward, [-1, size - 1]
  // going back.
  auto isConstant = [](const DimExpr &d) { return d.isConstant(); };
  if (const ImportedValue &value = node.info(0);
      value.known && llvm::all_of(*starts, isConstant) &&
      llvm::all_of(*ends, isConstant) && !llvm::is_contained(steps, 0)) {
    ArrayRef<int64_t> dims = value.type.getShape();
    SmallVector<SmallVector<int64_t>> picked;
    for (int64_t size : dims)
      picked.push_back(llvm::to_vector(llvm::seq<int64_t>(0, size)));
    for (auto [i, axis] : llvm::enumerate(axes)) {
      FailureOr<int64_t> a = node.normalizeAxis(axis, rank);
      const DimExpr &startAt = (*starts)[i], &endAt = (*ends)[i];
      if (failed(a))
        return failure();
      int64_t size = dims[*a], step = steps[i];
      auto place = [&](int64_t p, int64_t low, int64_t high) {
        return std::clamp<int64_t>(p < 0 ? p + size : p, low, high);
      };
      int64_t first = step > 0 ? place(startAt.getCoefficient(), 0, size)
                               : place(startAt.getCoefficient(), -1, size - 1);
      int64_t last = step > 0 ? place(endAt.getCoefficient(), 0, size)
                              : place(endAt.getCoefficient(), -1, size - 1);
      picked[*a].clear();
      for (int64_t p = first; step > 0 ? p < last : p > last; p += step)
        picked[*a].push_back(p);
    }
    setKnownView(node, value, llvm::to_vector(llvm::seq<int64_t>(0, rank)),
                 picked);
    return success();
  }
  const SymbolicShape &input = node.shape(0);
  SmallVector<SliceRange> ranges(rank);
  // Dims of a static table cut at run-time positions (a position table cut
  // to the sequence length, GPT-2's causal table cut to the rows of the
  // new tokens after `past` cached ones): gathered at the positions.
  struct DynamicRange {
    int64_t axis;
    DimExpr start, end;
  };
  SmallVector<DynamicRange> dynamicRanges;
  SmallVector<std::pair<int64_t, Value>> backwardGathers;
  for (auto [i, axis] : llvm::enumerate(axes)) {
    FailureOr<int64_t> a = node.normalizeAxis(axis, rank);
    if (failed(a))
      return failure();
    DimExpr start = (*starts)[i], end = (*ends)[i];
    if (steps[i] < 0) {
      // Going back (torch.flip): the positions, gathered.
      FailureOr<Value> positions =
          backwardPositions(node, input[*a], start, end, steps[i]);
      if (failed(positions))
        return failure();
      backwardGathers.push_back({*a, *positions});
      continue;
    }
    if (steps[i] == 0)
      return node.emitError() << "has step 0";
    ranges[*a].step = steps[i];
    // A position the graph computed as the dim's own size less a count
    // (`seq - 1` from Shape arithmetic) is that count from the end.
    for (DimExpr *position : {&start, &end}) {
      DimExpr fromEnd = *position - input[*a];
      if (!input[*a].isConstant() && !position->isConstant() &&
          fromEnd.isConstant() && fromEnd.getCoefficient() < 0)
        *position = fromEnd;
    }
    if (start.isConstant() && (end.isConstant() || end == input[*a])) {
      ranges[*a].start = start.getCoefficient();
      if (end.isConstant())
        ranges[*a].end = end.getCoefficient();
      continue;
    }
    // A constant end of a dynamic range counts like a static slice's:
    // from the back when negative, clamped to the dim.
    if (end.isConstant() && input[*a].isConstant()) {
      int64_t size = input[*a].getCoefficient(), e = end.getCoefficient();
      end = DimExpr::constant(std::clamp<int64_t>(e < 0 ? e + size : e, 0,
                                                  size));
    }
    dynamicRanges.push_back({*a, start, end});
  }
  if (node.info(0).known && rank == 1)
    return node.emitError() << "slices shape values at a dynamic position";
  FailureOr<Value> sliced = node.input(0);
  if (failed(sliced))
    return failure();
  for (auto [axis, positions] : backwardGathers) {
    sliced = node.create<GatherOp>(*sliced, positions,
                                   node.builder().getI64IntegerAttr(axis));
    if (failed(sliced))
      return failure();
  }
  for (const DynamicRange &range : dynamicRanges) {
    SliceRange &r = ranges[range.axis];
    bool negativeStart =
        range.start.isConstant() && range.start.getCoefficient() < 0;
    if (r.step != 1 || negativeStart || !input[range.axis].isConstant())
      return node.emitError()
             << "slices [" << node.graph().shapes().format(range.start) << ", "
             << node.graph().shapes().format(range.end) << ") of dim "
             << range.axis << " of " << shapeText(input, node)
             << "; at dynamic positions only a static dim with step 1 and "
                "a non-negative start is supported; compile for one size "
                "with "
             << node.graph().shapes().formatFixingFlags(input[range.axis] *
                                                        range.end);
    FailureOr<Value> positions =
        createIota(node, range.end - range.start,
                   node.builder().getI32Type(), range.start);
    if (failed(positions))
      return failure();
    sliced = node.create<GatherOp>(*sliced, *positions,
                                   node.builder().getI64IntegerAttr(range.axis));
    if (failed(sliced))
      return failure();
    r = SliceRange(); // the whole of the gathered dim
  }
  SmallVector<int64_t> s, e, st;
  for (const SliceRange &r : ranges) {
    s.push_back(r.start);
    e.push_back(r.end);
    st.push_back(r.step);
  }
  bool unitSteps = llvm::all_of(st, [](int64_t v) { return v == 1; });
  return node.setOutput(
      0, node.create<SliceOp>(*sliced, node.builder().getDenseI64ArrayAttr(s),
                              node.builder().getDenseI64ArrayAttr(e),
                              unitSteps
                                  ? DenseI64ArrayAttr()
                                  : node.builder().getDenseI64ArrayAttr(st)));
}

LogicalResult convertSplit(NodeContext &node) {
  int64_t rank = node.rank(0);
  FailureOr<int64_t> axis = node.normalizeAxis(node.intAttr("axis", 0), rank);
  if (failed(axis))
    return failure();
  const DimExpr &dim = node.shape(0)[*axis];
  if (!dim.isConstant())
    return node.emitError() << "splits a dynamic dimension";
  SmallVector<int64_t> sizes;
  if (node.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> s = node.constantInts(1, "split");
    if (failed(s))
      return failure();
    sizes = *s;
  } else if (std::optional<SmallVector<int64_t>> s = node.intsAttr("split")) {
    sizes = *s;
  } else {
    int64_t parts = node.intAttr("num_outputs", node.numOutputs());
    if (parts != node.numOutputs())
      return node.emitError() << "num_outputs is " << parts << " but the node "
                              << "has " << node.numOutputs() << " outputs";
    int64_t each = (dim.getCoefficient() + parts - 1) / parts;
    for (int64_t p = 0, left = dim.getCoefficient(); p < parts; ++p) {
      sizes.push_back(std::min(each, left));
      left -= sizes.back();
    }
  }
  // Sizes come from the model: each in [0, dim] before they are summed.
  int64_t total = 0;
  bool inRange = llvm::all_of(sizes, [&](int64_t size) {
    return size >= 0 && size <= dim.getCoefficient();
  });
  if (inRange)
    for (int64_t size : sizes)
      total += size;
  if (static_cast<int64_t>(sizes.size()) != node.numOutputs() || !inRange ||
      total != dim.getCoefficient())
    return node.emitError() << "splits a dim of " << dim.getCoefficient()
                            << " into " << sizes.size() << " parts summing to "
                            << total << " for " << node.numOutputs()
                            << " outputs";
  // A known 1-D tensor (shape values; ONNX Runtime turns Gathers of a
  // Shape into one Split) is split here, as Slice does.
  if (const ImportedValue &value = node.info(0); value.known && rank == 1) {
    int64_t offset = 0;
    for (auto [i, size] : llvm::enumerate(sizes)) {
      SmallVector<DimExpr> part(value.known->begin() + offset,
                                value.known->begin() + offset + size);
      node.setKnownOutput(i, value.type.getElementType(), {size},
                          std::move(part));
      offset += size;
    }
    return success();
  }
  FailureOr<Value> x = node.input(0);
  FailureOr<SmallVector<Value>> parts =
      succeeded(x) ? createSplit(node, *x, *axis, sizes)
                   : FailureOr<SmallVector<Value>>(failure());
  if (failed(parts))
    return failure();
  for (auto [i, part] : llvm::enumerate(*parts))
    if (failed(node.setOutput(i, part)))
      return failure();
  return success();
}

LogicalResult convertConcat(NodeContext &node) {
  int64_t rank = node.rank(0);
  if (rank == 0)
    return node.emitError() << "concatenates scalars (rank 0)";
  for (int i = 1; i < node.numInputs(); ++i)
    if (node.hasInput(i) && node.rank(i) != rank)
      return node.emitError() << "input " << i << " has rank " << node.rank(i)
                              << " but input 0 has rank " << rank;
  FailureOr<int64_t> axis = node.normalizeAxis(node.intAttr("axis", 0), rank);
  if (failed(axis))
    return failure();
  // Shape vectors: concatenated here.
  if (rank == 1) {
    SmallVector<DimExpr> elements;
    bool allKnown = true;
    for (int i = 0; i < node.numInputs() && allKnown; ++i) {
      std::optional<SmallVector<DimExpr>> part = node.known(i);
      allKnown = part.has_value();
      if (part)
        llvm::append_range(elements, *part);
    }
    if (allKnown) {
      int64_t count = elements.size();
      node.setKnownOutput(0, node.elementType(0), {count},
                          std::move(elements));
      return success();
    }
  }
  SmallVector<Value> inputs;
  for (int i = 0; i < node.numInputs(); ++i) {
    if (!node.hasInput(i))
      continue;
    // An empty part (a past of length 0 at export) adds nothing.
    if (node.shape(i)[*axis] == DimExpr::constant(0))
      continue;
    FailureOr<Value> x = node.input(i);
    if (failed(x))
      return failure();
    inputs.push_back(*x);
  }
  if (inputs.empty())
    return node.emitError() << "has only empty inputs";
  if (inputs.size() == 1)
    return node.setOutput(0, inputs.front());
  return node.setOutput(0, node.create<ConcatOp>(inputs, *axis));
}

/// GatherElements' result for every position p of `indices`:
/// data[p with p[axis] = indices[p]] (indices in [-s, s), negative ones
/// counted from the end), as a gather from the flattened data at each
/// element's flat index, which its reader computes from the element's
/// position (iotas) and its index. An index outside [-s, s) gets a flat
/// index past any end, which the gather's check reports when the model
/// runs. The data's dims after the first must be static (its strides).
FailureOr<Value> gatherElements(NodeContext &node, Value data,
                                const SymbolicShape &dataShape, Value indices,
                                const SymbolicShape &indexShape, int64_t axis) {
  int64_t rank = dataShape.size();
  for (int64_t d = 1; d < rank; ++d)
    if (!dataShape[d].isConstant())
      return node.emitError()
             << "gathers elements of " << shapeText(dataShape, node)
             << "; every dim after the first must be static";
  Type i32 = node.builder().getI32Type();
  auto scalar = [&](int64_t v) { return createScalar(node, i32, v); };
  SmallVector<int64_t> strides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * dataShape[d + 1].getCoefficient();
  Value flat, valid;
  for (int64_t d = 0; d < rank; ++d) {
    FailureOr<Value> coordinate;
    if (d == axis) {
      int64_t size = dataShape[d].getCoefficient();
      FailureOr<Value> negative =
          node.create<CompareOp>(ComparePredicate::LT, indices, scalar(0));
      FailureOr<Value> wrapped = node.create<AddOp>(indices, scalar(size));
      if (failed(negative) || failed(wrapped))
        return failure();
      coordinate = node.create<SelectOp>(*negative, *wrapped, indices);
      FailureOr<Value> low =
          succeeded(coordinate) ? node.create<CompareOp>(ComparePredicate::GE,
                                                         *coordinate, scalar(0))
                                : coordinate;
      FailureOr<Value> high =
          succeeded(coordinate)
              ? node.create<CompareOp>(ComparePredicate::LT, *coordinate,
                                       scalar(size))
              : coordinate;
      FailureOr<Value> both = succeeded(low) && succeeded(high)
                                  ? node.create<AndOp>(*low, *high)
                                  : FailureOr<Value>();
      if (failed(both))
        return failure();
      valid = *both;
    } else {
      FailureOr<Value> iota = createIota(node, indexShape[d], i32);
      if (failed(iota))
        return failure();
      SmallVector<DimExpr> along(rank, DimExpr::constant(1));
      along[d] = indexShape[d];
      coordinate = createReshape(node, *iota, along);
    }
    if (failed(coordinate))
      return failure();
    FailureOr<Value> term =
        strides[d] == 1 ? coordinate
                        : node.create<MulOp>(*coordinate, scalar(strides[d]));
    FailureOr<Value> sum =
        succeeded(term) && flat ? node.create<AddOp>(flat, *term) : term;
    if (failed(sum))
      return failure();
    flat = *sum;
  }
  constexpr int64_t kPastAnyEnd = std::numeric_limits<int32_t>::max();
  FailureOr<Value> checked =
      node.create<SelectOp>(valid, flat, scalar(kPastAnyEnd));
  if (failed(checked))
    return failure();
  Value flatData =
      createReshape(node, data, {SymbolicShapes::product(dataShape)});
  return node.create<GatherOp>(flatData, *checked, 0);
}

LogicalResult convertGatherElements(NodeContext &node) {
  int64_t rank = node.rank(0);
  FailureOr<int64_t> axis = node.normalizeAxis(node.intAttr("axis", 0), rank);
  if (failed(axis))
    return failure();
  if (node.rank(1) != rank)
    return node.emitError() << "has indices of rank " << node.rank(1)
                            << " for data of rank " << rank;
  FailureOr<Value> x = node.input(0), i = node.input(1);
  if (failed(x) || failed(i))
    return failure();
  return node.setOutput(
      0, gatherElements(node, *x, node.shape(0), *i, node.shape(1), *axis));
}

/// TopK: the first k positions of the stable argsort along the axis
/// (descending unless `largest` = 0: torch.argsort exports as TopK with k
/// the axis' size) and the input gathered there. k must be known at
/// compile time.
LogicalResult convertTopK(NodeContext &node) {
  int64_t rank = node.rank(0);
  FailureOr<int64_t> axis = node.normalizeAxis(node.intAttr("axis", -1), rank);
  FailureOr<SmallVector<int64_t>> k = node.constantInts(1, "k");
  if (failed(axis) || failed(k))
    return failure();
  const SymbolicShape &shape = node.shape(0);
  if (!shape[*axis].isConstant())
    return node.emitError()
           << "sorts along a dynamic axis of " << shapeText(shape, node)
           << "; the axis must be static";
  int64_t size = shape[*axis].getCoefficient();
  if (k->size() != 1 || (*k)[0] < 1 || (*k)[0] > size)
    return node.emitError() << "takes k = " << (k->empty() ? 0 : k->front())
                            << " of an axis of " << size;
  if (node.intAttr("sorted", 1) != 1 && (*k)[0] != size)
    return node.emitError() << "returns its top k unsorted; Tessera returns "
                               "them sorted only where k is the whole axis";
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  OpBuilder &b = node.builder();
  FailureOr<Value> order = node.create<ArgsortOp>(
      *x, b.getI64IntegerAttr(*axis),
      node.intAttr("largest", 1) ? b.getUnitAttr() : UnitAttr());
  if (failed(order))
    return failure();
  SymbolicShape kept(shape);
  kept[*axis] = DimExpr::constant((*k)[0]);
  if ((*k)[0] != size) {
    SmallVector<int64_t> starts(rank, 0), ends;
    for (const DimExpr &d : kept)
      ends.push_back(d.isConstant() ? d.getCoefficient()
                                    : std::numeric_limits<int64_t>::max());
    order =
        node.create<SliceOp>(*order, b.getDenseI64ArrayAttr(starts),
                             b.getDenseI64ArrayAttr(ends), DenseI64ArrayAttr());
    if (failed(order))
      return failure();
  }
  FailureOr<Value> values =
      gatherElements(node, *x, shape, *order, kept, *axis);
  if (failed(values) || failed(node.setOutput(0, values)))
    return failure();
  return node.setOutput(1, *order);
}

/// ScatterND without a reduction: slices of the data replaced at index
/// tuples computed on the device (a slice assignment such as MAE's
/// `mask[:, :len_keep] = 0` exports as one).
LogicalResult convertScatterND(NodeContext &node) {
  std::string reduction = node.stringAttr("reduction", "none");
  if (reduction != "none")
    return node.emitError() << "combines updates with '" << reduction
                            << "'; Tessera imports reduction 'none' only";
  FailureOr<Value> data = node.input(0), indices = node.input(1),
                   updates = node.input(2);
  if (failed(data) || failed(indices) || failed(updates))
    return failure();
  return node.setOutput(0, node.create<ScatterNDOp>(*data, *indices, *updates));
}

LogicalResult convertGather(NodeContext &node) {
  int64_t rank = node.rank(0);
  FailureOr<int64_t> axis = node.normalizeAxis(node.intAttr("axis", 0), rank);
  if (failed(axis))
    return failure();
  std::optional<SmallVector<DimExpr>> data = node.known(0),
                                      indices = node.known(1);
  if (data && indices && rank == 1) {
    SmallVector<DimExpr> elements;
    int64_t size = data->size();
    for (const DimExpr &index : *indices) {
      if (!index.isConstant())
        return node.emitError() << "gathers at a dynamic index";
      int64_t i = index.getCoefficient();
      if (i < -size || i >= size)
        return node.emitError() << "index " << i << " is outside [-" << size
                                << ", " << size << "), the range of axis 0";
      elements.push_back((*data)[i < 0 ? i + size : i]);
    }
    node.setKnownOutput(0, node.elementType(0),
                        node.info(1).type.getShape(), std::move(elements));
    return success();
  }
  // Indices known at compile time are checked here; the others when the
  // model runs.
  const DimExpr &extent = node.shape(0)[*axis];
  if (indices && extent.isConstant())
    for (const DimExpr &index : *indices)
      if (index.isConstant() &&
          (index.getCoefficient() < -extent.getCoefficient() ||
           index.getCoefficient() >= extent.getCoefficient()))
        return node.emitError()
               << "index " << index.getCoefficient() << " is outside [-"
               << extent.getCoefficient() << ", " << extent.getCoefficient()
               << "), the range of axis " << *axis;
  FailureOr<Value> x = node.input(0), i = node.input(1);
  if (failed(x) || failed(i))
    return failure();
  return node.setOutput(0, node.create<GatherOp>(*x, *i, *axis));
}

LogicalResult convertExpand(NodeContext &node) {
  std::optional<SmallVector<DimExpr>> target = node.known(1);
  if (!target)
    return node.emitError() << "the target shape is computed at run time";
  const SymbolicShape &input = node.shape(0);
  size_t rank = std::max(input.size(), target->size());
  SmallVector<DimExpr> shape(rank);
  for (size_t i = 0; i < rank; ++i) {
    DimExpr x = i < rank - input.size() ? DimExpr::constant(1)
                                        : input[i - (rank - input.size())];
    DimExpr y = i < rank - target->size()
                    ? DimExpr::constant(1)
                    : (*target)[i - (rank - target->size())];
    if (x == DimExpr::constant(1))
      shape[i] = y;
    else if (y == DimExpr::constant(1) || x == y)
      shape[i] = x;
    else
      return node.emitError() << "cannot broadcast "
                              << shapeText(input, node) << " to "
                              << shapeText(*target, node);
  }
  if (ArrayRef<DimExpr>(shape) == ArrayRef<DimExpr>(input)) {
    node.forwardInput(0, 0);
    return success();
  }
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  return node.setOutput(0, createBroadcast(node, *x, shape));
}

/// Tile: a dim of size 1 repeated is a broadcast (`repeat(batch, 1, 1)` of
/// DETR's queries); any other dim is repeated by concatenating copies, which
/// needs a constant count.
LogicalResult convertTile(NodeContext &node) {
  std::optional<SmallVector<DimExpr>> repeats = node.known(1);
  const SymbolicShape &input = node.shape(0);
  if (!repeats || repeats->size() != input.size())
    return node.emitError() << "needs one repeat count per input dim, known "
                               "at compile time";
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  Value result = *x;
  SmallVector<DimExpr> broadcastShape(input.begin(), input.end());
  bool broadcasts = false;
  for (auto [axis, count] : llvm::enumerate(*repeats)) {
    if (count == DimExpr::constant(1))
      continue;
    if (input[axis] == DimExpr::constant(1)) {
      broadcastShape[axis] = count;
      broadcasts = true;
      continue;
    }
    if (!count.isConstant() || count.getCoefficient() < 1)
      return node.emitError()
             << "repeats dim " << axis << " of " << shapeText(input, node)
             << " " << shapeText({count}, node)
             << " times; only a constant count is supported for dims "
                "larger than 1";
  }
  if (broadcasts)
    result = createBroadcast(node, result, broadcastShape);
  for (auto [axis, count] : llvm::enumerate(*repeats)) {
    if (input[axis] == DimExpr::constant(1) || count == DimExpr::constant(1))
      continue;
    SmallVector<Value> copies(count.getCoefficient(), result);
    FailureOr<Value> repeated = node.create<ConcatOp>(copies, axis);
    if (failed(repeated))
      return failure();
    result = *repeated;
  }
  return node.setOutput(0, result);
}

/// Pad (opset 11 on; axes from 18). `constant` padding is a concatenation
/// of constant blocks around the input along each padded axis, sized by
/// expressions of named dims: the padding of a dynamic image to a multiple
/// of a window (Swin's `(w - H % w) % w`) is `w·ceil(H / w) - H`, derived
/// dims that may be 0 at run time. `edge` and `reflect` gather the input's
/// rows at clamped or mirrored positions, along static axes.
LogicalResult convertPad(NodeContext &node) {
  std::string mode = node.stringAttr("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect")
    return node.emitError() << "has mode '" << mode
                            << "'; Tessera pads constant, edge or reflect";
  const SymbolicShape &input = node.shape(0);
  int64_t rank = input.size();
  std::optional<SmallVector<DimExpr>> pads = node.known(1);
  if (!pads)
    return node.emitError() << "takes its pads (input 1) at run time";
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  if (node.hasInput(3)) {
    FailureOr<SmallVector<int64_t>> given = node.constantInts(3, "axes");
    if (failed(given))
      return failure();
    axes.clear();
    for (int64_t axis : *given) {
      FailureOr<int64_t> a = node.normalizeAxis(axis, rank);
      if (failed(a))
        return failure();
      axes.push_back(*a);
    }
  }
  int64_t count = axes.size();
  if (static_cast<int64_t>(pads->size()) != 2 * count)
    return node.emitError() << "has " << pads->size() << " pads for " << count
                            << " axes, which need " << 2 * count;
  double fill = 0.0;
  if (node.hasInput(2)) {
    std::optional<double> value = node.constantScalar(2);
    if (!value || node.info(2).type.getNumElements() != 1)
      return node.emitError() << "takes its constant_value (input 2) at run "
                                 "time, or not as one value";
    fill = *value;
  }
  FailureOr<Value> x = node.input(0);
  if (failed(x))
    return failure();
  Value result = *x;
  SymbolicShape shape(input.begin(), input.end());
  Type element = node.elementType(0);
  OpBuilder &b = node.builder();
  for (auto [i, axis] : llvm::enumerate(axes)) {
    const DimExpr &before = (*pads)[i], &after = (*pads)[i + count];
    for (const DimExpr &pad : {before, after})
      if (pad.isConstant() && pad.getCoefficient() < 0)
        return node.emitError() << "crops axis " << axis
                                << " (a negative pad), which Tessera does "
                                   "not import";
    if (before == DimExpr::constant(0) && after == DimExpr::constant(0))
      continue;
    DimExpr padded = before + shape[axis] + after;
    // `head`, the input and `tail` (either may be null) along the axis.
    auto surround = [&](Value head, Value tail) -> LogicalResult {
      SmallVector<Value> parts;
      for (Value part : {head, result, tail})
        if (part)
          parts.push_back(part);
      FailureOr<Value> concat = node.create<ConcatOp>(parts, axis);
      if (succeeded(concat))
        result = *concat;
      return concat;
    };
    if (mode == "constant") {
      // The fill broadcast to the input's shape with `pad` along the axis.
      auto block = [&](const DimExpr &pad) {
        SymbolicShape blockShape(shape);
        blockShape[axis] = pad;
        return createBroadcast(node, createScalar(node, element, fill),
                               blockShape);
      };
      if (failed(
              surround(before != DimExpr::constant(0) ? block(before) : Value(),
                       after != DimExpr::constant(0) ? block(after) : Value())))
        return failure();
    } else if (mode == "edge" && !(shape[axis].isConstant() &&
                                   before.isConstant() && after.isConstant())) {
      // Edge of a dynamic axis (or by pads of named dims): the rows at
      // clamp(p - before, 0, size - 1), size - 1 made a one-element iota (a
      // dim's value as data).
      Type i32 = b.getI32Type();
      FailureOr<Value> positions =
          createIota(node, padded, i32, DimExpr::constant(0) - before);
      FailureOr<Value> last = createIota(node, DimExpr::constant(1), i32,
                                         shape[axis] - DimExpr::constant(1));
      if (failed(positions) || failed(last))
        return failure();
      FailureOr<Value> low =
          node.create<MaxOp>(*positions, createScalar(node, i32, 0));
      FailureOr<Value> clamped =
          succeeded(low) ? node.create<MinOp>(*low, *last) : low;
      FailureOr<Value> gathered =
          succeeded(clamped) ? node.create<GatherOp>(result, *clamped,
                                                     b.getI64IntegerAttr(axis))
                             : clamped;
      if (failed(gathered))
        return failure();
      result = *gathered;
    } else if (mode == "reflect" && !shape[axis].isConstant() &&
               before.isConstant() && after.isConstant()) {
      // Reflect of a dynamic axis: the rows after the first and before the
      // last, reversed, around it. They are slices of a fixed count from
      // either end, so the axis must be longer than each pad: its lower
      // bound is raised, and a shorter run refused (tessera-infer-dim-bounds).
      auto mirrored = [&](int64_t start, int64_t end,
                          int64_t count) -> FailureOr<Value> {
        SmallVector<int64_t> starts(rank, 0),
            ends(rank, std::numeric_limits<int64_t>::max());
        starts[axis] = start;
        ends[axis] = end;
        FailureOr<Value> rows = node.create<SliceOp>(
            result, b.getDenseI64ArrayAttr(starts),
            b.getDenseI64ArrayAttr(ends), DenseI64ArrayAttr());
        if (failed(rows))
          return failure();
        FailureOr<Value> reversed = backwardPositions(
            node, DimExpr::constant(count), DimExpr::constant(-1),
            DimExpr::constant(std::numeric_limits<int64_t>::min()), -1);
        if (failed(reversed))
          return failure();
        return node.create<GatherOp>(*rows, *reversed,
                                     b.getI64IntegerAttr(axis));
      };
      int64_t first = before.getCoefficient(), last = after.getCoefficient();
      FailureOr<Value> head =
          first > 0 ? mirrored(1, first + 1, first) : FailureOr<Value>(Value());
      FailureOr<Value> tail = last > 0 ? mirrored(-(last + 1), -1, last)
                                       : FailureOr<Value>(Value());
      if (failed(head) || failed(tail) || failed(surround(*head, *tail)))
        return failure();
    } else {
      if (!shape[axis].isConstant() || !before.isConstant() ||
          !after.isConstant())
        return node.emitError()
               << "pads axis " << axis << " of " << shapeText(input, node)
               << " in mode '" << mode << "' by "
               << shapeText({before, after}, node)
               << "; Tessera reflects by constant pads only";
      int64_t size = shape[axis].getCoefficient();
      int64_t first = before.getCoefficient();
      if (mode == "reflect" &&
          (first >= size || after.getCoefficient() >= size))
        return node.emitError() << "reflects axis " << axis << " of " << size
                                << " by more than " << size - 1;
      SmallVector<int32_t> rows;
      for (int64_t p = 0; p < padded.getCoefficient(); ++p) {
        int64_t at = p - first;
        if (mode == "edge")
          at = std::clamp<int64_t>(at, 0, size - 1);
        else if (at < 0)
          at = -at;
        else if (at >= size)
          at = 2 * (size - 1) - at;
        rows.push_back(static_cast<int32_t>(at));
      }
      auto type = RankedTensorType::get({static_cast<int64_t>(rows.size())},
                                        b.getI32Type());
      Value indices = ConstantOp::create(
          b, node.loc(), type,
          DenseElementsAttr::get(type, ArrayRef<int32_t>(rows)));
      FailureOr<Value> gathered =
          node.create<GatherOp>(result, indices, b.getI64IntegerAttr(axis));
      if (failed(gathered))
        return failure();
      result = *gathered;
    }
    shape[axis] = padded;
  }
  return node.setOutput(0, result);
}

LogicalResult defineTensor(NodeContext &node, const onnx::TensorProto &tensor) {
  FailureOr<ImportedValue> value =
      node.graph().importTensor(tensor, node.loc(), /*asWeight=*/true);
  if (failed(value))
    return failure();
  node.graph().define(node.node().output(0), std::move(*value));
  return success();
}

LogicalResult convertConstant(NodeContext &node) {
  onnx::TensorProto tensor;
  tensor.set_name(node.node().output(0));
  if (const onnx::AttributeProto *value = node.attribute("value")) {
    tensor = value->t();
    tensor.set_name(node.node().output(0));
  } else if (const onnx::AttributeProto *f = node.attribute("value_float")) {
    tensor.set_data_type(onnx::TensorProto::FLOAT);
    tensor.add_float_data(f->f());
  } else if (const onnx::AttributeProto *fs = node.attribute("value_floats")) {
    tensor.set_data_type(onnx::TensorProto::FLOAT);
    tensor.add_dims(fs->floats_size());
    for (float v : fs->floats())
      tensor.add_float_data(v);
  } else if (const onnx::AttributeProto *i = node.attribute("value_int")) {
    tensor.set_data_type(onnx::TensorProto::INT64);
    tensor.add_int64_data(i->i());
  } else if (const onnx::AttributeProto *is = node.attribute("value_ints")) {
    tensor.set_data_type(onnx::TensorProto::INT64);
    tensor.add_dims(is->ints_size());
    for (int64_t v : is->ints())
      tensor.add_int64_data(v);
  } else {
    return node.emitError() << "has no value Tessera can read (sparse and "
                               "string constants are not supported)";
  }
  return defineTensor(node, tensor);
}

LogicalResult convertConstantOfShape(NodeContext &node) {
  std::optional<SmallVector<DimExpr>> dims = node.known(0);
  if (!dims)
    return node.emitError() << "the shape is computed at run time";
  onnx::TensorProto tensor;
  if (const onnx::AttributeProto *value = node.attribute("value"))
    tensor = value->t();
  else {
    tensor.set_data_type(onnx::TensorProto::FLOAT);
    tensor.add_float_data(0.0f);
  }
  FailureOr<ImportedValue> scalar =
      node.graph().importTensor(tensor, node.loc(), /*asWeight=*/false);
  if (failed(scalar))
    return failure();
  Type element = scalar->type.getElementType();
  if (llvm::any_of(*dims, [](const DimExpr &d) { return !d.isConstant(); })) {
    // A fill of a run-time shape (torch.full((b, s, s), v)): the value
    // broadcast to the named dims.
    auto unit = RankedTensorType::get(SmallVector<int64_t>(dims->size(), 1),
                                      element);
    Attribute splat =
        scalar->known
            ? Attribute(node.builder().getIntegerAttr(
                  element, scalar->known->front().getCoefficient()))
            : cast<DenseElementsAttr>(scalar->constant).getSplatValue<Attribute>();
    Value fill = ConstantOp::create(node.builder(), node.loc(), unit,
                                    DenseElementsAttr::get(unit, splat));
    return node.setOutput(0, createBroadcast(node, fill, *dims));
  }
  SmallVector<int64_t> shape;
  for (const DimExpr &d : *dims)
    shape.push_back(d.getCoefficient());
  std::optional<int64_t> count = checkedElementCount(shape);
  if (!count)
    return node.emitError() << "makes a tensor of shape " << shapeText(*dims, node)
                            << ": a negative dim, or more than "
                            << kMaxTensorElements << " elements";
  auto type = RankedTensorType::get(shape, element);
  if (scalar->known && *count <= kMaxKnownElements) {
    node.setKnownOutput(0, element, shape,
                        SmallVector<DimExpr>(*count, scalar->known->front()));
    return success();
  }
  Attribute splat =
      scalar->known
          ? Attribute(node.builder().getIntegerAttr(
                element, scalar->known->front().getCoefficient()))
          : cast<DenseElementsAttr>(scalar->constant).getSplatValue<Attribute>();
  ImportedValue value;
  value.type = type;
  value.shape.assign(dims->begin(), dims->end());
  value.constant = DenseElementsAttr::get(type, splat);
  node.graph().define(node.node().output(0), std::move(value));
  return success();
}

/// Whether every element of input `i` is nonzero (true) or every one zero
/// (false), where the value is a fill: a splat constant, or a splat
/// broadcast or reshaped to a run-time shape (ConstantOfShape).
std::optional<bool> fillIsNonzero(NodeContext &node, int i) {
  const ImportedValue &x = node.info(i);
  Value value = x.value;
  while (value &&
         isa_and_nonnull<BroadcastOp, ReshapeOp>(value.getDefiningOp()))
    value = value.getDefiningOp()->getOperand(0);
  SplatElementsAttr splat;
  if (auto constant = value ? value.getDefiningOp<ConstantOp>() : ConstantOp())
    splat = dyn_cast<SplatElementsAttr>(constant.getValue());
  else if (auto dense = dyn_cast_or_null<DenseElementsAttr>(x.constant);
           dense && dense.isSplat())
    splat = cast<SplatElementsAttr>(dense);
  if (!splat)
    return std::nullopt;
  if (isa<FloatType>(splat.getElementType()))
    return !splat.getSplatValue<APFloat>().isZero();
  return !splat.getSplatValue<APInt>().isZero();
}

/// NonZero: the coordinates of the nonzero elements, [rank, count]. The
/// count depends on the values, so it is imported where they are known at
/// compile time: of a fill, every coordinate (how PyTorch exports
/// as_strided and index_put over whole dims) or none.
LogicalResult convertNonZero(NodeContext &node) {
  int64_t rank = node.rank(0);
  const SymbolicShape &shape = node.shape(0);
  Type i32 = node.builder().getI32Type();
  const ImportedValue &x = node.info(0);
  if (rank > 0 && x.known &&
      static_cast<int64_t>(x.known->size()) * rank <= kMaxKnownElements &&
      llvm::all_of(*x.known, [](const DimExpr &d) { return d.isConstant(); })) {
    // Known values (shape arithmetic): their coordinates, known too.
    SmallVector<SmallVector<DimExpr>> coordinates(rank);
    size_t flat = 0;
    forEachIndex(x.type.getShape(), [&](ArrayRef<int64_t> index) {
      if ((*x.known)[flat++].getCoefficient() == 0)
        return;
      for (auto [d, i] : llvm::enumerate(index))
        coordinates[d].push_back(DimExpr::constant(i));
    });
    int64_t count = coordinates.front().size();
    SmallVector<DimExpr> elements;
    for (ArrayRef<DimExpr> row : coordinates)
      llvm::append_range(elements, row);
    node.setKnownOutput(0, i32, {rank, count}, std::move(elements));
    return success();
  }
  std::optional<bool> nonzero = fillIsNonzero(node, 0);
  if (!nonzero)
    return node.emitError()
           << "takes the nonzero elements of values computed at run time: "
              "the size of its result is known only when the model runs, "
              "and Tessera's sizes are known before it";
  if (rank == 0)
    return node.emitError() << "takes the nonzero elements of a scalar";
  if (!*nonzero) {
    node.setKnownOutput(0, i32, {rank, 0}, {});
    return success();
  }
  DimExpr count = SymbolicShapes::product(shape);
  // Coordinate d of every element in row-major order: positions along d,
  // broadcast to the shape and flattened.
  SmallVector<Value> rows;
  for (int64_t d = 0; d < rank; ++d) {
    FailureOr<Value> positions = createIota(node, shape[d], i32);
    if (failed(positions))
      return failure();
    SymbolicShape along(rank, DimExpr::constant(1));
    along[d] = shape[d];
    Value spread =
        createBroadcast(node, createReshape(node, *positions, along), shape);
    rows.push_back(createReshape(node, spread, {DimExpr::constant(1), count}));
  }
  return node.setOutput(0, rank == 1
                               ? FailureOr<Value>(rows.front())
                               : node.create<ConcatOp>(ValueRange(rows), 0));
}

LogicalResult convertRange(NodeContext &node) {
  if (isa<FloatType>(node.elementType(0)))
    return node.emitError() << "over floats is not supported";
  // Positions between run-time bounds (position ids, mask rows, the
  // positions of new tokens after cached ones): an iota.
  std::optional<SmallVector<DimExpr>> firstKnown = node.known(0),
                                      limitKnown = node.known(1);
  if (firstKnown && limitKnown && firstKnown->size() == 1 &&
      limitKnown->size() == 1 &&
      !((*firstKnown)[0].isConstant() && (*limitKnown)[0].isConstant())) {
    FailureOr<SmallVector<int64_t>> delta = node.constantInts(2, "delta");
    if (failed(delta))
      return failure();
    if ((*delta)[0] != 1)
      return node.emitError() << "runs by " << (*delta)[0]
                              << " between dynamic bounds; only steps of 1 "
                                 "are supported";
    const DimExpr &first = (*firstKnown)[0], &limit = (*limitKnown)[0];
    FailureOr<Value> iota =
        createIota(node, limit - first, node.elementType(0), first);
    if (failed(iota))
      return failure();
    return node.setOutput(0, *iota);
  }
  FailureOr<SmallVector<int64_t>> start = node.constantInts(0, "start"),
                                  limit = node.constantInts(1, "limit"),
                                  delta = node.constantInts(2, "delta");
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  if ((*delta)[0] == 0)
    return node.emitError() << "has delta 0";
  SmallVector<DimExpr> elements;
  for (int64_t v = (*start)[0];
       (*delta)[0] > 0 ? v < (*limit)[0] : v > (*limit)[0]; v += (*delta)[0])
    elements.push_back(DimExpr::constant(v));
  int64_t count = elements.size();
  node.setKnownOutput(0, node.elementType(0), {count}, std::move(elements));
  return success();
}

/// Trilu keeps x where column - row >= k (upper) or <= k (lower): a select
/// on positions, which the mask classification evaluates (CLIP's causal
/// mask is triu(full(min), 1)).
LogicalResult convertTrilu(NodeContext &node) {
  int64_t rank = node.rank(0);
  if (rank < 2)
    return node.emitError() << "needs rank >= 2, got " << rank;
  int64_t k = 0;
  if (node.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> diagonal = node.constantInts(1, "k");
    if (failed(diagonal))
      return failure();
    if (diagonal->size() != 1)
      return node.emitError() << "needs a single diagonal offset k";
    k = diagonal->front();
  }
  bool upper = node.intAttr("upper", 1) != 0;
  const SymbolicShape &shape = node.shape(0);
  DimExpr rows = shape[rank - 2], columns = shape[rank - 1];
  OpBuilder &b = node.builder();
  FailureOr<Value> x = node.input(0);
  FailureOr<Value> offset = createPositionOffsets(node, rows, columns);
  if (failed(x) || failed(offset))
    return failure();
  FailureOr<Value> keep = node.create<CompareOp>(
      upper ? ComparePredicate::GE : ComparePredicate::LE, *offset,
      createScalar(node, b.getI32Type(), k));
  if (failed(keep))
    return failure();
  return node.setOutput(
      0, node.create<SelectOp>(*keep, *x,
                               createScalar(node, node.elementType(0), 0.0)));
}

} // namespace

void mlir::tessera::onnx_frontend::addShapeConverters(ConverterTable &table) {
  table["Shape"] = {convertShape, {1, 1}};
  table["Size"] = {convertSize, {1, 1}};
  table["Resize"] = {convertResize, {1, 4}};
  table["Reshape"] = {convertReshape, {2, 2}};
  table["Flatten"] = {convertFlatten, {1, 1}};
  table["Pad"] = {convertPad, {1, 4}};
  table["Squeeze"] = {convertSqueeze, {1, 2}};
  table["Unsqueeze"] = {convertUnsqueeze, {1, 2}};
  table["Transpose"] = {convertTranspose, {1, 1}};
  table["Slice"] = {convertSlice, {3, 5}};
  table["Split"] = {convertSplit, {1, 2}, {1, kVariadic}};
  table["Concat"] = {convertConcat, {1, kVariadic}};
  table["GatherElements"] = {convertGatherElements, {2, 2}};
  table["TopK"] = {convertTopK, {2, 2}, {2, 2}};
  table["ScatterND"] = {convertScatterND, {3, 3}};
  table["Gather"] = {convertGather, {2, 2}};
  table["Expand"] = {convertExpand, {2, 2}};
  table["Constant"] = {convertConstant, {0, 0}};
  table["ConstantOfShape"] = {convertConstantOfShape, {1, 1}};
  table["Range"] = {convertRange, {3, 3}};
  table["NonZero"] = {convertNonZero, {1, 1}};
  table["Tile"] = {convertTile, {2, 2}};
  table["Trilu"] = {convertTrilu, {1, 2}};
}

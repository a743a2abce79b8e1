//===- ConvKernel.cpp - Convolution as an implicit GEMM -------------------===//
//
// A tessera.conv is, per image n and group g, the GEMM
//   out[f, p] = sum_k W[f, k] . X_col[k, p]
// of the weight [F / groups, K] (K = C / groups . KH . KW, the weight's own
// row-major layout) and the im2col matrix X_col [K, OH . OW], whose element
// (k = (c, i, j), p = (y, x)) is the input at channel g . C / groups + c,
// row y . sh - pt + i . dh, column x . sw - pl + j . dw, or 0 outside it.
// Rows are output channels and columns output positions, so the output
// [N, F, OH, OW] is the GEMM's result as it is laid out: stores are
// contiguous along the columns.
//
// The kernel is the matmul kernel's register tile (MatmulKernel.cpp, with
// the same tile configs): each invocation keeps a threadM x threadN block
// of sums. X_col is never stored: the K loop reads it from the input where
// it reads it. K runs as two loops, the kernel position (i, j) outside and
// the channel c inside: a column's input position and whether it lies in
// the image depend on (i, j) alone, so the inner loop is loads at a fixed
// stride and FMAs, as in a matmul. An upsampled input (a resize, as in a
// diffusion decoder's up-blocks) is not stored either: the kernel samples
// the resize where it reads its input.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/KernelEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <array>

using namespace mlir;
using namespace mlir::tessera;

LogicalResult mlir::tessera::buildConvKernel(KernelEmitter &e) {
  OpBuilder &b = e.builder();
  Location loc = e.loc();
  auto conv = cast<ConvOp>(e.dispatch().getRootOp());
  // The input is a dispatch input, read at offsets, or an op the kernel
  // evaluates where it reads it (a resize: FormDispatchRegions).
  Value inputValue = conv.getInput();
  auto input = dyn_cast<BlockArgument>(inputValue);
  auto weight = dyn_cast<BlockArgument>(conv.getWeight());
  auto bias = dyn_cast_or_null<BlockArgument>(conv.getBias());
  if (!weight || (conv.getBias() && !bias) ||
      (!input && !inputValue.getDefiningOp<ResizeOp>()))
    return e.emitError() << "conv operands must be dispatch inputs (the "
                            "input may be a resize)";
  TileConfigAttr config = e.config();
  int64_t threadM = config.getThreadTile()[0];
  int64_t threadN = config.getThreadTile()[1];
  int64_t tileM = config.getTile()[0], tileN = config.getTile()[1];

  // Channels and kernel are static (the verifier); the batch and image
  // sizes are values (the params' where dynamic). A 1-D convolution is a
  // 2-D one over images of one row: sizes, strides and pads of the row axis
  // are those of a 1-row kernel over them.
  bool oneD = conv.getSpatialRank() == 1;
  auto spatial = [&](auto values, int64_t first, auto none) {
    using T = std::decay_t<decltype(none)>;
    return oneD ? std::array<T, 2>{none, values[first]}
                : std::array<T, 2>{values[first], values[first + 1]};
  };
  ArrayRef<int64_t> wShape =
      cast<RankedTensorType>(weight.getType()).getShape();
  const SymbolicShape &out = e.shapeOf(conv.getResult());
  const SymbolicShape &in = e.shapeOf(inputValue);
  std::array<DimExpr, 2> inSize = spatial(in, 2, DimExpr::constant(1)),
                         outSize = spatial(out, 2, DimExpr::constant(1));
  std::array<int64_t, 2> kernel = spatial(wShape, 2, int64_t(1)),
                         strides = spatial(conv.getStrides(), 0, int64_t(1)),
                         dilations =
                             spatial(conv.getDilations(), 0, int64_t(1)),
                         pads = spatial(conv.getPads(), 0, int64_t(0));
  int64_t groups = conv.getGroups();
  int64_t groupOut = wShape[0] / groups, groupIn = wShape[1];
  DimExpr positionCount = outSize[0] * outSize[1];
  Value outW = e.size(outSize[1]), positions = e.size(positionCount);
  Value inHeight = e.size(inSize[0]), inWidth = e.size(inSize[1]);
  // The indices of (image, channel, y, x) in a tensor of the conv's rank.
  auto at = [&](Value n, Value c, Value y, Value x) {
    return oneD ? SmallVector<Value>{n, c, x} : SmallVector<Value>{n, c, y, x};
  };
  // A spatial stride of a view (the row's: unused in 1-D).
  auto strideOf = [&](const StridedView &view, int64_t axis) {
    if (oneD && axis == 0)
      return e.index(0);
    return e.size(view.strides[oneD ? 2 : 2 + axis]);
  };

  KernelSignature &signature = e.signature();
  signature.workgroups[0] = {positionCount, tileN};
  signature.workgroups[1] = {DimExpr::constant(groupOut), tileM};
  signature.workgroups[2] = {out[0] * DimExpr::constant(groups), 1};

  Value z = e.workgroupId(gpu::Dimension::z);
  Value image = arith::DivUIOp::create(b, loc, z, e.index(groups));
  Value group = arith::RemUIOp::create(b, loc, z, e.index(groups));
  Value m0 = e.invocationStart(gpu::Dimension::y, tileM, threadM);
  Value n0 = e.invocationStart(gpu::Dimension::x, tileN, threadN);

  // Rows: output channels of the group (clamped for loads).
  const StridedView &wView = e.inputView(weight);
  Value firstChannel = arith::MulIOp::create(b, loc, group, e.index(groupOut));
  SmallVector<Value> rowValid, channels, weightBase;
  for (int64_t i = 0; i < threadM; ++i) {
    Value m = arith::AddIOp::create(b, loc, m0, e.index(i));
    rowValid.push_back(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                             m, e.index(groupOut)));
    Value f = arith::AddIOp::create(
        b, loc, firstChannel,
        arith::MinUIOp::create(b, loc, m, e.index(groupOut - 1)));
    channels.push_back(f);
    weightBase.push_back(
        e.offset(wView, at(f, e.index(0), e.index(0), e.index(0))));
  }
  // Columns: output positions (clamped), and the input position of
  // kernel element (0, 0) for each: y . sh - pt, x . sw - pl.
  SmallVector<Value> colValid, outY, outX, originY, originX;
  for (int64_t j = 0; j < threadN; ++j) {
    Value p = arith::AddIOp::create(b, loc, n0, e.index(j));
    colValid.push_back(
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, p, positions));
    p = arith::MinUIOp::create(
        b, loc, p, arith::SubIOp::create(b, loc, positions, e.index(1)));
    outY.push_back(arith::DivUIOp::create(b, loc, p, outW));
    outX.push_back(arith::RemUIOp::create(b, loc, p, outW));
    auto origin = [&](Value at, int64_t d) {
      return arith::SubIOp::create(
                 b, loc, arith::MulIOp::create(b, loc, at, e.index(strides[d])),
                 e.index(pads[d]))
          .getResult();
    };
    originY.push_back(origin(outY.back(), 0));
    originX.push_back(origin(outX.back(), 1));
  }

  Value firstInChannel = arith::MulIOp::create(b, loc, group, e.index(groupIn));
  // Offsets into a dispatch input (an evaluated input is read at indices).
  Value inputBase, inStrideC, inStrideY, inStrideX;
  if (input) {
    const StridedView &xView = e.inputView(input);
    inputBase =
        e.offset(xView, at(image, firstInChannel, e.index(0), e.index(0)));
    inStrideC = e.size(xView.strides[1]);
    inStrideY = strideOf(xView, 0);
    inStrideX = strideOf(xView, 1);
  }
  Value wStrideC = e.size(wView.strides[1]);
  Value wStrideY = strideOf(wView, 0), wStrideX = strideOf(wView, 1);

  // Invocations wholly past the edge skip the loops (as in the matmul).
  Value active = arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, m0,
                            e.index(groupOut)),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, n0, positions));
  SmallVector<Value> init(threadM * threadN, e.f32(0.0));
  SmallVector<Type> sumTypes(init.size(), b.getF32Type());
  auto streamIf = scf::IfOp::create(b, loc, sumTypes, active,
                                    /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&streamIf.getThenRegion().front());
    auto kernelLoop = e.forLoop(
        e.index(0), e.index(kernel[0] * kernel[1]), e.index(1), init,
        [&](Value r, ValueRange acc) -> SmallVector<Value> {
          Value ki = arith::DivUIOp::create(b, loc, r, e.index(kernel[1]));
          Value kj = arith::RemUIOp::create(b, loc, r, e.index(kernel[1]));
          Value dy = arith::MulIOp::create(b, loc, ki, e.index(dilations[0]));
          Value dx = arith::MulIOp::create(b, loc, kj, e.index(dilations[1]));
          // Per column, where (i, j) reads: in the image (an unsigned
          // compare also rejects the negative positions of the padding),
          // or a 0 read at the image's first element.
          SmallVector<Value> inImage, columnBase, columnY, columnX;
          for (int64_t j = 0; j < threadN; ++j) {
            Value y = arith::AddIOp::create(b, loc, originY[j], dy);
            Value x = arith::AddIOp::create(b, loc, originX[j], dx);
            Value valid = arith::AndIOp::create(
                b, loc,
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, y,
                                      inHeight),
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x,
                                      inWidth));
            inImage.push_back(valid);
            y = arith::SelectOp::create(b, loc, valid, y, e.index(0));
            x = arith::SelectOp::create(b, loc, valid, x, e.index(0));
            columnY.push_back(y);
            columnX.push_back(x);
            if (!input)
              continue;
            columnBase.push_back(arith::AddIOp::create(
                b, loc, inputBase,
                arith::AddIOp::create(
                    b, loc, arith::MulIOp::create(b, loc, y, inStrideY),
                    arith::MulIOp::create(b, loc, x, inStrideX))));
          }
          Value kernelAt = arith::AddIOp::create(
              b, loc, arith::MulIOp::create(b, loc, ki, wStrideY),
              arith::MulIOp::create(b, loc, kj, wStrideX));
          SmallVector<Value> rowBase;
          for (int64_t i = 0; i < threadM; ++i)
            rowBase.push_back(
                arith::AddIOp::create(b, loc, weightBase[i], kernelAt));
          auto channelLoop = e.forLoop(
              e.index(0), e.index(groupIn), e.index(1), acc,
              [&](Value c, ValueRange sums) -> SmallVector<Value> {
                SmallVector<Value> a, x;
                Value wAt = arith::MulIOp::create(b, loc, c, wStrideC);
                for (int64_t i = 0; i < threadM; ++i)
                  a.push_back(e.loadAtOffset(
                      weight, arith::AddIOp::create(b, loc, rowBase[i], wAt)));
                Value xAt = input ? arith::MulIOp::create(b, loc, c, inStrideC)
                                  : Value();
                Value channel =
                    arith::AddIOp::create(b, loc, firstInChannel, c);
                for (int64_t j = 0; j < threadN; ++j) {
                  Value read =
                      input
                          ? e.loadAtOffset(input,
                                           arith::AddIOp::create(
                                               b, loc, columnBase[j], xAt))
                          : e.evaluate(inputValue, at(image, channel,
                                                      columnY[j], columnX[j]));
                  x.push_back(arith::SelectOp::create(b, loc, inImage[j], read,
                                                      e.f32(0.0)));
                }
                SmallVector<Value> next(sums.begin(), sums.end());
                for (int64_t i = 0; i < threadM; ++i)
                  for (int64_t j = 0; j < threadN; ++j)
                    next[i * threadN + j] = arith::AddFOp::create(
                        b, loc, next[i * threadN + j],
                        arith::MulFOp::create(b, loc, a[i], x[j]));
                return next;
              });
          return SmallVector<Value>(channelLoop.getResults());
        });
    scf::YieldOp::create(b, loc, kernelLoop.getResults());
    b.setInsertionPointToStart(&streamIf.getElseRegion().front());
    scf::YieldOp::create(b, loc, init);
  }

  storeTile(e, active, rowValid, colValid, [&](int64_t i, int64_t j) {
    Value value = streamIf.getResult(i * threadN + j);
    if (bias)
      value = arith::AddFOp::create(b, loc, value,
                                    e.loadInput(bias, {channels[i]}));
    SmallVector<Value> indices = at(image, channels[i], outY[j], outX[j]);
    return TileResult{indices, e.evaluateResult(indices, value)};
  });
  return success();
}

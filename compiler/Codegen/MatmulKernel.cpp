//===- MatmulKernel.cpp - Register-tiled matmul / linear kernels ----------===//
//
// Each invocation computes a thread_tile[0] x thread_tile[1] block of the
// output in registers (scf.for iter_args), streaming K once: every loaded
// value feeds several FMAs, which is what decides speed on lavapipe. Rows
// and columns past the edge are clamped on load and skipped on store, so
// sizes that are not multiples of the tile need no slow path. The bias and
// the fused epilogue are applied at the store.
//
// Split K (workgroup_size[2] > 1, chosen where the output has too few tiles
// to fill the device, as in decoding): the invocations along z take
// consecutive slices of K for the same output block; each writes its
// partial sums to workgroup memory, and slice 0 adds them up and stores.
//
// A linear's dispatch may recompute a layer norm of its rows (see
// DispatchOp::getRecomputedNorm). As the linear's input (K not split), the
// K loop that streams the rows also sums them: with d = x - s, s the mean
// of the row's first elements (0 for the RMS norm, whose mean is 0), it
// accumulates sum d, sum d^2, sum_k d w and each column's sum_k w, from which
// the store forms
//   sum_k (x - mean) w = sum_k d w - (mean - s) sum_k w
// scaled by the inverse deviation (the shift keeps E[d^2] - E[d]^2 from
// cancelling where the mean is large against the deviation). No prepass,
// no barrier. Where only the epilogue reads the norm (a post-LN residual,
// whose rows the loop does not stream) or K is split, the workgroup first
// computes the statistics of its tile's rows into workgroup memory; the
// epilogue evaluates the norm per element.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/KernelEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// The view with its last two dimensions swapped.
StridedView swapLastTwo(const StridedView &view) {
  SmallVector<int64_t> permutation;
  for (size_t d = 0; d < view.shape.size(); ++d)
    permutation.push_back(d);
  std::swap(permutation[permutation.size() - 1],
            permutation[permutation.size() - 2]);
  return view.transpose(permutation);
}

/// A row's layer-norm statistics from sums over its `count` values of
/// d = x - shift and of d^2: E[d] (the mean's offset from the shift), the
/// mean and the inverse standard deviation. A shift near the mean (any
/// element of the row) keeps E[d^2] - E[d]^2 from cancelling.
struct RowStatistics {
  Value meanOffset, mean, inverseStd;
};
RowStatistics statisticsFromShiftedSums(KernelEmitter &e, LayerNormOp norm,
                                        Value shift, Value sum, Value squares,
                                        Value count) {
  OpBuilder &b = e.builder();
  Location loc = e.loc();
  RowStatistics row;
  Value meanSquare = arith::DivFOp::create(b, loc, squares, count);
  if (norm.getRms()) {
    // Sums of x itself (rowShift: 0): a mean of 0, E[x^2].
    row.meanOffset = row.mean = e.f32(0.0);
    row.inverseStd = math::RsqrtOp::create(
        b, loc,
        arith::AddFOp::create(b, loc, meanSquare,
                              e.f32(norm.getEpsilon().convertToDouble())));
    return row;
  }
  row.meanOffset = arith::DivFOp::create(b, loc, sum, count);
  // Rounding can take E[d^2] - E[d]^2 a hair below zero.
  Value variance = arith::MaximumFOp::create(
      b, loc,
      arith::SubFOp::create(
          b, loc, meanSquare,
          arith::MulFOp::create(b, loc, row.meanOffset, row.meanOffset)),
      e.f32(0.0));
  row.mean = arith::AddFOp::create(b, loc, shift, row.meanOffset);
  row.inverseStd = math::RsqrtOp::create(
      b, loc,
      arith::AddFOp::create(b, loc, variance,
                            e.f32(norm.getEpsilon().convertToDouble())));
  return row;
}

/// What a row's sums are shifted by: an estimate of its mean, the mean of
/// its first elements (up to 16, where the row length is static), or 0 for
/// the RMS norm, whose statistics are of x itself. The K loop's products
/// sum x - shift and subtract (mean - shift) times the column sums: their
/// rounding grows with |x - shift|, so a shift near the mean keeps it
/// near the unfused norm's (from one sample, GPT-2's logits were 2.6 times
/// PyTorch's f32 error off; docs/benchmarks.md).
Value statisticsShift(KernelEmitter &e, LayerNormOp norm, BlockArgument input,
                      Value rowBase, Value stride, const DimExpr &length) {
  if (norm.getRms())
    return e.f32(0.0);
  constexpr int64_t kMaxSamples = 16;
  int64_t samples =
      length.isConstant()
          ? std::clamp<int64_t>(length.getCoefficient(), 1, kMaxSamples)
          : 1;
  SmallVector<Value> first = e.loadRun(input, rowBase, stride, samples);
  OpBuilder &b = e.builder();
  Value sum = first.front();
  for (Value x : ArrayRef<Value>(first).drop_front())
    sum = arith::AddFOp::create(b, e.loc(), sum, x);
  return samples == 1
             ? sum
             : arith::MulFOp::create(b, e.loc(), sum, e.f32(1.0 / samples));
}

/// `value` as f32 (an index: a count of elements).
Value countAsFloat(KernelEmitter &e, Value value) {
  OpBuilder &b = e.builder();
  return arith::SIToFPOp::create(
      b, e.loc(), b.getF32Type(),
      arith::IndexCastOp::create(b, e.loc(), b.getI32Type(), value));
}

/// Mean and inverse standard deviation of every row of the workgroup's
/// tile, for the dispatch's recomputed layer norm of `input` (rows of
/// `rowDims`, normalised over the last dim of `view`): each invocation takes
/// rows in turn, one pass over the row (shifted sums). Returns the
/// workgroup memory: the means, then the inverse deviations, one per tile
/// row.
Value computeRowStatistics(KernelEmitter &e, LayerNormOp norm,
                           BlockArgument input, const StridedView &view,
                           ArrayRef<DimExpr> rowDims, int64_t tileM,
                           Value lastRow) {
  OpBuilder &b = e.builder();
  Location loc = e.loc();
  ArrayRef<int64_t> workgroup = e.config().getWorkgroupSize();
  int64_t invocations = e.config().getInvocations();
  Value statistics =
      e.allocateWorkgroupMemory(matmulStatisticsElements(e.config()));
  // The invocation's index in the workgroup, K slices included.
  Value tid = e.threadId(gpu::Dimension::z);
  for (auto [dim, extent] : {std::pair(gpu::Dimension::y, workgroup[1]),
                             std::pair(gpu::Dimension::x, workgroup[0])})
    tid = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, tid, e.index(extent)),
        e.threadId(dim));
  Value firstRow = arith::MulIOp::create(
      b, loc, e.workgroupId(gpu::Dimension::y), e.index(tileM));
  DimExpr widthExpr = view.shape.back();
  Value width = e.size(widthExpr);
  Value stride = e.size(view.strides.back());
  Value count = countAsFloat(e, width);
  e.forLoop(tid, e.index(tileM), e.index(invocations), {}, [&](Value r,
                                                               ValueRange) {
    Value row = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, firstRow, r), lastRow);
    SmallVector<Value> indices = e.delinearize(row, rowDims);
    indices.push_back(e.index(0));
    Value base = e.offset(view, indices);
    // Several values per load where the input is bound as vectors (the row
    // is then contiguous and a multiple of the width long).
    int64_t step = e.loadWidth(input);
    Value shift = statisticsShift(e, norm, input, base, stride, widthExpr);
    auto sums = e.forLoop(
        e.index(0), width, e.index(step), {e.f32(0.0), e.f32(0.0)},
        [&](Value k, ValueRange acc) -> SmallVector<Value> {
          Value offset = arith::AddIOp::create(
              b, loc, base, arith::MulIOp::create(b, loc, k, stride));
          Value sum = acc[0], squares = acc[1];
          for (Value x : e.loadRun(input, offset, stride, step)) {
            Value d = arith::SubFOp::create(b, loc, x, shift);
            sum = arith::AddFOp::create(b, loc, sum, d);
            squares = arith::AddFOp::create(
                b, loc, squares, arith::MulFOp::create(b, loc, d, d));
          }
          return {sum, squares};
        });
    RowStatistics statisticsOfRow = statisticsFromShiftedSums(
        e, norm, shift, sums.getResult(0), sums.getResult(1), count);
    memref::StoreOp::create(b, loc, statisticsOfRow.mean, statistics, r);
    Value slot = arith::AddIOp::create(b, loc, r, e.index(tileM));
    memref::StoreOp::create(b, loc, statisticsOfRow.inverseStd, statistics,
                            slot);
    return SmallVector<Value>{};
  });
  gpu::BarrierOp::create(b, loc);
  return statistics;
}

/// The operands of a matmul or linear dispatch as the kernel reads them:
/// the dispatch inputs, and their views as [batch..., rows..., K] and
/// [batch..., K, N] (a linear's W[N, K] read transposed; a recomputed
/// norm's input read in place of its result). A linear's dequantized
/// weight: `rhs` is its packed words, viewed as [K / values per word, N],
/// and `scale` / `zeroPoint` its parameters.
struct MatmulOperands {
  BlockArgument lhs, rhs, bias;
  StridedView lhsView, rhsView;
  SmallVector<DimExpr> batchDims, rowDims;
  bool normIsInput = false;
  DequantizeOp dequantize;
  BlockArgument scale, zeroPoint;
};

FailureOr<MatmulOperands> matmulOperands(KernelEmitter &e) {
  Operation *root = e.dispatch().getRootOp();
  const SymbolicShape &out = e.shapeOf(root->getResult(0));
  LayerNormOp norm = e.dispatch().getRecomputedNorm();
  MatmulOperands operands;
  auto asInput = [&](Value v, BlockArgument &arg) {
    arg = dyn_cast<BlockArgument>(v);
    return static_cast<bool>(arg);
  };
  if (auto matmul = dyn_cast<MatmulOp>(root)) {
    if (!asInput(matmul.getLhs(), operands.lhs) ||
        !asInput(matmul.getRhs(), operands.rhs))
      return e.emitError() << "matmul operands must be dispatch inputs";
    SmallVector<DimExpr> &batchDims = operands.batchDims;
    batchDims.assign(out.begin(), out.end() - 2);
    operands.rowDims.push_back(out[out.size() - 2]);
    StridedView lhsView = e.inputView(operands.lhs);
    if (matmul.getTransposeLhs())
      lhsView = swapLastTwo(lhsView);
    StridedView rhsView = e.inputView(operands.rhs);
    if (matmul.getTransposeRhs())
      rhsView = swapLastTwo(rhsView);
    SymbolicShape lhsShape(batchDims.begin(), batchDims.end());
    SymbolicShape rhsShape(batchDims.begin(), batchDims.end());
    lhsShape.push_back(operands.rowDims[0]);
    lhsShape.push_back(lhsView.shape.back());
    rhsShape.push_back(rhsView.shape[rhsView.shape.size() - 2]);
    rhsShape.push_back(out.back());
    operands.lhsView = lhsView.broadcastTo(lhsShape);
    operands.rhsView = rhsView.broadcastTo(rhsShape);
    return operands;
  }
  auto linear = cast<LinearOp>(root);
  // A recomputed norm as the input: the kernel reads what it normalises.
  Value input = linear.getInput();
  operands.normIsInput = norm && input == norm.getResult();
  if (operands.normIsInput)
    input = norm.getInput();
  Value weight = linear.getWeight();
  DequantizeOp dequantize = weight.getDefiningOp<DequantizeOp>();
  if (dequantize) {
    operands.dequantize = dequantize;
    weight = dequantize.getPacked();
    Value zeroPoint = dequantize.getZeroPoint();
    if (!asInput(dequantize.getScale(), operands.scale) ||
        (zeroPoint && !asInput(zeroPoint, operands.zeroPoint)))
      return e.emitError() << "a dequantized weight's scales must be "
                              "dispatch inputs";
  }
  if (!asInput(input, operands.lhs) || !asInput(weight, operands.rhs) ||
      (linear.getBias() && !asInput(linear.getBias(), operands.bias)))
    return e.emitError() << "linear operands must be dispatch inputs";
  operands.rowDims.assign(out.begin(), out.end() - 1);
  operands.lhsView = e.inputView(operands.lhs);
  // W[N, K] read as [K, N] (packed: [K / values per word, N]).
  operands.rhsView = swapLastTwo(e.inputView(operands.rhs));
  return operands;
}

/// Per row and per column of an invocation's tile, the k-invariant parts
/// of their addresses: whether the row (column) exists, its index clamped
/// for loads, and where its K run starts in the lhs (rhs).
struct TileAddresses {
  SmallVector<Value> rowValid, baseA;
  SmallVector<SmallVector<Value>> rowIndices;
  SmallVector<Value> colValid, cols, baseB;
};

TileAddresses tileAddresses(KernelEmitter &e, const MatmulOperands &operands,
                            Value m0, Value n0, Value rows, Value n,
                            Value lastRow, Value lastCol,
                            ArrayRef<Value> batchIndices) {
  OpBuilder &b = e.builder();
  Location loc = e.loc();
  int64_t threadM = e.config().getThreadTile()[0];
  int64_t threadN = e.config().getThreadTile()[1];
  TileAddresses addresses;
  for (int64_t i = 0; i < threadM; ++i) {
    Value m = arith::AddIOp::create(b, loc, m0, e.index(i));
    addresses.rowValid.push_back(
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, m, rows));
    Value clamped = arith::MinUIOp::create(b, loc, m, lastRow);
    addresses.rowIndices.push_back(e.delinearize(clamped, operands.rowDims));
    SmallVector<Value> indices(batchIndices);
    llvm::append_range(indices, addresses.rowIndices.back());
    indices.push_back(e.index(0));
    addresses.baseA.push_back(e.offset(operands.lhsView, indices));
  }
  for (int64_t j = 0; j < threadN; ++j) {
    Value col = arith::AddIOp::create(b, loc, n0, e.index(j));
    addresses.colValid.push_back(
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col, n));
    addresses.cols.push_back(arith::MinUIOp::create(b, loc, col, lastCol));
    SmallVector<Value> indices(batchIndices);
    indices.push_back(e.index(0));
    indices.push_back(addresses.cols.back());
    addresses.baseB.push_back(e.offset(operands.rhsView, indices));
  }
  return addresses;
}

/// Split K: every slice's partial sums of the tile through workgroup
/// memory at [slice][local row][local column]; each invocation gets the
/// sums over all slices (slice 0 stores them).
SmallVector<Value> combineSlices(KernelEmitter &e, ArrayRef<Value> sums,
                                 Value slice) {
  OpBuilder &b = e.builder();
  Location loc = e.loc();
  TileConfigAttr config = e.config();
  int64_t threadM = config.getThreadTile()[0];
  int64_t threadN = config.getThreadTile()[1];
  int64_t tileM = config.getTile()[0], tileN = config.getTile()[1];
  int64_t slices = config.getWorkgroupSize()[2];
  Value partials = e.allocateWorkgroupMemory(matmulPartialSumElements(config));
  Value localRow0 = arith::MulIOp::create(b, loc, e.threadId(gpu::Dimension::y),
                                          e.index(threadM));
  Value localCol0 = arith::MulIOp::create(b, loc, e.threadId(gpu::Dimension::x),
                                          e.index(threadN));
  auto slot = [&](Value z, int64_t i, int64_t j) {
    Value row = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, z, e.index(tileM)),
        arith::AddIOp::create(b, loc, localRow0, e.index(i)));
    return arith::AddIOp::create(
               b, loc, arith::MulIOp::create(b, loc, row, e.index(tileN)),
               arith::AddIOp::create(b, loc, localCol0, e.index(j)))
        .getResult();
  };
  for (int64_t i = 0; i < threadM; ++i)
    for (int64_t j = 0; j < threadN; ++j)
      memref::StoreOp::create(b, loc, sums[i * threadN + j], partials,
                              slot(slice, i, j));
  gpu::BarrierOp::create(b, loc);
  auto combine = e.forLoop(
      e.index(1), e.index(slices), e.index(1), sums,
      [&](Value z, ValueRange acc) -> SmallVector<Value> {
        SmallVector<Value> next;
        for (int64_t i = 0; i < threadM; ++i)
          for (int64_t j = 0; j < threadN; ++j)
            next.push_back(arith::AddFOp::create(
                b, loc, acc[i * threadN + j],
                memref::LoadOp::create(b, loc, partials, slot(z, i, j))));
        return next;
      });

  return SmallVector<Value>(combine.getResults());
}

/// A step's sum over one group of a column's quantized values, dequantized:
/// s (sum - z count), where `count` is the sum of the factors the values
/// were multiplied by (the step's length for a plain sum, a row's sum of
/// inputs for the products) and z is null without zero points.
Value dequantizeSum(KernelEmitter &e, Value sum, Value count, Value scale,
                    Value zero) {
  OpBuilder &b = e.builder();
  if (zero)
    sum = arith::SubFOp::create(b, e.loc(), sum,
                                arith::MulFOp::create(b, e.loc(), zero, count));
  return arith::MulFOp::create(b, e.loc(), sum, scale);
}

} // namespace

LogicalResult mlir::tessera::buildMatmulKernel(KernelEmitter &e) {
  OpBuilder &b = e.builder();
  Location loc = e.loc();
  Operation *root = e.dispatch().getRootOp();
  TileConfigAttr config = e.config();
  int64_t threadM = config.getThreadTile()[0];
  int64_t threadN = config.getThreadTile()[1];
  int64_t tileM = config.getTile()[0], tileN = config.getTile()[1];
  int64_t slices = config.getWorkgroupSize()[2];

  const SymbolicShape &out = e.shapeOf(root->getResult(0));
  LayerNormOp norm = e.dispatch().getRecomputedNorm();
  bool statisticsInLoop = normStatisticsFromKLoop(e.dispatch(), config);
  FailureOr<MatmulOperands> operands = matmulOperands(e);
  if (failed(operands))
    return failure();
  BlockArgument lhs = operands->lhs, rhs = operands->rhs, bias = operands->bias,
                scale = operands->scale, zeroPoint = operands->zeroPoint;
  const StridedView &lhsView = operands->lhsView, &rhsView = operands->rhsView;
  ArrayRef<DimExpr> batchDims = operands->batchDims,
                    rowDims = operands->rowDims;
  bool normIsInput = operands->normIsInput;
  DimExpr rowsExpr = SymbolicShapes::product(rowDims);
  DimExpr batchExpr = SymbolicShapes::product(batchDims);
  DimExpr kExpr = lhsView.shape.back();
  DimExpr nExpr = out.back();

  KernelSignature &signature = e.signature();
  signature.workgroups[0] = {nExpr, tileN};
  signature.workgroups[1] = {rowsExpr, tileM};
  signature.workgroups[2] = {batchExpr, 1};

  Value rows = e.size(rowsExpr), n = e.size(nExpr), k = e.size(kExpr);
  Value lastRow = arith::SubIOp::create(b, loc, rows, e.index(1));
  Value lastCol = arith::SubIOp::create(b, loc, n, e.index(1));
  Value m0 = e.invocationStart(gpu::Dimension::y, tileM, threadM);
  Value n0 = e.invocationStart(gpu::Dimension::x, tileN, threadN);
  SmallVector<Value> batchIndices =
      e.delinearize(e.workgroupId(gpu::Dimension::z), batchDims);

  // k-invariant parts of the addresses, per row and per column.
  TileAddresses addresses = tileAddresses(e, *operands, m0, n0, rows, n,
                                          lastRow, lastCol, batchIndices);
  SmallVector<Value> &rowValid = addresses.rowValid, &baseA = addresses.baseA,
                     &colValid = addresses.colValid, &cols = addresses.cols,
                     &baseB = addresses.baseB;
  SmallVector<SmallVector<Value>> &rowIndices = addresses.rowIndices;
  // The recomputed norm's statistics for this invocation's rows: the
  // shifts that the K loop sums from, or the prepass's results.
  SmallVector<Value> rowMean, rowInverseStd, rowShift;
  if (norm) {
    auto normInput = dyn_cast<BlockArgument>(norm.getInput());
    if (!normInput || !isa<LinearOp>(root))
      return e.emitError() << "a recomputed layer_norm must read a dispatch "
                              "input and feed a linear";
    if (statisticsInLoop) {
      Value stride = e.size(lhsView.strides.back());
      for (int64_t i = 0; i < threadM; ++i)
        rowShift.push_back(
            statisticsShift(e, norm, lhs, baseA[i], stride, kExpr));
    } else {
      Value statistics =
          computeRowStatistics(e, norm, normInput, e.inputView(normInput),
                               rowDims, tileM, lastRow);
      Value firstLocal = arith::MulIOp::create(
          b, loc, e.threadId(gpu::Dimension::y), e.index(threadM));
      for (int64_t i = 0; i < threadM; ++i) {
        Value local = arith::AddIOp::create(b, loc, firstLocal, e.index(i));
        rowMean.push_back(memref::LoadOp::create(b, loc, statistics, local));
        Value slot = arith::AddIOp::create(b, loc, local, e.index(tileM));
        rowInverseStd.push_back(
            memref::LoadOp::create(b, loc, statistics, slot));
      }
    }
  }

  Value strideAK = e.size(lhsView.strides.back());
  Value strideBK = e.size(rhsView.strides[rhsView.strides.size() - 2]);

  // Operands bound as vectors (selectInputLoadWidths: K is their
  // contiguous last dim, a multiple of the width) are read several k steps
  // per load: 4 (vec4), or 8 (f16 pairs). The loop steps by the wider; the
  // other operand takes two vec4 loads or kStep scalar loads per step.
  // A dequantized weight is read one word (4 or 8 values) or four words
  // (quantizedWordsPerLoad) at a time.
  DequantizeOp dequantize = operands->dequantize;
  int64_t perWord = dequantize ? dequantize.getValuesPerWord() : 1;
  int64_t kStep = std::max(e.loadWidth(lhs), perWord * e.loadWidth(rhs));
  if (dequantize && dequantize.getGroupSize() % kStep != 0)
    return e.emitError() << "a quantized weight's group of "
                         << dequantize.getGroupSize()
                         << " columns must be a multiple of the K step "
                         << kStep;
  // The kStep values of the row at `base` from k on.
  auto loadSteps = [&](BlockArgument input, Value base, Value kk,
                       Value strideK) {
    return e.loadRun(
        input,
        arith::AddIOp::create(b, loc, base,
                              arith::MulIOp::create(b, loc, kk, strideK)),
        strideK, kStep);
  };
  // One K step over a dequantized weight, column by column: each word is
  // unpacked and its values go straight into the column's partial sums
  // (the unpacked step of every column at once would not fit registers,
  // threadN x kStep values). The partial sums get their group's scale
  // once, s (sum a q - z sum a), or per channel once after the loop.
  bool scaleAfterLoop = dequantize && dequantize.getGroupsPerRow() == 1 &&
                        !dequantize.getZeroPoint();
  // Loop-carried: the products, then (statistics in the loop) per row the
  // sum of d and of d^2, and per column the sum of w.
  int64_t products = threadM * threadN;
  int64_t columnSums = products + 2 * threadM;
  auto quantizedStep = [&](SmallVector<Value> next,
                           ArrayRef<SmallVector<Value>> a,
                           Value kk) -> SmallVector<Value> {
    Value group =
        arith::DivUIOp::create(b, loc, kk, e.index(dequantize.getGroupSize()));
    SmallVector<Value> rowSum;
    if (zeroPoint)
      for (int64_t i = 0; i < threadM; ++i) {
        Value sum = a[i].front();
        for (Value value : ArrayRef<Value>(a[i]).drop_front())
          sum = arith::AddFOp::create(b, loc, sum, value);
        rowSum.push_back(sum);
      }
    Value word0 = arith::DivUIOp::create(b, loc, kk, e.index(perWord));
    for (int64_t j = 0; j < threadN; ++j) {
      Value at = arith::AddIOp::create(
          b, loc, baseB[j], arith::MulIOp::create(b, loc, word0, strideBK));
      SmallVector<Value> partial(threadM);
      Value columnSum;
      auto accumulate = [&](Value &sum, Value term) {
        sum = sum ? arith::AddFOp::create(b, loc, sum, term).getResult() : term;
      };
      SmallVector<Value> words = e.loadRun(rhs, at, strideBK, kStep / perWord);
      for (auto [w, word] : llvm::enumerate(words))
        for (int64_t t = 0; t < perWord; ++t) {
          Value q = e.unpackQuantized(word, t, dequantize.getBits());
          for (int64_t i = 0; i < threadM; ++i)
            accumulate(partial[i],
                       arith::MulFOp::create(b, loc, a[i][w * perWord + t], q));
          if (statisticsInLoop)
            accumulate(columnSum, q);
        }
      Value stepScale, stepZero;
      if (!scaleAfterLoop) {
        stepScale = e.loadInput(scale, {cols[j], group});
        if (zeroPoint)
          stepZero = e.loadInput(zeroPoint, {cols[j], group});
      }
      auto dequantized = [&](Value sum, Value count) {
        return scaleAfterLoop
                   ? sum
                   : dequantizeSum(e, sum, count, stepScale, stepZero);
      };
      for (int64_t i = 0; i < threadM; ++i)
        next[i * threadN + j] = arith::AddFOp::create(
            b, loc, next[i * threadN + j],
            dequantized(partial[i], zeroPoint ? rowSum[i] : Value()));
      if (statisticsInLoop)
        next[columnSums + j] = arith::AddFOp::create(
            b, loc, next[columnSums + j], dequantized(columnSum, e.f32(kStep)));
    }
    return next;
  };

  // This invocation's range of K: all of it, or its slice (a multiple of
  // kStep long, so vector loads stay aligned; trailing slices may be
  // empty).
  Value kBegin = e.index(0), kEnd = k, slice;
  if (slices > 1) {
    slice = e.threadId(gpu::Dimension::z);
    Value chunk = arith::MulIOp::create(
        b, loc,
        arith::DivUIOp::create(
            b, loc,
            arith::AddIOp::create(b, loc, k, e.index(slices * kStep - 1)),
            e.index(slices * kStep)),
        e.index(kStep));
    kBegin = arith::MinUIOp::create(
        b, loc, arith::MulIOp::create(b, loc, slice, chunk), k);
    kEnd = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, kBegin, chunk), k);
  }

  // Invocations whose rows or columns all lie past the edge skip the K
  // loop: where a tile is taller than the run's rows (a short sequence in a
  // kernel tiled for its bound) they would otherwise stream K for nothing.
  // (Barriers come after: the statistics' and the slices' need every
  // invocation.)
  Value active = arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, m0, rows),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, n0, n));
  int64_t carried = products + (statisticsInLoop ? 2 * threadM + threadN : 0);
  SmallVector<Value> init(carried, e.f32(0.0));
  SmallVector<Type> sumTypes(init.size(), b.getF32Type());
  auto streamIf = scf::IfOp::create(b, loc, sumTypes, active,
                                    /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&streamIf.getThenRegion().front());
    auto loop = e.forLoop(
        kBegin, kEnd, e.index(kStep), init, [&](Value kk, ValueRange acc) {
          SmallVector<SmallVector<Value>> a, bv;
          SmallVector<Value> next(acc.begin(), acc.end());
          for (int64_t i = 0; i < threadM; ++i) {
            a.push_back(loadSteps(lhs, baseA[i], kk, strideAK));
            if (!normIsInput)
              continue;
            for (Value &value : a.back()) {
              value = arith::SubFOp::create(
                  b, loc, value,
                  statisticsInLoop ? rowShift[i] : rowMean[i]);
              if (!statisticsInLoop)
                continue;
              Value &sum = next[products + i];
              Value &squares = next[products + threadM + i];
              sum = arith::AddFOp::create(b, loc, sum, value);
              squares = arith::AddFOp::create(
                  b, loc, squares, arith::MulFOp::create(b, loc, value, value));
            }
          }
          if (dequantize)
            return quantizedStep(std::move(next), a, kk);
          for (int64_t j = 0; j < threadN; ++j) {
            bv.push_back(loadSteps(rhs, baseB[j], kk, strideBK));
            if (statisticsInLoop)
              for (Value value : bv.back())
                next[columnSums + j] =
                    arith::AddFOp::create(b, loc, next[columnSums + j], value);
          }
          for (int64_t t = 0; t < kStep; ++t)
            for (int64_t i = 0; i < threadM; ++i)
              for (int64_t j = 0; j < threadN; ++j)
                next[i * threadN + j] = arith::AddFOp::create(
                    b, loc, next[i * threadN + j],
                    arith::MulFOp::create(b, loc, a[i][t], bv[j][t]));
          return next;
        });
    scf::YieldOp::create(b, loc, loop.getResults());
    b.setInsertionPointToStart(&streamIf.getElseRegion().front());
    scf::YieldOp::create(b, loc, init);
  }
  SmallVector<Value> sums(streamIf.getResults());
  if (scaleAfterLoop) {
    // Per channel: sum_k a s q = s sum_k a q (and so for the column sums).
    for (int64_t j = 0; j < threadN; ++j) {
      Value columnScale = e.loadInput(scale, {cols[j], e.index(0)});
      for (int64_t i = 0; i < threadM; ++i)
        sums[i * threadN + j] =
            arith::MulFOp::create(b, loc, sums[i * threadN + j], columnScale);
      if (statisticsInLoop)
        sums[columnSums + j] =
            arith::MulFOp::create(b, loc, sums[columnSums + j], columnScale);
    }
  }
  // Per row: the mean's offset from the shift, for the correction below.
  SmallVector<Value> meanOffset;
  if (statisticsInLoop) {
    Value count = countAsFloat(e, k);
    for (int64_t i = 0; i < threadM; ++i) {
      RowStatistics row = statisticsFromShiftedSums(
          e, norm, rowShift[i], sums[products + i],
          sums[products + threadM + i], count);
      meanOffset.push_back(row.meanOffset);
      rowMean.push_back(row.mean);
      rowInverseStd.push_back(row.inverseStd);
    }
  }

  if (slices > 1) {
    sums = combineSlices(e, sums, slice);
    active = arith::AndIOp::create(
        b, loc, active,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, slice,
                              e.index(0)));
  }

  storeTile(e, active, rowValid, colValid, [&](int64_t i, int64_t j) {
    Value value = sums[i * threadN + j];
    if (statisticsInLoop)
      value = arith::SubFOp::create(
          b, loc, value,
          arith::MulFOp::create(b, loc, meanOffset[i], sums[columnSums + j]));
    if (normIsInput)
      value = arith::MulFOp::create(b, loc, value, rowInverseStd[i]);
    if (norm)
      e.setNormStatistics(rowMean[i], rowInverseStd[i]);
    if (bias)
      value =
          arith::AddFOp::create(b, loc, value, e.loadInput(bias, {cols[j]}));
    SmallVector<Value> indices(batchIndices);
    llvm::append_range(indices, rowIndices[i]);
    indices.push_back(cols[j]);
    return TileResult{indices, e.evaluateResult(indices, value)};
  });
  return success();
}

void mlir::tessera::storeTile(
    KernelEmitter &e, Value active, ArrayRef<Value> rowValid,
    ArrayRef<Value> colValid,
    function_ref<TileResult(int64_t i, int64_t j)> resultAt) {
  OpBuilder &b = e.builder();
  Location loc = e.loc();
  auto storeIf = scf::IfOp::create(b, loc, active, /*withElse=*/false);
  OpBuilder::InsertionGuard storeGuard(b);
  b.setInsertionPointToStart(&storeIf.getThenRegion().front());
  // The epilogue is evaluated for every element of the tile, edges
  // included (their indices are clamped, so every load is in bounds), and
  // only the stores are guarded: one block of loads and arithmetic, in
  // which the driver's compiler shares the loads of a column's bias or a
  // row's statistics, instead of one block per element (which took
  // lavapipe seconds per kernel to compile, docs/benchmarks.md).
  int64_t threadM = rowValid.size(), threadN = colValid.size();
  SmallVector<TileResult> results;
  for (int64_t i = 0; i < threadM; ++i)
    for (int64_t j = 0; j < threadN; ++j)
      results.push_back(resultAt(i, j));
  // A chunk of columns is wholly in or out: the columns are a multiple of
  // the store width, and so is the chunk's first column.
  int64_t width = e.storeWidth();
  for (int64_t i = 0; i < threadM; ++i)
    for (int64_t j = 0; j < threadN; j += width) {
      Value valid = arith::AndIOp::create(b, loc, rowValid[i], colValid[j]);
      auto ifOp = scf::IfOp::create(b, loc, valid, /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      SmallVector<Value> chunk;
      for (int64_t t = 0; t < width; ++t)
        chunk.push_back(results[i * threadN + j + t].value);
      e.storeOutputChunk(results[i * threadN + j].indices, chunk);
    }
}

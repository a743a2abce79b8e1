//===- MatmulKernel.cpp - Register-tiled matmul / linear kernels ----------===//
//
// Each invocation computes a thread_tile[0] x thread_tile[1] block of the
// output in registers (scf.for iter_args), streaming K once: every loaded
// value feeds several FMAs, which is what decides speed on lavapipe. Rows
// and columns past the edge are clamped on load and skipped on store, so
// sizes that are not multiples of the tile need no slow path. The bias and
// the fused epilogue are applied at the store.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/KernelEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

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

} // namespace

LogicalResult mlir::tessera::buildMatmulKernel(KernelEmitter &e) {
  OpBuilder &b = e.builder();
  Location loc = e.loc();
  Operation *root = e.dispatch().getRootOp();
  TileConfigAttr config = e.config();
  int64_t threadM = config.getThreadTile()[0];
  int64_t threadN = config.getThreadTile()[1];
  int64_t tileM = config.getTile()[0], tileN = config.getTile()[1];

  const SymbolicShape &out = e.shapeOf(root->getResult(0));
  SmallVector<DimExpr> batchDims, rowDims;
  BlockArgument lhs, rhs, bias;
  StridedView lhsView, rhsView; // [batch..., rows..., K] and [batch..., K, N]
  auto asInput = [&](Value v, BlockArgument &arg) {
    arg = dyn_cast<BlockArgument>(v);
    return static_cast<bool>(arg);
  };

  if (auto matmul = dyn_cast<MatmulOp>(root)) {
    if (!asInput(matmul.getLhs(), lhs) || !asInput(matmul.getRhs(), rhs))
      return e.emitError() << "matmul operands must be dispatch inputs";
    batchDims.assign(out.begin(), out.end() - 2);
    rowDims.push_back(out[out.size() - 2]);
    lhsView = e.inputView(lhs);
    if (matmul.getTransposeLhs())
      lhsView = swapLastTwo(lhsView);
    rhsView = e.inputView(rhs);
    if (matmul.getTransposeRhs())
      rhsView = swapLastTwo(rhsView);
    SymbolicShape lhsShape(batchDims.begin(), batchDims.end());
    SymbolicShape rhsShape(batchDims.begin(), batchDims.end());
    lhsShape.push_back(rowDims[0]);
    lhsShape.push_back(lhsView.shape.back());
    rhsShape.push_back(rhsView.shape[rhsView.shape.size() - 2]);
    rhsShape.push_back(out.back());
    lhsView = lhsView.broadcastTo(lhsShape);
    rhsView = rhsView.broadcastTo(rhsShape);
  } else {
    auto linear = cast<LinearOp>(root);
    if (!asInput(linear.getInput(), lhs) || !asInput(linear.getWeight(), rhs) ||
        (linear.getBias() && !asInput(linear.getBias(), bias)))
      return e.emitError() << "linear operands must be dispatch inputs";
    rowDims.assign(out.begin(), out.end() - 1);
    lhsView = e.inputView(lhs);
    rhsView = swapLastTwo(e.inputView(rhs)); // W[N, K] read as [K, N]
  }
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
  SmallVector<Value> rowValid, baseA;
  SmallVector<SmallVector<Value>> rowIndices;
  for (int64_t i = 0; i < threadM; ++i) {
    Value m = arith::AddIOp::create(b, loc, m0, e.index(i));
    rowValid.push_back(
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, m, rows));
    Value clamped = arith::MinUIOp::create(b, loc, m, lastRow);
    rowIndices.push_back(e.delinearize(clamped, rowDims));
    SmallVector<Value> indices(batchIndices);
    llvm::append_range(indices, rowIndices.back());
    indices.push_back(e.index(0));
    baseA.push_back(e.offset(lhsView, indices));
  }
  SmallVector<Value> colValid, cols, baseB;
  for (int64_t j = 0; j < threadN; ++j) {
    Value col = arith::AddIOp::create(b, loc, n0, e.index(j));
    colValid.push_back(
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col, n));
    cols.push_back(arith::MinUIOp::create(b, loc, col, lastCol));
    SmallVector<Value> indices(batchIndices);
    indices.push_back(e.index(0));
    indices.push_back(cols.back());
    baseB.push_back(e.offset(rhsView, indices));
  }
  Value strideAK = e.size(lhsView.strides.back());
  Value strideBK = e.size(rhsView.strides[rhsView.strides.size() - 2]);

  SmallVector<Value> init(threadM * threadN, e.f32(0.0));
  auto loop =
      e.forLoop(e.index(0), k, e.index(1), init, [&](Value kk, ValueRange acc) {
        Value offA = arith::MulIOp::create(b, loc, kk, strideAK);
        Value offB = arith::MulIOp::create(b, loc, kk, strideBK);
        SmallVector<Value> a, bv;
        for (int64_t i = 0; i < threadM; ++i)
          a.push_back(e.loadAtOffset(
              lhs, arith::AddIOp::create(b, loc, baseA[i], offA)));
        for (int64_t j = 0; j < threadN; ++j)
          bv.push_back(e.loadAtOffset(
              rhs, arith::AddIOp::create(b, loc, baseB[j], offB)));
        SmallVector<Value> next;
        for (int64_t i = 0; i < threadM; ++i)
          for (int64_t j = 0; j < threadN; ++j)
            next.push_back(arith::AddFOp::create(
                b, loc, acc[i * threadN + j],
                arith::MulFOp::create(b, loc, a[i], bv[j])));
        return next;
      });

  for (int64_t i = 0; i < threadM; ++i)
    for (int64_t j = 0; j < threadN; ++j) {
      Value valid = arith::AndIOp::create(b, loc, rowValid[i], colValid[j]);
      auto ifOp = scf::IfOp::create(b, loc, valid, /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      Value value = loop.getResult(i * threadN + j);
      if (bias)
        value =
            arith::AddFOp::create(b, loc, value, e.loadInput(bias, {cols[j]}));
      SmallVector<Value> indices(batchIndices);
      llvm::append_range(indices, rowIndices[i]);
      indices.push_back(cols[j]);
      e.storeOutput(indices, e.evaluateResult(indices, value));
    }
  return success();
}

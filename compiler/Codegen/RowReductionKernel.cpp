//===- RowReductionKernel.cpp - softmax and layer_norm --------------------===//
//
// One workgroup per row. Each invocation walks the row with a stride of the
// workgroup size; partial results are combined with subgroup reductions and,
// across subgroups, through workgroup memory (robust to whatever subgroup
// size the device runs). A static row that fits the invocations' registers
// is read once (one pass over memory; the passes then read registers);
// otherwise the fused prologue (e.g. a residual add) is re-evaluated on
// each pass over the row instead of being materialised. The epilogue is
// applied at the store.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/KernelEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::tessera;

LogicalResult mlir::tessera::buildRowReductionKernel(KernelEmitter &e) {
  OpBuilder &b = e.builder();
  Location loc = e.loc();
  Operation *root = e.dispatch().getRootOp();
  const SymbolicShape &shape = e.shapeOf(root->getResult(0));
  int64_t axis = shape.size() - 1;
  auto norm = dyn_cast<LayerNormOp>(root);
  if (norm)
    axis = static_cast<int64_t>(norm.getAxis());
  else if (static_cast<int64_t>(cast<SoftmaxOp>(root).getAxis()) != axis)
    return e.emitError() << "softmax over a dimension other than the last "
                            "has no kernel yet";
  for (Value operand : root->getOperands())
    if (!isa<Float32Type, Float16Type>(getElementTypeOrSelf(operand.getType())))
      return e.emitError() << "row reductions are generated for f32 and f16 "
                              "only";

  ArrayRef<DimExpr> rowDims = ArrayRef<DimExpr>(shape).take_front(axis);
  ArrayRef<DimExpr> colDims = ArrayRef<DimExpr>(shape).drop_front(axis);
  DimExpr colsExpr = SymbolicShapes::product(colDims);
  int64_t invocations = e.config().getWorkgroupSize()[0];
  e.signature().workgroups[0] = {SymbolicShapes::product(rowDims), 1};

  Value scratch =
      e.allocateWorkgroupMemory(rowReductionScratchElements(e.config()));
  SmallVector<Value> rowIndices =
      e.delinearize(e.workgroupId(gpu::Dimension::x), rowDims);
  Value cols = e.size(colsExpr);
  Value tid = e.threadId(gpu::Dimension::x);
  Value input = root->getOperand(0);

  // Where the row is static and short enough (thread_tile[0] values per
  // invocation, kMaxRegisterValues at most), each invocation loads its
  // columns once, evaluating the prologue once, and every pass reads
  // registers: one pass over memory instead of two or three.
  constexpr int64_t kMaxRegisterValues = 32;
  int64_t perInvocation = e.config().getThreadTile()[0];
  bool inRegisters = colsExpr.isConstant() &&
                     perInvocation * invocations >= colsExpr.getCoefficient() &&
                     perInvocation <= kMaxRegisterValues;
  struct Column {
    SmallVector<Value> indices;
    Value x, valid;
  };
  SmallVector<Column> columns;
  if (inRegisters) {
    Value lastCol = arith::SubIOp::create(b, loc, cols, e.index(1));
    for (int64_t j = 0; j < perInvocation; ++j) {
      Value col = arith::AddIOp::create(b, loc, tid,
                                        e.index(j * invocations));
      Column column;
      column.valid =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col, cols);
      column.indices.assign(rowIndices.begin(), rowIndices.end());
      llvm::append_range(
          column.indices,
          e.delinearize(arith::MinUIOp::create(b, loc, col, lastCol), colDims));
      column.x = e.evaluate(input, column.indices);
      columns.push_back(std::move(column));
    }
  }

  // One pass over the row: `body` gets the column's indices and the input
  // value there, and returns the new partial (or nothing, having stored).
  // Returns the invocation's partial, if any.
  auto pass = [&](Value init,
                  function_ref<Value(ArrayRef<Value>, Value, Value)> body)
      -> Value {
    if (inRegisters) {
      Value acc = init;
      for (const Column &column : columns) {
        if (init) {
          // Columns past the row's end keep the partial.
          acc = arith::SelectOp::create(
              b, loc, column.valid, body(column.indices, column.x, acc), acc);
          continue;
        }
        auto ifOp = scf::IfOp::create(b, loc, column.valid, /*withElse=*/false);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(&ifOp.getThenRegion().front());
        body(column.indices, column.x, Value());
      }
      return acc;
    }
    SmallVector<Value> inits;
    if (init)
      inits.push_back(init);
    scf::ForOp loop = e.forLoop(
        tid, cols, e.index(invocations), inits, [&](Value col, ValueRange acc) {
          SmallVector<Value> indices(rowIndices);
          llvm::append_range(indices, e.delinearize(col, colDims));
          Value x = e.evaluate(input, indices);
          Value next = body(indices, x, acc.empty() ? Value() : acc[0]);
          return next ? SmallVector<Value>{next} : SmallVector<Value>{};
        });
    return init ? loop.getResult(0) : Value();
  };
  auto add = [&](Value a, Value c) {
    return arith::AddFOp::create(b, loc, a, c).getResult();
  };

  if (!norm) {
    Value localMax =
        pass(e.f32(-3.4028234663852886e38), [&](ArrayRef<Value>, Value x,
                                                Value acc) {
          return arith::MaximumFOp::create(b, loc, acc, x).getResult();
        });
    Value rowMax = e.workgroupReduce(localMax, /*isMax=*/true, scratch);
    auto shifted = [&](Value x) {
      return math::ExpOp::create(b, loc,
                                 arith::SubFOp::create(b, loc, x, rowMax))
          .getResult();
    };
    Value localSum = pass(e.f32(0.0), [&](ArrayRef<Value>, Value x, Value acc) {
                       return add(acc, shifted(x));
                     });
    Value inverse = arith::DivFOp::create(
        b, loc, e.f32(1.0), e.workgroupReduce(localSum, false, scratch));
    pass(Value(), [&](ArrayRef<Value> indices, Value x, Value) {
      Value y = arith::MulFOp::create(b, loc, shifted(x), inverse);
      e.storeOutput(indices, e.evaluateResult(indices, y));
      return Value();
    });
    return success();
  }

  Value count = arith::SIToFPOp::create(
      b, loc, b.getF32Type(),
      arith::IndexCastOp::create(b, loc, b.getI32Type(), cols));
  // The RMS norm's mean is 0: no pass for it.
  Value mean = e.f32(0.0);
  if (!norm.getRms()) {
    Value localSum = pass(e.f32(0.0), [&](ArrayRef<Value>, Value x, Value acc) {
      return add(acc, x);
    });
    mean = arith::DivFOp::create(
        b, loc, e.workgroupReduce(localSum, false, scratch), count);
  }
  Value localSquares =
      pass(e.f32(0.0), [&](ArrayRef<Value>, Value x, Value acc) {
        Value centred = arith::SubFOp::create(b, loc, x, mean);
        return add(acc, arith::MulFOp::create(b, loc, centred, centred));
      });
  Value variance = arith::DivFOp::create(
      b, loc, e.workgroupReduce(localSquares, false, scratch), count);
  Value epsilon = e.f32(norm.getEpsilon().convertToDouble());
  Value rstd = math::RsqrtOp::create(
      b, loc, arith::AddFOp::create(b, loc, variance, epsilon));
  auto scaleArg = dyn_cast_or_null<BlockArgument>(norm.getScale());
  auto biasArg = dyn_cast_or_null<BlockArgument>(norm.getBias());
  if ((norm.getScale() && !scaleArg) || (norm.getBias() && !biasArg))
    return e.emitError() << "layer_norm scale and bias must be dispatch inputs";
  pass(Value(), [&](ArrayRef<Value> indices, Value x, Value) {
    Value y = arith::MulFOp::create(
        b, loc, arith::SubFOp::create(b, loc, x, mean), rstd);
    ArrayRef<Value> colIndices = indices.drop_front(axis);
    if (scaleArg)
      y = arith::MulFOp::create(b, loc, y, e.loadInput(scaleArg, colIndices));
    if (biasArg)
      y = arith::AddFOp::create(b, loc, y, e.loadInput(biasArg, colIndices));
    e.storeOutput(indices, e.evaluateResult(indices, y));
    return Value();
  });
  return success();
}

//===- ElementwiseKernel.cpp - Chains of elementwise ops ------------------===//
//
// One invocation per output element: the flat index is split into the
// output's indices, every input is read through its view (broadcasting
// included), and the chain is evaluated in registers.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/KernelEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::tessera;

LogicalResult mlir::tessera::buildElementwiseKernel(KernelEmitter &e) {
  OpBuilder &b = e.builder();
  Location loc = e.loc();
  DispatchOp dispatch = e.dispatch();
  const SymbolicShape &shape = e.shapeOf(dispatch.getResult());
  DimExpr totalExpr = SymbolicShapes::product(shape);
  int64_t invocations = e.config().getWorkgroupSize()[0];
  e.signature().workgroups[0] = {totalExpr, invocations};

  Value flat = e.invocationStart(gpu::Dimension::x, invocations, 1);
  Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, flat,
                                        e.size(totalExpr));
  auto ifOp = scf::IfOp::create(b, loc, inRange, /*withElse=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  SmallVector<Value> indices = e.delinearize(flat, shape);
  Value yielded =
      cast<YieldOp>(dispatch.getBody().front().getTerminator()).getValue();
  e.storeOutput(indices, e.evaluate(yielded, indices));
  return success();
}

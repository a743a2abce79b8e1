//===- DispatchBindings.cpp - Which buffer each dispatch operand uses -----===//

#include "compiler/Codegen/DispatchBindings.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace mlir::tessera;

void BufferAssignment::addOwner(Value value) {
  if (owners_.insert(value).second)
    ownerOrder_.push_back(value);
}

/// A concatenation that its producers write into directly: each writes its
/// part at its offset along the axis (static sizes along the axis).
static std::optional<Binding> traceIntoConcat(Value result,
                                              const SymbolicShapes &shapes) {
  if (!result.hasOneUse())
    return std::nullopt;
  auto concat = dyn_cast<ConcatOp>(*result.getUsers().begin());
  if (!concat || isa<DispatchOp>(concat->getParentOp()))
    return std::nullopt;
  int64_t axis = static_cast<int64_t>(concat.getAxis());
  StridedView whole = StridedView::dense(shapes.getShape(concat.getResult()));
  DimExpr before = DimExpr::constant(0);
  for (Value input : concat.getInputs()) {
    if (input == result)
      break;
    before = before + shapes.getShape(input)[axis];
  }
  StridedView part = whole;
  part.shape = shapes.getShape(result);
  part.offset = before * whole.strides[axis];
  return Binding{concat.getResult(), part};
}

Binding BufferAssignment::traceOutput(DispatchOp dispatch,
                                      const SymbolicShapes &shapes) {
  if (std::optional<Binding> part =
          traceIntoConcat(dispatch.getResult(), shapes))
    return *part;
  // Through the head merge, when its inverse is a view.
  OutputChain chain = traceOutputChain(dispatch.getResult(), shapes);
  return {chain.end, chain.view};
}

FailureOr<Binding> BufferAssignment::traceInput(Value value,
                                                const SymbolicShapes &shapes) {
  if (owners_.contains(value))
    return Binding{value, StridedView::dense(shapes.getShape(value))};
  Operation *op = value.getDefiningOp();
  if (!isViewOp(op))
    return failure();
  FailureOr<Binding> source = traceInput(op->getOperand(0), shapes);
  if (failed(source))
    return failure();
  std::optional<StridedView> view = viewThrough(op, source->view, shapes);
  if (!view)
    return failure();
  return Binding{source->base, *view};
}

LogicalResult BufferAssignment::analyze(func::FuncOp function,
                                        const SymbolicShapes &shapes) {
  for (BlockArgument argument : function.getArguments())
    addOwner(argument);
  WalkResult result = function.walk([&](Operation *op) {
    if (auto constant = dyn_cast<ConstantOp>(op)) {
      if (!isa<DispatchOp>(op->getParentOp()))
        addOwner(constant.getResult());
      return WalkResult::advance();
    }
    auto dispatch = dyn_cast<DispatchOp>(op);
    if (!dispatch)
      return WalkResult::advance();
    DispatchBindings bindings;
    for (Value input : dispatch.getInputs()) {
      FailureOr<Binding> binding = traceInput(input, shapes);
      if (failed(binding)) {
        dispatch.emitOpError()
            << "reads an input that is no strided view of a buffer (a "
               "reshape that merges non-adjacent dimensions); such layout "
               "changes need a copy dispatch, which Tessera does not insert "
               "yet";
        return WalkResult::interrupt();
      }
      bindings.inputs.push_back(*binding);
    }
    bindings.output = traceOutput(dispatch, shapes);
    addOwner(bindings.output.base);
    bindings_[op] = std::move(bindings);
    return WalkResult::advance();
  });
  if (result.wasInterrupted())
    return failure();
  // A function result must be a buffer of its own, dense.
  auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
  for (auto [i, value] : llvm::enumerate(ret.getOperands()))
    if (!owners_.contains(value))
      return ret.emitOpError()
             << "returns result " << i
             << " as a view (reshape / transpose) of another tensor; "
                "Tessera does not insert the copy that needs yet";
  return success();
}

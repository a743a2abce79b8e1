//===- DispatchBindings.h - Which buffer each dispatch operand uses -*- C++
//-*-===//
//
// Reshape, transpose and broadcast never run as kernels: a dispatch reads its
// inputs through strided views of the buffers they come from, and writes its
// result through a view of the buffer its head-merge (transpose + reshape)
// ends in. The kernel builders and the serializer both derive the bindings
// here, so that they agree.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_CODEGEN_DISPATCHBINDINGS_H
#define TESSERA_COMPILER_CODEGEN_DISPATCHBINDINGS_H

#include "dialects/tessera/IR/TesseraOps.h"
#include "dialects/tessera/Shapes/StridedView.h"

#include "llvm/ADT/DenseSet.h"

namespace mlir::tessera {

/// A buffer-backed value (`base`) and the view through which a logical
/// tensor lives in it.
struct Binding {
  Value base;
  StridedView view;
};

struct DispatchBindings {
  SmallVector<Binding, 4> inputs;
  Binding output;
};

/// The values that own a buffer: function arguments, constants, dispatch
/// results (unless they write through a view into a later value), and the
/// values such views end in.
class BufferAssignment {
public:
  /// Fails (with an error) when a dispatch input cannot be read as a strided
  /// view of a buffer.
  LogicalResult analyze(func::FuncOp function, const SymbolicShapes &shapes);

  const DispatchBindings &getBindings(DispatchOp dispatch) const {
    return bindings_.find(dispatch.getOperation())->second;
  }
  bool ownsBuffer(Value value) const { return owners_.contains(value); }
  /// Buffer owners in program order.
  ArrayRef<Value> getOwners() const { return ownerOrder_; }

private:
  FailureOr<Binding> traceInput(Value value, const SymbolicShapes &shapes);
  Binding traceOutput(DispatchOp dispatch, const SymbolicShapes &shapes);
  void addOwner(Value value);

  llvm::DenseSet<Value> owners_;
  SmallVector<Value> ownerOrder_;
  llvm::DenseMap<Operation *, DispatchBindings> bindings_;
};

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_CODEGEN_DISPATCHBINDINGS_H

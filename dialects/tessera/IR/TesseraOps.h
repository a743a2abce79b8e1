//===- TesseraOps.h - Tessera operations ------------------------*- C++ -*-===//

#ifndef TESSERA_DIALECT_TESSERAOPS_H
#define TESSERA_DIALECT_TESSERAOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/tessera/IR/TesseraAttrs.h"
#include "dialects/tessera/IR/TesseraDialect.h"
#include "dialects/tessera/IR/TesseraInterfaces.h"

namespace mlir::tessera {
/// Whether the result types an op carries are compatible with the ones its
/// shape inference produced: same ranks and element types, and every
/// dimension either equal or left dynamic by the inference.
bool areCompatibleReturnTypes(TypeRange inferred, TypeRange actual);

/// Shape inference shared by the broadcasting elementwise ops: broadcasts the
/// operands' shapes and checks that they share an element type. The result
/// has `elementType`, or the operands' element type when it is null.
LogicalResult inferBroadcastResult(std::optional<Location> location,
                                   ValueRange operands, Type elementType,
                                   SmallVectorImpl<Type> &inferred);

/// The fold of an op with a scalar rule over constant operands: the rule
/// evaluated element by element (ScalarRules.cpp), or null when an operand
/// is not a small constant or the rule does not fold for some element.
OpFoldResult foldScalarRule(Operation *op, ArrayRef<Attribute> operands);

/// Shape inference shared by the reductions over a set of axes.
LogicalResult inferReductionResult(std::optional<Location> location,
                                   Value input, ArrayRef<int64_t> axes,
                                   bool keepdims,
                                   SmallVectorImpl<Type> &inferred);
} // namespace mlir::tessera

#define GET_OP_CLASSES
#include "dialects/tessera/IR/TesseraOps.h.inc"

#include "mlir/IR/Builders.h"

namespace mlir::tessera {
/// Creates an op whose result type is inferred, from the arguments of its
/// builder that come after the result type; or, when the type cannot be
/// inferred from them, returns failure and creates nothing (the inferring
/// builders abort instead). The inference reports why at `loc` when
/// `report` is set. For code that builds ops from values it did not check:
/// an importer reading a model file, a pattern matching on dataflow.
template <typename OpTy, typename... Args>
FailureOr<OpTy> createInferred(OpBuilder &builder, Location loc, bool report,
                               Args &&...args) {
  OperationState state(loc, OpTy::getOperationName());
  OpTy::build(builder, state, builder.getNoneType(),
              std::forward<Args>(args)...);
  SmallVector<Type, 1> inferred;
  if (failed(OpTy::inferReturnTypes(
          builder.getContext(),
          report ? std::optional<Location>(loc) : std::nullopt, state.operands,
          state.attributes.getDictionary(builder.getContext()),
          state.getRawProperties(), state.regions, inferred)))
    return failure();
  state.types.assign(inferred.begin(), inferred.end());
  return cast<OpTy>(builder.create(state));
}
} // namespace mlir::tessera

#endif // TESSERA_DIALECT_TESSERAOPS_H

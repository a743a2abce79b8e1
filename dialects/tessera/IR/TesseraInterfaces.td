//===- TesseraInterfaces.td - Tessera op interfaces --------*- tablegen -*-===//
//
// Interfaces through which passes ask an op what it computes, so that the
// answer is written once, next to the op.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECT_INTERFACES
#define TESSERA_DIALECT_INTERFACES

include "mlir/IR/OpBase.td"

def Tessera_ScalarRuleOpInterface : OpInterface<"ScalarRuleOpInterface"> {
  let cppNamespace = "::mlir::tessera";
  let description = [{
    An elementwise op: each result element is a function of one element of
    each operand (after broadcasting). That function, the op's scalar rule,
    is written once (ScalarRules.cpp) as `arith` and `math` ops on scalars,
    and it is the only definition of what the op computes: kernels emit it,
    and the folder and the tensor interpreter evaluate it on constants by
    folding the ops it builds (`ScalarRuleEvaluator`). An op with a scalar
    rule fuses into a dispatch with its producer or consumer.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the result element from one element per operand. `operands`
        hold each operand's element type as `computeType` maps it (kernels
        compute f16 in f32; folding keeps every type); the result has the
        result's element type, mapped the same way.
      }],
      "::mlir::Value", "buildScalarRule",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::ValueRange":$operands,
           "::mlir::tessera::ComputeTypeFn":$computeType)>,
  ];
}

#endif // TESSERA_DIALECT_INTERFACES

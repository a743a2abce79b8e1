//===- TesseraBase.td - Tessera dialect definition ---------*- tablegen -*-===//
//
// The dialect record and the base classes that every Tessera op and attribute
// derives from.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECT_BASE
#define TESSERA_DIALECT_BASE

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Tessera_Dialect : Dialect {
  let name = "tessera";
  let cppNamespace = "::mlir::tessera";
  let summary = "Graph-level transformer operations for the Tessera compiler";
  let description = [{
    The `tessera` dialect holds a transformer model at graph level: ranked
    tensors with static or dynamic dimensions, weights as `dense_resource`
    constants, and operations at the granularity a transformer is written in
    (`linear`, `layer_norm`, `gelu`, `attention` with a structured mask).

    Frontends import into it, raising passes rebuild the transformer-level ops
    from decomposed exports, and the codegen phases group its ops into
    dispatch regions. Every op infers its result type from its operands, so a
    frontend can build ops without computing shapes itself; a result type
    written in the IR may refine (make static) a dimension the inference left
    dynamic, but never contradict it.
  }];
  // Scalar rules (ScalarRules.cpp) are written in arith and math ops.
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    void registerAttributes();

    /// Name of the module attribute that holds the `#tessera.target` profile
    /// the module is compiled for.
    static constexpr ::llvm::StringLiteral getTargetAttrName() {
      return ::llvm::StringLiteral("tessera.target");
    }
    /// Name of the module attribute listing the device features the module
    /// needs (written by `tessera-verify-target`).
    static constexpr ::llvm::StringLiteral getRequirementsAttrName() {
      return ::llvm::StringLiteral("tessera.requirements");
    }
  }];
}

class Tessera_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Tessera_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

class Tessera_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tessera_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

// Floating-point element types a model may hold. bf16 is representable in the
// IR; `tessera-verify-target` rejects it for targets that cannot run it.
def Tessera_Float : AnyTypeOf<[F16, BF16, F32]>;
def Tessera_Int : AnyTypeOf<[I1, I8, I32, I64]>;

def Tessera_Tensor : RankedTensorOf<[Tessera_Float, Tessera_Int]>;
def Tessera_FloatTensor : RankedTensorOf<[Tessera_Float]>;
def Tessera_IntTensor : RankedTensorOf<[I32, I64]>;
def Tessera_BoolTensor : RankedTensorOf<[I1]>;
def Tessera_NumericTensor : RankedTensorOf<[Tessera_Float, I8, I32, I64]>;

#endif // TESSERA_DIALECT_BASE

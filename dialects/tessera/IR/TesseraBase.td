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
  // Attributes that phases leave on ops of other dialects (functions,
  // modules, dispatches) for later phases; each is `tessera.<name>` and is
  // read and written only through its helper
  // (`TesseraDialect::KernelAttrHelper(context).getAttr(op)`).
  let discardableAttrs = (ins
    // Module: the `#tessera.target` profile it is compiled for.
    "::mlir::tessera::TargetAttr":$target,
    // Module: the device features it needs (tessera-verify-target).
    "::mlir::ArrayAttr":$requirements,
    // Module: the named dims, in the order kernels' params list them.
    "::mlir::ArrayAttr":$symbols,
    // Function argument / result: the name a model input or output has.
    "::mlir::StringAttr":$name,
    // Function argument: the named dims of its shape.
    "::mlir::ArrayAttr":$dims,
    // Function: each named dim's compile-time bounds.
    "::mlir::DictionaryAttr":$dim_bounds,
    // Function: the named dims computed from others, in order, each as
    // "name = floor((numerator) / divisor)".
    "::mlir::ArrayAttr":$derived_dims,
    // Dispatch: the kernel that computes it.
    "::mlir::SymbolRefAttr":$kernel,
    // Dispatch: the values of its kernel's params buffer, as expressions
    // of named dims.
    "::mlir::ArrayAttr":$params,
    // Dispatch: its workgroup count, per axis an expression of named dims.
    "::mlir::ArrayAttr":$workgroup_count,
    // Dispatch: the run-time index checks of its gathers ({what, extent,
    // indices, input} dictionaries; the IndexCheck table of tessera.fbs).
    "::mlir::ArrayAttr":$index_checks,
    // Kernel module: lower without unrolling its loops.
    "::mlir::UnitAttr":$keep_loops
  );
  let extraClassDeclaration = [{
    void registerAttributes();
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

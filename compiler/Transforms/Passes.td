//===- Passes.td - Tessera graph passes --------------------*- tablegen -*-===//

#ifndef TESSERA_COMPILER_TRANSFORMS_PASSES
#define TESSERA_COMPILER_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def TesseraVerifyTarget : Pass<"tessera-verify-target", "::mlir::ModuleOp"> {
  let summary = "Check a module against a device profile and record what it "
                "needs";
  let description = [{
    Resolves the device profile the module is compiled for (the `target`
    option, else the module's `tessera.target` attribute), checks every
    tensor type in the module against it, and records the result on the
    module:

    - `tessera.target`: the resolved `#tessera.target` profile;
    - `tessera.requirements`: the optional device features the module uses
      (`"fp16"` for f16 tensors, `"int8"` for i8 tensors), sorted.

    A feature the profile lacks is an error at the first op that needs it,
    with a note counting the other uses. Element types no Vulkan target runs
    (bf16, f64) are errors on every profile. With `emit-remarks`, a remark on
    the module lists the requirements.

    ```
    tessera-opt --tessera-verify-target=target=generic model.mlir
    ```
  }];
  let options = [
    Option<"targetName", "target", "std::string", /*default=*/"\"\"",
           "Built-in profile to check against (lavapipe, nvidia, amd, intel, "
           "mali, adreno, generic); empty uses the module's tessera.target "
           "attribute">,
    Option<"emitRemarks", "emit-remarks", "bool", /*default=*/"false",
           "Emit a remark on the module listing what it needs">
  ];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraSplitLargeWeights
    : Pass<"tessera-split-large-weights", "::mlir::ModuleOp"> {
  let summary = "Split linear weights larger than one storage-buffer binding";
  let description = [{
    A Vulkan storage-buffer binding is limited (`max_storage_buffer_range`
    of the module's `tessera.target`: 128 MiB on lavapipe, Mali and Adreno;
    GPT-2's 50257x768 f32 LM head is 147 MiB). A `linear` whose constant
    weight is larger is split along its output features into parts that fit,
    each with its slice of the bias; the parts are concatenated along the
    last dimension. That concatenation moves no data: each part's dispatch
    writes its columns of the result in place.

    `max-bytes` overrides the limit (for tests, or to force smaller parts).
  }];
  let options = [
    Option<"maxBytes", "max-bytes", "int64_t", /*default=*/"0",
           "Largest weight part in bytes (0: the target's storage-buffer "
           "range)">
  ];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraFormDispatches
    : Pass<"tessera-form-dispatches", "::mlir::func::FuncOp"> {
  let summary = "Group ops into tessera.dispatch regions, one kernel each";
  let description = [{
    Every root op (matmul, linear, attention, softmax, layer_norm, a
    reduction, gather, slice, concat) becomes the centre of one dispatch
    region. The elementwise ops that consume its result, one after the other,
    join it as an epilogue (bias, activation, residual add, scale, cast) as
    long as each consumes the previous result alone and keeps its shape. Row
    reductions also take the elementwise ops that feed them and have no other
    use as a prologue (the residual add before a layer_norm). Elementwise
    ops left over form dispatches of their own, chained the same way.

    Shape-only ops (reshape, transpose, broadcast) and constants stay outside
    the regions: they become index maps and buffers, never dispatches. So
    does a concat of root results used nowhere else (the parts of a split
    weight): each part's dispatch writes into it. Splat constants used
    inside a region are copied into it.
  }];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

#endif // TESSERA_COMPILER_TRANSFORMS_PASSES

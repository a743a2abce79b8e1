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

#endif // TESSERA_COMPILER_TRANSFORMS_PASSES

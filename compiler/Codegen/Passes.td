//===- Passes.td - Tessera codegen passes ------------------*- tablegen -*-===//

#ifndef TESSERA_COMPILER_CODEGEN_PASSES
#define TESSERA_COMPILER_CODEGEN_PASSES

include "mlir/Pass/PassBase.td"

def TesseraSelectTileConfigs
    : Pass<"tessera-select-tile-configs", "::mlir::ModuleOp"> {
  let summary = "Attach a #tessera.tile_config to every dispatch region";
  let description = [{
    Chooses how each dispatch is split over workgroups and invocations from
    its root op, its shapes and the module's `tessera.target` profile (run
    `tessera-verify-target` first). The choice never exceeds the profile's
    invocation or shared-memory limits:

    - matmul / linear: a 2-D workgroup (x along N, y along M) with a register
      tile per invocation (`thread_tile = [M, N]`): on CPU-like devices such
      as lavapipe, every buffer access costs a per-lane loop, so FLOPs per
      loaded value decide the speed;
    - attention: `thread_tile = [rows, split]`: `rows` query rows per
      invocation sharing every key and value load (up to 4 for none, causal
      and undilated sliding masks, as the register budget holds, 1 for the
      others), key/value tiles of `tile[1]`; where one row's query and
      accumulator exceed the register budget, its head dims are split over
      `split` adjacent invocations of a subgroup that sum their partial
      scores with shuffles;
    - row reductions (softmax, layer_norm, reduce_*, argmax): one workgroup
      per row, the row split over its invocations (`thread_tile[0]` values
      each; a static row of at most 32 per invocation is held in registers
      and read from memory once), partial results combined with subgroup
      operations and, across subgroups, workgroup memory;
    - elementwise: one element per invocation.

    Dynamic sizes count at their upper bound where the function's
    `tessera.dim_bounds` attribute gives one (`tessera-compile --dim` writes
    it): a linear over at most 128 rows gets a tile of at most 128 rows.

    ```
    tessera-opt --tessera-verify-target=target=nvidia --tessera-select-tile-configs
    ```
  }];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraBuildKernels : Pass<"tessera-build-kernels", "::mlir::ModuleOp"> {
  let summary = "Emit a gpu.func kernel for every dispatch region";
  let description = [{
    For every `tessera.dispatch` with a tile config, the kernel builder of
    its root kind (matmul/linear, attention, row reduction, elementwise)
    emits a `gpu.func` into a `gpu.module` of the same name (one per
    dispatch: `@dispatch_0::@dispatch_0`, ...), with the fused elementwise
    ops inline at loads and stores. Kernel arguments are 1-D storage buffers:
    first an `i32` buffer of run-time sizes ("params"), then one per dispatch
    input, then the output. Inputs are read and the output written through
    strided views, so that reshapes and transposes around the dispatch move
    no data.

    Each dispatch records what the runtime needs to launch its kernel:
    `tessera.params` (the sizes to write into the params buffer, as
    `[coefficient, symbol ids...]`) and `tessera.workgroup_count` (per axis,
    `[divisor, coefficient, symbol ids...]` meaning
    ceil(coefficient * symbols / divisor)). The dispatch op gets
    `tessera.kernel`, and the module `tessera.symbols`, the names of the
    symbol ids.

    Dynamic dimensions of the function's arguments must be named with the
    argument attribute `tessera.dims` (e.g. `[1, "seq", 256]`).
  }];
  let dependentDialects = [
    "::mlir::tessera::TesseraDialect", "::mlir::gpu::GPUDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::spirv::SPIRVDialect", "::mlir::vector::VectorDialect"
  ];
}

def TesseraDeduplicateKernels
    : Pass<"tessera-deduplicate-kernels", "::mlir::ModuleOp"> {
  let summary = "Let dispatches with identical kernels share one";
  let description = [{
    `tessera-build-kernels` emits one `gpu.module` per dispatch, so every
    layer of a model gets its own copy of kernels that differ only in their
    names. Each copy is lowered to SPIR-V, stored in the binary and compiled
    by the driver when the model first runs (on lavapipe, seconds per matmul
    kernel), so this pass keeps the first of each set of kernels that are
    identical up to their symbol name, points the other dispatches'
    `tessera.kernel` at it and erases the rest.

    Two kernels are identical when their IR, printed with the module and
    function renamed alike, is the same text: a difference in any op,
    attribute or type keeps them apart.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // TESSERA_COMPILER_CODEGEN_PASSES

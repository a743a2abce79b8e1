// tessera-compile's phase boundaries, and its command-line errors.
// RUN: tessera-compile %s --compile-to=import | FileCheck %s --check-prefix=IMPORT
// RUN: tessera-compile %s --compile-to=raise | FileCheck %s --check-prefix=RAISE
// RUN: tessera-compile %s --compile-to=fuse | FileCheck %s --check-prefix=FUSE
// RUN: tessera-compile %s --compile-to=config --target=nvidia | FileCheck %s --check-prefix=CONFIG
// RUN: tessera-compile %s --compile-to=codegen | FileCheck %s --check-prefix=CODEGEN
// RUN: tessera-compile %s --compile-to=spirv | FileCheck %s --check-prefix=SPIRV
// RUN: tessera-compile %s -o %t.tsr --dump-dispatches=%t.dumps 2>&1 | FileCheck %s --check-prefix=SERIALIZE
// RUN: FileCheck %s --check-prefix=DUMP < %t.dumps/dispatch_0.txt
// RUN: tessera-compile %s -o %t.tsr --dim seq=1:4096 --dump-dispatches=%t.dumps-4096
// RUN: FileCheck %s --check-prefix=DUMP-4096 < %t.dumps-4096/dispatch_0.txt
// RUN: tessera-compile %s -o %t.tsr --timing 2>&1 | FileCheck %s --check-prefix=TIMING
// RUN: not tessera-compile %s --compile-to=optimize 2>&1 | FileCheck %s --check-prefix=BAD-PHASE
// RUN: not tessera-compile %s 2>&1 | FileCheck %s --check-prefix=NO-OUTPUT
// RUN: not tessera-compile %s -o %t.tsr --dim seq 2>&1 | FileCheck %s --check-prefix=BAD-DIM
// RUN: not tessera-compile %s -o %t.tsr --dim batch=4 2>&1 | FileCheck %s --check-prefix=UNKNOWN-DIM
// RUN: not tessera-compile %s -o %t.tsr --dim seq=9:3 2>&1 | FileCheck %s --check-prefix=BAD-BOUNDS
// RUN: not tessera-compile %s -o %t.tsr --target=quantum 2>&1 | FileCheck %s --check-prefix=BAD-TARGET
// RUN: not tessera-compile %t.missing.mlir -o %t.tsr 2>&1 | FileCheck %s --check-prefix=NO-FILE
// RUN: not tessera-compile %s -o %t.tsr --precision=f16 --target=generic 2>&1 | FileCheck %s --check-prefix=NO-FP16
// RUN: not tessera-compile %s -o %t.tsr --precision=f64 2>&1 | FileCheck %s --check-prefix=BAD-PRECISION

// IMPORT: %[[T:.*]] = tessera.transpose
// IMPORT: tessera.matmul %{{.*}}, %[[T]]
// RAISE-NOT: tessera.transpose
// RAISE: tessera.matmul {{.*}} {transpose_rhs = true}
// FUSE: tessera.dispatch
// FUSE: tessera.matmul
// FUSE-NEXT: tessera.add
// FUSE-NEXT: tessera.yield
// CONFIG: tessera.target = #tessera.target<name = "nvidia"
// CONFIG: tile_config = #tessera.tile_config<workgroup_size = [16, 16, 1]
// CODEGEN: gpu.module @dispatch_0
// CODEGEN: gpu.func @dispatch_0
// SPIRV-NOT: gpu.func
// SPIRV: spirv.module @__spv__dispatch_0
// SERIALIZE: tessera-compile: wrote {{.*}}.tsr ({{[0-9]+}} bytes: 1 dispatches, 0 barriers
// DUMP: // dispatch 0, kernel dispatch_0: root tessera.matmul
// The tile fits the rows' bound (seq <= 128 here; --dim overrides it).
// DUMP: // tile config: #tessera.tile_config<workgroup_size = [8, 8, 1], tile = [128, 64, 1], thread_tile = [16, 8]>
// DUMP: tessera.dispatch
// DUMP: // SPIR-V
// DUMP: OpEntryPoint GLCompute %dispatch_0 "dispatch_0"
// DUMP-4096: // tile config: #tessera.tile_config<workgroup_size = [8, 16, 1], tile = [256, 64, 1], thread_tile = [16, 8]>
// --timing: the peak memory, then each phase's time with the passes in it
// (serialize includes writing the file, which it streams).
// One line per phase as it ends, then the tree: passes nested in phases.
// TIMING: tessera-compile: import {{ *[0-9]+\.[0-9]+}} s
// TIMING-NEXT: tessera-compile: raise {{ *[0-9]+\.[0-9]+}} s
// TIMING-NEXT: tessera-compile: fuse {{ *[0-9]+\.[0-9]+}} s
// TIMING-NEXT: tessera-compile: config {{ *[0-9]+\.[0-9]+}} s
// TIMING-NEXT: tessera-compile: codegen {{ *[0-9]+\.[0-9]+}} s
// TIMING-NEXT: tessera-compile: spirv {{ *[0-9]+\.[0-9]+}} s
// TIMING-NEXT: tessera-compile: serialize {{ *[0-9]+\.[0-9]+}} s
// TIMING: tessera-compile: peak memory {{[0-9]+}} MiB
// TIMING: Execution time report
// TIMING: import
// TIMING: codegen
// TIMING-NEXT: TesseraBuildKernels
// TIMING: TesseraDeduplicateKernels
// TIMING: serialize
// BAD-PHASE: tessera-compile: unknown phase 'optimize'; phases are import, raise, fuse, config, codegen, spirv, serialize
// NO-OUTPUT: tessera-compile: no output file: pass -o model.tsr
// BAD-DIM: tessera-compile: --dim 'seq' is not NAME=N or NAME=MIN:MAX
// UNKNOWN-DIM: error: --dim names 'batch', which is no dynamic dimension of the model
// BAD-BOUNDS: error: dynamic dimension 'seq' has bounds 9:3; they must satisfy 0 <= MIN <= MAX
// BAD-TARGET: error: unknown target profile 'quantum'
// NO-FILE: {{.*}}missing.mlir: error: cannot open input file {{.*}}missing.mlir
// NO-FP16: error: f16 weights need 16-bit float support, which target 'generic' lacks
// BAD-PRECISION: for the --precision option: Cannot find option named 'f64'!

func.func @scores(%q: tensor<?x64xf32> {tessera.dims = ["seq", 64]}, %k: tensor<?x64xf32> {tessera.dims = ["seq", 64]}, %bias: tensor<?x?xf32> {tessera.dims = ["seq", "seq"]}) -> tensor<?x?xf32> attributes {tessera.dim_bounds = {seq = array<i64: 1, 128>}} {
  %kt = tessera.transpose %k, [1, 0] : tensor<?x64xf32> -> tensor<64x?xf32>
  %s = tessera.matmul %q, %kt : (tensor<?x64xf32>, tensor<64x?xf32>) -> tensor<?x?xf32>
  %r = tessera.add %s, %bias : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

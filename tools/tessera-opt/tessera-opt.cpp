//===- tessera-opt.cpp - Tessera's mlir-opt -------------------------------===//
//
// Runs passes over MLIR files: the tessera dialect, the upstream dialects the
// compiler lowers through, every Tessera pass, and the upstream passes a
// pipeline might need.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/Passes.h"
#include "compiler/Conversion/Passes.h"
#include "compiler/Transforms/Passes.h"
#include "dialects/tessera/IR/TesseraDialect.h"
#include "tools/Version.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::tessera::TesseraDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::gpu::GPUDialect,
                  mlir::math::MathDialect, mlir::memref::MemRefDialect,
                  mlir::scf::SCFDialect, mlir::spirv::SPIRVDialect,
                  mlir::tensor::TensorDialect, mlir::vector::VectorDialect>();

  mlir::tessera::registerTesseraPasses();
  mlir::tessera::registerTesseraCodegenPasses();
  mlir::tessera::registerTesseraConversionPasses();
  // Upstream passes that Tessera pipelines use or tests may want.
  mlir::registerTransformsPasses();
  llvm::cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    mlir::tessera::printToolVersion(os, "tessera-opt");
  });

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv,
      "Tessera optimizer driver: runs Tessera and upstream passes "
      "on MLIR files\n",
      registry));
}

//===- DeduplicateKernels.cpp - One kernel per distinct body --------------===//

#include "compiler/Codegen/Passes.h"
#include "dialects/tessera/IR/TesseraOps.h"

#include "llvm/ADT/StringMap.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERADEDUPLICATEKERNELS
#include "compiler/Codegen/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// The kernel module's text with its own name and its function's replaced
/// by one placeholder: equal texts are the same kernel. The names are put
/// back before returning.
std::string textWithoutName(gpu::GPUModuleOp kernel) {
  StringAttr moduleName = kernel.getSymNameAttr();
  SmallVector<std::pair<Operation *, StringAttr>> functions;
  for (auto function : kernel.getOps<gpu::GPUFuncOp>())
    functions.push_back({function, SymbolTable::getSymbolName(function)});
  kernel.setSymName("kernel");
  for (auto [function, name] : functions)
    if (name == moduleName)
      SymbolTable::setSymbolName(function, "kernel");
  std::string text;
  llvm::raw_string_ostream os(text);
  kernel->print(os, OpPrintingFlags().useLocalScope());
  kernel.setSymNameAttr(moduleName);
  for (auto [function, name] : functions)
    SymbolTable::setSymbolName(function, name);
  return text;
}

struct DeduplicateKernelsPass
    : tessera::impl::TesseraDeduplicateKernelsBase<DeduplicateKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<gpu::GPUModuleOp> firstWithText;
    DenseMap<StringAttr, gpu::GPUModuleOp> keptFor;
    for (auto kernel : module.getOps<gpu::GPUModuleOp>()) {
      auto [first, isNew] =
          firstWithText.try_emplace(textWithoutName(kernel), kernel);
      if (!isNew)
        keptFor[kernel.getSymNameAttr()] = first->second;
    }
    if (keptFor.empty())
      return;

    auto kernelAttr = TesseraDialect::KernelAttrHelper(&getContext());
    module.walk([&](DispatchOp dispatch) {
      SymbolRefAttr kernel = kernelAttr.getAttr(dispatch);
      if (!kernel)
        return;
      auto kept = keptFor.find(kernel.getRootReference());
      if (kept == keptFor.end())
        return;
      StringAttr name = kept->second.getSymNameAttr();
      // A kernel's function is named after its module (BuildKernels).
      kernelAttr.setAttr(
          dispatch, SymbolRefAttr::get(name, FlatSymbolRefAttr::get(name)));
    });
    for (auto &entry : keptFor)
      SymbolTable::lookupSymbolIn(module, entry.first)->erase();
  }
};

} // namespace

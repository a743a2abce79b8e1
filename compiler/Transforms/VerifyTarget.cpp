//===- VerifyTarget.cpp - Check a module against a device profile ---------===//

#include "compiler/Target/DeviceProfiles.h"
#include "compiler/Transforms/Passes.h"
#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERAVERIFYTARGET
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// A device feature an element type needs, and whether a profile has it.
struct Feature {
  StringRef name;
  StringRef description;
  bool (*supportedBy)(TargetAttr);
};

const Feature kFloat16 = {"fp16", "16-bit float support (shaderFloat16)",
                          [](TargetAttr t) { return t.supportsFloat16(); }};
const Feature kInt8 = {"int8", "8-bit integer support (shaderInt8)",
                       [](TargetAttr t) { return t.supportsInt8(); }};

/// The feature `elementType` needs, or null when every target has it.
/// Fails for element types no Vulkan target runs.
FailureOr<const Feature *> featureFor(Type elementType) {
  if (elementType.isF16())
    return &kFloat16;
  if (elementType.isInteger(8))
    return &kInt8;
  if (elementType.isF32() || elementType.isInteger(1) ||
      elementType.isInteger(32) || elementType.isInteger(64) ||
      elementType.isIndex())
    return static_cast<const Feature *>(nullptr);
  return failure();
}

struct FeatureUse {
  Operation *firstUser = nullptr;
  int64_t count = 0;
};

struct VerifyTargetPass
    : public tessera::impl::TesseraVerifyTargetBase<VerifyTargetPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    TargetAttr target = resolveTarget(module);
    if (!target)
      return signalPassFailure();

    llvm::MapVector<const Feature *, FeatureUse> uses;
    llvm::MapVector<Type, FeatureUse> unsupportedUses;
    // Pre-order, so that the first user reported is the first in the text.
    module.walk<WalkOrder::PreOrder>([&](Operation *op) {
      SmallVector<Type> types(op->getOperandTypes());
      llvm::append_range(types, op->getResultTypes());
      if (auto function = dyn_cast<FunctionOpInterface>(op)) {
        llvm::append_range(types, function.getArgumentTypes());
        llvm::append_range(types, function.getResultTypes());
      }
      // Each op counts once per feature, however many of its values need it.
      llvm::SmallPtrSet<const void *, 4> seen;
      auto record = [&](FeatureUse &use) {
        if (!use.firstUser)
          use.firstUser = op;
        ++use.count;
      };
      for (Type type : types) {
        Type elementType = getElementTypeOrSelf(type);
        FailureOr<const Feature *> feature = featureFor(elementType);
        if (failed(feature)) {
          if (seen.insert(elementType.getAsOpaquePointer()).second)
            record(unsupportedUses[elementType]);
        } else if (*feature && seen.insert(*feature).second) {
          record(uses[*feature]);
        }
      }
    });

    for (auto &[elementType, use] : unsupportedUses) {
      InFlightDiagnostic diag = use.firstUser->emitOpError()
                                << "uses " << elementType
                                << " tensors, which no Vulkan target of "
                                   "Tessera runs; convert the model to f32 "
                                   "or f16";
      if (use.count > 1)
        diag.attachNote() << use.count - 1
                          << " more op(s) in the module use it too";
    }

    bool missing = false;
    SmallVector<StringRef> requirements;
    for (auto &[feature, use] : uses) {
      requirements.push_back(feature->name);
      if (feature->supportedBy(target))
        continue;
      missing = true;
      InFlightDiagnostic diag = use.firstUser->emitOpError()
                                << "needs " << feature->description
                                << ", which target '" << target.getName()
                                << "' lacks";
      if (use.count > 1)
        diag.attachNote() << use.count - 1
                          << " more op(s) in the module need it too";
    }
    llvm::sort(requirements);

    Builder builder(&getContext());
    TesseraDialect::TargetAttrHelper(module->getContext())
        .setAttr(module, target);
    TesseraDialect::RequirementsAttrHelper(module->getContext())
        .setAttr(module, builder.getStrArrayAttr(requirements));
    if (emitRemarks) {
      InFlightDiagnostic remark = module.emitRemark()
                                  << "target '" << target.getName()
                                  << "' requirements: ";
      if (requirements.empty())
        remark << "none";
      llvm::interleaveComma(requirements, remark);
    }
    if (!unsupportedUses.empty() || missing)
      signalPassFailure();
  }

  TargetAttr resolveTarget(ModuleOp module) {
    if (targetName.empty()) {
      if (TargetAttr target = getModuleTarget(module))
        return target;
      module.emitError() << "no target profile: pass the pass option "
                            "'target=<name>' or set the module attribute '"
                         << TesseraDialect::TargetAttrHelper::getNameStr()
                         << "'";
      return nullptr;
    }
    if (TargetAttr target = lookupBuiltinProfile(&getContext(), targetName))
      return target;
    InFlightDiagnostic diag = module.emitError()
                              << "unknown target profile '" << targetName
                              << "'; built-in profiles are: ";
    llvm::interleaveComma(getBuiltinProfileNames(), diag);
    return nullptr;
  }
};

} // namespace

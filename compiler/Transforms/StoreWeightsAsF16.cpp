//===- StoreWeightsAsF16.cpp - Half-precision weight storage --------------===//
//
// Replaces each stored f32 constant by an f16 constant and a widening cast.
// The cast is a view (see isViewOp): the kernels reading the weight bind its
// f16 buffer and widen on load, so only the storage changes precision.
//
//===----------------------------------------------------------------------===//

#include "compiler/Target/DeviceProfiles.h"
#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RaisingUtils.h"
#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERASTOREWEIGHTSASF16
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// Constants this small (the size up to which the ONNX importer keeps
/// initializers inline) stay f32: they save a few bytes at most.
constexpr int64_t kMinElements = 17;

struct StoreWeightsAsF16Pass
    : public tessera::impl::TesseraStoreWeightsAsF16Base<
          StoreWeightsAsF16Pass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    TargetAttr target = getModuleTarget(function->getParentOp());
    if (target && !target.supportsFloat16()) {
      function.emitError() << "f16 weights need 16-bit float support, which "
                              "target '"
                           << target.getName() << "' lacks";
      return signalPassFailure();
    }
    SmallVector<ConstantOp> constants;
    function.walk([&](ConstantOp constant) {
      auto type = dyn_cast<RankedTensorType>(constant.getType());
      auto elements = dyn_cast<ElementsAttr>(constant.getValue());
      if (type && elements && type.getElementType().isF32() &&
          type.hasStaticShape() && type.getNumElements() >= kMinElements &&
          !elements.isSplat() && !isa<DispatchOp>(constant->getParentOp()))
        constants.push_back(constant);
    });
    for (ConstantOp constant : constants) {
      SmallVector<float> storage;
      std::optional<ArrayRef<float>> values =
          getF32Data(constant.getResult(), storage);
      if (!values)
        continue;
      std::optional<std::vector<uint16_t>> half = toHalfBits(*values);
      if (!half) {
        ++numOutOfRange;
        continue;
      }
      auto type = cast<RankedTensorType>(constant.getType());
      auto halfType = type.clone(Float16Type::get(&getContext()));
      std::string name = "f16_weight";
      if (auto resource =
              dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
        name = (resource.getRawHandle().getKey() + "_f16").str();
      OpBuilder builder(constant);
      Value stored = createResource(builder, constant.getLoc(), halfType,
                                    ArrayRef<uint16_t>(*half), name);
      auto widened = CastOp::create(builder, constant.getLoc(), type, stored);
      constant.replaceAllUsesWith(widened.getResult());
      constant.erase();
      ++numStored;
    }
  }
};

} // namespace

//===- BuildKernels.cpp - One gpu.func per dispatch region ----------------===//

#include "compiler/Codegen/KernelEmitter.h"
#include "compiler/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVAttributes.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVDialect.h"
#include "mlir/Dialect/SPIRV/IR/TargetAndABI.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERABUILDKERNELS
#include "compiler/Codegen/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// [prefix, DimExpr::encode()'s integers]
DenseI64ArrayAttr encode(Builder &b, const DimExpr &expr,
                         std::optional<int64_t> prefix = std::nullopt) {
  SmallVector<int64_t> values;
  if (prefix)
    values.push_back(*prefix);
  expr.encode(values);
  return b.getDenseI64ArrayAttr(values);
}

struct BuildKernelsPass
    : public tessera::impl::TesseraBuildKernelsBase<BuildKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
    for (func::FuncOp function : functions)
      if (failed(buildFunction(module, function)))
        return signalPassFailure();
  }

  LogicalResult buildFunction(ModuleOp module, func::FuncOp function) {
    SymbolicShapes shapes;
    if (failed(shapes.analyze(function)))
      return failure();
    BufferAssignment buffers;
    if (failed(buffers.analyze(function, shapes)))
      return failure();

    OpBuilder builder(module.getContext());
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    builder.getUnitAttr());
    SmallVector<Attribute> names;
    for (const DimSymbol &symbol : shapes.getSymbols())
      names.push_back(builder.getStringAttr(symbol.name));
    TesseraDialect::SymbolsAttrHelper(module->getContext())
        .setAttr(module, builder.getArrayAttr(names));

    // One gpu.module per dispatch: each becomes its own SPIR-V module, so
    // that validation errors and dumps name one dispatch.
    int index = 0;
    WalkResult result = function.walk([&](DispatchOp dispatch) {
      std::string name = "dispatch_" + std::to_string(index++);
      builder.setInsertionPointToEnd(module.getBody());
      auto kernels = gpu::GPUModuleOp::create(builder, dispatch.getLoc(), name);
      if (failed(buildKernel(kernels, dispatch, name, shapes,
                             buffers.getBindings(dispatch))))
        return WalkResult::interrupt();
      TesseraDialect::KernelAttrHelper(dispatch->getContext())
          .setAttr(dispatch,
                   SymbolRefAttr::get(
                       kernels.getNameAttr(),
                       {FlatSymbolRefAttr::get(module.getContext(), name)}));
      return WalkResult::advance();
    });
    return failure(result.wasInterrupted());
  }

  LogicalResult buildKernel(gpu::GPUModuleOp kernels, DispatchOp dispatch,
                            StringRef name, const SymbolicShapes &shapes,
                            const DispatchBindings &bindings) {
    TileConfigAttr config = dispatch.getTileConfigAttr();
    if (!config)
      return dispatch.emitOpError("has no tile config; run "
                                  "tessera-select-tile-configs first");
    FailureOr<KernelKind> kind = classifyDispatch(dispatch);
    if (failed(kind))
      return failure();

    MLIRContext *context = dispatch.getContext();
    OpBuilder builder(context);
    SmallVector<Type> arguments = {
        MemRefType::get({ShapedType::kDynamic}, builder.getI32Type())};
    // Buffers hold the element type of the value they were bound from: an
    // f16 weight read as f32 through a widening cast is an f16 buffer.
    SmallVector<Value> tensors;
    for (const Binding &input : bindings.inputs)
      tensors.push_back(input.base);
    tensors.push_back(bindings.output.base);
    SmallVector<int64_t> widths =
        selectInputLoadWidths(dispatch, *kind, bindings);
    widths.push_back(selectOutputStoreWidth(dispatch, *kind, bindings));
    for (auto [tensor, width] : llvm::zip(tensors, widths)) {
      Type elementType = getElementTypeOrSelf(tensor.getType());
      Type storage = getStorageElementType(elementType);
      if (!storage)
        return dispatch.emitOpError()
               << "uses " << elementType
               << " tensors, which kernels cannot hold yet (f32, f16, i32 and "
                  "i1 are supported)";
      // 16-byte loads: a vec4, or f16 pairs in the i32 lanes of one.
      if (width == 4)
        storage = VectorType::get({4}, storage);
      else if (width == 8)
        storage = VectorType::get({4}, builder.getI32Type());
      arguments.push_back(MemRefType::get({ShapedType::kDynamic}, storage));
    }
    // The index status buffer: one i32 word per checked gather.
    if (readsIndicesAtRunTime(dispatch))
      arguments.push_back(
          MemRefType::get({ShapedType::kDynamic}, builder.getI32Type()));
    builder.setInsertionPointToEnd(kernels.getBody());
    auto function =
        gpu::GPUFuncOp::create(builder, dispatch.getLoc(), name,
                               builder.getFunctionType(arguments, {}));
    function->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                      builder.getUnitAttr());
    ArrayRef<int64_t> size = config.getWorkgroupSize();
    function->setAttr(
        spirv::getEntryPointABIAttrName(),
        spirv::getEntryPointABIAttr(context, {static_cast<int32_t>(size[0]),
                                              static_cast<int32_t>(size[1]),
                                              static_cast<int32_t>(size[2])}));

    KernelEmitter emitter(function, dispatch, bindings, shapes, config);
    LogicalResult built = failure();
    switch (*kind) {
    case KernelKind::Matmul:
      built = isa<ConvOp>(dispatch.getRootOp()) ? buildConvKernel(emitter)
                                                : buildMatmulKernel(emitter);
      break;
    case KernelKind::Attention:
      built = buildAttentionKernel(emitter);
      break;
    case KernelKind::RowReduction:
      built = buildRowReductionKernel(emitter);
      break;
    case KernelKind::Elementwise:
      built = buildElementwiseKernel(emitter);
      break;
    }
    if (failed(built))
      return failure();
    emitter.builder().setInsertionPointToEnd(&function.getBody().front());
    emitter.reportIndexChecks();
    gpu::ReturnOp::create(emitter.builder(), dispatch.getLoc());

    const KernelSignature &signature = emitter.signature();
    SmallVector<Attribute> params, counts;
    for (const DimExpr &param : signature.params)
      params.push_back(encode(builder, param));
    for (const WorkgroupCount &count : signature.workgroups)
      counts.push_back(encode(builder, count.extent, count.divisor));
    if (signature.keepLoops)
      TesseraDialect::KeepLoopsAttrHelper(kernels->getContext())
          .setAttr(kernels, builder.getUnitAttr());
    // On the dispatch: the gpu.func is gone once lowered to SPIR-V.
    TesseraDialect::ParamsAttrHelper(dispatch->getContext())
        .setAttr(dispatch, builder.getArrayAttr(params));
    TesseraDialect::WorkgroupCountAttrHelper(dispatch->getContext())
        .setAttr(dispatch, builder.getArrayAttr(counts));
    if (!signature.indexChecks.empty())
      TesseraDialect::IndexChecksAttrHelper(dispatch->getContext())
          .setAttr(dispatch,
                   describeIndexChecks(builder, dispatch, signature.indexChecks,
                                       shapes));
    return success();
  }

  /// What the runtime needs to name a bad index: the node that reads it,
  /// the extent of the axis it indexes, the index tensor's shape, and the
  /// model input the index tensor is element for element (through
  /// row-major reshapes), or -1 when the model computes it.
  ArrayAttr describeIndexChecks(Builder &builder, DispatchOp dispatch,
                                ArrayRef<IndexCheck> indexChecks,
                                const SymbolicShapes &shapes) {
    SmallVector<Attribute> checks;
    for (const IndexCheck &check : indexChecks) {
      std::string what = "a " + check.op->getName().getStringRef().str();
      if (auto name = dyn_cast<NameLoc>(check.op->getLoc()))
        what = "node '" + name.getName().str() + "'";
      else if (auto file = dyn_cast<FileLineColLoc>(check.op->getLoc()))
        what = "the " + check.op->getName().getStringRef().str() + " at " +
               file.getFilename().str() + ":" + std::to_string(file.getLine()) +
               ":" + std::to_string(file.getColumn());
      SmallVector<Attribute> indexShape;
      for (const DimExpr &dim : shapes.getShape(check.indices))
        indexShape.push_back(encode(builder, dim));
      int64_t input = -1;
      Value source = check.indices;
      if (auto argument = dyn_cast<BlockArgument>(source))
        source = dispatch.getOperand(argument.getArgNumber());
      while (auto reshape = source.getDefiningOp<ReshapeOp>())
        source = reshape.getInput();
      if (auto argument = dyn_cast<BlockArgument>(source);
          argument && isa<func::FuncOp>(argument.getOwner()->getParentOp()))
        input = argument.getArgNumber();
      checks.push_back(builder.getDictionaryAttr({
          builder.getNamedAttr("what", builder.getStringAttr(what)),
          builder.getNamedAttr(
              "extent",
              encode(builder, shapes.getShape(check.indexed)[check.axis])),
          builder.getNamedAttr("indices", builder.getArrayAttr(indexShape)),
          builder.getNamedAttr("input", builder.getI64IntegerAttr(input)),
      }));
    }
    return builder.getArrayAttr(checks);
  }
};

} // namespace

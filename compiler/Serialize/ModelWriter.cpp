//===- ModelWriter.cpp - Write a compiled module as a .tsr file -----------===//

#include "compiler/Serialize/ModelWriter.h"

#include "compiler/Codegen/DispatchBindings.h"
#include "compiler/Codegen/KernelEmitter.h"
#include "compiler/Codegen/TileConfigs.h"
#include "compiler/Conversion/KernelsToSPIRV.h"
#include "compiler/Target/DeviceProfiles.h"
#include "dialects/tessera/IR/ShapeUtils.h"
#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/Format.h"

#include "tessera/tsr_format.h"
#include "tessera/tsr_generated.h"

using namespace mlir;
using namespace mlir::tessera;
namespace fb = flatbuffers;
namespace tsr = ::tessera::tsr;

namespace {

constexpr const char *kCompilerVersion = "tessera 0.1.0 (MLIR 22)";

struct PlannedBuffer {
  Value value;
  tsr::BufferKind kind;
  tsr::ElementType elementType;
  uint64_t maxSize = 0;
  uint64_t offset = 0;
  int64_t firstUse = std::numeric_limits<int64_t>::max();
  int64_t lastUse = -1;
};

FailureOr<tsr::ElementType> elementTypeOf(Value value) {
  Type type = getElementTypeOrSelf(value.getType());
  if (type.isF32())
    return tsr::ElementType::F32;
  if (type.isF16())
    return tsr::ElementType::F16;
  if (type.isInteger(32))
    return tsr::ElementType::I32;
  if (type.isInteger(1))
    return tsr::ElementType::Bool;
  return failure();
}

/// The bytes of a weight in its storage layout (booleans as i32).
/// The bytes of a weight as stored: a view of its resource blob (no copy:
/// at published sizes weights are hundreds of megabytes), or, for an
/// inline constant, its elements written into `scratch`.
FailureOr<ArrayRef<char>> weightData(ConstantOp constant,
                                     std::vector<char> &scratch) {
  Attribute value = constant.getValue();
  auto type = cast<RankedTensorType>(constant.getType());
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return constant.emitOpError("weight resource '")
             << resource.getRawHandle().getKey() << "' has no data in the file";
    ArrayRef<char> data = blob->getData();
    Type elementType = type.getElementType();
    uint64_t expected =
        type.getNumElements() * storedElementBytes(elementType);
    if (!elementType.isF32() && !elementType.isF16() &&
        !elementType.isInteger(32))
      return constant.emitOpError("resource weights must be f32, f16 or i32");
    if (data.size() != expected)
      return constant.emitOpError("weight resource '")
             << resource.getRawHandle().getKey() << "' holds " << data.size()
             << " bytes; " << type << " needs " << expected;
    return data;
  }
  auto dense = cast<DenseElementsAttr>(value);
  std::vector<char> &bytes = scratch;
  bytes.clear();
  auto append = [&](auto scalar) {
    const char *raw = reinterpret_cast<const char *>(&scalar);
    bytes.insert(bytes.end(), raw, raw + sizeof(scalar));
  };
  Type elementType = type.getElementType();
  if (elementType.isF32()) {
    for (float v : dense.getValues<float>())
      append(v);
  } else if (elementType.isF16()) {
    for (const APFloat &v : dense.getValues<APFloat>())
      append(static_cast<uint16_t>(v.bitcastToAPInt().getZExtValue()));
  } else if (elementType.isInteger(32)) {
    for (int32_t v : dense.getValues<int32_t>())
      append(v);
  } else if (elementType.isInteger(1)) {
    for (bool v : dense.getValues<bool>())
      append(static_cast<int32_t>(v));
  } else {
    return constant.emitOpError("constants of ")
           << elementType << " cannot be stored yet";
  }
  return ArrayRef<char>(bytes);
}

/// The first term in the table's own fields, the others in `terms`.
fb::Offset<tsr::DimExpr> writeDim(fb::FlatBufferBuilder &b,
                                  const DimExpr &expr) {
  auto writeTerm = [&](const DimExpr::Term &term,
                       const std::vector<fb::Offset<tsr::DimExpr>> *rest) {
    std::vector<uint32_t> symbols(term.symbols.begin(), term.symbols.end());
    return tsr::CreateDimExprDirect(b, term.coefficient, &symbols, rest);
  };
  ArrayRef<DimExpr::Term> terms = expr.getTerms();
  if (terms.empty())
    return writeTerm(DimExpr::Term{0, {}}, nullptr);
  std::vector<fb::Offset<tsr::DimExpr>> rest;
  for (const DimExpr::Term &term : terms.drop_front())
    rest.push_back(writeTerm(term, nullptr));
  return writeTerm(terms.front(), rest.empty() ? nullptr : &rest);
}

/// Decodes [prefix..., DimExpr::encode()'s integers] written by the kernel
/// builder (`skip` leading entries).
DimExpr decodeDim(DenseI64ArrayAttr attr, size_t skip) {
  std::optional<DimExpr> expr =
      DimExpr::decode(attr.asArrayRef().drop_front(skip));
  assert(expr && "malformed dim encoding from the kernel builder");
  return *expr;
}

/// The dispatch's index checks, as BuildKernels recorded them.
std::vector<fb::Offset<tsr::IndexCheck>>
writeIndexChecks(fb::FlatBufferBuilder &b, DispatchOp dispatch) {
  std::vector<fb::Offset<tsr::IndexCheck>> checks;
  auto recorded = TesseraDialect::IndexChecksAttrHelper(dispatch->getContext())
                      .getAttr(dispatch);
  if (!recorded)
    return checks;
  for (auto check : recorded.getAsRange<DictionaryAttr>()) {
    std::vector<fb::Offset<tsr::DimExpr>> indexShape;
    for (Attribute dim : check.getAs<ArrayAttr>("indices"))
      indexShape.push_back(writeDim(b, decodeDim(cast<DenseI64ArrayAttr>(dim), 0)));
    checks.push_back(tsr::CreateIndexCheckDirect(
        b, check.getAs<StringAttr>("what").getValue().str().c_str(),
        writeDim(b, decodeDim(check.getAs<DenseI64ArrayAttr>("extent"), 0)),
        &indexShape, check.getAs<IntegerAttr>("input").getInt()));
  }
  return checks;
}

std::vector<fb::Offset<tsr::DimExpr>> writeShape(fb::FlatBufferBuilder &b,
                                                 const SymbolicShape &shape) {
  std::vector<fb::Offset<tsr::DimExpr>> dims;
  for (const DimExpr &dim : shape)
    dims.push_back(writeDim(b, dim));
  return dims;
}

/// Reads the symbols' bounds: the function's `tessera.dim_bounds`, then the
/// options.
LogicalResult resolveBounds(func::FuncOp function, SymbolicShapes &shapes,
                            const ModelWriterOptions &options) {
  shapes.readBoundsAttribute(function);
  for (DimSymbol &symbol : shapes.getSymbols()) {
    if (symbol.isDerived())
      continue; // bounded by its definition, below
    if (auto it = options.dimBounds.find(symbol.name);
        it != options.dimBounds.end()) {
      symbol.lower = it->second.first;
      symbol.upper = it->second.second;
    }
    if (symbol.upper <= 0)
      return function.emitError()
             << "dynamic dimension '" << symbol.name
             << "' has no upper bound; pass --dim " << symbol.name
             << "=MIN:MAX (memory is planned for the bounds)";
    if (symbol.lower < 0 || symbol.lower > symbol.upper)
      return function.emitError()
             << "dynamic dimension '" << symbol.name << "' has bounds "
             << symbol.lower << ":" << symbol.upper
             << "; they must satisfy 0 <= MIN <= MAX";
  }
  shapes.boundDerivedDims(
      TesseraDialect::DimBoundsAttrHelper(function->getContext())
          .getAttr(function));
  for (const DimSymbol &symbol : shapes.getSymbols())
    if (symbol.isDerived() && symbol.lower > symbol.upper)
      return function.emitError() << "dynamic dimension '" << symbol.name
                                  << "' (" << shapes.formatDefinition(symbol)
                                  << ") takes no value allowed by the bounds";
  for (auto &entry : options.dimBounds)
    if (!shapes.lookupSymbol(entry.getKey()))
      return function.emitError()
             << "--dim names '" << entry.getKey()
             << "', which is no dynamic dimension of the model";
  return success();
}

bool overlaps(uint64_t a, uint64_t aSize, uint64_t b, uint64_t bSize) {
  return a < b + bSize && b < a + aSize;
}

/// First-fit placement of the arena buffers: two buffers may share bytes
/// only when no dispatch needs both.
uint64_t planArena(MutableArrayRef<PlannedBuffer> buffers) {
  SmallVector<PlannedBuffer *> order;
  for (PlannedBuffer &buffer : buffers)
    if (buffer.kind != tsr::BufferKind::Weight)
      order.push_back(&buffer);
  llvm::stable_sort(order, [](PlannedBuffer *a, PlannedBuffer *b) {
    return a->maxSize > b->maxSize;
  });
  SmallVector<PlannedBuffer *> placed;
  uint64_t arenaSize = 0;
  for (PlannedBuffer *buffer : order) {
    uint64_t offset = 0;
    bool moved = true;
    while (moved) {
      moved = false;
      for (PlannedBuffer *other : placed) {
        bool liveTogether = buffer->firstUse <= other->lastUse &&
                            other->firstUse <= buffer->lastUse;
        if (liveTogether &&
            overlaps(offset, buffer->maxSize, other->offset, other->maxSize)) {
          offset = tsr::alignTo(other->offset + other->maxSize,
                                tsr::kBufferAlignment);
          moved = true;
        }
      }
    }
    buffer->offset = offset;
    arenaSize = std::max(arenaSize, offset + buffer->maxSize);
    placed.push_back(buffer);
  }
  return tsr::alignTo(arenaSize, tsr::kBufferAlignment);
}

/// Barriers between dispatches: one only where a dispatch reads what an
/// earlier one wrote since the last barrier, or overwrites what an earlier
/// one still reads or wrote.
class BarrierSchedule {
public:
  struct Range {
    uint64_t offset, size;
  };
  /// Whether a dispatch reading `reads` and writing `write` must wait for
  /// the ones before it; records its accesses.
  bool needsBarrier(ArrayRef<Range> reads, Range write) {
    bool barrier = llvm::any_of(reads,
                                [&](Range r) {
                                  return intersects(r, writtenSinceBarrier_);
                                }) ||
                   intersects(write, writtenSinceBarrier_) ||
                   intersects(write, readSinceBarrier_);
    if (barrier) {
      ++barriers_;
      readSinceBarrier_.clear();
      writtenSinceBarrier_.clear();
    }
    llvm::append_range(readSinceBarrier_, reads);
    writtenSinceBarrier_.push_back(write);
    return barrier;
  }
  size_t getBarrierCount() const { return barriers_; }

private:
  static bool intersects(Range r, ArrayRef<Range> set) {
    return llvm::any_of(set, [&](Range o) {
      return overlaps(r.offset, r.size, o.offset, o.size);
    });
  }
  SmallVector<Range> readSinceBarrier_, writtenSinceBarrier_;
  size_t barriers_ = 0;
};

/// What the device must offer, gathered over the kernels.
struct GatheredNeeds {
  uint32_t maxInvocations = 0, maxShared = 0, shuffleGroup = 0;
  bool subgroupArithmetic = false;
};

/// Writes one compiled function as a .tsr file, in phases: plan the
/// buffers (kinds, sizes at the bounds, lifetimes, arena offsets), pack the
/// weights, write the dispatches (kernels, bindings, barriers, needs), the
/// signature, then the file.
class ModelBuilder {
public:
  ModelBuilder(ModuleOp module, func::FuncOp function, TargetAttr target,
               const ModelWriterOptions &options)
      : module_(module), function_(function), target_(target),
        options_(options), return_(cast<func::ReturnOp>(
                               function.getBody().front().getTerminator())) {}

  LogicalResult build(raw_ostream &os, ModelSummary *summary);

private:
  LogicalResult planBuffers();
  void recordLifetimes();
  LogicalResult packWeights();
  LogicalResult writeWeights(function_ref<void(ArrayRef<char>)> write) const;
  LogicalResult writeDispatch(DispatchOp dispatch);
  FailureOr<uint32_t> writeExecutable(DispatchOp dispatch);
  fb::Offset<tsr::TensorInfo> writeTensorInfo(Value value, StringRef name);
  fb::Offset<tsr::TargetNeeds> writeNeeds();
  LogicalResult writeFile(raw_ostream &os) const;
  /// Where the weights section starts: after the header and the model.
  uint64_t weightsOffset() const {
    return tsr::alignTo(tsr::kHeaderSize + b_.GetSize(),
                        tsr::kWeightsSectionAlignment);
  }
  void summarize(ModelSummary &summary) const;

  PlannedBuffer &bufferOf(Value base) {
    return buffers_[bufferIndex_.lookup(base)];
  }

  ModuleOp module_;
  func::FuncOp function_;
  TargetAttr target_;
  const ModelWriterOptions &options_;
  func::ReturnOp return_;

  SymbolicShapes shapes_;
  BufferAssignment assignment_;
  std::vector<PlannedBuffer> buffers_;
  llvm::DenseMap<Value, unsigned> bufferIndex_;
  SmallVector<DispatchOp> dispatches_;
  /// The weights section: each distinct weight's constant and offset, in
  /// offset order, and the section's size.
  struct StoredWeight {
    ConstantOp constant;
    uint64_t offset;
  };
  std::vector<StoredWeight> storedWeights_;
  uint64_t weightsSize_ = 0;
  uint64_t arenaSize_ = 0;

  fb::FlatBufferBuilder b_{1 << 16};
  llvm::StringMap<spirv::ModuleOp> spirvModules_;
  std::vector<fb::Offset<tsr::Executable>> executables_;
  /// Dispatches running the same kernel with the same params share an
  /// executable, so that the runtime creates its pipeline once.
  llvm::DenseMap<std::tuple<Attribute, Attribute, Attribute, Attribute>,
                 uint32_t>
      executableIndex_;
  std::vector<fb::Offset<tsr::Dispatch>> dispatchTable_;
  BarrierSchedule barriers_;
  GatheredNeeds needs_;
};

/// Buffers, in program order of their owners: kind, element type, size at
/// the bounds.
LogicalResult ModelBuilder::planBuffers() {
  for (Value owner : assignment_.getOwners()) {
    PlannedBuffer buffer;
    buffer.value = owner;
    if (isa<BlockArgument>(owner))
      buffer.kind = tsr::BufferKind::Input;
    else if (owner.getDefiningOp<ConstantOp>())
      buffer.kind = tsr::BufferKind::Weight;
    else if (llvm::is_contained(return_.getOperands(), owner))
      buffer.kind = tsr::BufferKind::Output;
    else
      buffer.kind = tsr::BufferKind::Activation;
    FailureOr<tsr::ElementType> elementType = elementTypeOf(owner);
    if (failed(elementType))
      return function_.emitError()
             << "a tensor of " << getElementTypeOrSelf(owner.getType())
             << " cannot be stored yet (f32, f16, i32 and i1 can)";
    buffer.elementType = *elementType;
    buffer.maxSize = static_cast<uint64_t>(shapes_.upperBound(
                         SymbolicShapes::product(shapes_.getShape(owner)))) *
                     storedElementBytes(getElementTypeOrSelf(owner.getType()));
    if (buffer.maxSize >
        static_cast<uint64_t>(target_.getMaxStorageBufferRange())) {
      const SymbolicShape &shape = shapes_.getShape(owner);
      SmallVector<std::string> dims, named;
      for (const DimExpr &dim : shape)
        dims.push_back(shapes_.format(dim));
      for (unsigned id :
           shapes_.collectInputDims(SymbolicShapes::product(shape)))
        named.push_back(shapes_.getSymbols()[id].name);
      InFlightDiagnostic error = function_.emitError();
      error << "a tensor of [" << llvm::join(dims, ", ") << "] takes "
            << buffer.maxSize
            << " bytes at the bounds, more than the largest storage-buffer "
               "binding of target '"
            << target_.getName() << "' (" << target_.getMaxStorageBufferRange()
            << " bytes); ";
      if (!named.empty())
        return error << "plan for smaller inputs with --dim on "
                     << llvm::join(named, ", ")
                     << " (Tessera splits only constant linear weights to fit)";
      return error << "Tessera splits constant linear weights to fit "
                      "(tessera-split-large-weights), not other tensors yet";
    }
    // An input is written before the first dispatch, read or not: one that
    // no dispatch reads still lives at dispatch 0, so that no buffer live
    // then shares its bytes (an unread input once overwrote a weight
    // input it shared them with).
    if (buffer.kind == tsr::BufferKind::Input)
      buffer.firstUse = buffer.lastUse = 0;
    if (buffer.kind == tsr::BufferKind::Output)
      buffer.lastUse = std::numeric_limits<int64_t>::max();
    bufferIndex_[owner] = buffers_.size();
    buffers_.push_back(buffer);
  }
  for (Value result : return_.getOperands())
    if (isa<BlockArgument>(result) || result.getDefiningOp<ConstantOp>())
      return return_.emitOpError("returns an input or a constant unchanged; "
                                 "Tessera needs every output computed");
  return success();
}

/// The schedule (dispatches in program order) and the lifetimes it
/// implies.
void ModelBuilder::recordLifetimes() {
  function_.walk([&](DispatchOp dispatch) { dispatches_.push_back(dispatch); });
  for (auto [i, dispatch] : llvm::enumerate(dispatches_)) {
    const DispatchBindings &bindings = assignment_.getBindings(dispatch);
    auto touch = [&, i = static_cast<int64_t>(i)](Value base) {
      PlannedBuffer &buffer = bufferOf(base);
      buffer.firstUse = std::min(buffer.firstUse, i);
      buffer.lastUse = std::max(buffer.lastUse, i);
    };
    for (const Binding &input : bindings.inputs)
      touch(input.base);
    touch(bindings.output.base);
  }
}

/// The weights section's plan: each weight 256-byte aligned, and stored
/// once where several constants hold the same bytes (a tied embedding: the
/// gathered table and, its transpose folded by the exporter and raised
/// back, the LM head's weight), which then share it. No bytes are copied
/// here: writeWeights streams them from the constants.
LogicalResult ModelBuilder::packWeights() {
  llvm::DenseMap<uint64_t, SmallVector<size_t, 1>> storedByChecksum;
  std::vector<char> scratch, earlierScratch;
  for (PlannedBuffer &buffer : buffers_) {
    if (buffer.kind != tsr::BufferKind::Weight)
      continue;
    auto constant = buffer.value.getDefiningOp<ConstantOp>();
    FailureOr<ArrayRef<char>> bytes = weightData(constant, scratch);
    if (failed(bytes))
      return failure();
    SmallVector<size_t, 1> &same =
        storedByChecksum[tsr::checksum(bytes->data(), bytes->size())];
    auto stored = llvm::find_if(same, [&](size_t index) {
      FailureOr<ArrayRef<char>> earlier =
          weightData(storedWeights_[index].constant, earlierScratch);
      return succeeded(earlier) && *earlier == *bytes;
    });
    if (stored != same.end()) {
      buffer.offset = storedWeights_[*stored].offset;
      continue;
    }
    buffer.offset = tsr::alignTo(weightsSize_, tsr::kBufferAlignment);
    weightsSize_ = buffer.offset + bytes->size();
    same.push_back(storedWeights_.size());
    storedWeights_.push_back({constant, buffer.offset});
  }
  return success();
}

/// Calls `write` with the weights section's bytes in order, zeros between
/// weights included, straight from the constants.
LogicalResult
ModelBuilder::writeWeights(function_ref<void(ArrayRef<char>)> write) const {
  static const char zeros[tsr::kBufferAlignment] = {};
  std::vector<char> scratch;
  uint64_t at = 0;
  for (const StoredWeight &weight : storedWeights_) {
    write(ArrayRef<char>(zeros, weight.offset - at));
    FailureOr<ArrayRef<char>> bytes = weightData(weight.constant, scratch);
    if (failed(bytes))
      return failure();
    write(*bytes);
    at = weight.offset + bytes->size();
  }
  return success();
}

/// The executable of a dispatch (validated SPIR-V, params, index checks),
/// written once per kernel and params; gathers what its kernel needs of
/// the device (read from the SPIR-V module).
FailureOr<uint32_t> ModelBuilder::writeExecutable(DispatchOp dispatch) {
  MLIRContext *context = dispatch->getContext();
  auto kernelRef = TesseraDialect::KernelAttrHelper(context).getAttr(dispatch);
  TileConfigAttr config = dispatch.getTileConfigAttr();
  if (!kernelRef || !config)
    return dispatch.emitOpError("has no kernel; compile through the codegen "
                                "phase first");
  std::string fusedOps = describeFusedOps(dispatch);
  auto key = std::make_tuple(
      Attribute(kernelRef),
      Attribute(TesseraDialect::ParamsAttrHelper(context).getAttr(dispatch)),
      Attribute(
          TesseraDialect::IndexChecksAttrHelper(context).getAttr(dispatch)),
      Attribute(StringAttr::get(context, fusedOps)));
  auto [known, isNew] = executableIndex_.try_emplace(key, executables_.size());
  if (!isNew)
    return known->second;
  uint32_t index = known->second;
  std::string entry = kernelRef.getLeafReference().str();
  auto found = spirvModules_.find(spirvModuleName(entry));
  if (found == spirvModules_.end())
    return dispatch.emitOpError("has no SPIR-V module '")
           << spirvModuleName(entry) << "'";
  FailureOr<SmallVector<uint32_t>> words = serializeKernel(found->second);
  if (failed(words))
    return failure();
  FailureOr<KernelKind> kind = classifyDispatch(dispatch);
  if (failed(kind))
    return failure();

  KernelNeeds kernelNeeds = readKernelNeeds(found->second);
  // Tile selection kept the planned bytes within the target's.
  if (int64_t planned = workgroupMemoryBytes(dispatch, *kind, config);
      kernelNeeds.workgroupMemoryBytes != planned)
    return dispatch.emitOpError("kernel allocates ")
           << kernelNeeds.workgroupMemoryBytes
           << " bytes of workgroup memory where tile selection planned "
           << planned;
  needs_.subgroupArithmetic |= kernelNeeds.subgroupArithmetic;
  // Shuffles sum an attention row's partial scores within a group of
  // invocations as wide as the head dim's split: subgroups must hold it.
  if (kernelNeeds.subgroupShuffle)
    needs_.shuffleGroup =
        std::max<uint32_t>(needs_.shuffleGroup, attentionHeadDimSplit(config));
  needs_.maxInvocations =
      std::max<uint32_t>(needs_.maxInvocations, config.getInvocations());
  needs_.maxShared =
      std::max<uint32_t>(needs_.maxShared, kernelNeeds.workgroupMemoryBytes);

  std::vector<fb::Offset<tsr::DimExpr>> params;
  for (Attribute param :
       TesseraDialect::ParamsAttrHelper(context).getAttr(dispatch))
    params.push_back(
        writeDim(b_, decodeDim(cast<DenseI64ArrayAttr>(param), 0)));
  std::vector<uint32_t> workgroupSize(config.getWorkgroupSize().begin(),
                                      config.getWorkgroupSize().end());
  std::vector<uint32_t> spirv(words->begin(), words->end());
  const DispatchBindings &bindings = assignment_.getBindings(dispatch);
  std::vector<fb::Offset<tsr::IndexCheck>> indexChecks =
      writeIndexChecks(b_, dispatch);
  executables_.push_back(tsr::CreateExecutableDirect(
      b_, entry.c_str(), entry.c_str(), &spirv, &workgroupSize,
      bindings.inputs.size() + 1, &params, kernelKindName(*kind).data(),
      fusedOps.c_str(), indexChecks.empty() ? nullptr : &indexChecks));
  return index;
}

/// One dispatch: its executable, its bindings, and whether it waits behind
/// a barrier.
LogicalResult ModelBuilder::writeDispatch(DispatchOp dispatch) {
  FailureOr<uint32_t> executable = writeExecutable(dispatch);
  if (failed(executable))
    return failure();
  MLIRContext *context = dispatch->getContext();
  const DispatchBindings &bindings = assignment_.getBindings(dispatch);
  std::vector<uint32_t> bound;
  SmallVector<BarrierSchedule::Range> reads;
  for (const Binding &input : bindings.inputs) {
    const PlannedBuffer &buffer = bufferOf(input.base);
    bound.push_back(bufferIndex_.lookup(input.base));
    if (buffer.kind != tsr::BufferKind::Weight)
      reads.push_back({buffer.offset, buffer.maxSize});
  }
  const PlannedBuffer &output = bufferOf(bindings.output.base);
  bound.push_back(bufferIndex_.lookup(bindings.output.base));
  bool barrier = barriers_.needsBarrier(reads, {output.offset, output.maxSize});

  std::vector<fb::Offset<tsr::WorkgroupCount>> counts;
  for (Attribute count :
       TesseraDialect::WorkgroupCountAttrHelper(context).getAttr(dispatch)) {
    auto encoded = cast<DenseI64ArrayAttr>(count);
    counts.push_back(tsr::CreateWorkgroupCount(
        b_, writeDim(b_, decodeDim(encoded, 1)), encoded[0]));
  }
  dispatchTable_.push_back(
      tsr::CreateDispatchDirect(b_, *executable, &bound, &counts, barrier));
  return success();
}

fb::Offset<tsr::TensorInfo> ModelBuilder::writeTensorInfo(Value value,
                                                          StringRef name) {
  auto shape = writeShape(b_, shapes_.getShape(value));
  return tsr::CreateTensorInfoDirect(b_, name.str().c_str(),
                                     bufferOf(value).elementType, &shape,
                                     bufferIndex_.lookup(value));
}

fb::Offset<tsr::TargetNeeds> ModelBuilder::writeNeeds() {
  uint64_t maxBinding = 0;
  for (const PlannedBuffer &buffer : buffers_)
    maxBinding = std::max(maxBinding, buffer.maxSize);
  bool fp16 = false, int8 = false;
  if (auto requirements =
          TesseraDialect::RequirementsAttrHelper(module_->getContext())
              .getAttr(module_))
    for (Attribute requirement : requirements) {
      fp16 |= cast<StringAttr>(requirement).getValue() == "fp16";
      int8 |= cast<StringAttr>(requirement).getValue() == "int8";
    }
  return tsr::CreateTargetNeedsDirect(
      b_, target_.getName().str().c_str(),
      /*Vulkan 1.1*/ (1u << 22) | (1u << 12), needs_.subgroupArithmetic, fp16,
      int8, needs_.maxInvocations, needs_.maxShared, maxBinding,
      /*subgroup_shuffle=*/needs_.shuffleGroup > 0, needs_.shuffleGroup);
}

/// Header, FlatBuffer, weights; sealed with the body's checksum.
/// Writes the file: the header (its checksums computed first, over the
/// body as it will be written), the model, then the weights section,
/// streamed from the constants rather than gathered into one buffer.
LogicalResult ModelBuilder::writeFile(raw_ostream &os) const {
  tsr::FileHeader header = {};
  std::memcpy(header.magic, tsr::kMagic, sizeof(header.magic));
  header.format_version = tsr::kFormatVersion;
  header.header_size = tsr::kHeaderSize;
  header.model_offset = tsr::kHeaderSize;
  header.model_size = b_.GetSize();
  header.weights_offset = weightsOffset();
  header.weights_size = weightsSize_;
  std::vector<char> body(header.weights_offset - header.model_offset, 0);
  std::memcpy(body.data(), b_.GetBufferPointer(), b_.GetSize());

  // The weights pass twice: once into the checksum, once into the file.
  uint64_t done = 0;
  auto progress = [&](size_t bytes) {
    done += bytes;
    if (options_.weightsProgress)
      options_.weightsProgress(done, 2 * weightsSize_);
  };
  tsr::ChecksumStream checksum;
  checksum.update(body.data(), body.size());
  if (failed(writeWeights([&](ArrayRef<char> bytes) {
        checksum.update(bytes.data(), bytes.size());
        progress(bytes.size());
      })))
    return failure();
  header.body_checksum = checksum.digest();
  header.header_checksum = tsr::headerChecksum(header);

  static_assert(sizeof(header) == tsr::kHeaderSize, "the header is whole");
  os.write(reinterpret_cast<const char *>(&header), sizeof(header));
  os.write(body.data(), body.size());
  return writeWeights([&](ArrayRef<char> bytes) {
    os.write(bytes.data(), bytes.size());
    progress(bytes.size());
  });
}

LogicalResult ModelBuilder::build(raw_ostream &os, ModelSummary *summary) {
  if (failed(shapes_.analyze(function_)) ||
      failed(resolveBounds(function_, shapes_, options_)) ||
      failed(assignment_.analyze(function_, shapes_)) || failed(planBuffers()))
    return failure();
  recordLifetimes();
  if (failed(packWeights()))
    return failure();
  arenaSize_ = planArena(buffers_);

  for (auto kernel : module_.getOps<spirv::ModuleOp>())
    if (std::optional<StringRef> name = kernel.getSymName())
      spirvModules_[*name] = kernel;
  for (DispatchOp dispatch : dispatches_)
    if (failed(writeDispatch(dispatch)))
      return failure();

  // Buffers and the I/O signature.
  std::vector<fb::Offset<tsr::Buffer>> bufferTable;
  for (const PlannedBuffer &buffer : buffers_) {
    auto shape = writeShape(b_, shapes_.getShape(buffer.value));
    bufferTable.push_back(
        tsr::CreateBufferDirect(b_, buffer.kind, buffer.elementType, &shape,
                                buffer.maxSize, buffer.offset));
  }
  StringRef nameAttr = TesseraDialect::NameAttrHelper::getNameStr();
  std::vector<fb::Offset<tsr::TensorInfo>> inputs, outputs;
  for (BlockArgument argument : function_.getArguments()) {
    auto name = function_.getArgAttrOfType<StringAttr>(argument.getArgNumber(),
                                                       nameAttr);
    inputs.push_back(writeTensorInfo(
        argument, name ? name.getValue().str()
                       : "input" + std::to_string(argument.getArgNumber())));
  }
  for (auto [i, result] : llvm::enumerate(return_.getOperands())) {
    auto name = function_.getResultAttrOfType<StringAttr>(i, nameAttr);
    outputs.push_back(writeTensorInfo(
        result, name ? name.getValue().str() : "output" + std::to_string(i)));
  }
  std::vector<fb::Offset<tsr::Symbol>> symbols;
  for (const DimSymbol &symbol : shapes_.getSymbols())
    symbols.push_back(tsr::CreateSymbolDirect(
        b_, symbol.name.c_str(), symbol.lower, symbol.upper,
        symbol.isDerived() ? writeDim(b_, symbol.numerator) : 0,
        symbol.divisor));

  auto needs = writeNeeds();
  auto metadata =
      tsr::CreateMetadataDirect(b_, options_.source.c_str(), kCompilerVersion);
  std::vector<fb::Offset<tsr::Resource>> resources;
  for (const auto &[name, data] : options_.resources) {
    auto bytes = b_.CreateVector(reinterpret_cast<const uint8_t *>(data.data()),
                                 data.size());
    resources.push_back(tsr::CreateResource(b_, b_.CreateString(name), bytes));
  }
  auto model = tsr::CreateModelDirect(
      b_, tsr::kFormatVersion, metadata, needs, &symbols, &inputs, &outputs,
      &bufferTable, &executables_, &dispatchTable_, arenaSize_, weightsSize_,
      resources.empty() ? nullptr : &resources);
  tsr::FinishModelBuffer(b_, model);

  if (failed(writeFile(os)))
    return failure();
  if (summary)
    summarize(*summary);
  return success();
}

/// What tessera-compile reports: counts, memory, and per attention
/// dispatch the key tiles its mask lets it skip at the bounds.
void ModelBuilder::summarize(ModelSummary &summary) const {
  summary.dispatchCount = dispatches_.size();
  summary.barrierCount = barriers_.getBarrierCount();
  summary.arenaSize = arenaSize_;
  summary.weightsSize = weightsSize_;
  summary.fileSize = weightsOffset() + weightsSize_;
  summary.unsharedSize = 0;
  for (const PlannedBuffer &buffer : buffers_)
    if (buffer.kind != tsr::BufferKind::Weight)
      summary.unsharedSize +=
          tsr::alignTo(buffer.maxSize, tsr::kBufferAlignment);
  for (DispatchOp dispatch : dispatches_) {
    auto attention = dyn_cast_if_present<AttentionOp>(dispatch.getRootOp());
    if (!attention)
      continue;
    // Lengths at their bounds, through the dispatch's operands.
    auto lengthBound = [&](Value operand) {
      Value outer =
          dispatch.getOperand(cast<BlockArgument>(operand).getArgNumber());
      return shapes_.upperBound(shapes_.getShape(outer)[2]);
    };
    int64_t queryLength = lengthBound(attention.getQueryRows());
    int64_t keyLength = lengthBound(attention.getKey());
    AttentionTileVisits visits = countAttentionTileVisits(
        attention.getMaskOrNone(), dispatch.getTileConfigAttr(), queryLength,
        keyLength);
    std::string note;
    llvm::raw_string_ostream os(note);
    os << "attention, mask " << attention.getMaskOrNone()
       << "; at Lq = " << queryLength << ", Lk = " << keyLength << " it visits "
       << visits.visited << " of " << visits.dense << " key tiles (";
    os << llvm::format("%.1f", 100.0 * visits.fraction())
       << "% of a dense kernel)";
    auto kernel = TesseraDialect::KernelAttrHelper(dispatch->getContext())
                      .getAttr(dispatch);
    summary.dispatchNotes[kernel.getLeafReference()] = note;
  }
}

} // namespace

LogicalResult mlir::tessera::writeModel(ModuleOp module,
                                        const ModelWriterOptions &options,
                                        raw_ostream &os,
                                        ModelSummary *summary) {
  SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
  if (functions.size() != 1)
    return module.emitError()
           << "expected one function to compile, found " << functions.size();
  TargetAttr target = getModuleTarget(module);
  if (!target)
    return module.emitError("no tessera.target on the module");
  return ModelBuilder(module, functions.front(), target, options)
      .build(os, summary);
}

FailureOr<std::vector<char>>
mlir::tessera::writeModel(ModuleOp module, const ModelWriterOptions &options,
                          ModelSummary *summary) {
  std::string bytes;
  llvm::raw_string_ostream os(bytes);
  if (failed(writeModel(module, options, os, summary)))
    return failure();
  os.flush();
  return std::vector<char>(bytes.begin(), bytes.end());
}

//===- KernelEmitter.cpp - Shared code of the kernel builders -------------===//

#include "compiler/Codegen/KernelEmitter.h"

#include "tessera/tsr_format.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SPIRV/IR/TargetAndABI.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <functional>
#include <limits>

using namespace mlir;
using namespace mlir::tessera;

Type mlir::tessera::getStorageElementType(Type elementType) {
  if (elementType.isF32() || elementType.isF16() || elementType.isInteger(32))
    return elementType;
  if (elementType.isInteger(1))
    return IntegerType::get(elementType.getContext(), 32);
  return nullptr;
}

KernelEmitter::KernelEmitter(gpu::GPUFuncOp function, DispatchOp dispatch,
                             const DispatchBindings &bindings,
                             const SymbolicShapes &shapes,
                             TileConfigAttr config)
    : builder_(function.getContext()), loc_(dispatch.getLoc()),
      function_(function), dispatch_(dispatch), bindings_(bindings),
      shapes_(shapes), config_(config) {
  builder_.setInsertionPointToStart(&function.getBody().front());
}

Value KernelEmitter::index(int64_t value) {
  return arith::ConstantIndexOp::create(builder_, loc_, value);
}

Value KernelEmitter::i32(int64_t value) {
  return arith::ConstantOp::create(builder_, loc_,
                                   builder_.getI32IntegerAttr(value));
}

Value KernelEmitter::f32(double value) {
  return arith::ConstantOp::create(builder_, loc_,
                                   builder_.getF32FloatAttr(value));
}

Value KernelEmitter::size(const DimExpr &expr) {
  if (expr.isConstant())
    return index(expr.getCoefficient());
  for (auto &[known, value] : paramValues_)
    if (known == expr)
      return value;
  // Read once, at the top of the kernel, so that every region can use it.
  OpBuilder::InsertionGuard guard(builder_);
  Block &entry = function_.getBody().front();
  builder_.setInsertionPointToStart(&entry);
  if (!paramValues_.empty())
    builder_.setInsertionPointAfter(paramValues_.back().second.getDefiningOp());
  Value slot = index(signature_.params.size());
  Value raw =
      memref::LoadOp::create(builder_, loc_, function_.getArgument(0), slot);
  Value value =
      arith::IndexCastOp::create(builder_, loc_, builder_.getIndexType(), raw);
  signature_.params.push_back(expr);
  paramValues_.push_back({expr, value});
  return value;
}

const SymbolicShape &KernelEmitter::shapeOf(Value value) const {
  return shapes_.getShape(value);
}

scf::ForOp KernelEmitter::forLoop(
    Value lower, Value upper, Value step, ValueRange init,
    function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  return scf::ForOp::create(
      builder_, loc_, lower, upper, step, init,
      [&](OpBuilder &nested, Location, Value iv, ValueRange args) {
        OpBuilder::InsertionGuard guard(builder_);
        builder_.setInsertionPoint(nested.getInsertionBlock(),
                                   nested.getInsertionPoint());
        scf::YieldOp::create(builder_, loc_, body(iv, args));
      });
}

Value KernelEmitter::threadId(gpu::Dimension dim) {
  return gpu::ThreadIdOp::create(builder_, loc_, dim);
}

Value KernelEmitter::subgroupShuffleXor(Value value, int64_t distance) {
  // SPIR-V's shuffle has no width; the conversion accepts only the width of
  // its target environment's subgroup, which Tessera leaves at the default.
  int32_t width =
      spirv::getDefaultResourceLimits(builder_.getContext()).getSubgroupSize();
  return gpu::ShuffleOp::create(builder_, loc_, value, distance, width,
                                gpu::ShuffleMode::XOR)
      .getShuffleResult();
}

Value KernelEmitter::invocationStart(gpu::Dimension dim, int64_t tile,
                                     int64_t perThread) {
  Value workgroup =
      arith::MulIOp::create(builder_, loc_, workgroupId(dim), index(tile));
  Value thread = threadId(dim);
  if (perThread != 1)
    thread = arith::MulIOp::create(builder_, loc_, thread, index(perThread));
  return arith::AddIOp::create(builder_, loc_, workgroup, thread);
}

Value KernelEmitter::workgroupId(gpu::Dimension dim) {
  return gpu::BlockIdOp::create(builder_, loc_, dim);
}

Value KernelEmitter::offset(const StridedView &view, ArrayRef<Value> indices) {
  Value result = size(view.offset);
  for (auto [stride, idx] : llvm::zip(view.strides, indices)) {
    if (stride == DimExpr::constant(0))
      continue;
    Value term = stride == DimExpr::constant(1)
                     ? idx
                     : arith::MulIOp::create(builder_, loc_, idx, size(stride))
                           .getResult();
    result = arith::AddIOp::create(builder_, loc_, result, term);
  }
  return result;
}

int64_t KernelEmitter::loadWidth(BlockArgument input) const {
  auto buffer = cast<MemRefType>(
      gpu::GPUFuncOp(function_).getArgumentTypes()[1 + input.getArgNumber()]);
  auto vector = dyn_cast<VectorType>(buffer.getElementType());
  if (!vector)
    return 1;
  // The i32 lanes of an f16 buffer hold pairs; other vectors (f32, the
  // words of quantized weights) one element per lane.
  bool packed = vector.getElementType().isInteger(32) &&
                getElementTypeOrSelf(
                    bindings_.inputs[input.getArgNumber()].base.getType())
                    .isF16();
  return vector.getNumElements() * (packed ? 2 : 1);
}

Value KernelEmitter::widen(Value loaded) {
  Type elementType = getElementTypeOrSelf(loaded.getType());
  if (!elementType.isF16())
    return loaded;
  Type wide = builder_.getF32Type();
  if (auto vector = dyn_cast<VectorType>(loaded.getType()))
    wide = vector.clone(wide);
  return arith::ExtFOp::create(builder_, loc_, wide, loaded);
}

Value KernelEmitter::loadVec4AtOffset(BlockArgument input, Value offset) {
  assert(loadWidth(input) == 4 && "input is not bound as vec4");
  Value buffer = function_.getArgument(1 + input.getArgNumber());
  Value slot = arith::ShRUIOp::create(builder_, loc_, offset, index(2));
  return widen(memref::LoadOp::create(builder_, loc_, buffer, slot));
}

SmallVector<Value> KernelEmitter::loadChunkAtOffset(BlockArgument input,
                                                    Value offset) {
  SmallVector<Value> values;
  if (loadWidth(input) == 4) {
    Value chunk = loadVec4AtOffset(input, offset);
    for (int64_t t = 0; t < 4; ++t)
      values.push_back(vector::ExtractOp::create(builder_, loc_, chunk, t));
    return values;
  }
  assert(loadWidth(input) == 8 && "input is not bound as vectors");
  // Eight f16 values in the four i32 lanes of one load: each lane is
  // reinterpreted as two halves (the lower first) and widened.
  Value buffer = function_.getArgument(1 + input.getArgNumber());
  Value slot = arith::ShRUIOp::create(builder_, loc_, offset, index(3));
  Value words = memref::LoadOp::create(builder_, loc_, buffer, slot);
  auto word = VectorType::get({1}, builder_.getI32Type());
  auto pair = VectorType::get({2}, builder_.getF16Type());
  for (int64_t lane = 0; lane < 4; ++lane) {
    Value bits = vector::BroadcastOp::create(
        builder_, loc_, word,
        vector::ExtractOp::create(builder_, loc_, words, lane));
    Value halves = widen(vector::BitCastOp::create(builder_, loc_, pair, bits));
    for (int64_t h = 0; h < 2; ++h)
      values.push_back(vector::ExtractOp::create(builder_, loc_, halves, h));
  }
  return values;
}

SmallVector<Value> KernelEmitter::loadRun(BlockArgument input, Value offset,
                                          Value stride, int64_t count) {
  SmallVector<Value> values;
  int64_t width = loadWidth(input);
  if (width > 1 && count % width == 0) {
    for (int64_t chunk = 0; chunk < count; chunk += width) {
      Value at = chunk == 0 ? offset
                            : arith::AddIOp::create(builder_, loc_, offset,
                                                    index(chunk))
                                  .getResult();
      llvm::append_range(values, loadChunkAtOffset(input, at));
    }
    return values;
  }
  for (int64_t t = 0; t < count; ++t) {
    Value at = offset;
    if (t > 0)
      at = arith::AddIOp::create(
          builder_, loc_, offset,
          arith::MulIOp::create(builder_, loc_, index(t), stride));
    values.push_back(loadAtOffset(input, at));
  }
  return values;
}

// Field `lane` to the top of the word, then an arithmetic shift down: the
// sign comes with it.
Value KernelEmitter::unpackQuantized(Value word, int64_t lane, int64_t bits) {
  int64_t left = 32 - bits * (lane + 1);
  return signedFieldAsF32(
      left == 0 ? word : arith::ShLIOp::create(builder_, loc_, word, i32(left)),
      bits);
}

Value KernelEmitter::unpackQuantized(Value word, Value lane, int64_t bits) {
  Value laneBits = arith::MulIOp::create(
      builder_, loc_,
      arith::IndexCastOp::create(builder_, loc_, builder_.getI32Type(), lane),
      i32(bits));
  Value left = arith::SubIOp::create(builder_, loc_, i32(32 - bits), laneBits);
  return signedFieldAsF32(arith::ShLIOp::create(builder_, loc_, word, left),
                          bits);
}

Value KernelEmitter::signedFieldAsF32(Value up, int64_t bits) {
  Value field = arith::ShRSIOp::create(builder_, loc_, up, i32(32 - bits));
  return arith::SIToFPOp::create(builder_, loc_, builder_.getF32Type(), field);
}

Value KernelEmitter::allocateWorkgroupMemory(int64_t count) {
  constexpr unsigned kWorkgroupMemorySpace = 3; // gpu.address_space<workgroup>
  return memref::AllocOp::create(
      builder_, loc_,
      MemRefType::get({count}, builder_.getF32Type(),
                      MemRefLayoutAttrInterface(),
                      builder_.getI64IntegerAttr(kWorkgroupMemorySpace)));
}

Value KernelEmitter::loadAtOffset(BlockArgument input, Value offset) {
  Value buffer = function_.getArgument(1 + input.getArgNumber());
  if (int64_t width = loadWidth(input); width > 1) {
    // One element of a vector-bound input: its lane of the chunk, chosen
    // by selects (static extracts lower everywhere; dynamic ones need not).
    SmallVector<Value> chunk = loadChunkAtOffset(
        input, arith::AndIOp::create(builder_, loc_, offset, index(-width)));
    Value lane = arith::AndIOp::create(builder_, loc_, offset, index(width - 1));
    Value result = chunk.back();
    for (int64_t i = width - 2; i >= 0; --i) {
      Value here = arith::CmpIOp::create(builder_, loc_,
                                         arith::CmpIPredicate::eq, lane,
                                         index(i));
      result = arith::SelectOp::create(builder_, loc_, here, chunk[i], result);
    }
    return result;
  }
  Value raw = memref::LoadOp::create(builder_, loc_, buffer, offset);
  Type elementType = cast<RankedTensorType>(input.getType()).getElementType();
  if (elementType.isInteger(1))
    return arith::CmpIOp::create(builder_, loc_, arith::CmpIPredicate::ne, raw,
                                 i32(0));
  return widen(raw);
}

Value KernelEmitter::loadInput(BlockArgument input, ArrayRef<Value> indices) {
  const StridedView &view = bindings_.inputs[input.getArgNumber()].view;
  return loadAtOffset(input, offset(view, indices));
}

void KernelEmitter::storeOutput(ArrayRef<Value> indices, Value value) {
  Value buffer = function_.getArgument(1 + bindings_.inputs.size());
  if (value.getType().isInteger(1))
    value =
        arith::ExtUIOp::create(builder_, loc_, builder_.getI32Type(), value);
  Type stored = cast<MemRefType>(buffer.getType()).getElementType();
  if (stored.isF16())
    value = arith::TruncFOp::create(builder_, loc_, stored, value);
  memref::StoreOp::create(builder_, loc_, value, buffer,
                          offset(bindings_.output.view, indices));
}

int64_t KernelEmitter::storeWidth() const {
  auto buffer =
      cast<MemRefType>(gpu::GPUFuncOp(function_)
                           .getArgumentTypes()[1 + bindings_.inputs.size()]);
  auto vector = dyn_cast<VectorType>(buffer.getElementType());
  return vector ? vector.getNumElements() : 1;
}

void KernelEmitter::storeOutputChunk(ArrayRef<Value> indices,
                                     ArrayRef<Value> values) {
  int64_t width = storeWidth();
  assert(static_cast<int64_t>(values.size()) == width &&
         "a chunk is one store's width");
  if (width == 1)
    return storeOutput(indices, values.front());
  Value buffer = function_.getArgument(1 + bindings_.inputs.size());
  Value chunk = vector::FromElementsOp::create(
      builder_, loc_, cast<MemRefType>(buffer.getType()).getElementType(),
      values);
  Value slot = arith::ShRUIOp::create(
      builder_, loc_, offset(bindings_.output.view, indices), index(2));
  memref::StoreOp::create(builder_, loc_, chunk, buffer, slot);
}

bool mlir::tessera::readsIndicesAtRunTime(DispatchOp dispatch) {
  return !dispatch.getBody().getOps<GatherOp>().empty() ||
         !dispatch.getBody().getOps<ScatterNDOp>().empty();
}

void KernelEmitter::checkIndex(const IndexCheck &check, ArrayRef<Value> place,
                               Value position, Value extent) {
  auto *known = llvm::find(signature_.indexChecks, check);
  size_t slot = known - signature_.indexChecks.begin();
  if (known == signature_.indexChecks.end()) {
    // The invocation's lowest bad place so far, in a private variable (a
    // register once the driver promotes it): no branch and no atomic where
    // indices are read, which cost lavapipe 1.6x on an embedding kernel.
    OpBuilder::InsertionGuard guard(builder_);
    builder_.setInsertionPointToStart(&function_.getBody().front());
    Value lowest = memref::AllocaOp::create(
        builder_, loc_,
        MemRefType::get({1}, builder_.getI32Type(), MemRefLayoutAttrInterface(),
                        builder_.getI64IntegerAttr(kPrivateMemorySpace)));
    memref::StoreOp::create(builder_, loc_, noBadIndex(), lowest,
                            ValueRange{index(0)});
    signature_.indexChecks.push_back(check);
    lowestBadPlaces_.push_back(lowest);
  }
  Value low = arith::SubIOp::create(builder_, loc_, index(0), extent);
  Value below = arith::CmpIOp::create(builder_, loc_, arith::CmpIPredicate::slt,
                                      position, low);
  Value above = arith::CmpIOp::create(builder_, loc_, arith::CmpIPredicate::sge,
                                      position, extent);
  Value outside = arith::OrIOp::create(builder_, loc_, below, above);
  // The flat place in the index tensor, row-major.
  const SymbolicShape &shape = shapeOf(check.indices);
  Value flat = index(0);
  for (auto [dim, coordinate] : llvm::zip(shape, place))
    flat = arith::AddIOp::create(
        builder_, loc_, arith::MulIOp::create(builder_, loc_, flat, size(dim)),
        coordinate);
  Value place32 =
      arith::IndexCastOp::create(builder_, loc_, builder_.getI32Type(), flat);
  Value candidate =
      arith::SelectOp::create(builder_, loc_, outside, place32, noBadIndex());
  Value lowest = lowestBadPlaces_[slot];
  Value sofar = memref::LoadOp::create(builder_, loc_, lowest, index(0));
  memref::StoreOp::create(
      builder_, loc_, arith::MinSIOp::create(builder_, loc_, sofar, candidate),
      lowest, ValueRange{index(0)});
}

Value KernelEmitter::fromEnd(Value position, Value extent) {
  Value negative = arith::CmpIOp::create(
      builder_, loc_, arith::CmpIPredicate::slt, position, index(0));
  return arith::SelectOp::create(
      builder_, loc_, negative,
      arith::AddIOp::create(builder_, loc_, position, extent), position);
}

Value KernelEmitter::noBadIndex() { return i32(::tessera::tsr::kNoBadIndex); }

void KernelEmitter::reportIndexChecks() {
  if (lowestBadPlaces_.empty())
    return;
  // One atomic per invocation and check, and only where it saw a bad
  // index: the lowest place over the invocations whatever their order.
  Value status = function_.getArgument(2 + bindings_.inputs.size());
  for (auto [slot, lowest] : llvm::enumerate(lowestBadPlaces_)) {
    Value place = memref::LoadOp::create(builder_, loc_, lowest, index(0));
    Value bad = arith::CmpIOp::create(builder_, loc_, arith::CmpIPredicate::ne,
                                      place, noBadIndex());
    scf::IfOp::create(builder_, loc_, bad, [&](OpBuilder &nested, Location) {
      memref::AtomicRMWOp::create(nested, loc_, arith::AtomicRMWKind::mins,
                                  place, status,
                                  ValueRange{arith::ConstantIndexOp::create(
                                      nested, loc_, slot)});
      scf::YieldOp::create(nested, loc_);
    });
  }
}

SmallVector<Value> KernelEmitter::delinearize(Value flat,
                                              ArrayRef<DimExpr> dims) {
  SmallVector<Value> indices(dims.size());
  for (int64_t d = static_cast<int64_t>(dims.size()) - 1; d >= 0; --d) {
    if (dims[d] == DimExpr::constant(1)) {
      indices[d] = index(0);
      continue;
    }
    if (d == 0) {
      indices[d] = flat;
      continue;
    }
    Value extent = size(dims[d]);
    indices[d] = arith::RemUIOp::create(builder_, loc_, flat, extent);
    flat = arith::DivUIOp::create(builder_, loc_, flat, extent);
  }
  return indices;
}

SmallVector<Value> KernelEmitter::ownIndices(Value value,
                                             ArrayRef<Value> indices) {
  // Trailing alignment; a dimension of 1 repeats its one element.
  const SymbolicShape &shape = shapeOf(value);
  size_t offset = indices.size() - shape.size();
  SmallVector<Value> own;
  for (size_t d = 0; d < shape.size(); ++d)
    own.push_back(shape[d] == DimExpr::constant(1) ? index(0)
                                                   : indices[d + offset]);
  return own;
}

Value KernelEmitter::isFirstOfRotaryPair(RotaryOp rotary, Value d) {
  int64_t distance = rotary.getPairDistance();
  return arith::CmpIOp::create(
      builder_, loc_, arith::CmpIPredicate::ult,
      arith::RemUIOp::create(builder_, loc_, d, index(2 * distance)),
      index(distance));
}

Value KernelEmitter::evaluate(Value value, ArrayRef<Value> indices,
                              const llvm::DenseMap<Value, Value> &known) {
  if (auto it = known.find(value); it != known.end())
    return it->second;
  if (auto argument = dyn_cast<BlockArgument>(value))
    return loadInput(argument, ownIndices(argument, indices));
  Operation *op = value.getDefiningOp();
  if (auto iota = dyn_cast<IotaOp>(op)) {
    // 1-D, aligned with the last index like any broadcast operand (a
    // length of 1 repeats its one element).
    Type element = cast<RankedTensorType>(value.getType()).getElementType();
    Value position = ownIndices(value, indices).front();
    if (std::optional<StringRef> start = iota.getStart()) {
      // The analysis that built shapes_ parsed it: its names exist.
      std::optional<DimExpr> first = shapes_.parseKnown(*start);
      assert(first && "iota start not analysed");
      position = arith::AddIOp::create(builder_, loc_, position, size(*first));
    }
    return arith::IndexCastOp::create(builder_, loc_, element, position);
  }
  if (auto gather = dyn_cast<GatherOp>(op)) {
    // result[pre, k..., post] = input[pre, indices[k...], post]; a negative
    // index counts from the end (ONNX). An index out of range is reported
    // through the status buffer, and clamped so that nothing is read out of
    // bounds meanwhile.
    int64_t axis = gather.getAxis();
    int64_t indexRank =
        cast<RankedTensorType>(gather.getIndices().getType()).getRank();
    SmallVector<Value> own = ownIndices(value, indices);
    ArrayRef<Value> place = ArrayRef<Value>(own).slice(axis, indexRank);
    Value position = evaluate(gather.getIndices(), place, known);
    position = arith::IndexCastOp::create(builder_, loc_,
                                          builder_.getIndexType(), position);
    Value extent = size(shapeOf(gather.getInput())[axis]);
    checkIndex({gather, gather.getIndices(), gather.getInput(), axis}, place,
               position, extent);
    position = fromEnd(position, extent);
    position = arith::MaxSIOp::create(builder_, loc_, position, index(0));
    position = arith::MinSIOp::create(
        builder_, loc_, position,
        arith::SubIOp::create(builder_, loc_, extent, index(1)));
    SmallVector<Value> source(ArrayRef<Value>(own).take_front(axis));
    source.push_back(position);
    llvm::append_range(source, ArrayRef<Value>(own).drop_front(axis + indexRank));
    return evaluate(gather.getInput(), source, known);
  }
  if (auto slice = dyn_cast<SliceOp>(op)) {
    // input index = start + index * step.
    SmallVector<Value> own = ownIndices(value, indices);
    SmallVector<Value> source;
    for (auto [d, i] : llvm::enumerate(own)) {
      std::optional<SliceExtent> extent = shapes_.sliceExtent(slice, d);
      assert(extent && "slice not analysed");
      if (extent->step != 1)
        i = arith::MulIOp::create(builder_, loc_, i, index(extent->step));
      if (extent->start != DimExpr::constant(0))
        i = arith::AddIOp::create(builder_, loc_, i, size(extent->start));
      source.push_back(i);
    }
    return evaluate(slice.getInput(), source, known);
  }
  if (auto dequantize = dyn_cast<DequantizeOp>(op)) {
    // One element, from its word and its group's scale (the matmul kernel
    // reads whole words instead: MatmulKernel.cpp).
    SmallVector<Value> own = ownIndices(value, indices);
    Value perWord = index(dequantize.getValuesPerWord());
    Value word = evaluate(
        dequantize.getPacked(),
        {own[0], arith::DivUIOp::create(builder_, loc_, own[1], perWord)},
        known);
    Value lane = arith::RemUIOp::create(builder_, loc_, own[1], perWord);
    Value quantized = unpackQuantized(word, lane, dequantize.getBits());
    SmallVector<Value> group = {
        own[0], arith::DivUIOp::create(builder_, loc_, own[1],
                                       index(dequantize.getGroupSize()))};
    if (Value zeroPoint = dequantize.getZeroPoint())
      quantized = arith::SubFOp::create(builder_, loc_, quantized,
                                        evaluate(zeroPoint, group, known));
    return arith::MulFOp::create(builder_, loc_, quantized,
                                 evaluate(dequantize.getScale(), group, known));
  }
  if (auto rotary = dyn_cast<RotaryOp>(op)) {
    // x · cos + partner · sin, the partner read at its own position
    // (RotaryOp::getPairDistance).
    SmallVector<Value> own = ownIndices(value, indices);
    Value d = own.back();
    int64_t distance = rotary.getPairDistance();
    Value first = isFirstOfRotaryPair(rotary, d);
    SmallVector<Value> partner = own;
    partner.back() = arith::SelectOp::create(
        builder_, loc_, first,
        arith::AddIOp::create(builder_, loc_, d, index(distance)),
        arith::SubIOp::create(builder_, loc_, d, index(distance)));
    Value x = evaluate(rotary.getInput(), own, known);
    Value other = evaluate(rotary.getInput(), partner, known);
    other = arith::SelectOp::create(
        builder_, loc_, first, arith::NegFOp::create(builder_, loc_, other),
        other);
    Value cos = evaluate(rotary.getCos(), own, known);
    Value sin = evaluate(rotary.getSin(), own, known);
    return arith::AddFOp::create(
        builder_, loc_, arith::MulFOp::create(builder_, loc_, x, cos),
        arith::MulFOp::create(builder_, loc_, other, sin));
  }
  if (auto resize = dyn_cast<ResizeOp>(op))
    return evaluateResize(resize, indices, known);
  if (isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ArgMaxOp>(op))
    return evaluateReduction(op, indices, known);
  if (auto pool = dyn_cast<PoolOp>(op))
    return evaluatePool(pool, indices, known);
  if (auto argsort = dyn_cast<ArgsortOp>(op))
    return evaluateArgsort(argsort, indices, known);
  if (auto scatter = dyn_cast<ScatterNDOp>(op))
    return evaluateScatterND(scatter, indices, known);
  if (auto norm = dyn_cast<LayerNormOp>(op))
    return evaluateNorm(norm, indices, known);
  if (auto transpose = dyn_cast<TransposeOp>(op)) {
    // A copy (a transpose returned as a model output, say).
    ArrayRef<int64_t> permutation = transpose.getPermutation();
    SmallVector<Value> own = ownIndices(value, indices);
    SmallVector<Value> source(permutation.size());
    for (auto [d, p] : llvm::enumerate(permutation))
      source[p] = own[d];
    return evaluate(transpose.getInput(), source, known);
  }
  if (auto broadcast = dyn_cast<BroadcastOp>(op))
    // Trailing alignment and 1-dims, as for any broadcast operand.
    return evaluate(broadcast.getInput(),
                    indices.drop_front(
                        indices.size() -
                        cast<RankedTensorType>(broadcast.getType()).getRank()),
                    known);
  if (auto concat = dyn_cast<ConcatOp>(op)) {
    // Only the part the index falls in is read, in a chain of branches on
    // the position: one load per element (each load is a loop over the
    // SIMD lanes on lavapipe; reading every part at a clamped index and
    // selecting took one per part, and a decoding step's cache
    // concatenations spent a quarter of the step in them).
    int64_t axis = concat.getAxis();
    SmallVector<Value> own = ownIndices(value, indices);
    OperandRange parts = concat.getInputs();
    std::function<Value(size_t, Value)> readFrom = [&](size_t p,
                                                       Value start) -> Value {
      SmallVector<Value> source = own;
      source[axis] = arith::SubIOp::create(builder_, loc_, own[axis], start);
      if (p + 1 == parts.size())
        return evaluate(parts[p], source, known);
      Value end = arith::AddIOp::create(builder_, loc_, start,
                                        size(shapeOf(parts[p])[axis]));
      Value inPart = arith::CmpIOp::create(
          builder_, loc_, arith::CmpIPredicate::slt, own[axis], end);
      // Each branch is emitted through builder_, moved into its block.
      auto branch = [&](function_ref<Value()> body) {
        return [&, body](OpBuilder &b, Location) {
          OpBuilder::InsertionGuard guard(builder_);
          builder_.setInsertionPoint(b.getInsertionBlock(),
                                     b.getInsertionPoint());
          scf::YieldOp::create(builder_, loc_, body());
        };
      };
      return scf::IfOp::create(builder_, loc_, inPart, branch([&] {
                                 return evaluate(parts[p], source, known);
                               }),
                               branch([&] { return readFrom(p + 1, end); }))
          .getResult(0);
    };
    return readFrom(0, index(0));
  }
  if (auto reshape = dyn_cast<ReshapeOp>(op)) {
    // A copy, or the view of a value computed in place (an iota): the
    // row-major position in the result is the same position in the input.
    const SymbolicShape &resultShape = shapeOf(value);
    SmallVector<Value> own = ownIndices(value, indices);
    Value flat = index(0);
    for (size_t d = 0; d < resultShape.size(); ++d)
      flat = arith::AddIOp::create(
          builder_, loc_,
          arith::MulIOp::create(builder_, loc_, flat, size(resultShape[d])),
          own[d]);
    return evaluate(reshape.getInput(),
                    delinearize(flat, shapeOf(reshape.getInput())), known);
  }
  if (auto constant = dyn_cast<ConstantOp>(op)) {
    auto splat = cast<DenseElementsAttr>(constant.getValue());
    if (splat.getElementType().isF16())
      return f32(splat.getSplatValue<APFloat>().convertToFloat());
    return arith::ConstantOp::create(
        builder_, loc_, cast<TypedAttr>(splat.getSplatValue<Attribute>()));
  }
  SmallVector<Value> operands;
  for (Value operand : op->getOperands())
    operands.push_back(evaluate(operand, indices, known));
  if (auto rule = dyn_cast<ScalarRuleOpInterface>(op))
    return rule.buildScalarRule(builder_, loc_, operands,
                                getComputeElementType);
  return Value();
}

Value KernelEmitter::evaluateReduction(
    Operation *op, ArrayRef<Value> indices,
    const llvm::DenseMap<Value, Value> &known) {
  Value input = op->getOperand(0);
  const SymbolicShape &inputShape = shapeOf(input);
  SmallVector<int64_t> axes;
  bool keepdims;
  if (auto argmax = dyn_cast<ArgMaxOp>(op)) {
    axes.push_back(argmax.getAxis());
    keepdims = argmax.getKeepdims();
  } else {
    llvm::append_range(
        axes, op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef());
    keepdims = op->getAttrOfType<BoolAttr>("keepdims").getValue();
  }
  size_t offset =
      indices.size() - cast<RankedTensorType>(op->getResult(0).getType()).getRank();
  ArrayRef<Value> own = indices.drop_front(offset);
  SmallVector<DimExpr> reducedDims;
  for (int64_t axis : axes)
    reducedDims.push_back(inputShape[axis]);
  Value count = size(SymbolicShapes::product(reducedDims));

  Type element = getElementTypeOrSelf(input.getType());
  bool isFloat = isa<FloatType>(element);
  bool isMax = isa<ReduceMaxOp, ArgMaxOp>(op);
  Value init;
  if (isMax)
    init = isFloat ? f32(-std::numeric_limits<float>::infinity())
                   : arith::ConstantOp::create(
                         builder_, loc_,
                         builder_.getIntegerAttr(
                             element, APInt::getSignedMinValue(
                                          element.getIntOrFloatBitWidth())));
  else
    init = isFloat ? f32(0.0)
                   : arith::ConstantOp::create(
                         builder_, loc_, builder_.getIntegerAttr(element, 0));
  SmallVector<Value> inits = {init};
  if (isa<ArgMaxOp>(op))
    inits.push_back(index(0));
  auto loop = scf::ForOp::create(builder_, loc_, index(0), count, index(1),
                                 inits);
  {
    OpBuilder::InsertionGuard guard(builder_);
    builder_.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> reduced =
        delinearize(loop.getInductionVar(), reducedDims);
    // The input's indices: reduced axes from the loop, the others from the
    // result (skipping its size-1 dims where keepdims kept them).
    SmallVector<Value> source;
    size_t next = 0;
    for (int64_t d = 0, e = inputShape.size(); d < e; ++d) {
      auto it = llvm::find(axes, d);
      if (it != axes.end()) {
        source.push_back(reduced[it - axes.begin()]);
        if (keepdims)
          ++next;
        continue;
      }
      source.push_back(own[next++]);
    }
    Value x = evaluate(input, source, known);
    Value acc = loop.getRegionIterArgs()[0];
    SmallVector<Value> results;
    if (auto argmax = dyn_cast<ArgMaxOp>(op)) {
      // Ties go to the later element only when it asks for the last index.
      bool last = argmax.getSelectLastIndex();
      Value greater =
          isFloat ? arith::CmpFOp::create(builder_, loc_,
                                          last ? arith::CmpFPredicate::OGE
                                               : arith::CmpFPredicate::OGT,
                                          x, acc)
                        .getResult()
                  : arith::CmpIOp::create(builder_, loc_,
                                          last ? arith::CmpIPredicate::sge
                                               : arith::CmpIPredicate::sgt,
                                          x, acc)
                        .getResult();
      results.push_back(arith::SelectOp::create(builder_, loc_, greater, x, acc));
      results.push_back(arith::SelectOp::create(builder_, loc_, greater,
                                                loop.getInductionVar(),
                                                loop.getRegionIterArgs()[1]));
    } else if (isMax) {
      results.push_back(
          isFloat ? arith::MaximumFOp::create(builder_, loc_, acc, x).getResult()
                  : arith::MaxSIOp::create(builder_, loc_, acc, x).getResult());
    } else {
      results.push_back(
          isFloat ? arith::AddFOp::create(builder_, loc_, acc, x).getResult()
                  : arith::AddIOp::create(builder_, loc_, acc, x).getResult());
    }
    scf::YieldOp::create(builder_, loc_, results);
  }
  if (isa<ArgMaxOp>(op))
    return arith::IndexCastOp::create(
        builder_, loc_, getElementTypeOrSelf(op->getResult(0).getType()),
        loop.getResult(1));
  Value result = loop.getResult(0);
  if (isa<ReduceMeanOp>(op)) {
    Value n = arith::IndexCastOp::create(builder_, loc_,
                                         builder_.getI32Type(), count);
    result = isFloat
                 ? arith::DivFOp::create(
                       builder_, loc_, result,
                       arith::SIToFPOp::create(builder_, loc_,
                                               builder_.getF32Type(), n))
                       .getResult()
                 : arith::DivSIOp::create(builder_, loc_, result, n).getResult();
  }
  return result;
}

Value KernelEmitter::evaluatePool(PoolOp pool, ArrayRef<Value> indices,
                                  const llvm::DenseMap<Value, Value> &known) {
  OpBuilder &b = builder_;
  auto inputType = cast<RankedTensorType>(pool.getInput().getType());
  int64_t spatial = inputType.getRank() - 2;
  SmallVector<Value> own(indices.take_back(inputType.getRank()));
  ArrayRef<int64_t> kernel = pool.getKernel(), strides = pool.getStrides(),
                    pads = pool.getPads(), dilations = pool.getDilations();
  bool isMax = pool.getKind() == PoolKind::Max;
  SmallVector<Value> origins;
  for (int64_t d = 0; d < spatial; ++d)
    origins.push_back(arith::SubIOp::create(
        b, loc_, arith::MulIOp::create(b, loc_, own[2 + d], index(strides[d])),
        index(pads[d])));
  Value one = f32(1.0), zero = f32(0.0);
  // Window position `k` (one index per spatial axis) into the running
  // maximum or sum and count: read where it lies inside the input (at a
  // clamped index), counted where inside the input or, with
  // count_include_pad, the padded input.
  auto accumulate = [&](ArrayRef<Value> k, Value acc,
                        Value count) -> std::pair<Value, Value> {
    SmallVector<Value> source(own.begin(), own.begin() + 2);
    Value inside, inPadded;
    for (int64_t d = 0; d < spatial; ++d) {
      const DimExpr &extent = shapeOf(pool.getInput())[2 + d];
      Value position = arith::AddIOp::create(
          b, loc_, origins[d],
          arith::MulIOp::create(b, loc_, k[d], index(dilations[d])));
      Value in = arith::CmpIOp::create(b, loc_, arith::CmpIPredicate::ult,
                                       position, size(extent));
      // position + pt < size + pt + pb, as unsigned: inside the padding.
      Value padded = arith::CmpIOp::create(
          b, loc_, arith::CmpIPredicate::ult,
          arith::AddIOp::create(b, loc_, position, index(pads[d])),
          size(extent + DimExpr::constant(pads[d] + pads[spatial + d])));
      source.push_back(
          arith::SelectOp::create(b, loc_, in, position, index(0)));
      inside =
          inside ? arith::AndIOp::create(b, loc_, inside, in).getResult() : in;
      inPadded =
          inPadded
              ? arith::AndIOp::create(b, loc_, inPadded, padded).getResult()
              : padded;
    }
    Value x = evaluate(pool.getInput(), source, known);
    if (isMax)
      return {
          arith::SelectOp::create(
              b, loc_, inside, arith::MaximumFOp::create(b, loc_, acc, x), acc),
          count};
    return {
        arith::AddFOp::create(
            b, loc_, acc, arith::SelectOp::create(b, loc_, inside, x, zero)),
        arith::AddFOp::create(b, loc_, count,
                              arith::SelectOp::create(
                                  b, loc_,
                                  pool.getCountIncludePad() ? inPadded : inside,
                                  one, zero))};
  };
  Value acc = f32(isMax ? -std::numeric_limits<float>::infinity() : 0.0);
  Value count = zero;
  int64_t positions = 1;
  for (int64_t k : kernel)
    positions *= k;
  // The window position `p`'s index along each axis, row-major.
  auto windowIndices = [&](auto p, auto divide, auto remainder) {
    SmallVector<decltype(p)> k(spatial);
    for (int64_t d = spatial - 1; d >= 0; --d) {
      k[d] = remainder(p, kernel[d]);
      p = divide(p, kernel[d]);
    }
    return k;
  };
  // Small windows (3x3, 7x7) unrolled; larger ones (PyTorch's dilated
  // 60x80) as a loop, so that the kernel's size does not grow with them.
  constexpr int64_t kMaxUnrolled = 64;
  if (positions <= kMaxUnrolled) {
    for (int64_t p = 0; p < positions; ++p) {
      SmallVector<int64_t> k = windowIndices(
          p, [](int64_t v, int64_t n) { return v / n; },
          [](int64_t v, int64_t n) { return v % n; });
      SmallVector<Value> at;
      for (int64_t v : k)
        at.push_back(index(v));
      std::tie(acc, count) = accumulate(at, acc, count);
    }
  } else {
    auto loop =
        forLoop(index(0), index(positions), index(1), {acc, count},
                [&](Value p, ValueRange carried) -> SmallVector<Value> {
                  SmallVector<Value> at = windowIndices(
                      p,
                      [&](Value v, int64_t n) -> Value {
                        return arith::DivUIOp::create(b, loc_, v, index(n));
                      },
                      [&](Value v, int64_t n) -> Value {
                        return arith::RemUIOp::create(b, loc_, v, index(n));
                      });
                  auto [nextAcc, nextCount] =
                      accumulate(at, carried[0], carried[1]);
                  return {nextAcc, nextCount};
                });
    acc = loop.getResult(0);
    count = loop.getResult(1);
  }
  return isMax ? acc : arith::DivFOp::create(b, loc_, acc, count).getResult();
}

Value KernelEmitter::evaluateArgsort(
    ArgsortOp argsort, ArrayRef<Value> indices,
    const llvm::DenseMap<Value, Value> &known) {
  OpBuilder &b = builder_;
  Value input = argsort.getInput();
  auto type = cast<RankedTensorType>(input.getType());
  int64_t axis = argsort.getAxis();
  Value length = index(type.getDimSize(axis));
  SmallVector<Value> own(indices.take_back(type.getRank()));
  Value rank = own[axis];
  // x[i] comes before x[j]: smaller (larger when descending), or equal
  // with the lower index.
  auto before = [&](Value xi, Value xj, Value i, Value j) -> Value {
    Value strictly = buildComparison(
        b, loc_,
        argsort.getDescending() ? ComparePredicate::GT : ComparePredicate::LT,
        xi, xj);
    Value equal = buildComparison(b, loc_, ComparePredicate::EQ, xi, xj);
    Value lower =
        arith::CmpIOp::create(b, loc_, arith::CmpIPredicate::ult, i, j);
    return arith::OrIOp::create(b, loc_, strictly,
                                arith::AndIOp::create(b, loc_, equal, lower));
  };
  auto at = [&](Value position) {
    SmallVector<Value> source(own);
    source[axis] = position;
    return evaluate(input, source, known);
  };
  // The element whose rank (how many come before it) is this position.
  auto outer = forLoop(
      index(0), length, index(1), {index(0)},
      [&](Value j, ValueRange found) -> SmallVector<Value> {
        Value xj = at(j);
        auto count =
            forLoop(index(0), length, index(1), {index(0)},
                    [&](Value i, ValueRange acc) -> SmallVector<Value> {
                      Value one = arith::SelectOp::create(
                          b, loc_, before(at(i), xj, i, j), index(1), index(0));
                      return {arith::AddIOp::create(b, loc_, acc[0], one)};
                    });
        Value hit = arith::CmpIOp::create(b, loc_, arith::CmpIPredicate::eq,
                                          count.getResult(0), rank);
        return {arith::SelectOp::create(b, loc_, hit, j, found[0])};
      });
  return arith::IndexCastOp::create(b, loc_, b.getI32Type(),
                                    outer.getResult(0));
}

Value KernelEmitter::evaluateScatterND(
    ScatterNDOp scatter, ArrayRef<Value> indices,
    const llvm::DenseMap<Value, Value> &known) {
  OpBuilder &b = builder_;
  auto dataType = cast<RankedTensorType>(scatter.getData().getType());
  SmallVector<Value> own(indices.take_back(dataType.getRank()));
  const SymbolicShape &tuples = shapeOf(scatter.getIndices());
  const SymbolicShape &dataShape = shapeOf(scatter.getData());
  ArrayRef<DimExpr> positions = ArrayRef<DimExpr>(tuples).drop_back();
  int64_t tuple = tuples.back().getCoefficient();
  Value count = size(SymbolicShapes::product(positions));
  Value original = evaluate(scatter.getData(), own, known);
  // Every tuple in order: the last that names this element's slice wins.
  auto loop = forLoop(
      index(0), count, index(1), {original},
      [&](Value q, ValueRange acc) -> SmallVector<Value> {
        SmallVector<Value> at = delinearize(q, positions);
        Value match;
        for (int64_t k = 0; k < tuple; ++k) {
          SmallVector<Value> place(at);
          place.push_back(index(k));
          Value position = arith::IndexCastOp::create(
              b, loc_, b.getIndexType(),
              evaluate(scatter.getIndices(), place, known));
          Value extent = size(dataShape[k]);
          checkIndex({scatter, scatter.getIndices(), scatter.getData(), k},
                     place, position, extent);
          position = fromEnd(position, extent);
          Value same = arith::CmpIOp::create(b, loc_, arith::CmpIPredicate::eq,
                                             position, own[k]);
          match = match
                      ? arith::AndIOp::create(b, loc_, match, same).getResult()
                      : same;
        }
        SmallVector<Value> source(at);
        llvm::append_range(source, ArrayRef<Value>(own).drop_front(tuple));
        Value update = evaluate(scatter.getUpdates(), source, known);
        return {arith::SelectOp::create(b, loc_, match, update, acc[0])};
      });
  return loop.getResult(0);
}

Value KernelEmitter::evaluateNorm(LayerNormOp norm, ArrayRef<Value> indices,
                                  const llvm::DenseMap<Value, Value> &known) {
  // Only a kernel that computed the row's statistics gets here (the matmul
  // kernel, for its dispatch's recomputed norm).
  assert(normMean_ && normInverseStd_ && "no statistics for the layer norm");
  size_t offset =
      indices.size() - cast<RankedTensorType>(norm.getType()).getRank();
  ArrayRef<Value> own = indices.drop_front(offset);
  Value x = evaluate(norm.getInput(), own, known);
  Value y = arith::MulFOp::create(
      builder_, loc_, arith::SubFOp::create(builder_, loc_, x, normMean_),
      normInverseStd_);
  // Scale and bias span the last dim (the only one normalised).
  if (Value scale = norm.getScale())
    y = arith::MulFOp::create(builder_, loc_, y,
                              evaluate(scale, own.take_back(), known));
  if (Value bias = norm.getBias())
    y = arith::AddFOp::create(builder_, loc_, y,
                              evaluate(bias, own.take_back(), known));
  return y;
}

Value KernelEmitter::evaluateResize(ResizeOp resize, ArrayRef<Value> indices,
                                    const llvm::DenseMap<Value, Value> &known) {
  OpBuilder &b = builder_;
  Type floatType = b.getF32Type(), i32 = b.getI32Type();
  auto toFloat = [&](Value index) -> Value {
    return arith::SIToFPOp::create(
        b, loc_, floatType, arith::IndexCastOp::create(b, loc_, i32, index));
  };
  auto toIndex = [&](Value x) -> Value {
    return arith::IndexCastOp::create(b, loc_, b.getIndexType(),
                                      arith::FPToSIOp::create(b, loc_, i32, x));
  };
  auto clamp = [&](Value x, Value high) -> Value {
    return arith::MinimumFOp::create(
        b, loc_, arith::MaximumFOp::create(b, loc_, x, f32(0.0)), high);
  };
  SmallVector<Value> own = ownIndices(resize.getResult(), indices);
  const SymbolicShape &from = shapeOf(resize.getInput());
  const SymbolicShape &to = shapeOf(resize.getResult());
  // Per resized axis: the two neighbours and the second one's weight
  // (linear), or the one sampled position (nearest, weight unused).
  struct Sample {
    int64_t axis;
    Value low, high, weight;
  };
  SmallVector<Sample> samples;
  SmallVector<Value> source = own;
  for (auto [d, scale] : llvm::enumerate(resize.getScales())) {
    if (scale == 1.0f)
      continue;
    // ONNX's output length in the formulas is the input's times the
    // scale, unrounded (the result's size is its floor); a scale made from
    // sizes (f32, out / in) gives the size itself. Over a dynamic axis the
    // scale is an integer or its inverse (the verifier), so that the
    // product is the size or its unrounded part.
    Value in, out, factor = f32(scale);
    if (scale == 0.0f) {
      // Sized at run time: ONNX's scale for sizes, out / in in f32.
      in = toFloat(size(from[d]));
      out = toFloat(size(to[d]));
      factor = arith::DivFOp::create(b, loc_, out, in);
    } else if (from[d].isConstant()) {
      double inSize = from[d].getCoefficient(), outSize = inSize * scale;
      int64_t toSize = to[d].getCoefficient();
      if (std::abs(outSize - toSize) < 1e-4 * std::max(1.0, outSize))
        outSize = toSize;
      in = f32(inSize);
      out = f32(outSize);
    } else {
      in = toFloat(size(from[d]));
      out = arith::MulFOp::create(b, loc_, in, f32(scale));
    }
    Value inLast = arith::SubFOp::create(b, loc_, in, f32(1.0));
    Value outWide = arith::CmpFOp::create(b, loc_, arith::CmpFPredicate::OGT,
                                          out, f32(1.0));
    Value x = toFloat(own[d]), position;
    auto halfPixel = [&] {
      return arith::SubFOp::create(
          b, loc_,
          arith::DivFOp::create(
              b, loc_, arith::AddFOp::create(b, loc_, x, f32(0.5)), factor),
          f32(0.5));
    };
    switch (resize.getCoordinates()) {
    case ResizeCoordinates::HalfPixel:
      position = halfPixel();
      break;
    case ResizeCoordinates::PytorchHalfPixel:
      position =
          arith::SelectOp::create(b, loc_, outWide, halfPixel(), f32(0.0));
      break;
    case ResizeCoordinates::AlignCorners: {
      // x (in - 1) / (out - 1), 0 when out <= 1 (the divisor kept from 0).
      Value outLast = arith::MaximumFOp::create(
          b, loc_, arith::SubFOp::create(b, loc_, out, f32(1.0)), f32(1.0));
      Value ratio = arith::DivFOp::create(b, loc_, inLast, outLast);
      position = arith::SelectOp::create(
          b, loc_, outWide, arith::MulFOp::create(b, loc_, x, ratio), f32(0.0));
      break;
    }
    case ResizeCoordinates::Asymmetric:
      position = arith::DivFOp::create(b, loc_, x, factor);
      break;
    case ResizeCoordinates::TfHalfPixelForNn:
      position = arith::DivFOp::create(
          b, loc_, arith::AddFOp::create(b, loc_, x, f32(0.5)), factor);
      break;
    }
    if (resize.getMode() == ResizeMode::Nearest) {
      Value rounded;
      switch (resize.getNearest()) {
      case NearestRounding::RoundPreferFloor: // halves down
        rounded = math::CeilOp::create(
            b, loc_, arith::SubFOp::create(b, loc_, position, f32(0.5)));
        break;
      case NearestRounding::RoundPreferCeil: // halves up
        rounded = math::FloorOp::create(
            b, loc_, arith::AddFOp::create(b, loc_, position, f32(0.5)));
        break;
      case NearestRounding::Floor:
        rounded = math::FloorOp::create(b, loc_, position);
        break;
      case NearestRounding::Ceil:
        rounded = math::CeilOp::create(b, loc_, position);
        break;
      }
      source[d] = toIndex(clamp(rounded, inLast));
      continue;
    }
    // Linear: between the neighbours of the position clamped to the input
    // (the edge repeats beyond it, as ONNX's reference pads).
    Value clamped = clamp(position, inLast);
    Value lowFloat = math::FloorOp::create(b, loc_, clamped);
    Value low = toIndex(lowFloat);
    Value high = arith::MinSIOp::create(
        b, loc_, arith::AddIOp::create(b, loc_, low, index(1)),
        arith::SubIOp::create(b, loc_, size(from[d]), index(1)));
    samples.push_back({static_cast<int64_t>(d), low, high,
                       arith::SubFOp::create(b, loc_, clamped, lowFloat)});
  }
  // Linear: the weighted sum over the 2^k corners of the k resized axes.
  std::function<Value(size_t)> interpolate = [&](size_t s) -> Value {
    if (s == samples.size())
      return evaluate(resize.getInput(), source, known);
    const Sample &sample = samples[s];
    source[sample.axis] = sample.low;
    Value low = interpolate(s + 1);
    source[sample.axis] = sample.high;
    Value high = interpolate(s + 1);
    // low + w (high - low)
    return arith::AddFOp::create(
        b, loc_, low,
        arith::MulFOp::create(b, loc_, sample.weight,
                              arith::SubFOp::create(b, loc_, high, low)));
  };
  return interpolate(0);
}

Value KernelEmitter::evaluateResult(ArrayRef<Value> indices, Value rootValue) {
  Block &body = dispatch_.getBody().front();
  Value yielded = cast<YieldOp>(body.getTerminator()).getValue();
  llvm::DenseMap<Value, Value> known;
  known[dispatch_.getRootOp()->getResult(0)] = rootValue;
  return evaluate(yielded, indices, known);
}

Value KernelEmitter::workgroupReduce(Value value, bool isMax, Value scratch) {
  OpBuilder &b = builder_;
  gpu::AllReduceOperation kind =
      isMax ? gpu::AllReduceOperation::MAXNUMF : gpu::AllReduceOperation::ADD;
  Value partial =
      gpu::SubgroupReduceOp::create(b, loc_, value, kind, /*uniform=*/false);
  Value subgroup = gpu::SubgroupIdOp::create(b, loc_, nullptr);
  Value lane = gpu::LaneIdOp::create(b, loc_, nullptr);
  Value isFirst =
      arith::CmpIOp::create(b, loc_, arith::CmpIPredicate::eq, lane, index(0));
  scf::IfOp::create(b, loc_, isFirst, [&](OpBuilder &nested, Location loc) {
    memref::StoreOp::create(nested, loc, partial, scratch, subgroup);
    scf::YieldOp::create(nested, loc);
  });
  gpu::BarrierOp::create(b, loc_);
  Value count = gpu::NumSubgroupsOp::create(b, loc_, nullptr);
  Value init = isMax ? f32(-3.4028234663852886e38) : f32(0.0);
  auto loop =
      forLoop(index(0), count, index(1), {init},
              [&](Value i, ValueRange acc) -> SmallVector<Value> {
                Value v = memref::LoadOp::create(b, loc_, scratch, i);
                if (isMax)
                  return {arith::MaximumFOp::create(b, loc_, acc[0], v)};
                return {arith::AddFOp::create(b, loc_, acc[0], v)};
              });
  // The scratch slots are reused by the next reduction.
  gpu::BarrierOp::create(b, loc_);
  return loop.getResult(0);
}

int64_t mlir::tessera::vectorLoadWidth(const StridedView &view,
                                       Type elementType, int64_t maxWidth) {
  // (i32: the words of quantized weights, four per load.)
  if (elementType.isInteger(32))
    maxWidth = std::min<int64_t>(maxWidth, 4);
  else if (!(elementType.isF32() || elementType.isF16()))
    return 1;
  if (view.shape.empty())
    return 1;
  const DimExpr &last = view.shape.back();
  const DimExpr &lastStride = view.strides.back();
  if (!last.isConstant() || !lastStride.isConstant() ||
      lastStride.getCoefficient() != 1)
    return 1;
  auto fits = [&](int64_t width) {
    auto multiple = [&](const DimExpr &expr) {
      return expr.getDivisor() % width == 0;
    };
    if (!multiple(last) || !multiple(view.offset))
      return false;
    for (size_t d = 0; d + 1 < view.strides.size(); ++d)
      if (!multiple(view.strides[d]))
        return false;
    return true;
  };
  if (elementType.isF16() && maxWidth >= 8 && fits(8))
    return 8;
  return maxWidth >= 4 && fits(4) ? 4 : 1;
}

int64_t
mlir::tessera::selectOutputStoreWidth(DispatchOp dispatch, KernelKind kind,
                                      const DispatchBindings &bindings) {
  Type type = getElementTypeOrSelf(bindings.output.base.getType());
  if (!type.isF32() || vectorLoadWidth(bindings.output.view, type, 4) != 4)
    return 1;
  TileConfigAttr config = dispatch.getTileConfigAttr();
  switch (kind) {
  case KernelKind::Matmul:
    // Each invocation's columns start at a multiple of threadN.
    return config.getThreadTile()[1] % 4 == 0 ? 4 : 1;
  case KernelKind::Attention: {
    // Each invocation's slice of the value head dim.
    auto attention = cast<AttentionOp>(dispatch.getRootOp());
    int64_t slice =
        cast<RankedTensorType>(attention.getValue().getType()).getDimSize(3) /
        attentionHeadDimSplit(config);
    return slice % 4 == 0 ? 4 : 1;
  }
  case KernelKind::RowReduction:
  case KernelKind::Elementwise:
    return 1;
  }
  llvm_unreachable("unknown kernel kind");
}

int64_t mlir::tessera::quantizedWordsPerLoad(DispatchOp dispatch,
                                             DequantizeOp dequantize,
                                             const DispatchBindings &bindings) {
  // Four words make a K step of 16 (8-bit) or 32 (4-bit) values, which
  // every row of the invocation's tile holds in registers: worth it for
  // the few rows of a decoding tile, where the weights' loads dominate,
  // not for a prefill tile's many. The step must also lie in one group.
  constexpr int64_t kMaxStepValues = 64;
  int64_t step = 4 * dequantize.getValuesPerWord();
  int64_t rows = dispatch.getTileConfigAttr().getThreadTile()[0];
  auto input = cast<BlockArgument>(dequantize.getPacked());
  const Binding &binding = bindings.inputs[input.getArgNumber()];
  if (rows * step > kMaxStepValues || dequantize.getGroupSize() % step != 0 ||
      vectorLoadWidth(binding.view,
                      getElementTypeOrSelf(binding.base.getType()), 4) != 4)
    return 1;
  return 4;
}

SmallVector<int64_t> mlir::tessera::selectInputLoadWidths(
    DispatchOp dispatch, KernelKind kind, const DispatchBindings &bindings) {
  SmallVector<int64_t> widths(dispatch.getInputs().size(), 1);
  // The width `operand`'s binding allows (its buffer's element type: an f16
  // weight read through a widening cast is an f16 buffer).
  auto widthOf = [&](Value operand, int64_t maxWidth) -> int64_t {
    auto input = dyn_cast_or_null<BlockArgument>(operand);
    if (!input)
      return 1;
    const Binding &binding = bindings.inputs[input.getArgNumber()];
    return vectorLoadWidth(binding.view,
                           getElementTypeOrSelf(binding.base.getType()),
                           maxWidth);
  };
  auto readAlongLastDim = [&](Value operand) {
    if (auto input = dyn_cast_or_null<BlockArgument>(operand))
      widths[input.getArgNumber()] = widthOf(operand, 8);
  };
  if (kind == KernelKind::Matmul) {
    // Operands whose K dim is their last (contiguous) one are read several
    // k steps at a time: a linear's input and weight (W[N, K]), a matmul's
    // lhs unless transposed and its rhs when transposed (Q·Kᵀ).
    Operation *root = dispatch.getRootOp();
    if (auto linear = dyn_cast<LinearOp>(root)) {
      LayerNormOp norm = dispatch.getRecomputedNorm();
      readAlongLastDim(norm && linear.getInput() == norm.getResult()
                           ? norm.getInput()
                           : linear.getInput());
      if (auto dequantize = linear.getWeight().getDefiningOp<DequantizeOp>())
        widths[cast<BlockArgument>(dequantize.getPacked()).getArgNumber()] =
            quantizedWordsPerLoad(dispatch, dequantize, bindings);
      else
        readAlongLastDim(linear.getWeight());
    } else if (auto matmul = dyn_cast<MatmulOp>(root)) {
      if (!matmul.getTransposeLhs())
        readAlongLastDim(matmul.getLhs());
      if (matmul.getTransposeRhs())
        readAlongLastDim(matmul.getRhs());
    }
    return widths;
  }
  if (kind != KernelKind::Attention)
    return widths;
  // Attention reads query, key and value rows along the head dim, all
  // three with one width: in chunks it keeps as vector<4xf32>, eight f16
  // values (two chunks) or four per load; else scalars. Where the head dims
  // are split over invocations, each slice must be whole loads.
  auto attention = cast<AttentionOp>(dispatch.getRootOp());
  SmallVector<Value> rows = {attention.getQueryRows(), attention.getKey(),
                             attention.getValue()};
  int64_t width = 8;
  for (Value row : rows)
    width = std::min(width, widthOf(row, 8));
  // A rotated query loads each chunk's partner at its own offset (D/2
  // away, or inside the chunk when interleaved): four at a time at most,
  // and a chunk never straddles the halves.
  if (auto rotary = attention.getQuery().getDefiningOp<RotaryOp>()) {
    width = std::min<int64_t>(width, 4);
    if (!rotary.getInterleaved() && rotary.getPairDistance() % width != 0)
      width = 1;
  }
  int64_t split = attentionHeadDimSplit(dispatch.getTileConfigAttr());
  auto sliceOf = [&](Value row) {
    return cast<RankedTensorType>(row.getType()).getDimSize(3) / split;
  };
  // Widths are 8, 4 or 1.
  while (width > 1 && (sliceOf(attention.getQuery()) % width != 0 ||
                       sliceOf(attention.getValue()) % width != 0))
    width = width == 8 ? 4 : 1;
  if (width == 1)
    return widths;
  for (Value row : rows)
    widths[cast<BlockArgument>(row).getArgNumber()] = width;
  return widths;
}

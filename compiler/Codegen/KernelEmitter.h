//===- KernelEmitter.h - Shared code of the kernel builders -----*- C++ -*-===//
//
// A kernel is a gpu.func with one i32 buffer of run-time sizes (binding 0,
// "params") followed by one storage buffer per dispatch input, one for its
// output and, when it gathers, one of index status words, all 1-D. KernelEmitter holds what every kernel builder needs:
// sizes as index values (constants, or params read at run time), loads and
// stores through strided views, and the scalar form of the fused
// elementwise ops of the dispatch region.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_CODEGEN_KERNELEMITTER_H
#define TESSERA_COMPILER_CODEGEN_KERNELEMITTER_H

#include "compiler/Codegen/DispatchBindings.h"
#include "compiler/Codegen/TileConfigs.h"
#include "dialects/tessera/IR/ScalarRules.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace mlir::tessera {

/// ceil(expr / divisor): one axis of a dispatch's workgroup count.
struct WorkgroupCount {
  DimExpr extent = DimExpr::constant(1);
  int64_t divisor = 1;
};

/// Indices that a kernel reads at run time and checks: `indices` (or, for
/// a scatter, one component of each of its index tuples) index axis
/// `axis` of `indexed` (a gather's input, a scatter's data), for `op`.
struct IndexCheck {
  Operation *op = nullptr;
  Value indices, indexed;
  int64_t axis = 0;
  bool operator==(const IndexCheck &other) const {
    return op == other.op && axis == other.axis;
  }
};

/// The kernel for one dispatch, as the kernel builders return it.
struct KernelSignature {
  /// Values the runtime writes into the params buffer, in slot order.
  SmallVector<DimExpr> params;
  WorkgroupCount workgroups[3];
  /// The driver must not unroll the kernel's loops (SPIR-V DontUnroll): the
  /// builder unrolled what it wanted unrolled, and a driver that unrolls
  /// the rest may multiply the code (attention: docs/benchmarks.md).
  bool keepLoops = false;
  /// The indices the kernel checks, in the order of their words in the
  /// status buffer (see KernelEmitter::checkIndex).
  SmallVector<IndexCheck> indexChecks;
};

/// Whether `dispatch`'s kernel reads indices at run time (a gather or a
/// scatter), and so takes the index status buffer as its last argument.
bool readsIndicesAtRunTime(DispatchOp dispatch);

/// The element type a tensor of `elementType` has in a storage buffer
/// (booleans are stored as i32), or null when kernels cannot hold it yet.
Type getStorageElementType(Type elementType);

class KernelEmitter {
public:
  KernelEmitter(gpu::GPUFuncOp function, DispatchOp dispatch,
                const DispatchBindings &bindings, const SymbolicShapes &shapes,
                TileConfigAttr config);

  OpBuilder &builder() { return builder_; }
  Location loc() const { return loc_; }
  DispatchOp dispatch() const { return dispatch_; }
  TileConfigAttr config() const { return config_; }
  const SymbolicShapes &shapes() const { return shapes_; }
  KernelSignature &signature() { return signature_; }

  Value index(int64_t value);
  Value i32(int64_t value);
  Value f32(double value);
  /// The value of a size: a constant, or read from the params buffer.
  Value size(const DimExpr &expr);
  /// The symbolic shape of a value of the dispatch region.
  const SymbolicShape &shapeOf(Value value) const;

  /// scf.for over [lower, upper) by `step` carrying `init`; `body` gets the
  /// induction variable and the carried values, emits through this emitter,
  /// and returns the values to carry on.
  scf::ForOp forLoop(Value lower, Value upper, Value step, ValueRange init,
                     function_ref<SmallVector<Value>(Value, ValueRange)> body);

  Value threadId(gpu::Dimension dim);
  /// The first index this invocation covers along `dim`:
  /// workgroup id * tile + thread id * perThread.
  Value invocationStart(gpu::Dimension dim, int64_t tile, int64_t perThread);
  Value workgroupId(gpu::Dimension dim);
  /// `value` of the invocation whose subgroup lane is this one's xor
  /// `distance`. Lanes exchange values only within groups of adjacent
  /// invocations no wider than the profile's subgroup (the binary's needs
  /// carry the widest group, checked against the device at load time).
  Value subgroupShuffleXor(Value value, int64_t distance);

  /// The view through which the kernel reads dispatch input `input`.
  const StridedView &inputView(BlockArgument input) const {
    return bindings_.inputs[input.getArgNumber()].view;
  }
  /// Whether last-dim position `d` is the first of its rotary pair (d mod
  /// 2s < s for the pair distance s, RotaryOp::getPairDistance): its
  /// partner is then d + s, entering negated, else d - s.
  Value isFirstOfRotaryPair(RotaryOp rotary, Value d);
  /// Offset of `indices` in a view (sum of index times stride).
  Value offset(const StridedView &view, ArrayRef<Value> indices);
  /// Loads element `indices` of dispatch input `input` (a block argument of
  /// the region) and converts it to its scalar type.
  Value loadInput(BlockArgument input, ArrayRef<Value> indices);
  Value loadAtOffset(BlockArgument input, Value offset);
  /// `count` consecutive elements of input `input` along a dim of stride
  /// `stride` from `offset`, as scalars: count / loadWidth(input) vector
  /// loads when the input is bound as vectors and `count` a multiple of
  /// its width (the dim is then contiguous and `offset` a multiple of the
  /// width), else `count` scalar loads.
  SmallVector<Value> loadRun(BlockArgument input, Value offset, Value stride,
                             int64_t count);
  /// Elements per load of input `input` (see vectorLoadWidth): 1 (scalar
  /// buffer), 4 (a buffer of vec4) or 8 (f16 pairs packed in the i32 lanes
  /// of a vec4).
  int64_t loadWidth(BlockArgument input) const;
  /// Elements [offset, offset + 4) of a vec4-bound input as one
  /// vector<4xf32> (f16 storage widened); `offset` must be a multiple of 4.
  Value loadVec4AtOffset(BlockArgument input, Value offset);
  /// Elements [offset, offset + loadWidth) of a vector-bound input as f32
  /// scalars, from one load; `offset` must be a multiple of the width.
  SmallVector<Value> loadChunkAtOffset(BlockArgument input, Value offset);
  /// Stores `value` as element `indices` of the dispatch result (narrowed
  /// to f16 where that is the output's storage).
  void storeOutput(ArrayRef<Value> indices, Value value);
  /// Elements per store of the dispatch result (selectOutputStoreWidth): 1,
  /// or 4 where it is bound as vec4.
  int64_t storeWidth() const;
  /// Stores storeWidth() consecutive elements along the result's last dim,
  /// the first at `indices` (whose last index is then a multiple of the
  /// width): one store instead of four. Each store is a loop over the SIMD
  /// lanes on lavapipe, and the count of those loops, not their width, is
  /// what its compiler's time grows with (docs/benchmarks.md).
  void storeOutputChunk(ArrayRef<Value> indices, ArrayRef<Value> values);

  /// Field `lane` (an index, counted from the lowest bits) of a word of
  /// signed `bits`-bit values (tessera.dequantize's packing), as f32.
  Value unpackQuantized(Value word, Value lane, int64_t bits);
  Value unpackQuantized(Value word, int64_t lane, int64_t bits);

  /// A workgroup-memory array of `count` f32 values.
  Value allocateWorkgroupMemory(int64_t count);

  /// Splits a row-major flat index over `dims` into one index per dim.
  SmallVector<Value> delinearize(Value flat, ArrayRef<DimExpr> dims);

  /// The scalar of region value `value` at `indices`, which index a tensor
  /// that `value` broadcasts to. Values in `known` (the root's result) are
  /// taken as given; elementwise ops are emitted; inputs are loaded.
  Value evaluate(Value value, ArrayRef<Value> indices,
                 const llvm::DenseMap<Value, Value> &known);
  /// The same with nothing known (elementwise chains, prologues).
  Value evaluate(Value value, ArrayRef<Value> indices) {
    return evaluate(value, indices, llvm::DenseMap<Value, Value>());
  }
  /// The dispatch's result at `indices`, given the root's scalar result.
  Value evaluateResult(ArrayRef<Value> indices, Value rootValue);

  /// The mean and inverse standard deviation of the row that the next
  /// evaluations of the dispatch's recomputed layer norm read (see
  /// DispatchOp::getRecomputedNorm); the kernel computes them per row.
  void setNormStatistics(Value mean, Value inverseStd) {
    normMean_ = mean;
    normInverseStd_ = inverseStd;
  }

  /// Reduces `value` over the workgroup (subgroup operations, then workgroup
  /// memory across subgroups); every invocation gets the result. `scratch`
  /// is a workgroup memref with one slot per invocation.
  Value workgroupReduce(Value value, bool isMax, Value scratch);

  /// At the end of the kernel: each check's lowest bad place, where the
  /// invocation saw one, into its word of the status buffer by an atomic
  /// minimum, so that the runtime names the first bad index whatever order
  /// the invocations ran in.
  void reportIndexChecks();

  /// Emits an error on the dispatch.
  InFlightDiagnostic emitError() { return dispatch_.emitOpError(); }

private:
  /// `value`'s own indices among `indices` (which index a tensor it
  /// broadcasts to): the trailing ones, 0 where its dimension is 1.
  SmallVector<Value> ownIndices(Value value, ArrayRef<Value> indices);
  /// A reduce_sum / reduce_mean / reduce_max / argmax result element: a
  /// serial loop over the reduced elements (reductions that are no
  /// softmax or layer norm; correct everywhere, not fast).
  Value evaluateReduction(Operation *op, ArrayRef<Value> indices,
                          const llvm::DenseMap<Value, Value> &known);
  /// The signed `bits`-bit field at the top of the i32 `up`, as f32.
  Value signedFieldAsF32(Value up, int64_t bits);
  /// A loaded f16 scalar or vector as f32; other values unchanged.
  Value widen(Value loaded);
  /// Notes index `position` of `check`, read at `place` in its index
  /// tensor, when it lies outside [-extent, extent): the invocation keeps
  /// the lowest such flat place per check, and reportIndexChecks puts it
  /// into the check's word of the status buffer. The kernel goes on with a
  /// clamped index (a gather) or without the index (a scatter).
  void checkIndex(const IndexCheck &check, ArrayRef<Value> place,
                  Value position, Value extent);
  /// An index read at run time as ONNX reads it: a negative one counts
  /// from the end of its axis of `extent`.
  Value fromEnd(Value position, Value extent);
  /// tsr::kNoBadIndex: no bad index seen.
  Value noBadIndex();
  /// An element of the recomputed layer norm, from the row's statistics.
  Value evaluateNorm(LayerNormOp norm, ArrayRef<Value> indices,
                     const llvm::DenseMap<Value, Value> &known);
  /// A pooled element: the maximum or mean over its window's positions
  /// inside the input (the mean's count, with count_include_pad, over those
  /// inside the padded input).
  Value evaluatePool(PoolOp pool, ArrayRef<Value> indices,
                     const llvm::DenseMap<Value, Value> &known);
  /// An argsort result element: the index along its axis whose rank is
  /// the element's position there (a loop ranking each candidate).
  Value evaluateArgsort(ArgsortOp argsort, ArrayRef<Value> indices,
                        const llvm::DenseMap<Value, Value> &known);
  /// A scatter_nd result element: the update of the last index tuple that
  /// names its slice, or the data's element (every index checked).
  Value evaluateScatterND(ScatterNDOp scatter, ArrayRef<Value> indices,
                          const llvm::DenseMap<Value, Value> &known);
  /// A resize result element: the input at the sampled position (nearest)
  /// or interpolated between its neighbours (linear).
  Value evaluateResize(ResizeOp resize, ArrayRef<Value> indices,
                       const llvm::DenseMap<Value, Value> &known);

  OpBuilder builder_;
  Location loc_;
  gpu::GPUFuncOp function_;
  DispatchOp dispatch_;
  const DispatchBindings &bindings_;
  const SymbolicShapes &shapes_;
  TileConfigAttr config_;
  KernelSignature signature_;
  llvm::DenseMap<Value, Value> sizeCache_;
  Value normMean_, normInverseStd_;
  SmallVector<std::pair<DimExpr, Value>> paramValues_;
  /// Per check, the invocation's lowest bad place (private memory).
  SmallVector<Value> lowestBadPlaces_;
};

/// Private (per-invocation) memory in the gpu -> SPIR-V mapping.
inline constexpr unsigned kPrivateMemorySpace = 6;

/// How many elements of `view` a kernel can read per 16-byte load, at most
/// `maxWidth`: 8 for f16 (pairs packed in the i32 lanes of a vec4), 4 for
/// f32, f16 or i32 (a vec4), where the last dim is contiguous and a multiple of
/// the width long, and every other stride and the offset are multiples of
/// it (every row starts on a whole vector); else 1.
int64_t vectorLoadWidth(const StridedView &view, Type elementType,
                        int64_t maxWidth = 8);

/// Elements per load of each dispatch input of a kernel of `kind` (see
/// vectorLoadWidth); the kernel builder and the kernel's signature both
/// follow it.
SmallVector<int64_t> selectInputLoadWidths(DispatchOp dispatch,
                                           KernelKind kind,
                                           const DispatchBindings &bindings);

/// Words per load (1 or 4) of a linear's dequantized weight in a matmul
/// kernel: 4 where the words allow 16-byte loads, the K step they make
/// (16 or 32 values) lies in one group, and the tile has few rows.
int64_t quantizedWordsPerLoad(DispatchOp dispatch, DequantizeOp dequantize,
                              const DispatchBindings &bindings);

/// Elements per store of a kernel's result: 4 where its builder writes
/// whole vec4 chunks along the last dim (matmul columns, attention head
/// dims) and the result's view allows 16-byte stores (vectorLoadWidth; f32
/// storage), else 1.
int64_t selectOutputStoreWidth(DispatchOp dispatch, KernelKind kind,
                               const DispatchBindings &bindings);

/// The kernel builders; each fills `emitter`'s gpu.func body and signature.
LogicalResult buildMatmulKernel(KernelEmitter &emitter);
LogicalResult buildConvKernel(KernelEmitter &emitter);
LogicalResult buildAttentionKernel(KernelEmitter &emitter);
LogicalResult buildRowReductionKernel(KernelEmitter &emitter);
LogicalResult buildElementwiseKernel(KernelEmitter &emitter);

/// One result of a matmul-family kernel's register tile: the element's
/// indices in the dispatch result and its value, epilogue applied.
struct TileResult {
  SmallVector<Value> indices;
  Value value;
};

/// Stores a threadM x threadN register tile where `active` (the
/// invocation has rows and columns in range): every element's result,
/// `resultAt(i, j)`, is evaluated first, then stored where its row and
/// column exist, in chunks of storeWidth() columns (a chunk is wholly in
/// or out: the columns are a multiple of the width).
void storeTile(KernelEmitter &emitter, Value active, ArrayRef<Value> rowValid,
               ArrayRef<Value> colValid,
               function_ref<TileResult(int64_t i, int64_t j)> resultAt);

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_CODEGEN_KERNELEMITTER_H

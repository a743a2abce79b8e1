//===- FormDispatchRegions.cpp - Group ops into dispatch regions ----------===//

#include "compiler/Transforms/Passes.h"
#include "dialects/tessera/IR/TesseraOps.h"
#include "dialects/tessera/Shapes/StridedView.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERAFORMDISPATCHES
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

bool isRoot(Operation *op);

/// A concatenation of root results used nowhere else needs no dispatch: its
/// producers write their parts into it (see DispatchBindings).
bool isAbsorbedConcat(Operation *op) {
  auto concat = dyn_cast<ConcatOp>(op);
  return concat && llvm::all_of(concat.getInputs(), [](Value input) {
           Operation *producer = input.getDefiningOp();
           return producer && input.hasOneUse() && isRoot(producer);
         });
}

/// A gather or resize read by one elementwise op (a resize also as a
/// convolution's input), or a rotary embedding read by one concatenation
/// (a key cache's new entries) or as one attention's query:
/// the reader's dispatch evaluates it where it reads it (a model's token
/// and position lookups feeding their sum; the queries rotated as the
/// attention loads them, once per row) instead of a dispatch of its own
/// writing it. A rotated key keeps its dispatch: every query tile loads
/// each key again.
bool isFusedIntoReader(Operation *op) {
  if (!isa<GatherOp, ResizeOp, RotaryOp>(op) || !op->getResult(0).hasOneUse())
    return false;
  Operation *user = *op->getUsers().begin();
  if (user->getBlock() != op->getBlock())
    return false;
  if (isa<RotaryOp>(op)) {
    auto attention = dyn_cast<AttentionOp>(user);
    return isa<ConcatOp>(user) ||
           (attention && attention.getQuery() == op->getResult(0));
  }
  // A resized image read by a convolution (a decoder's upsampling): the
  // conv kernel samples it where it reads its input.
  auto conv = dyn_cast<ConvOp>(user);
  if (isa<ResizeOp>(op) && conv && conv.getInput() == op->getResult(0))
    return true;
  return DispatchOp::isFusableElementwise(user) && !isViewOp(user);
}

/// A table split across bindings (tessera-split-large-weights): a concat of
/// constant row parts that only gathers read by rows. Each gather's
/// dispatch reads the parts, each bound on its own, and evaluates the
/// concat where it reads it; the whole table is never stored.
bool isSplitTable(Operation *op) {
  auto concat = dyn_cast<ConcatOp>(op);
  // A part is a constant, with --precision f16 the widening cast of one (a
  // view: the kernel binds the f16 part), or with --weights a dequantize
  // (the kernel binds its words and scales).
  auto isConstantPart = [](Value input) {
    if (auto cast = input.getDefiningOp<CastOp>())
      input = cast.getInput();
    if (auto dequantize = input.getDefiningOp<DequantizeOp>())
      input = dequantize.getPacked();
    return static_cast<bool>(input.getDefiningOp<ConstantOp>());
  };
  if (!concat || concat.getAxis() != 0 ||
      !llvm::all_of(concat.getInputs(), isConstantPart))
    return false;
  return llvm::all_of(concat->getUses(), [](OpOperand &use) {
    auto gather = dyn_cast<GatherOp>(use.getOwner());
    return gather && use.getOperandNumber() == 0 && gather.getAxis() == 0;
  });
}

bool isRoot(Operation *op) {
  if (isSplitTable(op))
    return false;
  if (isa<ConcatOp>(op))
    return !isAbsorbedConcat(op);
  if (isa<GatherOp, ResizeOp>(op))
    return !isFusedIntoReader(op);
  return isa<MatmulOp, LinearOp, ConvOp, AttentionOp, SoftmaxOp, LayerNormOp,
             ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ArgMaxOp, PoolOp,
             ArgsortOp, ScatterNDOp>(op);
}

bool isRowReduction(Operation *op) {
  return isa<SoftmaxOp, LayerNormOp, ReduceSumOp, ReduceMeanOp, ReduceMaxOp,
             ArgMaxOp>(op);
}

bool sameShape(Type a, Type b) {
  return cast<RankedTensorType>(a).getShape() ==
         cast<RankedTensorType>(b).getShape();
}

/// Values that kernels compute where they read them: splat constants,
/// iotas, and views of those (the reshaped positions a position embedding
/// is gathered at). Every region that reads one in an op it evaluates per
/// element (elementwise ops and gathers) gets a clone instead of a buffer.
/// A view that must copy (`copies`) is a dispatch's result, not a source.
bool isClonedSource(Value value, const llvm::DenseSet<Operation *> &copies) {
  Operation *op = value.getDefiningOp();
  if (!op || copies.contains(op))
    return false;
  if (isa<IotaOp>(op))
    return true;
  if (isViewOp(op))
    return isClonedSource(op->getOperand(0), copies);
  auto constant = dyn_cast<ConstantOp>(op);
  auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                        : DenseElementsAttr();
  return dense && dense.isSplat();
}

/// Whether every reader of `value` computes it where it reads it: ops
/// evaluated per element, directly or through views. An iota read so needs
/// no dispatch; one with another reader (an attention's operand, a
/// function result) is materialised by a dispatch of its own.
bool isEvaluatedByItsReaders(Value value,
                             const llvm::DenseSet<Operation *> &copies) {
  return llvm::all_of(value.getUsers(), [&](Operation *user) {
    if (isViewOp(user) && !copies.contains(user))
      return isEvaluatedByItsReaders(user->getResult(0), copies);
    return DispatchOp::isEvaluatedPerElement(user);
  });
}

bool needsOwnDispatch(Operation *op,
                      const llvm::DenseSet<Operation *> &copies) {
  return !isa<IotaOp>(op) ||
         !isEvaluatedByItsReaders(op->getResult(0), copies);
}

/// Clones the chain that computes the cloned source `value` (see
/// isClonedSource) at the builder's insertion point, once per mapping.
Value cloneSource(OpBuilder &builder, Value value, IRMapping &mapping) {
  if (Value cloned = mapping.lookupOrNull(value))
    return cloned;
  Operation *op = value.getDefiningOp();
  for (Value operand : op->getOperands())
    cloneSource(builder, operand, mapping);
  return builder.clone(*op, mapping)->getResult(0);
}

/// Erases the ops computing cloned sources that no op reads any more.
void eraseUnread(ArrayRef<Value> sources) {
  llvm::SetVector<Operation *> chains;
  SmallVector<Value> worklist(sources.begin(), sources.end());
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val().getDefiningOp();
    if (op && chains.insert(op))
      worklist.append(op->operand_begin(), op->operand_end());
  }
  // Readers before what they read.
  SmallVector<Operation *> ops = chains.takeVector();
  llvm::sort(ops, [](Operation *a, Operation *b) {
    return b->isBeforeInBlock(a);
  });
  for (Operation *op : ops)
    if (op->use_empty())
      op->erase();
}

/// A function result that is an input or a constant unchanged (an ONNX
/// graph returning its input, a value folded at import) gets an identity
/// transpose in front of the return: a layout op returned, which
/// findCopies makes a copy dispatch. Outputs own their buffers, written by
/// a dispatch.
void copyReturnedSources(func::FuncOp function) {
  function.walk([](func::ReturnOp ret) {
    OpBuilder builder(ret);
    for (OpOperand &operand : ret->getOpOperands()) {
      Value value = operand.get();
      auto type = dyn_cast<RankedTensorType>(value.getType());
      if (!type ||
          !(isa<BlockArgument>(value) || value.getDefiningOp<ConstantOp>()))
        continue;
      SmallVector<int64_t> identity =
          llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
      operand.set(TransposeOp::create(builder, ret.getLoc(), value, identity));
    }
  });
}

/// Layout ops that must copy: reshapes that no strided view can express
/// (merging dims that a transpose separated, as nn.MultiheadAttention's
/// head split does) and layout ops returned as model outputs (which own
/// their buffers). Each becomes a copy dispatch of its own; every other
/// layout op stays a view that its consumers' bindings read through, or
/// is absorbed by its producer, which writes through the inverse view (the
/// head merge after an attention: traceOutputChain, as the bindings do).
llvm::DenseSet<Operation *> findCopies(func::FuncOp function) {
  llvm::DenseSet<Operation *> copies;
  SymbolicShapes shapes;
  {
    // Unnamed dynamic dims are reported by the passes that need shapes
    // (kernel building); here they only mean that nothing is known to copy.
    ScopedDiagnosticHandler quiet(function.getContext(),
                                  [](Diagnostic &) { return success(); });
    if (failed(shapes.analyze(function)))
      return copies;
  }
  llvm::DenseMap<Value, std::optional<StridedView>> views;
  // The view `value` is of the buffer its layout ops start from (in block
  // order, so operands are known).
  auto viewOf = [&](Value value) -> std::optional<StridedView> {
    if (auto it = views.find(value); it != views.end())
      return it->second;
    return StridedView::dense(shapes.getShape(value));
  };
  // Chains that the ops before them write through.
  llvm::DenseSet<Operation *> absorbed;
  function.walk([&](Operation *op) {
    if (op->getNumResults() != 1 || isViewOp(op) || isa<ConstantOp>(op) ||
        isa<DispatchOp>(op->getParentOp()) ||
        !isa<RankedTensorType>(op->getResult(0).getType()))
      return;
    OutputChain chain = traceOutputChain(op->getResult(0), shapes);
    absorbed.insert(chain.ops.begin(), chain.ops.end());
  });
  function.walk([&](Operation *op) {
    if (!isViewOp(op) || isa<DispatchOp>(op->getParentOp()))
      return;
    if (absorbed.contains(op)) {
      // The producer writes the chain's end densely.
      views[op->getResult(0)] =
          StridedView::dense(shapes.getShape(op->getResult(0)));
      return;
    }
    std::optional<StridedView> source = viewOf(op->getOperand(0));
    const SymbolicShape &shape = shapes.getShape(op->getResult(0));
    std::optional<StridedView> view;
    if (source)
      view = viewThrough(op, *source, shapes);
    bool returned = llvm::any_of(op->getUsers(), [](Operation *user) {
      return isa<func::ReturnOp>(user);
    });
    if ((!view && isa<ReshapeOp, SliceOp>(op)) || returned) {
      copies.insert(op);
      view = StridedView::dense(shape);
    }
    views[op->getResult(0)] = view;
  });
  return copies;
}

/// The elementwise ops that become `root`'s epilogue: consumers that use
/// the previous result alone and keep its shape.
SmallVector<Operation *>
epilogueOf(Operation *root, const llvm::DenseSet<Operation *> &grouped) {
  SmallVector<Operation *> epilogue;
  Operation *tail = root;
  while (tail->getResult(0).hasOneUse()) {
    Operation *user = *tail->getResult(0).getUsers().begin();
    if (user->getBlock() != tail->getBlock() || grouped.contains(user) ||
        !DispatchOp::isFusableElementwise(user) ||
        !sameShape(user->getResult(0).getType(), tail->getResult(0).getType()))
      break;
    epilogue.push_back(user);
    tail = user;
  }
  return epilogue;
}

/// Layer norms that the dispatches of their consumers recompute instead of
/// one dispatch writing them: each consumer is a linear that reads a bare
/// normalisation as its input (tessera-fold-layer-norm-into-linear moved
/// the affine part into its weights) or an op of a linear's epilogue of
/// the same shape (the residual add of a post-LN layer), and the rows of
/// the norm are the rows of that linear. The linear's kernel computes the
/// rows' mean and inverse standard deviation before its K loop. A norm
/// over more than the last dim, one whose input would be its prologue, a
/// returned one, or a second norm for the same linear keeps its dispatch.
llvm::DenseSet<Operation *> findRecomputedNorms(Block &block) {
  llvm::DenseMap<Operation *, Operation *> linearOfEpilogue;
  for (Operation &op : block)
    if (isa<LinearOp>(op))
      for (Operation *user : epilogueOf(&op, {}))
        linearOfEpilogue[user] = &op;

  llvm::DenseSet<Operation *> recomputed;
  llvm::DenseMap<Operation *, Operation *> normOfLinear;
  for (Operation &op : block) {
    auto norm = dyn_cast<LayerNormOp>(op);
    if (!norm || norm->use_empty() ||
        !norm.isOverLastDim())
      continue;
    Operation *producer = norm.getInput().getDefiningOp();
    if (producer && DispatchOp::isFusableElementwise(producer) &&
        norm.getInput().hasOneUse())
      continue; // the producer is its prologue
    SmallVector<Operation *> linears;
    for (OpOperand &use : norm->getUses()) {
      Operation *user = use.getOwner(), *linear = nullptr;
      if (isa<LinearOp>(user) && use.getOperandNumber() == 0 &&
          !norm.getScale() && !norm.getBias())
        linear = user;
      else if (auto it = linearOfEpilogue.find(user);
               it != linearOfEpilogue.end() &&
               sameShape(user->getResult(0).getType(), norm.getType()))
        linear = it->second;
      Operation *other = linear ? normOfLinear.lookup(linear) : nullptr;
      if (!linear || (other && other != norm)) {
        linears.clear();
        break;
      }
      linears.push_back(linear);
    }
    if (linears.empty())
      continue;
    for (Operation *linear : linears)
      normOfLinear[linear] = norm;
    recomputed.insert(norm);
  }
  return recomputed;
}

struct FormDispatchesPass
    : public tessera::impl::TesseraFormDispatchesBase<FormDispatchesPass> {
  llvm::DenseSet<Operation *> copies;
  llvm::DenseSet<Operation *> recomputedNorms;

  void runOnOperation() override {
    copyReturnedSources(getOperation());
    copies = findCopies(getOperation());
    for (Block &block : getOperation().getBody()) {
      recomputedNorms = findRecomputedNorms(block);
      SmallVector<SmallVector<Operation *>> groups = collectGroups(block);
      for (SmallVector<Operation *> &group : groups)
        outline(group);
      // Every consumer of a recomputed norm holds a copy of it now; one
      // that did not join the group expected of it reads a dispatch's.
      SmallVector<Operation *> norms(recomputedNorms.begin(),
                                     recomputedNorms.end());
      recomputedNorms.clear();
      for (Operation *norm : norms) {
        if (norm->use_empty())
          norm->erase();
        else
          outline({norm});
      }
      // A dequantized weight that some reader does not compute (a view of
      // it, a function result) is materialised by a dispatch of its own.
      SmallVector<DequantizeOp> leftover(block.getOps<DequantizeOp>());
      for (DequantizeOp dequantize : leftover)
        outline({dequantize});
    }
  }

  /// Groups of ops that become one dispatch each, every group in block
  /// order.
  SmallVector<SmallVector<Operation *>> collectGroups(Block &block) {
    llvm::DenseSet<Operation *> grouped;
    SmallVector<SmallVector<Operation *>> groups;
    auto startGroup = [&](Operation *seed) {
      llvm::SetVector<Operation *> group;
      if (isRowReduction(seed))
        addPrologue(seed, group, grouped);
      group.insert(seed);
      addEpilogue(seed, group, grouped);
      addFusedProducers(group);
      for (Operation *op : group)
        grouped.insert(op);
      SmallVector<Operation *> ordered(group.begin(), group.end());
      llvm::sort(ordered, [](Operation *a, Operation *b) {
        return a->isBeforeInBlock(b);
      });
      groups.push_back(std::move(ordered));
    };
    // (A copy may already be a root's epilogue: a returned widening cast
    // after a linear is written by the linear's dispatch.)
    for (Operation &op : block)
      if (!grouped.contains(&op) &&
          ((isRoot(&op) && !recomputedNorms.contains(&op)) ||
           copies.contains(&op)))
        startGroup(&op);
    // A rotary embedding reads its input at two positions, so it starts a
    // dispatch rather than joining one as an epilogue; the elementwise ops
    // after it join it.
    for (Operation &op : block)
      if (!grouped.contains(&op) &&
          (DispatchOp::isFusableElementwise(&op) || isa<RotaryOp>(op)) &&
          !isViewOp(&op) && needsOwnDispatch(&op, copies))
        startGroup(&op);
    return groups;
  }

  void addEpilogue(Operation *root, llvm::SetVector<Operation *> &group,
                   const llvm::DenseSet<Operation *> &grouped) {
    for (Operation *op : epilogueOf(root, grouped))
      group.insert(op);
  }

  /// The gathers and rotary embeddings that the group's ops read
  /// (isFusedIntoReader).
  void addFusedProducers(llvm::SetVector<Operation *> &group) {
    SmallVector<Operation *> members(group.begin(), group.end());
    for (Operation *op : members)
      for (Value operand : op->getOperands())
        if (Operation *producer = operand.getDefiningOp();
            producer && isFusedIntoReader(producer))
          group.insert(producer);
  }

  /// Producers of the first operand that feed `op` alone (transitively).
  void addPrologue(Operation *op, llvm::SetVector<Operation *> &group,
                   const llvm::DenseSet<Operation *> &grouped) {
    for (Value operand : op->getOperands()) {
      Operation *producer = operand.getDefiningOp();
      if (!producer || !DispatchOp::isFusableElementwise(producer) ||
          grouped.contains(producer) || !operand.hasOneUse() ||
          producer->getBlock() != op->getBlock() ||
          !sameShape(operand.getType(), op->getOperand(0).getType()))
        continue;
      addPrologue(producer, group, grouped);
      group.insert(producer);
    }
  }

  void outline(ArrayRef<Operation *> group) {
    llvm::SmallPtrSet<Operation *, 8> members(group.begin(), group.end());
    Operation *tail = group.back();
    llvm::SetVector<Value> inputs;
    llvm::SetVector<Value> cloned;
    llvm::SetVector<Operation *> norms; // recomputed here from their inputs
    for (Operation *op : group)
      for (Value operand : op->getOperands()) {
        if (members.contains(operand.getDefiningOp()))
          continue;
        if (recomputedNorms.contains(operand.getDefiningOp())) {
          norms.insert(operand.getDefiningOp());
          inputs.insert(operand.getDefiningOp()->operand_begin(),
                        operand.getDefiningOp()->operand_end());
          continue;
        }
        // A split table, and a dequantized weight that a linear or an op
        // evaluated per element reads, are computed where they are read,
        // from their own operands, which become the buffers.
        Operation *table = operand.getDefiningOp();
        bool readInPlace =
            table && isa<DequantizeOp>(table) &&
            (DispatchOp::isEvaluatedPerElement(op) ||
             (isa<LinearOp>(op) && cast<LinearOp>(op).getWeight() == operand));
        if (table && (isSplitTable(table) || readInPlace)) {
          cloned.insert(operand);
          for (Value part : table->getOperands()) {
            if (auto dequantize = part.getDefiningOp<DequantizeOp>())
              inputs.insert(dequantize->operand_begin(),
                            dequantize->operand_end());
            else
              inputs.insert(part);
          }
          continue;
        }
        // A root's operands (layer_norm's scale) stay buffers, as its
        // kernel reads them.
        if (isClonedSource(operand, copies) &&
            DispatchOp::isEvaluatedPerElement(op))
          cloned.insert(operand);
        else
          inputs.insert(operand);
      }

    OpBuilder builder(tail);
    auto dispatch =
        DispatchOp::create(builder, tail->getLoc(),
                           tail->getResult(0).getType(), inputs.getArrayRef());
    Block &body = dispatch.getBody().front();
    IRMapping mapping;
    for (auto [input, argument] : llvm::zip(inputs, body.getArguments()))
      mapping.map(input, argument);
    builder.setInsertionPointToStart(&body);
    for (Value source : cloned)
      cloneSource(builder, source, mapping);
    for (Operation *norm : norms)
      builder.clone(*norm, mapping);
    for (Operation *op : group)
      builder.clone(*op, mapping);
    YieldOp::create(builder, tail->getLoc(),
                    mapping.lookup(tail->getResult(0)));

    tail->getResult(0).replaceAllUsesWith(dispatch.getResult());
    for (Operation *op : llvm::reverse(group))
      op->erase();
    eraseUnread(cloned.getArrayRef());
  }
};

} // namespace

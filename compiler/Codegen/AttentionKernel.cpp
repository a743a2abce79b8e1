//===- AttentionKernel.cpp - Attention with an online softmax -------------===//
//
// One invocation per query row. Keys are visited in tiles of `tile[1]`: the
// scores of a tile are computed and kept, the running maximum and sum are
// updated once per tile (the online softmax), then the tile's values are
// accumulated. The S x S score matrix is never written to memory.
//
// The mask decides the key range each query visits: `causal` stops at the
// diagonal (p(i) = i + Lk - Lq), so tiles above it are never visited; the
// key padding mask and elements past the range are masked element by
// element. The running maximum starts from the lowest finite float, and a
// query that sees no key yields zeros, never NaN.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/KernelEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::tessera;

namespace {
constexpr double kLowest = -3.4028234663852886e38;
/// Private (per-invocation) memory in the gpu -> SPIR-V mapping.
constexpr unsigned kFunctionMemorySpace = 6;
} // namespace

LogicalResult mlir::tessera::buildAttentionKernel(KernelEmitter &e) {
  OpBuilder &b = e.builder();
  Location loc = e.loc();
  auto attention = cast<AttentionOp>(e.dispatch().getRootOp());
  MaskKind maskKind = attention.getMaskOrNone().getKind();
  if (maskKind != MaskKind::None && maskKind != MaskKind::Causal)
    return e.emitError() << "attention with a '" << stringifyMaskKind(maskKind)
                         << "' mask has no kernel yet (none and causal do)";
  BlockArgument query, key, value, bias, padding;
  auto asInput = [&](Value v, BlockArgument &arg) {
    if (!v)
      return true;
    arg = dyn_cast<BlockArgument>(v);
    return static_cast<bool>(arg);
  };
  if (!asInput(attention.getQuery(), query) ||
      !asInput(attention.getKey(), key) ||
      !asInput(attention.getValue(), value) ||
      !asInput(attention.getBias(), bias) ||
      !asInput(attention.getKeyPaddingMask(), padding))
    return e.emitError() << "attention operands must be dispatch inputs";

  const SymbolicShape &q = e.shapeOf(query), &k = e.shapeOf(key);
  const SymbolicShape &v = e.shapeOf(value);
  if (!q[3].isConstant() || !v[3].isConstant() || !q[1].isConstant() ||
      !k[1].isConstant())
    return e.emitError() << "attention needs static head counts and head "
                            "dims";
  int64_t headDim = q[3].getCoefficient(), valueDim = v[3].getCoefficient();
  int64_t group = q[1].getCoefficient() / k[1].getCoefficient();
  int64_t queriesPerGroup = e.config().getWorkgroupSize()[0];
  int64_t keyTile = e.config().getTile()[1];

  KernelSignature &signature = e.signature();
  signature.workgroups[0] = {q[2], queriesPerGroup};
  signature.workgroups[1] = {q[1], 1};
  signature.workgroups[2] = {q[0], 1};

  Value queryLength = e.size(q[2]), keyLength = e.size(k[2]);
  Value batch = e.workgroupId(gpu::Dimension::z);
  Value head = e.workgroupId(gpu::Dimension::y);
  Value kvHead = arith::DivUIOp::create(b, loc, head, e.index(group));
  Value row = e.invocationStart(gpu::Dimension::x, queriesPerGroup, 1);
  Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row,
                                        queryLength);
  auto guardIf = scf::IfOp::create(b, loc, inRange, /*withElse=*/false);
  OpBuilder::InsertionGuard outerGuard(b);
  b.setInsertionPointToStart(&guardIf.getThenRegion().front());

  auto privateArray = [&](int64_t size) {
    return memref::AllocaOp::create(
        b, loc,
        MemRefType::get({size}, b.getF32Type(), MemRefLayoutAttrInterface(),
                        b.getI64IntegerAttr(kFunctionMemorySpace)));
  };
  auto forLoop = [&](Value lower, Value upper, int64_t step, ValueRange init,
                     function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return e.forLoop(lower, upper, e.index(step), init, body);
  };

  // The query row, pre-scaled.
  Value scale = e.f32(attention.getEffectiveScale());
  Value queryRow = privateArray(headDim);
  Value accumulator = privateArray(valueDim);
  Value queryBase =
      e.offset(e.inputView(query), {batch, head, row, e.index(0)});
  Value queryStride = e.size(e.inputView(query).strides[3]);
  forLoop(e.index(0), e.index(headDim), 1, {}, [&](Value d, ValueRange) {
    Value offset = arith::AddIOp::create(
        b, loc, queryBase, arith::MulIOp::create(b, loc, d, queryStride));
    Value scaled =
        arith::MulFOp::create(b, loc, e.loadAtOffset(query, offset), scale);
    memref::StoreOp::create(b, loc, scaled, queryRow, d);
    return SmallVector<Value>{};
  });
  forLoop(e.index(0), e.index(valueDim), 1, {}, [&](Value d, ValueRange) {
    memref::StoreOp::create(b, loc, e.f32(0.0), accumulator, d);
    return SmallVector<Value>{};
  });

  // Keys this query visits: all of them, or up to the diagonal.
  Value keyEnd = keyLength;
  if (maskKind == MaskKind::Causal) {
    Value diagonal = arith::SubIOp::create(
        b, loc, arith::AddIOp::create(b, loc, row, keyLength), queryLength);
    Value end = arith::AddIOp::create(b, loc, diagonal, e.index(1));
    keyEnd = arith::MinSIOp::create(
        b, loc, arith::MaxSIOp::create(b, loc, end, e.index(0)), keyLength);
  }
  Value lastKey = arith::SubIOp::create(b, loc, keyLength, e.index(1));
  const StridedView &keyView = e.inputView(key);
  const StridedView &valueView = e.inputView(value);
  Value keyStride = e.size(keyView.strides[3]);
  Value valueStride = e.size(valueView.strides[3]);
  StridedView biasView;
  if (bias)
    biasView = e.inputView(bias).broadcastTo({q[0], q[1], q[2], k[2]});

  Value scores = privateArray(keyTile);
  Value lowest = e.f32(kLowest);
  auto tiles = forLoop(
      e.index(0), keyEnd, keyTile, {lowest, e.f32(0.0)},
      [&](Value tileStart, ValueRange state) {
        Value runningMax = state[0], runningSum = state[1];
        // Scores of the tile, and its maximum over visible keys.
        auto tileMax = forLoop(
            e.index(0), e.index(keyTile), 1, {lowest},
            [&](Value t, ValueRange acc) {
              Value j = arith::AddIOp::create(b, loc, tileStart, t);
              Value visible = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::ult, j, keyEnd);
              Value jc = arith::MinUIOp::create(b, loc, j, lastKey);
              if (padding)
                visible = arith::AndIOp::create(
                    b, loc, visible, e.loadInput(padding, {batch, jc}));
              Value keyBase =
                  e.offset(keyView, {batch, kvHead, jc, e.index(0)});
              auto dot = forLoop(
                  e.index(0), e.index(headDim), 1, {e.f32(0.0)},
                  [&](Value d, ValueRange sum) {
                    Value offset = arith::AddIOp::create(
                        b, loc, keyBase,
                        arith::MulIOp::create(b, loc, d, keyStride));
                    Value product = arith::MulFOp::create(
                        b, loc, memref::LoadOp::create(b, loc, queryRow, d),
                        e.loadAtOffset(key, offset));
                    return SmallVector<Value>{
                        arith::AddFOp::create(b, loc, sum[0], product)};
                  });
              Value score = dot.getResult(0);
              if (bias)
                score = arith::AddFOp::create(
                    b, loc, score,
                    e.loadAtOffset(bias,
                                   e.offset(biasView, {batch, head, row, jc})));
              score = arith::SelectOp::create(b, loc, visible, score, lowest);
              memref::StoreOp::create(b, loc, score, scores, t);
              return SmallVector<Value>{
                  arith::MaximumFOp::create(b, loc, acc[0], score)};
            });
        Value newMax =
            arith::MaximumFOp::create(b, loc, runningMax, tileMax.getResult(0));
        Value correction = math::ExpOp::create(
            b, loc, arith::SubFOp::create(b, loc, runningMax, newMax));
        forLoop(e.index(0), e.index(valueDim), 1, {}, [&](Value d, ValueRange) {
          Value old = memref::LoadOp::create(b, loc, accumulator, d);
          memref::StoreOp::create(
              b, loc, arith::MulFOp::create(b, loc, old, correction),
              accumulator, d);
          return SmallVector<Value>{};
        });
        auto sum = forLoop(
            e.index(0), e.index(keyTile), 1,
            {arith::MulFOp::create(b, loc, runningSum, correction)},
            [&](Value t, ValueRange acc) {
              Value score = memref::LoadOp::create(b, loc, scores, t);
              Value visible = arith::CmpFOp::create(
                  b, loc, arith::CmpFPredicate::OGT, score, e.f32(kLowest / 2));
              Value weight = arith::SelectOp::create(
                  b, loc, visible,
                  math::ExpOp::create(
                      b, loc, arith::SubFOp::create(b, loc, score, newMax)),
                  e.f32(0.0));
              Value jc = arith::MinUIOp::create(
                  b, loc, arith::AddIOp::create(b, loc, tileStart, t), lastKey);
              Value valueBase =
                  e.offset(valueView, {batch, kvHead, jc, e.index(0)});
              forLoop(
                  e.index(0), e.index(valueDim), 1, {},
                  [&](Value d, ValueRange) {
                    Value offset = arith::AddIOp::create(
                        b, loc, valueBase,
                        arith::MulIOp::create(b, loc, d, valueStride));
                    Value old = memref::LoadOp::create(b, loc, accumulator, d);
                    Value updated = arith::AddFOp::create(
                        b, loc, old,
                        arith::MulFOp::create(b, loc, weight,
                                              e.loadAtOffset(value, offset)));
                    memref::StoreOp::create(b, loc, updated, accumulator, d);
                    return SmallVector<Value>{};
                  });
              return SmallVector<Value>{
                  arith::AddFOp::create(b, loc, acc[0], weight)};
            });
        return SmallVector<Value>{newMax, sum.getResult(0)};
      });

  Value total = tiles.getResult(1);
  Value seen = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, total,
                                     e.f32(0.0));
  Value inverse = arith::SelectOp::create(
      b, loc, seen, arith::DivFOp::create(b, loc, e.f32(1.0), total),
      e.f32(0.0));
  forLoop(e.index(0), e.index(valueDim), 1, {}, [&](Value d, ValueRange) {
    Value result = arith::MulFOp::create(
        b, loc, memref::LoadOp::create(b, loc, accumulator, d), inverse);
    SmallVector<Value> indices = {batch, head, row, d};
    e.storeOutput(indices, e.evaluateResult(indices, result));
    return SmallVector<Value>{};
  });
  return success();
}

//===- AttentionKernel.cpp - Attention with an online softmax -------------===//
//
// A group of thread_tile[1] adjacent invocations (the split, S) owns
// thread_tile[0] consecutive query rows (R); each invocation of the group
// holds 1/S of the rows' queries and accumulators (a slice of the head dims)
// and the slices' partial dot products are summed through subgroup shuffles
// (S = 1 on most profiles: see select-tile-configs). Keys are visited in
// tiles of `tile[1]`: every key and value element is loaded once per
// invocation and feeds R rows (on lavapipe, FMAs per loaded value decide the
// speed); the scores of a tile are kept, the running maximum and sum of each
// row are updated once per tile (the online softmax), then the tile's values
// are accumulated. The S x S score matrix is never written to memory.
//
// The mask is a parameter of this one builder. For the invocation's rows it
// gives an enumeration of the only keys they can see (`KeyEnumeration`: a
// count, the n-th key, and a per-row element predicate), and
// key tiles run over that enumeration (several rows per invocation only
// where their key sets are near-identical: none, causal, undilated sliding,
// and windows, whose rows are then taken in window order):
//   none      all keys;
//   causal    keys up to the diagonal p(i) = i + Lk - Lq: nothing above it;
//   sliding   the band [p - left, p + right], only at dilated positions
//             (every `dilation`-th key): work follows the keys attended;
//   window    the size x size window holding the query in the cyclically
//             shifted grid, mapped back to token indices: the roll and the
//             window partition move no data; the shift's region mask is
//             the element predicate;
//   global    a global query row sees every key; another row sees the
//             global keys, then its inner mask's keys minus them: one
//             enumeration of both, so that the key loops exist once (two
//             loop nests took lavapipe ten times as long to compile).
// Key padding and the ends of the sequence are element predicates. The
// running maximum starts from the lowest finite float. A row that sees no
// key (its padding, a dense bias or a mask with more queries than keys may
// hide them all) takes a second pass over every key that computes what the
// source graph gives it from the fills the op records (see AttentionOp);
// without them it yields zeros.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/KernelEmitter.h"
#include "dialects/tessera/IR/MaskVisibility.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <functional>
#include <limits>

using namespace mlir;
using namespace mlir::tessera;

namespace {
constexpr double kLowest = -3.4028234663852886e38;

/// MaskVisibility.h's arithmetic as IR: index values and i1 flags.
struct ValueArithmetic {
  using Int = Value;
  using Bool = Value;
  OpBuilder &b;
  Location loc;
  Int constant(int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }
  Int add(Int x, Int y) { return arith::AddIOp::create(b, loc, x, y); }
  Int sub(Int x, Int y) { return arith::SubIOp::create(b, loc, x, y); }
  Int mul(Int x, Int y) { return arith::MulIOp::create(b, loc, x, y); }
  Int div(Int x, Int y) { return arith::DivSIOp::create(b, loc, x, y); }
  Int rem(Int x, Int y) { return arith::RemSIOp::create(b, loc, x, y); }
  Int min(Int x, Int y) { return arith::MinSIOp::create(b, loc, x, y); }
  Int max(Int x, Int y) { return arith::MaxSIOp::create(b, loc, x, y); }
  Bool le(Int x, Int y) { return cmp(arith::CmpIPredicate::sle, x, y); }
  Bool lt(Int x, Int y) { return cmp(arith::CmpIPredicate::slt, x, y); }
  Bool eq(Int x, Int y) { return cmp(arith::CmpIPredicate::eq, x, y); }
  Bool both(Bool x, Bool y) { return arith::AndIOp::create(b, loc, x, y); }
  Bool either(Bool x, Bool y) { return arith::OrIOp::create(b, loc, x, y); }
  Bool truth(bool value) {
    return arith::ConstantOp::create(b, loc, b.getBoolAttr(value));
  }
  Bool negate(Bool x) { return arith::XOrIOp::create(b, loc, x, truth(true)); }
  Int select(Bool c, Int x, Int y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Bool cmp(arith::CmpIPredicate p, Int x, Int y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
};

/// Whether a row of `attention` may see no key, in a way whose result the
/// op defines from the source graph, so that its kernel needs the second
/// pass over every key: the padding may hide every key; a mask with more
/// queries than keys may leave the first rows none; a dense bias may hide
/// every key. A padding or mask without its fill (IR written by hand)
/// leaves such a row zeros instead.
bool mayHideEveryKey(AttentionOp attention, const SymbolicShapes &shapes) {
  bool padding = static_cast<bool>(attention.getKeyPaddingMask());
  bool masked = attention.getMaskOrNone().getKind() != MaskKind::None;
  if ((padding && !attention.getPaddingFill() && !attention.getSharedFill()) ||
      (masked && !attention.getMaskFill()))
    return false;
  if (padding || (attention.getBias() && !attention.getWindowRelativeBias()))
    return true;
  if (!masked)
    return false;
  // A mask shows each query its own position (p(i) = i + Lk - Lq) once it
  // lies among the keys: when Lk - Lq is never negative.
  DimExpr extra = shapes.getShape(attention.getKey())[2] -
                  shapes.getShape(attention.getQuery())[2];
  return llvm::any_of(extra.getTerms(), [](const DimExpr::Term &term) {
    return term.coefficient < 0;
  });
}
/// (x mod m) for x in [-m, 2m).
Value wrapIndex(KernelEmitter &e, Value x, int64_t m) {
  OpBuilder &b = e.builder();
  Location loc = e.loc();
  Value shifted = arith::AddIOp::create(b, loc, x, e.index(m));
  return arith::RemUIOp::create(b, loc, shifted, e.index(m)).getResult();
}

/// Swin's region of the shift along one axis of the shifted grid.
Value shiftRegion(KernelEmitter &e, Value x, int64_t side, int64_t size,
                  int64_t shift) {
  OpBuilder &b = e.builder();
  Location loc = e.loc();
  auto from = [&](int64_t bound) {
    Value flag = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, x,
                                       e.index(bound));
    return arith::SelectOp::create(b, loc, flag, e.index(1), e.index(0))
        .getResult();
  };
  return arith::AddIOp::create(b, loc, from(side - size), from(side - shift))
      .getResult();
}

/// A position of a window: its cell in the shifted grid and the token it
/// holds (queries and keys alike).
struct WindowCell {
  Value shiftedRow, shiftedCol, token;
};

/// How an invocation's rows are laid out: `rowCount` rows per invocation;
/// under a window mask, each window padded to `windowSlots` rows, with
/// `windowsPerRow` windows along the grid's width.
struct RowLayout {
  int64_t rowCount, windowSlots, windowsPerRow;
};

/// The invocation's query rows: their indices (clamped for loads past the
/// end), whether they exist, and their positions among the keys; under a
/// window mask also the window's cells, per row its cell and its position
/// in the window.
struct QueryRows {
  SmallVector<Value> rows, rowValid, clampedRows, positions;
  std::function<WindowCell(Value)> windowCell;
  SmallVector<Value> shiftedRows, shiftedCols, windowQueryPositions;
};

/// `count` consecutive query rows from `firstRow`; a row's position among
/// the keys is its index plus Lk - Lq (the diagonal of a causal mask).
QueryRows tokenOrderRows(KernelEmitter &e, Value firstRow, int64_t count,
                         Value queryLength, Value keyLength) {
  OpBuilder &b = e.builder();
  Location loc = e.loc();
  QueryRows rows;
  Value lastQuery = arith::SubIOp::create(b, loc, queryLength, e.index(1));
  for (int64_t r = 0; r < count; ++r) {
    Value row = arith::AddIOp::create(b, loc, firstRow, e.index(r));
    rows.rows.push_back(row);
    rows.rowValid.push_back(arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ult, row, queryLength));
    rows.clampedRows.push_back(arith::MinUIOp::create(b, loc, row, lastQuery));
    rows.positions.push_back(arith::SubIOp::create(
        b, loc,
        arith::AddIOp::create(b, loc, rows.clampedRows.back(), keyLength),
        queryLength));
  }
  return rows;
}

/// Rows are taken in token order, except under a window mask: there an
/// invocation's rows are consecutive positions of one window, so that they
/// share its keys.
QueryRows placeQueryRows(KernelEmitter &e, MaskAttr mask, RowLayout layout,
                         Value firstRow, Value queryLength, Value keyLength) {
  OpBuilder &b = e.builder();
  Location loc = e.loc();
  auto add = [&](Value x, Value y) {
    return arith::AddIOp::create(b, loc, x, y).getResult();
  };
  auto mul = [&](Value x, int64_t c) {
    return arith::MulIOp::create(b, loc, x, e.index(c)).getResult();
  };
  auto cmp = [&](arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y).getResult();
  };
  QueryRows placed;
  int64_t rowCount = layout.rowCount;
  if (mask.getKind() == MaskKind::Window) {
    int64_t height = mask.getGrid()[0], width = mask.getGrid()[1];
    int64_t shift = mask.getShift();
    int64_t windowSize = *mask.getSize();
    int64_t windowPositions = windowSize * windowSize;
    Value window =
        arith::DivUIOp::create(b, loc, firstRow, e.index(layout.windowSlots));
    Value firstPosition =
        arith::RemUIOp::create(b, loc, firstRow, e.index(layout.windowSlots));
    Value row0 = mul(
        arith::DivUIOp::create(b, loc, window, e.index(layout.windowsPerRow)),
        windowSize);
    Value col0 = mul(
        arith::RemUIOp::create(b, loc, window, e.index(layout.windowsPerRow)),
        windowSize);
    // Called again inside the key loops: captures by copy.
    placed.windowCell = [&e, row0, col0, windowSize, shift, height,
                         width](Value position) {
      OpBuilder &b = e.builder();
      Location loc = e.loc();
      Value row = arith::AddIOp::create(
          b, loc, row0,
          arith::DivUIOp::create(b, loc, position, e.index(windowSize)));
      Value col = arith::AddIOp::create(
          b, loc, col0,
          arith::RemUIOp::create(b, loc, position, e.index(windowSize)));
      // Undo the cyclic shift.
      Value tokenRow = wrapIndex(
          e, arith::AddIOp::create(b, loc, row, e.index(shift)), height);
      Value tokenCol = wrapIndex(
          e, arith::AddIOp::create(b, loc, col, e.index(shift)), width);
      Value token = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, tokenRow, e.index(width)),
          tokenCol);
      return WindowCell{row, col, token};
    };
    for (int64_t r = 0; r < rowCount; ++r) {
      Value position = add(firstPosition, e.index(r));
      placed.rowValid.push_back(
          cmp(arith::CmpIPredicate::ult, position, e.index(windowPositions)));
      position = arith::MinUIOp::create(b, loc, position,
                                        e.index(windowPositions - 1));
      WindowCell cell = placed.windowCell(position);
      placed.windowQueryPositions.push_back(position);
      placed.shiftedRows.push_back(cell.shiftedRow);
      placed.shiftedCols.push_back(cell.shiftedCol);
      placed.rows.push_back(cell.token);
      placed.clampedRows.push_back(cell.token);
      placed.positions.push_back(cell.token);
    }
    return placed;
  }
  return tokenOrderRows(e, firstRow, rowCount, queryLength, keyLength);
}

/// Whether row r of a group sees key `key` (the n-th of the key range),
/// where rows of one group see different keys within the range; empty
/// where they all see the whole range. Runs later, inside the tile loops:
/// captures by copy.
using RowPredicate = std::function<Value(int64_t, Value, Value)>;
RowPredicate rowPredicateOf(KernelEmitter &e, MaskAttr m,
                            const QueryRows &placed,
                            const MaskKeyRange<ValueArithmetic> &range,
                            ValueArithmetic &arithmetic) {
  int64_t rowCount = placed.positions.size();
  SmallVector<Value> positions = placed.positions;
  switch (m.getKind()) {
  case MaskKind::None:
    return {};
  case MaskKind::Causal:
    if (rowCount == 1)
      return {};
    return [&e, positions](int64_t r, Value key, Value) {
      return arith::CmpIOp::create(e.builder(), e.loc(),
                                   arith::CmpIPredicate::sle, key, positions[r])
          .getResult();
    };
  case MaskKind::Prefix: {
    // One row sees exactly its range; rows of a group differ past the
    // prefix, on their diagonals.
    if (rowCount == 1)
      return {};
    int64_t length = *m.getLength();
    return [&e, positions, length](int64_t r, Value key, Value) {
      OpBuilder &b = e.builder();
      Location loc = e.loc();
      return arith::OrIOp::create(
                 b, loc,
                 arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, key,
                                       e.index(length)),
                 arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, key,
                                       positions[r]))
          .getResult();
    };
  }
  case MaskKind::Sliding: {
    // Dilated bands have one row per invocation.
    if (rowCount == 1 || m.getDilation() != 1)
      return {};
    int64_t left = *m.getLeft(), right = *m.getRight();
    return [&e, positions, left, right](int64_t r, Value key, Value) {
      OpBuilder &b = e.builder();
      Location loc = e.loc();
      Value low = arith::SubIOp::create(b, loc, positions[r], e.index(left));
      Value high = arith::AddIOp::create(b, loc, positions[r], e.index(right));
      return arith::AndIOp::create(
                 b, loc,
                 arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, key,
                                       low),
                 arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, key,
                                       high))
          .getResult();
    };
  }
  case MaskKind::Window: {
    int64_t height = m.getGrid()[0], width = m.getGrid()[1];
    int64_t size = *m.getSize(), shift = m.getShift();
    if (shift == 0)
      return {};
    // The key must lie in the query's region of the shift (rows of one
    // window may lie in different regions).
    SmallVector<Value> queryRow, queryCol;
    for (int64_t r = 0; r < rowCount; ++r) {
      queryRow.push_back(
          shiftRegion(e, placed.shiftedRows[r], height, size, shift));
      queryCol.push_back(
          shiftRegion(e, placed.shiftedCols[r], width, size, shift));
    }
    return [&e, queryRow, queryCol, size, shift, height,
            width](int64_t r, Value token, Value) {
      OpBuilder &b = e.builder();
      Location loc = e.loc();
      Value row = arith::DivUIOp::create(b, loc, token, e.index(width));
      Value col = arith::RemUIOp::create(b, loc, token, e.index(width));
      Value rr = wrapIndex(
          e, arith::SubIOp::create(b, loc, row, e.index(shift)), height);
      Value cc = wrapIndex(
          e, arith::SubIOp::create(b, loc, col, e.index(shift)), width);
      Value sameRow = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq,
          shiftRegion(e, rr, height, size, shift), queryRow[r]);
      Value sameCol = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq,
          shiftRegion(e, cc, width, size, shift), queryCol[r]);
      return arith::AndIOp::create(b, loc, sameRow, sameCol).getResult();
    };
  }
  case MaskKind::Global: {
    // The global keys (n < G); then the inner mask's keys, seen when the
    // inner predicate holds and the key is not global (counted above); a
    // global row sees them all.
    RowPredicate inner =
        rowPredicateOf(e, m.getInner(), placed, range, arithmetic);
    Value globalRow = range.globalRow, globalCount = range.globalCount;
    return [&e, &arithmetic, m, globalRow, globalCount,
            inner](int64_t r, Value key, Value n) {
      OpBuilder &b = e.builder();
      Location loc = e.loc();
      Value notGlobal = arithmetic.negate(isGlobalToken(m, arithmetic, key));
      Value visible =
          inner ? arith::AndIOp::create(
                      b, loc,
                      inner(r, key,
                            arith::SubIOp::create(b, loc, n, globalCount)),
                      notGlobal)
                      .getResult()
                : notGlobal;
      Value inGlobal = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                             n, globalCount);
      visible = arith::OrIOp::create(b, loc, inGlobal, visible);
      return arith::OrIOp::create(b, loc, globalRow, visible).getResult();
    };
  }
  }
  llvm_unreachable("unknown mask kind");
}

/// How an invocation holds rows of Q, K and V in registers: in chunks of
/// `width` f32 values (vec4 where the views allow it, selectInputLoadWidths,
/// else scalars; f16 rows may come eight per load: two chunks), each lane
/// of a group a slice of the head dims.
class RowChunks {
public:
  RowChunks(KernelEmitter &e, int64_t loadWidth, int64_t split)
      : e_(e), loadWidth_(loadWidth), width_(std::min<int64_t>(loadWidth, 4)),
        split_(split),
        type_(width_ == 4 ? Type(VectorType::get({4}, e.builder().getF32Type()))
                          : Type(e.builder().getF32Type())) {}

  int64_t getLoadWidth() const { return loadWidth_; }
  int64_t getWidth() const { return width_; }
  Type getType() const { return type_; }

  /// `scalar` in every lane of a chunk.
  Value splat(Value scalar) {
    return width_ == 4 ? vector::BroadcastOp::create(e_.builder(), e_.loc(),
                                                     type_, scalar)
                             .getResult()
                       : scalar;
  }

  /// Calls `body(c, chunk)` for the `count` chunks of the row of `input`
  /// starting at `base`, in order, each right after the load that brings
  /// it (an eight-wide f16 load brings two).
  void forEachChunk(BlockArgument input, Value base, int64_t count,
                    Value stride, function_ref<void(int64_t, Value)> body) {
    OpBuilder &b = e_.builder();
    Location loc = e_.loc();
    auto add = [&](Value x, Value y) {
      return arith::AddIOp::create(b, loc, x, y).getResult();
    };
    for (int64_t c = 0; c < count;) {
      if (loadWidth_ == 8) {
        SmallVector<Value> eight =
            e_.loadChunkAtOffset(input, add(base, e_.index(4 * c)));
        for (int64_t h = 0; h < 2; ++h, ++c)
          body(c, vector::FromElementsOp::create(
                      b, loc, type_, ArrayRef(eight).slice(4 * h, 4)));
        continue;
      }
      body(c, width_ == 4
                  ? e_.loadVec4AtOffset(input, add(base, e_.index(4 * c)))
                  : e_.loadAtOffset(
                        input, add(base, arith::MulIOp::create(
                                             b, loc, e_.index(c), stride))));
      ++c;
    }
  }

  /// The sum of a chunk's lanes.
  Value laneSum(Value chunk) {
    return width_ == 4
               ? vector::ReductionOp::create(e_.builder(), e_.loc(),
                                             vector::CombiningKind::ADD, chunk)
                     .getResult()
               : chunk;
  }

  /// The sum of `partial` over the invocations of the group (a butterfly
  /// of shuffles: every lane gets the whole sum).
  Value sumOverGroup(Value partial) {
    for (int64_t distance = 1; distance < split_; distance *= 2)
      partial = arith::AddFOp::create(e_.builder(), e_.loc(), partial,
                                      e_.subgroupShuffleXor(partial, distance));
    return partial;
  }

private:
  KernelEmitter &e_;
  int64_t loadWidth_, width_, split_;
  Type type_;
};

/// The keys a group of rows visits (maskKeyRange): n in [0, count) stands
/// for key keyOf(n); row r sees it when predicate(r, key, n) holds (and the
/// key lies in [0, Lk)), where the rows' keys differ. The functions run
/// inside the tile loops: they capture by copy.
struct KeyEnumeration {
  Value count;
  std::function<Value(Value)> keyOf;
  std::function<Value(int64_t, Value, Value)> predicate; // empty: always
};

/// Builds the attention kernel of one dispatch (see the file comment), in
/// phases: read the operands and the row layout; place the invocation's
/// rows; load their queries; prepare the keys (views, bias, ALiBi, the key
/// range); visit the key tiles with the online softmax; recompute rows that
/// saw no key; store.
class AttentionKernelBuilder {
public:
  explicit AttentionKernelBuilder(KernelEmitter &e)
      : e(e), b(e.builder()), loc(e.loc()),
        attention(cast<AttentionOp>(e.dispatch().getRootOp())),
        mask(attention.getMaskOrNone()), arithmetic{b, loc} {}

  LogicalResult build();

private:
  LogicalResult readOperands();
  scf::IfOp startInvocation();
  LogicalResult loadQueries();
  void prepareKeys();
  void visitKeyTiles();
  SmallVector<Value> loadRowQueries(const QueryRows &rows);
  Value rotateQueryChunk(Value row, Value base, int64_t c, Value chunk);
  SmallVector<Value> scoresAgainst(const QueryRows &rows,
                                   ArrayRef<Value> rowQueries, Value jc,
                                   Value biasColumn);
  std::pair<Value, Value> resolve(Value n);
  SmallVector<Value> attendToEveryKey(const QueryRows &rows,
                                      ArrayRef<Value> rowQueries);
  void storeResults(ArrayRef<Value> seen, bool unseenStoredApart);
  void storeUnseenRows(ArrayRef<Value> seen);
  void storeRow(Value row, ArrayRef<Value> rowChunks,
                function_ref<Value(Value)> finish);

  Value add(Value x, Value y) {
    return arith::AddIOp::create(b, loc, x, y).getResult();
  }
  Value mul(Value x, int64_t c) {
    return arith::MulIOp::create(b, loc, x, e.index(c)).getResult();
  }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y).getResult();
  }
  Value both(Value x, Value y) {
    return arith::AndIOp::create(b, loc, x, y).getResult();
  }
  Value choose(Value c, Value x, Value y) {
    // SPIR-V 1.3 selects vectors by a vector of conditions.
    if (auto vector = dyn_cast<VectorType>(x.getType()))
      c = vector::BroadcastOp::create(b, loc, vector.clone(b.getI1Type()), c);
    return arith::SelectOp::create(b, loc, c, x, y).getResult();
  }
  /// Of the per-row values `of(i)`, row `r`'s, where a kept loop takes the
  /// invocation's rows one at a time: a chain of selects (`r` may be null
  /// when there is one row).
  Value rowValue(Value r, function_ref<Value(int64_t)> of) {
    Value value = of(0);
    for (int64_t i = 1; i < rowCount; ++i)
      value =
          choose(cmp(arith::CmpIPredicate::eq, r, e.index(i)), of(i), value);
    return value;
  }
  scf::ForOp forLoop(Value lower, Value upper, int64_t step, ValueRange init,
                     function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return e.forLoop(lower, upper, e.index(step), init, body);
  }
  /// Row r's slot for key t of a tile in the tile's score array.
  Value scoreSlot(int64_t r, Value t) {
    return r == 0 ? t : add(t, e.index(r * keyTile));
  }

  KernelEmitter &e;
  OpBuilder &b;
  Location loc;
  AttentionOp attention;
  MaskAttr mask;
  ValueArithmetic arithmetic;

  // Operands and layout (readOperands).
  BlockArgument query, key, value, bias, padding;
  RotaryOp queryRotary; // applied as the queries are loaded, where fused
  SymbolicShape q, k, v;
  int64_t headDim = 0, valueDim = 0, group = 0, invocations = 0;
  int64_t rowCount = 0, split = 0, keyTile = 0;
  bool windowOrder = false;
  int64_t windowSize = 0, windowPositions = 0, windowSlots = 0,
          windowsPerRow = 0;
  DimExpr rowSlots;

  // The invocation and its rows (startInvocation, placeQueryRows).
  Value queryLength, keyLength, batch, head, kvHead, lane, firstRow;
  QueryRows placed;

  // Queries (loadQueries).
  std::optional<RowChunks> chunks;
  int64_t width = 0, valueSlice = 0, queryChunks = 0, valueChunks = 0;
  Type chunkType;
  Value zeroChunk, querySliceStart, valueSliceStart;
  SmallVector<Value> queryValues; // [r * queryChunks + c]

  // Keys (prepareKeys).
  Value lastKey, keyStride, valueStride, alibiSlope;
  StridedView keyView, valueView, biasView;
  bool windowBias = false;
  MaskKeyRange<ValueArithmetic> range;
  KeyEnumeration keys;

  // The key tiles (visitKeyTiles): the scores of a tile, and carried over
  // the tiles each row's running maximum, then each row's running sum, then
  // the accumulators [r * valueChunks + c].
  Value scores, lowest;
  int64_t sums = 0, accumulators = 0;
  SmallVector<Value> state;
};

LogicalResult AttentionKernelBuilder::readOperands() {
  auto asInput = [&](Value v, BlockArgument &arg) {
    if (!v)
      return true;
    arg = dyn_cast<BlockArgument>(v);
    return static_cast<bool>(arg);
  };
  queryRotary = attention.getQuery().getDefiningOp<RotaryOp>();
  if (!asInput(attention.getQueryRows(), query) ||
      !asInput(attention.getKey(), key) ||
      !asInput(attention.getValue(), value) ||
      !asInput(attention.getBias(), bias) ||
      !asInput(attention.getKeyPaddingMask(), padding))
    return e.emitError() << "attention operands must be dispatch inputs";

  q = e.shapeOf(query);
  k = e.shapeOf(key);
  v = e.shapeOf(value);
  if (!q[3].isConstant() || !v[3].isConstant() || !q[1].isConstant() ||
      !k[1].isConstant())
    return e.emitError() << "attention needs static head counts and head "
                            "dims";
  headDim = q[3].getCoefficient();
  valueDim = v[3].getCoefficient();
  group = q[1].getCoefficient() / k[1].getCoefficient();
  invocations = e.config().getWorkgroupSize()[0];
  rowCount = e.config().getThreadTile()[0];
  split = attentionHeadDimSplit(e.config());
  keyTile = e.config().getTile()[1];
  if (split < 1 || invocations % split != 0 || headDim % split != 0 ||
      valueDim % split != 0)
    return e.emitError() << "cannot split head dims " << headDim << " and "
                         << valueDim << " over " << split
                         << " invocations of a workgroup of " << invocations;
  if (rowCount > 1 && !rowsShareKeyRange(mask))
    return e.emitError() << "a '" << stringifyMaskKind(mask.getKind())
                         << "' mask needs one query row per invocation";

  // Rows are taken in token order, except under a window mask: there an
  // invocation's rows are consecutive positions of one window (each window
  // padded to a multiple of the row count), so that they share its keys.
  windowOrder = mask.getKind() == MaskKind::Window;
  windowSize = windowOrder ? *mask.getSize() : 0;
  windowPositions = windowSize * windowSize;
  windowSlots = 0;
  windowsPerRow = 0;
  rowSlots = q[2];
  if (windowOrder) {
    windowSlots = (windowPositions + rowCount - 1) / rowCount * rowCount;
    windowsPerRow = mask.getGrid()[1] / windowSize;
    rowSlots = DimExpr::constant(mask.getGrid()[0] / windowSize *
                                 windowsPerRow * windowSlots);
  }
  KernelSignature &signature = e.signature();
  // Lavapipe's NIR unrolls a one-row kernel's 16-key loops (and the tile
  // loop at small static lengths): up to 48 copies of the body, cold
  // compiles of 15-60 s instead of under 1 s, and slower (0.62 vs 0.43 ms).
  signature.keepLoops = true;
  int64_t groups = invocations / split;
  signature.workgroups[0] = {rowSlots, groups * rowCount};
  signature.workgroups[1] = {q[1], 1};
  signature.workgroups[2] = {q[0], 1};
  return success();
}

/// The invocation's workgroup and lane; an `scf.if` that holds the rest of
/// the kernel, for invocations with rows to compute.
scf::IfOp AttentionKernelBuilder::startInvocation() {
  int64_t groups = invocations / split;
  queryLength = e.size(q[2]);
  keyLength = e.size(k[2]);
  batch = e.workgroupId(gpu::Dimension::z);
  head = e.workgroupId(gpu::Dimension::y);
  kvHead = arith::DivUIOp::create(b, loc, head, e.index(group));
  // The invocation's group gives its rows; its lane in the group, the
  // slices of the head dims it holds: [lane * D / split, + D / split) of
  // the query and key rows, the same share of the value rows. (Without a
  // split, the division and remainder by 1 fold away.)
  Value workgroupStart =
      arith::MulIOp::create(b, loc, e.workgroupId(gpu::Dimension::x),
                            e.index(groups * rowCount));
  Value thread = e.threadId(gpu::Dimension::x);
  lane = arith::RemUIOp::create(b, loc, thread, e.index(split));
  Value rowGroup = arith::DivUIOp::create(b, loc, thread, e.index(split));
  firstRow = arith::AddIOp::create(
      b, loc, workgroupStart,
      arith::MulIOp::create(b, loc, rowGroup, e.index(rowCount)));
  Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                        firstRow, e.size(rowSlots));
  return scf::IfOp::create(b, loc, inRange, /*withElse=*/false);
}

LogicalResult AttentionKernelBuilder::loadQueries() {
  // The rows' queries (pre-scaled) and, below, their accumulators live in
  // registers: the loops over the head dim are unrolled. (A private array
  // indexed at run time costs lavapipe a memory access per lane and
  // element.) Rows are held in chunks of `width` elements: vec4 where the
  // views allow it (selectInputLoadWidths), else scalars. f16 rows may come
  // eight per load: two chunks->
  chunks.emplace(e, e.loadWidth(query), split);
  int64_t loadWidth = chunks->getLoadWidth();
  width = chunks->getWidth();
  chunkType = chunks->getType();
  zeroChunk = chunks->splat(e.f32(0.0));
  int64_t querySlice = headDim / split;
  valueSlice = valueDim / split;
  if (querySlice % width != 0 || valueSlice % width != 0)
    return e.emitError() << "head dim slices of " << querySlice << " and "
                         << valueSlice << " are not whole loads of "
                         << loadWidth;
  queryChunks = querySlice / width;
  valueChunks = valueSlice / width;
  querySliceStart = mul(lane, querySlice);
  valueSliceStart = mul(lane, valueSlice);
  queryValues = loadRowQueries(placed);
  return success();
}

/// The rows' queries, pre-scaled: [r * queryChunks + c]. Several rows are
/// loaded one at a time in a loop that is kept, each iteration's chunks
/// selected into its row's registers: the loads are written once, not
/// once per row (see storeResults).
SmallVector<Value>
AttentionKernelBuilder::loadRowQueries(const QueryRows &rows) {
  Value scale = e.f32(attention.getEffectiveScale());
  Value queryStride = e.size(e.inputView(query).strides[3]);
  auto loadRow = [&](Value row) {
    SmallVector<Value> values;
    Value base =
        e.offset(e.inputView(query), {batch, head, row, querySliceStart});
    chunks->forEachChunk(
        query, base, queryChunks, queryStride, [&](int64_t c, Value chunk) {
          if (queryRotary)
            chunk = rotateQueryChunk(row, base, c, chunk);
          values.push_back(
              arith::MulFOp::create(b, loc, chunk, chunks->splat(scale)));
        });
    return values;
  };
  int64_t count = rows.clampedRows.size();
  if (count == 1)
    return loadRow(rows.clampedRows.front());
  SmallVector<Value> init(count * queryChunks, zeroChunk);
  auto loop = forLoop(
      e.index(0), e.index(count), 1, init, [&](Value r, ValueRange carried) {
        SmallVector<Value> isRow;
        Value row = rows.clampedRows[0];
        for (int64_t i = 0; i < count; ++i) {
          isRow.push_back(cmp(arith::CmpIPredicate::eq, r, e.index(i)));
          if (i > 0)
            row = choose(isRow[i], rows.clampedRows[i], row);
        }
        SmallVector<Value> loaded = loadRow(row);
        SmallVector<Value> next(carried.begin(), carried.end());
        for (int64_t i = 0; i < count; ++i)
          for (int64_t c = 0; c < queryChunks; ++c)
            next[i * queryChunks + c] =
                choose(isRow[i], loaded[c], next[i * queryChunks + c]);
        return next;
      });
  return SmallVector<Value>(loop.getResults());
}

/// Chunk `c` of a query row (from `base`) with the rotary embedding
/// applied: x · cos + ±partner · sin (RotaryOp::getPairDistance), the
/// partner chunk loaded D/2 away, or taken from the chunk's own lanes when
/// interleaved (selectInputLoadWidths keeps chunks within a half).
Value AttentionKernelBuilder::rotateQueryChunk(Value row, Value base, int64_t c,
                                               Value chunk) {
  int64_t distance = queryRotary.getPairDistance();
  Value stride = e.size(e.inputView(query).strides[3]);
  Value first = add(querySliceStart, e.index(c * width));
  SmallVector<Value> cosines, sines, signs;
  Value partner;
  if (queryRotary.getInterleaved() && width == 4) {
    partner = vector::ShuffleOp::create(b, loc, chunk, chunk,
                                        ArrayRef<int64_t>{1, 0, 3, 2});
  } else {
    // The first position of the chunk decides for all of it.
    Value isFirst = e.isFirstOfRotaryPair(queryRotary, first);
    Value delta =
        arithmetic.select(isFirst, e.index(distance), e.index(-distance));
    Value at = add(base, arith::MulIOp::create(
                             b, loc, add(e.index(c * width), delta), stride));
    partner =
        width == 4 ? e.loadVec4AtOffset(query, at) : e.loadAtOffset(query, at);
  }
  for (int64_t i = 0; i < width; ++i) {
    Value d = add(first, e.index(i));
    cosines.push_back(e.evaluate(queryRotary.getCos(), {batch, head, row, d}));
    sines.push_back(e.evaluate(queryRotary.getSin(), {batch, head, row, d}));
    signs.push_back(arithmetic.select(e.isFirstOfRotaryPair(queryRotary, d),
                                      e.f32(-1.0), e.f32(1.0)));
  }
  auto gather = [&](ArrayRef<Value> lanes) -> Value {
    if (width == 1)
      return lanes.front();
    return vector::FromElementsOp::create(b, loc, chunkType, lanes);
  };
  Value rotated = arith::MulFOp::create(b, loc, gather(signs), partner);
  return arith::AddFOp::create(
      b, loc, arith::MulFOp::create(b, loc, chunk, gather(cosines)),
      arith::MulFOp::create(b, loc, rotated, gather(sines)));
}

void AttentionKernelBuilder::prepareKeys() {
  lastKey = arith::SubIOp::create(b, loc, keyLength, e.index(1));
  keyView = e.inputView(key);
  valueView = e.inputView(value);
  keyStride = e.size(keyView.strides[3]);
  valueStride = e.size(valueView.strides[3]);
  // Swin's relative position table is indexed by positions in the window.
  windowBias = attention.getWindowRelativeBias();

  if (bias) {
    DimExpr inWindow = DimExpr::constant(windowPositions);
    biasView =
        e.inputView(bias).broadcastTo({q[0], q[1], windowBias ? inWindow : q[2],
                                       windowBias ? inWindow : k[2]});
  }
  // ALiBi: this head's slope (heads are workgroups along y).

  if (std::optional<ArrayRef<float>> slopes = attention.getAlibiSlopes()) {
    alibiSlope = e.f32(slopes->back());
    for (int64_t h = static_cast<int64_t>(slopes->size()) - 2; h >= 0; --h)
      alibiSlope = choose(cmp(arith::CmpIPredicate::eq, head, e.index(h)),
                          e.f32((*slopes)[h]), alibiSlope);
  }

  // The keys the rows can see (maskKeyRange): n in [0, count) stands for
  // key keyOf(n); row r sees it when predicate(r, key, n) holds (and the
  // key lies in [0, Lk)), where the rows' keys differ. The functions run
  // later, inside the tile loops: they capture by copy.
  range = maskKeyRange(
      mask, arithmetic, placed.positions.front(), placed.positions.back(),
      keyLength, [cell = placed.windowCell](Value n) { return cell(n).token; });
  keys = KeyEnumeration{range.count, range.keyOf,
                        rowPredicateOf(e, mask, placed, range, arithmetic)};
}

/// The rows' scores against key `jc`: scale · q·k (each invocation's
/// slice of the dot product, summed over the group), plus the bias at
/// `biasColumn` and ALiBi. Each K element is loaded once and feeds every
/// row.
SmallVector<Value>
AttentionKernelBuilder::scoresAgainst(const QueryRows &rows,
                                      ArrayRef<Value> rowQueries, Value jc,
                                      Value biasColumn) {
  int64_t rowCount = rows.positions.size();
  Value keyBase = e.offset(keyView, {batch, kvHead, jc, querySliceStart});
  SmallVector<Value> dots(rowCount, zeroChunk);
  chunks->forEachChunk(
      key, keyBase, queryChunks, keyStride, [&](int64_t c, Value keyChunk) {
        for (int64_t r = 0; r < rowCount; ++r)
          dots[r] = arith::AddFOp::create(
              b, loc, dots[r],
              arith::MulFOp::create(b, loc, rowQueries[r * queryChunks + c],
                                    keyChunk));
      });
  SmallVector<Value> rowScores;
  for (int64_t r = 0; r < rowCount; ++r) {
    Value score = chunks->sumOverGroup(chunks->laneSum(dots[r]));
    if (bias) {
      Value biasRow =
          windowBias ? rows.windowQueryPositions[r] : rows.clampedRows[r];
      score = arith::AddFOp::create(
          b, loc, score,
          e.loadAtOffset(
              bias, e.offset(biasView, {batch, head, biasRow, biasColumn})));
    }
    if (alibiSlope) {
      Value distance = arith::SubIOp::create(b, loc, rows.positions[r], jc);
      Value asFloat = arith::SIToFPOp::create(
          b, loc, b.getF32Type(),
          arith::IndexCastOp::create(b, loc, b.getI32Type(), distance));
      score = arith::SubFOp::create(
          b, loc, score,
          arith::MulFOp::create(b, loc, alibiSlope,
                                math::AbsFOp::create(b, loc, asFloat)));
    }
    rowScores.push_back(score);
  }
  return rowScores;
}

/// A key of the enumeration, clamped for loads, and whether it exists.
std::pair<Value, Value> AttentionKernelBuilder::resolve(Value n) {
  Value keyIndex = keys.keyOf(n);
  Value exists =
      both(cmp(arith::CmpIPredicate::slt, n, keys.count),
           both(cmp(arith::CmpIPredicate::sge, keyIndex, e.index(0)),
                cmp(arith::CmpIPredicate::slt, keyIndex, keyLength)));
  Value clamped = arith::MinSIOp::create(
      b, loc, arith::MaxSIOp::create(b, loc, keyIndex, e.index(0)), lastKey);
  return std::make_pair(clamped, exists);
}

void AttentionKernelBuilder::visitKeyTiles() {

  // The scores of a key tile: a small private array, one slot per row and
  // key (indexed at run time: per score, not per element).
  scores = memref::AllocaOp::create(
      b, loc,
      MemRefType::get({rowCount * keyTile}, b.getF32Type(),
                      MemRefLayoutAttrInterface(),
                      b.getI64IntegerAttr(kPrivateMemorySpace)));
  lowest = e.f32(kLowest);
  // Carried over the key tiles: each row's running maximum, then each row's
  // running sum, then the accumulators [r * valueChunks + c].
  sums = rowCount;
  accumulators = 2 * rowCount;
  state.assign(rowCount, lowest);
  state.append(rowCount, e.f32(0.0));
  state.append(rowCount * valueChunks, zeroChunk);
  auto tiles = forLoop(
      e.index(0), keys.count, keyTile, state,
      [&](Value tileStart, ValueRange carried) {
        // The tile's scores, kept in a small private array
        // [r * keyTile + t], and each row's maximum over them. Each K
        // element is loaded once and feeds every row.
        auto tileMax = forLoop(
            e.index(0), e.index(keyTile), 1,
            SmallVector<Value>(rowCount, lowest),
            [&](Value t, ValueRange maxima) {
              Value n = add(tileStart, t);
              auto [jc, exists] = resolve(n);
              if (padding)
                exists = both(exists, e.loadInput(padding, {batch, jc}));
              // A window's n-th key is its n-th position (clamped: slots
              // past the window's end are masked, but load).
              SmallVector<Value> rowScores = scoresAgainst(
                  placed, queryValues, jc,
                  windowBias ? arith::MinUIOp::create(
                                   b, loc, n, e.index(windowPositions - 1))
                                   .getResult()
                             : jc);
              SmallVector<Value> next;
              for (int64_t r = 0; r < rowCount; ++r) {
                Value score = rowScores[r];
                Value visible = exists;
                if (keys.predicate)
                  visible = both(visible, keys.predicate(r, jc, n));
                score = choose(visible, score, lowest);
                memref::StoreOp::create(b, loc, score, scores, scoreSlot(r, t));
                next.push_back(
                    arith::MaximumFOp::create(b, loc, maxima[r], score));
              }
              return next;
            });
        // The online softmax: rescale what was accumulated to the new
        // maxima, then add the tile's weighted values.
        SmallVector<Value> newMax, correction, partial;
        for (int64_t r = 0; r < rowCount; ++r) {
          newMax.push_back(arith::MaximumFOp::create(b, loc, carried[r],
                                                     tileMax.getResult(r)));
          correction.push_back(math::ExpOp::create(
              b, loc, arith::SubFOp::create(b, loc, carried[r], newMax[r])));
        }
        for (int64_t r = 0; r < rowCount; ++r)
          partial.push_back(
              arith::MulFOp::create(b, loc, carried[sums + r], correction[r]));
        for (int64_t r = 0; r < rowCount; ++r)
          for (int64_t c = 0; c < valueChunks; ++c)
            partial.push_back(arith::MulFOp::create(
                b, loc, carried[accumulators + r * valueChunks + c],
                chunks->splat(correction[r])));
        // `partial`: the rows' sums, then their accumulators.
        auto added = forLoop(
            e.index(0), e.index(keyTile), 1, partial,
            [&](Value t, ValueRange running) {
              SmallVector<Value> next(running.begin(), running.end());
              SmallVector<Value> weights;
              for (int64_t r = 0; r < rowCount; ++r) {
                Value score =
                    memref::LoadOp::create(b, loc, scores, scoreSlot(r, t));
                Value visible =
                    arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                          score, e.f32(kLowest / 2));
                weights.push_back(
                    choose(visible,
                           math::ExpOp::create(
                               b, loc,
                               arith::SubFOp::create(b, loc, score, newMax[r])),
                           e.f32(0.0)));
                next[r] = arith::AddFOp::create(b, loc, next[r], weights[r]);
              }
              Value jc = resolve(add(tileStart, t)).first;
              Value valueBase =
                  e.offset(valueView, {batch, kvHead, jc, valueSliceStart});
              SmallVector<Value> weightChunks;
              for (Value weight : weights)
                weightChunks.push_back(chunks->splat(weight));
              chunks->forEachChunk(
                  value, valueBase, valueChunks, valueStride,
                  [&](int64_t c, Value valueChunk) {
                    for (int64_t r = 0; r < rowCount; ++r) {
                      Value &slot = next[rowCount + r * valueChunks + c];
                      slot = arith::AddFOp::create(
                          b, loc, slot,
                          arith::MulFOp::create(b, loc, weightChunks[r],
                                                valueChunk));
                    }
                  });
              return next;
            });
        SmallVector<Value> next(newMax);
        next.append(added.getResults().begin(), added.getResults().end());
        return next;
      });
  state.assign(tiles.getResults().begin(), tiles.getResults().end());
}

/// The rows' results over every key as the source graph computes them
/// for a row whose keys are all hidden: a key scores scale · q·k + bias
/// (+ ALiBi) plus the fill of each mask that hides it. Returns the chunks
/// [r * valueChunks + c], then per row whether every key scored -inf (the
/// row is then NaN, as PyTorch and ONNX Runtime give).
SmallVector<Value>
AttentionKernelBuilder::attendToEveryKey(const QueryRows &rows,
                                         ArrayRef<Value> rowQueries) {
  Value minusInfinity = e.f32(-std::numeric_limits<double>::infinity());
  auto fillOf = [&](std::optional<APFloat> fill) {
    return fill ? e.f32(fill->convertToDouble()) : Value();
  };
  Value maskFill = fillOf(attention.getMaskFill());
  Value paddingFill = fillOf(attention.getPaddingFill());
  bool shared = attention.getSharedFill();
  // Carried: each row's maximum, then its sum, then its accumulatorsAt.
  int64_t rowCount = rows.positions.size();
  int64_t sumsAt = rowCount, accumulatorsAt = 2 * rowCount;
  SmallVector<Value> init(rowCount, minusInfinity);
  init.append(rowCount, e.f32(0.0));
  init.append(rowCount * valueChunks, zeroChunk);
  auto keysLoop =
      forLoop(e.index(0), keyLength, 1, init, [&](Value j, ValueRange carried) {
        SmallVector<Value> rowScores = scoresAgainst(rows, rowQueries, j, j);
        Value padded;
        if (padding)
          padded = arithmetic.negate(e.loadInput(padding, {batch, j}));
        SmallVector<Value> next(carried.begin(), carried.end());
        SmallVector<Value> corrections, weights;
        for (int64_t r = 0; r < rowCount; ++r) {
          Value score = rowScores[r];
          Value maskHides;
          if (maskFill)
            maskHides = arithmetic.negate(
                maskShows(mask, arithmetic, rows.positions[r], j));
          auto addWhere = [&](Value hidden, Value fill) {
            score = choose(hidden, arith::AddFOp::create(b, loc, score, fill),
                           score);
          };
          if (shared)
            addWhere(arithmetic.either(maskHides, padded), maskFill);
          else {
            if (maskHides)
              addWhere(maskHides, maskFill);
            if (padded && paddingFill)
              addWhere(padded, paddingFill);
          }
          // The online softmax, with -inf scores weighing nothing until a
          // finite one comes.
          Value newMax = arith::MaximumFOp::create(b, loc, carried[r], score);
          Value noneYet = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::OEQ, newMax, minusInfinity);
          corrections.push_back(choose(
              noneYet, e.f32(1.0),
              math::ExpOp::create(
                  b, loc, arith::SubFOp::create(b, loc, carried[r], newMax))));
          weights.push_back(choose(
              noneYet, e.f32(0.0),
              math::ExpOp::create(
                  b, loc, arith::SubFOp::create(b, loc, score, newMax))));
          next[r] = newMax;
          next[sumsAt + r] = arith::AddFOp::create(
              b, loc,
              arith::MulFOp::create(b, loc, carried[sumsAt + r],
                                    corrections[r]),
              weights[r]);
        }
        Value valueBase =
            e.offset(valueView, {batch, kvHead, j, valueSliceStart});
        chunks->forEachChunk(
            value, valueBase, valueChunks, valueStride,
            [&](int64_t c, Value valueChunk) {
              for (int64_t r = 0; r < rowCount; ++r) {
                Value &slot = next[accumulatorsAt + r * valueChunks + c];
                slot = arith::AddFOp::create(
                    b, loc,
                    arith::MulFOp::create(b, loc, slot,
                                          chunks->splat(corrections[r])),
                    arith::MulFOp::create(b, loc, chunks->splat(weights[r]),
                                          valueChunk));
              }
            });
        return next;
      });
  SmallVector<Value> results;
  for (int64_t r = 0; r < rowCount; ++r) {
    Value inverse = arith::DivFOp::create(b, loc, e.f32(1.0),
                                          keysLoop.getResult(sumsAt + r));
    for (int64_t c = 0; c < valueChunks; ++c)
      results.push_back(arith::MulFOp::create(
          b, loc, keysLoop.getResult(accumulatorsAt + r * valueChunks + c),
          chunks->splat(inverse)));
  }
  for (int64_t r = 0; r < rowCount; ++r)
    results.push_back(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                            keysLoop.getResult(r),
                                            minusInfinity));
  return results;
}

/// Rows that saw no key (`seen` false; their padding, a dense bias or a
/// mask with more queries than keys may hide them all): what the source
/// graph computes for them, from a second pass over every key
/// (AttentionOp's fills), stored here. One row at a time, in a loop that
/// is kept: the invocation's rows unrolled doubled the kernel's cold
/// compile on lavapipe (docs/benchmarks.md), for a path that real inputs
/// rarely take.
void AttentionKernelBuilder::storeUnseenRows(ArrayRef<Value> seen) {
  forLoop(e.index(0), e.index(rowCount), 1, {}, [&](Value r, ValueRange) {
    // Row r's flag and query, chosen among the rows' registers (the
    // queries are not loaded again).
    Value unseen =
        rowValue(r, [&](int64_t i) { return arithmetic.negate(seen[i]); });
    SmallVector<Value> rowQuery;
    for (int64_t c = 0; c < queryChunks; ++c)
      rowQuery.push_back(rowValue(
          r, [&](int64_t i) { return queryValues[i * queryChunks + c]; }));
    QueryRows row =
        tokenOrderRows(e, add(firstRow, r), 1, queryLength, keyLength);
    auto ifUnseen =
        scf::IfOp::create(b, loc, both(row.rowValid[0], unseen), false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifUnseen.getThenRegion().front());
    SmallVector<Value> result = attendToEveryKey(row, rowQuery);
    Value noKey = result.back();
    result.pop_back();
    storeRow(row.rows[0], result, [&](Value value) {
      return choose(noKey, e.f32(std::numeric_limits<double>::quiet_NaN()),
                    value);
    });
    return SmallVector<Value>{};
  });
}

/// Each row's output: its accumulators over its sum, written through the
/// dispatch's epilogue. A row that saw no key gets zeros, or, where
/// `unseenStoredApart`, is left to storeUnseenRows. The rows are stored one
/// at a time in a loop that is kept, each iteration choosing its row's
/// registers by selects: the stores are written once, not once per row
/// (each store is a loop over the SIMD lanes to lavapipe's compiler, whose
/// time grows with their count; docs/benchmarks.md).
void AttentionKernelBuilder::storeResults(ArrayRef<Value> seen,
                                          bool unseenStoredApart) {
  SmallVector<Value> inverses, stored;
  for (int64_t r = 0; r < rowCount; ++r) {
    inverses.push_back(choose(
        seen[r],
        arith::DivFOp::create(b, loc, e.f32(1.0), state[sums + r]).getResult(),
        e.f32(0.0)));
    stored.push_back(unseenStoredApart ? both(placed.rowValid[r], seen[r])
                                       : placed.rowValid[r]);
  }
  // Row r's (null: the only row).
  auto storeRowAt = [&](Value r) {
    auto store = scf::IfOp::create(
        b, loc, rowValue(r, [&](int64_t i) { return stored[i]; }), false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&store.getThenRegion().front());
    Value inverse = rowValue(r, [&](int64_t i) { return inverses[i]; });
    SmallVector<Value> chunks;
    for (int64_t c = 0; c < valueChunks; ++c)
      chunks.push_back(rowValue(r, [&](int64_t i) {
        return state[accumulators + i * valueChunks + c];
      }));
    storeRow(rowValue(r, [&](int64_t i) { return placed.rows[i]; }), chunks,
             [&](Value accumulated) {
               return arith::MulFOp::create(b, loc, accumulated, inverse)
                   .getResult();
             });
  };
  if (rowCount == 1)
    return storeRowAt(Value());
  forLoop(e.index(0), e.index(rowCount), 1, {}, [&](Value r, ValueRange) {
    storeRowAt(r);
    return SmallVector<Value>{};
  });
}

/// Writes the invocation's slice of output row `row` through the
/// dispatch's epilogue: element d of the slice is `finish` of element d of
/// `rowChunks` (its valueChunks chunks), stored in chunks of the output's
/// store width.
void AttentionKernelBuilder::storeRow(Value row, ArrayRef<Value> rowChunks,
                                      function_ref<Value(Value)> finish) {
  int64_t storeWidth = e.storeWidth();
  for (int64_t d = 0; d < valueSlice; d += storeWidth) {
    SmallVector<Value> first = {batch, head, row,
                                add(valueSliceStart, e.index(d))};
    SmallVector<Value> chunk;
    for (int64_t t = d; t < d + storeWidth; ++t) {
      Value element = rowChunks[t / width];
      if (width == 4)
        element = vector::ExtractOp::create(b, loc, element, t % 4);
      SmallVector<Value> indices = {batch, head, row,
                                    add(valueSliceStart, e.index(t))};
      chunk.push_back(e.evaluateResult(indices, finish(element)));
    }
    e.storeOutputChunk(first, chunk);
  }
}

LogicalResult AttentionKernelBuilder::build() {
  if (failed(readOperands()))
    return failure();
  scf::IfOp guardIf = startInvocation();
  OpBuilder::InsertionGuard outerGuard(b);
  b.setInsertionPointToStart(&guardIf.getThenRegion().front());
  placed = placeQueryRows(e, mask, {rowCount, windowSlots, windowsPerRow},
                          firstRow, queryLength, keyLength);
  if (failed(loadQueries()))
    return failure();
  prepareKeys();
  visitKeyTiles();
  SmallVector<Value> seen;
  for (int64_t r = 0; r < rowCount; ++r)
    seen.push_back(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                         state[sums + r], e.f32(0.0)));
  // (A window row sees at least its own token: never unseen.)
  bool recomputeUnseen = !windowOrder && mayHideEveryKey(attention, e.shapes());
  storeResults(seen, recomputeUnseen);
  if (recomputeUnseen)
    storeUnseenRows(seen);
  return success();
}

} // namespace

LogicalResult mlir::tessera::buildAttentionKernel(KernelEmitter &e) {
  return AttentionKernelBuilder(e).build();
}

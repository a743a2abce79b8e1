//===- MaskVisibility.h - Which keys a mask shows, written once -*- C++ -*-===//
//
// What #tessera.mask means, written once over an arithmetic `A` so that it
// serves every place that needs it, on integers (MaskIntArithmetic: mask
// classification, tile-visit counts, tests) and as IR in the attention
// kernel, for queries and keys known only at run time:
//   - maskShows: the element rule, whether a query sees a key;
//   - maskKeyRange: the keys a group of query rows may see, as an
//     enumeration that the kernel's key loops run over and tile selection
//     counts.
//
// `A` provides the types `Int` and `Bool` and:
//   Int constant(int64_t);  Int add/sub/mul/div/rem/min/max(Int, Int) (C++
//   semantics: division truncates; signed);  Bool le/lt/eq(Int, Int)
//   (signed);  Bool both/either(Bool, Bool);  Bool truth(bool);
//   Int select(Bool, Int, Int).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECT_MASKVISIBILITY_H
#define TESSERA_DIALECT_MASKVISIBILITY_H

#include "dialects/tessera/IR/TesseraAttrs.h"

#include "llvm/Support/ErrorHandling.h"

#include <algorithm>
#include <functional>

namespace mlir::tessera {

/// The arithmetic of the rules on integers.
struct MaskIntArithmetic {
  using Int = int64_t;
  using Bool = bool;
  Int constant(int64_t value) { return value; }
  Int add(Int x, Int y) { return x + y; }
  Int sub(Int x, Int y) { return x - y; }
  Int mul(Int x, Int y) { return x * y; }
  Int div(Int x, Int y) { return x / y; }
  Int rem(Int x, Int y) { return x % y; }
  Int min(Int x, Int y) { return std::min(x, y); }
  Int max(Int x, Int y) { return std::max(x, y); }
  Bool le(Int x, Int y) { return x <= y; }
  Bool lt(Int x, Int y) { return x < y; }
  Bool eq(Int x, Int y) { return x == y; }
  Bool both(Bool x, Bool y) { return x && y; }
  Bool either(Bool x, Bool y) { return x || y; }
  Bool truth(bool value) { return value; }
  Int select(Bool c, Int x, Int y) { return c ? x : y; }
};

/// Whether a query at key position `queryPos` (its index + Lk - Lq) sees
/// key `key` under `mask`.
template <typename A>
typename A::Bool maskShows(MaskAttr mask, A &a, typename A::Int queryPos,
                           typename A::Int key) {
  using Int = typename A::Int;
  auto c = [&](int64_t value) { return a.constant(value); };
  switch (mask.getKind()) {
  case MaskKind::None:
    return a.truth(true);
  case MaskKind::Causal:
    return a.le(key, queryPos);
  case MaskKind::Prefix:
    return a.either(a.lt(key, c(*mask.getLength())), a.le(key, queryPos));
  case MaskKind::Sliding: {
    Int distance = a.sub(queryPos, key);
    return a.both(a.both(a.le(distance, c(*mask.getLeft())),
                         a.le(a.sub(c(0), distance), c(*mask.getRight()))),
                  a.eq(a.rem(distance, c(mask.getDilation())), c(0)));
  }
  case MaskKind::Global: {
    typename A::Bool shown = maskShows(mask.getInner(), a, queryPos, key);
    for (int64_t token : mask.getTokens())
      shown = a.either(shown, a.either(a.eq(queryPos, c(token)),
                                       a.eq(key, c(token))));
    return shown;
  }
  case MaskKind::Window: {
    int64_t height = mask.getGrid()[0], width = mask.getGrid()[1];
    int64_t size = *mask.getSize(), shift = mask.getShift();
    // Coordinates in the cyclically shifted grid (torch.roll by -shift).
    auto shiftedRow = [&](Int token) {
      return a.rem(a.add(a.sub(a.div(token, c(width)), c(shift)), c(height)),
                   c(height));
    };
    auto shiftedCol = [&](Int token) {
      return a.rem(a.add(a.sub(a.rem(token, c(width)), c(shift)), c(width)),
                   c(width));
    };
    Int qr = shiftedRow(queryPos), qc = shiftedCol(queryPos);
    Int kr = shiftedRow(key), kc = shiftedCol(key);
    typename A::Bool sameWindow =
        a.both(a.eq(a.div(qr, c(size)), a.div(kr, c(size))),
               a.eq(a.div(qc, c(size)), a.div(kc, c(size))));
    if (shift == 0)
      return sameWindow;
    // Swin's region of the shift along one axis: the last window along the
    // axis holds tokens from two regions of the original image, which must
    // not attend to each other.
    auto region = [&](Int shifted, int64_t side) {
      return a.select(a.lt(shifted, c(side - size)), c(0),
                      a.select(a.lt(shifted, c(side - shift)), c(1), c(2)));
    };
    return a.both(sameWindow,
                  a.both(a.eq(region(qr, height), region(kr, height)),
                         a.eq(region(qc, width), region(kc, width))));
  }
  }
  llvm_unreachable("unknown mask kind");
}

/// Whether adjacent query rows see (nearly) the same keys under `mask`, so
/// that a group of rows can share one key range (maskKeyRange) and the
/// loads of its keys: none, causal, prefix, undilated sliding, and window
/// masks (rows of one window, taken in window order). Global and dilated
/// masks take one row at a time.
inline bool rowsShareKeyRange(MaskAttr mask) {
  switch (mask.getKind()) {
  case MaskKind::None:
  case MaskKind::Causal:
  case MaskKind::Prefix:
  case MaskKind::Window:
    return true;
  case MaskKind::Sliding:
    return mask.getDilation() == 1;
  case MaskKind::Global:
    return false;
  }
  llvm_unreachable("unknown mask kind");
}

/// Whether `token` is one of a global mask's tokens.
template <typename A>
typename A::Bool isGlobalToken(MaskAttr mask, A &a, typename A::Int token) {
  typename A::Bool result{};
  bool first = true;
  for (int64_t t : mask.getTokens()) {
    typename A::Bool equal = a.eq(token, a.constant(t));
    result = first ? equal : a.either(result, equal);
    first = false;
  }
  return result;
}

/// The keys a group of query rows may see: n in [0, count) stands for key
/// keyOf(n), which may lie outside [0, Lk) (the kernel skips those). Every
/// key that maskShows for a row of the group is among them; a row may see
/// fewer (the kernel tests each row where rows differ).
template <typename A> struct MaskKeyRange {
  typename A::Int count;
  std::function<typename A::Int(typename A::Int)> keyOf;
  /// Global masks: whether the group's first row is a global token (such a
  /// row sees every key), and the number of tokens (the enumeration's
  /// first keys).
  typename A::Bool globalRow{};
  typename A::Int globalCount{};
};

/// The key range of the rows at key positions `first` .. `last` (p(i) =
/// i + Lk - Lq; one row under a dilated sliding mask). Under a window mask
/// the rows are positions of one window, and `windowKey(n)` is the token of
/// its n-th cell: which window the rows share is the caller's layout. `a`
/// must outlive keyOf.
template <typename A>
MaskKeyRange<A>
maskKeyRange(MaskAttr mask, A &a, typename A::Int first, typename A::Int last,
             typename A::Int keyLength,
             std::function<typename A::Int(typename A::Int)> windowKey = {}) {
  using Int = typename A::Int;
  auto c = [&a](int64_t value) { return a.constant(value); };
  auto identity = [](Int n) { return n; };
  switch (mask.getKind()) {
  case MaskKind::None:
    return {keyLength, identity};
  case MaskKind::Causal:
    // Every key up to the last row's diagonal.
    return {a.min(a.max(a.add(last, c(1)), c(0)), keyLength), identity};
  case MaskKind::Prefix:
    // The prefix, and every key up to the last row's diagonal.
    return {a.min(a.max(a.add(last, c(1)), c(*mask.getLength())), keyLength),
            identity};
  case MaskKind::Sliding: {
    int64_t dilation = mask.getDilation();
    int64_t left = *mask.getLeft(), right = *mask.getRight();
    if (dilation == 1) {
      // The union of the rows' bands [p - left, p + right].
      Int start = a.sub(first, c(left));
      Int span = a.sub(last, first);
      return {a.add(span, c(left + right + 1)),
              [&a, start](Int n) { return a.add(start, n); }};
    }
    // Only the dilated positions of the band.
    int64_t before = left / dilation, after = right / dilation;
    Int start = a.sub(first, c(before * dilation));
    return {c(before + after + 1), [&a, start, dilation](Int n) {
              return a.add(start, a.mul(n, a.constant(dilation)));
            }};
  }
  case MaskKind::Window:
    return {c(*mask.getSize() * *mask.getSize()), windowKey};
  case MaskKind::Global: {
    // A global row sees every key; another row the G global keys (n < G),
    // then its inner mask's, in one enumeration.
    ArrayRef<int64_t> tokens = mask.getTokens();
    typename A::Bool globalRow = isGlobalToken(mask, a, first);
    Int globalCount = c(tokens.size());
    MaskKeyRange<A> inner =
        maskKeyRange(mask.getInner(), a, first, last, keyLength, windowKey);
    MaskKeyRange<A> range;
    range.count =
        a.select(globalRow, keyLength, a.add(globalCount, inner.count));
    range.globalRow = globalRow;
    range.globalCount = globalCount;
    SmallVector<int64_t> ownTokens(tokens);
    range.keyOf = [&a, ownTokens, globalRow, globalCount, inner](Int n) {
      Int key = a.constant(ownTokens.back());
      for (int64_t i = static_cast<int64_t>(ownTokens.size()) - 2; i >= 0;
           --i) {
        typename A::Bool here = a.eq(n, a.constant(i));
        key = a.select(here, a.constant(ownTokens[i]), key);
      }
      typename A::Bool inGlobal = a.lt(n, globalCount);
      Int innerKey = inner.keyOf(a.sub(n, globalCount));
      key = a.select(inGlobal, key, innerKey);
      return a.select(globalRow, n, key);
    };
    return range;
  }
  }
  llvm_unreachable("unknown mask kind");
}

} // namespace mlir::tessera

#endif // TESSERA_DIALECT_MASKVISIBILITY_H

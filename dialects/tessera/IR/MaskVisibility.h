//===- MaskVisibility.h - Which keys a mask shows, written once -*- C++ -*-===//
//
// The rule of #tessera.mask, written once over an arithmetic `A` so that it
// serves every place that needs it: MaskAttr::isVisible evaluates it on
// integers (mask classification, tests), and the attention kernel builds it
// as IR for a query and a key known only at run time.
//
// `A` provides the types `Int` and `Bool` and:
//   Int constant(int64_t);  Int add/sub/div/rem(Int, Int)  (C++ semantics:
//   division truncates);  Bool le/lt/eq(Int, Int)  (signed);
//   Bool both/either(Bool, Bool);  Bool truth(bool);
//   Int select(Bool, Int, Int).
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECT_MASKVISIBILITY_H
#define TESSERA_DIALECT_MASKVISIBILITY_H

#include "dialects/tessera/IR/TesseraAttrs.h"

#include "llvm/Support/ErrorHandling.h"

namespace mlir::tessera {

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

} // namespace mlir::tessera

#endif // TESSERA_DIALECT_MASKVISIBILITY_H

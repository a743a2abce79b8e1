//===- RaiseGelu.cpp - gelu and swish from their formulas -----------------===//
//
// Exporters write GELU and its sigmoid relatives as arithmetic, in any
// association and operand order:
//   erf form:   x · 0.5 · (1 + erf(x / √2))            (BERT, ViT, torch)
//   tanh form:  0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))  (GPT-2)
//   sigmoid:    x · sigmoid(β · x)       (SiLU: β = 1, LLaMA's SwiGLU gate;
//                                         CLIP's quick_gelu: β = 1.702)
// The product is flattened (mul, div by a constant), its constant factors
// multiplied out and checked numerically; the remaining factors must be x
// and one term that is a function of x alone.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RaisingUtils.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERARAISEGELU
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// How far a product of constants may be from the real number the
/// exporter meant: 1e-4 relative, or a few roundings of the element type
/// the constants are stored in (an f16 export's 1/√2 is 0.70703).
double toleranceFor(Value x) {
  Type element = getElementTypeOrSelf(x.getType());
  auto floatType = dyn_cast<FloatType>(element);
  if (!floatType)
    return 1e-4;
  double roundoff =
      std::ldexp(1.0, -static_cast<int>(floatType.getFPMantissaWidth()));
  return std::max(1e-4, 4 * roundoff);
}

/// Whether `value` is c · x for a constant c near `expected`.
bool isScaledCopy(Value value, Value x, double expected) {
  Product p = collectProduct(value);
  return p.factors.size() == 1 && p.factors[0] == x &&
         std::abs(p.constant - expected) <=
             toleranceFor(x) * std::abs(expected);
}

/// Whether the factors of a product are x³: pow(x, 3), or x · x · x.
bool isCube(ArrayRef<Value> factors, Value x) {
  if (factors.size() == 1)
    if (auto pow = factors[0].getDefiningOp<PowOp>())
      return pow.getLhs() == x && isSplatNear(pow.getRhs(), 3.0, 0.0);
  return factors.size() == 3 &&
         llvm::all_of(factors, [&](Value f) { return f == x; });
}

/// Whether `value` is √(2/π) · (x + 0.044715 · x³), the scale outside or
/// distributed over the sum.
bool isTanhArgument(Value value, Value x) {
  const double outer = std::sqrt(2.0 / M_PI), inner = 0.044715;
  auto isCubicSum = [&](Value sum, double scale) {
    auto terms = matchCommutative<AddOp>(
        sum, [&](Value v) { return isScaledCopy(v, x, scale); });
    if (!terms)
      return false;
    Product cube = collectProduct(terms->second);
    return isCube(cube.factors, x) && std::abs(cube.constant - scale * inner) <=
                                          toleranceFor(x) * scale * inner;
  };
  Product p = collectProduct(value);
  if (p.factors.size() == 1 &&
      std::abs(p.constant - outer) <= toleranceFor(x) * outer &&
      isCubicSum(p.factors[0], 1.0))
    return true;
  return p.constant == 1.0 && p.factors.size() == 1 &&
         isCubicSum(p.factors[0], outer);
}

/// The GELU form of x · factor · constant, if it is one.
std::optional<GeluApproximation> matchGeluTerm(Value x, Value term,
                                               double constant) {
  auto onePlus = matchCommutative<AddOp>(
      term, [](Value v) { return isSplatNear(v, 1.0, 0.0); });
  if (!onePlus || std::abs(constant - 0.5) > toleranceFor(x) * 0.5)
    return std::nullopt;
  Value inner = onePlus->second;
  if (auto erf = inner.getDefiningOp<ErfOp>();
      erf && isScaledCopy(erf.getInput(), x, M_SQRT1_2))
    return GeluApproximation::None;
  if (auto tanh = inner.getDefiningOp<TanhOp>();
      tanh && isTanhArgument(tanh.getInput(), x))
    return GeluApproximation::Tanh;
  return std::nullopt;
}

struct RaiseGeluPattern : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    Product p = collectProduct(op.getResult());
    if (p.factors.size() != 2)
      return rewriter.notifyMatchFailure(op, "not a product of two terms");
    for (int i = 0; i < 2; ++i) {
      Value x = p.factors[i], term = p.factors[1 - i];
      if (x.getType() != op.getType())
        continue;
      if (auto sigmoid = term.getDefiningOp<SigmoidOp>();
          sigmoid && std::abs(p.constant - 1.0) <= toleranceFor(x)) {
        Product gate = collectProduct(sigmoid.getInput());
        if (gate.factors.size() == 1 && gate.factors[0] == x &&
            gate.constant > 0) {
          rewriter.replaceOpWithNewOp<SwishOp>(
              op, x, rewriter.getF32FloatAttr(gate.constant));
          return success();
        }
      }
      if (std::optional<GeluApproximation> form =
              matchGeluTerm(x, term, p.constant)) {
        rewriter.replaceOpWithNewOp<GeluOp>(op, x, *form);
        return success();
      }
    }
    return rewriter.notifyMatchFailure(op, "no GELU form");
  }
};

struct RaiseGeluPass
    : public tessera::impl::TesseraRaiseGeluBase<RaiseGeluPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RaiseGeluPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

//===- FuseHorizontalLinears.cpp - One matmul for linears sharing input ---===//
//
// Q, K and V projections (and Longformer's global ones) read the same
// tensor. Three linears are three dispatches that each stream the input;
// one linear over the concatenated weight streams it once and fills the
// device with one larger matmul. The weight and bias are concatenated at
// compile time; each original result becomes a slice of the fused one, a
// strided view that moves no data.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"
#include "compiler/Transforms/RaisingUtils.h"
#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"

#include <limits>

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERAFUSEHORIZONTALLINEARS
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;

namespace {

/// Whether `linear` may join a horizontal group: constant weight (and
/// bias) of static shape, and no single elementwise consumer that would be
/// its epilogue (FFN-in + GELU keeps its fusion rather than trade it for a
/// shared input). Cheap: the weights are read only for groups.
bool isCandidate(LinearOp linear) {
  if (isa<DispatchOp>(linear->getParentOp()) ||
      !getElementTypeOrSelf(linear.getType()).isF32() ||
      !linear.getWeight().getDefiningOp<ConstantOp>() ||
      !cast<RankedTensorType>(linear.getWeight().getType()).hasStaticShape())
    return false;
  if (Value bias = linear.getBias(); bias && !bias.getDefiningOp<ConstantOp>())
    return false;
  Value result = linear.getResult();
  return !(result.hasOneUse() &&
           DispatchOp::isFusableElementwise(*result.getUsers().begin()));
}

/// A group member with its weight and bias read as f32.
struct Candidate {
  LinearOp linear;
  SmallVector<float> weight, bias; ///< bias empty when the linear has none
};

std::optional<Candidate> readCandidate(LinearOp linear) {
  std::optional<SmallVector<float>> weight = getF32Values(linear.getWeight());
  if (!weight)
    return std::nullopt;
  Candidate candidate{linear, std::move(*weight), {}};
  if (Value bias = linear.getBias()) {
    std::optional<SmallVector<float>> values = getF32Values(bias);
    if (!values)
      return std::nullopt;
    candidate.bias = std::move(*values);
  }
  return candidate;
}

struct FuseHorizontalLinearsPass
    : public tessera::impl::TesseraFuseHorizontalLinearsBase<
          FuseHorizontalLinearsPass> {
  void runOnOperation() override {
    // Groups by input, in program order; only linears of one block (the
    // fused one is created before the first and must dominate every use).
    llvm::MapVector<std::pair<Value, Block *>, SmallVector<LinearOp>> groups;
    getOperation().walk([&](LinearOp linear) {
      if (isCandidate(linear))
        groups[{linear.getInput(), linear->getBlock()}].push_back(linear);
    });
    for (auto &[key, linears] : groups) {
      if (linears.size() < 2)
        continue;
      SmallVector<Candidate> group;
      for (LinearOp linear : linears)
        if (std::optional<Candidate> candidate = readCandidate(linear))
          group.push_back(std::move(*candidate));
      if (group.size() >= 2)
        fuse(group);
    }
  }

  void fuse(MutableArrayRef<Candidate> group) {
    LinearOp first = group.front().linear;
    for (Candidate &c : group)
      if (c.linear->isBeforeInBlock(first))
        first = c.linear;
    int64_t k = cast<RankedTensorType>(first.getWeight().getType())
                    .getDimSize(1);
    bool anyBias = llvm::any_of(
        group, [](const Candidate &c) { return !c.bias.empty(); });
    SmallVector<float> weight, bias;
    for (Candidate &c : group) {
      llvm::append_range(weight, c.weight);
      int64_t n = cast<RankedTensorType>(c.linear.getWeight().getType())
                      .getDimSize(0);
      if (c.bias.empty())
        bias.append(anyBias ? n : 0, 0.0f); // no bias: zeros
      else
        llvm::append_range(bias, c.bias);
    }
    int64_t total = static_cast<int64_t>(weight.size()) / k;

    OpBuilder builder(first);
    Location loc = builder.getFusedLoc(llvm::to_vector(llvm::map_range(
        group, [](Candidate &c) { return c.linear.getLoc(); })));
    Type f32 = builder.getF32Type();
    Value fusedWeight =
        createF32Resource(builder, loc, RankedTensorType::get({total, k}, f32),
                          weight, "horizontal");
    Value fusedBias;
    if (anyBias)
      fusedBias = createF32Resource(builder, loc,
                                    RankedTensorType::get({total}, f32), bias,
                                    "horizontal.bias");
    auto resultType = cast<RankedTensorType>(first.getType());
    SmallVector<int64_t> shape(resultType.getShape());
    shape.back() = total;
    Value fused = LinearOp::create(builder, loc,
                                   RankedTensorType::get(shape, f32),
                                   first.getInput(), fusedWeight, fusedBias);

    // Each result: its columns of the fused one, created before any
    // linear is erased (the builder's insertion point is next to them).
    int64_t rank = resultType.getRank(), column = 0;
    SmallVector<Value> parts;
    for (Candidate &c : group) {
      int64_t n = cast<RankedTensorType>(c.linear.getWeight().getType())
                      .getDimSize(0);
      SmallVector<int64_t> starts(rank, 0),
          ends(rank, std::numeric_limits<int64_t>::max());
      starts.back() = column;
      ends.back() = column + n;
      column += n;
      parts.push_back(SliceOp::create(
          builder, c.linear.getLoc(), c.linear.getType(), fused,
          builder.getDenseI64ArrayAttr(starts),
          builder.getDenseI64ArrayAttr(ends), DenseI64ArrayAttr()));
    }
    for (auto [c, part] : llvm::zip(group, parts))
      replaceLinear(c.linear, part);
  }
};

} // namespace

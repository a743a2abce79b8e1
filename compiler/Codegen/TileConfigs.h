//===- TileConfigs.h - Tile sizes from op shapes and a profile --*- C++ -*-===//

#ifndef TESSERA_COMPILER_CODEGEN_TILECONFIGS_H
#define TESSERA_COMPILER_CODEGEN_TILECONFIGS_H

#include "dialects/tessera/IR/TesseraOps.h"
#include "dialects/tessera/Shapes/SymbolicShapes.h"

namespace mlir::tessera {

/// The kinds of kernels, one builder each.
enum class KernelKind { Matmul, Attention, RowReduction, Elementwise };

/// The kernel kind that runs `dispatch`, or failure (with an error on the
/// root op) when no kernel builder handles its root yet.
FailureOr<KernelKind> classifyDispatch(DispatchOp dispatch);

/// The kind's name in binaries and profiles ("matmul", "row_reduction").
StringRef kernelKindName(KernelKind kind);

/// The ops in `dispatch`'s region in order, without the dialect prefix,
/// joined by '+' ("layer_norm+linear+add"): what a profile line names.
std::string describeFusedOps(DispatchOp dispatch);

/// The tile configuration for `dispatch` on `target`. With `shapes` (whose
/// named dims carry their compiled bounds), dynamic sizes count at their
/// upper bound: a matmul over at most 128 rows gets no 256-row tile.
TileConfigAttr selectTileConfig(DispatchOp dispatch, KernelKind kind,
                                TargetAttr target,
                                const SymbolicShapes *shapes = nullptr);

/// How many adjacent invocations share an attention kernel's query rows,
/// each holding 1/split of the head dims: thread_tile[1] of its config
/// (1 where the config names rows only).
int64_t attentionHeadDimSplit(TileConfigAttr config);

/// Key tiles an attention kernel visits at given lengths, against the
/// tiles a dense kernel (every key for every row group) would visit: the
/// count of the key range (maskKeyRange, MaskVisibility.h) the kernel's key
/// loops run over, row group by row group.
struct AttentionTileVisits {
  int64_t visited = 0;
  int64_t dense = 0;
  double fraction() const {
    return dense ? static_cast<double>(visited) / dense : 0.0;
  }
};
AttentionTileVisits countAttentionTileVisits(MaskAttr mask,
                                             TileConfigAttr config,
                                             int64_t queryLength,
                                             int64_t keyLength);

/// Whether the matmul kernel of `dispatch` takes its recomputed layer
/// norm's statistics from its own K loop: the norm is the linear's input
/// and K is not split, so every invocation streams whole rows of what it
/// normalises. Otherwise (the norm read only by the epilogue, or split K)
/// a prepass computes them into workgroup memory.
bool normStatisticsFromKLoop(DispatchOp dispatch, TileConfigAttr config);

/// The f32 workgroup arrays kernels allocate, in elements: the builders
/// allocate exactly these, and tile selection keeps their sum within the
/// target's shared memory.
/// A row reduction's partials: one per invocation (one per subgroup at
/// most, but subgroups may have one invocation).
int64_t rowReductionScratchElements(TileConfigAttr config);
/// A matmul's recomputed-norm prepass: mean and inverse deviation per tile
/// row.
int64_t matmulStatisticsElements(TileConfigAttr config);
/// A matmul with split K: every slice's partial sums of the tile.
int64_t matmulPartialSumElements(TileConfigAttr config);

/// Bytes of workgroup memory the kernel of `dispatch` (of `kind`) allocates
/// with `config`.
int64_t workgroupMemoryBytes(DispatchOp dispatch, KernelKind kind,
                             TileConfigAttr config);

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_CODEGEN_TILECONFIGS_H

//===- TesseraAttrs.td - Tessera attributes ----------------*- tablegen -*-===//
//
// Enums, attention masks and device profiles.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECT_ATTRS
#define TESSERA_DIALECT_ATTRS

include "dialects/tessera/IR/TesseraBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Tessera_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "how GELU is evaluated", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Tanh", 1, "tanh">
    ]> {
  let cppNamespace = "::mlir::tessera";
}

def Tessera_ResizeMode : I32EnumAttr<"ResizeMode",
    "how resize samples the input", [
      I32EnumAttrCase<"Nearest", 0, "nearest">,
      I32EnumAttrCase<"Linear", 1, "linear">
    ]> {
  let cppNamespace = "::mlir::tessera";
}

def Tessera_PoolKind : I32EnumAttr<"PoolKind",
    "what a pooling window computes", [
      I32EnumAttrCase<"Max", 0, "max">,
      I32EnumAttrCase<"Average", 1, "average">
    ]> {
  let cppNamespace = "::mlir::tessera";
}

def Tessera_ResizeCoordinates : I32EnumAttr<"ResizeCoordinates",
    "where an output position samples the input (ONNX's "
    "coordinate_transformation_mode)", [
      I32EnumAttrCase<"HalfPixel", 0, "half_pixel">,
      I32EnumAttrCase<"PytorchHalfPixel", 1, "pytorch_half_pixel">,
      I32EnumAttrCase<"AlignCorners", 2, "align_corners">,
      I32EnumAttrCase<"Asymmetric", 3, "asymmetric">,
      I32EnumAttrCase<"TfHalfPixelForNn", 4, "tf_half_pixel_for_nn">
    ]> {
  let cppNamespace = "::mlir::tessera";
}

def Tessera_NearestRounding : I32EnumAttr<"NearestRounding",
    "how nearest resizing rounds a position (ONNX's nearest_mode)", [
      I32EnumAttrCase<"RoundPreferFloor", 0, "round_prefer_floor">,
      I32EnumAttrCase<"RoundPreferCeil", 1, "round_prefer_ceil">,
      I32EnumAttrCase<"Floor", 2, "floor">,
      I32EnumAttrCase<"Ceil", 3, "ceil">
    ]> {
  let cppNamespace = "::mlir::tessera";
}

def Tessera_ComparePredicate : I32EnumAttr<"ComparePredicate",
    "elementwise comparison", [
      I32EnumAttrCase<"EQ", 0, "eq">,
      I32EnumAttrCase<"NE", 1, "ne">,
      I32EnumAttrCase<"LT", 2, "lt">,
      I32EnumAttrCase<"LE", 3, "le">,
      I32EnumAttrCase<"GT", 4, "gt">,
      I32EnumAttrCase<"GE", 5, "ge">
    ]> {
  let cppNamespace = "::mlir::tessera";
}

def Tessera_MaskKind : I32EnumAttr<"MaskKind", "attention mask variant", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Causal", 1, "causal">,
      I32EnumAttrCase<"Sliding", 2, "sliding">,
      I32EnumAttrCase<"Global", 3, "global">,
      I32EnumAttrCase<"Window", 4, "window">,
      I32EnumAttrCase<"Prefix", 5, "prefix">
    ]> {
  let cppNamespace = "::mlir::tessera";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// Attention masks
//===----------------------------------------------------------------------===//

// An optional list of integers written `[1, 2, 3]`.
class Tessera_IntListParameter<string desc>
    : OptionalArrayRefParameter<"int64_t", desc> {
  let parser = [{
    [&]() -> ::mlir::FailureOr<::llvm::SmallVector<int64_t>> {
      ::llvm::SmallVector<int64_t> values;
      if (failed($_parser.parseCommaSeparatedList(
              ::mlir::AsmParser::Delimiter::Square, [&]() {
                return $_parser.parseInteger(values.emplace_back());
              })))
        return ::mlir::failure();
      return values;
    }()
  }];
  let printer = [{
    $_printer << '[';
    ::llvm::interleaveComma($_self, $_printer);
    $_printer << ']';
  }];
}

def Tessera_MaskAttr : Tessera_Attr<"Mask", "mask"> {
  let summary = "structured attention mask";
  let description = [{
    Which keys each query may attend to, as structure rather than as a dense
    tensor, so that the attention kernel can skip key tiles no query in a
    tile can see. Positions are compared after aligning the last query with
    the last key: with `Lq` queries and `Lk` keys, query `i` sits at key
    position `p(i) = i + (Lk - Lq)`. This makes `causal` right for decoding
    with past keys as well as for self attention.

    | kind | key `j` is visible to query `i` when |
    |---|---|
    | `none` | always |
    | `causal` | `j <= p(i)` |
    | `sliding, left = L, right = R, dilation = D` | `p(i) - L <= j <= p(i) + R` and `(p(i) - j) mod D == 0` |
    | `global, tokens = [...], inner = M` | `i` or `j` is a global token, or `M` allows it |
    | `window, grid = [H, W], size = S, shift = T` | both lie in the same `S`×`S` window of the `H`×`W` token grid cyclically shifted by `T`; when `T > 0` they also lie in the same region of the shift (Swin's shifted-window mask) |
    | `prefix, length = P` | `j < P` or `j <= p(i)`: causal, with the first `P` keys seen by every query (a prefix LM; BLIP-2's Q-Former, whose queries see each other and whose text sees them) |

    Examples:

    ```mlir
    #tessera.mask<none>
    #tessera.mask<causal>
    #tessera.mask<sliding, left = 256, right = 256>
    #tessera.mask<sliding, left = 256, right = 256, dilation = 2>
    #tessera.mask<global, tokens = [0, 7], inner = #tessera.mask<sliding, left = 2, right = 2>>
    #tessera.mask<window, grid = [56, 56], size = 7, shift = 3>
    #tessera.mask<prefix, length = 32>
    ```
  }];
  let parameters = (ins
    EnumParameter<Tessera_MaskKind>:$kind,
    OptionalParameter<"std::optional<int64_t>", "keys visible before the query (sliding)">:$left,
    OptionalParameter<"std::optional<int64_t>", "keys visible after the query (sliding)">:$right,
    DefaultValuedParameter<"int64_t", "1", "stride between visible keys (sliding)">:$dilation,
    Tessera_IntListParameter<"token positions that see and are seen by all (global)">:$tokens,
    OptionalParameter<"::mlir::tessera::MaskAttr", "mask for non-global tokens (global)">:$inner,
    Tessera_IntListParameter<"token grid [H, W] (window)">:$grid,
    OptionalParameter<"std::optional<int64_t>", "window side (window)">:$size,
    DefaultValuedParameter<"int64_t", "0", "cyclic shift (window)">:$shift,
    OptionalParameter<"std::optional<int64_t>", "keys every query sees (prefix)">:$length
  );
  let assemblyFormat = [{
    `<` $kind (`,` struct($left, $right, $dilation, $tokens, $inner, $grid, $size, $shift, $length)^)? `>`
  }];
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "::mlir::tessera::MaskKind":$kind), [{
      return $_get($_ctxt, kind, std::nullopt, std::nullopt, 1,
                   ::llvm::ArrayRef<int64_t>(), MaskAttr(),
                   ::llvm::ArrayRef<int64_t>(), std::nullopt, 0,
                   std::nullopt);
    }]>
  ];
  let extraClassDeclaration = [{
    /// One builder per kind, naming what that kind takes.
    static MaskAttr getNone(::mlir::MLIRContext *context);
    static MaskAttr getCausal(::mlir::MLIRContext *context);
    static MaskAttr getSliding(::mlir::MLIRContext *context, int64_t left,
                               int64_t right, int64_t dilation = 1);
    static MaskAttr getGlobal(::mlir::MLIRContext *context,
                              ::llvm::ArrayRef<int64_t> tokens,
                              MaskAttr inner);
    static MaskAttr getWindow(::mlir::MLIRContext *context,
                              ::llvm::ArrayRef<int64_t> grid, int64_t size,
                              int64_t shift);
    static MaskAttr getPrefix(::mlir::MLIRContext *context, int64_t length);

    /// The element predicate: whether query `queryIndex` may attend to key
    /// `keyIndex` for `numQueries` queries over `numKeys` keys. This is the
    /// definition that kernels and reference implementations follow
    /// (MaskVisibility.h).
    bool isVisible(int64_t queryIndex, int64_t keyIndex, int64_t numQueries,
                   int64_t numKeys) const;
  }];
}

//===----------------------------------------------------------------------===//
// Device profiles
//===----------------------------------------------------------------------===//

def Tessera_TargetAttr : Tessera_Attr<"Target", "target"> {
  let summary = "device profile the compiler plans for";
  let description = [{
    The facts about a Vulkan device that code generation depends on. Tile
    sizes are chosen from these values and the runtime checks the device it
    runs on against them. Built-in profiles (`lavapipe`, `nvidia`, `amd`,
    `intel`, `mali`, `adreno`, `generic`) are listed in
    `compiler/Target/DeviceProfiles.cpp`; any profile can also be written out
    in full:

    ```mlir
    #tessera.target<name = "lavapipe", subgroup_size = 8,
                    max_shared_memory = 32768, max_workgroup_invocations = 1024,
                    max_push_constants_size = 128,
                    max_storage_buffer_range = 134217728,
                    fp16 = true, int8 = true>
    ```

    Sizes are in bytes. `register_budget` is how many 32-bit values an
    invocation may keep live before the compiler spills them (kernels that
    hold per-row state in registers, like attention, size their tiles by
    it); it may be left out (default 64, the `generic` profile's).
    `parallel_workgroups` is how many workgroups the device runs at once
    (its SMs, compute units or cores, for a mid-range part): a matmul with
    fewer output tiles than that (decoding, M = 1) splits its K range over
    more invocations instead. It may be left out (default 1: never split).
  }];
  let parameters = (ins
    StringRefParameter<"profile name">:$name,
    "int64_t":$subgroup_size,
    "int64_t":$max_shared_memory,
    "int64_t":$max_workgroup_invocations,
    "int64_t":$max_push_constants_size,
    "int64_t":$max_storage_buffer_range,
    "::mlir::BoolAttr":$fp16,
    "::mlir::BoolAttr":$int8,
    DefaultValuedParameter<"int64_t", "64">:$register_budget,
    DefaultValuedParameter<"int64_t", "1">:$parallel_workgroups
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    bool supportsFloat16() const { return getFp16().getValue(); }
    bool supportsInt8() const { return getInt8().getValue(); }
  }];
}

//===----------------------------------------------------------------------===//
// Tile configurations
//===----------------------------------------------------------------------===//

def Tessera_TileConfigAttr : Tessera_Attr<"TileConfig", "tile_config"> {
  let summary = "how one dispatch is split over workgroups and invocations";
  let description = [{
    Chosen per dispatch by `tessera-select-tile-configs` from the root op, its
    shapes and the target profile, and read by the kernel builders.

    - `workgroup_size`: invocations per workgroup `[x, y, z]` (a matmul's
      z invocations split K: each sums its slice, and the slices' partial
      sums are added in workgroup memory);
    - `tile`: the part of the root's iteration space one workgroup covers
      (matmul `[M, N, K slices]`, attention `[queries, keys]`, row reductions
      `[rows]`, elementwise `[elements]`);
    - `thread_tile`: the part one invocation covers (matmul `[M, N]`,
      attention `[query rows, split]`: a group of `split` adjacent
      invocations shares the rows, each holding 1/split of the head dims;
      others `[elements]`).

    ```mlir
    #tessera.tile_config<workgroup_size = [8, 8, 1], tile = [32, 32, 1], thread_tile = [4, 4]>
    ```
  }];
  let parameters = (ins
    Tessera_IntListParameter<"invocations per workgroup">:$workgroup_size,
    Tessera_IntListParameter<"iteration space per workgroup">:$tile,
    Tessera_IntListParameter<"iteration space per invocation">:$thread_tile
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getInvocations() const {
      int64_t count = 1;
      for (int64_t size : getWorkgroupSize())
        count *= size;
      return count;
    }
  }];
}

#endif // TESSERA_DIALECT_ATTRS

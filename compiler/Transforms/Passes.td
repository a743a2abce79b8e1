//===- Passes.td - Tessera graph passes --------------------*- tablegen -*-===//

#ifndef TESSERA_COMPILER_TRANSFORMS_PASSES
#define TESSERA_COMPILER_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def TesseraVerifyTarget : Pass<"tessera-verify-target", "::mlir::ModuleOp"> {
  let summary = "Check a module against a device profile and record what it "
                "needs";
  let description = [{
    Resolves the device profile the module is compiled for (the `target`
    option, else the module's `tessera.target` attribute), checks every
    tensor type in the module against it, and records the result on the
    module:

    - `tessera.target`: the resolved `#tessera.target` profile;
    - `tessera.requirements`: the optional device features the module uses
      (`"fp16"` for f16 tensors, `"int8"` for i8 tensors), sorted.

    A feature the profile lacks is an error at the first op that needs it,
    with a note counting the other uses. Element types no Vulkan target runs
    (bf16, f64) are errors on every profile. With `emit-remarks`, a remark on
    the module lists the requirements.

    ```
    tessera-opt --tessera-verify-target=target=generic model.mlir
    ```
  }];
  let options = [
    Option<"targetName", "target", "std::string", /*default=*/"\"\"",
           "Built-in profile to check against (lavapipe, nvidia, amd, intel, "
           "mali, adreno, generic); empty uses the module's tessera.target "
           "attribute">,
    Option<"emitRemarks", "emit-remarks", "bool", /*default=*/"false",
           "Emit a remark on the module listing what it needs">
  ];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraInferDimBounds
    : Pass<"tessera-infer-dim-bounds", "::mlir::func::FuncOp"> {
  let summary = "Bound the dynamic dimensions the graph bounds, default the "
                "rest";
  let description = [{
    Memory and tiles are planned for the bounds of a function's named
    dimensions (`tessera.dim_bounds`, which `--dim` writes). For each named
    dimension still without an upper bound, this pass records the bound the
    graph implies, and says so in a remark:

    - a length that indexes a table: an iota of length `n` (from 0) that a
      gather reads as indices into an axis of `N` rows bounds `n` by `N`
      (positions into a position-embedding table: `seq <= max_position`); an
      iota of length `n` starting at `p` bounds `n` by `N` and `p` by
      `N - 1` (decoding after `p` cached positions);
    - the batch: a dimension that is the first of a function argument and
      has no other bound defaults to 1;
    - a dimension that an elementwise op broadcasts against a static one of
      `N > 1` is `N`, both bounds (kernels broadcast only static 1s: a ViT's
      tokens added to its position table run at the table's length); an
      error when `--dim` or another bound excludes `N`;
    - any other dimension defaults to 512; where that would make a tensor
      of a dynamic shape larger than the target's largest storage-buffer
      binding (a VAE decoder's activations at twice its latent), the
      defaults are halved together until every such tensor fits.

    Each remark says how to widen the bound: `--dim NAME=MIN:MAX`.

    A slice that takes a fixed count of positions from either end of a
    dynamic dimension (`x[:, :2]`, `x[:, 2:]`, `x[:, -1:]`) is exact only
    while the dimension holds them (ONNX would clamp its ends, which no
    expression of named dims says): the dimension's lower bound is raised to
    that count, with a remark, and the runtime refuses a shorter run. A
    dimension that is a sum of names (`past + seq`) must already be at
    least that long; otherwise the slice is an error.
  }];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraSplitLargeWeights
    : Pass<"tessera-split-large-weights", "::mlir::ModuleOp"> {
  let summary = "Split weights and tables larger than one storage-buffer "
                "binding";
  let description = [{
    A Vulkan storage-buffer binding is limited (`max_storage_buffer_range`
    of the module's `tessera.target`: 128 MiB on lavapipe, Mali and Adreno;
    GPT-2's 50257x768 f32 LM head is 147 MiB). A `linear` whose constant
    weight is larger is split along its output features into parts that fit,
    each with its slice of the bias; the parts are concatenated along the
    last dimension. That concatenation moves no data: each part's dispatch
    writes its columns of the result in place.

    A constant table that a `gather` reads by rows (an embedding: GPT-2's
    50257x768 token table) is split into row parts concatenated along the
    rows. That concatenation is never stored either: the gather's kernel
    reads each index's row from the part it falls in, each part its own
    binding, and checks the index against the whole table.

    A quantized weight (`tessera.dequantize` of constants) is split the
    same way, by the rows of its packed words (the largest binding), its
    scales and zero points with them.

    `max-bytes` overrides the limit (for tests, or to force smaller parts).
  }];
  let options = [
    Option<"maxBytes", "max-bytes", "int64_t", /*default=*/"0",
           "Largest weight part in bytes (0: the target's storage-buffer "
           "range)">
  ];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraRaiseLayerNorm
    : Pass<"tessera-raise-layer-norm", "::mlir::func::FuncOp"> {
  let summary = "Raise decomposed LayerNorm to tessera.layer_norm";
  let description = [{
    Recognises the decomposition that exporters write below ONNX opset 17,

    ```
    d = x - reduce_mean(x);  var = reduce_mean(d^2)
    y = d / sqrt(var + eps)          (or d * rsqrt(var + eps))
    ```

    with both means over the same trailing axes (keepdims) and `d^2` as
    `pow(d, 2)` or `d * d`, and replaces `y` with
    `layer_norm(x, axis, epsilon)`. Where `d` is not `x - mean(x)` the
    same dataflow is the RMS norm of `d` (LLaMA's and T5's RMSNorm, every
    opset): `layer_norm(d, axis, epsilon) {rms}`. `1 / sqrt(v)` counts as
    `rsqrt(v)`. A following multiplication by a
    per-feature tensor (shape `x.shape[axis:]`) and addition of one become
    the layer_norm's `scale` and `bias`, for any layer_norm used once that
    has none yet (opset 17's LayerNormalization included).
  }];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraRaiseGelu : Pass<"tessera-raise-gelu", "::mlir::func::FuncOp"> {
  let summary = "Raise GELU and SiLU formulas to tessera.gelu / tessera.swish";
  let description = [{
    Recognises the ways models write GELU and the sigmoid-gated units, in
    any association and operand order, with constants checked numerically
    (relative 1e-4):

    - `x * 0.5 * (1 + erf(x / sqrt(2)))` (also `erf(x * 0.7071...)`) →
      `gelu`;
    - `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))`, `x^3` as
      `pow(x, 3)` or `x * x * x`, the outer constant outside the sum or
      distributed over it → `gelu approximate = tanh` (GPT-2's `gelu_new`);
    - `x * sigmoid(beta * x)`, `beta > 0` → `swish` (SiLU, `beta = 1`:
      LLaMA's SwiGLU gate; `beta = 1.702`: CLIP's `quick_gelu`).

    Products are flattened through `mul` and division by constants before
    matching, so the order an exporter writes them in does not matter.
  }];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraRaiseRotaryEmbedding
    : Pass<"tessera-raise-rotary-embedding", "::mlir::func::FuncOp"> {
  let summary = "Raise rotary position embeddings to tessera.rotary";
  let description = [{
    Recognises `x * cos + rot(x) * sin`, the sum and products in any order
    and association, where `rot(x)` swaps the pairs of the last dimension
    and negates the first of each:

    - rotate-half: `concat(-x[..., D/2:], x[..., :D/2], axis = -1)`
      (Hugging Face's `rotate_half`: LLaMA, Mistral, Qwen, GPT-NeoX) →
      `rotary`;
    - interleaved: `stack(-x[..., 1::2], x[..., ::2], axis = -1)` flattened
      back to `D` (GPT-J's `rotate_every_two`) → `rotary {interleaved}`.

    The negation may be a `neg` or a product with -1, before or after the
    unsqueeze. `cos` and `sin` are whatever the graph computes (usually
    tables gathered at the positions); they must broadcast to `x` without
    widening it. A partial rotation (GPT-NeoX's `rotary_pct`) is the rotary
    of the sliced part, concatenated with the rest as the graph does.
  }];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraRaiseLinear : Pass<"tessera-raise-linear", "::mlir::func::FuncOp"> {
  let summary = "Raise matmul by a constant weight (+ bias) to tessera.linear";
  let description = [{
    - `matmul(x, W)` with a constant 2-D `W` becomes `linear(x, W^T)`; an f32
      weight is transposed at compile time into a new resource (`NAME.T`),
      others through a transpose the kernels read as an index map. With
      `transpose_rhs` the weight is used as it is.
    - `linear(x, W) + b`, `b` of shape `[N]`, takes `b` as its bias.
    - `reshape(linear(reshape(x, [P, K])), R)`, where `R` is `x`'s leading
      dims and `N` (GPT-2's Conv1D flattens its input for `addmm`), becomes
      `linear(x)`. The named dims decide, not the written types.
  }];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraRaiseAttention
    : Pass<"tessera-raise-attention", "::mlir::func::FuncOp"> {
  let summary = "Raise matmul / softmax / matmul to tessera.attention";
  let description = [{
    Starts at `matmul(softmax(S, axis = -1), V)` and walks `S` back to
    `matmul(Q, K^T)` by dataflow, through:

    - scales: `div` or `mul` by a constant, on the scores or folded into Q
      and K before the product (all multiply into `scale`);
    - additive terms (masks, relative position biases, several at once):
      added to the `bias` operand, multiplied by any scale applied after
      them;
    - `select(keep, S, fill)` with a fill of at most -1e4: the term
      `select(keep, 0, fill)`;
    - casts.

    `K^T` may be a transpose (of any layout that ends in the swap) or a
    transposed matmul. Scalar scales applied to Q or K before their layout
    ops are first moved below them. Rank-3 `[B*H, L, D]` products are raised
    on `[B, H, L, D]`: the tensors the heads were folded from (CLIP, BART,
    DETR, which may add masks on a `[B, H, Lq, Lk]` view of the scores), or
    a split by name when `B*H` is `H*batch` (nn.MultiheadAttention); else
    through a `[1, B*H, L, D]` view. A mask added on Swin's
    `[B, W, H, Lq, Lk]` view is folded into a `[B*W, H, Lq, Lk]` bias. The
    probabilities must have no other use (a model that returns its
    attention weights keeps them). Masks stay in `bias`;
    tessera-classify-attention-masks finds their structure.

    Keys and values repeated per query head (grouped-query attention as
    Hugging Face's `repeat_kv` exports it: `[B, Hkv, L, D]` reshaped to
    `[B, Hkv, 1, L, D]`, broadcast to `[B, Hkv, R, L, D]`, reshaped to
    `[B, Hkv*R, L, D]`) are replaced by the `Hkv` heads they repeat: the
    attention reads query head `h`'s keys from head `h / R`, and the
    repeated tensors are never built.
  }];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraClassifyAttentionMasks
    : Pass<"tessera-classify-attention-masks", "::mlir::func::FuncOp"> {
  let summary = "Turn attention bias terms into mask attributes and key "
                "padding masks";
  let description = [{
    Splits each attention's `bias` into its added terms and classifies each:

    - **key padding**: "0 where m, very negative elsewhere" broadcast from
      a `[B, Lk]` `m` over heads and queries, as `(1 - m) * fill`,
      `select(m, 0, fill)` / `select(m, fill, 0)` or Hugging Face's
      `masked_fill` of `1 - m`, becomes the `key_padding_mask` operand
      (`m != 0` is a real key). The match is confirmed by evaluating the
      term with `m` one-hot at every `(b, k)`;
    - **structure**: a term that depends only on the query and key
      positions (built from iota / Range, constant tables gathered by
      position, comparisons, Abs, Mod, Where) and is 0 or at most -1e4 is
      evaluated into a table of visible keys and matched against the
      `#tessera.mask` element predicate: `causal`, `sliding<l, r>`,
      `sliding<l, r, d>`, and `global<tokens, inner>` around either. A term
      that hides nothing is dropped;
    - **both**: a term whose keep condition is a product (or `and`) of a
      position mask and a padding mask.

    The evaluation runs at a length beyond twice every constant in the term
    (at least 64, at most 1024, shorter when a gathered table is shorter),
    and again at about half that length, which must give the top-left
    corner of the first table. Anything else stays in `bias`: always
    correct, never guessed.
  }];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraRaiseWindowAttention
    : Pass<"tessera-raise-window-attention", "::mlir::func::FuncOp"> {
  let summary = "Raise Swin's roll / partition / attention / reverse / roll "
                "chain to one window attention";
  let description = [{
    Swin attends within windows of a token grid by rolling the grid
    (Slice + Concat), partitioning it into windows (Reshape / Transpose),
    projecting Q, K and V, adding a relative position bias shared by all
    windows and, for shifted windows, a region mask per window, projecting
    the output, reversing the partition and rolling back. The projections
    act per token, so the chain equals one attention over the tokens in
    their own order with `#tessera.mask<window, grid, size, shift>` and the
    relative bias as a `window_relative_bias` table; the roll, partition and
    reverse move no data.

    Layout chains are evaluated on index tables, not matched by op order:
    the partition must put the tokens of the window mask's windows (for
    some shift) in order, the output chain must put every window position
    back at its token, and every other added term must be 0 exactly where
    the window mask sees a key and at most -100 (Swin's fill) elsewhere.
    Anything else is left as it is.
  }];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraFuseHorizontalLinears
    : Pass<"tessera-fuse-horizontal-linears", "::mlir::func::FuncOp"> {
  let summary = "One linear for the linears that share their input";
  let description = [{
    Linears that read the same tensor (Q, K and V projections; Longformer's
    global projections beside them) become one linear whose weight is their
    weights concatenated along the output features, laid out at compile
    time, with the biases concatenated likewise (zeros where one has none).
    Each original result becomes a `slice` of the fused result's columns,
    which dispatches read in place as a strided view: the input is streamed
    once and one dispatch replaces several.

    A linear joins a group only when its weight (and bias) are f32
    constants and its result is not consumed by one fusable elementwise op
    alone: that op is its epilogue (FFN-in + GELU), which fusing
    horizontally would give up. Groups are formed per input and block, in
    program order.
  }];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraFoldAttentionScaleIntoQuery
    : Pass<"tessera-fold-attention-scale-into-query", "::mlir::func::FuncOp"> {
  let summary = "Fold an attention's score scale into Q's projection";
  let description = [{
    `attention(Q, K, V) {scale = s}` with `Q` a linear of constant f32
    weight `W` and bias `b` (through the head split's reshape and transpose,
    all used once) becomes `attention(Q', K, V) {scale = 1}` with
    `Q' = linear(x, s W, s b)`, computed at compile time. Applies only where
    the fold is exact: `s` a power of two (`1/sqrt(64)` = 0.125, as for head
    dims 16, 64 and 256) and every scaled value finite and representable,
    so that results are bit for bit the same; other scales stay on the
    attention. Runs before `tessera-fuse-horizontal-linears`, which then
    concatenates the scaled Q weight with K's and V's.
  }];
  let statistics = [
    Statistic<"numFolded", "scales-folded",
              "Number of attention scales folded into Q's weights">
  ];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraFoldLayerNormIntoLinear
    : Pass<"tessera-fold-layer-norm-into-linear", "::mlir::func::FuncOp"> {
  let summary = "Fold a layer norm's scale and shift into the linear it feeds";
  let description = [{
    `linear(layer_norm(x, g, b), W, c)` becomes
    `linear(layer_norm(x), W * g, c + W b)`: the scale multiplies the
    weight's columns and the shift, through the weight, adds to the bias,
    both at compile time (the sum in double). What the linear reads is then
    a bare normalisation of `x`, which `tessera-form-dispatches` lets the
    linear's dispatch recompute from `x` (per-row mean and inverse standard
    deviation in a prologue) instead of a dispatch of its own.

    Applies when the layer norm is over the last dimension with constant
    f32 scale and/or shift, and the linear's weight (and bias) are f32
    constants. The layer norm itself stays for its other users; one bare
    normalisation is shared by all the linears a layer norm feeds. Runs
    after `tessera-fuse-horizontal-linears`, so that Q, K and V fold once.
  }];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraQuantizeWeights
    : Pass<"tessera-quantize-weights", "::mlir::func::FuncOp"> {
  let summary = "Store weights as 8- or 4-bit integers with scales";
  let description = [{
    `tessera-compile --weights int8` / `int4[:group]`. Each f32 constant
    `[N, K]` that linears read as their weight, or gathers as their table
    (embeddings, whole or split across bindings), becomes a
    `tessera.dequantize` of packed signed integers with one scale per row
    (`group-size` 0, per channel) or per row and group of `group-size`
    consecutive columns: a linear's kernel reads a quarter (8-bit) or an
    eighth (4-bit) of the bytes and dequantizes in registers, a gather
    dequantizes the elements it picks. A tied embedding stays one weight;
    with 4 bits, weights that gathers read (tables, tied LM heads) take 8
    bits per row, as their accuracy costs most.
    Other constants (norms, biases, masks) keep their type; so do the
    uses of a weight by other readers.

    Symmetric round-to-nearest, no zero point. The scale of a group is
    chosen, without calibration data, to minimise the group's squared
    error: for a few candidate ranges (the group's largest magnitude mapped
    to 2^(bits-1) - 1 and nearby values) it rounds the group and refits the
    scale by least squares, keeping the best. Scales are stored as f16
    where the target has 16-bit storage (else f32) and the integers are
    rounded against the stored scale.

    A weight whose K is not a multiple of the group (or of the values per
    32-bit word, 4 or 8) keeps its type, and a remark says so. Runs after
    the passes that rewrite f32 weights (horizontal fusion, layer-norm
    folding), before weight splitting (which splits a dequantize's words
    and scales by rows; a tied table and LM head are one weight then) and
    before `tessera-store-weights-as-f16`, which stores the remaining f32
    constants at half precision.

    ```
    tessera-opt --tessera-verify-target=target=lavapipe \
        --tessera-quantize-weights=bits=4 group-size=32 model.mlir
    ```
  }];
  let options = [
    Option<"bits", "bits", "int64_t", /*default=*/"8",
           "Bits per weight: 8 or 4">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"0",
           "Columns sharing a scale; 0: the whole row (per channel)">
  ];
  let statistics = [
    Statistic<"numQuantized", "weights-quantized",
              "Number of weights stored as integers">,
    Statistic<"numKept", "weights-kept",
              "Number of weights whose shape does not fit the groups">
  ];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraStoreWeightsAsF16
    : Pass<"tessera-store-weights-as-f16", "::mlir::func::FuncOp"> {
  let summary = "Store f32 weights at half precision, computing in f32";
  let description = [{
    `tessera-compile --precision f16`. Every f32 constant of more than 16
    elements that is not a splat (smaller ones and splats save a few bytes
    at most) becomes an f16 constant (rounded to nearest even) followed by a
    widening `tessera.cast` to f32: the weights take half the memory and half the
    bandwidth, the arithmetic stays f32. The cast moves no data: like a
    reshape it is a view (`isViewOp`), so the kernels that read the weight
    bind the f16 buffer and widen each value as they load it.

    A constant with a value beyond f16's range (|x| > 65504) keeps f32. The
    module's target must offer 16-bit storage (its `fp16` fact); otherwise
    the pass fails naming the target. Runs after the passes that rewrite
    weights (horizontal fusion, layer-norm folding, weight splitting), which
    work on f32 constants.

    ```
    tessera-opt --tessera-verify-target=target=lavapipe \
        --tessera-store-weights-as-f16 model.mlir
    ```
  }];
  let statistics = [
    Statistic<"numStored", "weights-stored-as-f16",
              "Number of f32 constants stored as f16">,
    Statistic<"numOutOfRange", "weights-out-of-f16-range",
              "Number of f32 constants kept because a value exceeds f16">
  ];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

def TesseraFormDispatches
    : Pass<"tessera-form-dispatches", "::mlir::func::FuncOp"> {
  let summary = "Group ops into tessera.dispatch regions, one kernel each";
  let description = [{
    Every root op (matmul, linear, attention, softmax, layer_norm, a
    reduction, slice, concat, a gather with other readers) becomes the
    centre of one dispatch region. The elementwise ops that consume its
    result, one after the other, join it as an epilogue (bias, activation,
    residual add, scale, cast) as long as each consumes the previous result
    alone and keeps its shape. Row reductions also take the elementwise ops
    that feed them and have no other use as a prologue (the residual add
    before a layer_norm). Elementwise ops left over form dispatches of their
    own, chained the same way. A gather read by one elementwise op joins
    that op's region: its kernel evaluates the lookup where it reads it (the
    token and position embeddings, their sum and its layer norm are one
    dispatch).

    A layer_norm over the last dim whose every reader is a linear of the
    same rows (as a bare normalisation it reads as input, or an op of its
    epilogue such as a post-LN residual) gets no dispatch: each such
    linear's region holds a copy, which its kernel recomputes from the
    norm's input. A norm that is returned, whose input would be its
    prologue, or that would be a linear's second norm keeps its dispatch.

    Shape-only ops (reshape, transpose, broadcast, and the casts kernels
    perform as they load: f16 to f32, i32 to i1) and constants stay outside
    the regions: they become index maps and buffers, never dispatches. So
    does a concat of root results used nowhere else (the parts of a split
    weight): each part's dispatch writes into it. Splat constants, iotas
    and views of them that a region reads per element are copied into it
    and computed there; an iota read otherwise gets a dispatch. A function
    result that is an input or a constant unchanged is copied into its own
    buffer by a dispatch (outputs own their buffers).
  }];
  let dependentDialects = ["::mlir::tessera::TesseraDialect"];
}

#endif // TESSERA_COMPILER_TRANSFORMS_PASSES

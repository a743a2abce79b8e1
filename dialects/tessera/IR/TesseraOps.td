//===- TesseraOps.td - Tessera operations ------------------*- tablegen -*-===//
//
// Graph-level operations of a transformer. Every op is pure and works on
// ranked tensors whose dimensions may be dynamic.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECT_OPS
#define TESSERA_DIALECT_OPS

include "dialects/tessera/IR/TesseraAttrs.td"
include "dialects/tessera/IR/TesseraInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

//===----------------------------------------------------------------------===//
// Base classes
//===----------------------------------------------------------------------===//

// The definition every op with an inferred result type shares: a written
// result type may refine a dynamic dimension the inference left open.
defvar TesseraCompatibleReturnTypes = [{
  bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                          ::mlir::TypeRange actual) {
    return ::mlir::tessera::areCompatibleReturnTypes(inferred, actual);
  }
}];

// An op whose result type follows from its operands and attributes
// (`inferReturnTypes` lives in TesseraShapeInference.cpp).
class Tessera_InferredOp<string mnemonic, list<Trait> traits = []>
    : Tessera_Op<mnemonic, !listconcat(traits,
                                        [Pure, InferTypeOpAdaptorWithIsCompatible])> {
  let extraClassDefinition = TesseraCompatibleReturnTypes;
}

// The fold of an elementwise op without identities of its own: its scalar
// rule evaluated on constant operands.
defvar TesseraScalarRuleFold = [{
  ::mlir::OpFoldResult $cppClass::fold(FoldAdaptor adaptor) {
    return ::mlir::tessera::foldScalarRule(*this, adaptor.getOperands());
  }
}];

// An elementwise op: what it computes is its scalar rule (ScalarRules.cpp).
defvar TesseraScalarRule =
    DeclareOpInterfaceMethods<Tessera_ScalarRuleOpInterface>;

class Tessera_UnaryOp<string mnemonic, Type tensorType, string desc,
                      list<Trait> traits = []>
    : Tessera_Op<mnemonic, !listconcat(traits,
                                        [Pure, Elementwise, SameOperandsAndResultType,
                                         TesseraScalarRule])> {
  let summary = desc;
  let arguments = (ins tensorType:$input);
  let results = (outs tensorType:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasFolder = 1;
  let extraClassDefinition = TesseraScalarRuleFold;
}

// Elementwise binary ops broadcast their operands with NumPy / ONNX rules.
// An op with identities to fold (x + 0, x * 1) sets `hasIdentityFold` and
// defines `fold` itself (TesseraFolds.cpp).
class Tessera_BinaryOp<string mnemonic, Type operandType, string desc,
                       list<Trait> traits = [], bit hasIdentityFold = 0>
    : Tessera_InferredOp<mnemonic, !listconcat(traits, [TesseraScalarRule])> {
  let summary = desc;
  let description = [{
    Elementwise `}] # desc # [{` with NumPy / ONNX broadcasting: shapes are
    aligned at their last dimension, and a dimension of size 1 stretches to
    the other operand's size. Both operands have the same element type.
  }];
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs Tessera_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
  let extraClassDefinition = TesseraCompatibleReturnTypes # [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
      return ::mlir::tessera::inferBroadcastResult(
          location, {adaptor.getLhs(), adaptor.getRhs()},
          /*elementType=*/nullptr, inferred);
    }
  }] # !if(hasIdentityFold, "", TesseraScalarRuleFold);
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Tessera_ConstantOp : Tessera_Op<"constant",
    [ConstantLike, Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "constant tensor (weights, masks, shape values)";
  let description = [{
    A constant tensor. Weights are held as `dense_resource` blobs so that the
    IR stays small and the bytes are never printed as text; inline `dense`
    literals are for small values (shape arithmetic, scalars, splats) and are
    limited to 1024 elements unless they are splats.

    ```mlir
    %w = tessera.constant dense_resource<encoder.wq> : tensor<256x256xf32>
    %s = tessera.constant dense<[1, 128, 4, 64]> : tensor<4xi64>
    ```
  }];
  let arguments = (ins TypedAttrInterface:$value);
  let results = (outs Tessera_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// Largest non-splat inline `dense` literal the verifier accepts.
    static constexpr int64_t kMaxInlineElements = 1024;
  }];
}

def Tessera_GatherOp : Tessera_InferredOp<"gather"> {
  let summary = "gather slices along an axis (embedding lookup)";
  let description = [{
    Picks slices of `input` along `axis` at the positions in `indices`,
    like ONNX `Gather`. The result shape is
    `input.shape[:axis] + indices.shape + input.shape[axis+1:]`.

    ```mlir
    %e = tessera.gather %table[%ids], axis = 0
        : (tensor<30522x256xf32>, tensor<1x?xi64>) -> tensor<1x?x256xf32>
    ```
  }];
  let arguments = (ins Tessera_Tensor:$input, Tessera_IntTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Tessera_Tensor:$result);
  let assemblyFormat = [{
    $input `[` $indices `]` `,` `axis` `=` $axis attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Tessera_IotaOp : Tessera_Op<"iota", [Pure]> {
  let summary = "the indices start, start + 1, ..., start + n - 1";
  let description = [{
    A 1-D integer tensor of consecutive positions (ONNX `Range` by 1, or
    the rows of a table sliced at run-time offsets). A dynamic length is
    an expression of the model's named dimensions (`length`, as in the
    `tessera.dims` of the function's arguments: `"seq"`, `"past + seq"`).
    `start`, 0 when absent, is such an expression too: the positions of
    new tokens after `past` cached ones start at `"past"`. A static iota
    from 0 folds to a constant.

    ```mlir
    %positions = tessera.iota length = "seq" : tensor<?xi32>
    %decoded = tessera.iota length = "seq" start = "past" : tensor<?xi32>
    ```
  }];
  let arguments = (ins OptionalAttr<StrAttr>:$length,
                       OptionalAttr<StrAttr>:$start);
  let results = (outs RankedTensorOf<[I32, I64]>:$result);
  let assemblyFormat =
      "(`length` `=` $length^)? (`start` `=` $start^)? attr-dict `:` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tessera_ReshapeOp : Tessera_Op<"reshape", [Pure]> {
  let summary = "reinterpret a tensor with another shape";
  let description = [{
    Same elements in the same row-major order, another shape. The result
    type is the specification; when both shapes are static their element
    counts must agree, and a static dimension may never be reshaped into a
    result that the input's static dimensions cannot fill.

    `dims` (optional, one entry per result dim) names what each dim is in
    the model's named dimensions: `"seq"`, `"batch*seq"`, `"4*seq"`, or a
    number for a static dim. Frontends write it where the result has
    dynamic dims, since `[b*s, 192] -> [?, ?, 192]` alone cannot say which
    `?` is which; without it the compiler infers the dims from the input
    where they keep their positions.

    ```mlir
    %y = tessera.reshape %x {dims = ["batch", "seq", "192"]}
        : tensor<?x192xf32> -> tensor<?x?x192xf32>
    ```
  }];
  let arguments = (ins Tessera_Tensor:$input, OptionalAttr<StrArrayAttr>:$dims);
  let results = (outs Tessera_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Tessera_TransposeOp : Tessera_InferredOp<"transpose"> {
  let summary = "permute dimensions";
  let description = [{
    Result dimension `i` is input dimension `permutation[i]`.
  }];
  let arguments = (ins Tessera_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Tessera_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $permutation attr-dict `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
}

def Tessera_SliceOp : Tessera_InferredOp<"slice"> {
  let summary = "strided slice with ONNX semantics";
  let description = [{
    One start, end and step per dimension. Negative starts and ends count
    from the end of the dimension; both are then clamped to `[0, size]`, so
    `ends = 9223372036854775807` (INT64_MAX, as exporters write it) means
    "to the end". Steps are positive and default to 1.
  }];
  let arguments = (ins Tessera_Tensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$ends,
                       OptionalAttr<DenseI64ArrayAttr>:$steps);
  let results = (outs Tessera_Tensor:$result);
  let assemblyFormat = [{
    $input $starts `to` $ends (`step` $steps^)? attr-dict `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
}

def Tessera_ConcatOp : Tessera_InferredOp<"concat"> {
  let summary = "concatenate tensors along an axis";
  let arguments = (ins Variadic<Tessera_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Tessera_Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` `=` $axis attr-dict `:` functional-type($inputs, results)
  }];
  let hasFolder = 1;
}

def Tessera_BroadcastOp : Tessera_Op<"broadcast", [Pure]> {
  let summary = "broadcast (ONNX Expand) to a larger shape";
  let description = [{
    Stretches `input` to the result shape with NumPy rules: shapes align at
    the last dimension; each input dimension is 1 or equals the result's.

    `dims` (optional, as on `tessera.reshape`) names the result's dims where
    a dynamic one comes from a 1 of the input (`[1, 1] -> [?, ?]` with
    `dims = ["seq", "seq"]`); without it such a dim stays 1 for the
    compiler's shape inference and broadcasts where it is used.
  }];
  let arguments = (ins Tessera_Tensor:$input, OptionalAttr<StrArrayAttr>:$dims);
  let results = (outs Tessera_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Tessera_CastOp : Tessera_Op<"cast", [Pure, TesseraScalarRule]> {
  let summary = "convert the element type";
  let description = [{
    Converts each element to the result's element type (ONNX `Cast`): floats
    round to nearest, floats to integers truncate toward zero, integers to
    `i1` test for non-zero.

    A widening cast of a non-splat float constant does not fold: it is how
    weights are stored at half precision (`tessera-store-weights-as-f16`).
    From f16 to f32 the cast moves no data: dispatches read the f16 buffer
    and widen as they load.
  }];
  let arguments = (ins Tessera_Tensor:$input);
  let results = (outs Tessera_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tessera_DequantizeOp : Tessera_Op<"dequantize", [Pure]> {
  let summary = "weights stored as 8- or 4-bit integers, read as f32";
  let description = [{
    A weight matrix `[N, K]` held as signed `bits`-bit integers (8 or 4)
    packed into 32-bit words, with one `scale` (and, when present, one
    `zero_point`) per output row and group of `group_size` consecutive
    columns (`group_size` = K: one per row, "per channel"):

      result[n, k] = (q[n, k] - zero_point[n, k / G]) * scale[n, k / G]

    where q[n, k] is field `k mod (32 / bits)` of word
    `packed[n, k / (32 / bits)]`, the lowest bits first, read as two's
    complement. `scale` and `zero_point` are `[N, K / G]`, f32 or f16.

    It moves no data of its own: the kernels that read the weight (a
    linear's, in registers inside its K loop) bind the packed words and the
    scales and dequantize as they load, so only a quarter (8-bit) or an
    eighth (4-bit) of the f32 bytes are stored and read.
    `tessera-quantize-weights` makes it from f32 weights; the ONNX importer
    from `DequantizeLinear` and `com.microsoft.MatMulNBits`.

    ```mlir
    %w = tessera.dequantize %q, %s {bits = 4 : i64, group_size = 32 : i64}
        : (tensor<768x96xi32>, tensor<768x24xf16>) -> tensor<768x768xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I32]>:$packed,
                       Tessera_FloatTensor:$scale,
                       Optional<Tessera_FloatTensor>:$zero_point,
                       I64Attr:$bits, I64Attr:$group_size);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $packed `,` $scale (`,` $zero_point^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Values per 32-bit word: 4 (8-bit) or 8 (4-bit).
    int64_t getValuesPerWord() { return 32 / getBits(); }
    /// K / group_size.
    int64_t getGroupsPerRow();
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise math
//===----------------------------------------------------------------------===//

def Tessera_AddOp : Tessera_BinaryOp<"add", Tessera_NumericTensor, "addition",
                                      [Commutative], /*hasIdentityFold=*/1>;
def Tessera_SubOp : Tessera_BinaryOp<"sub", Tessera_NumericTensor, "subtraction",
                                      [], /*hasIdentityFold=*/1>;
def Tessera_MulOp : Tessera_BinaryOp<"mul", Tessera_NumericTensor, "multiplication",
                                      [Commutative], /*hasIdentityFold=*/1>;
def Tessera_DivOp : Tessera_BinaryOp<"div", Tessera_NumericTensor,
                                      "division (integers truncate toward zero)",
                                      [], /*hasIdentityFold=*/1>;
def Tessera_PowOp : Tessera_BinaryOp<"pow", Tessera_FloatTensor,
    "power, as C's pow (zero, infinite and NaN operands included)">;
def Tessera_MaxOp : Tessera_BinaryOp<"max", Tessera_NumericTensor, "maximum",
                                      [Commutative]>;
def Tessera_MinOp : Tessera_BinaryOp<"min", Tessera_NumericTensor, "minimum",
                                      [Commutative]>;
def Tessera_ModOp : Tessera_BinaryOp<"mod", Tessera_NumericTensor,
    "remainder (integers: the sign of the divisor, as Python and ONNX Mod "
    "with fmod = 0; floats: the sign of the dividend, as C fmod, which "
    "devices compute as x - y * trunc(x / y), within 2^-22 |x|)">;
def Tessera_AndOp : Tessera_BinaryOp<"and", Tessera_BoolTensor, "logical and",
                                      [Commutative]>;
def Tessera_OrOp : Tessera_BinaryOp<"or", Tessera_BoolTensor, "logical or",
                                     [Commutative]>;

def Tessera_CompareOp : Tessera_InferredOp<"compare", [TesseraScalarRule]> {
  let summary = "elementwise comparison with broadcasting";
  let description = [{
    Compares `lhs` and `rhs` (broadcast as for the binary ops) and yields an
    `i1` tensor; used to build and test attention masks.

    ```mlir
    %m = tessera.compare lt, %i, %j : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi1>
    ```
  }];
  let arguments = (ins Tessera_ComparePredicate:$predicate,
                       Tessera_NumericTensor:$lhs, Tessera_NumericTensor:$rhs);
  let results = (outs Tessera_BoolTensor:$result);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Tessera_SelectOp : Tessera_InferredOp<"select", [TesseraScalarRule]> {
  let summary = "elementwise choice with broadcasting (ONNX Where)";
  let description = [{
    `condition ? on_true : on_false`, all three broadcast together.
  }];
  let arguments = (ins Tessera_BoolTensor:$condition, Tessera_Tensor:$on_true,
                       Tessera_Tensor:$on_false);
  let results = (outs Tessera_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Tessera_ExpOp : Tessera_UnaryOp<"exp", Tessera_FloatTensor, "exponential">;
def Tessera_LogOp : Tessera_UnaryOp<"log", Tessera_FloatTensor, "natural logarithm">;
def Tessera_TanhOp : Tessera_UnaryOp<"tanh", Tessera_FloatTensor, "hyperbolic tangent">;
def Tessera_SinOp : Tessera_UnaryOp<"sin", Tessera_FloatTensor, "sine (radians)">;
def Tessera_CosOp : Tessera_UnaryOp<"cos", Tessera_FloatTensor, "cosine (radians)">;
def Tessera_ErfOp : Tessera_UnaryOp<"erf", Tessera_FloatTensor, "error function">;
def Tessera_SqrtOp : Tessera_UnaryOp<"sqrt", Tessera_FloatTensor, "square root">;
def Tessera_RsqrtOp : Tessera_UnaryOp<"rsqrt", Tessera_FloatTensor,
                                       "reciprocal square root">;
def Tessera_SigmoidOp : Tessera_UnaryOp<"sigmoid", Tessera_FloatTensor,
                                         "logistic sigmoid 1 / (1 + exp(-x))">;
def Tessera_ReluOp : Tessera_UnaryOp<"relu", Tessera_FloatTensor, "max(x, 0)">;
def Tessera_NegOp : Tessera_UnaryOp<"neg", Tessera_NumericTensor, "negation",
                                     [Involution]>;
def Tessera_AbsOp : Tessera_UnaryOp<"abs", Tessera_NumericTensor, "absolute value">;
def Tessera_NotOp : Tessera_UnaryOp<"not", Tessera_BoolTensor, "logical not",
                                     [Involution]>;

def Tessera_GeluOp : Tessera_UnaryOp<"gelu", Tessera_FloatTensor,
                                      "Gaussian error linear unit"> {
  let description = [{
    `approximate = none` (the default) is `x * 0.5 * (1 + erf(x / sqrt(2)))`;
    `approximate = tanh` is
    `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))` (GPT-2's
    `gelu_new`).
  }];
  let arguments = (ins Tessera_FloatTensor:$input,
                       DefaultValuedAttr<Tessera_GeluApproximation,
                                         "::mlir::tessera::GeluApproximation::None">:$approximate);
  let assemblyFormat = [{
    $input (`approximate` `=` $approximate^)? attr-dict `:` type($result)
  }];
}

def Tessera_RotaryOp : Tessera_InferredOp<"rotary"> {
  let summary = "rotary position embedding (RoPE) over the last dimension";
  let description = [{
    Rotates pairs of the last dimension (of even size `D`) of `input` by the
    angles whose cosines and sines are `cos` and `sin`, which broadcast to
    the input's shape (NumPy rules, never widening it) and hold one value
    per element, as exporters build the tables:

    `y[d] = x[d] · cos[d] + r[d] · sin[d]`, where the rotated partner
    `r[d]` is `-x[d + D/2]` for `d < D/2` and `x[d - D/2]` otherwise (the
    rotate-half form: LLaMA, GPT-NeoX, Hugging Face's `rotate_half`), or,
    with `interleaved`, `-x[d + 1]` for even `d` and `x[d - 1]` for odd `d`
    (adjacent pairs: GPT-J, Meta's LLaMA, ONNX's `interleaved = 1`).

    ```mlir
    %q = tessera.rotary %x, %cos, %sin
        : (tensor<?x4x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>) -> tensor<?x4x?x16xf32>
    ```

    Kernels evaluate it per element, reading `x` at the element and at its
    partner (`getPairDistance`).
  }];
  let arguments = (ins Tessera_FloatTensor:$input, Tessera_FloatTensor:$cos,
                       Tessera_FloatTensor:$sin, UnitAttr:$interleaved);
  let results = (outs Tessera_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $cos `,` $sin attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The distance `s` between the two positions of a pair: `D/2`, or 1
    /// when interleaved. Position `d` is the first of its pair when
    /// `d mod 2s < s`; its partner is then `d + s`, negated, else `d - s`.
    int64_t getPairDistance() {
      if (getInterleaved())
        return 1;
      return ::llvm::cast<::mlir::RankedTensorType>(getType()).getShape().back() / 2;
    }
  }];
}

def Tessera_ResizeOp : Tessera_Op<"resize", [Pure]> {
  let summary = "resize by sampling the input (ONNX's Resize, nearest or linear)";
  let description = [{
    Each axis `d` with `scales[d] != 1` is resampled: output position `x`
    samples the input at

    | `coordinates` | input position |
    |---|---|
    | `half_pixel` | `(x + 0.5) / s - 0.5` |
    | `pytorch_half_pixel` | the same, or 0 when `Lout <= 1` |
    | `align_corners` | `x (Lin - 1) / (Lout - 1)`, or 0 when `Lout <= 1` |
    | `asymmetric` | `x / s` |
    | `tf_half_pixel_for_nn` | `(x + 0.5) / s` |

    where `s = scales[d]` and `Lout = Lin · s`, unrounded as ONNX defines it
    (the result's size is its floor). `nearest` takes the element at that position
    rounded by `nearest` (ONNX's `nearest_mode`) and clamped to the input;
    `linear` interpolates between the two elements around the position
    clamped to `[0, Lin - 1]` (bilinear over two resized axes). Axes with a
    scale of 1 are read as they are. A resized axis is static, or dynamic
    with a scale that is a fraction `p / q` (the result
    `floor(p · Lin / q)`): an integer, the inverse of one (`1 / k`), or a
    float whose denominator is a power of two up to 2^16 (1.5, 0.75), or
    dynamic with scale 0: `s` is
    `Lout / Lin` at run time in f32 (ONNX's scale for given sizes), and a
    dynamic result size is named by `dims` (expressions of named dims, as a
    reshape's).

    ```mlir
    %up = tessera.resize %x scales = [1.0, 1.0, 2.0, 2.0] coordinates = asymmetric nearest = floor
        : tensor<?x4x8x8xf32> -> tensor<?x4x16x16xf32>
    %y = tessera.resize %x scales = [1.0, 1.0, 0.5, 0.5] mode = linear
        : tensor<?x4x8x8xf32> -> tensor<?x4x4x4xf32>
    ```

    Kernels evaluate it where they read it, like a gather.
  }];
  let arguments = (ins Tessera_FloatTensor:$input, DenseF32ArrayAttr:$scales,
                       DefaultValuedAttr<Tessera_ResizeMode,
                                         "::mlir::tessera::ResizeMode::Nearest">:$mode,
                       DefaultValuedAttr<Tessera_ResizeCoordinates,
                                         "::mlir::tessera::ResizeCoordinates::HalfPixel">:$coordinates,
                       DefaultValuedAttr<Tessera_NearestRounding,
                                         "::mlir::tessera::NearestRounding::RoundPreferFloor">:$nearest,
                       OptionalAttr<StrArrayAttr>:$dims);
  let results = (outs Tessera_FloatTensor:$result);
  let assemblyFormat = [{
    $input `scales` `=` $scales (`mode` `=` $mode^)? (`coordinates` `=` $coordinates^)?
    (`nearest` `=` $nearest^)? attr-dict `:` type($input) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// `scale` as a fraction p / q in lowest terms with which a dynamic
    /// axis may be resized (its result `floor(p · Lin / q)`): an integer,
    /// the inverse of one, or a power-of-two denominator up to 2^16;
    /// std::nullopt for any other scale (and for 1 and scales <= 0).
    static std::optional<std::pair<int64_t, int64_t>> getScaleFraction(float scale);
  }];
  let hasVerifier = 1;
}

def Tessera_SwishOp : Tessera_UnaryOp<"swish", Tessera_FloatTensor,
                                      "x * sigmoid(beta x)"> {
  let description = [{
    `x * sigmoid(beta * x)`. With the default `beta = 1` it is SiLU (the
    gate of LLaMA's SwiGLU MLP); `beta = 1.702` is CLIP's `quick_gelu`.
  }];
  let arguments = (ins Tessera_FloatTensor:$input,
                       DefaultValuedAttr<F32Attr, "1.0f">:$beta);
  let assemblyFormat = [{
    $input (`beta` `=` $beta^)? attr-dict `:` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def Tessera_MatmulOp : Tessera_InferredOp<"matmul"> {
  let summary = "batched matrix product";
  let description = [{
    `lhs` is `[..., M, K]` (`[..., K, M]` with `transpose_lhs`), `rhs` is
    `[..., K, N]` (`[..., N, K]` with `transpose_rhs`); the leading batch
    dimensions broadcast. The result is `[..., M, N]`.
  }];
  let arguments = (ins Tessera_FloatTensor:$lhs, Tessera_FloatTensor:$rhs,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_lhs,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_rhs);
  let results = (outs Tessera_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasCanonicalizer = 1;
}

def Tessera_LinearOp : Tessera_InferredOp<"linear"> {
  let summary = "x · Wᵀ + b";
  let description = [{
    `input` is `[..., K]`, `weight` is `[N, K]` (PyTorch's layout), the
    optional `bias` is `[N]`. The result is `[..., N]`.
  }];
  let arguments = (ins Tessera_FloatTensor:$input, Tessera_FloatTensor:$weight,
                       Optional<Tessera_FloatTensor>:$bias);
  let results = (outs Tessera_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Tessera_ConvOp : Tessera_InferredOp<"conv"> {
  let summary = "1-D or 2-D convolution (cross-correlation), channels first";
  let description = [{
    `input` is `[N, C, H, W]`, `weight` is `[F, C / groups, KH, KW]`
    (PyTorch's and ONNX's layout), the optional `bias` is `[F]`. Output
    channel `f` of group `g = f / (F / groups)` at `(y, x)` is

    `bias[f] + sum over c < C / groups, i < KH, j < KW of
     weight[f, c, i, j] · input[n, g · C / groups + c, y · sh - pt + i · dh,
                                x · sw - pl + j · dw]`,

    where positions outside the input read 0. `strides` and `dilations`
    have one value per spatial axis, `pads` two (`[top, left, bottom,
    right]`, ONNX's order: all beginnings, then all ends). The result is
    `[N, F, OH, OW]` with `OH = (H + pt + pb - dh · (KH - 1) - 1) / sh + 1`
    (`getOutputSize`). A 1-D convolution (`[N, C, L]` by `[F, C / groups,
    K]`) is the same with the row axis left out. The batch may be dynamic;
    channels, the image and the kernel are static.

    ```mlir
    %y = tessera.conv %x, %w, %b {dilations = array<i64: 1, 1>, groups = 1 : i64,
                                  pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
        : (tensor<?x64x32x32xf32>, tensor<64x64x3x3xf32>, tensor<64xf32>) -> tensor<?x64x32x32xf32>
    ```

    Kernels compute it as an implicit GEMM: per image and group, the
    weight `[F / groups, C / groups · KH · KW]` times the im2col matrix of
    the input, whose elements are read from the input where the GEMM
    reads them and never stored.
  }];
  let arguments = (ins Tessera_FloatTensor:$input, Tessera_FloatTensor:$weight,
                       Optional<Tessera_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, I64Attr:$groups);
  let results = (outs Tessera_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// Output positions along an axis of `size` input positions: ONNX's
    /// and PyTorch's `(size + padBegin + padEnd - dilation (kernel - 1) -
    /// 1) / stride + 1`, or 0 where the dilated kernel does not fit.
    static int64_t getOutputSize(int64_t size, int64_t kernel, int64_t stride,
                                 int64_t padBegin, int64_t padEnd,
                                 int64_t dilation);
    /// 1 or 2.
    int64_t getSpatialRank() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType()).getRank() - 2;
    }
  }];
}

def Tessera_PoolOp : Tessera_InferredOp<"pool"> {
  let summary = "max or average pooling over 1-D or 2-D windows";
  let description = [{
    `input` is `[N, C, H, W]` (or `[N, C, W]`). Each output element reduces
    the window of `kernel` positions, `dilations` apart, that starts at
    `y · sh - pt` (and `x · sw - pl`), over the positions inside the input:
    `max` takes their maximum, `average` their mean, dividing by the count
    of positions inside the input or, with `count_include_pad`, inside the
    padded input. `strides` and `dilations` have one value per spatial
    axis, `pads` two (all beginnings, then all ends). The output size is
    `ConvOp::getOutputSize`'s, rounded up with `ceil_mode` — where the last
    window would then start past the input and its front padding, it is
    dropped (ONNX's and PyTorch's rule). Channels and the image are static;
    a window has at most 65536 positions.

    ```mlir
    %y = tessera.pool %x max {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                              pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>}
        : tensor<?x64x56x56xf32> -> tensor<?x64x28x28xf32>
    ```

    Kernels compute each output element from its window (the elementwise
    kernel, as a reduction's), unrolled where it is small.
  }];
  let arguments = (ins Tessera_FloatTensor:$input, Tessera_PoolKind:$kind,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                       UnitAttr:$ceil_mode, UnitAttr:$count_include_pad);
  let results = (outs Tessera_FloatTensor:$result);
  let assemblyFormat = [{
    $input $kind attr-dict `:` type($input) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// Output positions along spatial axis `d` of `size` input positions.
    static int64_t getOutputSize(int64_t size, int64_t kernel, int64_t stride,
                                 int64_t padBegin, int64_t padEnd,
                                 int64_t dilation, bool ceilMode);
  }];
}

//===----------------------------------------------------------------------===//
// Normalisation and reductions
//===----------------------------------------------------------------------===//

def Tessera_SoftmaxOp : Tessera_InferredOp<"softmax"> {
  let summary = "softmax along one axis";
  let arguments = (ins Tessera_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Tessera_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` `axis` `=` $axis attr-dict `:` type($input) `->` type($result)
  }];
}

def Tessera_LayerNormOp : Tessera_InferredOp<"layer_norm", [AttrSizedOperandSegments]> {
  let summary = "layer normalisation over the trailing dimensions";
  let description = [{
    Normalises over dimensions `[axis, rank)` to zero mean and unit variance
    (biased variance, `epsilon` added before the square root), then applies
    the optional elementwise `scale` and `bias`, whose shape is
    `input.shape[axis:]`.

    With `rms`, the root-mean-square norm (RMSNorm: LLaMA, T5): the mean is
    not subtracted, `y = x · rsqrt(mean(x²) + epsilon) [· scale] [+ bias]`.
    It is the same op because everything else is the same — the raising,
    the folding of its scale into the next linear, the recomputation by
    that linear's kernel, the row-reduction kernel — and only the
    statistics differ (a mean of 0).

    ```mlir
    %y = tessera.layer_norm %x scale(%g) bias(%b), axis = 2, epsilon = 1.0e-12
        : (tensor<1x?x256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<1x?x256xf32>
    %r = tessera.layer_norm %x scale(%g), axis = 2, epsilon = 1.0e-6 {rms}
        : (tensor<1x?x256xf32>, tensor<256xf32>) -> tensor<1x?x256xf32>
    ```
  }];
  let arguments = (ins Tessera_FloatTensor:$input,
                       Optional<Tessera_FloatTensor>:$scale,
                       Optional<Tessera_FloatTensor>:$bias,
                       I64Attr:$axis, F32Attr:$epsilon, UnitAttr:$rms);
  let results = (outs Tessera_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`scale` `(` $scale^ `)`)? (`bias` `(` $bias^ `)`)? `,` `axis` `=` $axis `,`
    `epsilon` `=` $epsilon attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// Whether it normalises the last dimension alone (rows of the rest).
    bool isOverLastDim() {
      return static_cast<int64_t>(getAxis()) ==
             ::llvm::cast<::mlir::RankedTensorType>(getType()).getRank() - 1;
    }
  }];
}

class Tessera_ReduceOp<string mnemonic, string desc>
    : Tessera_InferredOp<mnemonic> {
  let summary = desc # " over a set of axes";
  let description = [{
    Reduces `input` over `axes` (distinct, in range); with `keepdims` the
    reduced dimensions stay as size 1.
  }];
  let arguments = (ins Tessera_NumericTensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "false">:$keepdims);
  let results = (outs Tessera_NumericTensor:$result);
  let assemblyFormat = [{
    $input `,` $axes attr-dict `:` type($input) `->` type($result)
  }];
  let extraClassDefinition = TesseraCompatibleReturnTypes # [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
      return ::mlir::tessera::inferReductionResult(
          location, adaptor.getInput(), adaptor.getAxes(),
          adaptor.getKeepdims(), inferred);
    }
  }];
}

def Tessera_ReduceSumOp : Tessera_ReduceOp<"reduce_sum", "sum">;
def Tessera_ReduceMeanOp : Tessera_ReduceOp<"reduce_mean", "mean">;
def Tessera_ReduceMaxOp : Tessera_ReduceOp<"reduce_max", "maximum">;

def Tessera_ArgMaxOp : Tessera_InferredOp<"argmax"> {
  let summary = "index of the largest element along an axis";
  let description = [{
    Index (`i32`, the integer width of Tessera's kernels, as for ONNX's
    int64 tensors) of the first largest element along `axis`, or with
    `select_last_index` the last of equal largest ones; with `keepdims` the
    axis stays as size 1.
  }];
  let arguments = (ins Tessera_NumericTensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$keepdims,
                       UnitAttr:$select_last_index);
  let results = (outs RankedTensorOf<[I32]>:$result);
  let assemblyFormat = [{
    $input `,` `axis` `=` $axis attr-dict `:` type($input) `->` type($result)
  }];
}

def Tessera_ArgsortOp : Tessera_InferredOp<"argsort"> {
  let summary = "the permutation that sorts along an axis (stable)";
  let description = [{
    Along `axis`, result position `r` holds the index of the element of
    rank `r`: ascending, or with `descending` from the largest; equal
    elements keep their order (the lower index first, ONNX's TopK rule).
    Indices are `i32`. The axis is static. ONNX's TopK is its first `k`
    positions and the input gathered there.

    ```mlir
    %order = tessera.argsort %noise, axis = 1 : tensor<?x16xf32> -> tensor<?x16xi32>
    ```

    Kernels compute each result element by ranking the elements of its
    row (a serial loop per element: for the short axes of sorted patch
    orders and top-k over logits, not for sorting long sequences).
  }];
  let arguments = (ins Tessera_NumericTensor:$input, I64Attr:$axis,
                       UnitAttr:$descending);
  let results = (outs RankedTensorOf<[I32]>:$result);
  let assemblyFormat = [{
    $input `,` `axis` `=` $axis attr-dict `:` type($input) `->` type($result)
  }];
}

def Tessera_ScatterNDOp : Tessera_InferredOp<"scatter_nd"> {
  let summary = "data with slices replaced at index tuples (ONNX's ScatterND)";
  let description = [{
    `indices` is `[Q..., K]`: each of its `Q...` tuples names a slice
    `data[i_0, ..., i_(K-1), ...]`, which becomes the matching slice of
    `updates` (`[Q..., data.shape[K:]...]`). A negative index counts from
    the end; the last of several tuples naming one slice wins. The result
    has the data's type. `K` is static.

    ```mlir
    %m = tessera.scatter_nd %ones, %kept, %zeros
        : (tensor<?x16xf32>, tensor<?x4x2xi32>, tensor<?x4xf32>) -> tensor<?x16xf32>
    ```

    Kernels compute each result element by searching the tuples for its
    slice (a loop over `Q` per element: for small index sets, such as
    masks written through a slice assignment), and check every index,
    which must lie in its axis.
  }];
  let arguments = (ins Tessera_Tensor:$data, RankedTensorOf<[I32]>:$indices,
                       Tessera_Tensor:$updates);
  let results = (outs Tessera_Tensor:$result);
  let assemblyFormat = [{
    $data `,` $indices `,` $updates attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Tessera_AttentionOp : Tessera_InferredOp<"attention", [AttrSizedOperandSegments]> {
  let summary = "scaled dot-product attention with a structured mask";
  let description = [{
    `softmax(scale · Q·Kᵀ + bias, masked) · V` per batch and head, with
    `query` `[B, Hq, Lq, D]`, `key` `[B, Hkv, Lk, D]`, `value`
    `[B, Hkv, Lk, Dv]` and result `[B, Hq, Lq, Dv]`. `Lq` and `Lk` may differ
    (cross attention, decoding with past keys); `Hq` must be a multiple of
    `Hkv` (grouped-query attention: query head `h` reads KV head
    `h / (Hq / Hkv)`).

    - `mask` (`#tessera.mask`, default `none`) says which keys each query sees;
      see the attribute for the exact rule.
    - `bias` is added to the scaled scores and broadcasts to
      `[B, Hq, Lq, Lk]` (relative position tables, dense masks that could not
      be classified).
    - `key_padding_mask` is `[B, Lk]` of `i1`; `true` marks a real key,
      `false` a padding key no query may see.
    - `scale` defaults to `1 / sqrt(D)`.
    - `alibi_slopes` (one per query head, ALiBi) adds
      `-slope[h] · |p(i) − j|` to the scores, where `p(i) = i + Lk − Lq` is
      the query's position among the keys (for a causal mask this is ALiBi's
      `slope · (j − i)`); the bias is computed in the kernel, never stored.
    - `window_relative_bias` (with a `window` mask only): `bias` is
      `[.., size², size²]` and is indexed by the positions of the query and
      the key inside their window — Swin's relative position bias — instead
      of by token indices.

    A query whose mask and key padding hide every key computes what the
    source graph computed for it, given what the graph added to a hidden
    key's score: `mask_fill` for a key the mask hides, `padding_fill` for a
    key the padding hides, both for a key hidden by both (with
    `shared_fill`, one term hid keys for both: `mask_fill`, once). The row is
    the softmax over every key of `scale · q·k + bias + fills`: with Hugging
    Face's `finfo.min` a uniform average over the keys hidden once (twice
    sums to -inf), with -inf NaN, as PyTorch and ONNX Runtime give. Without
    the fills (IR written by hand) such a query yields zeros. A row that sees
    a key is unaffected: hidden keys have no weight there.

    ```mlir
    %o = tessera.attention %q, %k, %v key_padding_mask(%pad)
        {mask = #tessera.mask<causal>, scale = 0.125 : f32}
        : (tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>,
           tensor<1x?xi1>) -> tensor<1x4x?x64xf32>
    ```
  }];
  let arguments = (ins Tessera_FloatTensor:$query, Tessera_FloatTensor:$key,
                       Tessera_FloatTensor:$value,
                       Optional<Tessera_FloatTensor>:$bias,
                       Optional<Tessera_BoolTensor>:$key_padding_mask,
                       OptionalAttr<F32Attr>:$scale,
                       OptionalAttr<Tessera_MaskAttr>:$mask,
                       OptionalAttr<DenseF32ArrayAttr>:$alibi_slopes,
                       UnitAttr:$window_relative_bias,
                       OptionalAttr<F32Attr>:$mask_fill,
                       OptionalAttr<F32Attr>:$padding_fill,
                       UnitAttr:$shared_fill);
  let results = (outs Tessera_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`bias` `(` $bias^ `)`)?
    (`key_padding_mask` `(` $key_padding_mask^ `)`)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The mask, `none` when the attribute is absent.
    ::mlir::tessera::MaskAttr getMaskOrNone();
    /// The score scale, `1 / sqrt(head dim)` when the attribute is absent.
    double getEffectiveScale();
    /// The tensor whose rows are loaded as queries: the query, or the input
    /// of the `rotary` that produces it (in a dispatch region, a query's
    /// rotary is applied as the kernel loads the rows).
    ::mlir::Value getQueryRows();
  }];
}

//===----------------------------------------------------------------------===//
// Dispatch regions
//===----------------------------------------------------------------------===//

def Tessera_DispatchOp : Tessera_Op<"dispatch", [IsolatedFromAbove]> {
  let summary = "ops that run as one GPU dispatch";
  let description = [{
    A region formed by `tessera-form-dispatches`: one root op (matmul or
    linear, attention, a row reduction such as softmax or layer_norm, or an
    elementwise op when there is no other) with the elementwise ops that feed
    it and consume it. Each region becomes one kernel. The body sees only its
    block arguments (the region is isolated), which are the `inputs`.

    Gathers are evaluated where they are read, like elementwise ops (each
    element of a gather is one element of its input): an embedding lookup
    joins the region of the op that consumes it, so that a model's token
    and position lookups, their sum and its layer norm are one dispatch.

    A linear's region may also hold one `layer_norm` over the last dim, before
    the linear, whose rows are the linear's rows: the kernel recomputes that
    normalisation where the linear reads it as its input (per-row
    statistics summed in its K loop) or its epilogue reads it (a residual;
    statistics from a prepass), instead of reading a tensor another
    dispatch wrote.

    ```mlir
    %y = tessera.dispatch (%x, %w, %b) : (tensor<1x?x256xf32>, tensor<1024x256xf32>,
                                          tensor<1024xf32>) -> tensor<1x?x1024xf32> {
    ^bb0(%a: tensor<1x?x256xf32>, %aw: tensor<1024x256xf32>, %ab: tensor<1024xf32>):
      %0 = tessera.linear %a, %aw, %ab : ...
      %1 = tessera.gelu %0 : tensor<1x?x1024xf32>
      tessera.yield %1 : tensor<1x?x1024xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<Tessera_Tensor>:$inputs,
                       OptionalAttr<Tessera_TileConfigAttr>:$tile_config);
  let results = (outs Tessera_Tensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `(` $inputs `)` attr-dict `:` functional-type($inputs, results) $body
  }];
  let hasVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Type":$resultType, "::mlir::ValueRange":$inputs)>
  ];
  let extraClassDeclaration = [{
    /// The op the dispatch is built around (see the description); null for
    /// a copy whose layout op folded away after its kernel was built.
    ::mlir::Operation *getRootOp();
    /// The layer norm a linear's region recomputes, or null.
    ::mlir::tessera::LayerNormOp getRecomputedNorm();
    /// Whether `op` can be fused into a dispatch as an elementwise
    /// prologue or epilogue.
    static bool isFusableElementwise(::mlir::Operation *op);
    /// Whether kernels compute `op` at each element they read of it
    /// (elementwise ops, gathers, dequantized weights, and layout ops on
    /// values computed in place), so that it is never a region's root
    /// beside another op.
    static bool isEvaluatedPerElement(::mlir::Operation *op);
  }];
}

def Tessera_YieldOp : Tessera_Op<"yield", [Pure, Terminator,
    HasParent<"::mlir::tessera::DispatchOp">, ReturnLike]> {
  let summary = "the value a dispatch region produces";
  let arguments = (ins Tessera_Tensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

#endif // TESSERA_DIALECT_OPS

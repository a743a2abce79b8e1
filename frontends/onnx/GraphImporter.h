//===- GraphImporter.h - State of one ONNX graph's import -------*- C++ -*-===//
//
// Internal to the ONNX frontend (includes protobuf types). The importer walks
// the graph's nodes in order; each node type has a converter (see
// OpConverters.h) that reads its inputs through a NodeContext and sets its
// outputs. Every value carries its symbolic shape (compiler/Analysis, the
// same inference the compiler runs later) and, for small integer tensors
// that are known at compile time, their values as dim expressions: that is
// how shape arithmetic folds away.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_FRONTENDS_ONNX_GRAPHIMPORTER_H
#define TESSERA_FRONTENDS_ONNX_GRAPHIMPORTER_H

#include "dialects/tessera/IR/TesseraOps.h"
#include "dialects/tessera/Shapes/SymbolicShapes.h"
#include "frontends/onnx/ExternalData.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"

#include "llvm/ADT/StringSet.h"
#include <memory>

#include "onnx/onnx_pb.h"

#include <limits>
#include <optional>

namespace mlir::tessera::onnx_frontend {

/// An ONNX value during import. At least one of `value` and `known` is set:
/// a value known at compile time is materialized as a constant only when an
/// op needs it as a tensor.
struct ImportedValue {
  Value value;
  /// Element type and shape as ONNX sees them (int64 is imported as i32).
  RankedTensorType type;
  SymbolicShape shape;
  /// Elements of a small integer tensor known at compile time, row-major;
  /// each is a constant or a product of named dims (from Shape).
  std::optional<SmallVector<DimExpr>> known;
  /// A float or bool constant's elements (initializers and Constant nodes).
  ElementsAttr constant;
  /// An 8- or 4-bit integer initializer's bytes as ONNX stores them (4-bit:
  /// two per byte, the first in the low bits); `type` has i8, ui8, i4 or
  /// ui4 elements. Only the converters of quantized weights
  /// (DequantizeLinear, MatMulNBits) read such tensors.
  std::shared_ptr<const std::string> packedIntegers;
};

class GraphImporter;

/// What a converter sees of one node.
class NodeContext {
public:
  NodeContext(GraphImporter &graph, const onnx::NodeProto &node,
              Location loc);

  const onnx::NodeProto &node() const { return node_; }
  GraphImporter &graph() { return graph_; }
  Location loc() const { return loc_; }
  OpBuilder &builder();
  int64_t opset() const;
  MLIRContext *context();

  /// Reports an error at the node; returns failure() for convenience.
  InFlightDiagnostic emitError();

  // Inputs. Optional inputs may be absent (no name, or fewer inputs).
  int numInputs() const { return node_.input_size(); }
  bool hasInput(int i) const;
  /// The import state of input `i` (must be present).
  const ImportedValue &info(int i) const;
  /// Input `i` as a tensor value, materializing a known one.
  FailureOr<Value> input(int i);
  /// Input `i` as input() gives it, or a null value where the node leaves
  /// the optional input out.
  FailureOr<Value> optionalInput(int i);
  const SymbolicShape &shape(int i) const { return info(i).shape; }
  int64_t rank(int i) const { return info(i).type.getRank(); }
  Type elementType(int i) const { return info(i).type.getElementType(); }
  /// The shape of `value`, a result of an op the converter created (its
  /// shape inferred now); fails when the compiler cannot express it.
  FailureOr<SymbolicShape> shapeOf(Value value);
  /// Input `i`'s elements when they are integers known at compile time.
  std::optional<SmallVector<DimExpr>> known(int i) const;
  /// Input `i`'s elements when they are integer constants (no named dims);
  /// an error naming `what` otherwise.
  FailureOr<SmallVector<int64_t>> constantInts(int i, StringRef what);
  /// Input `i`'s single float constant (a scalar or a splat).
  std::optional<double> constantScalar(int i) const;
  /// Input `i`'s elements when it is a float constant (f32 or f16).
  std::optional<SmallVector<double>> constantFloats(int i) const;

  // Attributes.
  const onnx::AttributeProto *attribute(StringRef name) const;
  int64_t intAttr(StringRef name, int64_t otherwise) const;
  float floatAttr(StringRef name, float otherwise) const;
  std::string stringAttr(StringRef name, StringRef otherwise) const;
  std::optional<SmallVector<int64_t>> intsAttr(StringRef name) const;
  /// Axes from the attribute (older opsets) or from input `input` (newer):
  /// `fromOpset` is the first opset where they are an input.
  FailureOr<std::optional<SmallVector<int64_t>>>
  axes(int input, int64_t fromOpset);

  /// An axis in [-rank, rank) made non-negative; an error otherwise.
  FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);

  /// Creates an op whose result type is inferred from `args` (its builder's
  /// arguments after the result type), or reports at the node why the type
  /// cannot be inferred. Every op with an inferred type is created this way:
  /// the builders that infer abort when inference fails, and what reaches
  /// them here comes from a model file.
  template <typename OpTy, typename... Args>
  FailureOr<Value> create(Args &&...args);

  // Outputs.
  int numOutputs() const { return node_.output_size(); }
  /// Output `i` is `value` (an op the converter created); its shape is
  /// inferred. Fails when the compiler could not express the shape, or when
  /// `value` is a failure (already reported).
  LogicalResult setOutput(int i, FailureOr<Value> value);
  LogicalResult setOutput(int i, Value value) {
    return setOutput(i, FailureOr<Value>(value));
  }
  /// Output `i` is known at compile time: no op is created unless a later
  /// node needs the tensor.
  void setKnownOutput(int i, Type elementType, ArrayRef<int64_t> shape,
                      SmallVector<DimExpr> elements);
  /// Output `i` is input `input` under another name (Identity, no-ops).
  void forwardInput(int i, int input);

private:
  GraphImporter &graph_;
  const onnx::NodeProto &node_;
  Location loc_;
};

template <typename OpTy, typename... Args>
FailureOr<Value> NodeContext::create(Args &&...args) {
  FailureOr<OpTy> op = createInferred<OpTy>(builder(), loc_, /*report=*/true,
                                            std::forward<Args>(args)...);
  if (failed(op))
    return failure();
  return op->getResult();
}

/// A node type's import. Returns failure after reporting an error.
using ConvertFunction = LogicalResult (*)(NodeContext &);

/// How many inputs (or outputs) a node may have. The first `min` inputs are
/// required: they must be present and named.
struct Arity {
  int min;
  int max;
};
/// `max` of a variadic input or output list.
constexpr int kVariadic = std::numeric_limits<int>::max();

/// A node type's import and the input and output counts it accepts (ONNX's
/// over opsets 13 to 23, or fewer where Tessera imports fewer). The importer
/// checks them before the converter runs, so that a converter may read its
/// required inputs without checking.
struct OpConverter {
  ConvertFunction convert;
  Arity inputs;
  Arity outputs = {1, 1};
};

class GraphImporter {
public:
  GraphImporter(MLIRContext *context, Location fileLoc, int64_t opset,
                ModelLocation model);

  /// Imports `graph` as function `name` into `module`.
  LogicalResult importGraph(const onnx::GraphProto &graph, ModuleOp module,
                            StringRef name);

  OpBuilder &builder() { return builder_; }
  int64_t opset() const { return opset_; }
  SymbolicShapes &shapes() { return shapes_; }
  ImportedValue *lookup(StringRef name);
  void define(StringRef name, ImportedValue value);
  /// Materializes a known value as a tessera.constant.
  FailureOr<Value> materialize(ImportedValue &value, Location loc);
  /// materialize() for known elements that name dynamic dims: computed by
  /// the kernels from the dims' run-time values.
  FailureOr<Value> materializeDims(ImportedValue &value, Location loc);
  /// Infers the shapes of the ops created since the last call.
  LogicalResult analyzeNewOps();

  /// The tessera element type of an ONNX element type, or null.
  Type convertElementType(int32_t onnxType);
  /// Reads an initializer or a Constant's tensor (raw, typed fields, or
  /// external data next to the model).
  FailureOr<ImportedValue> importTensor(const onnx::TensorProto &tensor,
                                        Location loc, bool asWeight);

private:
  /// Defines the graph inputs that are not `initializers` as `function`'s
  /// arguments, naming their dynamic dims.
  LogicalResult importInputs(const onnx::GraphProto &graph,
                             const llvm::StringSet<> &initializers,
                             func::FuncOp function);
  LogicalResult checkSupported(const onnx::GraphProto &graph);
  /// Checks `node` against what its converter accepts (input and output
  /// counts, required inputs) and the graph so far (inputs defined, outputs
  /// not yet), before the converter runs.
  LogicalResult checkNode(const onnx::NodeProto &node,
                          const OpConverter &converter, Location loc);

  OpBuilder builder_;
  Location fileLoc_;
  int64_t opset_;
  ModelLocation model_;
  SymbolicShapes shapes_;
  llvm::StringMap<ImportedValue> values_;
  Operation *lastAnalyzed_ = nullptr;
};

/// `node`'s op type as the converter table keys it: the name in the
/// default domain, "domain.Name" in any other (com.microsoft.FusedMatMul).
std::string qualifiedOpType(const onnx::NodeProto &node);
/// The converter of `opType` (qualifiedOpType's form), or null.
const OpConverter *lookupConverter(StringRef opType);

/// Integer tensors up to this many elements are tracked at compile time
/// (shape values, axes, index constants).
constexpr int64_t kMaxKnownElements = 1024;

/// Tensors with more elements than this are refused: kernels index their
/// elements with 32-bit integers.
constexpr int64_t kMaxTensorElements = std::numeric_limits<int32_t>::max();

/// The element count of a static shape, or nullopt when a dim is negative or
/// the count (of the non-zero dims, for an empty tensor) exceeds
/// kMaxTensorElements (computed without overflow).
std::optional<int64_t> checkedElementCount(ArrayRef<int64_t> shape);

} // namespace mlir::tessera::onnx_frontend

#endif // TESSERA_FRONTENDS_ONNX_GRAPHIMPORTER_H

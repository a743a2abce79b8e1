//===- GraphImporter.cpp - One ONNX graph into a tessera function ---------===//

#include "frontends/onnx/GraphImporter.h"

#include "dialects/tessera/IR/ShapeUtils.h"
#include "dialects/tessera/IR/TesseraOps.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MemoryBuffer.h"

#include "llvm/Support/Path.h"
#include <cstring>

#include <cstring>
#include <limits>
#include <map>

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::onnx_frontend;

namespace {

/// Float constants with more elements than this become dense_resource
/// weights; smaller ones stay inline so that raising can read them.
constexpr int64_t kMaxInlineElements = 16;

/// The node's name for diagnostics, or "<OpType> #index" for an unnamed one.
std::string nodeLabel(const onnx::NodeProto &node, int index) {
  if (!node.name().empty())
    return node.name();
  return node.op_type() + " #" + std::to_string(index);
}

} // namespace

std::optional<int64_t>
mlir::tessera::onnx_frontend::checkedElementCount(ArrayRef<int64_t> shape) {
  // The other dims of an empty tensor count too: strides are their
  // products.
  int64_t count = 1;
  for (int64_t d : shape)
    if (d < 0 || (d != 0 && (llvm::MulOverflow(count, d, count) ||
                             count > kMaxTensorElements)))
      return std::nullopt;
  return llvm::is_contained(shape, 0) ? 0 : count;
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

NodeContext::NodeContext(GraphImporter &graph, const onnx::NodeProto &node,
                         Location loc)
    : graph_(graph), node_(node), loc_(loc) {}

OpBuilder &NodeContext::builder() { return graph_.builder(); }
int64_t NodeContext::opset() const { return graph_.opset(); }
MLIRContext *NodeContext::context() { return loc_.getContext(); }

InFlightDiagnostic NodeContext::emitError() {
  return mlir::emitError(loc_) << node_.op_type() << ": ";
}

bool NodeContext::hasInput(int i) const {
  return i < node_.input_size() && !node_.input(i).empty();
}

const ImportedValue &NodeContext::info(int i) const {
  ImportedValue *value = graph_.lookup(node_.input(i));
  assert(value && "inputs are checked before conversion");
  return *value;
}

FailureOr<Value> NodeContext::input(int i) {
  return graph_.materialize(*graph_.lookup(node_.input(i)), loc_);
}

FailureOr<Value> NodeContext::optionalInput(int i) {
  return hasInput(i) ? input(i) : FailureOr<Value>(Value());
}

std::optional<SmallVector<DimExpr>> NodeContext::known(int i) const {
  if (!hasInput(i))
    return std::nullopt;
  return info(i).known;
}

FailureOr<SmallVector<int64_t>> NodeContext::constantInts(int i,
                                                          StringRef what) {
  std::optional<SmallVector<DimExpr>> elements = known(i);
  if (!elements)
    return emitError() << what << " (input " << i
                       << ") must be known at compile time";
  SmallVector<int64_t> values;
  for (const DimExpr &e : *elements) {
    if (!e.isConstant())
      return emitError() << what << " (input " << i
                         << ") depends on a dynamic dimension";
    values.push_back(e.getCoefficient());
  }
  return values;
}

std::optional<double> NodeContext::constantScalar(int i) const {
  if (!hasInput(i))
    return std::nullopt;
  const ImportedValue &value = info(i);
  if (value.known && value.known->size() >= 1 &&
      llvm::all_equal(*value.known) && value.known->front().isConstant())
    return static_cast<double>(value.known->front().getCoefficient());
  auto dense = dyn_cast_or_null<DenseElementsAttr>(value.constant);
  if (!dense || !dense.isSplat() ||
      !isa<FloatType>(dense.getElementType()))
    return std::nullopt;
  return dense.getSplatValue<APFloat>().convertToDouble();
}

std::optional<SmallVector<double>> NodeContext::constantFloats(int i) const {
  if (!hasInput(i))
    return std::nullopt;
  ElementsAttr constant = info(i).constant;
  if (!constant || !isa<FloatType>(constant.getElementType()))
    return std::nullopt;
  SmallVector<double> values;
  if (auto dense = dyn_cast<DenseElementsAttr>(constant)) {
    for (const APFloat &v : dense.getValues<APFloat>())
      values.push_back(v.convertToDouble());
    return values;
  }
  auto resource = dyn_cast<DenseResourceElementsAttr>(constant);
  AsmResourceBlob *blob =
      resource ? resource.getRawHandle().getBlob() : nullptr;
  if (!blob)
    return std::nullopt;
  ArrayRef<char> bytes = blob->getData();
  bool half = constant.getElementType().isF16();
  size_t width = half ? 2 : 4;
  for (size_t offset = 0; offset + width <= bytes.size(); offset += width) {
    if (half) {
      uint16_t bits;
      std::memcpy(&bits, bytes.data() + offset, 2);
      values.push_back(
          APFloat(APFloat::IEEEhalf(), APInt(16, bits)).convertToDouble());
    } else {
      float value;
      std::memcpy(&value, bytes.data() + offset, 4);
      values.push_back(value);
    }
  }
  return values;
}

const onnx::AttributeProto *NodeContext::attribute(StringRef name) const {
  for (const onnx::AttributeProto &attribute : node_.attribute())
    if (attribute.name() == name)
      return &attribute;
  return nullptr;
}

int64_t NodeContext::intAttr(StringRef name, int64_t otherwise) const {
  const onnx::AttributeProto *a = attribute(name);
  return a ? a->i() : otherwise;
}

float NodeContext::floatAttr(StringRef name, float otherwise) const {
  const onnx::AttributeProto *a = attribute(name);
  return a ? a->f() : otherwise;
}

std::string NodeContext::stringAttr(StringRef name,
                                    StringRef otherwise) const {
  const onnx::AttributeProto *a = attribute(name);
  return a ? a->s() : otherwise.str();
}

std::optional<SmallVector<int64_t>>
NodeContext::intsAttr(StringRef name) const {
  const onnx::AttributeProto *a = attribute(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

FailureOr<std::optional<SmallVector<int64_t>>>
NodeContext::axes(int input, int64_t fromOpset) {
  if (opset() < fromOpset)
    return intsAttr("axes");
  if (!hasInput(input))
    return std::optional<SmallVector<int64_t>>();
  FailureOr<SmallVector<int64_t>> values = constantInts(input, "axes");
  if (failed(values))
    return failure();
  return std::optional<SmallVector<int64_t>>(*values);
}

FailureOr<int64_t> NodeContext::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return emitError() << "axis " << axis << " is out of range for rank "
                       << rank;
  return axis < 0 ? axis + rank : axis;
}

FailureOr<SymbolicShape> NodeContext::shapeOf(Value value) {
  if (failed(graph_.analyzeNewOps()))
    return failure();
  return graph_.shapes().getShape(value);
}

/// A small float or bool result computed from constants alone (a Concat
/// of Resize's scales in an export without constant folding), folded into
/// a constant so that later nodes read its values as they read an
/// initializer's; null otherwise. Bigger results are left to the folder.
static ElementsAttr foldSmallConstant(OpBuilder &builder, Value &value) {
  constexpr int64_t kMaxElements = 1024;
  Operation *op = value.getDefiningOp();
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!op || isa<ConstantOp>(op) || op->getNumResults() != 1 || !type ||
      !type.hasStaticShape() || type.getNumElements() > kMaxElements ||
      !(isa<FloatType>(type.getElementType()) ||
        type.getElementType().isInteger(1)))
    return {};
  SmallVector<Attribute> operands;
  for (Value operand : op->getOperands()) {
    auto constant = operand.getDefiningOp<ConstantOp>();
    if (!constant)
      return {};
    operands.push_back(constant.getValue());
  }
  SmallVector<OpFoldResult> folded;
  if (failed(op->fold(operands, folded)) || folded.size() != 1)
    return {};
  auto elements = dyn_cast_or_null<ElementsAttr>(
      dyn_cast_if_present<Attribute>(folded.front()));
  if (!elements || elements.getType() != type)
    return {};
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(op);
  value = ConstantOp::create(builder, op->getLoc(), type, elements);
  return elements;
}

LogicalResult NodeContext::setOutput(int i, FailureOr<Value> result) {
  if (failed(result))
    return failure();
  Value value = *result;
  if (i >= node_.output_size() || node_.output(i).empty())
    return success(); // an unused optional output
  // Kernels index tensors with 32-bit integers: a crafted node (a Conv
  // padded by 10^9, an Expand to a huge shape) is refused here, by name,
  // rather than failing in code generation.
  auto type = cast<RankedTensorType>(value.getType());
  constexpr int64_t kMaxElements = std::numeric_limits<int32_t>::max();
  int64_t elements = 1;
  for (int64_t d : type.getShape())
    if (!ShapedType::isDynamic(d) &&
        (d > kMaxElements || (elements *= d) > kMaxElements))
      return emitError() << "produces a tensor of "
                         << formatShape(type.getShape())
                         << ", more than 2^31 - 1 elements, which kernels "
                            "cannot index";
  ImportedValue imported;
  imported.constant = foldSmallConstant(builder(), value);
  imported.value = value;
  imported.type = cast<RankedTensorType>(value.getType());
  if (failed(graph_.analyzeNewOps()))
    return failure();
  imported.shape = graph_.shapes().getShape(value);
  graph_.define(node_.output(i), std::move(imported));
  return success();
}

void NodeContext::setKnownOutput(int i, Type elementType,
                                 ArrayRef<int64_t> shape,
                                 SmallVector<DimExpr> elements) {
  ImportedValue imported;
  imported.type = RankedTensorType::get(shape, elementType);
  for (int64_t d : shape)
    imported.shape.push_back(DimExpr::constant(d));
  imported.known = std::move(elements);
  graph_.define(node_.output(i), std::move(imported));
}

void NodeContext::forwardInput(int i, int input) {
  ImportedValue copy = info(input);
  graph_.define(node_.output(i), std::move(copy));
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

GraphImporter::GraphImporter(MLIRContext *context, Location fileLoc,
                             int64_t opset, ModelLocation model)
    : builder_(context), fileLoc_(fileLoc), opset_(opset),
      model_(std::move(model)) {}

ImportedValue *GraphImporter::lookup(StringRef name) {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

void GraphImporter::define(StringRef name, ImportedValue value) {
  values_[name] = std::move(value);
}

Type GraphImporter::convertElementType(int32_t onnxType) {
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::DOUBLE: // narrowed: Vulkan targets have no f64
    return builder_.getF32Type();
  case onnx::TensorProto::FLOAT16:
    return builder_.getF16Type();
  case onnx::TensorProto::INT64: // narrowed: kernels index with 32 bits
  case onnx::TensorProto::INT32:
    return builder_.getI32Type();
  case onnx::TensorProto::BOOL:
    return builder_.getI1Type();
  default:
    return nullptr;
  }
}

FailureOr<Value> GraphImporter::materialize(ImportedValue &value,
                                            Location loc) {
  if (value.value)
    return value.value;
  if (value.packedIntegers)
    return emitError(loc) << "reads a tensor of " << value.type.getElementType()
                          << " integers: Tessera imports 8- and 4-bit "
                             "integer tensors only as the quantized weights of "
                             "DequantizeLinear and com.microsoft.MatMulNBits";
  Attribute payload = value.constant;
  if (!payload) {
    assert(value.known && "an imported value has a value or known elements");
    if (llvm::any_of(*value.known,
                     [](const DimExpr &e) { return !e.isConstant(); }))
      return materializeDims(value, loc);
    SmallVector<int32_t> elements;
    for (const DimExpr &e : *value.known) {
      if (e.getCoefficient() < std::numeric_limits<int32_t>::min() ||
          e.getCoefficient() > std::numeric_limits<int32_t>::max())
        return emitError(loc) << "the integer constant " << e.getCoefficient()
                              << " does not fit the 32 bits Tessera's "
                                 "kernels use for integers";
      elements.push_back(static_cast<int32_t>(e.getCoefficient()));
    }
    if (value.type.getElementType().isInteger(1) &&
        static_cast<int64_t>(elements.size()) > ConstantOp::kMaxInlineElements) {
      // A large bool table (GPT-2's causal-mask buffer): a resource of 0/1
      // in the kernels' i32 storage, cast to bool where it is used.
      auto storage = value.type.clone(builder_.getI32Type());
      Value table = ConstantOp::create(
          builder_, loc, storage,
          DenseResourceElementsAttr::get(
              storage, "bool_table",
              HeapAsmResourceBlob::allocateAndCopyInferAlign(
                  ArrayRef<int32_t>(elements))));
      value.value = CastOp::create(builder_, loc, value.type, table);
      return value.value;
    }
    if (value.type.getElementType().isInteger(1)) {
      SmallVector<bool> flags;
      for (int32_t e : elements)
        flags.push_back(e != 0);
      payload = DenseElementsAttr::get(value.type, ArrayRef<bool>(flags));
    } else {
      payload = DenseElementsAttr::get(value.type, ArrayRef<int32_t>(elements));
    }
  }
  auto constant = ConstantOp::create(builder_, loc, value.type,
                                     cast<TypedAttr>(payload));
  value.value = constant.getResult();
  return value.value;
}

FailureOr<Value> GraphImporter::materializeDims(ImportedValue &value,
                                                Location loc) {
  // Each element a one-element tensor, a dynamic one an iota that starts
  // at its value; concatenated, and shaped as the value.
  if (!value.type.getElementType().isInteger(32))
    return emitError(loc) << "a tensor of " << value.type.getElementType()
                          << " holds the value of a dynamic dimension";
  auto element = RankedTensorType::get({1}, value.type.getElementType());
  SmallVector<Value> parts;
  for (const DimExpr &e : *value.known) {
    if (e.isConstant())
      parts.push_back(ConstantOp::create(
          builder_, loc, element,
          DenseElementsAttr::get(element,
                                 static_cast<int32_t>(e.getCoefficient()))));
    else
      parts.push_back(
          IotaOp::create(builder_, loc, element, StringAttr(),
                         builder_.getStringAttr(shapes_.format(e))));
  }
  Value flat = parts.size() == 1
                   ? parts.front()
                   : ConcatOp::create(builder_, loc, parts, 0).getResult();
  value.value = ReshapeOp::create(builder_, loc, value.type, flat, ArrayAttr());
  return value.value;
}

// ONNX's 4-bit types (IR version 10), newer than Debian's libonnx headers.
constexpr int32_t kOnnxUint4 = 21, kOnnxInt4 = 22;

/// The type of an 8- or 4-bit integer tensor's elements, or null.
static Type packedIntegerType(MLIRContext *context, int32_t onnxType) {
  switch (onnxType) {
  case onnx::TensorProto::INT8:
    return IntegerType::get(context, 8, IntegerType::Signed);
  case onnx::TensorProto::UINT8:
    return IntegerType::get(context, 8, IntegerType::Unsigned);
  case kOnnxInt4:
    return IntegerType::get(context, 4, IntegerType::Signed);
  case kOnnxUint4:
    return IntegerType::get(context, 4, IntegerType::Unsigned);
  default:
    return nullptr;
  }
}

FailureOr<ImportedValue>
GraphImporter::importTensor(const onnx::TensorProto &tensor, Location loc,
                            bool asWeight) {
  Type elementType = convertElementType(tensor.data_type());
  if (!elementType)
    elementType = packedIntegerType(builder_.getContext(), tensor.data_type());
  if (!elementType)
    return emitError(loc) << "tensor '" << tensor.name() << "' has ONNX data "
                          << "type " << tensor.data_type()
                          << ", which Tessera does not import (float, "
                             "float16, double, int32, int64 and bool are; "
                             "int8, uint8, int4 and uint4 as quantized "
                             "weights)";
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  std::optional<int64_t> checkedCount = checkedElementCount(shape);
  if (!checkedCount)
    return emitError(loc) << "tensor '" << tensor.name() << "' has dims ["
                          << ArrayRef<int64_t>(shape)
                          << "]: a negative dim, or more than "
                          << kMaxTensorElements
                          << " elements (kernels index with 32 bits)";
  int64_t count = *checkedCount;
  auto type = RankedTensorType::get(shape, elementType);

  // The bytes, little-endian, in the ONNX type's own width (4-bit types:
  // two elements per byte).
  bool fourBit = elementType.isInteger(4);
  size_t width = 0;
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::INT32:
    width = 4;
    break;
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::INT64:
    width = 8;
    break;
  case onnx::TensorProto::FLOAT16:
    width = 2;
    break;
  default:
    width = 1;
  }
  size_t expectedBytes = fourBit ? (count + 1) / 2 : count * width;
  // The tensor's bytes: a view of raw_data where it holds them (no copy:
  // at published sizes a copy is hundreds of megabytes), else gathered.
  std::string gathered;
  StringRef bytes;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    FailureOr<std::string> external =
        readExternalData(tensor, model_, expectedBytes, loc);
    if (failed(external))
      return failure();
    gathered = std::move(*external);
    bytes = gathered;
  } else if (tensor.has_raw_data()) {
    bytes = tensor.raw_data();
  } else {
    auto append = [&](const void *data, size_t size) {
      gathered.append(static_cast<const char *>(data), size);
    };
    switch (tensor.data_type()) {
    case onnx::TensorProto::FLOAT:
      for (float v : tensor.float_data())
        append(&v, 4);
      break;
    case onnx::TensorProto::DOUBLE:
      for (double v : tensor.double_data())
        append(&v, 8);
      break;
    case onnx::TensorProto::INT64:
      for (int64_t v : tensor.int64_data())
        append(&v, 8);
      break;
    case onnx::TensorProto::FLOAT16: // int32_data holds the bits
      for (int32_t v : tensor.int32_data()) {
        uint16_t bits = static_cast<uint16_t>(v);
        append(&bits, 2);
      }
      break;
    case onnx::TensorProto::BOOL:
      for (int32_t v : tensor.int32_data()) {
        char flag = v != 0;
        append(&flag, 1);
      }
      break;
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
      for (int32_t v : tensor.int32_data()) {
        char byte = static_cast<char>(v);
        append(&byte, 1);
      }
      break;
    default:
      if (fourBit)
        return emitError(loc) << "tensor '" << tensor.name()
                              << "' holds 4-bit integers in int32_data; "
                                 "Tessera reads them from raw_data";
      for (int32_t v : tensor.int32_data())
        append(&v, 4);
    }
    bytes = gathered;
  }
  if (bytes.size() != expectedBytes)
    return emitError(loc) << "tensor '" << tensor.name() << "' holds "
                          << bytes.size() << " bytes of data; its shape and "
                          << "type need " << expectedBytes;

  ImportedValue imported;
  imported.type = type;
  for (int64_t d : shape)
    imported.shape.push_back(DimExpr::constant(d));
  if (elementType.getIntOrFloatBitWidth() <= 8 && !elementType.isInteger(1)) {
    imported.packedIntegers = std::make_shared<const std::string>(bytes.str());
    return imported;
  }
  const char *data = bytes.data();
  if (elementType.isInteger(32) || elementType.isInteger(1)) {
    if (count > kMaxKnownElements && elementType.isInteger(32)) {
      // A large integer table (position ids, say): a weight of i32.
      std::vector<int32_t> narrow(count);
      for (int64_t i = 0; i < count; ++i) {
        int64_t v = width == 8 ? llvm::support::endian::read64le(data + 8 * i)
                               : static_cast<int32_t>(
                                     llvm::support::endian::read32le(data + 4 * i));
        if (v < std::numeric_limits<int32_t>::min() ||
            v > std::numeric_limits<int32_t>::max())
          return emitError(loc) << "tensor '" << tensor.name()
                                << "' holds " << v << ", beyond 32 bits";
        narrow[i] = static_cast<int32_t>(v);
      }
      imported.constant = DenseResourceElementsAttr::get(
          type, tensor.name().empty() ? "constant" : tensor.name(),
          HeapAsmResourceBlob::allocateAndCopyInferAlign(
              ArrayRef<int32_t>(narrow)));
      return imported;
    }
    SmallVector<DimExpr> elements;
    for (int64_t i = 0; i < count; ++i) {
      int64_t v = width == 8 ? static_cast<int64_t>(
                                   llvm::support::endian::read64le(data + 8 * i))
                  : width == 4
                      ? static_cast<int32_t>(
                            llvm::support::endian::read32le(data + 4 * i))
                      : static_cast<int64_t>(data[i] != 0);
      elements.push_back(DimExpr::constant(v));
    }
    imported.known = std::move(elements);
    return imported;
  }

  // Floats: f32 (double narrowed) or f16 bits.
  if (elementType.isF16()) {
    if (asWeight && count > kMaxInlineElements) {
      imported.constant = DenseResourceElementsAttr::get(
          type, tensor.name(),
          HeapAsmResourceBlob::allocateAndCopyWithAlign(
              ArrayRef<char>(bytes.data(), bytes.size()), alignof(uint16_t)));
      return imported;
    }
    SmallVector<APFloat> values;
    for (int64_t i = 0; i < count; ++i)
      values.push_back(APFloat(APFloat::IEEEhalf(),
                               APInt(16, llvm::support::endian::read16le(
                                             data + 2 * i))));
    imported.constant = DenseElementsAttr::get(type, values);
    return imported;
  }
  // f32 bytes in the host's order (little-endian, as ONNX stores them)
  // become a weight without a second copy.
  if (width == 4 && llvm::endianness::native == llvm::endianness::little &&
      asWeight && count > kMaxInlineElements) {
    bool uniform = true;
    for (int64_t i = 1; i < count && uniform; ++i)
      uniform = std::memcmp(data, data + 4 * i, 4) == 0;
    if (!uniform) {
      imported.constant = DenseResourceElementsAttr::get(
          type, tensor.name(),
          HeapAsmResourceBlob::allocateAndCopyWithAlign(
              ArrayRef<char>(data, bytes.size()), alignof(float)));
      return imported;
    }
  }
  std::vector<float> values(count);
  for (int64_t i = 0; i < count; ++i) {
    if (width == 8) {
      uint64_t raw = llvm::support::endian::read64le(data + 8 * i);
      double v;
      std::memcpy(&v, &raw, 8);
      values[i] = static_cast<float>(v);
    } else {
      uint32_t raw = llvm::support::endian::read32le(data + 4 * i);
      std::memcpy(&values[i], &raw, 4);
    }
  }
  if (asWeight && count > kMaxInlineElements && !llvm::all_equal(values)) {
    imported.constant = DenseResourceElementsAttr::get(
        type, tensor.name(),
        HeapAsmResourceBlob::allocateAndCopyInferAlign(
            ArrayRef<float>(values)));
    return imported;
  }
  imported.constant = DenseElementsAttr::get(type, ArrayRef<float>(values));
  return imported;
}

LogicalResult GraphImporter::analyzeNewOps() {
  Block *block = builder_.getInsertionBlock();
  if (block->empty())
    return success();
  Operation *next =
      lastAnalyzed_ ? lastAnalyzed_->getNextNode() : &block->front();
  for (; next; next = next->getNextNode()) {
    // An op built from a node the model got wrong (an exp of integers, a
    // reshape that changes the element count) stops the import here, at
    // its node, before anything reads it.
    if (failed(verify(next, /*verifyRecursively=*/false)) ||
        failed(shapes_.analyzeOp(next)))
      return failure();
    lastAnalyzed_ = next;
  }
  return success();
}

LogicalResult GraphImporter::checkNode(const onnx::NodeProto &node,
                                       const OpConverter &converter,
                                       Location loc) {
  auto fail = [&]() { return emitError(loc) << node.op_type() << ": "; };
  auto count = [](int n, StringRef what) {
    return std::to_string(n) + " " + what.str() + (n == 1 ? "" : "s");
  };
  auto expected = [](Arity arity) {
    if (arity.min == arity.max)
      return std::to_string(arity.min);
    if (arity.max == kVariadic)
      return "at least " + std::to_string(arity.min);
    return std::to_string(arity.min) + " to " + std::to_string(arity.max);
  };
  if (node.input_size() < converter.inputs.min ||
      node.input_size() > converter.inputs.max)
    return fail() << "has " << count(node.input_size(), "input") << "; "
                  << node.op_type() << " takes "
                  << expected(converter.inputs);
  if (node.output_size() < converter.outputs.min ||
      node.output_size() > converter.outputs.max)
    return fail() << "has " << count(node.output_size(), "output") << "; "
                  << node.op_type() << " takes "
                  << expected(converter.outputs);
  for (int i = 0; i < converter.inputs.min; ++i)
    if (node.input(i).empty())
      return fail() << "input " << i << " is required but has no name";
  for (const std::string &input : node.input())
    if (!input.empty() && !lookup(input))
      return fail() << "input '" << input
                    << "' is not produced by any earlier node, input or "
                       "initializer (the graph is not in topological "
                       "order, or is incomplete)";
  // ONNX graphs assign each name once.
  llvm::StringSet<> outputs;
  for (const std::string &output : node.output()) {
    if (output.empty())
      continue;
    if (lookup(output))
      return fail() << "output '" << output
                    << "' is already produced by an earlier node, input or "
                       "initializer (a name is assigned once)";
    if (!outputs.insert(output).second)
      return fail() << "names output '" << output << "' twice";
  }
  return success();
}

LogicalResult GraphImporter::checkSupported(const onnx::GraphProto &graph) {
  // Every unsupported op type at once, each with the nodes that use it.
  std::map<std::string, SmallVector<std::string>> unsupported;
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    std::string type = qualifiedOpType(node);
    if (!lookupConverter(type))
      unsupported[type].push_back(nodeLabel(node, index));
  }
  if (unsupported.empty())
    return success();
  InFlightDiagnostic diag = emitError(fileLoc_)
                            << "the model uses " << unsupported.size()
                            << " op type(s) Tessera does not import:";
  bool cpuLayouts = false;
  for (auto &[type, nodes] : unsupported) {
    diag << "\n  " << type << " (node '" << nodes.front() << "'";
    if (nodes.size() > 1)
      diag << " and " << nodes.size() - 1 << " more";
    diag << ")";
    cpuLayouts |= StringRef(type).starts_with("com.microsoft.nchwc.");
  }
  if (cpuLayouts)
    diag << "\ncom.microsoft.nchwc ops are ONNX Runtime's layouts for its own "
            "CPU kernels, written at optimization level 'all'; save the "
            "optimized model at level 'extended' instead";
  return failure();
}

LogicalResult
GraphImporter::importInputs(const onnx::GraphProto &graph,
                            const llvm::StringSet<> &initializers,
                            func::FuncOp function) {
  Block &entry = function.getBody().front();
  unsigned argument = 0;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (initializers.contains(input.name()))
      continue; // an initializer listed as an input: a weight
    if (input.name().empty() || lookup(input.name()))
      return emitError(fileLoc_)
             << "graph input '" << input.name() << "' "
             << (input.name().empty() ? "has no name" : "is listed twice");
    BlockArgument value = entry.getArgument(argument);
    ImportedValue imported;
    imported.value = value;
    imported.type = cast<RankedTensorType>(value.getType());
    SmallVector<Attribute> dims;
    const auto &shape = input.type().tensor_type().shape();
    for (auto [d, dim] : llvm::enumerate(shape.dim())) {
      if (dim.has_dim_value()) {
        imported.shape.push_back(DimExpr::constant(dim.dim_value()));
        dims.push_back(builder_.getI64IntegerAttr(dim.dim_value()));
        continue;
      }
      // A dim with neither a size nor a name gets one from its place. A
      // name with a `+` is a sum of named dims (an attention mask over
      // `past + seq` keys); in other names, characters that would read as
      // arithmetic become '_' (`seq-len` is the name seq_len).
      std::string name = dim.has_dim_param() && !dim.dim_param().empty()
                             ? dim.dim_param()
                             : input.name() + "_dim" + std::to_string(d);
      DimExpr expr = DimExpr::constant(0);
      if (StringRef(name).contains('+')) {
        std::optional<DimExpr> sum = shapes_.parse(name);
        if (!sum)
          return emitError(fileLoc_)
                 << "input '" << input.name() << "' dimension " << d
                 << " is '" << name
                 << "': a name with '+' must be a sum of names and numbers";
        expr = *sum;
        name = shapes_.format(expr);
      } else {
        for (char &c : name)
          if (!isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.')
            c = '_';
        if (isdigit(static_cast<unsigned char>(name[0])))
          name = "_" + name;
        expr = DimExpr::symbol(shapes_.getOrCreateSymbol(name));
      }
      imported.shape.push_back(expr);
      dims.push_back(builder_.getStringAttr(name));
    }
    shapes_.setArgumentShape(value, imported.shape);
    function.setArgAttr(argument, TesseraDialect::NameAttrHelper::getNameStr(),
                        builder_.getStringAttr(input.name()));
    if (!imported.type.hasStaticShape())
      function.setArgAttr(argument,
                          TesseraDialect::DimsAttrHelper::getNameStr(),
                          builder_.getArrayAttr(dims));
    define(input.name(), std::move(imported));
    ++argument;
  }
  return success();
}

LogicalResult GraphImporter::importGraph(const onnx::GraphProto &graph,
                                         ModuleOp module, StringRef name) {
  if (failed(checkSupported(graph)))
    return failure();

  // Argument types: the graph inputs that are not initializers.
  llvm::StringSet<> initializers;
  for (const onnx::TensorProto &tensor : graph.initializer())
    initializers.insert(tensor.name());
  SmallVector<Type> argumentTypes;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (initializers.contains(input.name()))
      continue;
    if (!input.type().has_tensor_type())
      return emitError(fileLoc_) << "input '" << input.name()
                                 << "' is not a tensor";
    const auto &tensorType = input.type().tensor_type();
    Type elementType = convertElementType(tensorType.elem_type());
    if (!elementType)
      return emitError(fileLoc_)
             << "input '" << input.name() << "' has ONNX element type "
             << tensorType.elem_type()
             << ", which Tessera does not import (float, float16, int32, "
                "int64 and bool are)";
    if (!tensorType.has_shape())
      return emitError(fileLoc_) << "input '" << input.name()
                                 << "' has no shape (not even a rank)";
    SmallVector<int64_t> shape, staticDims;
    for (const auto &dim : tensorType.shape().dim()) {
      shape.push_back(dim.has_dim_value() ? dim.dim_value()
                                          : ShapedType::kDynamic);
      if (dim.has_dim_value())
        staticDims.push_back(dim.dim_value());
    }
    if (!checkedElementCount(staticDims))
      return emitError(fileLoc_)
             << "input '" << input.name() << "' has dims ["
             << ArrayRef<int64_t>(staticDims)
             << "]: a negative dim, or more than " << kMaxTensorElements
             << " elements";
    argumentTypes.push_back(RankedTensorType::get(shape, elementType));
  }

  builder_.setInsertionPointToEnd(module.getBody());
  auto function = func::FuncOp::create(
      builder_, fileLoc_, name, builder_.getFunctionType(argumentTypes, {}));
  Block *entry = function.addEntryBlock();
  builder_.setInsertionPointToEnd(entry);
  if (failed(importInputs(graph, initializers, function)))
    return failure();

  for (const onnx::TensorProto &tensor : graph.initializer()) {
    if (lookup(tensor.name()))
      return emitError(fileLoc_)
             << "initializer '" << tensor.name()
             << "' has the name of a graph input or an earlier initializer";
    // Errors name the tensor; an initializer is not a node.
    FailureOr<ImportedValue> weight =
        importTensor(tensor, fileLoc_, /*asWeight=*/true);
    if (failed(weight))
      return failure();
    define(tensor.name(), std::move(*weight));
  }

  for (auto [index, node] : llvm::enumerate(graph.node())) {
    Location loc = NameLoc::get(
        builder_.getStringAttr(nodeLabel(node, index)), fileLoc_);
    const OpConverter &converter = *lookupConverter(qualifiedOpType(node));
    if (failed(checkNode(node, converter, loc)))
      return failure();
    NodeContext context(*this, node, loc);
    if (failed(converter.convert(context)))
      return failure();
    for (const std::string &output : node.output())
      if (!output.empty() && !lookup(output))
        return emitError(loc) << node.op_type() << ": output '" << output
                              << "' was not produced (an importer bug)";
  }

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    ImportedValue *value = lookup(output.name());
    if (!value)
      return emitError(fileLoc_) << "graph output '" << output.name()
                                 << "' is not produced by any node";
    FailureOr<Value> tensor = materialize(*value, fileLoc_);
    if (failed(tensor))
      return failure();
    results.push_back(*tensor);
    resultTypes.push_back(tensor->getType());
  }
  func::ReturnOp::create(builder_, fileLoc_, results);
  function.setType(builder_.getFunctionType(argumentTypes, resultTypes));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    function.setResultAttr(i, TesseraDialect::NameAttrHelper::getNameStr(),
                           builder_.getStringAttr(output.name()));
  // Dims computed from others (a strided window over a dynamic image),
  // which the ops' dims attributes may name.
  shapes_.writeDerivedDims(function);
  return success();
}

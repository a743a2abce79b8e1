//===- TensorInterpreter.cpp - Evaluating small tensor computations -------===//

#include "compiler/Analysis/TensorInterpreter.h"

#include "dialects/tessera/IR/ScalarRules.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/ADT/bit.h"

#include <array>
#include <cmath>
#include <unordered_map>

using namespace mlir;
using namespace mlir::tessera;

int64_t mlir::tessera::countElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::optional<InterpretedTensor> TensorInterpreter::evaluate(Value value) {
  if (auto it = cache_.find(value); it != cache_.end())
    return it->second;
  std::optional<InterpretedTensor> result = compute(value);
  if (result)
    cache_[value] = *result;
  return result;
}

std::optional<InterpretedTensor> TensorInterpreter::concat(ConcatOp op) {
  int64_t axis = op.getAxis();
  SmallVector<int64_t> shape = concreteShape(op.getResult());
  InterpretedTensor out{shape, std::vector<double>(countElements(shape))};
  SmallVector<int64_t> outStrides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    outStrides[d] = outStrides[d + 1] * shape[d + 1];
  int64_t start = 0;
  for (Value input : op.getInputs()) {
    std::optional<InterpretedTensor> part = evaluate(input);
    if (!part || part->shape.size() != shape.size())
      return std::nullopt;
    for (int64_t i = 0, e = part->data.size(); i < e; ++i) {
      int64_t flat = 0, rest = i;
      for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
        int64_t index = rest % part->shape[d];
        rest /= part->shape[d];
        flat += (index + (d == axis ? start : 0)) * outStrides[d];
      }
      out.data[flat] = part->data[i];
    }
    start += part->shape[axis];
  }
  if (start != shape[axis])
    return std::nullopt;
  return out;
}

std::optional<InterpretedTensor>
TensorInterpreter::broadcastTo(const InterpretedTensor &t,
                               ArrayRef<int64_t> shape) {
  if (t.shape.size() > shape.size())
    return std::nullopt;
  InterpretedTensor out{SmallVector<int64_t>(shape),
                        std::vector<double>(countElements(shape))};
  size_t offset = shape.size() - t.shape.size();
  for (int64_t i = 0, e = out.data.size(); i < e; ++i) {
    int64_t rest = i, source = 0, stride = 1;
    for (int64_t d = shape.size() - 1; d >= 0; --d) {
      int64_t index = rest % shape[d];
      rest /= shape[d];
      if (d >= static_cast<int64_t>(offset)) {
        int64_t own = t.shape[d - offset];
        if (own != 1 && own != shape[d])
          return std::nullopt;
        source += (own == 1 ? 0 : index) * stride;
        stride *= own;
      }
    }
    out.data[i] = t.data[source];
  }
  return out;
}

/// An elementwise op: its scalar rule (the folder's and the kernels'),
/// evaluated element by element in the operands' element types.
std::optional<InterpretedTensor> TensorInterpreter::elementwise(Operation *op) {
  SmallVector<int64_t> shape = concreteShape(op->getResult(0));
  SmallVector<InterpretedTensor> operands;
  SmallVector<Type> types;
  for (Value operand : op->getOperands()) {
    std::optional<InterpretedTensor> t = evaluate(operand);
    if (!t || !(t = broadcastTo(*t, shape)))
      return std::nullopt;
    operands.push_back(std::move(*t));
    types.push_back(getElementTypeOrSelf(operand.getType()));
  }
  // Built once the operands are known, as the folder does.
  std::unique_ptr<ScalarRuleEvaluator> rule = ScalarRuleEvaluator::build(op);
  InterpretedTensor out{shape, std::vector<double>(countElements(shape))};
  SmallVector<Attribute> args(operands.size());
  // Evaluating a rule folds attributes, which MLIR uniques: slow per
  // element. Masks hold few distinct values (positions, 0 / 1, -inf), so
  // each distinct tuple of operands is evaluated once.
  using Key = std::array<uint64_t, 3>; // elementwise ops take at most 3
  struct KeyHash {
    size_t operator()(const Key &key) const {
      uint64_t h = key[0] * 0x9E3779B97F4A7C15ull;
      h = (h ^ (h >> 29) ^ key[1]) * 0xBF58476D1CE4E5B9ull;
      return (h ^ (h >> 31) ^ key[2]) * 0x94D049BB133111EBull;
    }
  };
  assert(operands.size() <= 3 && "an elementwise op with more operands");
  std::unordered_map<Key, double, KeyHash> evaluated;
  Key key = {0, 0, 0}, lastKey = key;
  for (size_t i = 0; i < out.data.size(); ++i) {
    for (size_t k = 0; k < operands.size(); ++k)
      key[k] = llvm::bit_cast<uint64_t>(operands[k].data[i]);
    if (i > 0 && key == lastKey) { // broadcast operands repeat in runs
      out.data[i] = out.data[i - 1];
      continue;
    }
    lastKey = key;
    if (auto it = evaluated.find(key); it != evaluated.end()) {
      out.data[i] = it->second;
      continue;
    }
    for (size_t k = 0; k < operands.size(); ++k)
      args[k] = scalarAttr(types[k], operands[k].data[i]);
    Attribute result = rule->evaluate(args);
    if (!result)
      return std::nullopt; // undefined (an integer division by zero)
    out.data[i] = scalarValue(result);
    evaluated.emplace(key, out.data[i]);
  }
  return out;
}

std::optional<InterpretedTensor> TensorInterpreter::constant(ConstantOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  if (!type.hasStaticShape() || countElements(type.getShape()) > (1 << 22))
    return std::nullopt;
  InterpretedTensor out{SmallVector<int64_t>(type.getShape()), {}};
  Type element = type.getElementType();
  if (auto dense = dyn_cast<DenseElementsAttr>(op.getValue())) {
    if (isa<FloatType>(element))
      for (APFloat v : dense.getValues<APFloat>())
        out.data.push_back(v.convertToDouble());
    else if (element.isInteger(1))
      for (bool v : dense.getValues<bool>())
        out.data.push_back(v);
    else
      for (APInt v : dense.getValues<APInt>())
        out.data.push_back(static_cast<double>(v.getSExtValue()));
    return out;
  }
  auto resource = dyn_cast<DenseResourceElementsAttr>(op.getValue());
  AsmResourceBlob *blob =
      resource ? resource.getRawHandle().getBlob() : nullptr;
  if (!blob)
    return std::nullopt;
  if (element.isF32())
    for (float v : blob->getDataAs<float>())
      out.data.push_back(v);
  else if (element.isInteger(32))
    for (int32_t v : blob->getDataAs<int32_t>())
      out.data.push_back(v);
  else
    return std::nullopt;
  return out;
}

std::optional<InterpretedTensor> TensorInterpreter::gather(GatherOp op) {
  std::optional<InterpretedTensor> input = evaluate(op.getInput());
  std::optional<InterpretedTensor> indices = evaluate(op.getIndices());
  if (!input || !indices)
    return std::nullopt;
  int64_t axis = op.getAxis();
  ArrayRef<int64_t> in = input->shape;
  int64_t outer = countElements(in.take_front(axis)), extent = in[axis],
          inner = countElements(in.drop_front(axis + 1));
  int64_t n = indices->data.size();
  InterpretedTensor out;
  out.shape.append(in.begin(), in.begin() + axis);
  out.shape.append(indices->shape.begin(), indices->shape.end());
  out.shape.append(in.begin() + axis + 1, in.end());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < n; ++k) {
      int64_t index = static_cast<int64_t>(indices->data[k]);
      if (index < 0)
        index += extent;
      if (index < 0 || index >= extent)
        return std::nullopt; // the table is shorter than the length
      for (int64_t i = 0; i < inner; ++i)
        out.data.push_back(input->data[(o * extent + index) * inner + i]);
    }
  return out;
}

std::optional<InterpretedTensor> TensorInterpreter::transpose(TransposeOp op) {
  std::optional<InterpretedTensor> input = evaluate(op.getInput());
  if (!input)
    return std::nullopt;
  ArrayRef<int64_t> perm = op.getPermutation();
  InterpretedTensor out;
  for (int64_t p : perm)
    out.shape.push_back(input->shape[p]);
  out.data.resize(input->data.size());
  SmallVector<int64_t> strides(input->shape.size(), 1);
  for (int64_t d = strides.size() - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * input->shape[d + 1];
  for (int64_t i = 0, e = out.data.size(); i < e; ++i) {
    int64_t rest = i, source = 0;
    for (int64_t d = out.shape.size() - 1; d >= 0; --d) {
      source += (rest % out.shape[d]) * strides[perm[d]];
      rest /= out.shape[d];
    }
    out.data[i] = input->data[source];
  }
  return out;
}

std::optional<InterpretedTensor> TensorInterpreter::compute(Value value) {
  Operation *op = value.getDefiningOp();
  if (!op)
    return std::nullopt; // a function argument: known only at run time
  return llvm::TypeSwitch<Operation *, std::optional<InterpretedTensor>>(op)
      .Case([&](ConstantOp c) { return constant(c); })
      .Case([&](IotaOp iota) -> std::optional<InterpretedTensor> {
        int64_t start = 0;
        if (iota.getStart()) {
          std::optional<DimExpr> first =
              shapes_ ? shapes_->parseKnown(*iota.getStart()) : std::nullopt;
          if (!first)
            return std::nullopt;
          start = first->evaluate(symbolValues_);
        }
        InterpretedTensor out{concreteShape(value), {}};
        for (int64_t i = 0; i < out.shape[0]; ++i)
          out.data.push_back(start + i);
        return out;
      })
      .Case([&](GatherOp g) { return gather(g); })
      .Case([&](TransposeOp t) { return transpose(t); })
      .Case([&](ConcatOp c) { return concat(c); })
      .Case<ReshapeOp, BroadcastOp>([&](Operation *)
                                        -> std::optional<InterpretedTensor> {
        std::optional<InterpretedTensor> input = evaluate(op->getOperand(0));
        SmallVector<int64_t> shape = concreteShape(value);
        if (!input)
          return std::nullopt;
        if (isa<BroadcastOp>(op))
          return broadcastTo(*input, shape);
        if (countElements(shape) != static_cast<int64_t>(input->data.size()))
          return std::nullopt; // several dynamic dims of other sizes
        input->shape = shape;
        return input;
      })
      .Case([&](SliceOp slice) -> std::optional<InterpretedTensor> {
        std::optional<InterpretedTensor> input = evaluate(slice.getInput());
        if (!input)
          return std::nullopt;
        // Only slices that take every dynamic dim whole reach here.
        InterpretedTensor out{concreteShape(value), {}};
        int64_t rank = out.shape.size();
        SmallVector<int64_t> index(rank, 0);
        SmallVector<int64_t> strides(rank, 1);
        for (int64_t d = rank - 2; d >= 0; --d)
          strides[d] = strides[d + 1] * input->shape[d + 1];
        for (int64_t i = 0, e = countElements(out.shape); i < e; ++i) {
          int64_t rest = i, source = 0;
          for (int64_t d = rank - 1; d >= 0; --d) {
            int64_t step = slice.getSteps() ? (*slice.getSteps())[d] : 1;
            int64_t start = slice.getStarts()[d];
            if (start < 0)
              start = std::max<int64_t>(0, start + input->shape[d]);
            source += (start + (rest % out.shape[d]) * step) * strides[d];
            rest /= out.shape[d];
          }
          out.data.push_back(input->data[source]);
        }
        return out;
      })
      .Case([&](ScalarRuleOpInterface) { return elementwise(op); })
      .Default([](Operation *) { return std::nullopt; });
}

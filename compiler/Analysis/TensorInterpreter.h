//===- TensorInterpreter.h - Evaluating small tensor computations -*- C++
//-*-===//
//
// The raising passes prove what a computation is by running it: a mask
// built from positions is evaluated into a table of visible keys, a layout
// chain (roll, window partition) on a table of token indices. This
// interpreter runs tessera ops on concrete tensors of doubles: constants
// (inline and f32 / i32 resources), iota, layout ops (reshape, broadcast,
// transpose, slice, concat, gather) and every elementwise op, through the
// op's scalar rule (ScalarRules.h) in the op's element types, as the folder
// and the kernels compute it. Function arguments and other ops have no
// value unless the caller seeds one.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_COMPILER_ANALYSIS_TENSORINTERPRETER_H
#define TESSERA_COMPILER_ANALYSIS_TENSORINTERPRETER_H

#include "dialects/tessera/IR/TesseraOps.h"
#include "dialects/tessera/Shapes/SymbolicShapes.h"

#include "llvm/ADT/DenseMap.h"

#include <functional>
#include <optional>
#include <vector>

namespace mlir::tessera {

/// A concrete tensor: row-major elements as doubles (integers and booleans
/// exactly, booleans as 0 / 1).
struct InterpretedTensor {
  SmallVector<int64_t> shape;
  std::vector<double> data;
};

int64_t countElements(ArrayRef<int64_t> shape);

class TensorInterpreter {
public:
  /// The concrete shape each value is evaluated at: the caller decides
  /// what the dynamic dims are.
  using ShapeFunction = std::function<SmallVector<int64_t>(Value)>;

  explicit TensorInterpreter(ShapeFunction concreteShape)
      : concreteShape_(std::move(concreteShape)) {}

  /// The named dims' values, for ops that name dims (an iota's start);
  /// without them such ops have no value.
  void setSymbolValues(const SymbolicShapes &shapes,
                       SmallVector<int64_t> values) {
    shapes_ = &shapes;
    symbolValues_ = std::move(values);
  }
  /// Evaluates `value` (a run-time input) as `tensor`.
  void seed(Value value, InterpretedTensor tensor) {
    cache_[value] = std::move(tensor);
  }
  /// `value`'s elements, or std::nullopt when it depends on something the
  /// interpreter cannot evaluate. Results are cached.
  std::optional<InterpretedTensor> evaluate(Value value);
  SmallVector<int64_t> concreteShape(Value value) const {
    return concreteShape_(value);
  }

private:
  std::optional<InterpretedTensor> compute(Value value);
  std::optional<InterpretedTensor> broadcastTo(const InterpretedTensor &t,
                                               ArrayRef<int64_t> shape);
  std::optional<InterpretedTensor> elementwise(Operation *op);
  std::optional<InterpretedTensor> constant(ConstantOp op);
  std::optional<InterpretedTensor> gather(GatherOp op);
  std::optional<InterpretedTensor> transpose(TransposeOp op);
  std::optional<InterpretedTensor> concat(ConcatOp op);

  ShapeFunction concreteShape_;
  const SymbolicShapes *shapes_ = nullptr;
  SmallVector<int64_t> symbolValues_;
  llvm::DenseMap<Value, InterpretedTensor> cache_;
};

} // namespace mlir::tessera

#endif // TESSERA_COMPILER_ANALYSIS_TENSORINTERPRETER_H

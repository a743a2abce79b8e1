//===- ScalarRules.h - Evaluating elementwise ops' scalar rules -*- C++ -*-===//
//
// What an elementwise op computes is written once, as its scalar rule
// (ScalarRuleOpInterface, ScalarRules.cpp). Kernels emit the rule; this
// evaluator runs it on constants for the folder and the tensor interpreter,
// by folding the arith and math ops the rule builds. Where those ops do not
// fold (integer division by zero, a float out of an integer's range, both
// undefined in ONNX), nothing is evaluated and the caller leaves the op to
// run time.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECT_SCALARRULES_H
#define TESSERA_DIALECT_SCALARRULES_H

#include "dialects/tessera/IR/TesseraOps.h"

#include <memory>

namespace mlir::tessera {

/// The type a scalar rule computes an `elementType` in: f16 is a storage
/// type, widened to f32 (on every device, and when folding); everything else
/// is itself.
Type getComputeElementType(Type elementType);

class ScalarRuleEvaluator {
public:
  /// The rule of `op` for operands of `op`'s operand element types, or null
  /// when `op` has no scalar rule.
  static std::unique_ptr<ScalarRuleEvaluator> build(Operation *op);
  ~ScalarRuleEvaluator();

  /// The result element (an IntegerAttr or FloatAttr of the result's element
  /// type) for one element per operand, each of its operand's element type;
  /// null where the rule does not fold. Computed as kernels compute it: f16
  /// in f32, rounded to f16 at the end.
  Attribute evaluate(ArrayRef<Attribute> operands) const;

private:
  ScalarRuleEvaluator() = default;

  std::unique_ptr<Block> body_; // the rule, on the block's arguments
  Value result_;
  Type resultElement_; // the op's, which result_'s compute type narrows to
};

/// `lhs predicate rhs` on two scalars of one compute type, as
/// `tessera.compare` defines it for floats and integers (its scalar rule;
/// kernels that compare elements themselves use it too).
Value buildComparison(OpBuilder &b, Location loc, ComparePredicate predicate,
                      Value lhs, Value rhs);

/// Scalar element attributes to and from doubles, exactly for integers,
/// booleans (0 / 1) and floats up to f32.
Attribute scalarAttr(Type elementType, double value);
double scalarValue(Attribute element);

} // namespace mlir::tessera

#endif // TESSERA_DIALECT_SCALARRULES_H

//===- EinsumOps.cpp - ONNX Einsum as transposes, sums and matmuls --------===//
//
// Einsum in every form numpy gives it (explicit and implicit results,
// ellipses, diagonals, any number of operands) built from tessera ops that
// exist already, so that the raise phase sees the matmuls it knows
// (attention scores written as `bhqd,bhkd->bhqk` raise like MatMul's).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OpConverters.h"

#include "dialects/tessera/IR/TesseraOps.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::onnx_frontend;

namespace {

/// An Einsum operand or result: one label per dim. Letters are their
/// character codes; the dims an ellipsis stands for are kEllipsisLabel + k,
/// numbered so that they align from the right across operands, as numpy
/// broadcasts them.
constexpr int kEllipsisLabel = 1000;

struct EinsumOperand {
  Value value;
  SmallVector<int> labels;
  SymbolicShape shape;
};

/// The labels of one term of an Einsum equation (spaces removed) for an
/// operand of `rank`, with `ellipsisRank` the most dims any ellipsis stands
/// for; std::nullopt with `error` set when the term does not fit.
std::optional<SmallVector<int>> parseEinsumTerm(StringRef term, int64_t rank,
                                                int64_t ellipsisRank,
                                                std::string &error) {
  // The letters, and where the ellipsis's dims go among them.
  SmallVector<int> labels;
  size_t ellipsis = term.find("...");
  std::optional<size_t> ellipsisAt;
  for (size_t i = 0; i < term.size(); ++i) {
    if (i == ellipsis) {
      ellipsisAt = labels.size();
      i += 2;
    } else if (llvm::isAlpha(term[i])) {
      labels.push_back(term[i]);
    } else {
      error = ("term '" + term + "' has '" + Twine(term[i]) +
               "', which is not a letter or an ellipsis")
                  .str();
      return std::nullopt;
    }
  }
  int64_t letters = labels.size();
  int64_t covered = rank < 0 ? ellipsisRank : rank - letters;
  if (ellipsisAt ? covered < 0 : rank >= 0 && covered != 0) {
    error = ("term '" + term + "' has " + Twine(letters) +
             " subscripts for a tensor of rank " + Twine(rank))
                .str();
    return std::nullopt;
  }
  if (ellipsisAt) {
    SmallVector<int> spanned;
    for (int64_t k = ellipsisRank - covered; k < ellipsisRank; ++k)
      spanned.push_back(kEllipsisLabel + static_cast<int>(k));
    labels.insert(labels.begin() + *ellipsisAt, spanned.begin(), spanned.end());
  }
  return labels;
}

std::string einsumLabelName(int label) {
  return label >= kEllipsisLabel ? "the ellipsis"
                                 : "'" + std::string(1, char(label)) + "'";
}

/// `operand` summed over the labels not in `keep`.
FailureOr<EinsumOperand> sumOutLabels(NodeContext &node, EinsumOperand operand,
                                      const llvm::SmallDenseSet<int> &keep) {
  SmallVector<int64_t> axes;
  EinsumOperand result;
  for (auto [d, label] : llvm::enumerate(operand.labels)) {
    if (keep.contains(label)) {
      result.labels.push_back(label);
      result.shape.push_back(operand.shape[d]);
    } else {
      axes.push_back(d);
    }
  }
  if (axes.empty())
    return operand;
  FailureOr<Value> sum =
      node.create<ReduceSumOp>(operand.value, axes, /*keepdims=*/false);
  if (failed(sum))
    return failure();
  result.value = *sum;
  return result;
}

/// `operand` with its dims in the order of `labels`.
FailureOr<EinsumOperand> permuteLabels(NodeContext &node,
                                       const EinsumOperand &operand,
                                       ArrayRef<int> labels) {
  if (llvm::equal(labels, operand.labels))
    return operand;
  EinsumOperand result{Value(), llvm::to_vector(labels), {}};
  SmallVector<int64_t> permutation;
  for (int label : labels) {
    int64_t d = llvm::find(operand.labels, label) - operand.labels.begin();
    permutation.push_back(d);
    result.shape.push_back(operand.shape[d]);
  }
  FailureOr<Value> y = node.create<TransposeOp>(operand.value, permutation);
  if (failed(y))
    return failure();
  result.value = *y;
  return result;
}

/// `operand`'s value as `shape`, without a reshape that changes nothing.
Value reshapeIfChanged(NodeContext &node, const EinsumOperand &operand,
                       ArrayRef<DimExpr> shape) {
  if (llvm::equal(operand.shape, shape))
    return operand.value;
  return createReshape(node, operand.value, shape);
}

/// The product of two operands summed over the labels they share that are
/// not in `keep`, as one batched matmul: `lhs` as [batch, M, K], `rhs` as
/// [batch, K, N], with M, K and N the products of the lhs-only, contracted
/// and rhs-only dims. The result's labels are batch, lhs-only, rhs-only.
FailureOr<EinsumOperand> contractPair(NodeContext &node,
                                      const EinsumOperand &lhs,
                                      const EinsumOperand &rhs,
                                      const llvm::SmallDenseSet<int> &keep) {
  SmallVector<int> batch, lhsOnly, contracted, rhsOnly;
  auto dimOf = [](const EinsumOperand &operand, int label) {
    return operand
        .shape[llvm::find(operand.labels, label) - operand.labels.begin()];
  };
  SymbolicShape batchShape;
  for (int label : lhs.labels) {
    if (!llvm::is_contained(rhs.labels, label)) {
      lhsOnly.push_back(label);
      continue;
    }
    DimExpr a = dimOf(lhs, label), b = dimOf(rhs, label);
    bool kept = keep.contains(label);
    if (a != b && (kept ? !isUnitDim(a) && !isUnitDim(b) : true))
      return node.emitError()
             << "has " << einsumLabelName(label) << " of size "
             << node.graph().shapes().format(a) << " in one operand and "
             << node.graph().shapes().format(b) << " in another";
    (kept ? batch : contracted).push_back(label);
    if (kept)
      batchShape.push_back(isUnitDim(a) ? b : a);
  }
  for (int label : rhs.labels)
    if (!llvm::is_contained(lhs.labels, label))
      rhsOnly.push_back(label);

  auto group = [&](const EinsumOperand &operand, ArrayRef<int> labels) {
    SmallVector<DimExpr> dims;
    for (int label : labels)
      dims.push_back(dimOf(operand, label));
    return SymbolicShapes::product(dims);
  };
  auto asMatrices = [&](const EinsumOperand &operand, ArrayRef<int> rows,
                        ArrayRef<int> columns) -> FailureOr<Value> {
    SmallVector<int> order(batch);
    llvm::append_range(order, rows);
    llvm::append_range(order, columns);
    FailureOr<EinsumOperand> permuted = permuteLabels(node, operand, order);
    if (failed(permuted))
      return failure();
    SymbolicShape shape;
    for (int label : batch)
      shape.push_back(dimOf(operand, label));
    shape.push_back(group(operand, rows));
    shape.push_back(group(operand, columns));
    return reshapeIfChanged(node, *permuted, shape);
  };
  FailureOr<Value> a = asMatrices(lhs, lhsOnly, contracted),
                   b = asMatrices(rhs, contracted, rhsOnly);
  if (failed(a) || failed(b))
    return failure();
  FailureOr<Value> product = node.create<MatmulOp>(*a, *b);
  if (failed(product))
    return failure();
  EinsumOperand result{Value(), batch, batchShape};
  for (int label : lhsOnly) {
    result.labels.push_back(label);
    result.shape.push_back(dimOf(lhs, label));
  }
  for (int label : rhsOnly) {
    result.labels.push_back(label);
    result.shape.push_back(dimOf(rhs, label));
  }
  SymbolicShape productShape(batchShape);
  productShape.push_back(group(lhs, lhsOnly));
  productShape.push_back(group(rhs, rhsOnly));
  result.value =
      reshapeIfChanged(node, {*product, {}, productShape}, result.shape);
  return result;
}

/// `operand` with a label that its term repeats (`ii`) taken once: its
/// diagonal, as the product with an identity indicator over the two dims
/// summed over the second.
FailureOr<EinsumOperand> takeDiagonal(NodeContext &node, EinsumOperand operand,
                                      int64_t first, int64_t second) {
  const DimExpr &size = operand.shape[first];
  if (operand.shape[second] != size)
    return node.emitError()
           << "takes the diagonal of " << einsumLabelName(operand.labels[first])
           << " over dims of sizes " << node.graph().shapes().format(size)
           << " and " << node.graph().shapes().format(operand.shape[second]);
  FailureOr<Value> offsets = createPositionOffsets(node, size, size);
  if (failed(offsets))
    return failure();
  FailureOr<Value> same = node.create<CompareOp>(
      ComparePredicate::EQ, *offsets,
      createScalar(node, node.builder().getI32Type(), 0));
  if (failed(same))
    return failure();
  auto valueType = cast<RankedTensorType>(operand.value.getType());
  Value identity = CastOp::create(
      node.builder(), node.loc(),
      cast<RankedTensorType>(same->getType()).clone(valueType.getElementType()),
      *same);
  SymbolicShape along(operand.shape.size(), DimExpr::constant(1));
  along[first] = along[second] = size;
  FailureOr<Value> masked =
      node.create<MulOp>(operand.value, createReshape(node, identity, along));
  if (failed(masked))
    return failure();
  FailureOr<Value> sum = node.create<ReduceSumOp>(
      *masked, SmallVector<int64_t>{second}, /*keepdims=*/false);
  if (failed(sum))
    return failure();
  operand.value = *sum;
  operand.labels.erase(operand.labels.begin() + second);
  operand.shape.erase(operand.shape.begin() + second);
  return operand;
}

/// Einsum as transposes, sums and batched matmuls: each operand is first
/// summed over the labels no other operand or the result has, then the
/// operands are multiplied left to right, each product summing the labels
/// no later operand or the result needs. A label repeated within one term
/// takes the diagonal first.
LogicalResult convertEinsum(NodeContext &node) {
  std::string equation;
  for (char c : node.stringAttr("equation", ""))
    if (c != ' ')
      equation.push_back(c);
  StringRef inputsText = StringRef(equation).split("->").first;
  bool explicitOutput = StringRef(equation).contains("->");
  SmallVector<StringRef> terms;
  inputsText.split(terms, ',');
  if (static_cast<int>(terms.size()) != node.numInputs())
    return node.emitError()
           << "has equation '" << equation << "' with " << terms.size()
           << " terms for " << node.numInputs() << " inputs";
  int64_t ellipsisRank = 0;
  for (auto [i, term] : llvm::enumerate(terms))
    if (term.contains("..."))
      ellipsisRank = std::max<int64_t>(
          ellipsisRank, node.rank(i) - (static_cast<int64_t>(term.size()) - 3));

  for (int i = 0; i < node.numInputs(); ++i)
    if (!isa<FloatType>(node.elementType(i)))
      return node.emitError()
             << "takes input " << i
             << " of integers or booleans; Tessera's Einsum multiplies and "
                "sums floats";
  SmallVector<EinsumOperand, 2> operands;
  std::string error;
  llvm::SmallDenseMap<int, int> uses;
  for (auto [i, term] : llvm::enumerate(terms)) {
    std::optional<SmallVector<int>> labels =
        parseEinsumTerm(term, node.rank(i), ellipsisRank, error);
    if (!labels)
      return node.emitError() << "has equation '" << equation << "': " << error;
    FailureOr<Value> value = node.input(i);
    if (failed(value))
      return failure();
    FailureOr<EinsumOperand> operand =
        EinsumOperand{*value, *labels, node.shape(i)};
    // A label repeated within the term is its diagonal.
    for (int64_t d = 0;
         succeeded(operand) && d < static_cast<int64_t>(operand->labels.size());
         ++d) {
      ArrayRef<int> labels = operand->labels;
      const int *repeat = llvm::find(labels.drop_front(d + 1), labels[d]);
      if (repeat == labels.end())
        continue;
      operand = takeDiagonal(node, *operand, d, repeat - labels.begin());
      --d; // the label may repeat again
    }
    if (failed(operand))
      return failure();
    for (int label : operand->labels)
      ++uses[label];
    operands.push_back(*operand);
  }

  SmallVector<int> outputLabels;
  if (explicitOutput) {
    std::optional<SmallVector<int>> labels =
        parseEinsumTerm(StringRef(equation).split("->").second, /*rank=*/-1,
                        ellipsisRank, error);
    if (!labels)
      return node.emitError() << "has equation '" << equation << "': " << error;
    outputLabels = *labels;
  } else {
    // numpy's implicit form: the ellipsis, then the labels used once in
    // alphabetical (character code) order.
    for (int k = 0; k < ellipsisRank; ++k)
      outputLabels.push_back(kEllipsisLabel + k);
    SmallVector<int> once;
    for (auto [label, count] : uses)
      if (count == 1 && label < kEllipsisLabel)
        once.push_back(label);
    llvm::sort(once);
    llvm::append_range(outputLabels, once);
  }
  llvm::SmallDenseSet<int> outputSet(outputLabels.begin(), outputLabels.end());
  for (int label : outputLabels)
    if (!uses.count(label))
      return node.emitError()
             << "has equation '" << equation << "' whose result names "
             << einsumLabelName(label) << ", which no input has";
  if (outputSet.size() != outputLabels.size())
    return node.emitError()
           << "has equation '" << equation << "' whose result repeats a label";

  // The labels of the result and of the operands in `others`.
  auto labelsOf = [&](auto others) {
    llvm::SmallDenseSet<int> labels(outputSet);
    for (size_t j : others)
      labels.insert(operands[j].labels.begin(), operands[j].labels.end());
    return labels;
  };
  size_t count = operands.size();
  FailureOr<EinsumOperand> result = failure();
  for (size_t i = 0; i < count; ++i) {
    // What no other operand and not the result has is summed first.
    auto others = llvm::make_filter_range(llvm::seq<size_t>(0, count),
                                          [&](size_t j) { return j != i; });
    FailureOr<EinsumOperand> operand =
        sumOutLabels(node, operands[i], labelsOf(others));
    if (failed(operand))
      return failure();
    result = i == 0 ? operand
                    : contractPair(node, *result, *operand,
                                   labelsOf(llvm::seq<size_t>(i + 1, count)));
    if (failed(result))
      return failure();
  }
  result = permuteLabels(node, *result, outputLabels);
  return node.setOutput(0, succeeded(result) ? FailureOr<Value>(result->value)
                                             : FailureOr<Value>(failure()));
}

} // namespace

void mlir::tessera::onnx_frontend::addEinsumConverters(ConverterTable &table) {
  table["Einsum"] = {convertEinsum, {1, 16}};
}

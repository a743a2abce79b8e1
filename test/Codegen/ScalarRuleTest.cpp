//===- ScalarRuleTest.cpp - Folding, interpreting, running agree ----------===//
//
// What an elementwise op computes is written once, as its scalar rule. This
// test holds the three users of that rule to it: for every op of the
// dialect that has one (found through the interface, so that a new op
// without a case here fails), on edge-case operands (negatives, zeros of
// both signs, NaN, infinities, the integer extremes), it
//   - folds the op on constant operands (the op's folder),
//   - evaluates it with the TensorInterpreter (as mask classification does),
//   - compiles it into a kernel and runs it on the default device,
// and compares. Folding and interpreting agree exactly, on the elements
// they evaluate and on the ones they leave to run time (integer division by
// zero, a float outside an integer's range: undefined in ONNX). The kernel
// agrees exactly on integers and booleans, and on floats within
// |got - want| <= 2e-6 * max(1, |want|) (the device's exp, tanh, erf, pow
// and inverse square root are not correctly rounded; a float remainder may
// also be off by 2^-22 |x|), NaN and the infinities exactly.
//
//===----------------------------------------------------------------------===//

#include "KernelTestFixture.h"

#include "compiler/Analysis/TensorInterpreter.h"
#include "dialects/tessera/IR/ScalarRules.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include "llvm/ADT/APFloat.h"

#include <limits>
#include <map>
#include <set>

using namespace tessera_test;

namespace {

constexpr double kDeviceTolerance = 2e-6;
// Devices compute a float remainder as x - y * trunc(x / y) (SPIR-V OpFRem
// as Mesa lowers it), not exactly as fmod: within two units in the last
// place of x when the quotient is large (100 mod 0.001).
constexpr double kRemainderUlps = 0x1p-22;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const std::vector<double> kFloats = {-kInf, -100, -3.5, -2,  -1, -0.5,
                                     -0.0,  0,    1e-3, 0.5, 1,  2,
                                     3.5,   100,  kInf, kNaN};
const std::vector<double> kInts = {-2147483648.0, -7, -3, -2, -1, 0, 1, 2, 3, 7,
                                   2147483647.0};
const std::vector<double> kBools = {0, 1};

/// One instance of an op: the text of its line (operands %a, %b, %c) and
/// its operand and result element types.
struct Variant {
  std::string op;
  std::vector<std::string> operandTypes;
  std::string resultType;
};

/// The variants each elementwise op is tested in, by op name. An op with a
/// scalar rule and no entry here fails the test.
std::map<std::string, std::vector<Variant>> variants() {
  std::map<std::string, std::vector<Variant>> table;
  auto binary = [&](const std::string &name, std::vector<std::string> types) {
    for (const std::string &t : types)
      table[name].push_back({"tessera." + name + " %a, %b", {t, t}, t});
  };
  auto unary = [&](const std::string &name, std::vector<std::string> types,
                   const std::string &attrs = "") {
    for (const std::string &t : types)
      table[name].push_back({"tessera." + name + " %a" + attrs, {t}, t});
  };
  for (const char *name : {"add", "sub", "mul", "div", "max", "min", "mod"})
    binary(name, {"f32", "i32"});
  binary("pow", {"f32"});
  binary("and", {"i1"});
  binary("or", {"i1"});
  for (const char *name : {"exp", "log", "tanh", "sin", "cos", "erf", "sqrt",
                           "rsqrt", "sigmoid", "relu", "swish"})
    unary(name, {"f32"});
  unary("swish", {"f32"}, " beta = 1.702");
  unary("gelu", {"f32"});
  unary("gelu", {"f32"}, " approximate = tanh");
  unary("neg", {"f32", "i32"});
  unary("abs", {"f32", "i32"});
  unary("not", {"i1"});
  for (const char *p : {"eq", "ne", "lt", "le", "gt", "ge"})
    for (const char *t : {"f32", "i32"})
      table["compare"].push_back(
          {std::string("tessera.compare ") + p + ", %a, %b", {t, t}, "i1"});
  for (const char *t : {"f32", "i32"})
    table["select"].push_back({"tessera.select %a, %b, %c", {"i1", t, t}, t});
  for (auto [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"f32", "i32"},
                                                        {"i32", "f32"},
                                                        {"f32", "i1"},
                                                        {"i1", "f32"},
                                                        {"i32", "i1"},
                                                        {"i1", "i32"},
                                                        {"f32", "f16"},
                                                        {"i32", "f16"}})
    table["cast"].push_back({"tessera.cast %a", {from}, to});
  return table;
}

const std::vector<double> &valuesOf(const std::string &type) {
  return type == "i1" ? kBools : type == "i32" ? kInts : kFloats;
}

/// Every combination of the operands' edge values: one row per element.
std::vector<std::vector<double>> combinations(const Variant &v) {
  std::vector<std::vector<double>> rows = {{}};
  for (const std::string &type : v.operandTypes) {
    std::vector<std::vector<double>> next;
    for (const std::vector<double> &row : rows)
      for (double x : valuesOf(type)) {
        next.push_back(row);
        next.back().push_back(x);
      }
    rows = std::move(next);
  }
  return rows;
}

bool isFloatRemainder(const Variant &v) {
  return v.op.rfind("tessera.mod", 0) == 0 && v.resultType == "f32";
}

/// An element as a test reads it: NaN equals NaN; -0 equals +0.
bool sameValue(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

std::string describe(const Variant &v, const std::vector<double> &args) {
  std::string text = v.op + " (" + v.resultType + ") on";
  for (double x : args)
    text += " " + std::to_string(x);
  return text;
}

class ScalarRuleTest : public KernelTest {
protected:
  /// `func @f(%a, %b, ...) { return <op> }` over tensors of `n` elements.
  static std::string functionText(const Variant &v, size_t n) {
    std::string text = "func.func @f(";
    std::string operandTypes;
    const char *names[] = {"a", "b", "c"};
    for (size_t i = 0; i < v.operandTypes.size(); ++i) {
      std::string t = type({int64_t(n)}, v.operandTypes[i].c_str());
      text += std::string(i ? ", " : "") + "%" + names[i] + ": " + t +
              " {tessera.name = \"" + names[i] + "\"}";
      operandTypes += (i ? ", " : "") + t;
    }
    std::string result = type({int64_t(n)}, v.resultType.c_str());
    std::string op = v.op + " : ";
    // Unary ops print one type; casts print both; the others a function
    // type.
    if (v.op.rfind("tessera.cast", 0) == 0)
      op += operandTypes + " -> " + result;
    else if (v.operandTypes.size() == 1)
      op += result;
    else
      op += "(" + operandTypes + ") -> " + result;
    return text + ") -> " + result + " {\n  %0 = " + op +
           "\n  return %0 : " + result + "\n}\n";
  }

  static Operation *theOp(ModuleOp module) {
    auto f = cast<func::FuncOp>(module.getBody()->front());
    return &f.getBody().front().front();
  }

  /// The op's folder on one element per operand (as splats); nullopt when
  /// it does not fold.
  static std::optional<double> fold(Operation *op, ArrayRef<double> args) {
    SmallVector<Attribute> operands;
    for (auto [operand, x] : llvm::zip_equal(op->getOperands(), args)) {
      auto type = cast<RankedTensorType>(operand.getType());
      operands.push_back(
          DenseElementsAttr::get(type, scalarAttr(type.getElementType(), x)));
    }
    SmallVector<OpFoldResult> results;
    if (failed(op->fold(operands, results)) || results.size() != 1)
      return std::nullopt;
    Attribute folded;
    if (auto value = dyn_cast<Value>(results[0])) {
      // An identity (x + 0 is x): the operand it returns.
      for (auto [i, operand] : llvm::enumerate(op->getOperands()))
        if (operand == value)
          folded = operands[i];
    } else {
      folded = cast<Attribute>(results[0]);
    }
    auto dense = dyn_cast_or_null<DenseElementsAttr>(folded);
    if (!dense || !dense.isSplat())
      return std::nullopt;
    return scalarValue(dense.getSplatValue<Attribute>());
  }

  /// The TensorInterpreter on one element per operand.
  static std::optional<double> interpret(Operation *op, ArrayRef<double> args) {
    TensorInterpreter interpreter(
        [](Value) { return SmallVector<int64_t>{1}; });
    for (auto [operand, x] : llvm::zip_equal(op->getOperands(), args))
      interpreter.seed(operand, InterpretedTensor{{1}, {x}});
    std::optional<InterpretedTensor> result =
        interpreter.evaluate(op->getResult(0));
    if (!result)
      return std::nullopt;
    return result->data.at(0);
  }

  /// Compiles the op over all rows and runs it; the result elements.
  std::vector<double>
  runOnDevice(const Variant &v, const std::vector<std::vector<double>> &rows) {
    tessera_program program = compile(functionText(v, rows.size()));
    if (!program)
      return {};
    std::vector<Tensor> inputs;
    const char *names[] = {"a", "b", "c"};
    for (size_t i = 0; i < v.operandTypes.size(); ++i) {
      Tensor &t = inputs.emplace_back();
      t.name = names[i];
      t.shape = {int64_t(rows.size())};
      for (const std::vector<double> &row : rows) {
        if (v.operandTypes[i] == "f32")
          t.values.push_back(float(row[i]));
        else if (v.operandTypes[i] == "i32")
          t.ints.push_back(int32_t(row[i]));
        else
          t.flags.push_back(row[i] != 0);
      }
    }
    std::vector<double> results = runValues(program, inputs);
    tessera_program_destroy(program);
    return results;
  }
};

TEST_F(ScalarRuleTest, EveryElementwiseOpFoldsInterpretsAndRunsAlike) {
  MLIRContext context;
  context.loadDialect<TesseraDialect, func::FuncDialect>();
  std::map<std::string, std::vector<Variant>> table = variants();

  std::set<std::string> tested;
  for (RegisteredOperationName name : context.getRegisteredOperations()) {
    if (name.getDialectNamespace() != "tessera" ||
        !name.hasInterface<ScalarRuleOpInterface>())
      continue;
    std::string opName = name.stripDialect().str();
    auto it = table.find(opName);
    ASSERT_NE(it, table.end())
        << "tessera." << opName << " has a scalar rule but no case in "
        << "ScalarRuleTest.cpp: add its variants to variants()";
    tested.insert(opName);

    for (const Variant &v : it->second) {
      SCOPED_TRACE(v.op + " -> " + v.resultType);
      std::vector<std::vector<double>> rows = combinations(v);
      OwningOpRef<ModuleOp> module =
          parseSourceString<ModuleOp>(functionText(v, rows.size()), &context);
      ASSERT_TRUE(module) << functionText(v, rows.size());
      Operation *op = theOp(*module);

      std::vector<double> device = runOnDevice(v, rows);
      ASSERT_EQ(device.size(), rows.size());
      int folded = 0;
      for (size_t i = 0; i < rows.size(); ++i) {
        std::optional<double> byFold = fold(op, rows[i]);
        std::optional<double> byInterpreter = interpret(op, rows[i]);
        ASSERT_EQ(byFold.has_value(), byInterpreter.has_value())
            << describe(v, rows[i]) << ": only one of folding and "
            << "interpretation evaluates it";
        if (!byFold)
          continue; // left to run time
        ++folded;
        ASSERT_TRUE(sameValue(*byFold, *byInterpreter))
            << describe(v, rows[i]) << ": folds to " << *byFold
            << ", interprets to " << *byInterpreter;
        double want = *byFold, got = device[i];
        double allowed = kDeviceTolerance * std::max(1.0, std::abs(want));
        if (isFloatRemainder(v))
          allowed = std::max(allowed, kRemainderUlps * std::abs(rows[i][0]));
        bool close = sameValue(got, want) ||
                     (std::isfinite(want) && std::isfinite(got) &&
                      std::abs(got - want) <= allowed);
        EXPECT_TRUE(close) << describe(v, rows[i]) << ": folds to " << want
                           << ", the kernel computes " << got;
      }
      // Only undefined elements may be left to run time.
      EXPECT_GT(folded, int(rows.size()) / 2);
    }
  }
  for (const auto &[name, unused] : table)
    EXPECT_TRUE(tested.count(name))
        << "tessera." << name << " has a case but no scalar rule";
}

/// f16 is computed in f32 and rounded to f16 at the end, by kernels and
/// so by folding too: an f16 op folds to its f32 fold, rounded. (Math ops'
/// own folders have no f16 case; an f16 export's scale sqrt(64) or
/// pow(64, 0.5) must still fold.)
TEST_F(ScalarRuleTest, HalfFoldsAsItsFloatFoldRounded) {
  MLIRContext context;
  context.loadDialect<TesseraDialect, func::FuncDialect>();
  auto toHalf = [](double x) {
    llvm::APFloat value(x);
    bool lost;
    value.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven,
                  &lost);
    return value.convertToDouble();
  };
  std::vector<Variant> cases;
  for (const char *name :
       {"exp", "log", "tanh", "erf", "sqrt", "rsqrt", "sigmoid"})
    cases.push_back({std::string("tessera.") + name + " %a", {"f32"}, "f32"});
  for (const char *name : {"add", "mul", "div", "pow"})
    cases.push_back(
        {std::string("tessera.") + name + " %a, %b", {"f32", "f32"}, "f32"});
  for (const Variant &wide : cases) {
    Variant half = wide;
    half.operandTypes.assign(wide.operandTypes.size(), "f16");
    half.resultType = "f16";
    SCOPED_TRACE(half.op);
    OwningOpRef<ModuleOp> f32Module =
        parseSourceString<ModuleOp>(functionText(wide, 1), &context);
    OwningOpRef<ModuleOp> f16Module =
        parseSourceString<ModuleOp>(functionText(half, 1), &context);
    ASSERT_TRUE(f32Module && f16Module);
    for (const std::vector<double> &row : combinations(wide)) {
      std::vector<double> args;
      for (double x : row)
        args.push_back(toHalf(x)); // operands an f16 tensor can hold
      std::optional<double> byF32 = fold(theOp(*f32Module), args);
      std::optional<double> byF16 = fold(theOp(*f16Module), args);
      ASSERT_EQ(byF32.has_value(), byF16.has_value()) << describe(half, args);
      if (byF32) {
        EXPECT_TRUE(sameValue(*byF16, toHalf(*byF32)))
            << describe(half, args) << ": folds to " << *byF16 << ", not "
            << toHalf(*byF32);
      }
    }
  }
}

} // namespace

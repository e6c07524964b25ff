#include "engine/expr.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

namespace syllo::engine {
namespace {

Expr Bin(ExprOp op, Expr a, Expr b) {
  Expr e;
  e.op = op;
  e.args = {std::move(a), std::move(b)};
  return e;
}

Expr CallOf(const char* name, std::vector<Expr> args) {
  Expr e;
  e.op = ExprOp::kCall;
  EXPECT_TRUE(FindBuiltinFn(name, &e.fn)) << name;
  e.args = std::move(args);
  return e;
}

TEST(Evaluate, IntArithmeticStaysIntAndMixedBecomesFloat) {
  std::vector<Value> frame{Value::Int(7), Value::Float(2.0)};
  EXPECT_EQ(Evaluate(Bin(ExprOp::kDiv, Expr::Var(0), Expr::Const(Value::Int(2))), frame), Value::Int(3));
  EXPECT_EQ(Evaluate(Bin(ExprOp::kDiv, Expr::Var(0), Expr::Var(1)), frame), Value::Float(3.5));
  EXPECT_EQ(Evaluate(Bin(ExprOp::kMod, Expr::Var(0), Expr::Const(Value::Int(4))), frame), Value::Int(3));
}

TEST(Evaluate, FailuresAreValuesNotCrashes) {
  std::vector<Value> frame{Value::Int(std::numeric_limits<std::int64_t>::max()), Value::MakeSymbol("a")};
  EXPECT_FALSE(Evaluate(Bin(ExprOp::kDiv, Expr::Var(0), Expr::Const(Value::Int(0))), frame));
  EXPECT_FALSE(Evaluate(Bin(ExprOp::kAdd, Expr::Var(0), Expr::Const(Value::Int(1))), frame));  // overflow
  EXPECT_FALSE(Evaluate(Bin(ExprOp::kAdd, Expr::Var(1), Expr::Const(Value::Int(1))), frame));  // symbol + int
  EXPECT_FALSE(Evaluate(CallOf("sqrt", {Expr::Const(Value::Int(-1))}), frame));
  EXPECT_FALSE(Evaluate(CallOf("to_int", {Expr::Const(Value::MakeString("12x"))}), frame));
}

TEST(Evaluate, TextBuiltins) {
  std::vector<Value> frame;
  EXPECT_EQ(Evaluate(CallOf("concat", {Expr::Const(Value::MakeSymbol("ab")), Expr::Const(Value::Int(3))}), frame),
            Value::MakeString("ab3"));
  EXPECT_EQ(Evaluate(CallOf("strlen", {Expr::Const(Value::MakeString("h\xc3\xa9llo"))}), frame), Value::Int(5));
  EXPECT_EQ(Evaluate(CallOf("substr", {Expr::Const(Value::MakeString("h\xc3\xa9llo")), Expr::Const(Value::Int(1)),
                                       Expr::Const(Value::Int(2))}),
                     frame),
            Value::MakeString("\xc3\xa9l"));
  EXPECT_EQ(Evaluate(CallOf("upper", {Expr::Const(Value::MakeString("aBc"))}), frame), Value::MakeString("ABC"));
  EXPECT_EQ(Evaluate(CallOf("to_symbol", {Expr::Const(Value::MakeString("x"))}), frame), Value::MakeSymbol("x"));
  EXPECT_EQ(Evaluate(CallOf("max", {Expr::Const(Value::Int(2)), Expr::Const(Value::Float(1.5))}), frame),
            Value::Float(2.0));
  EXPECT_EQ(Evaluate(CallOf("round", {Expr::Const(Value::Float(2.5))}), frame), Value::Int(3));
}

TEST(Compare, NumbersByValueTextsByContent) {
  EXPECT_TRUE(Compare(CmpOp::kEq, Value::Int(1), Value::Float(1.0)));
  EXPECT_TRUE(Compare(CmpOp::kLt, Value::Int(1), Value::Float(1.5)));
  EXPECT_TRUE(Compare(CmpOp::kLt, Value::MakeString("abc"), Value::MakeString("abd")));
  EXPECT_FALSE(Compare(CmpOp::kEq, Value::MakeSymbol("a"), Value::MakeString("a")));
  EXPECT_TRUE(Compare(CmpOp::kNe, Value::MakeSymbol("a"), Value::Int(1)));
  EXPECT_FALSE(Compare(CmpOp::kLt, Value::MakeSymbol("a"), Value::Int(1)));
}

}  // namespace
}  // namespace syllo::engine

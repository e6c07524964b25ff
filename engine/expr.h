// Expressions as the engine evaluates them: a small tree over variable slots,
// lowered from the AST. Evaluation never throws on bad data: a type error, a
// division by zero or an out-of-range conversion makes the expression fail
// (std::nullopt), and the literal using it does not match, as in CLIPS tests
// and Prolog arithmetic guards.
//
// Thread safety: Expr is immutable after lowering; Evaluate is reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/value.h"

namespace syllo::engine {

using VarSlot = std::uint16_t;
inline constexpr VarSlot kNoSlot = 0xFFFF;

enum class ExprOp : std::uint8_t { kConst, kVar, kNeg, kAdd, kSub, kMul, kDiv, kMod, kCall };

enum class BuiltinFn : std::uint8_t {
  kAbs, kMin, kMax, kFloor, kCeil, kRound, kSqrt, kPow, kLog, kExp,
  kToInt, kToFloat, kToString, kToSymbol, kConcat, kStrlen, kUpper, kLower, kSubstr,
};

// Maps a built-in function name to its id; false if there is none.
bool FindBuiltinFn(std::string_view name, BuiltinFn* out);
std::string_view BuiltinFnName(BuiltinFn fn);

struct Expr {
  ExprOp op = ExprOp::kConst;
  Value constant;           // kConst
  VarSlot slot = kNoSlot;   // kVar
  BuiltinFn fn = BuiltinFn::kAbs;  // kCall
  std::vector<Expr> args;   // operands

  static Expr Const(Value v) { Expr e; e.op = ExprOp::kConst; e.constant = v; return e; }
  static Expr Var(VarSlot s) { Expr e; e.op = ExprOp::kVar; e.slot = s; return e; }
};

// Evaluates over `frame` (one Value per slot). REQUIRES: every slot the
// expression reads is bound in the frame (the checker's safety analysis).
std::optional<Value> Evaluate(const Expr& e, std::span<const Value> frame);

enum class CmpOp : std::uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

// Numbers compare by value (1 = 1.0); texts by content for ordering; other
// kinds only by identity for = and !=. Ordering across kinds does not hold.
bool Compare(CmpOp op, const Value& a, const Value& b);

namespace detail {
template <typename T>
inline bool Ordered(CmpOp op, T x, T y) {
  switch (op) {
    case CmpOp::kEq: return x == y;
    case CmpOp::kNe: return x != y;
    case CmpOp::kLt: return x < y;
    case CmpOp::kLe: return x <= y;
    case CmpOp::kGt: return x > y;
    case CmpOp::kGe: return x >= y;
  }
  return false;
}
}  // namespace detail

// Compare, with its commonest cases (two ints, two floats that are not NaN)
// inline: the tests of a rule run for every fact that reaches them.
inline bool CompareQuick(CmpOp op, const Value& a, const Value& b) {
  if (a.kind() == b.kind()) {
    if (a.kind() == ValueKind::kInt) return detail::Ordered(op, a.as_int(), b.as_int());
    if (a.kind() == ValueKind::kFloat) {
      if (a.as_float() == a.as_float() && b.as_float() == b.as_float()) {
        return detail::Ordered(op, a.as_float(), b.as_float());
      }
    } else if (op == CmpOp::kEq || op == CmpOp::kNe) {
      return (a == b) == (op == CmpOp::kEq);  // symbols, strings, bools: identity
    }
  }
  return Compare(op, a, b);
}

}  // namespace syllo::engine

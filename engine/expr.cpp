#include "engine/expr.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

namespace syllo::engine {

namespace {

constexpr std::array<std::pair<std::string_view, BuiltinFn>, 19> kBuiltinNames{{
    {"abs", BuiltinFn::kAbs},       {"min", BuiltinFn::kMin},           {"max", BuiltinFn::kMax},
    {"floor", BuiltinFn::kFloor},   {"ceil", BuiltinFn::kCeil},         {"round", BuiltinFn::kRound},
    {"sqrt", BuiltinFn::kSqrt},     {"pow", BuiltinFn::kPow},           {"log", BuiltinFn::kLog},
    {"exp", BuiltinFn::kExp},       {"to_int", BuiltinFn::kToInt},      {"to_float", BuiltinFn::kToFloat},
    {"to_string", BuiltinFn::kToString}, {"to_symbol", BuiltinFn::kToSymbol}, {"concat", BuiltinFn::kConcat},
    {"strlen", BuiltinFn::kStrlen}, {"upper", BuiltinFn::kUpper},       {"lower", BuiltinFn::kLower},
    {"substr", BuiltinFn::kSubstr},
}};

bool IsText(const Value& v) { return v.kind() == ValueKind::kString || v.kind() == ValueKind::kSymbol; }

// A double that is a valid int64 after rounding, or nullopt.
std::optional<Value> IntFromDouble(double d) {
  if (!std::isfinite(d) || d < -9.2233720368547758e18 || d >= 9.2233720368547758e18) return std::nullopt;
  return Value::Int(static_cast<std::int64_t>(d));
}

// Inlined into Evaluate: a rule's arithmetic is a few of these, and the call
// cost as much as the operation.
[[gnu::always_inline]] inline std::optional<Value> Arith(ExprOp op, const Value& a, const Value& b) {
  if (!a.is_number() || !b.is_number()) return std::nullopt;
  if (a.kind() == ValueKind::kInt && b.kind() == ValueKind::kInt) {
    std::int64_t x = a.as_int(), y = b.as_int(), r = 0;
    switch (op) {
      case ExprOp::kAdd: if (__builtin_add_overflow(x, y, &r)) return std::nullopt; return Value::Int(r);
      case ExprOp::kSub: if (__builtin_sub_overflow(x, y, &r)) return std::nullopt; return Value::Int(r);
      case ExprOp::kMul: if (__builtin_mul_overflow(x, y, &r)) return std::nullopt; return Value::Int(r);
      case ExprOp::kDiv:
        if (y == 0 || (x == std::numeric_limits<std::int64_t>::min() && y == -1)) return std::nullopt;
        return Value::Int(x / y);
      case ExprOp::kMod:
        if (y == 0 || (x == std::numeric_limits<std::int64_t>::min() && y == -1)) return std::nullopt;
        return Value::Int(x % y);
      default: return std::nullopt;
    }
  }
  double x = a.as_number(), y = b.as_number();
  switch (op) {
    case ExprOp::kAdd: return Value::Float(x + y);
    case ExprOp::kSub: return Value::Float(x - y);
    case ExprOp::kMul: return Value::Float(x * y);
    case ExprOp::kDiv: if (y == 0.0) return std::nullopt; return Value::Float(x / y);
    case ExprOp::kMod: if (y == 0.0) return std::nullopt; return Value::Float(std::fmod(x, y));
    default: return std::nullopt;
  }
}

// The value of a constant or a variable operand; null for anything computed.
const Value* Leaf(const Expr& e, std::span<const Value> frame) {
  if (e.op == ExprOp::kConst) return &e.constant;
  if (e.op == ExprOp::kVar) return &frame[e.slot];
  return nullptr;
}

std::string TextOf(const Value& v) {
  if (IsText(v)) return std::string(v.text());
  return v.ToString();
}

// Code-point length of UTF-8 text (invalid bytes count one each).
std::int64_t Utf8Length(std::string_view s) {
  std::int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Byte offset of code point `cp` in s (s.size() if past the end).
std::size_t Utf8Offset(std::string_view s, std::int64_t cp) {
  std::size_t i = 0;
  while (i < s.size() && cp > 0) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    --cp;
  }
  return i;
}

std::optional<Value> Call(BuiltinFn fn, std::span<const Value> a) {
  auto numeric = [&] { return std::all_of(a.begin(), a.end(), [](const Value& v) { return v.is_number(); }); };
  switch (fn) {
    case BuiltinFn::kAbs:
      if (!numeric()) return std::nullopt;
      if (a[0].kind() == ValueKind::kInt) {
        if (a[0].as_int() == std::numeric_limits<std::int64_t>::min()) return std::nullopt;
        return Value::Int(a[0].as_int() < 0 ? -a[0].as_int() : a[0].as_int());
      }
      return Value::Float(std::fabs(a[0].as_float()));
    case BuiltinFn::kMin:
    case BuiltinFn::kMax: {
      if (a.empty() || !numeric()) return std::nullopt;
      Value best = a[0];
      bool all_int = best.kind() == ValueKind::kInt;
      for (std::size_t i = 1; i < a.size(); ++i) {
        all_int = all_int && a[i].kind() == ValueKind::kInt;
        int c = CompareValues(a[i], best);
        if ((fn == BuiltinFn::kMin && c < 0) || (fn == BuiltinFn::kMax && c > 0)) best = a[i];
      }
      if (!all_int && best.kind() == ValueKind::kInt) return Value::Float(best.as_number());
      return best;
    }
    case BuiltinFn::kFloor: if (!numeric()) return std::nullopt; return IntFromDouble(std::floor(a[0].as_number()));
    case BuiltinFn::kCeil: if (!numeric()) return std::nullopt; return IntFromDouble(std::ceil(a[0].as_number()));
    case BuiltinFn::kRound: if (!numeric()) return std::nullopt; return IntFromDouble(std::round(a[0].as_number()));
    case BuiltinFn::kSqrt:
      if (!numeric() || a[0].as_number() < 0) return std::nullopt;
      return Value::Float(std::sqrt(a[0].as_number()));
    case BuiltinFn::kPow: {
      if (!numeric()) return std::nullopt;
      double r = std::pow(a[0].as_number(), a[1].as_number());
      if (!std::isfinite(r)) return std::nullopt;
      return Value::Float(r);
    }
    case BuiltinFn::kLog:
      if (!numeric() || a[0].as_number() <= 0) return std::nullopt;
      return Value::Float(std::log(a[0].as_number()));
    case BuiltinFn::kExp: {
      if (!numeric()) return std::nullopt;
      double r = std::exp(a[0].as_number());
      if (!std::isfinite(r)) return std::nullopt;
      return Value::Float(r);
    }
    case BuiltinFn::kToInt: {
      if (a[0].kind() == ValueKind::kInt) return a[0];
      if (a[0].kind() == ValueKind::kFloat) return IntFromDouble(std::trunc(a[0].as_float()));
      if (!IsText(a[0])) return std::nullopt;
      std::string_view t = a[0].text();
      std::int64_t v = 0;
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (ec != std::errc() || p != t.data() + t.size()) return std::nullopt;
      return Value::Int(v);
    }
    case BuiltinFn::kToFloat: {
      if (a[0].is_number()) return Value::Float(a[0].as_number());
      if (!IsText(a[0])) return std::nullopt;
      std::string t(a[0].text());
      char* end = nullptr;
      double v = std::strtod(t.c_str(), &end);
      if (t.empty() || end != t.c_str() + t.size()) return std::nullopt;
      return Value::Float(v);
    }
    case BuiltinFn::kToString: return Value::MakeString(TextOf(a[0]));
    case BuiltinFn::kToSymbol:
      if (!IsText(a[0])) return std::nullopt;
      return Value::MakeSymbol(a[0].text());
    case BuiltinFn::kConcat: {
      std::string s;
      for (const Value& v : a) s += TextOf(v);
      return Value::MakeString(s);
    }
    case BuiltinFn::kStrlen:
      if (!IsText(a[0])) return std::nullopt;
      return Value::Int(Utf8Length(a[0].text()));
    case BuiltinFn::kUpper:
    case BuiltinFn::kLower: {
      if (!IsText(a[0])) return std::nullopt;
      std::string s(a[0].text());
      for (char& c : s) {
        if (c >= 'a' && c <= 'z' && fn == BuiltinFn::kUpper) c = static_cast<char>(c - 'a' + 'A');
        if (c >= 'A' && c <= 'Z' && fn == BuiltinFn::kLower) c = static_cast<char>(c - 'A' + 'a');
      }
      return Value::MakeString(s);
    }
    case BuiltinFn::kSubstr: {
      if (!IsText(a[0]) || a[1].kind() != ValueKind::kInt || a[2].kind() != ValueKind::kInt) return std::nullopt;
      std::int64_t start = a[1].as_int(), len = a[2].as_int();
      if (start < 0 || len < 0) return std::nullopt;
      std::string_view s = a[0].text();
      std::size_t from = Utf8Offset(s, start);
      std::size_t to = Utf8Offset(s, start + len);
      return Value::MakeString(s.substr(from, to - from));
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view BuiltinFnName(BuiltinFn fn) {
  for (const auto& [name, id] : kBuiltinNames) {
    if (id == fn) return name;
  }
  return "?";
}

bool FindBuiltinFn(std::string_view name, BuiltinFn* out) {
  for (const auto& [n, fn] : kBuiltinNames) {
    if (n == name) {
      *out = fn;
      return true;
    }
  }
  return false;
}

std::optional<Value> Evaluate(const Expr& e, std::span<const Value> frame) {
  switch (e.op) {
    case ExprOp::kConst: return e.constant;
    case ExprOp::kVar: return frame[e.slot];
    case ExprOp::kNeg: {
      auto v = Evaluate(e.args[0], frame);
      if (!v || !v->is_number()) return std::nullopt;
      if (v->kind() == ValueKind::kInt) {
        if (v->as_int() == std::numeric_limits<std::int64_t>::min()) return std::nullopt;
        return Value::Int(-v->as_int());
      }
      return Value::Float(-v->as_float());
    }
    case ExprOp::kAdd:
    case ExprOp::kSub:
    case ExprOp::kMul:
    case ExprOp::kDiv:
    case ExprOp::kMod: {
      // Operands are mostly variables and constants (`N + 1`): read them in place.
      std::optional<Value> a, b;
      const Value* x = Leaf(e.args[0], frame);
      if (x == nullptr) {
        if (!(a = Evaluate(e.args[0], frame))) return std::nullopt;
        x = &*a;
      }
      const Value* y = Leaf(e.args[1], frame);
      if (y == nullptr) {
        if (!(b = Evaluate(e.args[1], frame))) return std::nullopt;
        y = &*b;
      }
      return Arith(e.op, *x, *y);
    }
    case ExprOp::kCall: {
      if (e.fn == BuiltinFn::kToFloat && e.args.size() == 1) {
        // to_float(N), the commonest call (integer columns into float
        // arithmetic): no argument array, no dispatch.
        std::optional<Value> a;
        const Value* x = Leaf(e.args[0], frame);
        if (x == nullptr) {
          if (!(a = Evaluate(e.args[0], frame))) return std::nullopt;
          x = &*a;
        }
        if (x->kind() == ValueKind::kInt) return Value::Float(static_cast<double>(x->as_int()));
        if (x->kind() == ValueKind::kFloat) return *x;
        return Call(e.fn, {x, 1});
      }
      // Built-ins take few arguments; avoid allocation for the common case.
      std::array<Value, 4> small;
      std::vector<Value> large;
      std::span<Value> args;
      if (e.args.size() <= small.size()) {
        args = std::span<Value>(small.data(), e.args.size());
      } else {
        large.resize(e.args.size());
        args = large;
      }
      for (std::size_t i = 0; i < e.args.size(); ++i) {
        auto v = Evaluate(e.args[i], frame);
        if (!v) return std::nullopt;
        args[i] = *v;
      }
      return Call(e.fn, args);
    }
  }
  return std::nullopt;
}

bool Compare(CmpOp op, const Value& a, const Value& b) {
  // Two ints or two floats, the tests of most rules, compare directly.
  if (a.kind() == b.kind()) {
    if (a.kind() == ValueKind::kInt) return detail::Ordered(op, a.as_int(), b.as_int());
    if (a.kind() == ValueKind::kFloat && !std::isnan(a.as_float()) && !std::isnan(b.as_float())) {
      return detail::Ordered(op, a.as_float(), b.as_float());
    }
  }
  if (a.is_number() && b.is_number()) {
    int c = CompareValues(a, b);
    switch (op) {
      case CmpOp::kEq: return c == 0;
      case CmpOp::kNe: return c != 0;
      case CmpOp::kLt: return c < 0;
      case CmpOp::kLe: return c <= 0;
      case CmpOp::kGt: return c > 0;
      case CmpOp::kGe: return c >= 0;
    }
  }
  if (op == CmpOp::kEq) return a == b;
  if (op == CmpOp::kNe) return a != b;
  if (IsText(a) && IsText(b)) {
    int c = a.text().compare(b.text());
    switch (op) {
      case CmpOp::kLt: return c < 0;
      case CmpOp::kLe: return c <= 0;
      case CmpOp::kGt: return c > 0;
      case CmpOp::kGe: return c >= 0;
      default: break;
    }
  }
  return false;
}

}  // namespace syllo::engine

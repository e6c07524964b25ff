#include "rules/check_types.h"

namespace syllo::rules {

Type Type::FromColumn(const engine::ColumnType& column) {
  using engine::ValueKind;
  switch (column.kind) {
    case ValueKind::kInt: return Of(TypeKind::kInt);
    case ValueKind::kFloat: return Of(TypeKind::kFloat);
    case ValueKind::kBool: return Of(TypeKind::kBool);
    case ValueKind::kSymbol: return Of(TypeKind::kSymbol);
    case ValueKind::kString: return Of(TypeKind::kString);
    case ValueKind::kTensor: return Type{TypeKind::kTensor, &column.shape};
    case ValueKind::kFact: return Of(TypeKind::kFact);
    case ValueKind::kNone: break;
  }
  return Of(TypeKind::kUnknown);
}

Type Type::FromBuiltin(BuiltinType t) {
  switch (t) {
    case BuiltinType::kNumber: return Of(TypeKind::kNumber);
    case BuiltinType::kInt: return Of(TypeKind::kInt);
    case BuiltinType::kFloat: return Of(TypeKind::kFloat);
    case BuiltinType::kText: return Of(TypeKind::kText);
    case BuiltinType::kString: return Of(TypeKind::kString);
    case BuiltinType::kSymbol: return Of(TypeKind::kSymbol);
    case BuiltinType::kBool: return Of(TypeKind::kBool);
    case BuiltinType::kAny:
    case BuiltinType::kSameAsArgs: break;  // decided by the caller
  }
  return Of(TypeKind::kUnknown);
}

std::string TypeName(Type t) {
  switch (t.kind) {
    case TypeKind::kUnknown: return "unknown";
    case TypeKind::kInt: return "int";
    case TypeKind::kFloat: return "float";
    case TypeKind::kNumber: return "number";
    case TypeKind::kBool: return "bool";
    case TypeKind::kSymbol: return "symbol";
    case TypeKind::kString: return "string";
    case TypeKind::kText: return "text";
    case TypeKind::kFact: return "fact";
    case TypeKind::kTensor:
      return t.shape ? engine::ColumnType::Tensor(*t.shape).ToString() : std::string("tensor");
  }
  return "unknown";
}

bool Compatible(Type a, Type b) {
  if (!a.known() || !b.known()) return true;
  if (a.numeric() && b.numeric()) return true;
  // A text of unknown kind meets either kind of text; a symbol never equals a
  // string, so those two are kept apart.
  if (a.kind == TypeKind::kText && b.text()) return true;
  if (b.kind == TypeKind::kText && a.text()) return true;
  if (a.kind != b.kind) return false;
  if (a.kind == TypeKind::kTensor && a.shape && b.shape) return *a.shape == *b.shape;
  return true;
}

bool BuiltinAccepts(BuiltinType param, Type t) {
  if (!t.known()) return true;
  switch (param) {
    case BuiltinType::kNumber:
    case BuiltinType::kFloat:
    case BuiltinType::kSameAsArgs: return t.numeric();
    case BuiltinType::kInt: return t.kind == TypeKind::kInt || t.kind == TypeKind::kNumber;
    case BuiltinType::kText: return t.text();
    case BuiltinType::kString: return t.kind == TypeKind::kString || t.kind == TypeKind::kText;
    case BuiltinType::kSymbol: return t.kind == TypeKind::kSymbol || t.kind == TypeKind::kText;
    case BuiltinType::kBool: return t.kind == TypeKind::kBool;
    case BuiltinType::kAny: return true;
  }
  return true;
}

std::string BuiltinTypeName(BuiltinType t) {
  switch (t) {
    case BuiltinType::kNumber:
    case BuiltinType::kSameAsArgs: return "a number";
    case BuiltinType::kInt: return "an int";
    case BuiltinType::kFloat: return "a float";
    case BuiltinType::kText: return "a string or symbol";
    case BuiltinType::kString: return "a string";
    case BuiltinType::kSymbol: return "a symbol";
    case BuiltinType::kBool: return "a bool";
    case BuiltinType::kAny: return "any value";
  }
  return "any value";
}

static bool IsNegatedNumber(const Expr& e) {
  return e.kind == ExprKind::kUnary && e.name == "-" && e.args.size() == 1 &&
         (e.args[0].kind == ExprKind::kInt || e.args[0].kind == ExprKind::kFloat);
}

bool IsConstantTerm(const Expr& e) { return e.is_constant() || IsNegatedNumber(e); }

Type ConstantType(const Expr& e) {
  const Expr& c = IsNegatedNumber(e) ? e.args[0] : e;
  switch (c.kind) {
    case ExprKind::kInt: return Type::Of(TypeKind::kInt);
    case ExprKind::kFloat: return Type::Of(TypeKind::kFloat);
    case ExprKind::kBool: return Type::Of(TypeKind::kBool);
    case ExprKind::kSymbol: return Type::Of(TypeKind::kSymbol);
    case ExprKind::kString: return Type::Of(TypeKind::kString);
    default: return Type::Of(TypeKind::kUnknown);
  }
}

bool ConstantFits(const engine::ColumnType& column, const Expr& e) {
  using engine::ValueKind;
  switch (ConstantType(e).kind) {
    case TypeKind::kInt: return column.Accepts(ValueKind::kInt);
    case TypeKind::kFloat: return column.Accepts(ValueKind::kFloat);
    case TypeKind::kBool: return column.Accepts(ValueKind::kBool);
    case TypeKind::kSymbol: return column.Accepts(ValueKind::kSymbol);
    case TypeKind::kString: return column.Accepts(ValueKind::kString);
    default: return false;
  }
}

bool ConstantNumber(const Expr& e, double* out) {
  bool negate = IsNegatedNumber(e);
  const Expr& c = negate ? e.args[0] : e;
  double v;
  if (c.kind == ExprKind::kInt) {
    v = static_cast<double>(c.int_value);
  } else if (c.kind == ExprKind::kFloat) {
    v = c.float_value;
  } else {
    return false;
  }
  *out = negate ? -v : v;
  return true;
}

bool SameConstant(const Expr& a, const Expr& b) {
  if (IsNegatedNumber(a) || IsNegatedNumber(b)) {
    double x, y;
    return ConstantType(a).kind == ConstantType(b).kind && ConstantNumber(a, &x) && ConstantNumber(b, &y) && x == y;
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ExprKind::kInt: return a.int_value == b.int_value;
    case ExprKind::kFloat: return a.float_value == b.float_value;
    case ExprKind::kBool: return a.bool_value == b.bool_value;
    case ExprKind::kSymbol:
    case ExprKind::kString: return a.name == b.name;
    default: return false;
  }
}

std::string NumberText(double v) {
  if (v == static_cast<double>(static_cast<std::int64_t>(v)) && v > -1e15 && v < 1e15) {
    return std::to_string(static_cast<std::int64_t>(v));
  }
  return engine::FormatFloat(v);
}

std::string ConstantText(const Expr& e) {
  if (IsNegatedNumber(e)) return "-" + ConstantText(e.args[0]);
  switch (e.kind) {
    case ExprKind::kInt: return std::to_string(e.int_value);
    case ExprKind::kFloat: return engine::FormatFloat(e.float_value);
    case ExprKind::kBool: return e.bool_value ? "true" : "false";
    case ExprKind::kSymbol: return e.name;
    case ExprKind::kString: return "\"" + e.name + "\"";
    case ExprKind::kVariable: return e.name;
    case ExprKind::kWildcard: return "_";
    default: return "an expression";
  }
}

}  // namespace syllo::rules

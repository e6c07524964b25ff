// The types the checker reasons with: the column kinds plus a few looser ones
// (a number of unknown width, a text that may be a symbol or a string, a fact
// bound with `as F`) and "unknown", which is compatible with everything so that
// one mistake is reported once instead of at every later use.
//
// Thread safety: values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/column_type.h"
#include "rules/ast.h"
#include "rules/builtins.h"

namespace syllo::rules {

enum class TypeKind : std::uint8_t {
  kUnknown,  // not known (yet), or already reported as wrong
  kInt,
  kFloat,
  kNumber,   // int or float
  kBool,
  kSymbol,
  kString,
  kText,     // symbol or string
  kTensor,
  kFact,     // a variable bound with `as F`
};

struct Type {
  TypeKind kind = TypeKind::kUnknown;
  // Tensors only: the shape, borrowed from the column declaration (which
  // outlives the check). nullptr when not known.
  const std::vector<std::int64_t>* shape = nullptr;

  static Type Of(TypeKind k) { return Type{k, nullptr}; }
  static Type FromColumn(const engine::ColumnType& column);
  static Type FromBuiltin(BuiltinType t);

  bool known() const { return kind != TypeKind::kUnknown; }
  bool numeric() const { return kind == TypeKind::kInt || kind == TypeKind::kFloat || kind == TypeKind::kNumber; }
  bool text() const { return kind == TypeKind::kSymbol || kind == TypeKind::kString || kind == TypeKind::kText; }
};

// "int", "number", "tensor[28,28]" ...
std::string TypeName(Type t);
// Whether values of the two types may meet (in a comparison, or a variable used
// at both). int and float are compatible; unknown is compatible with anything.
bool Compatible(Type a, Type b);
// Whether a built-in parameter of type `param` accepts an argument of type `t`.
bool BuiltinAccepts(BuiltinType param, Type t);
// "a number", "text", ...: how messages name a built-in parameter type.
std::string BuiltinTypeName(BuiltinType t);

// A constant as the language writes it in a constant position: a literal, or a
// unary minus applied to a numeric literal (`-3` where the parser kept the sign
// as an operator).
bool IsConstantTerm(const Expr& e);
// The type of a constant term. REQUIRES: IsConstantTerm(e).
Type ConstantType(const Expr& e);
// The numeric value of a constant term; false if it is not a number.
bool ConstantNumber(const Expr& e, double* out);
// Whether a constant term may be stored in a column (an int in a float column).
bool ConstantFits(const engine::ColumnType& column, const Expr& e);
// Whether two constant terms are the same value (1 and 1.0 differ).
bool SameConstant(const Expr& a, const Expr& b);
// A number for messages: integral values without a fraction (100, not 100.0),
// since the AST keeps `number in 0..100` and `cf -3` as doubles.
std::string NumberText(double v);
// The constant as source text, for messages: 42, 1.5, ann, "text".
std::string ConstantText(const Expr& e);

}  // namespace syllo::rules

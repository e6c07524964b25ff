// The built-in functions (usable in expressions) and built-in tests (usable as
// body literals) of the rule language, with their signatures. The parser uses
// the test names to tell a built-in literal from a relation atom; the checker
// uses the signatures for arity and type checks; the engine evaluates them.
//
// Thread safety: immutable tables.
#pragma once

#include <string_view>

namespace syllo::rules {

// What a built-in accepts or returns.
enum class BuiltinType {
  kNumber,  // int or float
  kInt,
  kFloat,
  kText,    // string or symbol
  kString,
  kSymbol,
  kBool,
  kAny,
  kSameAsArgs,  // numeric result of the same kind as the arguments (int if all int, else float)
};

struct BuiltinFunction {
  std::string_view name;
  int min_args;
  int max_args;  // -1: variadic
  BuiltinType arg_type;
  BuiltinType result;
  std::string_view summary;
};

struct BuiltinTest {
  std::string_view name;
  int args;
  BuiltinType arg_type;
  std::string_view summary;
};

// nullptr when `name` is no built-in.
const BuiltinFunction* FindBuiltinFunction(std::string_view name);
const BuiltinTest* FindBuiltinTest(std::string_view name);

}  // namespace syllo::rules

#include "rules/builtins.h"

#include <array>

namespace syllo::rules {

namespace {

constexpr std::array kFunctions = {
    BuiltinFunction{"abs", 1, 1, BuiltinType::kNumber, BuiltinType::kSameAsArgs, "absolute value"},
    BuiltinFunction{"min", 2, -1, BuiltinType::kNumber, BuiltinType::kSameAsArgs, "smallest argument"},
    BuiltinFunction{"max", 2, -1, BuiltinType::kNumber, BuiltinType::kSameAsArgs, "largest argument"},
    BuiltinFunction{"floor", 1, 1, BuiltinType::kNumber, BuiltinType::kInt, "round down to an int"},
    BuiltinFunction{"ceil", 1, 1, BuiltinType::kNumber, BuiltinType::kInt, "round up to an int"},
    BuiltinFunction{"round", 1, 1, BuiltinType::kNumber, BuiltinType::kInt, "round half away from zero to an int"},
    BuiltinFunction{"sqrt", 1, 1, BuiltinType::kNumber, BuiltinType::kFloat, "square root"},
    BuiltinFunction{"pow", 2, 2, BuiltinType::kNumber, BuiltinType::kFloat, "power"},
    BuiltinFunction{"log", 1, 1, BuiltinType::kNumber, BuiltinType::kFloat, "natural logarithm"},
    BuiltinFunction{"exp", 1, 1, BuiltinType::kNumber, BuiltinType::kFloat, "e to the power"},
    BuiltinFunction{"to_int", 1, 1, BuiltinType::kAny, BuiltinType::kInt, "convert a number or numeric text to int"},
    BuiltinFunction{"to_float", 1, 1, BuiltinType::kAny, BuiltinType::kFloat, "convert a number or numeric text to float"},
    BuiltinFunction{"to_string", 1, 1, BuiltinType::kAny, BuiltinType::kString, "the text of any value"},
    BuiltinFunction{"to_symbol", 1, 1, BuiltinType::kText, BuiltinType::kSymbol, "a string as a symbol"},
    BuiltinFunction{"concat", 1, -1, BuiltinType::kAny, BuiltinType::kString, "join the texts of the arguments"},
    BuiltinFunction{"strlen", 1, 1, BuiltinType::kText, BuiltinType::kInt, "length in characters"},
    BuiltinFunction{"upper", 1, 1, BuiltinType::kText, BuiltinType::kString, "upper case"},
    BuiltinFunction{"lower", 1, 1, BuiltinType::kText, BuiltinType::kString, "lower case"},
    BuiltinFunction{"substr", 3, 3, BuiltinType::kAny, BuiltinType::kString, "substr(S, Start, Len), 0-based"},
};

constexpr std::array kTests = {
    BuiltinTest{"contains", 2, BuiltinType::kText, "the first text contains the second"},
    BuiltinTest{"starts_with", 2, BuiltinType::kText, "the first text starts with the second"},
    BuiltinTest{"ends_with", 2, BuiltinType::kText, "the first text ends with the second"},
};

}  // namespace

const BuiltinFunction* FindBuiltinFunction(std::string_view name) {
  for (const auto& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const BuiltinTest* FindBuiltinTest(std::string_view name) {
  for (const auto& t : kTests) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace syllo::rules

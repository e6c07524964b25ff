// Printer: an AST back to canonical .syl text. Parsing the output gives the same
// AST (positions aside); golden tests and `syllo check --print` use it.
//
// Thread safety: reentrant.
#pragma once

#include <string>

#include "rules/ast.h"

namespace syllo::rules {

std::string Print(const Program& program);
std::string Print(const Expr& expr);
std::string Print(const Atom& atom);
std::string Print(const Literal& literal);

}  // namespace syllo::rules

// Checker: the semantic checks of a parsed program. Reports into Diagnostics and
// keeps going, so one run shows every problem:
//   unknown relation, wrong arity, type mismatch, unsafe variables, negation or
//   aggregation through recursion (not stratifiable), duplicate declarations,
//   invalid pragmas, ask/neural/model declarations that do not fit, and unused
//   (singleton) variables as warnings.
//
// Thread safety: reentrant.
#pragma once

#include "rules/ast.h"
#include "rules/diagnostic.h"
#include "rules/source.h"

namespace syllo::rules {

void Check(const SourceSet& sources, const Program& program, Diagnostics& diags);

}  // namespace syllo::rules

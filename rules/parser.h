// Parser: .syl text -> AST, with Boost.Spirit X3.
//
// Statement by statement: a syntax error is reported with what was expected and
// where, then parsing resumes after the end of the broken statement, so one run
// reports every syntax error. Never crashes, hangs or overflows the stack on any
// input (nesting deeper than kMaxNesting is a diagnostic, not a recursion).
//
// Thread safety: reentrant; no shared state.
#pragma once

#include "rules/ast.h"
#include "rules/diagnostic.h"
#include "rules/source.h"

namespace syllo::rules {

inline constexpr int kMaxNesting = 256;

// Parses the text of `file` and appends its statements to `out`.
void Parse(const SourceSet& sources, FileId file, Program& out, Diagnostics& diags);

}  // namespace syllo::rules

// ParseGroundFact: a hand-written reader for the commonest statement of a data
// file, a fact whose arguments are all constants: `edge(1, 30).`,
// `applicant(a17, "Ann", 42.5, true).` A file of 200,000 such facts spent 14,000
// instructions per fact in the X3 grammar's backtracking; this reads one in a
// few hundred and builds the same FactDecl, positions included.
//
// It handles nothing else: anything it does not recognise (a variable, an
// expression, `cf`, an escape in a string, a number out of range, a keyword)
// makes it return false having changed nothing, and the grammar parses the
// statement and reports its errors as before.
//
// Thread safety: as ParseState.
#pragma once

#include <cstddef>

#include "rules/grammar/parse_state.h"

namespace syllo::rules::grammar {

// Parses the ground fact starting at `start` (after blanks) and appends it to
// state.program().facts, setting *end just past its full stop. False, with the
// program untouched, when the statement is anything but a plain ground fact.
bool ParseGroundFact(ParseState& state, std::size_t start, std::size_t* end);

}  // namespace syllo::rules::grammar

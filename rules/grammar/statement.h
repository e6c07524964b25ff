// ParseStatement: the entry point of the X3 grammar, free of Spirit headers so
// the driver (parser.cpp) compiles fast.
//
// Thread safety: as ParseState.
#pragma once

#include <cstddef>
#include <string>

#include "rules/grammar/parse_state.h"

namespace syllo::rules::grammar {

struct StatementResult {
  enum class Kind {
    kOk,       // a statement was appended to the program; `end` is just past its '.'
    kSyntax,   // nothing fits at `offset`; `expected` says what would (empty: a statement)
    kNesting,  // nesting deeper than kMaxNesting at `offset`
  };
  Kind kind = Kind::kOk;
  std::size_t end = 0;
  std::size_t offset = 0;
  std::string expected;
};

// Parses one statement starting at `start` (after blanks) and appends it to
// state.program(). Problems inside tokens are left in state.errors().
StatementResult ParseStatement(ParseState& state, std::size_t start);

}  // namespace syllo::rules::grammar

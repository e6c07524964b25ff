// Cuts what the user types into the REPL's input units. Pure logic, no I/O.
//
// A unit is either
//   a command   it starts with ':' (after blanks and comments) and ends at the
//               end of its line: `:load car.syl`, `:help`;
//   a clause    anything else (`?- goal, goal.`, `p(a, b).`, `retract p(a).`),
//               which ends at a full stop that ends a statement as the parser
//               sees it (rules/grammar/lexical.h): a '.' followed by white
//               space, a comment or the end of the line, outside "strings"
//               (backslash escapes) and comments (`% ...`, `// ...`,
//               `/* ... */`). So `0.5` and `"a. b"` do not end a clause, and a
//               clause may span lines.
// Text after a clause's full stop on the same line starts the next unit:
// `p(a). p(b).` gives two units, and `p(a). :facts` a clause and a command.
// Blanks and comments between units are dropped; a line holding nothing else
// yields nothing.
//
// Units are returned as typed: a clause from its first character to its full
// stop (inner line breaks kept as '\n', so `% comments` stay valid); a command
// without its surrounding blanks.
//
// Thread safety: none; one splitter per input.
#pragma once

#include <deque>
#include <string>
#include <string_view>

namespace syllo::repl {

class InputSplitter {
 public:
  // Adds one line of input (without its line break; a trailing '\r' is treated
  // as a blank). Complete units become available through TakeUnit().
  void Feed(std::string_view line);

  // Ends the input: a pending, incomplete unit becomes a unit as it stands (a
  // clause with no full stop), so the caller can report it rather than lose it.
  void Finish();

  bool HasUnit() const { return !units_.empty(); }
  // The oldest complete unit. REQUIRES: HasUnit().
  std::string TakeUnit();

  // Whether an incomplete unit is being accumulated (a clause without its full
  // stop yet, or an open string or block comment): the REPL shows its
  // continuation prompt.
  bool pending() const { return !partial_.empty(); }

  // Forgets the incomplete unit and any complete units not yet taken (Ctrl-C).
  void Clear();

 private:
  // Moves every complete unit at the front of partial_ to units_.
  void Split();

  std::string partial_;  // starts at a unit's first character, or is empty
  std::deque<std::string> units_;
};

}  // namespace syllo::repl

// ParseState: what the Spirit X3 grammar shares while it parses one file: the
// text, where positions come from, the program being filled, the nesting depth
// and the problems found so far in the current statement.
//
// The grammar reaches it through the X3 context (state_tag). One ParseState per
// Parse() call; it borrows the SourceSet and the Program, which must outlive it.
//
// Thread safety: none; one parse at a time.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rules/ast.h"
#include "rules/source.h"

namespace syllo::rules::grammar {

struct state_tag;

// Thrown (and caught by the statement driver) when parens, brackets, braces,
// unary minus, `not` or `exists` nest deeper than kMaxNesting: the parser stops
// before the recursion can threaten the stack.
struct NestingTooDeep {
  std::size_t offset;
};

class ParseState {
 public:
  ParseState(const SourceSet& sources, FileId file, Program& program);

  std::string_view text() const { return text_; }
  const char* begin() const { return text_.data(); }
  const char* end() const { return text_.data() + text_.size(); }
  std::size_t Offset(const char* it) const { return static_cast<std::size_t>(it - text_.data()); }
  Program& program() { return program_; }

  // Position of a byte offset. Cached, because tokens mostly come in order: a
  // plain SourceSet::PosAt per token would be quadratic on a long line.
  SourcePos Pos(std::size_t offset);

  // A problem inside a token that did parse (a literal out of range, a bad
  // escape). Kept per offset: a token may be parsed more than once while the
  // grammar tries alternatives, but is reported once.
  void TokenError(std::size_t offset, std::string message) { errors_.emplace(offset, std::move(message)); }
  const std::map<std::size_t, std::string>& errors() const { return errors_; }

  // A token that did not match at `offset`: the furthest such offset and what
  // was expected there make the message when no expectation point caught it.
  void NoteFailure(std::size_t offset, const char* what);
  std::size_t furthest() const { return furthest_; }
  const std::vector<const char*>& expected_at_furthest() const { return expected_; }

  // Set when an unterminated string or block comment ran to the end of the
  // text: that is the error, not the "found end of input" it leads to.
  bool ran_off_end = false;
  int depth = 0;

  // Forgets the current statement's problems before the next one.
  void StartStatement(std::size_t offset);

 private:
  const SourceSet& sources_;
  FileId file_;
  std::string_view text_;
  Program& program_;
  std::map<std::size_t, std::string> errors_;
  std::size_t furthest_ = 0;
  std::vector<const char*> expected_;
  std::size_t cached_offset_ = 0;
  SourcePos cached_pos_;
};

// Raises the nesting depth for the lifetime of a nested construct.
class NestingGuard {
 public:
  NestingGuard(ParseState& state, std::size_t offset);
  ~NestingGuard() { --state_.depth; }
  NestingGuard(const NestingGuard&) = delete;
  NestingGuard& operator=(const NestingGuard&) = delete;

 private:
  ParseState& state_;
};

}  // namespace syllo::rules::grammar

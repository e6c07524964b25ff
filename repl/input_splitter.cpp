#include "repl/input_splitter.h"

#include <cassert>

#include "rules/grammar/lexical.h"

namespace syllo::repl {

namespace grammar = rules::grammar;

namespace {

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && grammar::IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && grammar::IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

void InputSplitter::Feed(std::string_view line) {
  partial_.append(line);
  // Lines are kept apart so that a `% comment` ends where its line ends; the
  // final '\n' also lets FindStatementEnd tell "a full stop at the very end"
  // (it returns less than the size) from "no full stop" (it returns the size).
  partial_ += '\n';
  Split();
}

void InputSplitter::Split() {
  for (;;) {
    std::size_t unterminated;
    std::size_t start = grammar::SkipBlank(partial_, 0, &unterminated);
    if (start == partial_.size()) {
      // Only blanks and comments: drop them, unless a block comment is still
      // open (it may hide what would otherwise look like a unit).
      if (unterminated == grammar::kNone) partial_.clear();
      return;
    }
    if (partial_[start] == ':') {
      // A command: the rest of its line, full stops and all.
      std::size_t eol = partial_.find('\n', start);
      assert(eol != std::string::npos && "Feed() ends partial_ with a line break");
      units_.emplace_back(TrimBlanks(std::string_view(partial_).substr(start, eol - start)));
      partial_.erase(0, eol + 1);
      continue;
    }
    std::size_t end = grammar::FindStatementEnd(partial_, start, start);
    if (end >= partial_.size()) {
      partial_.erase(0, start);
      return;
    }
    units_.emplace_back(partial_, start, end - start);
    partial_.erase(0, end);
  }
}

void InputSplitter::Finish() {
  std::string_view rest = TrimBlanks(partial_);
  if (!rest.empty()) units_.emplace_back(rest);
  partial_.clear();
}

std::string InputSplitter::TakeUnit() {
  assert(!units_.empty() && "TakeUnit() without HasUnit()");
  std::string unit = std::move(units_.front());
  units_.pop_front();
  return unit;
}

void InputSplitter::Clear() {
  partial_.clear();
  units_.clear();
}

}  // namespace syllo::repl

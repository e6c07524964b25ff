// The statement loop around the X3 grammar: parse a statement, report what went
// wrong in it, resynchronise at the next statement end, repeat. The grammar
// itself lives in rules/grammar/.
#include "rules/parser.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "rules/grammar/ground_fact.h"
#include "rules/grammar/lexical.h"
#include "rules/grammar/parse_state.h"
#include "rules/grammar/statement.h"

namespace syllo::rules {

namespace {

using grammar::kNone;

// A file of nothing but broken statements would otherwise cost memory in
// proportion to its size; past this many, the rest of the file is skipped.
constexpr std::size_t kMaxErrorsPerFile = 1000;

// "a, b or c"
std::string JoinAlternatives(const std::vector<const char*>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " or " : ", ";
    out += items[i];
  }
  return out;
}

std::size_t SkipBlankOnly(std::string_view text, std::size_t pos) {
  std::size_t unterminated;
  return grammar::SkipBlank(text, pos, &unterminated);
}

}  // namespace

void Parse(const SourceSet& sources, FileId file, Program& out, Diagnostics& diags) {
  grammar::ParseState state(sources, file, out);
  const std::string_view text = state.text();
  std::size_t pos = 0;
  std::size_t reported = 0;
  while (true) {
    std::size_t unterminated;
    pos = grammar::SkipBlank(text, pos, &unterminated);
    if (unterminated != kNone) {
      diags.Error(state.Pos(unterminated), "unterminated block comment");
      break;
    }
    if (pos >= text.size()) break;
    if (reported >= kMaxErrorsPerFile) {
      diags.Error(state.Pos(pos), "too many errors; the rest of the file is not parsed");
      break;
    }

    const std::size_t start = pos;
    if (grammar::ParseGroundFact(state, start, &pos)) continue;  // data files: most statements
    state.StartStatement(start);
    state.ran_off_end = false;
    grammar::StatementResult result = grammar::ParseStatement(state, start);

    std::vector<std::pair<std::size_t, std::string>> problems(state.errors().begin(), state.errors().end());
    using Kind = grammar::StatementResult::Kind;
    if (result.kind == Kind::kOk) {
      pos = result.end;
    } else {
      std::size_t at = SkipBlankOnly(text, result.offset);
      std::string message;
      if (result.kind == Kind::kNesting) {
        message = "nesting deeper than " + std::to_string(kMaxNesting);
      } else if (state.furthest() > at && !state.expected_at_furthest().empty()) {
        // An alternative got further than the expectation point that failed:
        // what it would have accepted there is the more useful message.
        at = state.furthest();
        message = "expected " + JoinAlternatives(state.expected_at_furthest()) + " but found " +
                  grammar::DescribeFound(text, at);
      } else {
        std::string expected = result.expected.empty() ? "a statement" : result.expected;
        message = "expected " + expected + " but found " + grammar::DescribeFound(text, at);
      }
      // An unterminated string or comment already explains the end of input.
      if (!(state.ran_off_end && at >= text.size())) problems.emplace_back(at, std::move(message));
      pos = grammar::FindStatementEnd(text, start, std::max(result.offset, at));
    }
    std::stable_sort(problems.begin(), problems.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [offset, message] : problems) diags.Error(state.Pos(offset), std::move(message));
    reported += problems.size();
  }
}

}  // namespace syllo::rules

// The ground-fact reader (rules/grammar/ground_fact.cpp) against the X3
// grammar: the same FactDecl, positions included, for every fact it reads, and
// no change at all (the grammar's AST and diagnostics) for every statement it
// leaves to the grammar.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "rules/grammar/ground_fact.h"
#include "rules/grammar/statement.h"
#include "rules/loader.h"
#include "rules/parser.h"

namespace syllo::rules {
namespace {

void ExpectSameExpr(const Expr& a, const Expr& b, const std::string& where) {
  EXPECT_EQ(a.kind, b.kind) << where;
  EXPECT_EQ(a.pos.file, b.pos.file) << where;
  EXPECT_EQ(a.pos.line, b.pos.line) << where;
  EXPECT_EQ(a.pos.column, b.pos.column) << where;
  EXPECT_EQ(a.name, b.name) << where;
  EXPECT_EQ(a.int_value, b.int_value) << where;
  EXPECT_EQ(std::bit_cast<std::uint64_t>(a.float_value), std::bit_cast<std::uint64_t>(b.float_value)) << where;
  EXPECT_EQ(a.bool_value, b.bool_value) << where;
  ASSERT_EQ(a.args.size(), b.args.size()) << where;
  for (std::size_t i = 0; i < a.args.size(); ++i) ExpectSameExpr(a.args[i], b.args[i], where);
}

void ExpectSameFact(const FactDecl& a, const FactDecl& b, const std::string& where) {
  EXPECT_EQ(a.pos.line, b.pos.line) << where;
  EXPECT_EQ(a.pos.column, b.pos.column) << where;
  EXPECT_EQ(a.atom.relation, b.atom.relation) << where;
  EXPECT_EQ(a.atom.pos.line, b.atom.pos.line) << where;
  EXPECT_EQ(a.atom.pos.column, b.atom.pos.column) << where;
  EXPECT_EQ(a.certainty, b.certainty) << where;
  EXPECT_TRUE(a.atom.certainty_var.empty() && b.atom.certainty_var.empty()) << where;
  ASSERT_EQ(a.atom.args.size(), b.atom.args.size()) << where;
  for (std::size_t i = 0; i < a.atom.args.size(); ++i) ExpectSameExpr(a.atom.args[i], b.atom.args[i], where);
}

// `prefix` (a line or more before the statement, so positions are not all on
// line 1) then `statement`: read by the fast path, if it takes it, and by the
// grammar alone.
struct BothWays {
  bool fast_took = false;
  std::size_t fast_end = 0;
  Program fast;
  grammar::StatementResult slow_result;
  Program slow;
};

BothWays ParseBothWays(const std::string& prefix, const std::string& statement) {
  SourceSet sources;
  FileId id = sources.Add("facts.syl", prefix + statement);
  BothWays out;
  grammar::ParseState fast_state(sources, id, out.fast);
  out.fast_took = grammar::ParseGroundFact(fast_state, prefix.size(), &out.fast_end);
  grammar::ParseState slow_state(sources, id, out.slow);
  slow_state.StartStatement(prefix.size());
  out.slow_result = grammar::ParseStatement(slow_state, prefix.size());
  return out;
}

TEST(GroundFact, ReadsWhatTheGrammarReadsPositionsIncluded) {
  const std::vector<std::string> facts = {
      "edge(1, 30).",
      "edge(1,30).",
      "edge( 1 , 30 ) .",
      "p(-7, -0, 007, 9223372036854775807, -9223372036854775808).",
      "p(1.5, -2.25, 1e3, 1.5e-3, -0.0, 2E+2).",
      "p(abc, a_b_9, top, threshold, number, using).",
      "p(true, false).",
      "p(\"plain\", \"\", \"with {Hole} kept\", \"sp ace\").",
      "applicant(a17, \"Ann\", 42.5, true, -3).",
      "p(1, % a comment\n  2).",
      "p(1, /* block */ 2) /* after */ .",
      "p\n(\n1\n,\n2\n)\n.",
      "top(1).",
      "p(1).% comment right after the dot",
      "p(1).",
  };
  for (const std::string& prefix : {std::string(), std::string("% header\n  "), std::string("q(0).\n\t")}) {
    for (const std::string& f : facts) {
      std::string where = "[" + prefix + f + "]";
      BothWays b = ParseBothWays(prefix, f);
      ASSERT_TRUE(b.fast_took) << where;
      ASSERT_EQ(b.slow_result.kind, grammar::StatementResult::Kind::kOk) << where;
      EXPECT_EQ(b.fast_end, b.slow_result.end) << where;
      ASSERT_EQ(b.fast.facts.size(), 1u) << where;
      ASSERT_EQ(b.slow.facts.size(), 1u) << where;
      ExpectSameFact(b.fast.facts[0], b.slow.facts[0], where);
    }
  }
}

TEST(GroundFact, LeavesEverythingElseToTheGrammar) {
  const std::vector<std::string> others = {
      "p(X, 1).",                     // a variable
      "p(_, 1).",                     // a wildcard
      "p(1 + 2).",                    // an expression
      "p(- 1).",                      // a minus apart from its number
      "p(f(1)).",                     // a call
      "p(1) cf 0.5.",                 // a certainty
      "p(1) :- q(1).",                // a rule
      "p.",                           // no parentheses
      "p().",                         // no arguments
      "p(\"a\\n\").",                 // an escape
      "p(\"caf\xc3\xa9\").",          // non-ASCII text
      "p(\"open).",                   // an unterminated string
      "p(99999999999999999999).",     // out of range
      "p(1e999).",                    // out of range
      "p(not).",                      // a keyword
      "relation p(a: int).",          // a keyword statement
      "model(1).",                    // a keyword as the name
      "p(1).q(2).",                   // a dot that ends no statement
      "p(1)",                         // no dot
      "p(1,).",                       // a missing argument
      "p(1 2).",                      // a missing comma
      "p(1, /* open",                 // an unterminated comment
      "Edge(1).",                     // not a relation name
      "?- p(1).",                     // a query
  };
  for (const std::string& s : others) {
    BothWays b = ParseBothWays("", s);
    EXPECT_FALSE(b.fast_took) << s;
    EXPECT_TRUE(b.fast.facts.empty()) << s;
  }
}

TEST(GroundFact, FilesParseToTheSameFactsAndDiagnosticsEitherWay) {
  // Parse() takes the fast path where it can; the grammar alone must agree on
  // every fact and every message, fast-path facts mixed with others included.
  const std::string text =
      "relation edge(a: int, b: int).\n"
      "edge(1, 2).\n"
      "edge(2, 99999999999999999999).\n"
      "edge(3, X).\n"
      "edge(4, 5) cf 0.5.\n"
      "edge(\"a\\q\", 6).\n"
      "edge(7 8).\n"
      "edge(9, 10).\n";
  LoadedProgram with_fast;
  FileId id = with_fast.sources.Add("mixed.syl", text);
  Parse(with_fast.sources, id, with_fast.program, with_fast.diagnostics);

  std::vector<std::string> messages;
  for (const Diagnostic& d : with_fast.diagnostics.items()) {
    messages.push_back(std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " + d.message);
  }
  ASSERT_EQ(messages.size(), 3u) << ::testing::PrintToString(messages);
  EXPECT_EQ(messages[0], "3:9: integer literal out of range");
  EXPECT_EQ(messages[1].rfind("6:", 0), 0u) << messages[1];
  EXPECT_EQ(messages[2].rfind("7:", 0), 0u) << messages[2];

  // Facts that parsed, in order: 1-2, (out of range: 2-0 with its error), 3-X, 4-5 cf 0.5, 9-10.
  ASSERT_GE(with_fast.program.facts.size(), 4u);
  EXPECT_EQ(with_fast.program.facts.front().atom.args[0].int_value, 1);
  EXPECT_EQ(with_fast.program.facts.back().atom.args[0].int_value, 9);
  EXPECT_EQ(with_fast.program.facts.back().atom.args[1].int_value, 10);
  EXPECT_EQ(with_fast.program.facts.back().pos.line, 8u);
}

TEST(GroundFact, RandomFactsAgreeWithTheGrammar) {
  std::mt19937 rng(17);
  const std::vector<std::string> symbols = {"a", "b1", "top", "x_y", "true", "false", "not", "Var", "_"};
  const std::vector<std::string> blanks = {"", " ", "  ", "\n", "\t", " % c\n", "/*c*/"};
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  int fast = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string s = "r" + std::to_string(rng() % 3) + pick(blanks) + "(";
    int n = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < n; ++k) {
      if (k > 0) s += pick(blanks) + ",";
      s += pick(blanks);
      switch (rng() % 5) {
        case 0: s += std::to_string(static_cast<int>(rng() % 2001) - 1000); break;
        case 1: s += std::to_string(static_cast<int>(rng() % 200) - 100) + "." + std::to_string(rng() % 100); break;
        case 2: s += pick(symbols); break;
        case 3: s += "\"s" + std::to_string(rng() % 10) + "\""; break;
        default: s += rng() % 2 ? "1 + 2" : "-" + std::to_string(rng() % 9); break;
      }
    }
    s += pick(blanks) + ")" + pick(blanks) + ".";
    BothWays b = ParseBothWays("% line\n", s);
    if (!b.fast_took) continue;
    ++fast;
    ASSERT_EQ(b.slow_result.kind, grammar::StatementResult::Kind::kOk) << s;
    EXPECT_EQ(b.fast_end, b.slow_result.end) << s;
    ASSERT_EQ(b.slow.facts.size(), 1u) << s;
    ExpectSameFact(b.fast.facts[0], b.slow.facts[0], s);
  }
  EXPECT_GT(fast, 200);  // the generator does reach the fast path
}

}  // namespace
}  // namespace syllo::rules

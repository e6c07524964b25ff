// Explanations, the way MYCIN gave them: `why` at a question (the rule being
// tried and the goals above it), `how` a conclusion was reached (its proof tree
// down to facts, the user's replies and model predictions), and `whynot` a goal
// failed (for each rule that could conclude it, the condition that stopped it).
// Also the text of goals, conditions and questions, shared by the REPL.
//
// Thread safety: as the Solver they read.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "engine/program.h"
#include "engine/solver.h"

namespace syllo::engine {

// "path(n1, _)": kNone arguments print as `_`.
std::string FormatAtom(const ProgramSpec& program, RelationId relation, std::span<const Value> args);
// A rule's condition with the frame's values in place of bound variables.
std::string FormatCondition(const ProgramSpec& program, const RuleSpec& rule, const Condition& condition,
                            std::span<const Value> frame);
// A rule's head under the frame.
std::string FormatHead(const ProgramSpec& program, const RuleSpec& rule, std::span<const Value> frame);
// An answer as a query prints it: "X = a, Y = 1" ("true" with no variables),
// with " (cf 0.8)" unless it is certain, as in Prolog.
std::string FormatAnswer(const ProgramSpec& program, const std::vector<std::string>& variables, const Answer& answer);
// "cf 0.8" under a semantics with certainties, "" under boolean.
std::string FormatCertainty(const ProgramSpec& program, double certainty);
// The question with {Var} replaced by the key's values.
std::string FillQuestion(const ProgramSpec& program, const AskSpec& ask, std::span<const Value> key);

// The answer to `why` at a question, from Solver::GoalStack().
std::string FormatWhy(const ProgramSpec& program, const std::vector<GoalStackEntry>& stack);

struct ExplainOptions {
  int max_depth = 12;     // proof trees deeper than this end in "..."
  int max_proofs = 8;     // proofs shown per conclusion under certainties
};

// `how GOAL`: a proof tree for every answer of the goal that counts.
Result<std::string> ExplainHow(Solver& solver, RelationId relation, std::span<const Value> call,
                               const ExplainOptions& options = {});
// `whynot GOAL`: why the goal has no answer that counts.
Result<std::string> ExplainWhyNot(Solver& solver, RelationId relation, std::span<const Value> call);

}  // namespace syllo::engine

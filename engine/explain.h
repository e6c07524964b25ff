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

// A proof as `how` shows it. An atom node is a conclusion with the rules that
// prove it (each with its body's items: atoms proved in turn, and conditions
// that hold); a fact, a reply or a prediction has no steps.
struct ProofNode {
  enum class Kind { kAtom, kHolds, kNoLongerHolds } kind = Kind::kAtom;
  std::string text;  // the atom, or the condition with its bindings
  RelationId relation = 0;
  std::vector<Value> row;
  double certainty = 1.0;
  Provenance provenance;
  std::string cf_text;  // "cf 0.8", "" under boolean semantics
  std::string tag;      // "[fact]", "[your answer]", "[predicted by model m@1]"
  std::string note;     // "a cycle: see above", "explained above", "..." (depth)
  struct Step {
    std::uint32_t rule = 0;
    double body_certainty = 1.0;
    std::string title;  // "rule name (file:line:col)" with certainties
    std::vector<ProofNode> items;  // one per condition of the rule
  };
  std::vector<Step> by;
  bool unproved = false;  // derived, but no rule proves it now
};

// The proof trees of every answer of the goal that counts.
Result<std::vector<ProofNode>> ProveHow(Solver& solver, RelationId relation, std::span<const Value> call,
                                        const ExplainOptions& options = {});
std::string RenderProof(const ProofNode& tree);

// `how GOAL`: a proof tree for every answer of the goal that counts.
Result<std::string> ExplainHow(Solver& solver, RelationId relation, std::span<const Value> call,
                               const ExplainOptions& options = {});
// `whynot GOAL`: why the goal has no answer that counts.
Result<std::string> ExplainWhyNot(Solver& solver, RelationId relation, std::span<const Value> call);

}  // namespace syllo::engine

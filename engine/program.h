// ProgramSpec: a checked program in the engine's own terms. rules/lower turns the
// AST into this; the Rete compiler and the backward solver read it. Names are
// resolved to relation ids, variables to frame slots, and every conjunction
// under `not`, `exists` or an aggregate has become one pattern over an auxiliary
// relation, so the engine only ever negates, tests or aggregates a single pattern.
//
// Thread safety: immutable after lowering; shared by every session.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/certainty.h"
#include "engine/column_type.h"
#include "engine/expr.h"
#include "engine/working_memory.h"

namespace syllo::engine {

// One argument of a pattern: a constant to test, a variable slot (bound here if
// this is its first occurrence in the rule, tested otherwise), or a wildcard.
struct PatternArg {
  enum class Kind : std::uint8_t { kConst, kVar, kWild } kind = Kind::kWild;
  Value constant;
  VarSlot slot = kNoSlot;
};

struct Pattern {
  RelationId relation = 0;
  std::vector<PatternArg> args;
  VarSlot certainty_slot = kNoSlot;  // `@ C`
  VarSlot fact_slot = kNoSlot;       // `as F` (the frame holds a fact handle)
};

enum class AggregateFn : std::uint8_t { kCount, kSum, kMin, kMax, kAvg };

enum class ConditionKind : std::uint8_t {
  kPattern,    // a positive pattern: joins and binds
  kNegated,    // no fact matches the pattern
  kExists,     // some fact matches the pattern (binds nothing)
  kCompare,    // lhs op rhs over bound slots
  kAssign,     // target = value (target unbound before)
  kMember,     // element in set (test) / target in set (generator, target unbound)
  kTextTest,   // contains / starts_with / ends_with
  kAggregate,  // target = fn(value : pattern), grouped by the pattern's bound slots
  kCall,       // a host predicate (a Lua function): inputs evaluated, outputs matched like a pattern's args
};

enum class TextTest : std::uint8_t { kContains, kStartsWith, kEndsWith };

struct Condition {
  ConditionKind kind = ConditionKind::kPattern;
  Pattern pattern;        // kPattern, kNegated, kExists, kAggregate
  CmpOp op = CmpOp::kEq;  // kCompare
  Expr lhs;               // kCompare; kMember element (when it is a test); kTextTest first
  Expr rhs;               // kCompare; kAssign value; kAggregate value; kTextTest second
  VarSlot target = kNoSlot;  // kAssign, kMember (generator), kAggregate result
  std::vector<Value> set;    // kMember
  bool negated = false;      // kMember: `not in`
  TextTest text_test = TextTest::kContains;
  AggregateFn aggregate = AggregateFn::kCount;
  std::uint32_t function = 0;  // kCall: index in ProgramSpec::functions
  std::vector<Expr> inputs;    // kCall: the input values (bound before the call);
                               // its outputs are `pattern.args` (pattern.relation unused)
};

enum class ActionKind : std::uint8_t { kAssert, kRetract, kRetractFact, kModify, kPrint, kHalt, kCall };

struct PrintPart {
  std::string text;     // literal text (used when slot == kNoSlot)
  VarSlot slot = kNoSlot;
  Expr expr;            // a whole argument that is not a template string
  bool is_expr = false;
};

struct ActionSpec {
  ActionKind kind = ActionKind::kHalt;
  RelationId relation = 0;      // kAssert, kRetract
  std::vector<Expr> args;       // kAssert, kRetract values
  double certainty = 1.0;       // kAssert
  VarSlot fact_slot = kNoSlot;  // kRetractFact, kModify
  std::vector<std::pair<std::size_t, Expr>> assignments;  // kModify: column -> value
  std::vector<PrintPart> print;  // kPrint
  std::uint32_t function = 0;    // kCall: a host action, index in ProgramSpec::functions
};

enum class RuleKind : std::uint8_t { kLogical, kProduction };

// The variables one rule may have (a frame of a match must fit in one chunk
// of the forward session's frame store).
inline constexpr std::size_t kMaxRuleSlots = 4096;

struct RuleSpec {
  std::string name;       // production: its name; logical: "head/arity#n"
  std::string location;   // "file:line:col", for explanations and traces
  RuleKind kind = RuleKind::kLogical;
  std::int64_t salience = 0;
  std::vector<Condition> conditions;
  std::uint16_t slot_count = 0;
  std::vector<std::string> slot_names;  // for traces and explanations
  // kLogical: the head.
  RelationId head_relation = 0;
  std::vector<Expr> head_args;
  double certainty = 1.0;  // the rule's cf
  // kProduction: the actions.
  std::vector<ActionSpec> actions;
  // kProduction: when lowering joined the fact patterns in another order than
  // written (control patterns last), the written position of each pattern in
  // join order; empty when they are in written order. Traces, the agenda's
  // `mea` and explanations list matched facts as written.
  std::vector<std::uint16_t> pattern_source_order;
  bool auxiliary = false;  // made by lowering for a conjunction under not/exists/aggregate
  bool for_query = false;  // a query's rule (or one of its auxiliaries): backward only
};

enum class Strategy : std::uint8_t { kDepth, kBreadth, kLex, kMea, kSimplicity, kComplexity, kRandom };
std::string_view StrategyName(Strategy s);
bool ParseStrategy(std::string_view text, Strategy* out);

struct RelationSpec {
  std::string name;
  std::vector<Column> columns;
  bool auxiliary = false;
};

struct FactSpec {
  RelationId relation = 0;
  std::vector<Value> values;
  double certainty = 1.0;
};

// ask REL(args) "question {Var}" kind.  The user is asked for a goal of this
// relation when nothing else gives it. yes_no answers the whole atom; one_of and
// number bind the last argument (the other arguments are the question's key).
enum class AskKind : std::uint8_t { kYesNo, kOneOf, kNumber };

struct AskSpec {
  RelationId relation = 0;
  std::string question;                 // with {Var} placeholders
  std::vector<std::string> arg_names;   // the declared atom's variable per argument ("" if none)
  AskKind kind = AskKind::kYesNo;
  std::vector<Value> choices;           // kOneOf
  std::optional<double> min, max;       // kNumber
  std::string location;
  // Arguments that identify the question: all for yes_no, all but the last otherwise.
  std::size_t key_arity(std::size_t arity) const { return kind == AskKind::kYesNo ? arity : arity - 1; }
};

// neural REL(inputs) -> out in {labels} using model[@version] [top K] [threshold T].
// The relation's last column is the label; the others are the model's inputs.
struct NeuralSpec {
  RelationId relation = 0;
  std::string name;                      // the relation's, for messages
  std::vector<std::string> input_names;  // its input columns'
  std::vector<ColumnType> input_types;
  std::string model;
  std::optional<std::int64_t> version;  // none: the latest
  std::vector<Value> labels;
  std::optional<std::int64_t> top_k;
  std::optional<double> threshold;
  std::string location;
};

// A predicate or an action whose code the host supplies (a Lua function of a
// pack), called through HostFunctions (engine/host_function.h). A predicate
// with no outputs is a test; with outputs it yields rows of them.
struct HostFunctionSpec {
  std::string name;
  std::vector<Column> inputs;
  std::vector<Column> outputs;
  bool action = false;
  std::string location;
};

struct ProgramSpec {
  std::vector<RelationSpec> relations;  // index = RelationId
  std::vector<HostFunctionSpec> functions;
  std::vector<FactSpec> facts;
  std::vector<RuleSpec> rules;
  std::vector<AskSpec> asks;
  std::vector<NeuralSpec> neurals;
  // `?- goals.` in the source: each is the logical rule `$queryN(Vars) :- goals`
  // over the query's named variables (its rule is in `rules`, marked auxiliary).
  struct QuerySpec {
    RelationId relation = 0;
    std::string text;  // the goals as written, for messages
    std::string location;
  };
  std::vector<QuerySpec> queries;
  Semantics semantics = Semantics::kMycin;
  Strategy strategy = Strategy::kDepth;
  double threshold = 0.0;
  std::uint64_t seed = 0;

  std::optional<RelationId> FindRelation(std::string_view name) const;
};

// The strongly connected components of the dependency graph of logical rules
// (head depends on every relation in its body, under negation and aggregates
// too), by RelationId. Two relations share a component exactly when each is
// reachable from the other; a relation alone in its component is recursive only
// if a rule for it mentions it directly.
std::vector<std::uint32_t> RelationComponents(const ProgramSpec& program);

// Declares the program's relations in `memory` in RelationId order (so ids
// agree) and asserts the facts written in the program. Relations the memory
// already has must have the same columns.
Status LoadProgram(const ProgramSpec& program, WorkingMemory& memory);

}  // namespace syllo::engine

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
};

enum class ActionKind : std::uint8_t { kAssert, kRetract, kRetractFact, kModify, kPrint, kHalt };

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
};

enum class RuleKind : std::uint8_t { kLogical, kProduction };

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
  bool auxiliary = false;  // made by lowering for a conjunction under not/exists/aggregate
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

struct ProgramSpec {
  std::vector<RelationSpec> relations;  // index = RelationId
  std::vector<FactSpec> facts;
  std::vector<RuleSpec> rules;
  Semantics semantics = Semantics::kMycin;
  Strategy strategy = Strategy::kDepth;
  double threshold = 0.0;
  std::uint64_t seed = 0;

  std::optional<RelationId> FindRelation(std::string_view name) const;
};

}  // namespace syllo::engine

// ReteNetwork: the compiled, immutable form of a program's rules for forward
// chaining. Alpha nodes test one fact (constants, repeated variables); beta
// nodes join, negate, test existence, aggregate, filter and generate; terminal
// nodes feed the agenda (production rules) or conclude heads with logical
// support (logical rules). Alpha nodes, and beta nodes with the same parent and
// the same test, are shared between rules. A session holds all the memories.
//
// Frames: every token carries the values of the variables bound so far. Slots
// are numbered in binding order (rules/lower guarantees it), so a node's frame
// is slots [0, frame_size).
//
// Thread safety: immutable after Compile(); share it across sessions and threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/program.h"

namespace syllo::engine {

using NodeId = std::uint32_t;
inline constexpr NodeId kNoNode = UINT32_MAX;


enum class BetaKind : std::uint8_t {
  kRoot,       // holds the one empty token
  kJoin,       // parent token x alpha fact, on equal keys; binds new slots
  kNegative,   // parent token passes while no alpha fact matches
  kExists,     // parent token passes while some alpha fact matches
  kAggregate,  // parent token extended with the aggregate over matching alpha facts
  kFilter,     // parent token passes the steps (tests and assignments)
  kGenerate,   // parent token extended with each element of a set
  kCall,       // parent token extended with each row a host predicate yields
  kTerminal,   // a complete match of a rule
};

// A test or an assignment evaluated on a new token's frame.
struct Step {
  ConditionKind kind = ConditionKind::kCompare;  // kCompare, kAssign, kMember (test), kTextTest
  CmpOp op = CmpOp::kEq;
  Expr lhs, rhs;
  VarSlot target = kNoSlot;
  std::vector<Value> set;
  bool negated = false;
  TextTest text_test = TextTest::kContains;
  // kCall: a host predicate without outputs (a test), run inside the join
  // like a comparison, so a failing pair makes no token.
  std::uint32_t function = 0;
  std::vector<Expr> inputs;
};

// How one output of a host predicate meets the token's frame.
struct CallOutput {
  enum class Kind : std::uint8_t { kBind, kCheck, kConst, kIgnore } kind = Kind::kIgnore;
  VarSlot slot = kNoSlot;
  Value constant;
};

struct AlphaNode {
  RelationId relation = 0;
  std::vector<std::pair<std::uint16_t, Value>> constants;          // column == value
  std::vector<std::pair<std::uint16_t, std::uint16_t>> equalities;  // column == column
  // Tests that read only this fact's columns (`edge(A, B), A < B`), run on a
  // frame filled from the fact: fewer facts reach the joins.
  std::vector<Step> tests;
  std::vector<std::pair<std::uint16_t, VarSlot>> test_binds;  // column -> slot of the test frame
  std::uint16_t test_frame_size = 0;
  std::string test_key;  // for sharing
  std::vector<NodeId> successors;  // beta nodes with this as right input
};

struct BetaNode {
  BetaKind kind = BetaKind::kRoot;
  NodeId parent = kNoNode;
  std::vector<NodeId> children;
  std::uint16_t frame_size = 0;  // slots bound after this node

  // kJoin, kNegative, kExists, kAggregate: the right input and the hash key.
  std::uint32_t alpha = 0;
  std::vector<VarSlot> left_key;           // slots of the parent frame ...
  std::vector<std::uint16_t> right_key;    // ... equal to these columns of the fact
  std::vector<std::pair<std::uint16_t, VarSlot>> binds;  // kJoin: column -> new slot
  VarSlot certainty_slot = kNoSlot;        // kJoin: `@ C`
  VarSlot fact_slot = kNoSlot;             // kJoin: `as F`
  // kJoin, kFilter: tests and assignments on the new frame, in order.
  std::vector<Step> steps;
  // kAggregate
  AggregateFn aggregate = AggregateFn::kCount;
  Expr aggregate_value;                     // evaluated on a frame of the fact's columns (see value_binds)
  std::vector<std::pair<std::uint16_t, VarSlot>> value_binds;  // fact column -> slot in a scratch frame
  std::uint16_t value_frame_size = 0;
  VarSlot target = kNoSlot;                 // kAggregate, kGenerate
  std::vector<Value> set;                   // kGenerate
  // kCall
  std::uint32_t function = 0;
  std::vector<Expr> call_inputs;
  std::vector<CallOutput> call_outputs;
  // kTerminal
  std::uint32_t rule = 0;

  bool needs_left_memory() const {
    return kind == BetaKind::kJoin || kind == BetaKind::kNegative || kind == BetaKind::kExists ||
           kind == BetaKind::kAggregate;
  }
};

class ReteNetwork {
 public:
  // Compiles the rules of `program`. The program must outlive the network.
  static std::shared_ptr<const ReteNetwork> Compile(std::shared_ptr<const ProgramSpec> program);

  const ProgramSpec& program() const { return *program_; }
  const std::vector<AlphaNode>& alphas() const { return alphas_; }
  const std::vector<BetaNode>& betas() const { return betas_; }
  // Alpha nodes over each relation, by RelationId.
  const std::vector<std::vector<std::uint32_t>>& alphas_by_relation() const { return alphas_by_relation_; }
  NodeId root() const { return 0; }
  // Which relations are defined recursively (their logical rules depend on
  // themselves): retracting support there needs delete-and-rederive.
  bool recursive(RelationId r) const { return recursive_[r]; }
  // The relation's rank in the logical rules' dependency order: 0 for a
  // relation no logical rule concludes, and above every relation its rules
  // read (a recursive cycle shares one rank). A session propagates new facts
  // lowest rank first, so a rule that aggregates or negates a relation sees it
  // complete instead of concluding (and retracting) one answer per fact.
  std::uint32_t rank(RelationId r) const { return rank_[r]; }
  std::uint32_t max_rank() const { return max_rank_; }
  // Number of beta nodes shared by more than one rule (for tests and --watch).
  std::size_t shared_nodes() const { return shared_nodes_; }
  std::string Describe() const;

 private:
  std::uint32_t AddAlpha(const Pattern& pattern, std::vector<std::pair<std::uint16_t, std::uint16_t>> equalities,
                         std::vector<Step> tests = {},
                         std::vector<std::pair<std::uint16_t, VarSlot>> test_binds = {});
  NodeId AddBeta(BetaNode node, const std::string& key);

  std::shared_ptr<const ProgramSpec> program_;
  std::vector<AlphaNode> alphas_;
  std::vector<BetaNode> betas_;
  std::vector<std::string> beta_keys_;
  std::vector<std::vector<std::uint32_t>> alphas_by_relation_;
  std::vector<bool> recursive_;
  std::vector<std::uint32_t> rank_;
  std::uint32_t max_rank_ = 0;
  std::size_t shared_nodes_ = 0;
};

}  // namespace syllo::engine

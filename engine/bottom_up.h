// Bottom-up evaluation: a program's logical rules concluded once, to their
// fixpoint, over the facts a session was given. That is what a decision
// service does per request (assert the applicant, run, read the decision),
// and for it the Rete session's tokens, memories and support lists are work
// that nothing reads: no fact will be added or retracted afterwards.
//
// The evaluator walks the compiled Rete network itself as nested loops, one
// rank of the logical rules' dependency order at a time: when it reaches a
// rank, every relation a `not`, `exists` or aggregate of that rank reads is
// complete. Joins read the relation's facts (through a hash index on the join
// columns once a relation is large), so a match is decided by the same alpha
// tests, join keys and steps as in the Rete session, and certainties by the
// same semantics. Its conclusions are the Rete session's, and so is their
// count. What it does not keep is any state to update them with, or their
// justifications: a session that goes on after its run (asserts, retracts,
// queries, explains) hands its facts to a ForwardSession (syllo::Session
// does that), which derives the same conclusions again with their supports.
//
// It takes programs whose rules are all logical (no production rule, host
// call or neural relation), under a semantics whose evidence folds exactly
// (boolean or fuzzy), with no `not`, `exists` or aggregate inside a
// recursive cycle, and no rule whose body starts with anything but a fact or
// an aggregate (the Rete session concludes those when a session starts); a
// recursive cycle (boolean only) is iterated until nothing changes. It gives
// up, leaving the work to the Rete session, when a run limit would be
// reached, when the work outgrows a small budget (large fact sets, where the
// Rete session's memories pay off), or when a conclusion raises the
// certainty of a fact of a recursive cycle (given below 1: the Rete session
// redoes the matches it had made with it, and counts them again).
//
// Thread safety: a plan is immutable and shared; a session is not.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/certainty.h"
#include "engine/forward_session.h"
#include "engine/rete_network.h"
#include "engine/working_memory.h"
#include "syllo/status.h"

namespace syllo::engine {

class BottomUpPlan {
 public:
  // The plan for the network's program; null, with the reason in `why_not`,
  // when it needs the Rete session.
  static std::shared_ptr<const BottomUpPlan> Make(std::shared_ptr<const ReteNetwork> network, std::string* why_not);

  const ReteNetwork& network() const { return *network_; }
  const ProgramSpec& program() const { return network_->program(); }

 private:
  friend class BottomUpSession;
  BottomUpPlan() = default;

  // How a join finds its facts in a large relation: an index on the key
  // columns, in column order, with the frame slot each is read from.
  struct JoinLookup {
    bool usable = false;
    ColumnMask mask = 0;
    std::vector<VarSlot> slots;  // by set bit of mask, in column order
  };

  // An alpha node's tests read straight off the fact's row, when each is a
  // comparison of a column with a constant or another column, or a
  // column's membership in a set (most are): no test frame, no call.
  struct ColumnTest {
    // kIdentical, kSameAs: the alpha node's constants and repeated columns
    // (identity, as AlphaPasses); the others its tests (Compare).
    enum class Kind : std::uint8_t { kIdentical, kSameAs, kWithConstant, kWithColumn, kMember } kind = Kind::kWithConstant;
    // A comparison with an int or a (non-NaN) float constant, as the column
    // holds it: one load and one compare, `constant op column` turned round.
    // A value of another kind, or a NaN, takes the general path (kGeneral).
    enum class Typed : std::uint8_t {
      kGeneral, kIntLt, kIntLe, kIntGt, kIntGe, kIntEq, kIntNe, kFloatLt, kFloatLe, kFloatGt, kFloatGe,
    } typed = Typed::kGeneral;
    CmpOp op = CmpOp::kEq;
    bool constant_first = false;  // kWithConstant: `constant op column`
    bool negated = false;         // kMember: `not in`
    std::uint16_t column = 0, other = 0;
    Value constant;
    const std::vector<Value>* set = nullptr;
  };
  struct AlphaTests {
    bool direct = false;  // false: run AlphaPasses
    std::vector<ColumnTest> tests;
  };
  static ColumnTest::Typed TypedCompare(const ColumnTest& t);
  static AlphaTests CompileAlphaTests(const AlphaNode& alpha, const RelationSpec& relation);

  std::shared_ptr<const ReteNetwork> network_;
  std::vector<AlphaTests> alpha_tests_;  // by alpha node
  // The ranks that conclude something, ascending; and by rank, whether it is
  // a recursive cycle, and which beta nodes lead to a terminal of a rule
  // concluding at it (one bit per node).
  std::vector<std::uint32_t> ranks_;
  std::vector<std::uint8_t> recursive_rank_;
  // By rank: the children of each beta node that lead to a terminal of a
  // rule concluding at that rank (children_[rank][first_[rank][node] ..
  // first_[rank][node + 1])).
  std::vector<std::vector<std::uint32_t>> first_;
  std::vector<std::vector<NodeId>> children_;
  // A root join, packed: a decision tries dozens of them per fact and most
  // fail a test, so each names its tests in one array (root_tests_, in the
  // order the joins are tried) and the node is read only when they pass.
  struct RootJoin {
    NodeId node = 0;
    bool packed = false;  // false: the node's own tests (Matches)
    std::uint32_t tests_begin = 0, tests_end = 0;
    // A join whose only way on (on its rank) is its rule's conclusion, with
    // a head of constants and the fact's own columns that conforms by
    // construction: the head is read off the row (head_sources_[head_begin,
    // head_end)) and concluded at `terminal`, without a frame or a walk down
    // the nodes. Most rules of a decision are one fact and a few tests.
    NodeId terminal = kNoNode;
    std::uint32_t head_begin = 0, head_end = 0;
  };
  static constexpr std::uint16_t kNoColumn = UINT16_MAX;
  // One value of a direct head: the row's column, or the constant when
  // column is kNoColumn.
  struct HeadSource {
    std::uint16_t column = kNoColumn;
    Value constant;
  };
  std::vector<HeadSource> head_sources_;
  // By aggregate node: the fact's column its value is, when the value is a
  // variable the fact binds (sum(P : points(Id, _, P))): read off the row,
  // not evaluated on a frame. kNoColumn otherwise.
  std::vector<std::uint16_t> aggregate_column_;
  struct RootGroup {
    RelationId relation = 0;
    std::vector<RootJoin> joins;
  };
  std::vector<ColumnTest> root_tests_;
  // By rank: the root's children on its paths, the joins grouped by the
  // relation they read (each fact is read once for all of them).
  std::vector<std::vector<RootGroup>> root_groups_;
  std::vector<std::vector<NodeId>> root_others_;
  // Where each beta node's frame (and an aggregate's value frame) lives in
  // a session's frame buffer: nodes on one path never share storage.
  std::vector<std::uint32_t> frame_at_, value_frame_at_;
  std::size_t frame_buffer_size_ = 0;
  std::vector<JoinLookup> lookups_;  // by beta node
  // By terminal node: its head needs no Relation::Conform (every value a
  // constant or a join's column of the head column's type, or computed: then
  // checked as it comes, against the column's kind).
  std::vector<std::uint8_t> head_typed_;
  // The program's facts, by relation (indices into ProgramSpec::facts).
  std::vector<std::vector<std::uint32_t>> program_facts_;
};

class BottomUpSession {
 public:
  explicit BottomUpSession(std::shared_ptr<const BottomUpPlan> plan);

  // Back to a new session: the program's facts and nothing else (storage kept).
  void Reset();

  const BottomUpPlan& plan() const { return *plan_; }
  const WorkingMemory& memory() const { return memory_; }

  // Stores a fact as ForwardSession::AssertRow does (conformed in place, the
  // certainty checked; a fact already there stays as it was).
  Result<FactRef> Assert(RelationId relation, std::span<Value> row, double certainty, Origin origin);
  // The facts asserted since the reset, in order, with the certainty each
  // was given (a conclusion may have added to it), for a ForwardSession to
  // take over.
  struct Asserted {
    FactRef fact;
    double certainty = 1.0;
  };
  const std::vector<Asserted>& asserted() const { return asserted_; }
  // A buffer for the caller to convert a row into before Assert: kept with
  // the session (sessions are pooled), so a decision's assert allocates
  // nothing. The session itself never reads or writes it.
  std::vector<Value>& row_buffer() { return row_buffer_; }

  enum class Outcome { kConcluded, kGaveUp };
  // Concludes everything, counting the derivations (complete matches of
  // logical rules) into *derivations. kGaveUp when `limits` would stop the
  // run or the budget is spent: the session's conclusions are then partial,
  // and the caller runs the Rete session instead.
  Outcome Evaluate(const RunLimits& limits, std::uint64_t* derivations);

  // By rule: whether it concluded a fact that nothing asserted.
  const std::vector<std::uint8_t>& concluded() const { return concluded_; }

  // Work units (facts looked at, nodes entered) one evaluation may take.
  static constexpr std::uint64_t kWorkBudget = 1 << 16;

 private:
  using Clock = std::chrono::steady_clock;

  void Touch(RelationId relation) {
    if (touched_[relation]) return;
    touched_[relation] = 1;
    touched_list_.push_back(relation);
  }
  // Enters the node's children on the current rank's paths, given its frame.
  void Children(NodeId node, const Value* frame, double cf) {
    for (std::uint32_t i = (*first_)[node], end = (*first_)[node + 1]; i < end && !gave_up_; ++i) {
      Enter((*children_)[i], frame, cf);
    }
  }
  void Enter(NodeId node, const Value* parent_frame, double cf);
  void Join(NodeId node, const Value* parent_frame, double cf);
  // One fact of a join's relation, counted: its tests, keys and bindings,
  // then the node's children.
  void JoinFact(NodeId node, const BetaNode& n, const Value* parent_frame, double cf, const Relation& rel, FactId id);
  // The rest of JoinFact once the fact's row has matched.
  void JoinMatched(NodeId node, const BetaNode& n, const Value* parent_frame, double cf, const Relation& rel, FactId id,
                   std::span<const Value> row);
  void RootJoins(const std::vector<BottomUpPlan::RootGroup>& groups);
  void Aggregate(NodeId node, const Value* parent_frame, double cf);
  bool AnyMatch(NodeId node, const Value* parent_frame);
  // AlphaPasses, read straight off the row when the plan could compile it.
  bool Passes(std::uint32_t alpha, std::span<const Value> row) const;
  // Whether the row passes each compiled test of [begin, end).
  static bool PassesTests(const BottomUpPlan::ColumnTest* begin, const BottomUpPlan::ColumnTest* end,
                          std::span<const Value> row);
  // Whether a fact's row passes the node's alpha tests and join keys.
  bool Matches(const BetaNode& n, const Value* parent_frame, std::span<const Value> row) const;
  // Calls f(row) for each counted fact that matches the node under the
  // parent frame, until f returns false.
  template <typename F>
  void ForEachMatch(NodeId node, const Value* parent_frame, F&& f);
  void Conclude(NodeId node, const Value* frame, double cf);
  // Conclude's second half: head_row_ holds the head's values.
  void ConcludeHead(NodeId node, bool conform, double cf);
  // The candidate facts of a join, negation, exists or aggregate: every id
  // of the relation when it is small (ids[k] = k), else the ids an index
  // lookup gives (copied: a deeper node may look up the same relation).
  struct Candidates {
    const FactId* ids = nullptr;  // null: every id below count
    FactId count = 0;
    FactId operator[](FactId k) const { return ids == nullptr ? k : ids[k]; }
  };
  Candidates Find(NodeId node, const Value* parent_frame, const Relation& rel) {
    // Ids as of now: in a recursive pass, facts this join concludes are met
    // by the next pass.
    if (rel.size() <= kScanLimit || !plan_->lookups_[node].usable) return {nullptr, rel.capacity()};
    return Lookup(node, parent_frame, rel);
  }
  Candidates Lookup(NodeId node, const Value* parent_frame, const Relation& rel);
  // Below this many facts a relation is scanned: cheaper than hashing a key.
  static constexpr std::size_t kScanLimit = 16;
  bool Counts(const Relation& rel, FactId id) const {
    return rel.alive(id) && engine::Counts(semantics_, threshold_, rel.certainty(id));
  }
  // Spends work; false once the evaluation gave up.
  bool Spend(std::uint64_t units) {
    work_ += units;
    if (work_ >= next_check_) CheckBudget();
    return !gave_up_;
  }
  void CheckBudget();

  std::shared_ptr<const BottomUpPlan> plan_;
  const CertaintySemantics& semantics_;
  // Boolean semantics (a decision table): every conjunction and conclusion
  // is 1, known here without the virtual calls, a few on every match.
  const bool boolean_;
  const double threshold_;
  WorkingMemory memory_;
  std::vector<std::uint8_t> touched_;  // by relation: changed since the reset
  std::vector<RelationId> touched_list_;
  std::vector<Asserted> asserted_;
  std::vector<std::uint8_t> concluded_;
  std::vector<Value> frames_;
  std::vector<std::vector<FactId>> candidates_;  // by beta node
  std::vector<Value> head_row_;
  std::vector<Value> row_buffer_;
  std::size_t live_facts_ = 0;

  // One evaluation's state.
  const std::vector<std::uint32_t>* first_ = nullptr;
  const std::vector<NodeId>* children_ = nullptr;
  const RunLimits* limits_ = nullptr;
  Clock::time_point deadline_;
  std::uint64_t work_ = 0, next_check_ = 0;
  std::uint64_t pass_derivations_ = 0;
  bool changed_ = false;
  bool recursive_now_ = false;  // the rank under way is a recursive cycle
  bool gave_up_ = false;
};

}  // namespace syllo::engine

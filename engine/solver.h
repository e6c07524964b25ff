// Solver: backward chaining over the program's logical rules, with tabling.
//
// A goal is a relation and a call pattern (a value per argument, kNone where the
// argument is free). The solver resolves it against the working memory, external
// relations (knowledge-base tables left in SQLite), rules, `ask` declarations
// (through an Asker) and `neural` declarations (through NeuralPredicates).
//
// Every call to a derived relation is tabled (SLG style): the first call of a
// variant creates its table and schedules its rules; later calls of the same
// variant consume its answers instead of re-deriving them, so left recursion and
// cyclic data terminate with complete answers. Work is a stack of resumable
// choice points, so answers come out one at a time: under boolean semantics the
// first answer is returned as soon as it is found. Under a semantics with
// certainties an answer's certainty is only final once every proof is in, so a
// call to a relation of a lower stratum completes that relation's table first
// (its certainties are then final and the threshold can prune: a premise whose
// certainty does not pass it fails its rule before later premises, questions
// included, are tried). Negation, `exists` and aggregates always complete the
// table they read (the program is stratified).
//
// Thread safety: none; one solver per session. The working memory must not
// change while a query is open: call Reset() after changing it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/certainty.h"
#include "engine/consultation.h"
#include "engine/external_relation.h"
#include "engine/host_function.h"
#include "engine/neural_predicate.h"
#include "engine/program.h"
#include "engine/working_memory.h"
#include "syllo/status.h"

namespace syllo::engine {

struct SolverOptions {
  Asker* asker = nullptr;              // null: askable goals with no facts fail
  NeuralPredicates* neural = nullptr;  // null: a neural goal is an error
  HostFunctions* host = nullptr;       // null: a call of a host predicate is an error
  // By RelationId: relations whose facts stay outside the working memory.
  std::vector<ExternalRelation*> external;
  // Called for every reply the user gives, with the fact that records it
  // (origin user), so the caller can keep it (working memory, knowledge base).
  std::function<void(RelationId, std::span<const Value> row, double certainty)> on_user_answer;
  // Questions answered `unknown` that no fact records (one_of and number
  // questions): told to the caller, and asked of it before a question, so a
  // session spanning several solvers asks each question once.
  std::function<void(RelationId, std::span<const Value> key)> on_unknown;
  std::function<bool(RelationId, std::span<const Value> key)> answered_unknown;
  // When set, solving past this time stops with kLimitExceeded. The caller
  // owns the time point and may move it between calls.
  const std::chrono::steady_clock::time_point* deadline = nullptr;
};

// A relation and a tuple of values (kNone where free): a goal, as a hash key.
struct GoalKey {
  RelationId relation = 0;
  std::vector<Value> values;
  friend bool operator==(const GoalKey&, const GoalKey&) = default;
};
struct GoalKeyHash {
  std::size_t operator()(const GoalKey& k) const {
    std::uint64_t h = k.relation;
    for (const Value& v : k.values) h = HashCombine(h, v.Hash());
    return static_cast<std::size_t>(h);
  }
};

// Where an answer came from, for explanations.
struct Provenance {
  Origin origin = Origin::kAsserted;
  std::string model;         // kModel
  std::int64_t version = 0;  // kModel
};

struct Answer {
  std::vector<Value> row;
  double certainty = 1.0;
  Provenance provenance;
};

// One level of the goal stack behind the current question (for `why`): the
// goal, and the rule being tried for it with its bindings so far.
struct GoalStackEntry {
  RelationId relation = 0;
  std::vector<Value> call;      // kNone where free
  std::uint32_t rule = UINT32_MAX;  // UINT32_MAX: the user's query itself
  std::uint16_t condition = 0;  // the condition being worked on
  std::vector<Value> frame;     // the rule's bindings (kNone where unbound)
};

// Explanations run one rule's body for a given head and watch it.
using ProofCallback = std::function<void(std::span<const Value> frame, double body_certainty)>;
struct ProbeProgress {
  bool head_matches = true;   // false: the rule's head cannot conclude this goal
  std::uint16_t deepest = 0;  // the first condition that no branch got past
  std::vector<Value> frame;   // the bindings when a branch last reached it
};

struct SolverStats {
  std::uint64_t tables = 0;
  std::uint64_t answers = 0;    // stored in tables
  std::uint64_t steps = 0;      // choice points resumed
  std::uint64_t questions = 0;  // asked of the user
};

class Solver {
 public:
  Solver(std::shared_ptr<const ProgramSpec> program, const WorkingMemory& memory, SolverOptions options = {});
  ~Solver();
  Solver(const Solver&) = delete;
  Solver& operator=(const Solver&) = delete;

  const ProgramSpec& program() const { return *program_; }
  const WorkingMemory& memory() const { return memory_; }

  // Opens a query (closing the previous one). `call` has one value per column,
  // kNone where free. Tables completed by earlier queries are reused.
  Status Open(RelationId relation, std::vector<Value> call);
  // The next answer of the open query; false when there are no more. Errors:
  // kCancelled (interrupted, or the user stopped at a question), kIoError (an
  // external relation), a neural predicate's error.
  Result<bool> Next(Answer* out);

  // Solves a goal completely and returns every answer (for explanations and
  // aggregates over a whole relation). Does not disturb the open query.
  Result<std::vector<Answer>> SolveAll(RelationId relation, std::span<const Value> call);

  // Runs rule `rule` (a logical rule) with its head bound to `head` and calls
  // `on_proof` for every complete match of its body, with the frame (one value
  // per slot) and the body's certainty. `progress` (optional) records how far
  // the body got, for `whynot`.
  Status Probe(std::uint32_t rule, std::span<const Value> head, const ProofCallback& on_proof,
               ProbeProgress* progress = nullptr);

  // Whether an answer counts as true: its certainty supports a conclusion under
  // the semantics and passes the program's threshold.
  bool Counts(double certainty) const;

  // The goal stack of the question being asked, outermost (the query) first.
  std::vector<GoalStackEntry> GoalStack() const;
  // The replies given in this consultation, in order.
  struct Asked {
    Question question;
    Reply reply;
  };
  const std::vector<Asked>& asked() const { return asked_; }

  // Drops every table and open query (after the working memory changed). The
  // replies of the consultation are kept unless `forget_replies`.
  void Reset(bool forget_replies = false);
  // Makes a running Next() stop with kCancelled at its next step (signal-safe).
  void Interrupt() { interrupt_.store(true, std::memory_order_relaxed); }

  SolverStats stats() const;

 private:
  class Machine;
  std::shared_ptr<const ProgramSpec> program_;
  const WorkingMemory& memory_;
  SolverOptions options_;
  std::unique_ptr<Machine> machine_;
  std::vector<Asked> asked_;
  std::atomic<bool> interrupt_{false};
  friend class Machine;
};

}  // namespace syllo::engine

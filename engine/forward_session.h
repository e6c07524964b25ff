// ForwardSession: forward chaining over a compiled ReteNetwork. Holds the
// working memory, the Rete memories (tokens, left and right hash indices), the
// agenda of production-rule activations, and the logical support of derived
// facts (truth maintenance).
//
// Facts asserted or retracted are queued and propagated by Settle() or Run();
// logical rules conclude their heads during propagation (no agenda: they have no
// side effects), production rules fire from the agenda one at a time.
//
// Truth maintenance: a derived fact lists its supports (complete matches of
// logical rules). It goes when its last support goes. In a recursive relation a
// fact can support itself through a cycle, so there a lost support triggers
// delete-and-rederive: the fact leaves the network with everything that
// depended on it, then comes back if a support remains that does not depend on
// it. Certainties combine over the supports under the program's semantics.
//
// Thread safety: none. One session per thread; many sessions may share one
// network.
#pragma once

#include <atomic>
#include <cassert>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iosfwd>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/agenda.h"
#include "engine/hash_memory.h"
#include "engine/host_function.h"
#include "engine/neural_predicate.h"
#include "engine/rete_network.h"
#include "engine/row_set.h"
#include "engine/working_memory.h"
#include "syllo/status.h"

namespace syllo::engine {

struct FactRef {
  RelationId relation = 0;
  FactId id = kNoFact;
  friend bool operator==(const FactRef&, const FactRef&) = default;
};

struct RunLimits {
  std::uint64_t max_firings = 0;  // 0: no limit
  double timeout_seconds = 0;     // 0: no limit
  std::size_t max_facts = 0;      // 0: no limit
};

enum class StopReason { kAgendaEmpty, kHalted, kFiringLimit, kTimeLimit, kFactLimit, kInterrupted, kError };

struct RunResult {
  StopReason reason = StopReason::kAgendaEmpty;
  std::uint64_t firings = 0;      // production-rule firings in this run
  std::uint64_t derivations = 0;  // logical-rule conclusions in this run
  std::string message;            // says which limit or what error
};

// One way a fact was concluded: the rule and the facts its body matched, in
// condition order, and the certainty this derivation gives.
// Which model version produced a neural fact.
struct PredictionSource {
  std::string model;
  std::int64_t version = 0;
};

struct Justification {
  std::uint32_t rule = 0;
  double certainty = 1.0;
  std::vector<FactRef> facts;
};

// Watches what a session does (`--watch`); every callback is optional.
class ForwardObserver {
 public:
  virtual ~ForwardObserver() = default;
  virtual void OnFactAdded(FactRef) {}
  virtual void OnFactRemoved(FactRef) {}
  virtual void OnActivation(std::uint32_t /*rule*/, std::uint32_t /*token*/, bool /*added*/) {}
  virtual void OnFire(std::uint32_t /*rule*/, const std::vector<FactRef>& /*facts*/) {}
};

class ForwardSession {
 public:
  explicit ForwardSession(std::shared_ptr<const ReteNetwork> network);
  ~ForwardSession();
  ForwardSession(const ForwardSession&) = delete;
  ForwardSession& operator=(const ForwardSession&) = delete;

  // Back to the state of a new session on the same network (no facts, no
  // tokens, an empty agenda, counters at zero; the output, host, observer and
  // neural settings stay), keeping the storage: a decision service reuses a
  // session per request instead of building one.
  void Reset();

  const ProgramSpec& program() const { return network_->program(); }
  const ReteNetwork& network() const { return *network_; }
  const WorkingMemory& memory() const { return memory_; }

  // Queues the facts written in the program.
  Status AssertProgramFacts();
  // Queues a fact. Values are checked against the declaration (ints widen to
  // floats); the error names the relation and column.
  Result<FactRef> Assert(RelationId relation, std::vector<Value> row, double certainty = 1.0,
                         Origin origin = Origin::kAsserted);
  Result<FactRef> Assert(std::string_view relation, std::vector<Value> row, double certainty = 1.0,
                         Origin origin = Origin::kAsserted);
  // The same on a row the session may conform in place (no copy).
  Result<FactRef> AssertRow(RelationId relation, std::span<Value> row, double certainty = 1.0,
                            Origin origin = Origin::kAsserted);
  // Queues the removal of a live fact; false if it is not live.
  bool Retract(FactRef fact);

  // Propagates everything queued (no limits).
  void Settle();
  // Propagates, then fires activations until the agenda is empty, a `halt`,
  // or a limit. Stopping at a limit leaves a consistent state: Run again goes on.
  RunResult Run(const RunLimits& limits = {});
  // Asks a running Run() to stop at the next safe point (from a signal handler
  // or another thread).
  void Interrupt() { interrupt_.store(true, std::memory_order_relaxed); }

  void set_output(std::ostream* out) { out_ = out; }
  // Where host predicates and actions (a Lua pack's functions) run. Without
  // one, a rule that calls one stops the run with an error.
  void set_host(HostFunctions* host) { host_ = host; }
  void set_observer(ForwardObserver* observer) { observer_ = observer; }
  // Where the facts of neural relations come from. A rule that joins a neural
  // relation asks for the model's answer on the inputs its match binds; the
  // session gathers every such input of a cycle (until the queue is empty) and
  // asks for all of them in one PredictBatch, then asserts the kept labels with
  // their probabilities as certainties (origin model). Without one, such a
  // rule stops the run with an error.
  void set_neural(NeuralPredicates* neural) { neural_ = neural; }
  // The model (name@version) that produced a fact; null for any other fact.
  const PredictionSource* prediction_source(FactRef f) const;
  // Model calls so far: batches asked for, and the inputs in them.
  std::uint64_t model_batches() const { return model_batches_; }
  std::uint64_t model_inputs() const { return model_inputs_; }

  bool alive(FactRef f) const { return memory_.at(f.relation).alive(f.id); }
  double certainty(FactRef f) const { return memory_.at(f.relation).certainty(f.id); }
  std::vector<Justification> Justifications(FactRef fact) const;
  std::uint64_t time_tag(FactRef f) const { return meta_[f.relation][f.id].time; }
  const Agenda& agenda() const { return agenda_; }
  // The facts a pending activation matched.
  std::vector<FactRef> ActivationFacts(ActivationId id) const;
  std::string FormatFact(FactRef f) const;
  std::size_t live_facts() const { return live_facts_; }
  std::size_t token_count() const { return tokens_.size() - free_tokens_.size(); }
  std::uint64_t total_firings() const { return total_firings_; }

 private:
  static constexpr std::uint32_t kNil = UINT32_MAX;

  struct Token {
    std::uint32_t parent = kNil;
    NodeId node = 0;
    FactRef fact{0, kNoFact};  // the fact this level matched, if any
    std::uint32_t first_child = kNil, next_sibling = kNil, prev_sibling = kNil;
    std::uint32_t fact_next = kNil, fact_prev = kNil;  // tokens sharing `fact`
    std::uint32_t frame = 0;   // offset into the frame chunks; a terminal's is its parent's
    std::uint32_t aux = kNil;  // terminal: its support or activation
    std::uint32_t left_entry = kNil;  // its entry in the left memory of the node's first memory child
    double cf = 1.0;           // certainty of the match so far
  };

  // kDormant: stored (the working memory shows it) but out of the network,
  // because its certainty does not count (a "no" from the user, cf -1).
  enum class FactState : std::uint8_t { kPendingAdd, kInNetwork, kDormant, kOverdeleted, kGone };

  struct FactMeta {
    std::uint64_t time = 0;
    std::uint32_t token_head = kNil;
    std::uint32_t support_head = kNil;
    std::uint32_t support_count = 0;
    double base_cf = 1.0;  // the asserted certainty, when asserted
    bool asserted = false;
    bool retract_pending = false;  // a queued retraction; a new assert cancels it
    FactState state = FactState::kGone;
  };

  struct Support {
    std::uint32_t token = kNil;
    FactRef head;
    std::uint32_t next = kNil, prev = kNil;
    double cf = 1.0;
  };

  enum class OpKind : std::uint8_t { kAdd, kRemove, kRetract, kOverdelete, kRefresh };
  // 16 bytes, not 12: the queues' size() is then a shift, not a division,
  // on a path every fact takes.
  struct alignas(16) Op {
    OpKind kind;
    FactRef fact;
  };

  struct NodeMemory {
    HashMemory left;   // tokens by left key
    HashMemory right;  // facts by right key
    LargeVector<std::uint32_t> right_entry;  // by FactId: its entry in `right` (O(1) removal)
  };

  // Frames live in chunks so a pointer to one stays valid while others are made.
  Value* FramePtr(std::uint32_t offset) { return &frame_chunks_[offset >> kChunkBits][offset & kChunkMask]; }
  const Value* FramePtr(std::uint32_t offset) const {
    return &frame_chunks_[offset >> kChunkBits][offset & kChunkMask];
  }
  std::uint32_t AllocFrame(std::uint16_t size);
  void FreeFrame(std::uint32_t offset, std::uint16_t size);
  // 4096 values (64 KiB) a chunk: small enough that a session for one
  // decision is cheap to make, and a frame (at most kMaxRuleSlots) fits in one.
  static constexpr std::uint32_t kChunkBits = 12;
  static constexpr std::uint32_t kChunkMask = (1u << kChunkBits) - 1;
  static_assert(kChunkMask + 1 >= kMaxRuleSlots);

  // Store makes a fact's meta; every fact the session knows has one.
  FactMeta& NewMeta(FactRef f);
  FactMeta& Meta(FactRef f) {
    assert(f.id < meta_[f.relation].size() && "a stored fact has its meta");
    return meta_[f.relation][f.id];
  }
  std::pair<FactRef, bool> Store(RelationId relation, std::span<const Value> row, double cf, Origin origin);
  // Removals run before additions (delete-and-rederive needs the whole
  // deletion done before anything is derived again, or a deletion wave can
  // chase re-derivations round a cycle for ever).
  void Enqueue(OpKind kind, FactRef f) {
    if (kind != OpKind::kAdd) {
      removals_.push_back({kind, f});
      return;
    }
    const std::uint32_t rank = network_->rank(f.relation);
    additions_[rank].push_back({kind, f});
    if (rank < lowest_addition_) lowest_addition_ = rank;
  }
  // Drains the queue; false if a limit stopped it (the queue keeps the rest).
  bool Drain(const RunLimits* limits, RunResult* result);
  void Process(const Op& op);
  void PropagateAdd(FactRef f);
  // Calls f(node, right key) for every beta node fed by an alpha node `row` passes.
  template <typename F>
  void ForEachRightSuccessor(RelationId relation, std::span<const Value> row, F&& f) {
    for (std::uint32_t a : network_->alphas_by_relation()[relation]) {
      const AlphaNode& alpha = network_->alphas()[a];
      if (!AlphaPasses(alpha, row)) continue;
      for (NodeId node : alpha.successors) f(node, RightKey(network_->betas()[node], row));
    }
  }
  void RemoveFromNetwork(FactRef f);
  void EraseFact(FactRef f);
  void RecomputeCertainty(FactRef f, bool refresh_if_changed);

  bool AlphaPasses(const AlphaNode& alpha, std::span<const Value> row) const;
  std::uint64_t LeftKey(const BetaNode& node, const Value* frame) const;
  std::uint64_t RightKey(const BetaNode& node, std::span<const Value> row) const;
  bool KeysMatch(const BetaNode& node, const Value* frame, std::span<const Value> row) const;

  // Makes the root token and activates the root's children with it.
  void PlantRoot();
  std::uint32_t NewToken(NodeId node, std::uint32_t parent, FactRef fact, double cf);
  // Creates the token and activates the node's children with it.
  void EmitToken(NodeId node, std::uint32_t parent, FactRef fact, const Value* frame, double cf);
  void Activate(NodeId child, std::uint32_t token);
  void LeftActivate(NodeId node, std::uint32_t token);
  // Joins `token` with the facts of the join node's right memory under `key`
  // (the token's left key).
  void JoinRightMemory(NodeId node, std::uint32_t token, std::uint64_t key);
  void RightActivate(NodeId node, FactRef f, std::uint64_t key, bool added);
  // A fact added to or removed from the node's right input, for one left token it matches.
  void RightActivateToken(NodeId node, std::uint32_t token, FactRef f, bool added);
  void JoinOne(NodeId node, std::uint32_t token, FactRef f);
  void Reaggregate(NodeId node, std::uint32_t token);
  std::uint32_t ChildAt(std::uint32_t token, NodeId node) const;
  std::size_t CountMatches(NodeId node, std::uint32_t token);
  bool RunSteps(const std::vector<Step>& steps, std::span<Value> frame) const;
  // engine::RunSteps' host test: the session's TestHost.
  static bool HostTestThunk(const void* session, const Step& step, std::span<const Value> frame);
  void DeleteToken(std::uint32_t token);
  void OnTerminal(std::uint32_t token);
  void OnTerminalRemoved(std::uint32_t token);
  void AddSupport(RelationId relation, std::span<const Value> row, double cf, std::uint32_t token);
  void RemoveSupport(std::uint32_t support);
  std::vector<FactRef> TokenFacts(std::uint32_t token) const;

  // Executes a production rule's actions; false on an error (in result).
  bool Fire(ActivationId id, RunResult* result);
  std::string Interpolate(const PrintPart& part, std::span<const Value> frame) const;
  // Evaluates the inputs and calls host function `function`; false (with
  // host_error_ set on an error) when it cannot be called.
  bool CallHostFunction(std::uint32_t function, const std::vector<Expr>& inputs, std::span<const Value> frame,
                        HostRows* rows) const;
  void CallHost(NodeId node, std::uint32_t token);
  bool TestHost(const Step& step, std::span<const Value> frame) const;
  Status ActHost(const ActionSpec& act, const RuleSpec& rule, std::span<const Value> frame);
  class ActionSessionView;

  std::shared_ptr<const ReteNetwork> network_;
  const CertaintySemantics& semantics_;
  WorkingMemory memory_;
  std::vector<LargeVector<FactMeta>> meta_;  // [relation][fact]
  GrowableArray<Token> tokens_;
  std::uint32_t root_token_ = 0;  // the empty match every rule starts from
  std::vector<std::uint32_t> free_tokens_;
  // Chunks are malloc'ed, not value-initialised: a frame is always written
  // before it is read, and zeroing 64 KiB was most of a small session's start.
  // (Value is trivially copyable and destructible: an implicit-lifetime type.)
  // Past the first kSmallChunks, chunks come from large blocks, each twice the
  // last up to 64 MiB (the big ones on huge pages): a big join has millions
  // of frames.
  struct ChunkFree {
    void operator()(Value* p) const { std::free(p); }
  };
  using FrameChunk = std::unique_ptr<Value[], ChunkFree>;
  static constexpr std::size_t kSmallChunks = 64;  // x 64 KiB = kLargeBlockBytes
  void AddFrameChunk();
  std::vector<Value*> frame_chunks_;
  std::vector<FrameChunk> small_chunks_;   // owns frame_chunks_[0, kSmallChunks)
  std::vector<LargeBlock> frame_slabs_;    // own the rest
  Value* slab_next_ = nullptr;             // the next chunk of frame_slabs_.back()
  Value* slab_end_ = nullptr;              // and the end of that slab
  std::uint32_t frame_top_ = 0;
  std::vector<std::vector<std::uint32_t>> free_frames_;  // by size
  std::vector<NodeMemory> memories_;                     // by beta node
  EntryPool entries_;                                    // the items of every memory
  std::vector<NodeId> first_memory_child_;               // by beta node; kNoNode if none
  GrowableArray<Support> supports_;
  std::vector<std::uint32_t> free_supports_;
  // A first-in first-out queue on one vector: a firing queues a few ops and
  // drains them, so the storage is reused instead of a deque's blocks.
  class OpQueue {
   public:
    bool empty() const { return head_ == ops_.size(); }
    void clear() {
      ops_.clear();
      head_ = 0;
    }
    void push_back(Op op) { ops_.push_back(op); }
    Op pop_front() {
      Op op = ops_[head_++];
      if (head_ == ops_.size()) {
        ops_.clear();
        head_ = 0;
      } else if (head_ >= 4096 && head_ * 2 >= ops_.size()) {
        // A queue that never empties (a long derivation wave) drops what it
        // consumed, amortised O(1), so it holds only what is pending.
        ops_.erase(ops_.begin(), ops_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
      }
      return op;
    }

   private:
    std::vector<Op> ops_;
    std::size_t head_ = 0;
  };
  OpQueue removals_;
  // Additions by the rank of their relation (ReteNetwork::rank), lowest
  // first; lowest_addition_ is at most the lowest non-empty rank.
  std::vector<OpQueue> additions_;
  std::uint32_t lowest_addition_ = 0;
  // The lowest rank with an addition waiting (additions_.size() if none).
  std::uint32_t LowestAdditionRank() {
    while (lowest_addition_ < additions_.size() && additions_[lowest_addition_].empty()) ++lowest_addition_;
    return lowest_addition_;
  }
  // The next addition to propagate, lowest rank first; false if none.
  bool PopAddition(Op* op) {
    if (LowestAdditionRank() == additions_.size()) return false;
    *op = additions_[lowest_addition_].pop_front();
    return true;
  }
  // The rank of the relation a node's right input reads.
  std::uint32_t InputRank(NodeId node) const {
    return network_->rank(network_->alphas()[network_->betas()[node].alpha].relation);
  }
  // A node that reads a whole relation (an aggregate, `not`, `exists`) waits
  // until the relation can no longer grow in this round: its token is marked,
  // and evaluated once no addition of the relation's rank or below is
  // pending, instead of once per fact (an aggregate) or before the facts that
  // would take its answer back (a negation).
  void MarkWaiting(NodeId node, std::uint32_t token);
  // Evaluates a negative, exists or aggregate node for a token from scratch.
  void Reevaluate(NodeId node, std::uint32_t token);
  // Evaluates the waiting tokens whose relation ranks below `pending_rank`;
  // true if any was.
  bool FlushWaiting(std::uint32_t pending_rank);
  std::vector<std::pair<NodeId, std::uint32_t>> waiting_;
  std::vector<std::uint8_t> feeds_waiting_;  // by beta node: has a not, exists or aggregate child
  std::vector<std::pair<NodeId, std::uint32_t>> flushing_;  // FlushWaiting's batch
  std::size_t flush_index_ = 0;                              // the entry it evaluates
  // Hashed (more than kScannedWaiting were waiting at once, until none is):
  // node << 32 | token of each waiting one. Scanned (else): an entry whose
  // token went has node kNoNode.
  bool waiting_hashed_ = false;
  std::unordered_set<std::uint64_t> waiting_marks_;
  static constexpr std::size_t kScannedWaiting = 16;
  std::vector<FactRef> overdeleted_;
  std::vector<FactRef> erased_;  // ids to recycle once no firing can hold them
  void RecycleErased();
  Agenda agenda_;
  std::vector<std::uint32_t> specificity_;  // by rule
  std::uint64_t clock_ = 0;
  std::size_t live_facts_ = 0;
  std::uint64_t derivations_ = 0;
  std::uint64_t total_firings_ = 0;
  bool halted_ = false;
  bool firing_ = false;
  std::atomic<bool> interrupt_{false};
  std::ostream* out_ = nullptr;
  ForwardObserver* observer_ = nullptr;
  HostFunctions* host_ = nullptr;
  // The first error of a host predicate during propagation (which has no
  // error path of its own): the call yields nothing, and the run stops with it.
  mutable Status host_error_;
  std::vector<Value> scratch_;
  std::vector<Value> fire_frame_;  // the frame of the firing under way
  std::vector<Value> action_row_;  // the row an assert, retract or modify action builds
  std::vector<Value> head_row_;  // the head a logical rule concludes (OnTerminal)
  std::vector<Value> program_fact_row_;  // AssertProgramFacts' row
  std::vector<std::pair<NodeId, std::uint64_t>> touched_;  // RemoveFromNetwork's nodes

  // ---- neural relations ----
  // How a node whose right input is a neural relation reads the model's
  // inputs off a token: each input column from a slot of the parent frame or
  // a constant of the alpha node. `unbound` names an input neither gives.
  struct NeuralInputs {
    std::uint32_t spec = 0;  // index in program().neurals
    std::vector<std::pair<VarSlot, Value>> columns;  // slot (kNoSlot: the constant)
    std::string unbound;
  };
  void CompileNeuralInputs();
  // Records the token's inputs for the next batch, unless already asked.
  void DemandPrediction(NodeId node, std::uint32_t token);
  // Asks the model for every pending input and queues the facts; false (with
  // host_error_ set) on an error.
  bool FlushPredictions();
  // prediction_sources_'s index (plus one) of a model version, added if new.
  std::uint32_t SourceIndex(const std::string& model, std::int64_t version);
  std::vector<std::int32_t> neural_node_;  // by beta node: index in neural_inputs_, or -1
  std::vector<NeuralInputs> neural_inputs_;
  // By spec: every input asked for in this session, in order; rows from
  // `asked` on wait for the next batch.
  struct NeuralDemand {
    explicit NeuralDemand(std::size_t width) : requested(width) {}
    RowSet requested;
    std::uint32_t asked = 0;
  };
  std::vector<NeuralDemand> demands_;
  std::vector<Value> neural_row_;  // scratch: a token's inputs
  // The model versions that answered, and by relation and fact id the one
  // that produced each fact (its index there plus one; 0: none). A vector per
  // relation, not a map: a batch of 10,000 answers asserts 10,000 facts.
  std::vector<PredictionSource> prediction_sources_;
  std::vector<std::vector<std::uint32_t>> source_of_fact_;
  NeuralPredicates* neural_ = nullptr;
  std::uint64_t model_batches_ = 0;
  std::uint64_t model_inputs_ = 0;
  bool predictions_pending_ = false;
};

std::string_view StopReasonName(StopReason reason);

}  // namespace syllo::engine

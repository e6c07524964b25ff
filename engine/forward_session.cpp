// The hot core of forward chaining: token trees, hash-indexed memories,
// propagation, truth maintenance. See forward_session.h for the model.
#include "engine/forward_session.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <new>
#include <ostream>
#include <type_traits>

#include "engine/aggregate.h"
#include "engine/steps.h"

namespace syllo::engine {

namespace {

// A fact's values copied out of its relation, inline when the arity is small.
class RowCopy {
 public:
  explicit RowCopy(std::span<const Value> row) : size_(row.size()) {
    if (size_ > small_.size()) large_.assign(row.begin(), row.end());
    else std::copy(row.begin(), row.end(), small_.begin());
  }
  operator std::span<const Value>() const { return {data(), size_}; }  // NOLINT: a view of the copy
  const Value& operator[](std::size_t i) const { return data()[i]; }

 private:
  const Value* data() const { return size_ > small_.size() ? large_.data() : small_.data(); }
  std::array<Value, 8> small_;
  std::vector<Value> large_;
  std::size_t size_;
};

// An index into `pool`: a freed one if any, else a new default element.
template <typename Pool>
std::uint32_t TakeSlot(Pool& pool, std::vector<std::uint32_t>& free) {
  if (!free.empty()) {
    std::uint32_t id = free.back();
    free.pop_back();
    return id;
  }
  pool.emplace_back();
  return static_cast<std::uint32_t>(pool.size() - 1);
}

}  // namespace

std::string_view StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kAgendaEmpty: return "agenda empty";
    case StopReason::kHalted: return "halted";
    case StopReason::kFiringLimit: return "firing limit";
    case StopReason::kTimeLimit: return "time limit";
    case StopReason::kFactLimit: return "fact limit";
    case StopReason::kInterrupted: return "interrupted";
    case StopReason::kError: return "error";
  }
  return "?";
}

ForwardSession::ForwardSession(std::shared_ptr<const ReteNetwork> network)
    : network_(std::move(network)),
      semantics_(SemanticsFor(network_->program().semantics)),
      agenda_(network_->program().strategy, network_->program().seed) {
  const ProgramSpec& p = program();
  for (const RelationSpec& r : p.relations) {
    auto id = memory_.Declare(r.name, r.columns);
    assert(id.ok() && "relation names are unique after checking");
    (void)id;
  }
  meta_.resize(p.relations.size());
  additions_.resize(std::size_t{network_->max_rank()} + 1);
  memories_.resize(network_->betas().size());
  first_memory_child_.assign(network_->betas().size(), kNoNode);
  feeds_waiting_.assign(network_->betas().size(), 0);
  for (NodeId n = 0; n < network_->betas().size(); ++n) {
    for (NodeId child : network_->betas()[n].children) {
      const BetaNode& c = network_->betas()[child];
      if (c.needs_left_memory() && first_memory_child_[n] == kNoNode) first_memory_child_[n] = child;
      if (c.kind == BetaKind::kNegative || c.kind == BetaKind::kExists || c.kind == BetaKind::kAggregate) {
        feeds_waiting_[n] = 1;
      }
    }
  }
  for (const RuleSpec& rule : p.rules) {
    std::uint32_t s = 0;
    for (const Condition& c : rule.conditions) {
      ++s;
      for (const PatternArg& a : c.pattern.args) s += a.kind == PatternArg::Kind::kConst;
    }
    specificity_.push_back(s);
  }
  CompileNeuralInputs();
  PlantRoot();
}

ForwardSession::~ForwardSession() = default;

void ForwardSession::Reset() {
  // Everything a session accumulates goes; the storage stays (but for large
  // tables, which their Clear releases), so the next decision allocates
  // little or nothing.
  constexpr std::size_t kKeptTokens = 1 << 12;  // 224 KiB: a program may pool 64 sessions
  constexpr std::size_t kKeptChunks = 1;    // 64 KiB of frames
  memory_.Clear();
  for (auto& m : meta_) m.clear();
  if (tokens_.capacity() > kKeptTokens) {
    tokens_.release();
    std::vector<std::uint32_t>().swap(free_tokens_);
  }
  tokens_.clear();
  free_tokens_.clear();
  if (frame_chunks_.size() > kKeptChunks) {
    frame_chunks_.erase(frame_chunks_.begin() + kKeptChunks, frame_chunks_.end());
    small_chunks_.erase(small_chunks_.begin() + kKeptChunks, small_chunks_.end());
    frame_slabs_.clear();
    slab_next_ = slab_end_ = nullptr;
  }
  frame_top_ = 0;
  for (auto& f : free_frames_) f.clear();
  for (NodeMemory& m : memories_) {
    if (m.left.buckets() != 0) m.left.Clear();
    if (m.right.buckets() != 0) m.right.Clear();
    m.right_entry.clear();
  }
  entries_.Clear();
  supports_.clear();
  free_supports_.clear();
  removals_.clear();
  for (OpQueue& q : additions_) q.clear();
  lowest_addition_ = 0;
  waiting_.clear();
  flushing_.clear();
  waiting_marks_.clear();
  waiting_hashed_ = false;
  overdeleted_.clear();
  erased_.clear();
  agenda_.Reset();
  clock_ = 0;
  live_facts_ = 0;
  derivations_ = 0;
  total_firings_ = 0;
  halted_ = false;
  firing_ = false;
  interrupt_.store(false, std::memory_order_relaxed);
  host_error_ = Status();
  for (NeuralDemand& d : demands_) {
    d.requested.Clear();
    d.asked = 0;
  }
  prediction_sources_.clear();
  source_of_fact_.clear();
  model_batches_ = 0;
  model_inputs_ = 0;
  predictions_pending_ = false;
  PlantRoot();
}

void ForwardSession::PlantRoot() {
  // Frame offset 0 must be addressable even for empty frames.
  if (frame_chunks_.empty()) AddFrameChunk();
  // The root token: the empty match every rule starts from.
  root_token_ = NewToken(network_->root(), kNil, FactRef{0, kNoFact}, semantics_.True());
  for (NodeId child : network_->betas()[network_->root()].children) {
    // A join with nothing on its right yet matches nothing (the root token
    // stays out of left memories): only a join that asks a model, and the
    // nodes that act on no match (not, aggregates), need the empty match now.
    const bool neural = !neural_node_.empty() && neural_node_[child] >= 0;
    if (network_->betas()[child].kind == BetaKind::kJoin && !neural && memories_[child].right.buckets() == 0) continue;
    Activate(child, root_token_);
  }
}

// ---- storage -------------------------------------------------------------------

void ForwardSession::AddFrameChunk() {
  static_assert(std::is_trivially_copyable_v<Value> && std::is_trivially_destructible_v<Value>);
  constexpr std::size_t kChunkValues = std::size_t{kChunkMask} + 1;
  const std::size_t index = frame_chunks_.size();
  if (index < kSmallChunks) {
    void* p = std::malloc(sizeof(Value) * kChunkValues);
    if (p == nullptr) throw std::bad_alloc();
    small_chunks_.emplace_back(static_cast<Value*>(p));
    frame_chunks_.push_back(small_chunks_.back().get());
    return;
  }
  if (slab_next_ == slab_end_) {
    const std::size_t chunks = kSmallChunks << std::min<std::size_t>(frame_slabs_.size(), 4);
    frame_slabs_.emplace_back(sizeof(Value) * kChunkValues * chunks);
    slab_next_ = static_cast<Value*>(frame_slabs_.back().data());
    slab_end_ = slab_next_ + chunks * kChunkValues;
  }
  frame_chunks_.push_back(slab_next_);
  slab_next_ += kChunkValues;
}

std::uint32_t ForwardSession::AllocFrame(std::uint16_t size) {
  if (size == 0) return 0;
  if (free_frames_.size() > size && !free_frames_[size].empty()) {
    std::uint32_t off = free_frames_[size].back();
    free_frames_[size].pop_back();
    return off;
  }
  // Never let a frame straddle two chunks.
  if ((frame_top_ & kChunkMask) + size > kChunkMask + 1) frame_top_ = (frame_top_ | kChunkMask) + 1;
  if ((frame_top_ >> kChunkBits) >= frame_chunks_.size()) {
    AddFrameChunk();
  }
  std::uint32_t off = frame_top_;
  frame_top_ += size;
  return off;
}

void ForwardSession::FreeFrame(std::uint32_t offset, std::uint16_t size) {
  if (size == 0) return;
  if (free_frames_.size() <= size) free_frames_.resize(size + 1);
  free_frames_[size].push_back(offset);
}

ForwardSession::FactMeta& ForwardSession::NewMeta(FactRef f) {
  auto& v = meta_[f.relation];
  if (v.size() <= f.id) v.resize(std::max<std::size_t>(f.id + 1, v.size() * 2));
  return v[f.id];
}

std::pair<FactRef, bool> ForwardSession::Store(RelationId relation, std::span<const Value> row, double cf,
                                               Origin origin) {
  auto res = memory_.at(relation).Insert(row, cf, origin);
  FactRef f{relation, res.id};
  if (res.inserted) {
    FactMeta& m = NewMeta(f);
    m = FactMeta{};
    m.time = ++clock_;
    m.state = FactState::kPendingAdd;
    ++live_facts_;
    Enqueue(OpKind::kAdd, f);
  }
  return {f, res.inserted};
}

Status ForwardSession::AssertProgramFacts() {
  for (const FactSpec& fact : program().facts) {
    // One buffer for every fact (a reused session asserts them per decision).
    program_fact_row_.assign(fact.values.begin(), fact.values.end());
    auto r = AssertRow(fact.relation, program_fact_row_, fact.certainty, Origin::kAsserted);
    if (!r.ok()) return r.status();
  }
  return Status::Ok();
}

Result<FactRef> ForwardSession::Assert(std::string_view relation, std::vector<Value> row, double certainty,
                                       Origin origin) {
  auto id = program().FindRelation(relation);
  if (!id) return Status::NotFound("unknown relation '" + std::string(relation) + "'");
  return Assert(*id, std::move(row), certainty, origin);
}

Result<FactRef> ForwardSession::Assert(RelationId relation, std::vector<Value> row, double certainty,
                                       Origin origin) {
  return AssertRow(relation, row, certainty, origin);
}

Result<FactRef> ForwardSession::AssertRow(RelationId relation, std::span<Value> row, double certainty, Origin origin) {
  if (relation >= program().relations.size()) return Status::NotFound("no relation with id " + std::to_string(relation));
  Relation& rel = memory_.at(relation);
  if (Status s = rel.Conform(row); !s.ok()) return s;
  if (!std::isfinite(certainty) || certainty < -1.0 || certainty > 1.0) {
    return Status::InvalidArgument("certainty of a " + rel.name() + " fact must be in [-1, 1]");
  }
  auto [f, inserted] = Store(relation, row, certainty, origin);
  FactMeta& m = Meta(f);
  if (inserted) {
    m.asserted = true;
    m.base_cf = certainty;
  } else if (m.retract_pending) {
    // Retracted and asserted again before the queue ran: the assert wins.
    m.retract_pending = false;
    m.asserted = true;
    m.base_cf = certainty;
    rel.set_origin(f.id, origin);
    RecomputeCertainty(f, true);
  } else if (!m.asserted) {
    // A derived fact now also stated: it stays when its support goes.
    m.asserted = true;
    m.base_cf = certainty;
    rel.set_origin(f.id, origin);
    RecomputeCertainty(f, true);
  }
  return f;
}

bool ForwardSession::Retract(FactRef f) {
  if (f.relation >= meta_.size() || !alive(f)) return false;
  FactMeta& m = Meta(f);
  if (m.state == FactState::kGone) return false;
  if (!m.retract_pending) {
    m.retract_pending = true;
    Enqueue(OpKind::kRetract, f);
  }
  return true;
}

// ---- the queue -------------------------------------------------------------------

void ForwardSession::Settle() {
  Drain(nullptr, nullptr);
  if (!firing_) RecycleErased();
}

void ForwardSession::RecycleErased() {
  for (FactRef f : erased_) memory_.at(f.relation).Recycle(f.id);
  erased_.clear();
}

bool ForwardSession::Drain(const RunLimits* limits, RunResult* result) {
  // The clock is read only under a deadline: Drain runs after every action.
  const bool timed = limits != nullptr && limits->timeout_seconds > 0;
  const auto start = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  std::uint64_t steps = 0;
  while (true) {
    if (!host_error_.ok() && result != nullptr) {
      result->reason = StopReason::kError;
      result->message = host_error_.message();
      host_error_ = Status();
      return false;
    }
    if (limits != nullptr) {
      if (limits->max_facts != 0 && live_facts_ > limits->max_facts) {
        result->reason = StopReason::kFactLimit;
        result->message = "stopped: the fact limit (" + std::to_string(limits->max_facts) + ") was reached";
        return false;
      }
      if ((++steps & 1023) == 0) {
        if (interrupt_.exchange(false)) {
          result->reason = StopReason::kInterrupted;
          result->message = "interrupted";
          return false;
        }
        if (timed && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
                         limits->timeout_seconds) {
          result->reason = StopReason::kTimeLimit;
          result->message = "stopped: the time limit was reached while matching";
          return false;
        }
      }
    }
    if (!removals_.empty()) {
      Op op = removals_.pop_front();
      Process(op);
      continue;
    }
    if (!overdeleted_.empty()) {
      // Rederive: an over-deleted fact comes back if a support survived.
      std::vector<FactRef> pending;
      pending.swap(overdeleted_);
      for (FactRef f : pending) {
        FactMeta& m = Meta(f);
        if (m.state != FactState::kOverdeleted) continue;
        if (m.support_count > 0 || m.asserted) {
          m.state = FactState::kPendingAdd;
          RecomputeCertainty(f, false);
          Enqueue(OpKind::kAdd, f);
        } else {
          EraseFact(f);
        }
      }
      continue;
    }
    if (!waiting_.empty() && FlushWaiting(LowestAdditionRank())) continue;
    Op op;
    if (!PopAddition(&op)) {
      // The end of a cycle: every input a model must score is known; one
      // batch per neural relation, whose facts start the next cycle. Inside
      // a firing (an action settling) the batch waits for the firing's end,
      // so all of its actions' inputs go together.
      if (!predictions_pending_ || firing_) return true;
      if (!FlushPredictions() && result == nullptr) return true;  // Run reports host_error_
      continue;
    }
    Process(op);
  }
}

namespace {
std::uint64_t WaitKey(NodeId node, std::uint32_t token) { return (std::uint64_t{node} << 32) | token; }
}  // namespace

void ForwardSession::MarkWaiting(NodeId node, std::uint32_t token) {
  if (waiting_hashed_) {
    if (waiting_marks_.insert(WaitKey(node, token)).second) waiting_.push_back({node, token});
    return;
  }
  // A few waiting tokens (a decision's) are found by a scan; past
  // kScannedWaiting, a hash set keeps the marks until none is waiting.
  for (const auto& [n, t] : waiting_) {
    if (n == node && t == token) return;  // already waiting
  }
  waiting_.push_back({node, token});
  if (waiting_.size() > kScannedWaiting) {
    // Marks for every entry still to be evaluated: those waiting, and those
    // of a flush under way after the one being evaluated.
    waiting_hashed_ = true;
    for (const auto& [n, t] : waiting_) {
      if (n != kNoNode) waiting_marks_.insert(WaitKey(n, t));
    }
    for (std::size_t j = flush_index_ + 1; j < flushing_.size(); ++j) {
      if (flushing_[j].first != kNoNode) waiting_marks_.insert(WaitKey(flushing_[j].first, flushing_[j].second));
    }
  }
}

void ForwardSession::Reevaluate(NodeId node, std::uint32_t token) {
  const BetaNode& n = network_->betas()[node];
  if (n.kind == BetaKind::kAggregate) {
    Reaggregate(node, token);
    return;
  }
  const bool holds = (CountMatches(node, token) > 0) == (n.kind == BetaKind::kExists);
  const std::uint32_t child = ChildAt(token, node);
  if (holds && child == kNil) {
    EmitToken(node, token, FactRef{0, kNoFact}, FramePtr(tokens_[token].frame), tokens_[token].cf);
  } else if (!holds && child != kNil) {
    DeleteToken(child);
  }
}

bool ForwardSession::FlushWaiting(std::uint32_t pending_rank) {
  // A member, not a local: a token that goes while we evaluate (DeleteToken)
  // must be struck from here too.
  flushing_.swap(waiting_);
  bool any = false;
  for (flush_index_ = 0; flush_index_ < flushing_.size(); ++flush_index_) {
    const auto [node, token] = flushing_[flush_index_];
    // A mark that went with its token (whose id may serve another node now).
    if (node == kNoNode || (waiting_hashed_ && !waiting_marks_.count(WaitKey(node, token)))) continue;
    // What the evaluations before this one concluded or took back counts
    // too: a negation evaluated here may have concluded a fact the next
    // aggregate reads, which must then wait for it.
    const std::uint32_t pending = removals_.empty() ? std::min(pending_rank, LowestAdditionRank()) : 0;
    if (InputRank(node) >= pending) {
      waiting_.push_back({node, token});  // its relation is still growing
      continue;
    }
    if (waiting_hashed_) waiting_marks_.erase(WaitKey(node, token));
    Reevaluate(node, token);
    any = true;
  }
  flushing_.clear();
  if (waiting_.empty() && waiting_hashed_) {
    waiting_hashed_ = false;
    waiting_marks_.clear();
  }
  return any;
}

void ForwardSession::Process(const Op& op) {
  FactRef f = op.fact;
  if (!alive(f)) return;
  FactMeta& m = Meta(f);
  switch (op.kind) {
    case OpKind::kAdd:
      if (m.state == FactState::kPendingAdd) {
        if (!Counts(semantics_, program().threshold, certainty(f))) {
          m.state = FactState::kDormant;
          break;
        }
        m.state = FactState::kInNetwork;
        if (observer_ != nullptr) observer_->OnFactAdded(f);
        PropagateAdd(f);
      }
      break;
    case OpKind::kRemove:
      // Queued when the last support went; a support may have come back since.
      if (m.asserted || m.support_count > 0) break;
      [[fallthrough]];
    case OpKind::kRetract:
      if (op.kind == OpKind::kRetract) {
        if (!m.retract_pending) break;  // cancelled by a later assert
        m.retract_pending = false;
      }
      if (m.state == FactState::kInNetwork) RemoveFromNetwork(f);
      EraseFact(f);
      break;
    case OpKind::kOverdelete:
      if (m.state != FactState::kInNetwork || m.asserted) break;
      RemoveFromNetwork(f);
      Meta(f).state = FactState::kOverdeleted;
      overdeleted_.push_back(f);
      break;
    case OpKind::kRefresh:
      // A new certainty: leave the network now, come back in the add phase
      // (where a fact that no longer counts stays out).
      if (m.state == FactState::kDormant) {
        m.state = FactState::kPendingAdd;
        Enqueue(OpKind::kAdd, f);
        break;
      }
      if (m.state != FactState::kInNetwork) break;
      RemoveFromNetwork(f);
      Enqueue(OpKind::kAdd, f);
      break;
  }
}

void ForwardSession::EraseFact(FactRef f) {
  FactMeta& m = Meta(f);
  // Supports still listed belong to live matches; they no longer conclude anything.
  for (std::uint32_t s = m.support_head; s != kNil;) {
    std::uint32_t next = supports_[s].next;
    tokens_[supports_[s].token].aux = kNil;
    free_supports_.push_back(s);
    s = next;
  }
  m.support_head = kNil;
  m.support_count = 0;
  m.state = FactState::kGone;
  m.asserted = false;
  memory_.at(f.relation).Erase(f.id);
  erased_.push_back(f);
  --live_facts_;
  if (observer_ != nullptr) observer_->OnFactRemoved(f);
}

void ForwardSession::RecomputeCertainty(FactRef f, bool refresh_if_changed) {
  FactMeta& m = Meta(f);
  double cf = 0.0;
  bool any = false;
  if (m.asserted) {
    cf = m.base_cf;
    any = true;
  }
  for (std::uint32_t s = m.support_head; s != kNil; s = supports_[s].next) {
    cf = any ? semantics_.Combine(cf, supports_[s].cf) : supports_[s].cf;
    any = true;
  }
  Relation& rel = memory_.at(f.relation);
  if (!any || rel.certainty(f.id) == cf) return;
  rel.set_certainty(f.id, cf);
  if (refresh_if_changed && (m.state == FactState::kInNetwork || m.state == FactState::kDormant)) {
    Enqueue(OpKind::kRefresh, f);
  }
}

// ---- keys and tests -------------------------------------------------------------------

bool ForwardSession::AlphaPasses(const AlphaNode& alpha, std::span<const Value> row) const {
  return engine::AlphaPasses(alpha, row, this, &ForwardSession::HostTestThunk);
}

std::uint64_t ForwardSession::LeftKey(const BetaNode& node, const Value* frame) const {
  std::uint64_t h = 0x6b79;
  for (VarSlot s : node.left_key) h = HashCombine(h, frame[s].Hash());
  return h;
}

std::uint64_t ForwardSession::RightKey(const BetaNode& node, std::span<const Value> row) const {
  std::uint64_t h = 0x6b79;
  for (std::uint16_t c : node.right_key) h = HashCombine(h, row[c].Hash());
  return h;
}

bool ForwardSession::KeysMatch(const BetaNode& node, const Value* frame, std::span<const Value> row) const {  // NOLINT
  for (std::size_t i = 0; i < node.left_key.size(); ++i) {
    if (frame[node.left_key[i]] != row[node.right_key[i]]) return false;
  }
  return true;
}

namespace {
// A token's frame copied for a node to extend: on the stack for the usual few
// slots (an activation allocates nothing), on the heap beyond. Slots past the
// parent's are unbound.
class LocalFrame {
 public:
  LocalFrame(const Value* parent, std::size_t parent_size, std::size_t size) : size_(std::max(size, parent_size)) {
    if (size_ > kInline) {
      heap_.resize(size_);
      data_ = heap_.data();
    } else {
      data_ = reinterpret_cast<Value*>(inline_);
    }
    std::uninitialized_copy(parent, parent + parent_size, data_);
    std::uninitialized_fill(data_ + parent_size, data_ + size_, Value());
  }
  LocalFrame(const LocalFrame&) = delete;
  LocalFrame& operator=(const LocalFrame&) = delete;
  Value* data() { return data_; }
  std::span<Value> span() { return {data_, size_}; }

 private:
  static constexpr std::size_t kInline = 32;
  alignas(Value) unsigned char inline_[kInline * sizeof(Value)];
  std::vector<Value> heap_;
  Value* data_;
  std::size_t size_;
};

}  // namespace

bool ForwardSession::RunSteps(const std::vector<Step>& steps, std::span<Value> frame) const {
  return engine::RunSteps(steps, frame, this, &ForwardSession::HostTestThunk);
}

bool ForwardSession::HostTestThunk(const void* session, const Step& step, std::span<const Value> frame) {
  return static_cast<const ForwardSession*>(session)->TestHost(step, frame);
}

// ---- tokens -------------------------------------------------------------------------

std::uint32_t ForwardSession::NewToken(NodeId node, std::uint32_t parent, FactRef fact, double cf) {
  std::uint32_t id = TakeSlot(tokens_, free_tokens_);
  Token& t = tokens_[id];
  t = Token{};
  t.node = node;
  t.parent = parent;
  t.fact = fact;
  t.cf = cf;
  const BetaNode& n = network_->betas()[node];
  t.frame = n.kind == BetaKind::kTerminal ? tokens_[parent].frame : AllocFrame(n.frame_size);
  if (parent != kNil) {
    Token& p = tokens_[parent];
    t.next_sibling = p.first_child;
    if (p.first_child != kNil) tokens_[p.first_child].prev_sibling = id;
    p.first_child = id;
  }
  if (fact.id != kNoFact) {
    FactMeta& m = Meta(fact);
    t.fact_next = m.token_head;
    if (m.token_head != kNil) tokens_[m.token_head].fact_prev = id;
    m.token_head = id;
  }
  return id;
}

void ForwardSession::EmitToken(NodeId node, std::uint32_t parent, FactRef fact, const Value* frame, double cf) {
  std::uint32_t id = NewToken(node, parent, fact, cf);
  const BetaNode& n = network_->betas()[node];
  std::copy(frame, frame + n.frame_size, FramePtr(tokens_[id].frame));
  for (NodeId child : n.children) Activate(child, id);
}

void ForwardSession::Activate(NodeId child, std::uint32_t token) {
  const BetaNode& c = network_->betas()[child];
  // The root token stays out of its children's left memories (see RightActivate).
  if (c.needs_left_memory() && c.parent != network_->root()) {
    const std::uint64_t key = LeftKey(c, FramePtr(tokens_[token].frame));
    std::uint32_t e = memories_[child].left.Insert(entries_, key, token);
    if (first_memory_child_[tokens_[token].node] == child) tokens_[token].left_entry = e;
    // A plain join probes its right memory with the key just computed.
    if (c.kind == BetaKind::kJoin && (neural_node_.empty() || neural_node_[child] < 0)) {
      JoinRightMemory(child, token, key);
      return;
    }
  }
  LeftActivate(child, token);
}

void ForwardSession::JoinRightMemory(NodeId node, std::uint32_t token, std::uint64_t key) {
  const RelationId relation = network_->alphas()[network_->betas()[node].alpha].relation;
  // Propagation never changes this node's right memory (new facts and
  // removals are queued), so the bucket is stable while we walk it.
  for (std::uint32_t e = memories_[node].right.First(key); e != kNoEntry; e = entries_.next(e)) {
    JoinOne(node, token, FactRef{relation, entries_.item(e)});
  }
}

std::uint32_t ForwardSession::ChildAt(std::uint32_t token, NodeId node) const {
  for (std::uint32_t c = tokens_[token].first_child; c != kNil; c = tokens_[c].next_sibling) {
    if (tokens_[c].node == node) return c;
  }
  return kNil;
}

std::size_t ForwardSession::CountMatches(NodeId node, std::uint32_t token) {
  const BetaNode& n = network_->betas()[node];
  const Value* frame = FramePtr(tokens_[token].frame);
  const Relation& rel = memory_.at(network_->alphas()[n.alpha].relation);
  std::size_t count = 0;
  for (std::uint32_t e = memories_[node].right.First(LeftKey(n, frame)); e != kNoEntry; e = entries_.next(e)) {
    count += KeysMatch(n, frame, rel.row(entries_.item(e)));
  }
  return count;
}

void ForwardSession::JoinOne(NodeId node, std::uint32_t token, FactRef f) {
  const BetaNode& n = network_->betas()[node];
  const Relation& rel = memory_.at(f.relation);
  auto row = rel.row(f.id);
  const Value* parent_frame = FramePtr(tokens_[token].frame);
  if (!KeysMatch(n, parent_frame, row)) return;
  const std::uint16_t parent_size = network_->betas()[n.parent].frame_size;
  const double cf = semantics_.Conjunction(tokens_[token].cf, rel.certainty(f.id));
  auto fill = [&](Value* frame) {
    std::copy(parent_frame, parent_frame + parent_size, frame);
    for (auto [col, slot] : n.binds) frame[slot] = row[col];
    if (n.certainty_slot != kNoSlot) frame[n.certainty_slot] = Value::Float(rel.certainty(f.id));
    if (n.fact_slot != kNoSlot) frame[n.fact_slot] = Value::Fact(f.relation, f.id);
  };
  if (n.steps.empty()) {
    // Nothing can reject the match: build the frame in the new token's own.
    // (Frames live in chunks that never move, so parent_frame stays valid.)
    const std::uint32_t id = NewToken(node, token, f, cf);
    fill(FramePtr(tokens_[id].frame));
    for (NodeId child : n.children) Activate(child, id);
    return;
  }
  scratch_.resize(std::max<std::size_t>(scratch_.size(), n.frame_size));
  Value* frame = scratch_.data();
  fill(frame);
  if (!RunSteps(n.steps, {frame, n.frame_size})) return;
  // EmitToken copies the frame into the new token before any child runs, so
  // deeper joins may reuse scratch_ afterwards.
  EmitToken(node, token, f, frame, cf);
}

void ForwardSession::LeftActivate(NodeId node, std::uint32_t token) {
  const BetaNode& n = network_->betas()[node];
  if (!neural_node_.empty() && neural_node_[node] >= 0) DemandPrediction(node, token);
  switch (n.kind) {
    case BetaKind::kJoin:
      JoinRightMemory(node, token, LeftKey(n, FramePtr(tokens_[token].frame)));
      return;
    case BetaKind::kNegative:
    case BetaKind::kExists:
      // Asked before the relation is complete, the answer could be taken back
      // within this round: wait for it.
      if (InputRank(node) >= LowestAdditionRank()) {
        MarkWaiting(node, token);
      } else {
        Reevaluate(node, token);
      }
      return;
    case BetaKind::kAggregate:
      MarkWaiting(node, token);
      return;
    case BetaKind::kFilter: {
      std::uint16_t parent_size = network_->betas()[n.parent].frame_size;
      LocalFrame frame(FramePtr(tokens_[token].frame), parent_size, std::max<std::size_t>(n.frame_size, 1));
      if (RunSteps(n.steps, frame.span())) EmitToken(node, token, FactRef{0, kNoFact}, frame.data(), tokens_[token].cf);
      return;
    }
    case BetaKind::kGenerate: {
      std::uint16_t parent_size = network_->betas()[n.parent].frame_size;
      LocalFrame frame(FramePtr(tokens_[token].frame), parent_size, n.frame_size);
      for (const Value& v : n.set) {
        frame.data()[n.target] = v;
        EmitToken(node, token, FactRef{0, kNoFact}, frame.data(), tokens_[token].cf);
      }
      return;
    }
    case BetaKind::kCall:
      CallHost(node, token);
      return;
    case BetaKind::kTerminal: {
      // A complete match reads its parent's frame (a terminal binds nothing
      // and goes before its parent does), so it owns none.
      std::uint32_t t = NewToken(node, token, FactRef{0, kNoFact}, tokens_[token].cf);
      OnTerminal(t);
      return;
    }
    case BetaKind::kRoot:
      return;
  }
}

bool ForwardSession::CallHostFunction(std::uint32_t function, const std::vector<Expr>& input_exprs,
                                      std::span<const Value> frame, HostRows* rows) const {
  if (!host_error_.ok()) return false;  // the run stops at the first error
  if (host_ == nullptr) {
    const HostFunctionSpec& fn = program().functions[function];
    host_error_ = Status::InvalidArgument("predicate '" + fn.name + "' (" + fn.location +
                                          ") has no implementation in this session");
    return false;
  }
  std::array<Value, 8> small;
  std::vector<Value> large;
  std::span<Value> inputs(small.data(), input_exprs.size());
  if (input_exprs.size() > small.size()) {
    large.resize(input_exprs.size());
    inputs = large;
  }
  for (std::size_t i = 0; i < input_exprs.size(); ++i) {
    auto v = Evaluate(input_exprs[i], frame);
    if (!v) return false;  // like a comparison, an input that cannot be computed fails the match
    inputs[i] = *v;
  }
  if (Status st = host_->Call(function, inputs, rows); !st.ok()) {
    host_error_ = std::move(st);
    return false;
  }
  return true;
}

bool ForwardSession::TestHost(const Step& step, std::span<const Value> frame) const {
  HostRows rows;
  return CallHostFunction(step.function, step.inputs, frame, &rows) && rows.rows > 0;
}

void ForwardSession::CallHost(NodeId node, std::uint32_t token) {
  const BetaNode& n = network_->betas()[node];
  std::uint16_t parent_size = network_->betas()[n.parent].frame_size;
  std::vector<Value> frame(FramePtr(tokens_[token].frame), FramePtr(tokens_[token].frame) + parent_size);
  frame.resize(std::max<std::size_t>(n.frame_size, 1));
  HostRows rows;  // local: the tokens emitted below may call hosts again
  if (!CallHostFunction(n.function, n.call_inputs, frame, &rows)) return;
  const std::size_t arity = n.call_outputs.size();
  for (std::size_t r = 0; r < rows.rows; ++r) {
    const Value* row = rows.values.data() + r * arity;
    bool ok = true;
    for (std::size_t i = 0; i < arity && ok; ++i) {
      const CallOutput& o = n.call_outputs[i];
      switch (o.kind) {
        case CallOutput::Kind::kBind: frame[o.slot] = row[i]; break;
        case CallOutput::Kind::kCheck: ok = SameBinding(frame[o.slot], row[i]); break;
        case CallOutput::Kind::kConst: ok = SameBinding(o.constant, row[i]); break;
        case CallOutput::Kind::kIgnore: break;
      }
    }
    if (ok) EmitToken(node, token, FactRef{0, kNoFact}, frame.data(), tokens_[token].cf);
  }
}

void ForwardSession::Reaggregate(NodeId node, std::uint32_t token) {
  const BetaNode& n = network_->betas()[node];
  if (std::uint32_t old = ChildAt(token, node); old != kNil) DeleteToken(old);
  const Value* frame = FramePtr(tokens_[token].frame);
  const Relation& rel = memory_.at(network_->alphas()[n.alpha].relation);
  Aggregator aggregator(n.aggregate);
  const std::size_t parent_size = network_->betas()[n.parent].frame_size;
  LocalFrame value_frame(frame, parent_size, std::max<std::size_t>(n.value_frame_size, 1));
  for (std::uint32_t e = memories_[node].right.First(LeftKey(n, frame)); e != kNoEntry; e = entries_.next(e)) {
    auto row = rel.row(entries_.item(e));
    if (!KeysMatch(n, frame, row)) continue;
    if (n.aggregate == AggregateFn::kCount) {
      aggregator.Add(std::nullopt);
      continue;
    }
    for (auto [col, slot] : n.value_binds) value_frame.data()[slot] = row[col];
    aggregator.Add(Evaluate(n.aggregate_value, value_frame.span()));
  }
  std::optional<Value> result = aggregator.Result();
  if (!result) return;
  LocalFrame out(frame, parent_size, n.frame_size);
  out.data()[n.target] = *result;
  EmitToken(node, token, FactRef{0, kNoFact}, out.data(), tokens_[token].cf);
}

// Inlined: right activations visit many tokens, one call each would show.
[[gnu::always_inline]] inline void ForwardSession::RightActivateToken(NodeId node, std::uint32_t t, FactRef f,
                                                                   bool added) {
  const BetaNode& n = network_->betas()[node];
  switch (n.kind) {
    case BetaKind::kJoin:
      if (added) JoinOne(node, t, f);
      break;
    case BetaKind::kNegative:
      if (added) {
        if (std::uint32_t c = ChildAt(t, node); c != kNil) DeleteToken(c);
      } else if (ChildAt(t, node) == kNil && CountMatches(node, t) == 0) {
        EmitToken(node, t, FactRef{0, kNoFact}, FramePtr(tokens_[t].frame), tokens_[t].cf);
      }
      break;
    case BetaKind::kExists:
      if (added) {
        if (ChildAt(t, node) == kNil) {
          EmitToken(node, t, FactRef{0, kNoFact}, FramePtr(tokens_[t].frame), tokens_[t].cf);
        }
      } else if (CountMatches(node, t) == 0) {
        if (std::uint32_t c = ChildAt(t, node); c != kNil) DeleteToken(c);
      }
      break;
    case BetaKind::kAggregate:
      MarkWaiting(node, t);
      break;
    default:
      break;
  }
}

void ForwardSession::RightActivate(NodeId node, FactRef f, std::uint64_t key, bool added) {
  const BetaNode& n = network_->betas()[node];
  // A node under the root has one left token, the root's, which binds
  // nothing: no memory to look it up in, no key to compare.
  if (n.parent == network_->root()) {
    RightActivateToken(node, root_token_, f, added);
    return;
  }
  std::uint32_t first = memories_[node].left.First(key);
  if (first == kNoEntry) return;
  // A copy: emitting can conclude facts of this same relation and move its rows.
  RowCopy row(memory_.at(f.relation).row(f.id));
  // Tokens enter and leave this left memory only through the parent node,
  // which nothing below this node can reach, so the bucket is stable during
  // the walk.
  for (std::uint32_t e = first; e != kNoEntry; e = entries_.next(e)) {
    std::uint32_t t = entries_.item(e);
    if (KeysMatch(n, FramePtr(tokens_[t].frame), row)) RightActivateToken(node, t, f, added);
  }
}

void ForwardSession::PropagateAdd(FactRef f) {
  // A copy: propagation can conclude facts of this same relation and move its rows.
  RowCopy row(memory_.at(f.relation).row(f.id));
  ForEachRightSuccessor(f.relation, row, [&](NodeId node, std::uint64_t key) {
    NodeMemory& mem = memories_[node];
    if (mem.right_entry.size() <= f.id) {
      mem.right_entry.resize(std::max<std::size_t>(f.id + 1, mem.right_entry.size() * 2), kNoEntry);
    }
    mem.right_entry[f.id] = mem.right.Insert(entries_, key, f.id);
    RightActivate(node, f, key, true);
  });
}

void ForwardSession::RemoveFromNetwork(FactRef f) {
  auto row = memory_.at(f.relation).row(f.id);
  // A buffer kept across removals (taken, so a nested use gets its own).
  std::vector<std::pair<NodeId, std::uint64_t>> touched;
  touched.swap(touched_);
  touched.clear();
  ForEachRightSuccessor(f.relation, row, [&](NodeId node, std::uint64_t key) {
    NodeMemory& mem = memories_[node];
    std::uint32_t e = f.id < mem.right_entry.size() ? mem.right_entry[f.id] : kNoEntry;
    assert(e != kNoEntry && entries_.item(e) == f.id && "a fact in the network is in its nodes' right memories");
    if (e != kNoEntry) {
      mem.right.Erase(entries_, key, e);
      mem.right_entry[f.id] = kNoEntry;
    }
    touched.emplace_back(node, key);
  });
  // Every match that used the fact goes, with everything built on it.
  while (Meta(f).token_head != kNil) DeleteToken(Meta(f).token_head);
  // Negations it blocked, existences it satisfied, aggregates it counted.
  for (auto [node, key] : touched) {
    if (network_->betas()[node].kind != BetaKind::kJoin) RightActivate(node, f, key, false);
  }
  Meta(f).state = FactState::kPendingAdd;  // out of the network; the caller decides what next
  touched.swap(touched_);
}

void ForwardSession::DeleteToken(std::uint32_t id) {
  // The root token is never deleted (a reset starts over): it is in no left memory.
  assert(tokens_[id].node != network_->root() && "the root token is not deleted");
  while (tokens_[id].first_child != kNil) DeleteToken(tokens_[id].first_child);
  Token t = tokens_[id];
  const BetaNode& n = network_->betas()[t.node];
  const Value* frame = FramePtr(t.frame);
  for (NodeId child : n.children) {
    const BetaNode& c = network_->betas()[child];
    if (!c.needs_left_memory()) continue;
    std::uint64_t key = LeftKey(c, frame);
    // O(1) for the first memory child (the token knows its entry); a walk of
    // the bucket for the others.
    std::uint32_t e = first_memory_child_[t.node] == child ? t.left_entry
                                                           : memories_[child].left.Find(entries_, key, id);
    assert(e != kNoEntry && entries_.item(e) == id && "a token is in its children's left memories");
    if (e != kNoEntry) memories_[child].left.Erase(entries_, key, e);
  }
  if (n.kind == BetaKind::kTerminal) OnTerminalRemoved(id);
  if (t.parent != kNil) {
    if (t.prev_sibling != kNil) tokens_[t.prev_sibling].next_sibling = t.next_sibling;
    else tokens_[t.parent].first_child = t.next_sibling;
    if (t.next_sibling != kNil) tokens_[t.next_sibling].prev_sibling = t.prev_sibling;
  }
  if (t.fact.id != kNoFact) {
    if (t.fact_prev != kNil) tokens_[t.fact_prev].fact_next = t.fact_next;
    else Meta(t.fact).token_head = t.fact_next;
    if (t.fact_next != kNil) tokens_[t.fact_next].fact_prev = t.fact_prev;
  }
  if (n.kind != BetaKind::kTerminal) FreeFrame(t.frame, n.frame_size);
  if (feeds_waiting_[t.node]) {
    if (waiting_hashed_) {
      for (NodeId child : n.children) waiting_marks_.erase(WaitKey(child, id));
    } else {
      for (auto* list : {&waiting_, &flushing_}) {
        for (auto& [node, token] : *list) {
          if (token == id) node = kNoNode;
        }
      }
    }
  }
  free_tokens_.push_back(id);
}

std::vector<FactRef> ForwardSession::TokenFacts(std::uint32_t token) const {
  std::vector<FactRef> facts;
  for (std::uint32_t t = token; t != kNil; t = tokens_[t].parent) {
    if (tokens_[t].fact.id != kNoFact) facts.push_back(tokens_[t].fact);
  }
  std::reverse(facts.begin(), facts.end());
  // A production rule whose control patterns were joined last: as written.
  const BetaNode& n = network_->betas()[tokens_[token].node];
  if (n.kind == BetaKind::kTerminal) {
    const std::vector<std::uint16_t>& order = program().rules[n.rule].pattern_source_order;
    if (!order.empty()) {
      assert(order.size() == facts.size() && "one fact per pattern");
      std::vector<FactRef> written(facts.size());
      for (std::size_t i = 0; i < facts.size() && i < order.size(); ++i) written[order[i]] = facts[i];
      return written;
    }
  }
  return facts;
}

// ---- conclusions ----------------------------------------------------------------------

void ForwardSession::OnTerminal(std::uint32_t token) {
  const BetaNode& n = network_->betas()[tokens_[token].node];
  const RuleSpec& rule = program().rules[n.rule];
  if (rule.kind == RuleKind::kProduction) {
    Activation a;
    a.rule = n.rule;
    a.token = token;
    a.salience = rule.salience;
    a.specificity = specificity_[n.rule];
    if (agenda_.needs_time_tags()) {
      for (FactRef f : TokenFacts(token)) a.time_tags.push_back(Meta(f).time);
    }
    tokens_[token].aux = agenda_.Add(std::move(a));
    if (observer_ != nullptr) observer_->OnActivation(n.rule, token, true);
    return;
  }
  double body = tokens_[token].cf;
  if (!semantics_.Fires(body)) return;
  std::span<const Value> frame(FramePtr(tokens_[token].frame), n.frame_size);
  // A member buffer: AddSupport only queues the fact, it never comes back here.
  std::vector<Value>& row = head_row_;
  row.clear();
  for (const Expr& e : rule.head_args) {
    auto v = Evaluate(e, frame);
    if (!v) return;  // an expression that fails concludes nothing
    row.push_back(*v);
  }
  if (!memory_.at(rule.head_relation).Conform(row).ok()) return;
  AddSupport(rule.head_relation, row, semantics_.Apply(body, rule.certainty), token);
}

void ForwardSession::OnTerminalRemoved(std::uint32_t token) {
  std::uint32_t aux = tokens_[token].aux;
  if (aux == kNil) return;
  const BetaNode& n = network_->betas()[tokens_[token].node];
  if (program().rules[n.rule].kind == RuleKind::kProduction) {
    agenda_.Remove(aux);
    if (observer_ != nullptr) observer_->OnActivation(n.rule, token, false);
  } else {
    RemoveSupport(aux);
  }
  tokens_[token].aux = kNil;
}

void ForwardSession::AddSupport(RelationId relation, std::span<const Value> row, double cf, std::uint32_t token) {
  auto [f, inserted] = Store(relation, row, cf, Origin::kDerived);
  ++derivations_;
  std::uint32_t s = TakeSlot(supports_, free_supports_);
  FactMeta& m = Meta(f);
  supports_[s] = Support{token, f, m.support_head, kNil, cf};
  if (m.support_head != kNil) supports_[m.support_head].prev = s;
  m.support_head = s;
  ++m.support_count;
  tokens_[token].aux = s;
  if (inserted) return;
  if (semantics_.FoldsExactly()) {
    // The certainty so far already combines the other derivations.
    Relation& rel = memory_.at(f.relation);
    double folded = semantics_.Combine(rel.certainty(f.id), cf);
    if (folded == rel.certainty(f.id)) return;
    rel.set_certainty(f.id, folded);
    if (m.state == FactState::kInNetwork || m.state == FactState::kDormant) Enqueue(OpKind::kRefresh, f);
    return;
  }
  RecomputeCertainty(f, true);
}

void ForwardSession::RemoveSupport(std::uint32_t s) {
  Support sup = supports_[s];
  FactMeta& m = Meta(sup.head);
  if (sup.prev != kNil) supports_[sup.prev].next = sup.next;
  else m.support_head = sup.next;
  if (sup.next != kNil) supports_[sup.next].prev = sup.prev;
  --m.support_count;
  free_supports_.push_back(s);
  if (m.asserted) {
    RecomputeCertainty(sup.head, true);
  } else if (m.support_count == 0) {
    Enqueue(OpKind::kRemove, sup.head);
  } else if (network_->recursive(sup.head.relation)) {
    Enqueue(OpKind::kOverdelete, sup.head);
  } else {
    RecomputeCertainty(sup.head, true);
  }
}

std::vector<Justification> ForwardSession::Justifications(FactRef fact) const {
  std::vector<Justification> out;
  if (fact.relation >= meta_.size() || fact.id >= meta_[fact.relation].size()) return out;
  for (std::uint32_t s = meta_[fact.relation][fact.id].support_head; s != kNil; s = supports_[s].next) {
    Justification j;
    j.rule = network_->betas()[tokens_[supports_[s].token].node].rule;
    j.certainty = supports_[s].cf;
    j.facts = TokenFacts(supports_[s].token);
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<FactRef> ForwardSession::ActivationFacts(ActivationId id) const {
  return TokenFacts(agenda_.at(id).token);
}

std::string ForwardSession::FormatFact(FactRef f) const {
  const Relation& rel = memory_.at(f.relation);
  std::string s = rel.name();
  if (rel.arity() > 0) {
    s += '(';
    auto row = rel.row(f.id);
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) s += ", ";
      s += row[i].ToString();
    }
    s += ')';
  }
  return s;
}

// ---- firing -------------------------------------------------------------------------

std::string ForwardSession::Interpolate(const PrintPart& part, std::span<const Value> frame) const {
  auto text_of = [](const Value& v) { return v.kind() == ValueKind::kString ? std::string(v.text()) : v.ToString(); };
  if (part.is_expr) {
    auto v = Evaluate(part.expr, frame);
    return v ? text_of(*v) : std::string("<error>");
  }
  if (part.slot != kNoSlot) {
    const Value& v = frame[part.slot];
    if (v.kind() == ValueKind::kFact) return FormatFact(FactRef{v.fact_relation(), v.fact_id()});
    return text_of(v);
  }
  return part.text;
}

bool ForwardSession::Fire(ActivationId id, RunResult* result) {
  // While the actions run, the frame may hold handles of facts they erase.
  struct FiringScope {
    ForwardSession* s;
    explicit FiringScope(ForwardSession* session) : s(session) { s->firing_ = true; }
    ~FiringScope() {
      s->firing_ = false;
      s->RecycleErased();
    }
  } scope(this);
  // Only these two are needed: copying the whole activation (its time tags)
  // would cost an allocation a firing under lex and mea.
  const Activation& fired = agenda_.at(id);
  struct {
    std::uint32_t rule, token;
  } a{fired.rule, fired.token};
  agenda_.Remove(id);
  tokens_[a.token].aux = kNil;
  const RuleSpec& rule = program().rules[a.rule];
  const BetaNode& n = network_->betas()[tokens_[a.token].node];
  // A copy (the actions may erase the token), in a buffer kept across
  // firings: Run never fires inside a firing.
  std::vector<Value>& frame = fire_frame_;
  frame.assign(FramePtr(tokens_[a.token].frame), FramePtr(tokens_[a.token].frame) + n.frame_size);
  if (frame.empty()) frame.resize(1);
  if (observer_ != nullptr) observer_->OnFire(a.rule, TokenFacts(a.token));
  ++result->firings;
  ++total_firings_;
  std::span<const Value> view(frame.data(), frame.size());
  auto fail = [&](const std::string& what) {
    result->reason = StopReason::kError;
    result->message = "rule " + rule.name + " (" + rule.location + "): " + what;
    return false;
  };
  for (const ActionSpec& act : rule.actions) {
    switch (act.kind) {
      case ActionKind::kAssert:
      case ActionKind::kRetract: {
        std::vector<Value>& row = action_row_;
        row.clear();
        for (std::size_t i = 0; i < act.args.size(); ++i) {
          auto v = Evaluate(act.args[i], view);
          if (!v) return fail("cannot evaluate argument " + std::to_string(i + 1) + " of " +
                              program().relations[act.relation].name);
          row.push_back(*v);
        }
        if (act.kind == ActionKind::kAssert) {
          auto r = AssertRow(act.relation, row, act.certainty, Origin::kAsserted);
          if (!r.ok()) return fail(r.status().message());
        } else {
          Relation& rel = memory_.at(act.relation);
          if (!rel.Conform(row).ok()) break;
          if (auto existing = rel.Find(row)) Retract(FactRef{act.relation, *existing});
        }
        break;
      }
      case ActionKind::kRetractFact: {
        const Value& h = frame[act.fact_slot];
        Retract(FactRef{h.fact_relation(), h.fact_id()});
        break;
      }
      case ActionKind::kModify: {
        const Value& h = frame[act.fact_slot];
        FactRef old{h.fact_relation(), h.fact_id()};
        if (!alive(old)) break;  // already retracted by an earlier action
        auto old_row = memory_.at(old.relation).row(old.id);
        std::vector<Value>& row = action_row_;
        row.assign(old_row.begin(), old_row.end());
        for (const auto& [col, e] : act.assignments) {
          auto v = Evaluate(e, view);
          if (!v) return fail("cannot evaluate the new value of column " + memory_.at(old.relation).columns()[col].name);
          row[col] = *v;
        }
        double cf = certainty(old);
        // A row that does not change must leave the network before it comes
        // back (a new fact, as in CLIPS, so its rules fire again); a changed
        // row can queue its removal, which the next drain processes first.
        // Rows are compared as they will be stored: conformed (an int into a
        // float column is a float) unless every value keeps its stored kind.
        // A row that cannot be stored drains first too, as before.
        bool stores = true;
        for (std::size_t i = 0; i < row.size(); ++i) {
          if (row[i].kind() != old_row[i].kind() || row[i].kind() == ValueKind::kTensor) {
            stores = memory_.at(old.relation).Conform(row).ok();
            break;
          }
        }
        const bool unchanged = stores && std::equal(row.begin(), row.end(), old_row.begin(), old_row.end());
        Retract(old);
        if (!stores || unchanged) Settle();
        auto r = AssertRow(old.relation, row, cf, Origin::kAsserted);
        if (!r.ok()) return fail(r.status().message());
        break;
      }
      case ActionKind::kPrint:
        if (out_ != nullptr) {
          std::string line;
          for (const PrintPart& part : act.print) line += Interpolate(part, frame);
          *out_ << line << '\n';
        }
        break;
      case ActionKind::kHalt:
        halted_ = true;
        break;
      case ActionKind::kCall:
        if (Status st = ActHost(act, rule, view); !st.ok()) return fail(st.message());
        break;
    }
    Settle();
  }
  return true;
}

// What a host action sees of the session: its changes are queued like a
// rule's own actions and propagate when the action returns.
class ForwardSession::ActionSessionView : public HostSession {
 public:
  explicit ActionSessionView(ForwardSession& s) : s_(s) {}
  const ProgramSpec& program() const override { return s_.program(); }
  Status Assert(RelationId relation, std::vector<Value> row, double certainty) override {
    auto r = s_.Assert(relation, std::move(row), certainty, Origin::kAsserted);
    return r.ok() ? Status() : r.status();
  }
  Result<bool> Retract(RelationId relation, std::span<const Value> row) override {
    std::vector<Value> copy(row.begin(), row.end());
    Relation& rel = s_.memory_.at(relation);
    if (Status st = rel.Conform(copy); !st.ok()) return st;
    auto id = rel.Find(copy);
    return id.has_value() && s_.Retract(FactRef{relation, *id});
  }
  std::vector<HostFact> Facts(RelationId relation, std::span<const std::optional<Value>> pattern) const override {
    std::vector<HostFact> out;
    const Relation& rel = s_.memory_.at(relation);
    rel.ForEach([&](FactId id) {
      const FactMeta& m = s_.meta_[relation][id];
      if (m.retract_pending || m.state == FactState::kDormant) return;
      auto row = rel.row(id);
      for (std::size_t i = 0; i < pattern.size() && i < row.size(); ++i) {
        if (pattern[i].has_value() && !SameBinding(*pattern[i], row[i])) return;
      }
      out.push_back({std::vector<Value>(row.begin(), row.end()), rel.certainty(id)});
    });
    return out;
  }
  void Print(std::string_view line) override {
    if (s_.out_ != nullptr) *s_.out_ << line << '\n';
  }
  void Halt() override { s_.halted_ = true; }

 private:
  ForwardSession& s_;
};

Status ForwardSession::ActHost(const ActionSpec& act, const RuleSpec& rule, std::span<const Value> frame) {
  const HostFunctionSpec& fn = program().functions[act.function];
  if (host_ == nullptr) {
    return Status::InvalidArgument("action '" + fn.name + "' has no implementation in this session");
  }
  // The rule's named variables; fact handles and lowering's own slots stay out.
  std::vector<std::string> names;
  std::vector<Value> values;
  for (std::size_t i = 0; i < rule.slot_names.size() && i < frame.size(); ++i) {
    const std::string& name = rule.slot_names[i];
    if (name.empty() || name[0] == '_' || name[0] == '$' || frame[i].kind() == ValueKind::kFact) continue;
    names.push_back(name);
    values.push_back(frame[i]);
  }
  ActionSessionView view(*this);
  return host_->Act(act.function, names, values, view);
}

RunResult ForwardSession::Run(const RunLimits& limits) {
  RunResult result;
  std::uint64_t derivations_before = derivations_;
  auto start = std::chrono::steady_clock::now();
  halted_ = false;
  auto finish = [&] {
    RecycleErased();
    result.derivations = derivations_ - derivations_before;
    return result;
  };
  if (!Drain(&limits, &result)) return finish();
  while (true) {
    if (halted_) {
      result.reason = StopReason::kHalted;
      result.message = "halted";
      return finish();
    }
    if (agenda_.empty()) {
      result.reason = StopReason::kAgendaEmpty;
      return finish();
    }
    if (limits.max_firings != 0 && result.firings >= limits.max_firings) {
      result.reason = StopReason::kFiringLimit;
      result.message = "stopped: the firing limit (" + std::to_string(limits.max_firings) + ") was reached";
      return finish();
    }
    if (limits.max_facts != 0 && live_facts_ > limits.max_facts) {
      result.reason = StopReason::kFactLimit;
      result.message = "stopped: the fact limit (" + std::to_string(limits.max_facts) + ") was reached";
      return finish();
    }
    if (interrupt_.exchange(false)) {
      result.reason = StopReason::kInterrupted;
      result.message = "interrupted";
      return finish();
    }
    if (limits.timeout_seconds > 0 && (result.firings & 255) == 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > limits.timeout_seconds) {
      result.reason = StopReason::kTimeLimit;
      result.message = "stopped: the time limit (" + std::to_string(limits.timeout_seconds) + " s) was reached";
      return finish();
    }
    if (!Fire(agenda_.Top(), &result)) return finish();
    if (!Drain(&limits, &result)) return finish();
  }
}

// ---- neural relations -------------------------------------------------------------

void ForwardSession::CompileNeuralInputs() {
  const ProgramSpec& p = program();
  if (p.neurals.empty()) return;
  std::vector<std::int32_t> spec_of(p.relations.size(), -1);
  for (std::size_t i = 0; i < p.neurals.size(); ++i) spec_of[p.neurals[i].relation] = static_cast<std::int32_t>(i);
  neural_node_.assign(network_->betas().size(), -1);
  demands_.reserve(p.neurals.size());
  for (const NeuralSpec& spec : p.neurals) demands_.emplace_back(p.relations[spec.relation].columns.size() - 1);
  for (NodeId id = 0; id < network_->betas().size(); ++id) {
    const BetaNode& n = network_->betas()[id];
    if (!n.needs_left_memory()) continue;
    const AlphaNode& alpha = network_->alphas()[n.alpha];
    if (spec_of[alpha.relation] < 0) continue;
    NeuralInputs in;
    in.spec = static_cast<std::uint32_t>(spec_of[alpha.relation]);
    const RelationSpec& rel = p.relations[alpha.relation];
    const std::size_t inputs = rel.columns.size() - 1;  // the last column is the label
    for (std::size_t col = 0; col < inputs; ++col) {
      std::pair<VarSlot, Value> source{kNoSlot, Value()};
      bool found = false;
      for (std::size_t k = 0; k < n.right_key.size() && !found; ++k) {
        if (n.right_key[k] == col) {
          source.first = n.left_key[k];
          found = true;
        }
      }
      for (const auto& [c, v] : alpha.constants) {
        if (!found && c == col) {
          source.second = v;
          found = true;
        }
      }
      if (!found && in.unbound.empty()) in.unbound = rel.columns[col].name;
      in.columns.push_back(source);
    }
    neural_node_[id] = static_cast<std::int32_t>(neural_inputs_.size());
    neural_inputs_.push_back(std::move(in));
  }
}

void ForwardSession::DemandPrediction(NodeId node, std::uint32_t token) {
  const NeuralInputs& in = neural_inputs_[neural_node_[node]];
  const NeuralSpec& spec = program().neurals[in.spec];
  if (!in.unbound.empty()) {
    if (host_error_.ok()) {
      host_error_ = Status::InvalidArgument("the neural predicate '" + program().relations[spec.relation].name +
                                            "' needs its input '" + in.unbound + "' bound by an earlier condition (" +
                                            spec.location + ")");
    }
    return;
  }
  const Value* frame = FramePtr(tokens_[token].frame);
  neural_row_.clear();
  for (const auto& [slot, constant] : in.columns) neural_row_.push_back(slot == kNoSlot ? constant : frame[slot]);
  if (demands_[in.spec].requested.Insert(neural_row_).second) predictions_pending_ = true;
}

bool ForwardSession::FlushPredictions() {
  predictions_pending_ = false;
  // The inputs of a batch that failed stay pending (they are requested, so
  // nothing would ask for them again): the next Run asks for them again.
  const ProgramSpec& p = program();
  std::vector<Value> row;  // not neural_row_: asserting a fact may demand another prediction
  for (std::size_t s = 0; s < demands_.size(); ++s) {
    NeuralDemand& demand = demands_[s];
    const std::uint32_t first = demand.asked;
    const auto count = static_cast<std::uint32_t>(demand.requested.size() - first);
    if (count == 0) continue;
    const NeuralSpec& spec = p.neurals[s];
    const std::string& name = p.relations[spec.relation].name;
    if (neural_ == nullptr) {
      if (host_error_.ok()) {
        host_error_ = Status::NotFound("no learned models are available to answer '" + name + "' (" +
                                       spec.location + ")");
      }
      predictions_pending_ = true;
      return false;
    }
    auto batch = neural_->PredictBatch(spec, InputRows(demand.requested.rows_from(first), count));
    ++model_batches_;
    model_inputs_ += count;
    if (!batch.ok() || batch->size() != count) {
      if (host_error_.ok()) {
        host_error_ = batch.ok() ? Status::Internal("the model for '" + name + "' answered the wrong count")
                                 : batch.status();
      }
      predictions_pending_ = true;
      return false;
    }
    // Asserting the answers may ask for more inputs (they go after these, into
    // the next batch) and so move the requested rows: each row is copied out.
    demand.asked = first + count;
    std::uint32_t source = 0;  // the last set's, as an index into prediction_sources_, plus one
    for (std::uint32_t i = 0; i < count; ++i) {
      PredictionSet& set = (*batch)[i];
      if (source == 0 || prediction_sources_[source - 1].model != set.model ||
          prediction_sources_[source - 1].version != set.version) {
        source = SourceIndex(set.model, set.version);
      }
      const std::span<const Value> input = demand.requested.row(first + i);
      row.assign(input.begin(), input.end());
      row.emplace_back();
      for (const Prediction& pr : KeptPredictions(spec, std::move(set.predictions))) {
        row.back() = pr.label;
        auto fact = AssertRow(spec.relation, row, std::clamp(pr.probability, 0.0, 1.0), Origin::kModel);
        if (!fact.ok()) {
          if (host_error_.ok()) host_error_ = fact.status();
          return false;
        }
        if (source_of_fact_.size() <= fact->relation) source_of_fact_.resize(fact->relation + 1);
        std::vector<std::uint32_t>& of = source_of_fact_[fact->relation];
        if (of.size() <= fact->id) of.resize(std::max<std::size_t>(fact->id + 1, of.size() * 2), 0);
        of[fact->id] = source;
      }
    }
  }
  return true;
}

std::uint32_t ForwardSession::SourceIndex(const std::string& model, std::int64_t version) {
  for (std::size_t i = 0; i < prediction_sources_.size(); ++i) {
    if (prediction_sources_[i].model == model && prediction_sources_[i].version == version) {
      return static_cast<std::uint32_t>(i + 1);
    }
  }
  prediction_sources_.push_back({model, version});
  return static_cast<std::uint32_t>(prediction_sources_.size());
}

const PredictionSource* ForwardSession::prediction_source(FactRef f) const {
  if (f.relation >= source_of_fact_.size() || f.id >= source_of_fact_[f.relation].size()) return nullptr;
  const std::uint32_t source = source_of_fact_[f.relation][f.id];
  return source == 0 ? nullptr : &prediction_sources_[source - 1];
}

}  // namespace syllo::engine

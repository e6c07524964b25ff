#include "engine/bottom_up.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "engine/aggregate.h"
#include "engine/steps.h"

namespace syllo::engine {

namespace {

bool HasHostCall(const std::vector<Step>& steps) {
  return std::any_of(steps.begin(), steps.end(), [](const Step& s) { return s.kind == ConditionKind::kCall; });
}

// Whether a node reads a whole relation (so it must be complete first).
bool ReadsWholeRelation(const BetaNode& n) {
  return n.kind == BetaKind::kNegative || n.kind == BetaKind::kExists || n.kind == BetaKind::kAggregate;
}

}  // namespace

// ---- the plan ----------------------------------------------------------------------

// The typed form of a comparison with a constant, or kGeneral.
BottomUpPlan::ColumnTest::Typed BottomUpPlan::TypedCompare(const ColumnTest& t) {
  using Typed = ColumnTest::Typed;
  if (t.kind != ColumnTest::Kind::kWithConstant) return Typed::kGeneral;
  CmpOp op = t.op;
  if (t.constant_first) {
    // c < x is x > c, and so on; == and != read both ways.
    switch (op) {
      case CmpOp::kLt: op = CmpOp::kGt; break;
      case CmpOp::kLe: op = CmpOp::kGe; break;
      case CmpOp::kGt: op = CmpOp::kLt; break;
      case CmpOp::kGe: op = CmpOp::kLe; break;
      default: break;
    }
  }
  if (t.constant.kind() == ValueKind::kInt) {
    switch (op) {
      case CmpOp::kLt: return Typed::kIntLt;
      case CmpOp::kLe: return Typed::kIntLe;
      case CmpOp::kGt: return Typed::kIntGt;
      case CmpOp::kGe: return Typed::kIntGe;
      case CmpOp::kEq: return Typed::kIntEq;
      case CmpOp::kNe: return Typed::kIntNe;
    }
  }
  if (t.constant.kind() == ValueKind::kFloat && !std::isnan(t.constant.as_float())) {
    switch (op) {
      case CmpOp::kLt: return Typed::kFloatLt;
      case CmpOp::kLe: return Typed::kFloatLe;
      case CmpOp::kGt: return Typed::kFloatGt;
      case CmpOp::kGe: return Typed::kFloatGe;
      default: break;  // == and != on floats: the general path
    }
  }
  return Typed::kGeneral;
}

BottomUpPlan::AlphaTests BottomUpPlan::CompileAlphaTests(const AlphaNode& alpha, const RelationSpec& relation) {
  AlphaTests out;
  for (const auto& [col, v] : alpha.constants) {
    ColumnTest t;
    t.kind = ColumnTest::Kind::kIdentical;
    t.column = col;
    t.constant = v;
    out.tests.push_back(t);
  }
  for (const auto& [a, b] : alpha.equalities) {
    ColumnTest t;
    t.kind = ColumnTest::Kind::kSameAs;
    t.column = a;
    t.other = b;
    out.tests.push_back(t);
  }
  // Which column each slot of the test frame holds.
  auto column_of = [&](VarSlot slot) -> std::optional<std::uint16_t> {
    for (auto [col, s] : alpha.test_binds) {
      if (s == slot) return col;
    }
    return std::nullopt;
  };
  for (const Step& step : alpha.tests) {
    ColumnTest t;
    const bool lhs_var = step.lhs.op == ExprOp::kVar, rhs_var = step.rhs.op == ExprOp::kVar;
    const bool lhs_const = step.lhs.op == ExprOp::kConst, rhs_const = step.rhs.op == ExprOp::kConst;
    if (step.kind == ConditionKind::kCompare && lhs_var && (rhs_var || rhs_const)) {
      auto col = column_of(step.lhs.slot);
      if (!col) return {};
      t.column = *col;
      if (rhs_var) {
        auto other = column_of(step.rhs.slot);
        if (!other) return {};
        t.kind = ColumnTest::Kind::kWithColumn;
        t.other = *other;
      } else {
        t.constant = step.rhs.constant;
      }
    } else if (step.kind == ConditionKind::kCompare && lhs_const && rhs_var) {
      auto col = column_of(step.rhs.slot);
      if (!col) return {};
      t.column = *col;
      t.constant = step.lhs.constant;
      t.constant_first = true;
    } else if (step.kind == ConditionKind::kMember && step.target == kNoSlot && lhs_var) {
      auto col = column_of(step.lhs.slot);
      if (!col) return {};
      t.kind = ColumnTest::Kind::kMember;
      t.column = *col;
      t.set = &step.set;
      t.negated = step.negated;
    } else {
      return {};
    }
    t.op = step.op;
    // A float column against an int constant (`Dti <= 20`): compared as
    // doubles either way (CompareValues), so as two floats, inline.
    if (t.kind == ColumnTest::Kind::kWithConstant && t.constant.kind() == ValueKind::kInt &&
        relation.columns[t.column].type.kind == ValueKind::kFloat) {
      t.constant = Value::Float(static_cast<double>(t.constant.as_int()));
    }
    t.typed = TypedCompare(t);
    out.tests.push_back(t);
  }
  out.direct = true;
  return out;
}

std::shared_ptr<const BottomUpPlan> BottomUpPlan::Make(std::shared_ptr<const ReteNetwork> network,
                                                       std::string* why_not) {
  auto refuse = [&](std::string reason) -> std::shared_ptr<const BottomUpPlan> {
    if (why_not != nullptr) *why_not = std::move(reason);
    return nullptr;
  };
  const ReteNetwork& net = *network;
  const ProgramSpec& spec = net.program();
  const CertaintySemantics& semantics = SemanticsFor(spec.semantics);
  if (!semantics.FoldsExactly()) {
    return refuse("under " + std::string(SemanticsName(spec.semantics)) +
                  " semantics a fact's certainty depends on the order of its derivations");
  }
  if (!spec.neurals.empty()) return refuse("neural relations are predicted in batches by the Rete session");
  for (const AlphaNode& a : net.alphas()) {
    if (HasHostCall(a.tests)) return refuse("a rule calls a host predicate");
  }
  const auto& betas = net.betas();
  auto plan = std::shared_ptr<BottomUpPlan>(new BottomUpPlan());
  plan->network_ = network;
  std::vector<std::uint32_t> terminal_rank(betas.size(), 0);
  for (NodeId id = 0; id < betas.size(); ++id) {
    const BetaNode& n = betas[id];
    if (n.kind == BetaKind::kCall || HasHostCall(n.steps)) return refuse("a rule calls a host predicate");
    if (n.kind == BetaKind::kJoin && n.fact_slot != kNoSlot) return refuse("a rule binds a fact handle (`as F`)");
    if (n.kind != BetaKind::kTerminal) continue;
    const RuleSpec& rule = spec.rules[n.rule];
    if (rule.kind != RuleKind::kLogical) return refuse("production rules fire from an agenda");
    const std::uint32_t rank = net.rank(rule.head_relation);
    terminal_rank[id] = rank;
    if (std::find(plan->ranks_.begin(), plan->ranks_.end(), rank) == plan->ranks_.end()) plan->ranks_.push_back(rank);
    // A negation, `exists` or aggregate must read a relation complete before
    // its rule's rank: one of its own cycle could be taken back.
    for (NodeId p = n.parent; p != kNoNode; p = betas[p].parent) {
      if (ReadsWholeRelation(betas[p]) && net.rank(net.alphas()[betas[p].alpha].relation) >= rank) {
        return refuse("rule " + rule.name + " negates or aggregates a relation of its own recursive cycle");
      }
    }
  }
  // The Rete session concludes a rule whose body starts with a test, a set
  // or a negation rather than a fact when a session starts, before any run;
  // leave such programs to it, so that a session shows the same facts at
  // the same moments either way.
  for (NodeId c : betas[net.root()].children) {
    if (betas[c].kind != BetaKind::kJoin && betas[c].kind != BetaKind::kAggregate) {
      return refuse("a rule's body starts with a test, a set or a negation: the Rete session concludes it when a "
                    "session starts");
    }
  }
  std::sort(plan->ranks_.begin(), plan->ranks_.end());
  const std::size_t words = (betas.size() + 63) / 64;
  // The plan keeps an index of the nodes per rank (4 bytes a node and rank):
  // refuse programs for which it would pass 4 MiB.
  if (plan->ranks_.size() * betas.size() > (std::size_t{1} << 20)) return refuse("too many ranks and nodes");
  std::vector<std::vector<std::uint64_t>> on_path(plan->ranks_.size(), std::vector<std::uint64_t>(words, 0));
  plan->recursive_rank_.assign(plan->ranks_.size(), 0);
  for (RelationId r = 0; r < spec.relations.size(); ++r) {
    if (!net.recursive(r)) continue;
    auto it = std::find(plan->ranks_.begin(), plan->ranks_.end(), net.rank(r));
    if (it == plan->ranks_.end()) continue;
    if (spec.semantics != Semantics::kBoolean) {
      return refuse("a recursive relation under " + std::string(SemanticsName(spec.semantics)) + " semantics");
    }
    plan->recursive_rank_[it - plan->ranks_.begin()] = 1;
  }
  for (NodeId id = 0; id < betas.size(); ++id) {
    if (betas[id].kind != BetaKind::kTerminal) continue;
    const std::size_t index =
        std::find(plan->ranks_.begin(), plan->ranks_.end(), terminal_rank[id]) - plan->ranks_.begin();
    for (NodeId p = id; p != kNoNode; p = betas[p].parent) on_path[index][p >> 6] |= std::uint64_t{1} << (p & 63);
  }
  auto on = [&](std::size_t rank, NodeId node) { return (on_path[rank][node >> 6] >> (node & 63)) & 1; };
  plan->first_.resize(plan->ranks_.size());
  plan->children_.resize(plan->ranks_.size());
  for (std::size_t r = 0; r < plan->ranks_.size(); ++r) {
    for (NodeId id = 0; id < betas.size(); ++id) {
      plan->first_[r].push_back(static_cast<std::uint32_t>(plan->children_[r].size()));
      if (!on(r, id)) continue;
      for (NodeId c : betas[id].children) {
        if (on(r, c)) plan->children_[r].push_back(c);
      }
    }
    plan->first_[r].push_back(static_cast<std::uint32_t>(plan->children_[r].size()));
  }
  // The root's joins by relation, per rank; its other children apart.
  plan->root_groups_.resize(plan->ranks_.size());
  plan->root_others_.resize(plan->ranks_.size());
  for (std::size_t r = 0; r < plan->ranks_.size(); ++r) {
    for (NodeId c : betas[net.root()].children) {
      if (!on(r, c)) continue;
      if (betas[c].kind != BetaKind::kJoin) {
        plan->root_others_[r].push_back(c);
        continue;
      }
      const RelationId rel = net.alphas()[betas[c].alpha].relation;
      auto it = std::find_if(plan->root_groups_[r].begin(), plan->root_groups_[r].end(),
                             [&](const RootGroup& g) { return g.relation == rel; });
      if (it == plan->root_groups_[r].end()) {
        plan->root_groups_[r].push_back({rel, {}});
        it = plan->root_groups_[r].end() - 1;
      }
      it->joins.push_back({c, false, 0, 0});  // packed below, with the alpha tests
    }
  }
  // Frames: a node's storage follows its parent's, so a path never reuses it.
  plan->frame_at_.assign(betas.size(), 0);
  plan->value_frame_at_.assign(betas.size(), 0);
  plan->lookups_.resize(betas.size());
  std::vector<std::uint32_t> end(betas.size(), 0);
  for (NodeId id = 0; id < betas.size(); ++id) {
    // Compile adds a node after its parent.
    const BetaNode& n = betas[id];
    const std::uint32_t base = n.parent == kNoNode ? 0 : end[n.parent];
    const std::size_t parent_size = n.parent == kNoNode ? 0 : betas[n.parent].frame_size;
    const std::size_t frame = std::max<std::size_t>({n.frame_size, parent_size, 1});
    const std::size_t value = n.kind == BetaKind::kAggregate
                                  ? std::max<std::size_t>({n.value_frame_size, parent_size, 1})
                                  : 0;
    plan->frame_at_[id] = base;
    plan->value_frame_at_[id] = base + static_cast<std::uint32_t>(frame);
    end[id] = base + static_cast<std::uint32_t>(frame + value);
    plan->frame_buffer_size_ = std::max<std::size_t>(plan->frame_buffer_size_, end[id]);
    if (n.kind == BetaKind::kJoin || ReadsWholeRelation(n)) {
      JoinLookup& l = plan->lookups_[id];
      std::vector<std::pair<std::uint16_t, VarSlot>> key;
      for (std::size_t k = 0; k < n.left_key.size(); ++k) key.emplace_back(n.right_key[k], n.left_key[k]);
      std::sort(key.begin(), key.end());
      l.usable = !key.empty();
      for (std::size_t k = 0; k < key.size(); ++k) {
        if (key[k].first >= kMaxColumns || (k > 0 && key[k].first == key[k - 1].first)) l.usable = false;
      }
      if (l.usable) {
        for (auto [col, slot] : key) {
          l.mask |= ColumnMask{1} << col;
          l.slots.push_back(slot);
        }
      }
    }
  }
  for (const AlphaNode& a : net.alphas()) plan->alpha_tests_.push_back(CompileAlphaTests(a, spec.relations[a.relation]));
  for (auto& groups : plan->root_groups_) {
    for (RootGroup& g : groups) {
      for (RootJoin& j : g.joins) {
        const BetaNode& n = betas[j.node];
        const AlphaTests& compiled = plan->alpha_tests_[n.alpha];
        // A root join has no parent values to match; one that had would take
        // the general path.
        j.packed = compiled.direct && n.left_key.empty();
        if (!j.packed) continue;
        j.tests_begin = static_cast<std::uint32_t>(plan->root_tests_.size());
        plan->root_tests_.insert(plan->root_tests_.end(), compiled.tests.begin(), compiled.tests.end());
        j.tests_end = static_cast<std::uint32_t>(plan->root_tests_.size());
      }
    }
  }
  // Heads whose every value is a constant or a column of the same type:
  // they conform by construction.
  plan->head_typed_.assign(betas.size(), 0);
  for (NodeId id = 0; id < betas.size(); ++id) {
    if (betas[id].kind != BetaKind::kTerminal) continue;
    const RuleSpec& rule = spec.rules[betas[id].rule];
    const auto& columns = spec.relations[rule.head_relation].columns;
    auto same = [](const ColumnType& a, ValueKind k) { return a.kind == k && k != ValueKind::kTensor; };
    bool typed = rule.head_args.size() == columns.size();
    for (std::size_t i = 0; typed && i < rule.head_args.size(); ++i) {
      const Expr& e = rule.head_args[i];
      if (e.op == ExprOp::kConst) {
        typed = same(columns[i].type, e.constant.kind());
      } else if (e.op == ExprOp::kVar) {
        // The join that binds the slot, and its column's type.
        std::optional<ValueKind> kind;
        for (NodeId p = betas[id].parent; p != kNoNode && !kind; p = betas[p].parent) {
          if (betas[p].kind != BetaKind::kJoin) continue;
          for (auto [col, slot] : betas[p].binds) {
            if (slot == e.slot) kind = spec.relations[net.alphas()[betas[p].alpha].relation].columns[col].type.kind;
          }
        }
        typed = kind.has_value() && same(columns[i].type, *kind);
      } else {
        typed = columns[i].type.kind != ValueKind::kTensor;  // its kind checked when computed
      }
    }
    plan->head_typed_[id] = typed ? 1 : 0;
  }
  plan->aggregate_column_.assign(betas.size(), kNoColumn);
  for (NodeId id = 0; id < betas.size(); ++id) {
    const BetaNode& n = betas[id];
    if (n.kind != BetaKind::kAggregate || n.aggregate_value.op != ExprOp::kVar) continue;
    for (auto [col, slot] : n.value_binds) {
      if (slot == n.aggregate_value.slot) plan->aggregate_column_[id] = col;
    }
  }
  // Direct heads (RootJoin::terminal): decided once the heads are typed.
  for (std::size_t r = 0; r < plan->root_groups_.size(); ++r) {
    for (RootGroup& g : plan->root_groups_[r]) {
      for (RootJoin& j : g.joins) {
        const BetaNode& n = betas[j.node];
        if (!j.packed || !n.steps.empty() || n.certainty_slot != kNoSlot) continue;
        const std::uint32_t first = plan->first_[r][j.node], last = plan->first_[r][j.node + 1];
        if (last - first != 1) continue;
        const NodeId t = plan->children_[r][first];
        if (betas[t].kind != BetaKind::kTerminal || !plan->head_typed_[t]) continue;
        const std::vector<Expr>& args = spec.rules[betas[t].rule].head_args;
        std::vector<HeadSource> head;
        for (const Expr& e : args) {
          if (e.op == ExprOp::kConst) {
            head.push_back({kNoColumn, e.constant});
            continue;
          }
          if (e.op != ExprOp::kVar) break;  // computed
          auto bind = std::find_if(n.binds.begin(), n.binds.end(), [&](const auto& b) { return b.second == e.slot; });
          if (bind == n.binds.end()) break;  // a slot this join does not bind
          head.push_back({bind->first, Value()});
        }
        if (head.size() != args.size()) continue;
        j.terminal = t;
        j.head_begin = static_cast<std::uint32_t>(plan->head_sources_.size());
        plan->head_sources_.insert(plan->head_sources_.end(), head.begin(), head.end());
        j.head_end = static_cast<std::uint32_t>(plan->head_sources_.size());
      }
    }
  }
  plan->program_facts_.resize(spec.relations.size());
  for (std::uint32_t i = 0; i < spec.facts.size(); ++i) plan->program_facts_[spec.facts[i].relation].push_back(i);
  return plan;
}

// ---- the session -------------------------------------------------------------------

BottomUpSession::BottomUpSession(std::shared_ptr<const BottomUpPlan> plan)
    : plan_(std::move(plan)),
      semantics_(SemanticsFor(plan_->program().semantics)),
      boolean_(semantics_.kind() == Semantics::kBoolean),
      threshold_(plan_->program().threshold) {
  const ProgramSpec& spec = plan_->program();
  for (const RelationSpec& r : spec.relations) (void)memory_.Declare(r.name, r.columns);
  touched_.assign(spec.relations.size(), 0);
  concluded_.assign(spec.rules.size(), 0);
  frames_.assign(plan_->frame_buffer_size_, Value());
  candidates_.resize(plan_->network().betas().size());
  for (RelationId r = 0; r < spec.relations.size(); ++r) touched_list_.push_back(r);
  Reset();
}

void BottomUpSession::Reset() {
  // Only what changed goes back: the program's facts of relations nobody
  // touched stay stored, so a small decision resets in a few steps.
  const ProgramSpec& spec = plan_->program();
  for (RelationId r : touched_list_) {
    Relation& rel = memory_.at(r);
    live_facts_ -= std::min(live_facts_, rel.size());
    rel.Clear();
    std::vector<Value> row;
    for (std::uint32_t i : plan_->program_facts_[r]) {
      const FactSpec& f = spec.facts[i];
      row.assign(f.values.begin(), f.values.end());
      // Checked when the program was compiled.
      if (!rel.Conform(row).ok()) continue;
      if (rel.Insert(row, f.certainty, Origin::kAsserted).inserted) ++live_facts_;
    }
    touched_[r] = 0;
  }
  touched_list_.clear();
  asserted_.clear();
  std::fill(concluded_.begin(), concluded_.end(), 0);
}

Result<FactRef> BottomUpSession::Assert(RelationId relation, std::span<Value> row, double certainty,
                                        Origin origin) {
  if (relation >= memory_.relation_count()) return Status::NotFound("no relation with id " + std::to_string(relation));
  Relation& rel = memory_.at(relation);
  if (Status s = rel.Conform(row); !s.ok()) return s;
  if (!std::isfinite(certainty) || certainty < -1.0 || certainty > 1.0) {
    return Status::InvalidArgument("certainty of a " + rel.name() + " fact must be in [-1, 1]");
  }
  auto res = rel.Insert(row, certainty, origin);
  FactRef f{relation, res.id};
  if (res.inserted) {
    ++live_facts_;
    Touch(relation);
    asserted_.push_back({f, certainty});
  }
  return f;
}

void BottomUpSession::CheckBudget() {
  if (work_ > kWorkBudget) {
    gave_up_ = true;
    return;
  }
  next_check_ = std::min(work_ + 1024, kWorkBudget + 1);
  if (limits_->timeout_seconds > 0 && Clock::now() > deadline_) gave_up_ = true;
}

BottomUpSession::Outcome BottomUpSession::Evaluate(const RunLimits& limits, std::uint64_t* derivations) {
  limits_ = &limits;
  gave_up_ = false;
  work_ = 0;
  next_check_ = 1024;
  if (limits.timeout_seconds > 0) {
    deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(limits.timeout_seconds));
  }
  if (limits.max_facts != 0 && live_facts_ > limits.max_facts) return Outcome::kGaveUp;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < plan_->ranks_.size(); ++i) {
    recursive_now_ = plan_->recursive_rank_[i] != 0;
    first_ = &plan_->first_[i];
    children_ = &plan_->children_[i];
    // A recursive cycle runs until a pass changes nothing; that last pass
    // meets every complete match once, which is what the count is.
    do {
      changed_ = false;
      pass_derivations_ = 0;
      RootJoins(plan_->root_groups_[i]);
      for (NodeId node : plan_->root_others_[i]) {
        if (!gave_up_) Enter(node, frames_.data(), semantics_.True());
      }
      if (gave_up_) return Outcome::kGaveUp;
    } while (plan_->recursive_rank_[i] && changed_);
    total += pass_derivations_;
  }
  *derivations = total;
  return Outcome::kConcluded;
}

BottomUpSession::Candidates BottomUpSession::Lookup(NodeId node, const Value* parent_frame, const Relation& rel) {
  const BottomUpPlan::JoinLookup& l = plan_->lookups_[node];
  std::vector<FactId>& out = candidates_[node];
  std::array<Value, 8> small;
  std::vector<Value> large;
  Value* key = small.data();
  if (l.slots.size() > small.size()) {
    large.resize(l.slots.size());
    key = large.data();
  }
  for (std::size_t k = 0; k < l.slots.size(); ++k) key[k] = parent_frame[l.slots[k]];
  auto found = rel.Lookup(l.mask, {key, l.slots.size()});
  out.assign(found.begin(), found.end());
  return {out.data(), static_cast<FactId>(out.size())};
}

void BottomUpSession::Enter(NodeId node, const Value* parent_frame, double cf) {
  if (!Spend(1)) return;
  const BetaNode& n = plan_->network().betas()[node];
  switch (n.kind) {
    case BetaKind::kJoin:
      Join(node, parent_frame, cf);
      return;
    case BetaKind::kNegative:
    case BetaKind::kExists:
      if (AnyMatch(node, parent_frame) == (n.kind == BetaKind::kExists)) Children(node, parent_frame, cf);
      return;
    case BetaKind::kAggregate:
      Aggregate(node, parent_frame, cf);
      return;
    case BetaKind::kFilter: {
      const std::size_t parent_size = plan_->network().betas()[n.parent].frame_size;
      const std::size_t size = std::max<std::size_t>({n.frame_size, parent_size, 1});
      Value* frame = frames_.data() + plan_->frame_at_[node];
      std::copy(parent_frame, parent_frame + parent_size, frame);
      std::fill(frame + parent_size, frame + size, Value());
      if (RunSteps(n.steps, {frame, size})) Children(node, frame, cf);
      return;
    }
    case BetaKind::kGenerate: {
      const std::size_t parent_size = plan_->network().betas()[n.parent].frame_size;
      Value* frame = frames_.data() + plan_->frame_at_[node];
      std::copy(parent_frame, parent_frame + parent_size, frame);
      for (const Value& v : n.set) {
        frame[n.target] = v;
        Children(node, frame, cf);
        if (gave_up_) return;
      }
      return;
    }
    case BetaKind::kTerminal:
      Conclude(node, parent_frame, cf);
      return;
    case BetaKind::kRoot:
    case BetaKind::kCall:
      return;  // the plan refuses host calls; the root has no parent
  }
}

// Inlined: it runs for every fact every join meets, and a call costs as much as its tests.
[[gnu::always_inline]] inline bool BottomUpSession::PassesTests(const BottomUpPlan::ColumnTest* begin,
                                                                 const BottomUpPlan::ColumnTest* end,
                                                                 std::span<const Value> row) {
  using Kind = BottomUpPlan::ColumnTest::Kind;
  using Typed = BottomUpPlan::ColumnTest::Typed;
  for (const BottomUpPlan::ColumnTest* it = begin; it != end; ++it) {
    const BottomUpPlan::ColumnTest& t = *it;
    const Value& x = row[t.column];
    // The typed comparisons first: an int or float column against a constant.
    if (x.kind() == ValueKind::kInt) {
      const std::int64_t a = x.as_int(), c = t.constant.as_int();
      switch (t.typed) {
        case Typed::kIntLt: if (!(a < c)) return false; continue;
        case Typed::kIntLe: if (!(a <= c)) return false; continue;
        case Typed::kIntGt: if (!(a > c)) return false; continue;
        case Typed::kIntGe: if (!(a >= c)) return false; continue;
        case Typed::kIntEq: if (a != c) return false; continue;
        case Typed::kIntNe: if (a == c) return false; continue;
        default: break;
      }
    } else if (x.kind() == ValueKind::kFloat && x.as_float() == x.as_float()) {
      const double a = x.as_float(), c = t.constant.as_float();
      switch (t.typed) {
        case Typed::kFloatLt: if (!(a < c)) return false; continue;
        case Typed::kFloatLe: if (!(a <= c)) return false; continue;
        case Typed::kFloatGt: if (!(a > c)) return false; continue;
        case Typed::kFloatGe: if (!(a >= c)) return false; continue;
        default: break;
      }
    }
    switch (t.kind) {
      case Kind::kIdentical:
        if (x != t.constant) return false;
        break;
      case Kind::kSameAs:
        if (x != row[t.other]) return false;
        break;
      case Kind::kWithConstant:
        if (!(t.constant_first ? CompareQuick(t.op, t.constant, x) : CompareQuick(t.op, x, t.constant))) return false;
        break;
      case Kind::kWithColumn:
        if (!CompareQuick(t.op, x, row[t.other])) return false;
        break;
      case Kind::kMember: {
        bool in = false;
        for (const Value& e : *t.set) {
          if (CompareQuick(CmpOp::kEq, e, x)) {
            in = true;
            break;
          }
        }
        if (in == t.negated) return false;
        break;
      }
    }
  }
  return true;
}

[[gnu::always_inline]] inline bool BottomUpSession::Passes(std::uint32_t alpha_id, std::span<const Value> row) const {
  const BottomUpPlan::AlphaTests& compiled = plan_->alpha_tests_[alpha_id];
  if (!compiled.direct) return AlphaPasses(plan_->network().alphas()[alpha_id], row);
  return PassesTests(compiled.tests.data(), compiled.tests.data() + compiled.tests.size(), row);
}

[[gnu::always_inline]] inline bool BottomUpSession::Matches(const BetaNode& n, const Value* parent_frame,
                                                             std::span<const Value> row) const {
  if (!Passes(n.alpha, row)) return false;
  for (std::size_t i = 0; i < n.left_key.size(); ++i) {
    if (parent_frame[n.left_key[i]] != row[n.right_key[i]]) return false;
  }
  return true;
}

template <typename F>
void BottomUpSession::ForEachMatch(NodeId node, const Value* parent_frame, F&& f) {
  const ReteNetwork& net = plan_->network();
  const BetaNode& n = net.betas()[node];
  const Relation& rel = memory_.at(net.alphas()[n.alpha].relation);
  const Candidates candidates = Find(node, parent_frame, rel);
  if (!Spend(candidates.count)) return;
  for (FactId k = 0; k < candidates.count; ++k) {
    const FactId id = candidates[k];
    if (!Counts(rel, id)) continue;
    auto row = rel.row(id);
    if (Matches(n, parent_frame, row) && !f(row)) return;
  }
}

void BottomUpSession::Join(NodeId node, const Value* parent_frame, double cf) {
  const ReteNetwork& net = plan_->network();
  const BetaNode& n = net.betas()[node];
  const Relation& rel = memory_.at(net.alphas()[n.alpha].relation);
  const Candidates candidates = Find(node, parent_frame, rel);
  if (!Spend(candidates.count)) return;
  for (FactId k = 0; k < candidates.count && !gave_up_; ++k) {
    const FactId id = candidates[k];
    if (Counts(rel, id)) JoinFact(node, n, parent_frame, cf, rel, id);
  }
}

void BottomUpSession::JoinFact(NodeId node, const BetaNode& n, const Value* parent_frame, double cf,
                               const Relation& rel, FactId id) {
  // Read here: a conclusion since may have grown the relation.
  auto row = rel.row(id);
  if (Matches(n, parent_frame, row)) JoinMatched(node, n, parent_frame, cf, rel, id, row);
}

void BottomUpSession::JoinMatched(NodeId node, const BetaNode& n, const Value* parent_frame, double cf,
                                  const Relation& rel, FactId id, std::span<const Value> row) {
  const std::size_t parent_size = plan_->network().betas()[n.parent].frame_size;
  Value* frame = frames_.data() + plan_->frame_at_[node];
  std::copy(parent_frame, parent_frame + parent_size, frame);
  for (auto [col, slot] : n.binds) frame[slot] = row[col];
  if (n.certainty_slot != kNoSlot) frame[n.certainty_slot] = Value::Float(rel.certainty(id));
  if (!n.steps.empty() && !RunSteps(n.steps, {frame, n.frame_size})) return;
  Children(node, frame, boolean_ ? 1.0 : semantics_.Conjunction(cf, rel.certainty(id)));
}

void BottomUpSession::RootJoins(const std::vector<BottomUpPlan::RootGroup>& groups) {
  // A relation's facts read once for all the joins of the rank that start
  // with it (the rules over an applicant: one fact, dozens of rules, most of
  // which fail their tests: those are decided here, without a call).
  const ReteNetwork& net = plan_->network();
  const Value* root_frame = frames_.data();
  const double cf = semantics_.True();
  const BottomUpPlan::ColumnTest* tests = plan_->root_tests_.data();
  for (const BottomUpPlan::RootGroup& g : groups) {
    const Relation& rel = memory_.at(g.relation);
    const FactId count = rel.capacity();  // as of now, as Find
    if (!Spend(std::uint64_t{count} * g.joins.size())) return;
    for (FactId id = 0; id < count; ++id) {
      if (!Counts(rel, id)) continue;
      for (const BottomUpPlan::RootJoin& j : g.joins) {
        auto row = rel.row(id);  // per join: a conclusion may have grown the relation
        if (j.packed ? !PassesTests(tests + j.tests_begin, tests + j.tests_end, row)
                     : !Matches(net.betas()[j.node], root_frame, row)) {
          continue;
        }
        if (j.terminal != kNoNode) {
          if (!Spend(1)) return;  // as Enter, for the terminal
          const double conjunction = boolean_ ? 1.0 : semantics_.Conjunction(cf, rel.certainty(id));
          if (!boolean_ && !semantics_.Fires(conjunction)) continue;
          head_row_.resize(j.head_end - j.head_begin);
          Value* out = head_row_.data();
          for (std::uint32_t k = j.head_begin; k < j.head_end; ++k) {
            const BottomUpPlan::HeadSource& h = plan_->head_sources_[k];
            *out++ = h.column == BottomUpPlan::kNoColumn ? h.constant : row[h.column];
          }
          ConcludeHead(j.terminal, false, conjunction);
        } else {
          JoinMatched(j.node, net.betas()[j.node], root_frame, cf, rel, id, row);
        }
        if (gave_up_) return;
      }
    }
  }
}

bool BottomUpSession::AnyMatch(NodeId node, const Value* parent_frame) {
  bool any = false;
  ForEachMatch(node, parent_frame, [&](std::span<const Value>) {
    any = true;
    return false;  // one is enough
  });
  return any;
}

void BottomUpSession::Aggregate(NodeId node, const Value* parent_frame, double cf) {
  const ReteNetwork& net = plan_->network();
  const BetaNode& n = net.betas()[node];
  const std::size_t parent_size = net.betas()[n.parent].frame_size;
  // The value is computed on the parent's frame with the fact's columns bound.
  const std::size_t value_size = std::max<std::size_t>({n.value_frame_size, parent_size, 1});
  Value* value_frame = frames_.data() + plan_->value_frame_at_[node];
  std::copy(parent_frame, parent_frame + parent_size, value_frame);
  std::fill(value_frame + parent_size, value_frame + value_size, Value());
  Aggregator aggregator(n.aggregate);
  const std::uint16_t column = plan_->aggregate_column_[node];
  ForEachMatch(node, parent_frame, [&](std::span<const Value> row) {
    if (n.aggregate == AggregateFn::kCount) {
      aggregator.Add(std::nullopt);
      return true;
    }
    if (column != BottomUpPlan::kNoColumn) {
      aggregator.Add(row[column]);
      return true;
    }
    for (auto [col, slot] : n.value_binds) value_frame[slot] = row[col];
    aggregator.Add(engine::Evaluate(n.aggregate_value, {value_frame, value_size}));
    return true;
  });
  if (gave_up_) return;
  std::optional<Value> result = aggregator.Result();
  if (!result) return;
  const std::size_t size = std::max<std::size_t>({n.frame_size, parent_size, 1});
  Value* frame = frames_.data() + plan_->frame_at_[node];
  std::copy(parent_frame, parent_frame + parent_size, frame);
  std::fill(frame + parent_size, frame + size, Value());
  frame[n.target] = *result;
  Children(node, frame, cf);
}

void BottomUpSession::Conclude(NodeId node, const Value* frame, double cf) {
  const BetaNode& n = plan_->network().betas()[node];
  const RuleSpec& rule = plan_->program().rules[n.rule];
  if (!boolean_ && !semantics_.Fires(cf)) return;  // boolean: cf is 1
  std::span<const Value> view(frame, n.frame_size);
  const std::vector<Column>& columns = memory_.at(rule.head_relation).columns();
  const std::size_t arity = rule.head_args.size();
  const Expr* args = rule.head_args.data();
  head_row_.resize(arity);
  Value* out = head_row_.data();
  bool conform = !plan_->head_typed_[node];
  for (std::size_t i = 0; i < arity; ++i) {
    const Expr& e = args[i];
    if (e.op == ExprOp::kVar) {
      out[i] = view[e.slot];
    } else if (e.op == ExprOp::kConst) {
      out[i] = e.constant;
    } else {
      auto v = engine::Evaluate(e, view);
      if (!v) return;  // an expression that fails concludes nothing
      if (i >= columns.size() || v->kind() != columns[i].type.kind) conform = true;
      out[i] = *v;
    }
  }
  ConcludeHead(node, conform, cf);
}

void BottomUpSession::ConcludeHead(NodeId node, bool conform, double cf) {
  const std::uint32_t rule_index = plan_->network().betas()[node].rule;
  const RuleSpec& rule = plan_->program().rules[rule_index];
  Relation& rel = memory_.at(rule.head_relation);
  if (conform && !rel.Conform(head_row_).ok()) return;
  const double conclusion = boolean_ ? 1.0 : semantics_.Apply(cf, rule.certainty);
  ++pass_derivations_;
  auto res = rel.Insert(head_row_, conclusion, Origin::kDerived);
  if (res.inserted) {
    ++live_facts_;
    Touch(rule.head_relation);
    changed_ = true;
    if (limits_->max_facts != 0 && live_facts_ > limits_->max_facts) gave_up_ = true;
  } else {
    // The evidence folds into what the fact has (exact under this semantics).
    const double folded = semantics_.Combine(rel.certainty(res.id), conclusion);
    if (folded != rel.certainty(res.id)) {
      // In a recursive cycle the Rete session has passed the fact on at its
      // old certainty already, and takes back and redoes what it matched:
      // leave it the run, so the count of derivations stays its own.
      if (recursive_now_) gave_up_ = true;
      rel.set_certainty(res.id, folded);
      Touch(rule.head_relation);
      changed_ = true;
    }
  }
  if (rel.origin(res.id) == Origin::kDerived) concluded_[rule_index] = 1;
}

}  // namespace syllo::engine

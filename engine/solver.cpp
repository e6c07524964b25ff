#include "engine/solver.h"

#include <chrono>

#include <algorithm>
#include <cassert>
#include <deque>
#include <set>
#include <unordered_map>
#include <utility>

#include "engine/aggregate.h"
#include "engine/explain.h"

namespace syllo::engine {

namespace {

constexpr std::uint32_t kNil = UINT32_MAX;
// The destination of bodies run for an explanation: complete matches go to a
// callback instead of a table.
constexpr std::uint32_t kProbeSink = UINT32_MAX - 1;
// Symbol ids are below 2^32 - 1, so no packed answer row has this key.
constexpr std::uint64_t kEmptyKey = ~std::uint64_t{0};

// Where the facts of a relation come from.
enum class Source : std::uint8_t { kStored, kExternal, kDerived, kAsked, kNeural };

// What matching one pattern argument does, given what is bound before it.
struct ArgOp {
  enum class Kind : std::uint8_t { kConst, kCheck, kBind, kIgnore } kind = Kind::kIgnore;
  VarSlot slot = kNoSlot;
  Value constant;
};

struct CompiledCondition {
  std::vector<ArgOp> ops;
  ColumnMask bound = 0;       // columns known before the match: the call pattern
  bool target_bound = false;  // kAssign, kMember, kAggregate: the target is already bound (a test)
};

// A rule for one call pattern of its head: which head arguments arrive bound
// changes which body variables are tests and which are bindings.
struct CompiledRule {
  std::uint32_t rule = 0;
  ColumnMask head_mask = 0;
  std::uint16_t frame_size = 0;
  std::vector<CompiledCondition> conditions;
  struct HeadArg {
    enum class Kind : std::uint8_t { kBind, kCheck, kConst, kLater } kind = Kind::kLater;
    VarSlot slot = kNoSlot;
    Value constant;
  };
  std::vector<HeadArg> head;  // by head argument, for the bound ones
};

std::uint64_t HashRow(RelationId relation, std::span<const Value> row) {
  std::uint64_t h = 0x5157 ^ relation;
  for (const Value& v : row) h = HashCombine(h, v.Hash());
  return h;
}

// The values of a call at the columns in `mask`, in column order: a lookup key.
std::vector<Value> KeyOf(std::span<const Value> call, ColumnMask mask) {
  std::vector<Value> key;
  for (std::size_t i = 0; i < call.size(); ++i) {
    if (mask & (ColumnMask{1} << i)) key.push_back(call[i]);
  }
  return key;
}

bool RowEquals(std::span<const Value> a, std::span<const Value> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

// Values bound into a frame must be the column's kind; ints widen to floats.
// kNone (a free argument of a call) conforms.
bool ConformRow(const std::vector<Column>& columns, std::vector<Value>& row) {
  for (std::size_t i = 0; i < row.size(); ++i) {
    ValueKind want = columns[i].type.kind;
    if (row[i].kind() == want || want == ValueKind::kNone || row[i].kind() == ValueKind::kNone) continue;
    if (want == ValueKind::kFloat && row[i].kind() == ValueKind::kInt) {
      row[i] = Value::Float(static_cast<double>(row[i].as_int()));
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

// ---- the machine -----------------------------------------------------------------

class Solver::Machine {
 public:
  explicit Machine(Solver& solver);

  Status Open(RelationId relation, std::vector<Value> call);
  Result<bool> Next(Answer* out);
  // The goal a one-goal query reads directly, with the call it makes.
  std::optional<std::pair<RelationId, std::vector<Value>>> DirectGoal(RelationId relation,
                                                                      const std::vector<Value>& call);
  Result<std::vector<Answer>> SolveAll(RelationId relation, std::span<const Value> call);
  Status Probe(std::uint32_t rule, std::span<const Value> head, const ProofCallback& on_proof, ProbeProgress* progress);
  std::vector<GoalStackEntry> GoalStack() const;
  SolverStats stats() const;
  bool Counts(double cf) const { return engine::Counts(semantics_, threshold_, cf); }

 private:
  struct Table {
    RelationId relation = 0;
    std::vector<Value> call;  // kNone where free
    ColumnMask bound = 0;
    std::size_t arity = 0;
    std::vector<Value> rows;
    std::vector<double> cf;
    std::vector<Origin> origin;
    std::vector<std::uint64_t> slots;  // open addressing: hash << 32 | (answer + 1); 0 = empty
    // Rows of at most two symbols pack into one 64-bit key, kept in the slot
    // itself: finding a duplicate then reads no row (the common case in
    // transitive closures, where most derivations are duplicates).
    bool packed = false;
    std::vector<std::uint64_t> packed_keys;      // kEmptyKey where free
    std::vector<std::uint32_t> packed_answers;   // the answer at each used key
    std::vector<std::uint32_t> consumers;
    bool complete = false;
    Provenance model;  // neural tables: the model that answered
    // Who called it first (for `why`).
    std::uint32_t creator_rule = kNil;
    std::uint16_t creator_condition = 0;
    std::uint32_t creator_dest = kNil;
    std::vector<Value> creator_frame;

    std::size_t size() const { return cf.size(); }
    std::span<const Value> row(std::size_t i) const { return {rows.data() + i * arity, arity}; }
  };

  struct Consumer {
    std::uint32_t table = 0;  // consumed
    std::uint32_t next = 0;   // next answer to consume
    std::uint32_t compiled = 0;
    std::uint32_t dest = 0;
    std::uint16_t condition = 0;
    std::uint16_t frame_size = 0;
    std::uint32_t frame = 0;  // offset in consumer_frames_
    double cf = 1.0;          // certainty of the body before this condition
    bool scheduled = false;
  };

  // How much of the LIFO scratch space (frames, fact ids, external rows) is in
  // use: resuming a choice point, or leaving a nested run, drops what came after.
  struct ScratchMark {
    std::uint32_t arena = 0, ids = 0, rows = 0, row_values = 0;
  };

  struct ChoicePoint {
    enum class Kind : std::uint8_t { kScan, kIds, kRows, kTable, kConsumer, kMember, kRules, kCallRows };
    Kind kind = Kind::kScan;
    std::uint16_t condition = 0;
    std::uint32_t compiled = 0;
    std::uint32_t dest = 0;
    std::uint32_t frame = 0;   // arena offset of the activation's frame
    std::uint32_t pos = 0, end = 0;
    std::uint32_t source = 0;  // kScan/kIds/kRows: relation; kTable/kRules: table; kConsumer: consumer
    std::uint32_t offset = 0;  // kIds: into ids_; kRows: first row in rows_
    ScratchMark mark;          // the scratch space in use when it was pushed
    double cf = 1.0;           // certainty of the body before this condition
  };

  struct Context {
    std::vector<ChoicePoint> stack;
    std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> tables;  // incomplete, by variant
    std::vector<std::uint32_t> created;
    // Neural tables of this context waiting for their model: answered all in
    // one batch per relation when the context has nothing else to do.
    std::vector<std::uint32_t> pending_neural;
  };

  // An activation waiting for a synchronous call (nested completion, a question).
  struct Active {
    std::uint32_t compiled;
    std::uint16_t condition;
    std::uint32_t frame;
    std::uint32_t dest;
  };

  struct ActiveScope {
    Machine* m;
    ActiveScope(Machine* machine, Active a) : m(machine) { m->active_.push_back(a); }
    ~ActiveScope() { m->active_.pop_back(); }
  };

  const RuleSpec& RuleOf(std::uint32_t compiled) const { return program_.rules[compiled_[compiled].rule]; }
  std::uint32_t Compile(std::uint32_t rule, ColumnMask head_mask);
  std::uint32_t NewFrame(std::uint16_t size) {
    auto offset = static_cast<std::uint32_t>(arena_.size());
    arena_.resize(arena_.size() + std::max<std::uint16_t>(size, 1));
    return offset;
  }
  Value* Frame(std::uint32_t offset) { return arena_.data() + offset; }
  ScratchMark Mark() const {
    return {static_cast<std::uint32_t>(arena_.size()), static_cast<std::uint32_t>(ids_.size()),
            static_cast<std::uint32_t>(rows_.size()), static_cast<std::uint32_t>(rows_.values.size())};
  }
  void Truncate(const ScratchMark& m) {
    arena_.resize(m.arena);
    ids_.resize(m.ids);
    rows_.values.resize(m.row_values);
    rows_.certainty.resize(m.rows);
    rows_.origin.resize(m.rows);
  }
  void Push(ChoicePoint cp) {
    cp.mark = Mark();
    contexts_.back().stack.push_back(cp);
  }

  void ResetAll();
  void CloseQuery();
  Status RunContext(std::size_t ctx, bool stop_on_answer);
  Status RunStack(std::size_t ctx, bool stop_on_answer);
  void Resume();
  void Step(std::uint32_t compiled, std::uint32_t dest, std::uint32_t frame, std::uint16_t condition, double cf);
  void CallHost(std::uint32_t compiled, std::uint32_t dest, std::uint32_t frame, std::uint16_t condition, double cf);
  void PushPattern(std::uint32_t compiled, std::uint32_t dest, std::uint32_t frame, std::uint16_t condition,
                   double cf);
  bool MatchRow(const CompiledCondition& cc, const Pattern& pattern, std::span<const Value> row, double fact_cf,
                Value* frame, Value handle) const;
  void Emit(std::uint32_t compiled, std::uint32_t dest, std::uint32_t frame, double cf);
  bool AddAnswer(std::uint32_t table, std::span<const Value> row, double cf, Origin origin);
  bool AddPacked(Table& t, std::span<const Value> row, double cf);
  bool AddHashed(Table& t, std::span<const Value> row, double cf);
  void Schedule(std::uint32_t consumer);

  std::vector<Value> CallOf(const CompiledCondition& cc, const Pattern& pattern, const Value* frame) const;
  std::uint32_t FindTable(RelationId relation, std::span<const Value> call, bool current_context) const;
  std::uint32_t NewTable(RelationId relation, std::vector<Value> call);
  Status Produce(std::uint32_t table);
  Result<std::uint32_t> Complete(RelationId relation, std::vector<Value> call);
  void CompleteContext();
  Status Ask(std::uint32_t table);
  Status AddStoredFacts(std::uint32_t table, bool skip_derived);
  // Answers the context's pending neural tables, one PredictBatch per relation.
  Status PredictPending(std::size_t ctx);

  Result<bool> AnyCounts(const Condition& c, const CompiledCondition& cc, std::uint32_t frame);
  Result<std::optional<Value>> AggregateOf(const Condition& c, const CompiledCondition& cc, std::uint32_t frame,
                                           std::uint16_t frame_size);
  // Calls f(scratch frame) for every fact or answer that matches `c`'s pattern
  // under the frame and counts; the scratch frame holds the pattern's locals.
  // f returns false to stop.
  template <typename F>
  Status ForEachMatch(const Condition& c, const CompiledCondition& cc, std::uint32_t frame, std::uint16_t frame_size,
                      F&& f);

  void Fail(Status s) {
    if (error_.ok()) error_ = std::move(s);
  }

  Solver& solver_;
  const ProgramSpec& program_;
  const CertaintySemantics& semantics_;
  const double threshold_;
  const bool lazy_;  // boolean semantics: answers as soon as found
  std::vector<Source> source_;
  std::vector<std::uint32_t> component_;
  std::vector<std::vector<std::uint32_t>> rules_by_head_;
  std::vector<const AskSpec*> ask_;
  std::vector<const NeuralSpec*> neural_;

  // A deque: nested work compiles rules while references to others are held.
  std::deque<CompiledRule> compiled_;
  std::vector<std::vector<std::uint32_t>> compiled_by_rule_;

  std::vector<std::unique_ptr<Table>> tables_;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> complete_;  // by variant
  std::vector<Context> contexts_;
  std::vector<Consumer> consumers_;
  std::vector<Value> consumer_frames_;
  std::vector<Value> arena_;
  std::vector<FactId> ids_;
  ExternalRows rows_;
  std::vector<Value> head_row_;
  std::vector<Active> active_;
  std::vector<std::unique_ptr<Relation>> replies_;  // by relation: the user's answers
  std::unordered_set<GoalKey, GoalKeyHash> asked_keys_;

  std::uint32_t query_table_ = kNil;
  std::uint32_t query_cursor_ = 0;
  // A query that is one goal reads that goal's table directly: its answers
  // are this projection of the goal's rows (empty: the rows themselves).
  std::vector<std::uint16_t> projection_;
  bool project_ = false;
  std::vector<Value> direct_call_;
  bool answer_ready_ = false;
  Status error_;
  std::uint64_t steps_ = 0;
  const ProofCallback* probe_ = nullptr;
  ProbeProgress* progress_ = nullptr;

  friend class Solver;
};

namespace {

bool Same(const Value& a, const Value& b) { return SameBinding(a, b); }

}  // namespace

Solver::Machine::Machine(Solver& solver)
    : solver_(solver),
      program_(*solver.program_),
      semantics_(SemanticsFor(program_.semantics)),
      threshold_(program_.threshold),
      lazy_(program_.semantics == Semantics::kBoolean) {
  const std::size_t n = program_.relations.size();
  source_.assign(n, Source::kStored);
  ask_.assign(n, nullptr);
  neural_.assign(n, nullptr);
  rules_by_head_.resize(n);
  replies_.resize(n);
  for (std::size_t r = 0; r < program_.rules.size(); ++r) {
    const RuleSpec& rule = program_.rules[r];
    if (rule.kind != RuleKind::kLogical) continue;
    rules_by_head_[rule.head_relation].push_back(static_cast<std::uint32_t>(r));
    source_[rule.head_relation] = Source::kDerived;
  }
  for (RelationId r = 0; r < n && r < solver.options_.external.size(); ++r) {
    if (solver.options_.external[r] != nullptr && source_[r] == Source::kStored) source_[r] = Source::kExternal;
  }
  for (const AskSpec& a : program_.asks) {
    ask_[a.relation] = &a;
    source_[a.relation] = Source::kAsked;
  }
  for (const NeuralSpec& s : program_.neurals) {
    neural_[s.relation] = &s;
    source_[s.relation] = Source::kNeural;
  }
  component_ = RelationComponents(program_);
  compiled_by_rule_.resize(program_.rules.size());
  ResetAll();
}

void Solver::Machine::ResetAll() {
  tables_.clear();
  complete_.clear();
  CloseQuery();
}

void Solver::Machine::CloseQuery() {
  // Tables still incomplete belong to the query being closed: forget them.
  contexts_.clear();
  contexts_.emplace_back();
  consumers_.clear();
  consumer_frames_.clear();
  arena_.clear();
  ids_.clear();
  rows_.clear();
  active_.clear();
  query_table_ = kNil;
  query_cursor_ = 0;
  project_ = false;
  projection_.clear();
  answer_ready_ = false;
  error_ = Status();
}

std::uint32_t Solver::Machine::Compile(std::uint32_t rule_index, ColumnMask head_mask) {
  for (std::uint32_t c : compiled_by_rule_[rule_index]) {
    if (compiled_[c].head_mask == head_mask) return c;
  }
  const RuleSpec& rule = program_.rules[rule_index];
  CompiledRule cr;
  cr.rule = rule_index;
  cr.head_mask = head_mask;
  std::vector<bool> bound;
  auto is_bound = [&](VarSlot s) { return s < bound.size() && bound[s]; };
  auto set_bound = [&](VarSlot s, bool value) {
    if (s >= bound.size()) bound.resize(s + 1, false);
    bound[s] = value;
  };
  std::uint16_t size = rule.slot_count;
  auto see = [&](VarSlot s) {
    if (s != kNoSlot) size = std::max<std::uint16_t>(size, static_cast<std::uint16_t>(s + 1));
  };
  cr.head.resize(rule.head_args.size());
  for (std::size_t i = 0; i < rule.head_args.size(); ++i) {
    if (!(head_mask & (ColumnMask{1} << i))) continue;
    const Expr& e = rule.head_args[i];
    auto& h = cr.head[i];
    if (e.op == ExprOp::kVar) {
      h.slot = e.slot;
      see(e.slot);
      h.kind = is_bound(e.slot) ? CompiledRule::HeadArg::Kind::kCheck : CompiledRule::HeadArg::Kind::kBind;
      set_bound(e.slot, true);
    } else if (e.op == ExprOp::kConst) {
      h.kind = CompiledRule::HeadArg::Kind::kConst;
      h.constant = e.constant;
    }
  }
  // Lowering numbers slots in the order the body binds them, and gives the
  // variables local to a not/exists/aggregate numbers past those bound so far,
  // which a later variable can reuse. So a slot at or past `claimed` in such a
  // pattern is a local, even if the head happens to bind a slot of that number.
  std::uint16_t claimed = 0;
  auto claim = [&](VarSlot s) {
    if (s != kNoSlot) claimed = std::max<std::uint16_t>(claimed, static_cast<std::uint16_t>(s + 1));
  };
  for (const Condition& c : rule.conditions) {
    CompiledCondition cc;
    if (c.kind == ConditionKind::kPattern || c.kind == ConditionKind::kNegated ||
        c.kind == ConditionKind::kExists || c.kind == ConditionKind::kAggregate || c.kind == ConditionKind::kCall) {
      // A host predicate's outputs bind or test like a positive pattern's arguments.
      const bool positive = c.kind == ConditionKind::kPattern || c.kind == ConditionKind::kCall;
      std::vector<VarSlot> locals;
      for (std::size_t i = 0; i < c.pattern.args.size(); ++i) {
        const PatternArg& a = c.pattern.args[i];
        ArgOp op;
        if (a.kind == PatternArg::Kind::kConst) {
          op.kind = ArgOp::Kind::kConst;
          op.constant = a.constant;
          cc.bound |= ColumnMask{1} << i;
        } else if (a.kind == PatternArg::Kind::kVar) {
          op.slot = a.slot;
          see(a.slot);
          const bool local = !positive && a.slot >= claimed;
          const bool seen_here = std::find(locals.begin(), locals.end(), a.slot) != locals.end();
          if (seen_here) {
            op.kind = ArgOp::Kind::kCheck;  // a repeated variable: equal columns in one fact
          } else if (!local && is_bound(a.slot)) {
            op.kind = ArgOp::Kind::kCheck;
            cc.bound |= ColumnMask{1} << i;
          } else {
            op.kind = ArgOp::Kind::kBind;
            locals.push_back(a.slot);
          }
        }
        cc.ops.push_back(op);
      }
      if (positive) {
        for (VarSlot s : locals) set_bound(s, true);
        // Bound here in lowering's numbering, even where the head bound it first.
        for (const PatternArg& a : c.pattern.args) {
          if (a.kind == PatternArg::Kind::kVar) claim(a.slot);
        }
        for (VarSlot s : {c.pattern.certainty_slot, c.pattern.fact_slot}) {
          see(s);
          if (s != kNoSlot) {
            set_bound(s, true);
            claim(s);
          }
        }
      }
    }
    if (c.kind == ConditionKind::kAssign || c.kind == ConditionKind::kAggregate ||
        (c.kind == ConditionKind::kMember && c.target != kNoSlot)) {
      see(c.target);
      cc.target_bound = is_bound(c.target);
      set_bound(c.target, true);
      claim(c.target);
    }
    cr.conditions.push_back(std::move(cc));
  }
  cr.frame_size = size;
  compiled_.push_back(std::move(cr));
  auto id = static_cast<std::uint32_t>(compiled_.size() - 1);
  compiled_by_rule_[rule_index].push_back(id);
  return id;
}

// ---- running ---------------------------------------------------------------------

Status Solver::Machine::RunContext(std::size_t ctx, bool stop_on_answer) {
  for (;;) {
    Status s = RunStack(ctx, stop_on_answer);
    if (!s.ok() || contexts_[ctx].pending_neural.empty() || !contexts_[ctx].stack.empty()) return s;
    // Nothing else to do here: the model answers every input this context
    // asked for at once, and the consumers waiting on them go on.
    if (Status p = PredictPending(ctx); !p.ok()) {
      Fail(p);
      return error_;
    }
  }
}

Status Solver::Machine::RunStack(std::size_t ctx, bool stop_on_answer) {
  while (!contexts_[ctx].stack.empty()) {
    if (solver_.interrupt_.load(std::memory_order_relaxed)) {
      solver_.interrupt_.store(false, std::memory_order_relaxed);
      Fail(Status::Cancelled("interrupted"));
    }
    // The clock is read every 1024 steps: cheap, and a step is short.
    if (solver_.options_.deadline != nullptr && (steps_ & 1023) == 0 &&
        std::chrono::steady_clock::now() > *solver_.options_.deadline) {
      Fail(Status::LimitExceeded("time limit: the goal took longer than its deadline"));
    }
    if (!error_.ok()) return error_;
    if (stop_on_answer && answer_ready_) return Status();
    Resume();
  }
  return error_;
}

void Solver::Machine::Resume() {
  ++steps_;
  auto& stack = contexts_.back().stack;
  ChoicePoint cp = stack.back();
  if (cp.kind == ChoicePoint::Kind::kConsumer) {
    Consumer& c = consumers_[cp.source];
    if (c.next >= tables_[c.table]->size()) {
      c.scheduled = false;
      stack.pop_back();
      return;
    }
    cp.pos = c.next++;
  } else {
    if (cp.pos >= cp.end) {
      stack.pop_back();
      return;
    }
    ++stack.back().pos;
  }
  Truncate(cp.mark);

  switch (cp.kind) {
    case ChoicePoint::Kind::kRules: {
      std::uint32_t rule = rules_by_head_[tables_[cp.source]->relation][cp.pos];
      std::uint32_t compiled = Compile(rule, tables_[cp.source]->bound);
      const CompiledRule& cr = compiled_[compiled];
      std::uint32_t frame = NewFrame(cr.frame_size);
      Value* f = Frame(frame);
      const Table& t = *tables_[cp.source];
      for (std::size_t i = 0; i < cr.head.size(); ++i) {
        const auto& h = cr.head[i];
        switch (h.kind) {
          case CompiledRule::HeadArg::Kind::kBind: f[h.slot] = t.call[i]; break;
          case CompiledRule::HeadArg::Kind::kCheck:
            if (!Same(f[h.slot], t.call[i])) return;
            break;
          case CompiledRule::HeadArg::Kind::kConst:
            if (!Same(h.constant, t.call[i])) return;
            break;
          case CompiledRule::HeadArg::Kind::kLater: break;
        }
      }
      Step(compiled, cp.source, frame, 0, semantics_.True());
      return;
    }
    case ChoicePoint::Kind::kMember: {
      const Condition& c = RuleOf(cp.compiled).conditions[cp.condition];
      Frame(cp.frame)[c.target] = c.set[cp.pos];
      Step(cp.compiled, cp.dest, cp.frame, cp.condition + 1, cp.cf);
      return;
    }
    default: break;
  }

  std::uint32_t compiled = cp.compiled, dest = cp.dest, frame = cp.frame;
  std::uint16_t condition = cp.condition;
  double cf = cp.cf;
  std::span<const Value> row;
  double fact_cf = 1.0;
  Value handle;
  switch (cp.kind) {
    case ChoicePoint::Kind::kScan:
    case ChoicePoint::Kind::kIds: {
      const Relation& rel = solver_.memory_.at(cp.source);
      FactId id = cp.kind == ChoicePoint::Kind::kScan ? cp.pos : ids_[cp.offset + cp.pos];
      if (!rel.alive(id)) return;
      row = rel.row(id);
      fact_cf = rel.certainty(id);
      handle = Value::Fact(cp.source, id);
      break;
    }
    case ChoicePoint::Kind::kCallRows:
    case ChoicePoint::Kind::kRows: {
      std::size_t arity = cp.kind == ChoicePoint::Kind::kRows ? program_.relations[cp.source].columns.size()
                                                              : program_.functions[cp.source].outputs.size();
      std::size_t r = cp.offset + cp.pos;
      row = {rows_.values.data() + r * arity, arity};
      fact_cf = rows_.certainty[r];
      break;
    }
    case ChoicePoint::Kind::kTable: {
      const Table& t = *tables_[cp.source];
      row = t.row(cp.pos);
      fact_cf = t.cf[cp.pos];
      break;
    }
    case ChoicePoint::Kind::kConsumer: {
      const Consumer& c = consumers_[cp.source];
      const Table& t = *tables_[c.table];
      row = t.row(cp.pos);
      fact_cf = t.cf[cp.pos];
      compiled = c.compiled;
      dest = c.dest;
      condition = c.condition;
      cf = c.cf;
      // A fresh copy: the consumer's frame must stay as it was for later answers.
      frame = NewFrame(c.frame_size);
      std::copy_n(consumer_frames_.begin() + c.frame, c.frame_size, arena_.begin() + frame);
      break;
    }
    default: return;
  }
  if (!Counts(fact_cf)) return;
  const Condition& cond = RuleOf(compiled).conditions[condition];
  if (!MatchRow(compiled_[compiled].conditions[condition], cond.pattern, row, fact_cf, Frame(frame), handle)) return;
  Step(compiled, dest, frame, condition + 1, semantics_.Conjunction(cf, fact_cf));
}

bool Solver::Machine::MatchRow(const CompiledCondition& cc, const Pattern& pattern, std::span<const Value> row,
                               double fact_cf, Value* frame, Value handle) const {
  for (std::size_t i = 0; i < cc.ops.size(); ++i) {
    const ArgOp& op = cc.ops[i];
    switch (op.kind) {
      case ArgOp::Kind::kConst:
        if (!Same(row[i], op.constant)) return false;
        break;
      case ArgOp::Kind::kCheck:
        if (!Same(row[i], frame[op.slot])) return false;
        break;
      case ArgOp::Kind::kBind: frame[op.slot] = row[i]; break;
      case ArgOp::Kind::kIgnore: break;
    }
  }
  if (pattern.certainty_slot != kNoSlot) frame[pattern.certainty_slot] = Value::Float(fact_cf);
  if (pattern.fact_slot != kNoSlot) frame[pattern.fact_slot] = handle;
  return true;
}

void Solver::Machine::Step(std::uint32_t compiled, std::uint32_t dest, std::uint32_t frame, std::uint16_t condition,
                           double cf) {
  const CompiledRule& cr = compiled_[compiled];
  const RuleSpec& rule = program_.rules[cr.rule];
  for (;; ++condition) {
    if (progress_ != nullptr && dest == kProbeSink && condition >= progress_->deepest) {
      progress_->deepest = condition;
      progress_->frame.assign(arena_.begin() + frame, arena_.begin() + frame + cr.frame_size);
    }
    if (condition == rule.conditions.size()) {
      Emit(compiled, dest, frame, cf);
      return;
    }
    const Condition& c = rule.conditions[condition];
    const CompiledCondition& cc = cr.conditions[condition];
    std::span<const Value> view(Frame(frame), cr.frame_size);
    switch (c.kind) {
      case ConditionKind::kPattern: PushPattern(compiled, dest, frame, condition, cf); return;
      case ConditionKind::kNegated:
      case ConditionKind::kExists: {
        ActiveScope scope(this, {compiled, condition, frame, dest});
        auto any = AnyCounts(c, cc, frame);
        if (!any.ok()) {
          Fail(any.status());
          return;
        }
        if (*any == (c.kind == ConditionKind::kNegated)) return;
        break;
      }
      case ConditionKind::kCompare: {
        auto a = Evaluate(c.lhs, view);
        if (!a) return;
        auto b = Evaluate(c.rhs, view);
        if (!b || !Compare(c.op, *a, *b)) return;
        break;
      }
      case ConditionKind::kAssign: {
        auto v = Evaluate(c.rhs, view);
        if (!v) return;
        if (cc.target_bound) {
          if (!Same(Frame(frame)[c.target], *v)) return;
        } else {
          Frame(frame)[c.target] = *v;
        }
        break;
      }
      case ConditionKind::kMember: {
        if (c.target != kNoSlot && !cc.target_bound) {
          ChoicePoint cp;
          cp.kind = ChoicePoint::Kind::kMember;
          cp.condition = condition;
          cp.compiled = compiled;
          cp.dest = dest;
          cp.frame = frame;
          cp.end = static_cast<std::uint32_t>(c.set.size());
          cp.cf = cf;
          Push(cp);
          return;
        }
        auto v = c.target != kNoSlot ? std::optional<Value>(view[c.target]) : Evaluate(c.lhs, view);
        if (!v) return;
        bool in = std::any_of(c.set.begin(), c.set.end(), [&](const Value& x) { return Compare(CmpOp::kEq, x, *v); });
        if (in == c.negated) return;
        break;
      }
      case ConditionKind::kCall: {
        CallHost(compiled, dest, frame, condition, cf);
        return;
      }
      case ConditionKind::kTextTest: {
        auto a = Evaluate(c.lhs, view);
        auto b = Evaluate(c.rhs, view);
        if (!a || !b) return;
        auto is_text = [](const Value& x) { return x.kind() == ValueKind::kString || x.kind() == ValueKind::kSymbol; };
        if (!is_text(*a) || !is_text(*b)) return;
        std::string_view x = a->text(), y = b->text();
        bool ok = c.text_test == TextTest::kContains     ? x.find(y) != std::string_view::npos
                  : c.text_test == TextTest::kStartsWith ? x.substr(0, y.size()) == y
                                                         : (x.size() >= y.size() && x.substr(x.size() - y.size()) == y);
        if (!ok) return;
        break;
      }
      case ConditionKind::kAggregate: {
        ActiveScope scope(this, {compiled, condition, frame, dest});
        auto v = AggregateOf(c, cc, frame, cr.frame_size);
        if (!v.ok()) {
          Fail(v.status());
          return;
        }
        if (!v->has_value()) return;
        if (cc.target_bound) {
          if (!Same(Frame(frame)[c.target], **v)) return;
        } else {
          Frame(frame)[c.target] = **v;
        }
        break;
      }
    }
  }
}

void Solver::Machine::CallHost(std::uint32_t compiled, std::uint32_t dest, std::uint32_t frame,
                               std::uint16_t condition, double cf) {
  const Condition& c = RuleOf(compiled).conditions[condition];
  const HostFunctionSpec& fn = program_.functions[c.function];
  if (solver_.options_.host == nullptr) {
    Fail(Status::InvalidArgument("predicate '" + fn.name + "' (" + fn.location +
                                 ") has no implementation in this session"));
    return;
  }
  std::span<const Value> view(Frame(frame), compiled_[compiled].frame_size);
  std::vector<Value> inputs;
  inputs.reserve(c.inputs.size());
  for (const Expr& e : c.inputs) {
    auto v = Evaluate(e, view);
    if (!v) return;  // like a comparison, an input that cannot be computed fails
    inputs.push_back(*v);
  }
  HostRows rows;
  if (Status st = solver_.options_.host->Call(c.function, inputs, &rows); !st.ok()) {
    Fail(st);
    return;
  }
  if (rows.rows == 0) return;
  ChoicePoint cp;
  cp.kind = ChoicePoint::Kind::kCallRows;
  cp.condition = condition;
  cp.compiled = compiled;
  cp.dest = dest;
  cp.frame = frame;
  cp.source = c.function;
  cp.offset = static_cast<std::uint32_t>(rows_.size());
  cp.end = static_cast<std::uint32_t>(rows.rows);
  cp.cf = cf;
  rows_.values.insert(rows_.values.end(), rows.values.begin(), rows.values.end());
  rows_.certainty.resize(rows_.certainty.size() + rows.rows, semantics_.True());
  rows_.origin.resize(rows_.origin.size() + rows.rows, Origin::kDerived);
  Push(cp);
}

std::vector<Value> Solver::Machine::CallOf(const CompiledCondition& cc, const Pattern& pattern,
                                           const Value* frame) const {
  std::vector<Value> call(pattern.args.size());
  const auto& columns = program_.relations[pattern.relation].columns;
  for (std::size_t i = 0; i < cc.ops.size(); ++i) {
    if (!(cc.bound & (ColumnMask{1} << i))) continue;
    Value v = cc.ops[i].kind == ArgOp::Kind::kConst ? cc.ops[i].constant : frame[cc.ops[i].slot];
    if (columns[i].type.kind == ValueKind::kFloat && v.kind() == ValueKind::kInt) {
      v = Value::Float(static_cast<double>(v.as_int()));
    }
    call[i] = v;
  }
  return call;
}

void Solver::Machine::PushPattern(std::uint32_t compiled, std::uint32_t dest, std::uint32_t frame,
                                  std::uint16_t condition, double cf) {
  const RuleSpec& rule = RuleOf(compiled);
  const Condition& c = rule.conditions[condition];
  const CompiledCondition& cc = compiled_[compiled].conditions[condition];
  const RelationId rel = c.pattern.relation;
  ChoicePoint cp;
  cp.condition = condition;
  cp.compiled = compiled;
  cp.dest = dest;
  cp.frame = frame;
  cp.cf = cf;
  switch (source_[rel]) {
    case Source::kStored:
    case Source::kExternal: {
      if (rel >= solver_.memory_.relation_count()) return;  // declared after the memory was filled: no facts
      const Relation& r = solver_.memory_.at(rel);
      const std::vector<Value> key = KeyOf(CallOf(cc, c.pattern, Frame(frame)), cc.bound);
      if (source_[rel] == Source::kExternal) {
        auto first_row = static_cast<std::uint32_t>(rows_.size());
        Status s = solver_.options_.external[rel]->Lookup(cc.bound, key, &rows_);
        if (!s.ok()) {
          Fail(s);
          return;
        }
        if (rows_.size() > first_row) {
          ChoicePoint rows = cp;
          rows.kind = ChoicePoint::Kind::kRows;
          rows.source = rel;
          rows.offset = first_row;
          rows.end = static_cast<std::uint32_t>(rows_.size() - first_row);
          Push(rows);
        }
        if (r.size() == 0) return;
      }
      if (cc.bound == 0) {
        cp.kind = ChoicePoint::Kind::kScan;
        cp.source = rel;
        cp.end = r.capacity();
        if (cp.end > 0) Push(cp);
        return;
      }
      auto ids = r.Lookup(cc.bound, key);
      if (ids.empty()) return;
      cp.kind = ChoicePoint::Kind::kIds;
      cp.source = rel;
      cp.offset = static_cast<std::uint32_t>(ids_.size());
      cp.end = static_cast<std::uint32_t>(ids.size());
      ids_.insert(ids_.end(), ids.begin(), ids.end());
      Push(cp);
      return;
    }
    case Source::kDerived:
    case Source::kAsked:
    case Source::kNeural: break;
  }
  std::vector<Value> call = CallOf(cc, c.pattern, Frame(frame));
  ActiveScope scope(this, {compiled, condition, frame, dest});
  // Under certainties, a relation of a lower stratum is completed first so that
  // its certainties are final (and the threshold can prune); asked and neural
  // relations are always complete before they are read.
  // Neural tables stay in this context, as incomplete tables its consumers
  // wait on, so that all the inputs it asks for go to the model in one batch.
  const bool nested = (source_[rel] != Source::kDerived && source_[rel] != Source::kNeural) ||
                      (!lazy_ && source_[rel] == Source::kDerived && component_[rel] != component_[rule.head_relation]);
  std::uint32_t table = FindTable(rel, call, true);
  if (table == kNil && nested) {
    auto done = Complete(rel, std::move(call));
    if (!done.ok()) {
      Fail(done.status());
      return;
    }
    table = *done;
  }
  if (table == kNil) {
    table = NewTable(rel, std::move(call));
    Status s = Produce(table);
    if (!s.ok()) {
      Fail(s);
      return;
    }
  }
  if (tables_[table]->complete) {
    if (tables_[table]->size() == 0) return;
    cp.kind = ChoicePoint::Kind::kTable;
    cp.source = table;
    cp.end = static_cast<std::uint32_t>(tables_[table]->size());
    Push(cp);
    return;
  }
  // An incomplete table of this context: consume its answers as they come.
  Consumer consumer;
  consumer.table = table;
  consumer.compiled = compiled;
  consumer.dest = dest;
  consumer.condition = condition;
  consumer.cf = cf;
  consumer.frame_size = compiled_[compiled].frame_size;
  consumer.frame = static_cast<std::uint32_t>(consumer_frames_.size());
  consumer_frames_.insert(consumer_frames_.end(), arena_.begin() + frame,
                          arena_.begin() + frame + consumer.frame_size);
  consumers_.push_back(consumer);
  auto id = static_cast<std::uint32_t>(consumers_.size() - 1);
  tables_[table]->consumers.push_back(id);
  Schedule(id);
}

void Solver::Machine::Schedule(std::uint32_t consumer) {
  Consumer& c = consumers_[consumer];
  if (c.scheduled) return;
  c.scheduled = true;
  ChoicePoint cp;
  cp.kind = ChoicePoint::Kind::kConsumer;
  cp.source = consumer;
  Push(cp);
}

void Solver::Machine::Emit(std::uint32_t compiled, std::uint32_t dest, std::uint32_t frame, double cf) {
  const CompiledRule& cr = compiled_[compiled];
  const RuleSpec& rule = program_.rules[cr.rule];
  std::span<const Value> view(Frame(frame), cr.frame_size);
  if (dest == kProbeSink) {
    if (probe_ != nullptr) (*probe_)(view, cf);
    return;
  }
  if (!semantics_.Fires(cf)) return;
  head_row_.clear();
  for (const Expr& e : rule.head_args) {
    if (e.op == ExprOp::kVar) {
      head_row_.push_back(view[e.slot]);
      continue;
    }
    auto v = Evaluate(e, view);
    if (!v) return;  // an expression that fails concludes nothing
    head_row_.push_back(*v);
  }
  if (!ConformRow(program_.relations[rule.head_relation].columns, head_row_)) return;
  AddAnswer(dest, head_row_, semantics_.Apply(cf, rule.certainty), Origin::kDerived);
}

namespace {

std::uint64_t PackRow(std::span<const Value> row) {
  std::uint64_t key = 0;
  for (std::size_t i = 0; i < row.size(); ++i) key |= std::uint64_t{row[i].as_symbol()} << (32 * i);
  return key;
}

std::uint64_t MixKey(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  return k ^ (k >> 33);
}

}  // namespace

// Both return true when the row is new (the caller appends it), false for a
// duplicate (whose certainty is combined here).
bool Solver::Machine::AddPacked(Table& t, std::span<const Value> row, double cf) {
  const std::uint64_t key = PackRow(row);
  std::size_t mask = t.packed_keys.size() - 1;
  std::size_t i = MixKey(key) & mask;
  for (;; i = (i + 1) & mask) {
    const std::uint64_t k = t.packed_keys[i];
    if (k == kEmptyKey) break;
    if (k != key) continue;
    if (!lazy_) t.cf[t.packed_answers[i]] = semantics_.Combine(t.cf[t.packed_answers[i]], cf);
    return false;
  }
  const auto index = static_cast<std::uint32_t>(t.size());
  if ((t.size() + 2) * 2 > t.packed_keys.size()) {
    std::vector<std::uint64_t> keys(t.packed_keys.size() * 2, kEmptyKey);
    std::vector<std::uint32_t> answers(keys.size(), 0);
    mask = keys.size() - 1;
    for (std::size_t j = 0; j < t.packed_keys.size(); ++j) {
      if (t.packed_keys[j] == kEmptyKey) continue;
      std::size_t k = MixKey(t.packed_keys[j]) & mask;
      while (keys[k] != kEmptyKey) k = (k + 1) & mask;
      keys[k] = t.packed_keys[j];
      answers[k] = t.packed_answers[j];
    }
    t.packed_keys = std::move(keys);
    t.packed_answers = std::move(answers);
    i = MixKey(key) & mask;
    while (t.packed_keys[i] != kEmptyKey) i = (i + 1) & mask;
  }
  t.packed_keys[i] = key;
  t.packed_answers[i] = index;
  return true;
}

bool Solver::Machine::AddHashed(Table& t, std::span<const Value> row, double cf) {
  // A slot keeps 32 bits of the row's hash beside the answer's index: they pick
  // the slot (so growing never rehashes a row) and filter compares.
  const auto tag = static_cast<std::uint32_t>(HashRow(t.relation, row));
  std::size_t mask = t.slots.size() - 1;
  for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
    std::uint64_t s = t.slots[i];
    if (s == 0) break;
    if (static_cast<std::uint32_t>(s >> 32) != tag) continue;
    auto index = static_cast<std::uint32_t>(s) - 1;
    if (!RowEquals(t.row(index), row)) continue;
    if (!lazy_) t.cf[index] = semantics_.Combine(t.cf[index], cf);
    return false;
  }
  const auto index = static_cast<std::uint32_t>(t.size());
  if ((t.size() + 2) * 2 > t.slots.size()) {
    std::vector<std::uint64_t> grown(t.slots.size() * 2, 0);
    const std::size_t gmask = grown.size() - 1;
    for (std::uint64_t s : t.slots) {
      if (s == 0) continue;
      std::size_t j = (s >> 32) & gmask;
      while (grown[j] != 0) j = (j + 1) & gmask;
      grown[j] = s;
    }
    t.slots = std::move(grown);
    mask = gmask;
  }
  std::size_t i = tag & mask;
  while (t.slots[i] != 0) i = (i + 1) & mask;
  t.slots[i] = (std::uint64_t{tag} << 32) | (index + 1);
  return true;
}

bool Solver::Machine::AddAnswer(std::uint32_t table, std::span<const Value> row, double cf, Origin origin) {
  Table& t = *tables_[table];
  for (std::size_t i = 0; i < t.arity; ++i) {
    if ((t.bound & (ColumnMask{1} << i)) && !Same(row[i], t.call[i])) return false;
  }
  if (t.packed) {
    if (!AddPacked(t, row, cf)) return false;
  } else if (!AddHashed(t, row, cf)) {
    return false;
  }
  t.rows.insert(t.rows.end(), row.begin(), row.end());
  t.cf.push_back(cf);
  t.origin.push_back(origin);
  for (std::uint32_t c : t.consumers) Schedule(c);
  if (table == query_table_) answer_ready_ = true;
  return true;
}

// ---- tables ------------------------------------------------------------------------

std::uint32_t Solver::Machine::FindTable(RelationId relation, std::span<const Value> call,
                                         bool current_context) const {
  const std::uint64_t h = HashRow(relation, call);
  auto find = [&](const std::unordered_map<std::uint64_t, std::vector<std::uint32_t>>& map) {
    auto it = map.find(h);
    if (it == map.end()) return kNil;
    for (std::uint32_t t : it->second) {
      if (tables_[t]->relation == relation && RowEquals(tables_[t]->call, call)) return t;
    }
    return kNil;
  };
  std::uint32_t t = find(complete_);
  if (t == kNil && current_context) t = find(contexts_.back().tables);
  return t;
}

std::uint32_t Solver::Machine::NewTable(RelationId relation, std::vector<Value> call) {
  auto t = std::make_unique<Table>();
  t->relation = relation;
  t->arity = call.size();
  for (std::size_t i = 0; i < call.size(); ++i) {
    if (call[i].kind() != ValueKind::kNone) t->bound |= ColumnMask{1} << i;
  }
  const auto& columns = program_.relations[relation].columns;
  t->packed = columns.size() <= 2;
  for (const Column& c : columns) {
    t->packed = t->packed && (c.type.kind == ValueKind::kSymbol || c.type.kind == ValueKind::kString);
  }
  if (t->packed) {
    t->packed_keys.assign(16, kEmptyKey);
    t->packed_answers.assign(16, 0);
  } else {
    t->slots.assign(16, 0);
  }
  if (!active_.empty()) {
    const Active& a = active_.back();
    t->creator_rule = compiled_[a.compiled].rule;
    t->creator_condition = a.condition;
    t->creator_dest = a.dest;
    t->creator_frame.assign(arena_.begin() + a.frame, arena_.begin() + a.frame + compiled_[a.compiled].frame_size);
  }
  const std::uint64_t h = HashRow(relation, call);
  t->call = std::move(call);
  tables_.push_back(std::move(t));
  auto id = static_cast<std::uint32_t>(tables_.size() - 1);
  contexts_.back().tables[h].push_back(id);
  contexts_.back().created.push_back(id);
  return id;
}

Status Solver::Machine::AddStoredFacts(std::uint32_t table, bool skip_derived) {
  const RelationId rel = tables_[table]->relation;
  const ColumnMask bound = tables_[table]->bound;
  const std::vector<Value> key = KeyOf(tables_[table]->call, bound);
  auto add_from = [&](const Relation& from) {
    auto take = [&](FactId id) {
      if (skip_derived && from.origin(id) == Origin::kDerived) return;  // the rules derive it again
      AddAnswer(table, from.row(id), from.certainty(id), from.origin(id));
    };
    if (bound == 0) {
      from.ForEach(take);
    } else {
      std::vector<FactId> ids;
      auto found = from.Lookup(bound, key);
      ids.assign(found.begin(), found.end());
      for (FactId id : ids) take(id);
    }
  };
  if (rel < solver_.memory_.relation_count()) add_from(solver_.memory_.at(rel));
  if (replies_[rel] != nullptr) add_from(*replies_[rel]);
  if (source_[rel] == Source::kExternal) {
    ExternalRows rows;
    Status s = solver_.options_.external[rel]->Lookup(bound, key, &rows);
    if (!s.ok()) return s;
    const std::size_t arity = tables_[table]->arity;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      AddAnswer(table, {rows.values.data() + i * arity, arity}, rows.certainty[i], rows.origin[i]);
    }
  }
  return Status();
}

Status Solver::Machine::Produce(std::uint32_t table) {
  const RelationId rel = tables_[table]->relation;
  if (source_[rel] == Source::kNeural) {
    contexts_.back().pending_neural.push_back(table);
    return Status();
  }
  Status s = AddStoredFacts(table, source_[rel] == Source::kDerived);
  if (!s.ok()) return s;
  if (!rules_by_head_[rel].empty()) {
    ChoicePoint cp;
    cp.kind = ChoicePoint::Kind::kRules;
    cp.source = table;
    cp.end = static_cast<std::uint32_t>(rules_by_head_[rel].size());
    Push(cp);
  }
  return Status();
}

Result<std::uint32_t> Solver::Machine::Complete(RelationId relation, std::vector<Value> call) {
  if (const AskSpec* ask = ask_[relation]; ask != nullptr && ask->kind != AskKind::kYesNo) {
    call.back() = Value();  // the question's key: the answer is whatever the user says
  }
  if (std::uint32_t t = FindTable(relation, call, false); t != kNil) return t;
  const ScratchMark mark = Mark();
  contexts_.emplace_back();
  const std::size_t ctx = contexts_.size() - 1;
  std::uint32_t table = NewTable(relation, std::move(call));
  Status s = Produce(table);
  if (s.ok()) s = RunContext(ctx, false);
  if (s.ok() && source_[relation] == Source::kAsked) s = Ask(table);
  if (s.ok()) CompleteContext();
  contexts_.pop_back();
  Truncate(mark);
  if (!s.ok()) return s;
  return table;
}

void Solver::Machine::CompleteContext() {
  for (std::uint32_t id : contexts_.back().created) {
    Table& t = *tables_[id];
    t.complete = true;
    t.consumers.clear();
    t.consumers.shrink_to_fit();
    const std::uint64_t h = HashRow(t.relation, t.call);
    if (FindTable(t.relation, t.call, false) == kNil) complete_[h].push_back(id);
  }
  contexts_.back().tables.clear();
  contexts_.back().created.clear();
}

Status Solver::Machine::PredictPending(std::size_t ctx) {
  std::vector<std::uint32_t> pending;
  pending.swap(contexts_[ctx].pending_neural);
  // By relation, in the order first asked.
  std::vector<RelationId> order;
  std::unordered_map<RelationId, std::vector<std::uint32_t>> by_relation;
  for (std::uint32_t table : pending) {
    const RelationId rel = tables_[table]->relation;
    auto [it, fresh] = by_relation.try_emplace(rel);
    if (fresh) order.push_back(rel);
    it->second.push_back(table);
  }
  for (RelationId rel : order) {
    const std::vector<std::uint32_t>& tables = by_relation[rel];
    const NeuralSpec& spec = *neural_[rel];
    const std::string& name = program_.relations[rel].name;
    // The inputs, row after row: each table's call without its label.
    const std::size_t width = program_.relations[rel].columns.size() - 1;
    std::vector<Value> inputs;
    std::size_t count = 0;
    inputs.reserve(tables.size() * width);
    for (std::uint32_t table : tables) {
      const Table& t = *tables_[table];
      for (std::size_t i = 0; i < width; ++i) {
        if (t.call[i].kind() == ValueKind::kNone) {
          return Status::InvalidArgument("the neural predicate '" + name + "' needs its input '" +
                                         program_.relations[rel].columns[i].name + "' bound (" + spec.location + ")");
        }
      }
      inputs.insert(inputs.end(), t.call.begin(), t.call.begin() + static_cast<std::ptrdiff_t>(width));
      ++count;
    }
    if (solver_.options_.neural == nullptr) {
      return Status::NotFound("no learned models are available to answer '" + name + "' (" + spec.location + ")");
    }
    // The outer contexts' pending inputs of this relation ride along: a nested
    // completion (a negation, an aggregate) would otherwise make a forward
    // pass of one while its callers wait with theirs. Their answers are only
    // warmed in the implementation's cache here; they are added when those
    // contexts flush.
    for (std::size_t outer = 0; outer < ctx; ++outer) {
      for (std::uint32_t table : contexts_[outer].pending_neural) {
        const Table& t = *tables_[table];
        if (t.relation != rel) continue;
        const auto in = t.call.begin();
        if (std::none_of(in, in + static_cast<std::ptrdiff_t>(width),
                         [](const Value& v) { return v.kind() == ValueKind::kNone; })) {
          inputs.insert(inputs.end(), in, in + static_cast<std::ptrdiff_t>(width));
          ++count;
        }
      }
    }
    auto predicted = solver_.options_.neural->PredictBatch(spec, InputRows(inputs, count));
    if (!predicted.ok()) return predicted.status();
    if (predicted->size() != count) {
      return Status::Internal("the model for '" + name + "' answered the wrong count");
    }
    std::vector<Value> row;
    for (std::size_t k = 0; k < tables.size(); ++k) {
      PredictionSet& set = (*predicted)[k];
      tables_[tables[k]]->model = {Origin::kModel, set.model, set.version};
      row.assign(inputs.begin() + static_cast<std::ptrdiff_t>(k * width),
                 inputs.begin() + static_cast<std::ptrdiff_t>((k + 1) * width));
      row.emplace_back();
      for (const Prediction& p : KeptPredictions(spec, std::move(set.predictions))) {
        row.back() = p.label;
        AddAnswer(tables[k], row, p.probability, Origin::kModel);
      }
    }
  }
  return Status();
}

Status Solver::Machine::Ask(std::uint32_t table) {
  const RelationId rel = tables_[table]->relation;
  const AskSpec& spec = *ask_[rel];
  const std::size_t arity = tables_[table]->arity;
  const std::size_t key_arity = spec.key_arity(arity);
  std::vector<Value> key(tables_[table]->call.begin(), tables_[table]->call.begin() + key_arity);
  for (const Value& v : key) {
    if (v.kind() == ValueKind::kNone) return Status();  // nothing to ask about: the goal is not ground
  }
  if (tables_[table]->size() > 0) return Status();  // known already: a fact, a rule, or an earlier reply
  if (solver_.options_.asker == nullptr || asked_keys_.count({rel, key}) > 0) return Status();
  if (solver_.options_.answered_unknown && solver_.options_.answered_unknown(rel, key)) return Status();
  Question q;
  q.spec = &spec;
  q.key = key;
  q.text = FillQuestion(program_, spec, key);
  q.goal = FormatAtom(program_, rel, tables_[table]->call);
  WhyFunction why = [this] { return FormatWhy(program_, GoalStack()); };
  auto reply = solver_.options_.asker->Ask(q, why);
  if (!reply.ok()) return reply.status();
  asked_keys_.insert({rel, key});
  solver_.asked_.push_back({q, *reply});
  std::vector<Value> row = key;
  double cf = reply->certainty;
  const Semantics sem = program_.semantics;
  switch (reply->kind) {
    case Reply::Kind::kYes: break;
    case Reply::Kind::kNo:
      // MYCIN: evidence against; elsewhere: (un)likelihood.
      cf = sem == Semantics::kMycin ? -reply->certainty : sem == Semantics::kBoolean ? 0.0 : 1.0 - reply->certainty;
      break;
    case Reply::Kind::kUnknown:
      if (spec.kind != AskKind::kYesNo || sem != Semantics::kMycin) {
        if (solver_.options_.on_unknown) solver_.options_.on_unknown(rel, key);
        return Status();
      }
      cf = 0.0;  // MYCIN's "unknown": recorded, so the question is not asked again
      break;
    case Reply::Kind::kValue: row.push_back(reply->value); break;
  }
  if (row.size() != arity) return Status::InvalidArgument("the reply does not answer '" + q.goal + "'");
  if (!ConformRow(program_.relations[rel].columns, row)) {
    const Column& col = program_.relations[rel].columns.back();
    if (col.type.kind == ValueKind::kInt && row.back().kind() == ValueKind::kFloat) {
      row.back() = Value::Int(static_cast<std::int64_t>(row.back().as_float()));
    } else {
      return Status::InvalidArgument("the reply is not a " + std::string(ValueKindName(col.type.kind)) + " for '" +
                                     col.name + "'");
    }
  }
  if (replies_[rel] == nullptr) {
    replies_[rel] = std::make_unique<Relation>(program_.relations[rel].name, program_.relations[rel].columns);
  }
  replies_[rel]->Insert(row, cf, Origin::kUser);
  if (solver_.options_.on_user_answer) solver_.options_.on_user_answer(rel, row, cf);
  AddAnswer(table, row, cf, Origin::kUser);
  return Status();
}

// ---- negation, exists, aggregates -------------------------------------------------------

template <typename F>
Status Solver::Machine::ForEachMatch(const Condition& c, const CompiledCondition& cc, std::uint32_t frame,
                                     std::uint16_t frame_size, F&& f) {
  const RelationId rel = c.pattern.relation;
  std::vector<Value> call = CallOf(cc, c.pattern, Frame(frame));
  std::vector<Value> scratch(Frame(frame), Frame(frame) + frame_size);
  auto visit = [&](std::span<const Value> row, double cf) {
    if (!Counts(cf)) return true;
    if (!MatchRow(cc, c.pattern, row, cf, scratch.data(), Value())) return true;
    return f(std::span<const Value>(scratch));
  };
  switch (source_[rel]) {
    case Source::kStored:
    case Source::kExternal: {
      if (rel >= solver_.memory_.relation_count()) return Status();
      const Relation& r = solver_.memory_.at(rel);
      const std::vector<Value> key = KeyOf(call, cc.bound);
      if (source_[rel] == Source::kExternal) {
        ExternalRows rows;
        Status s = solver_.options_.external[rel]->Lookup(cc.bound, key, &rows);
        if (!s.ok()) return s;
        const std::size_t arity = r.arity();
        for (std::size_t i = 0; i < rows.size(); ++i) {
          if (!visit({rows.values.data() + i * arity, arity}, rows.certainty[i])) return Status();
        }
      }
      std::vector<FactId> ids;
      if (cc.bound == 0) {
        r.ForEach([&](FactId id) { ids.push_back(id); });
      } else {
        auto found = r.Lookup(cc.bound, key);
        ids.assign(found.begin(), found.end());
      }
      for (FactId id : ids) {
        if (!visit(r.row(id), r.certainty(id))) return Status();
      }
      return Status();
    }
    default: break;
  }
  auto table = Complete(rel, std::move(call));
  if (!table.ok()) return table.status();
  const Table& t = *tables_[*table];
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (!visit(t.row(i), t.cf[i])) return Status();
  }
  return Status();
}

Result<bool> Solver::Machine::AnyCounts(const Condition& c, const CompiledCondition& cc, std::uint32_t frame) {
  bool any = false;
  const std::uint16_t size = compiled_[active_.back().compiled].frame_size;
  Status s = ForEachMatch(c, cc, frame, size, [&](std::span<const Value>) {
    any = true;
    return false;
  });
  if (!s.ok()) return s;
  return any;
}

Result<std::optional<Value>> Solver::Machine::AggregateOf(const Condition& c, const CompiledCondition& cc,
                                                          std::uint32_t frame, std::uint16_t frame_size) {
  Aggregator aggregator(c.aggregate);
  Status s = ForEachMatch(c, cc, frame, frame_size, [&](std::span<const Value> scratch) {
    aggregator.Add(c.aggregate == AggregateFn::kCount ? std::nullopt : Evaluate(c.rhs, scratch));
    return true;
  });
  if (!s.ok()) return s;
  return aggregator.Result();
}

// ---- queries -------------------------------------------------------------------------

Status Solver::Machine::Open(RelationId relation, std::vector<Value> call) {
  if (relation >= program_.relations.size()) return Status::InvalidArgument("no such relation");
  if (call.size() != program_.relations[relation].columns.size()) {
    return Status::InvalidArgument("'" + program_.relations[relation].name + "' takes " +
                                   std::to_string(program_.relations[relation].columns.size()) + " arguments");
  }
  CloseQuery();
  if (!ConformRow(program_.relations[relation].columns, call)) {
    // A bound argument of another kind than its column matches nothing.
    query_table_ = NewTable(relation, call);
    tables_[query_table_]->complete = true;
    return Status();
  }
  if (auto direct = DirectGoal(relation, call)) {
    std::vector<std::uint16_t> projection = std::move(projection_);
    std::vector<Value> inner = direct->second;
    Status s = Open(direct->first, std::move(direct->second));
    project_ = true;
    projection_ = std::move(projection);
    direct_call_ = std::move(inner);
    return s;
  }
  if (std::uint32_t t = FindTable(relation, call, false); t != kNil) {
    query_table_ = t;
    return Status();
  }
  if (source_[relation] != Source::kDerived) {
    // An asked relation's table is its question's key, wider than the call:
    // answers are filtered against the call (an identity projection).
    direct_call_ = call;
    auto t = Complete(relation, std::move(call));
    if (!t.ok()) return t.status();
    query_table_ = *t;
    project_ = true;
    projection_.clear();
    for (std::size_t i = 0; i < direct_call_.size(); ++i) projection_.push_back(static_cast<std::uint16_t>(i));
    return Status();
  }
  query_table_ = NewTable(relation, std::move(call));
  return Produce(query_table_);
}

std::optional<std::pair<RelationId, std::vector<Value>>> Solver::Machine::DirectGoal(
    RelationId relation, const std::vector<Value>& call) {
  if (rules_by_head_[relation].size() != 1) return std::nullopt;
  const RuleSpec& rule = program_.rules[rules_by_head_[relation][0]];
  if (!rule.for_query || rule.conditions.size() != 1 || rule.conditions[0].kind != ConditionKind::kPattern) {
    return std::nullopt;
  }
  const Pattern& p = rule.conditions[0].pattern;
  if (p.certainty_slot != kNoSlot || p.fact_slot != kNoSlot) return std::nullopt;
  std::vector<Value> inner(p.args.size());
  std::vector<std::uint16_t> projection;
  for (std::size_t j = 0; j < rule.head_args.size(); ++j) {
    if (rule.head_args[j].op != ExprOp::kVar) return std::nullopt;
    projection.push_back(UINT16_MAX);
  }
  for (std::size_t i = 0; i < p.args.size(); ++i) {
    const PatternArg& a = p.args[i];
    if (a.kind == PatternArg::Kind::kWild) return std::nullopt;  // the projection would repeat answers
    if (a.kind == PatternArg::Kind::kConst) {
      inner[i] = a.constant;
      continue;
    }
    for (std::size_t j = 0; j < rule.head_args.size(); ++j) {
      if (rule.head_args[j].slot != a.slot) continue;
      if (projection[j] != UINT16_MAX) return std::nullopt;  // a repeated variable: a test, not a projection
      projection[j] = static_cast<std::uint16_t>(i);
      inner[i] = call[j];
    }
  }
  for (std::uint16_t c : projection) {
    if (c == UINT16_MAX) return std::nullopt;
  }
  projection_ = std::move(projection);
  return std::make_pair(p.relation, std::move(inner));
}

Result<bool> Solver::Machine::Next(Answer* out) {
  if (query_table_ == kNil) return Status::InvalidArgument("no query is open");
  for (;;) {
    const Table& t = *tables_[query_table_];
    while (query_cursor_ < t.size() && (lazy_ || t.complete || contexts_[0].stack.empty())) {
      std::uint32_t i = query_cursor_++;
      if (!Counts(t.cf[i])) continue;
      auto row = t.row(i);
      if (project_) {
        bool match = true;  // the goal's table may be an ask key's, wider than the goal
        for (std::size_t c = 0; c < t.arity && match; ++c) {
          if (direct_call_[c].kind() != ValueKind::kNone) match = Same(row[c], direct_call_[c]);
        }
        if (!match) continue;
        out->row.clear();
        for (std::uint16_t c : projection_) out->row.push_back(row[c]);
      } else {
        out->row.assign(row.begin(), row.end());
      }
      out->certainty = t.cf[i];
      out->provenance = t.origin[i] == Origin::kModel ? t.model : Provenance{t.origin[i], "", 0};
      return true;
    }
    if (t.complete) return false;
    if (contexts_[0].stack.empty()) {
      CompleteContext();
      continue;
    }
    answer_ready_ = false;
    Status s = RunContext(0, lazy_);
    if (!s.ok()) {
      CloseQuery();
      return s;
    }
  }
}

Result<std::vector<Answer>> Solver::Machine::SolveAll(RelationId relation, std::span<const Value> call_in) {
  std::vector<Value> call(call_in.begin(), call_in.end());
  ConformRow(program_.relations[relation].columns, call);
  std::uint32_t table = FindTable(relation, call, false);
  if (table == kNil) {
    auto done = Complete(relation, call);
    if (!done.ok()) return done.status();
    table = *done;
  }
  const Table& t = *tables_[table];
  std::vector<Answer> out;
  for (std::size_t i = 0; i < t.size(); ++i) {
    auto row = t.row(i);
    // The ask key table may hold other answers than the call asks for.
    bool match = true;
    for (std::size_t j = 0; j < call.size() && match; ++j) {
      if (call[j].kind() != ValueKind::kNone) match = Same(row[j], call[j]);
    }
    if (!match) continue;
    Answer a;
    a.row.assign(row.begin(), row.end());
    a.certainty = t.cf[i];
    a.provenance = t.origin[i] == Origin::kModel ? t.model : Provenance{t.origin[i], "", 0};
    out.push_back(std::move(a));
  }
  return out;
}

Status Solver::Machine::Probe(std::uint32_t rule, std::span<const Value> head, const ProofCallback& on_proof,
                              ProbeProgress* progress) {
  const RuleSpec& spec = program_.rules[rule];
  if (spec.kind != RuleKind::kLogical || head.size() != spec.head_args.size()) {
    return Status::InvalidArgument("not a logical rule for this goal");
  }
  ColumnMask mask = 0;
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i].kind() != ValueKind::kNone) mask |= ColumnMask{1} << i;
  }
  const ScratchMark mark = Mark();
  contexts_.emplace_back();
  const std::size_t ctx = contexts_.size() - 1;
  std::uint32_t compiled = Compile(rule, mask);
  const CompiledRule& cr = compiled_[compiled];
  std::uint32_t frame = NewFrame(cr.frame_size);
  bool unifies = true;
  for (std::size_t i = 0; i < cr.head.size() && unifies; ++i) {
    const auto& h = cr.head[i];
    if (h.kind == CompiledRule::HeadArg::Kind::kBind) Frame(frame)[h.slot] = head[i];
    if (h.kind == CompiledRule::HeadArg::Kind::kCheck) unifies = Same(Frame(frame)[h.slot], head[i]);
    if (h.kind == CompiledRule::HeadArg::Kind::kConst) unifies = Same(h.constant, head[i]);
  }
  // A head computed by an expression is compared when a proof is complete.
  ProofCallback check = [&](std::span<const Value> f, double cf) {
    for (std::size_t i = 0; i < head.size(); ++i) {
      if (head[i].kind() == ValueKind::kNone) continue;
      auto v = Evaluate(spec.head_args[i], f);
      if (!v || !Same(*v, head[i])) return;
    }
    on_proof(f, cf);
  };
  const ProofCallback* saved_probe = probe_;
  ProbeProgress* saved_progress = progress_;
  probe_ = &check;
  progress_ = progress;
  if (progress != nullptr) {
    progress->head_matches = unifies;
    progress->deepest = 0;
    progress->frame.assign(arena_.begin() + frame, arena_.begin() + frame + cr.frame_size);
  }
  Status s;
  if (unifies) {
    Step(compiled, kProbeSink, frame, 0, semantics_.True());
    s = RunContext(ctx, false);
  }
  if (s.ok()) CompleteContext();
  probe_ = saved_probe;
  progress_ = saved_progress;
  contexts_.pop_back();
  Truncate(mark);
  if (!s.ok()) error_ = Status();
  return s;
}

std::vector<GoalStackEntry> Solver::Machine::GoalStack() const {
  std::vector<GoalStackEntry> out;
  if (active_.empty()) return out;
  const Active& a = active_.back();
  std::uint32_t dest = a.dest;
  GoalStackEntry e;
  e.rule = compiled_[a.compiled].rule;
  e.condition = a.condition;
  e.frame.assign(arena_.begin() + a.frame, arena_.begin() + a.frame + compiled_[a.compiled].frame_size);
  for (;;) {
    if (dest == kNil || dest == kProbeSink) {
      out.push_back(std::move(e));
      break;
    }
    const Table& t = *tables_[dest];
    e.relation = t.relation;
    e.call = t.call;
    out.push_back(std::move(e));
    if (t.creator_rule == kNil) {
      // The goal the user asked.
      GoalStackEntry top;
      top.relation = t.relation;
      top.call = t.call;
      out.push_back(std::move(top));
      break;
    }
    e = GoalStackEntry();
    e.rule = t.creator_rule;
    e.condition = t.creator_condition;
    e.frame = t.creator_frame;
    dest = t.creator_dest;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

SolverStats Solver::Machine::stats() const {
  SolverStats s;
  s.tables = tables_.size();
  for (const auto& t : tables_) s.answers += t->size();
  s.steps = steps_;
  s.questions = solver_.asked_.size();
  return s;
}

// ---- Solver -------------------------------------------------------------------------------

Solver::Solver(std::shared_ptr<const ProgramSpec> program, const WorkingMemory& memory, SolverOptions options)
    : program_(std::move(program)), memory_(memory), options_(std::move(options)) {
  machine_ = std::make_unique<Machine>(*this);
}

Solver::~Solver() = default;

Status Solver::Open(RelationId relation, std::vector<Value> call) {
  interrupt_.store(false, std::memory_order_relaxed);
  return machine_->Open(relation, std::move(call));
}

Result<bool> Solver::Next(Answer* out) { return machine_->Next(out); }

Result<std::vector<Answer>> Solver::SolveAll(RelationId relation, std::span<const Value> call) {
  return machine_->SolveAll(relation, call);
}

Status Solver::Probe(std::uint32_t rule, std::span<const Value> head, const ProofCallback& on_proof,
                     ProbeProgress* progress) {
  return machine_->Probe(rule, head, on_proof, progress);
}

bool Solver::Counts(double certainty) const { return machine_->Counts(certainty); }

std::vector<GoalStackEntry> Solver::GoalStack() const { return machine_->GoalStack(); }

void Solver::Reset(bool forget_replies) {
  machine_->ResetAll();
  if (forget_replies) {
    asked_.clear();
    machine_->asked_keys_.clear();
    for (auto& r : machine_->replies_) r.reset();
  }
}

SolverStats Solver::stats() const { return machine_->stats(); }

}  // namespace syllo::engine

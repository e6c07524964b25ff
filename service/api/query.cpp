// Query: backward chaining through a Solver over the session's working memory.
//
// A question the user has not answered yet stops the solver (its asker says
// "cancelled"); the query then hands the question out, and once it is answered
// solves again from the start with the reply known, skipping the solutions it
// already returned. The search is deterministic, so the solutions before the
// question come again in the same order. This is what lets an HTTP client
// answer on a later request without a thread waiting for it.
#include <chrono>

#include "engine/explain.h"
#include "engine/solver.h"
#include "service/api/session_impl.h"
#include "service/api/value_convert.h"

namespace syllo {

namespace {

std::string_view AskKindName(engine::AskKind kind) {
  switch (kind) {
    case engine::AskKind::kYesNo: return "yes_no";
    case engine::AskKind::kOneOf: return "one_of";
    case engine::AskKind::kNumber: return "number";
  }
  return "yes_no";
}

// Answers from the session's replies; stops the solver at a question without one.
class SessionAsker : public engine::Asker {
 public:
  SessionAsker(Session::Impl& session, const void* owner) : session_(session), owner_(owner) {}

  Result<engine::Reply> Ask(const engine::Question& q, const engine::WhyFunction&) override {
    if (auto it = session_.replies.find(q.goal); it != session_.replies.end()) return it->second;
    Question out;
    out.id = q.goal;
    out.text = q.text;
    out.kind = AskKindName(q.spec->kind);
    for (const engine::Value& c : q.spec->choices) {
      out.choices.push_back(c.kind() == engine::ValueKind::kSymbol || c.kind() == engine::ValueKind::kString
                                ? std::string(c.text())
                                : c.ToString());
    }
    out.min = q.spec->min;
    out.max = q.spec->max;
    session_.pending = std::move(out);
    session_.pending_spec = q.spec;
    session_.pending_owner = owner_;
    stopped_ = true;
    return Status::Cancelled("waiting for an answer to " + q.goal);
  }

  // Whether the last stop was a question (and clears it).
  bool TakeStopped() {
    bool s = stopped_;
    stopped_ = false;
    return s;
  }

 private:
  Session::Impl& session_;
  const void* owner_;
  bool stopped_ = false;
};

Explanation::Source SourceOf(const engine::ProofNode& node) {
  switch (node.provenance.origin) {
    case engine::Origin::kUser: return Explanation::Source::kUser;
    case engine::Origin::kModel: return Explanation::Source::kModel;
    case engine::Origin::kDerived: return Explanation::Source::kRule;
    case engine::Origin::kAsserted: return node.by.empty() ? Explanation::Source::kFact : Explanation::Source::kRule;
  }
  return Explanation::Source::kFact;
}

Explanation ToExplanation(const engine::ProgramSpec& spec, const engine::ProofNode& node) {
  Explanation e;
  e.fact = node.text;
  e.certainty = node.certainty;
  if (node.kind != engine::ProofNode::Kind::kAtom) {
    e.source = Explanation::Source::kFact;
    e.note = node.kind == engine::ProofNode::Kind::kHolds ? "holds" : "no longer holds";
    return e;
  }
  e.source = SourceOf(node);
  e.model = node.provenance.model;
  e.model_version = node.provenance.version;
  e.note = node.note == "..." ? "depth limit" : node.note;
  if (node.unproved) e.note = "no rule proves it now";
  if (!node.by.empty()) {
    const engine::ProofNode::Step& step = node.by.front();
    const engine::RuleSpec& rule = spec.rules[step.rule];
    e.source = Explanation::Source::kRule;
    e.rule = rule.name;
    e.location = rule.location;
    for (const engine::ProofNode& item : step.items) e.premises.push_back(ToExplanation(spec, item));
  }
  return e;
}

}  // namespace

struct Query::Impl {
  Impl(Session::Impl& s, std::shared_ptr<const rules::CompiledQuery> q)
      : session(s), query(std::move(q)), generation(s.generation), asker(s, this) {}
  ~Impl() {
    if (session.pending_owner == this) {
      session.pending.reset();
      session.pending_spec = nullptr;
      session.pending_owner = nullptr;
    }
  }

  // A solver over the session's memory as it is now, with the query open and
  // the solutions already returned skipped.
  Status Restart() {
    engine::SolverOptions options;
    options.asker = &asker;
    options.host = session.host.get();
    options.neural = session.neural.get();
    options.deadline = &deadline;
    Session::Impl* s = &session;
    options.on_user_answer = [s](engine::RelationId r, std::span<const engine::Value> row, double cf) {
      s->reply_facts.emplace_back(r, std::vector<engine::Value>(row.begin(), row.end()), cf);
    };
    options.on_unknown = [s](engine::RelationId r, std::span<const engine::Value> key) {
      s->unknowns.insert(engine::GoalKey{r, std::vector<engine::Value>(key.begin(), key.end())});
    };
    options.answered_unknown = [s](engine::RelationId r, std::span<const engine::Value> key) {
      return s->unknowns.count(engine::GoalKey{r, std::vector<engine::Value>(key.begin(), key.end())}) > 0;
    };
    solver = std::make_unique<engine::Solver>(query->spec, session.Forward().memory(), std::move(options));
    if (Status st = solver->Open(query->relation, std::vector<engine::Value>(query->variables.size())); !st.ok()) {
      return st;
    }
    for (std::uint64_t i = 0; i < delivered; ++i) {
      engine::Answer skipped;
      auto more = solver->Next(&skipped);
      if (!more.ok()) return more.status();
      if (!*more) break;
    }
    return Status();
  }

  Session::Impl& session;
  std::shared_ptr<const rules::CompiledQuery> query;
  std::uint64_t generation;
  SessionAsker asker;
  std::unique_ptr<engine::Solver> solver;
  std::uint64_t delivered = 0;
  bool done = false;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

Query::Query(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Query::~Query() = default;
Query::Query(Query&&) noexcept = default;
Query& Query::operator=(Query&&) noexcept = default;

const std::vector<std::string>& Query::variables() const { return impl_->query->variables; }

Result<QueryStep> Query::Next(double timeout_seconds) {
  Impl& q = *impl_;
  q.deadline = timeout_seconds > 0 ? std::chrono::steady_clock::now() +
                                         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                             std::chrono::duration<double>(timeout_seconds))
                                   : std::chrono::steady_clock::time_point::max();
  QueryStep step;
  if (q.done) return step;
  if (q.session.generation != q.generation) {
    return Status::InvalidArgument("the session's facts changed since this goal was asked: ask it again");
  }
  if (q.session.pending && q.session.pending_owner == &q) {
    step.kind = QueryStep::kQuestion;
    step.question = *q.session.pending;
    return step;
  }
  if (q.solver == nullptr) {
    if (Status s = q.Restart(); !s.ok()) {
      q.solver.reset();
      if (q.asker.TakeStopped()) {
        step.kind = QueryStep::kQuestion;
        step.question = *q.session.pending;
        return step;
      }
      return s;
    }
  }
  engine::Answer a;
  auto more = q.solver->Next(&a);
  if (!more.ok()) {
    q.solver.reset();
    if (q.asker.TakeStopped()) {
      step.kind = QueryStep::kQuestion;
      step.question = *q.session.pending;
      return step;
    }
    return more.status();
  }
  if (!*more) {
    q.done = true;
    q.solver.reset();
    // The replies become facts of the session (forward chaining sees them),
    // now that no solver reads the working memory.
    q.session.KeepReplyFacts();
    q.generation = q.session.generation;
    return step;
  }
  ++q.delivered;
  step.kind = QueryStep::kSolution;
  for (std::size_t i = 0; i < a.row.size(); ++i) {
    step.solution.bindings.emplace_back(q.query->variables[i], FromEngine(a.row[i]));
  }
  step.solution.certainty = a.certainty;
  step.solution.text = engine::FormatAnswer(*q.query->spec, q.query->variables, a);
  return step;
}

Result<Explanation> Query::Explain(const Solution& solution, int max_depth) {
  Impl& q = *impl_;
  if (q.session.generation != q.generation) {
    return Status::InvalidArgument("the session's facts changed since this goal was asked: ask it again");
  }
  std::vector<engine::Value> row;
  for (const auto& [name, value] : solution.bindings) row.push_back(ToEngine(value, &q.session.symbols));
  if (row.size() != q.query->variables.size()) {
    return Status::InvalidArgument("the solution does not belong to this query");
  }
  // A solver of its own: explaining must not disturb the open one.
  engine::SolverOptions options;
  options.asker = &q.asker;
  options.host = q.session.host.get();
  options.neural = q.session.neural.get();
  engine::Solver solver(q.query->spec, q.session.Forward().memory(), std::move(options));
  engine::ExplainOptions explain;
  explain.max_depth = max_depth;
  auto trees = engine::ProveHow(solver, q.query->relation, row, explain);
  if (!trees.ok()) {
    if (q.asker.TakeStopped()) q.session.pending.reset();
    return trees.status();
  }
  if (trees->empty()) return Status::NotFound("the solution no longer holds");
  Explanation root = ToExplanation(*q.query->spec, trees->front());
  // The root is the goal's own rule ($query1): show the goal's atom itself
  // when it is one, else the goal as typed over its conjuncts.
  if (root.premises.size() == 1) return std::move(root.premises.front());
  root.fact = solution.text;
  root.rule.clear();
  root.location.clear();
  return root;
}

Result<Query> Session::Ask(std::string_view goal) {
  if (!impl_->host_status.ok()) return impl_->host_status;
  auto compiled = impl_->program.impl()->CompileGoal(goal);
  if (!compiled.ok()) return compiled.status();
  return Query(std::make_unique<Query::Impl>(*impl_, std::move(compiled).value()));
}

}  // namespace syllo

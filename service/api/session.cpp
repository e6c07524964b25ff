#include <algorithm>
#include <chrono>
#include <functional>
#include <unordered_set>

#include "engine/explain.h"
#include "service/api/session_impl.h"
#include "service/api/value_convert.h"

namespace syllo {

namespace {

std::string_view StopName(engine::StopReason reason) {
  switch (reason) {
    case engine::StopReason::kAgendaEmpty: return "agenda_empty";
    case engine::StopReason::kHalted: return "halted";
    case engine::StopReason::kFiringLimit: return "firing_limit";
    case engine::StopReason::kTimeLimit: return "time_limit";
    case engine::StopReason::kFactLimit: return "fact_limit";
    case engine::StopReason::kInterrupted: return "interrupted";
    case engine::StopReason::kError: return "error";
  }
  return "error";
}

// The caller's row as engine values, into `out` (cleared first).
Status ConvertRowInto(const engine::ProgramSpec& spec, engine::RelationId id, const std::vector<Value>& row,
                      engine::SymbolScope* scope, std::vector<engine::Value>& out) {
  const auto& columns = spec.relations[id].columns;
  if (row.size() != columns.size()) {
    return Status::InvalidArgument(spec.relations[id].name + " has " + std::to_string(columns.size()) +
                                   " columns, the row has " + std::to_string(row.size()));
  }
  out.clear();
  out.reserve(row.size());
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (row[i].is_none()) {
      return Status::InvalidArgument(spec.relations[id].name + "." + columns[i].name + ": a fact needs a value");
    }
    out.push_back(ToEngine(row[i], columns[i].type, scope));
  }
  return Status();
}

Result<std::vector<engine::Value>> ConvertRow(const engine::ProgramSpec& spec, engine::RelationId id,
                                              const std::vector<Value>& row, engine::SymbolScope* scope) {
  std::vector<engine::Value> out;
  if (Status s = ConvertRowInto(spec, id, row, scope, out); !s.ok()) return s;
  return out;
}

Result<engine::RelationId> UserRelation(const Program::Impl& program, std::string_view relation) {
  auto it = program.user_relations.find(relation);
  if (it == program.user_relations.end()) {
    return Status::NotFound("unknown relation '" + std::string(relation) + "'");
  }
  return it->second;
}

class JustificationTree {
 public:
  JustificationTree(const engine::ForwardSession& s, int max_depth) : s_(s), max_depth_(max_depth) {}

  Explanation Build(engine::FactRef f, int depth) {
    Explanation node;
    node.fact = s_.FormatFact(f);
    node.certainty = s_.certainty(f);
    const engine::Relation& rel = s_.memory().at(f.relation);
    switch (rel.origin(f.id)) {
      case engine::Origin::kUser: node.source = Explanation::Source::kUser; return node;
      case engine::Origin::kModel:
        node.source = Explanation::Source::kModel;
        if (const engine::PredictionSource* by = s_.prediction_source(f)) {
          node.model = by->model;
          node.model_version = by->version;
        }
        return node;
      default: break;
    }
    std::vector<engine::Justification> justs = s_.Justifications(f);
    if (justs.empty()) return node;  // a fact given to the session
    const engine::Justification& j = justs.front();
    const engine::RuleSpec& rule = s_.program().rules[j.rule];
    node.source = Explanation::Source::kRule;
    node.rule = rule.name;
    node.location = rule.location;
    const std::uint64_t key = (std::uint64_t{f.relation} << 32) | f.id;
    if (on_path_.count(key)) {
      node.note = "a cycle: see above";
      return node;
    }
    if (explained_.count(key)) {
      node.note = "explained above";
      return node;
    }
    if (depth >= max_depth_) {
      node.note = "depth limit";
      return node;
    }
    explained_.insert(key);
    on_path_.insert(key);
    for (engine::FactRef p : j.facts) {
      if (p.id == engine::kNoFact) continue;
      node.premises.push_back(Build(p, depth + 1));
    }
    if (justs.size() > 1) node.note = std::to_string(justs.size() - 1) + " more derivation(s) not shown";
    on_path_.erase(key);
    return node;
  }

 private:
  const engine::ForwardSession& s_;
  int max_depth_;
  std::unordered_set<std::uint64_t> on_path_, explained_;
};

}  // namespace

Session::Impl::Impl(const Program& p) : program(p) {
  Program::Impl& pi = *program.impl();
  if (!pi.spec->neurals.empty()) neural = std::make_unique<learners::ModelPredicates>(pi.model_store);
  auto acquired = pi.AcquireHost();
  if (acquired.ok()) {
    host = std::move(acquired).value();
  } else {
    host_status = acquired.status();
  }
  if (host != nullptr) host->set_output(&Out());
  if (pi.bottom_up != nullptr) {
    bottom_up = pi.AcquireBottomUp();
  } else {
    Forward();
  }
}

engine::ForwardSession& Session::Impl::Forward() {
  if (forward != nullptr) return *forward;
  Program::Impl& pi = *program.impl();
  forward = pi.AcquireForward();
  forward->set_output(&Out());
  forward->set_observer(&firings);
  if (neural != nullptr) forward->set_neural(neural.get());
  if (host != nullptr) forward->set_host(host.get());
  // The program's own facts; they were checked when it was compiled.
  (void)forward->AssertProgramFacts();
  if (bottom_up != nullptr) {
    // The facts given so far, as they were given; what a run concluded from
    // them is concluded again, with the supports an explanation reads.
    std::vector<engine::Value> row;
    for (const engine::BottomUpSession::Asserted& a : bottom_up->asserted()) {
      const engine::Relation& rel = bottom_up->memory().at(a.fact.relation);
      auto values = rel.row(a.fact.id);
      row.assign(values.begin(), values.end());
      (void)forward->AssertRow(a.fact.relation, row, a.certainty, rel.origin(a.fact.id));
    }
    if (bottom_up_ran) forward->Settle();
    pi.ReleaseBottomUp(std::move(bottom_up));
  }
  return *forward;
}

Session::Impl::~Impl() {
  // The forward session goes back to the program's pool before the host: it
  // calls the host while it goes.
  program.impl()->ReleaseBottomUp(std::move(bottom_up));
  program.impl()->ReleaseForward(std::move(forward));
  program.impl()->ReleaseHost(std::move(host));
}

void Session::Impl::KeepReplyFacts() {
  for (auto& [relation, row, cf] : reply_facts) {
    (void)Forward().Assert(relation, std::move(row), cf, engine::Origin::kUser);
  }
  if (!reply_facts.empty()) Forward().Settle();
  reply_facts.clear();
}

Session::Session(const Program& program) : impl_(std::make_unique<Impl>(program)) {}
Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

const Program& Session::program() const { return impl_->program; }

Status Session::Assert(std::string_view relation, const std::vector<Value>& row, double certainty) {
  const engine::ProgramSpec& spec = *impl_->program.impl()->spec;
  auto id = UserRelation(*impl_->program.impl(), relation);
  if (!id.ok()) return id.status();
  // Into a scratch row: the pooled bottom-up session's (no allocation for a
  // decision), else the session's (one for all the rows it is given).
  const bool bottom_up = impl_->bottom_up != nullptr && !impl_->bottom_up_ran;
  std::vector<engine::Value>& values = bottom_up ? impl_->bottom_up->row_buffer() : impl_->scratch_row;
  if (Status s = ConvertRowInto(spec, *id, row, &impl_->symbols, values); !s.ok()) return s;
  auto added = bottom_up ? impl_->bottom_up->Assert(*id, values, certainty, engine::Origin::kAsserted)
                         : impl_->Forward().AssertRow(*id, values, certainty);
  if (!added.ok()) return added.status();
  ++impl_->generation;
  return Status();
}

Status Session::Retract(std::string_view relation, const std::vector<Value>& row) {
  const engine::ProgramSpec& spec = *impl_->program.impl()->spec;
  auto id = UserRelation(*impl_->program.impl(), relation);
  if (!id.ok()) return id.status();
  auto values = ConvertRow(spec, *id, row, &impl_->symbols);
  if (!values.ok()) return values.status();
  engine::ForwardSession& forward = impl_->Forward();
  const engine::Relation& rel = forward.memory().at(*id);
  auto fact = rel.Find(*values);
  if (!fact || !forward.alive({*id, *fact}) || !forward.Retract({*id, *fact})) {
    return Status::NotFound("no fact " + engine::FormatAtom(spec, *id, *values) + " to retract");
  }
  // The forward session queues a retraction: settle, so the fact is gone now.
  forward.Settle();
  ++impl_->generation;
  return Status();
}

Result<RunReport> Session::Run(const RunLimits& limits) {
  if (!impl_->host_status.ok()) return impl_->host_status;
  ++impl_->generation;
  engine::RunLimits engine_limits{limits.max_firings, limits.timeout_seconds, limits.max_facts};
  if (impl_->bottom_up != nullptr && !impl_->bottom_up_ran) {
    // The clock only when there is a deadline to share (a decision has none).
    const auto start = engine_limits.timeout_seconds > 0 ? std::chrono::steady_clock::now()
                                                          : std::chrono::steady_clock::time_point{};
    std::uint64_t derivations = 0;
    if (impl_->bottom_up->Evaluate(engine_limits, &derivations) == engine::BottomUpSession::Outcome::kConcluded) {
      impl_->bottom_up_ran = true;
      RunReport report;
      report.stop = StopName(engine::StopReason::kAgendaEmpty);
      report.derivations = derivations;
      return report;
    }
    // It would reach a limit, or outgrew its budget: the Rete network runs
    // from the facts given, in the time left.
    if (engine_limits.timeout_seconds > 0) {
      const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      engine_limits.timeout_seconds = std::max(engine_limits.timeout_seconds - spent, 1e-9);
    }
  }
  engine::RunResult r = impl_->Forward().Run(engine_limits);
  if (r.reason == engine::StopReason::kError) return Status::InvalidArgument(r.message);
  RunReport report;
  report.stop = StopName(r.reason);
  report.message = r.message;
  report.firings = r.firings;
  report.derivations = r.derivations;
  return report;
}

Result<std::vector<Fact>> Session::Facts(std::string_view relation) const {
  auto id = UserRelation(*impl_->program.impl(), relation);
  if (!id.ok()) return id.status();
  std::vector<Fact> out;
  const engine::Relation& rel = impl_->memory().at(*id);
  out.reserve(rel.size());
  rel.ForEach([&](engine::FactId f) {
    Fact& fact = out.emplace_back();
    fact.relation = rel.name();
    fact.values.reserve(rel.arity());
    for (const engine::Value& v : rel.row(f)) fact.values.push_back(FromEngine(v));
    fact.certainty = rel.certainty(f);
  });
  return out;
}

Status Session::ForEachFact(std::string_view relation, const std::function<void(const FactView&)>& f) const {
  auto id = UserRelation(*impl_->program.impl(), relation);
  if (!id.ok()) return id.status();
  const engine::Relation& rel = impl_->memory().at(*id);
  FactView view;
  view.size_ = rel.arity();
  rel.ForEach([&](engine::FactId fact) {
    view.row_ = rel.row(fact).data();
    view.certainty_ = rel.certainty(fact);
    f(view);
  });
  return Status();
}

Result<Explanation> Session::Explain(const Fact& fact, int max_depth) const {
  const engine::ProgramSpec& spec = *impl_->program.impl()->spec;
  auto id = UserRelation(*impl_->program.impl(), fact.relation);
  if (!id.ok()) return id.status();
  auto values = ConvertRow(spec, *id, fact.values, &impl_->symbols);
  if (!values.ok()) return values.status();
  engine::ForwardSession& forward = impl_->Forward();
  auto f = forward.memory().at(*id).Find(*values);
  if (!f) return Status::NotFound(engine::FormatAtom(spec, *id, *values) + " is not in working memory");
  return JustificationTree(forward, max_depth).Build({*id, *f}, 0);
}

std::vector<std::pair<std::string, std::uint64_t>> Session::Firings() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  const auto& rules = impl_->program.impl()->spec->rules;
  const auto& counts = impl_->firings.counts;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    if (counts[r] > 0) out.emplace_back(rules[r].name, counts[r]);
  }
  return out;
}

std::uint64_t Session::model_calls() const {
  return impl_->neural == nullptr ? 0 : impl_->neural->stats().calls;
}

std::vector<std::string> Session::ConcludingRules() const {
  const engine::ProgramSpec& spec = *impl_->program.impl()->spec;
  std::vector<bool> seen(spec.rules.size());
  if (impl_->bottom_up != nullptr) {
    const auto& concluded = impl_->bottom_up->concluded();
    for (std::size_t r = 0; r < concluded.size(); ++r) seen[r] = concluded[r] != 0;
  }
  for (engine::RelationId r = 0; impl_->forward != nullptr && r < spec.relations.size(); ++r) {
    const engine::Relation& rel = impl_->forward->memory().at(r);
    rel.ForEach([&](engine::FactId f) {
      if (rel.origin(f) != engine::Origin::kDerived) return;
      for (const engine::Justification& j : impl_->forward->Justifications({r, f})) seen[j.rule] = true;
    });
  }
  std::vector<std::string> out;
  for (std::size_t r = 0; r < seen.size(); ++r) {
    // Rules the compiler made for a conjunction under not/exists are not the user's.
    if (seen[r] && !spec.rules[r].auxiliary) out.push_back(spec.rules[r].name);
  }
  return out;
}

std::string Session::TakeOutput() {
  if (impl_->out == nullptr) return {};
  std::string text = impl_->out->str();
  impl_->out->str({});
  impl_->out->clear();
  return text;
}

const std::optional<Question>& Session::pending_question() const { return impl_->pending; }

Status Session::Answer(std::string_view reply) {
  if (!impl_->pending || impl_->pending_spec == nullptr) {
    return Status::InvalidArgument("there is no question waiting for an answer");
  }
  auto parsed = engine::ParseReply(*impl_->pending_spec, reply);
  if (!parsed.ok()) return Status::InvalidArgument(impl_->pending->id + ": " + parsed.status().message());
  impl_->replies[impl_->pending->id] = *parsed;
  impl_->pending.reset();
  impl_->pending_spec = nullptr;
  impl_->pending_owner = nullptr;
  return Status();
}

}  // namespace syllo

#include "repl/session.h"

#include <set>

#include "engine/explain.h"
#include "engine/rete_network.h"
#include "kb/program_facts.h"
#include "rules/checker.h"
#include "rules/lower.h"
#include "scripting/program_files.h"

namespace syllo::repl {

bool Session::Open(const std::vector<std::string>& packs, const std::string& db) {
  if (!db.empty()) {
    auto opened = kb::KnowledgeBase::Open(db, kb::OpenMode::kCreate);
    if (!opened.ok()) {
      Error(opened.status().message());
      return false;
    }
    kb_ = std::move(opened).value();
  }
  packs_ = packs;
  return Rebuild();
}

bool Session::Load(const std::string& path) {
  packs_.push_back(path);
  if (Rebuild()) return true;
  packs_.pop_back();
  // Put back the program as it was before the failed load.
  Rebuild();
  return false;
}

bool Session::Reset() {
  changes_.clear();
  unknowns_.clear();
  return Rebuild();
}

bool Session::Rebuild() {
  auto loaded = std::make_unique<rules::LoadedProgram>();
  std::unique_ptr<scripting::PackHost> host;
  scripting::LoadProgramFiles(packs_, lua_, *loaded, &host);
  rules::Check(loaded->sources, loaded->program, loaded->diagnostics);
  loaded->diagnostics.Sort();
  if (!ShowDiagnostics(loaded->sources, loaded->diagnostics)) return false;
  auto spec = rules::Lower(loaded->sources, loaded->program);
  if (!spec.ok()) {
    Error(spec.status().message());
    return false;
  }
  if (host != nullptr) {
    if (Status st = host->Bind(**spec); !st.ok()) {
      Error(st.message());
      return false;
    }
  }
  auto forward = std::make_unique<engine::ForwardSession>(engine::ReteNetwork::Compile(*spec));
  forward->set_output(&out_);
  forward->set_host(host.get());
  auto models = std::make_unique<learners::ModelPredicates>(kb_.get());
  forward->set_neural(models.get());
  if (Status s = forward->AssertProgramFacts(); !s.ok()) {
    Error(s.message());
    return false;
  }
  if (kb_ != nullptr) {
    Status s = kb::ForEachProgramFact(*kb_, **spec,
                                      [&](engine::RelationId r, std::span<const engine::Value> row, double cf,
                                          engine::Origin origin) -> Status {
                                        auto added = forward->Assert(
                                            r, std::vector<engine::Value>(row.begin(), row.end()), cf, origin);
                                        return added.ok() ? Status() : added.status();
                                      });
    if (!s.ok()) {
      Error(kb_->path() + ": " + s.message());
      return false;
    }
  }
  std::set<std::string> watching = watch_ ? watch_->what() : std::set<std::string>{};
  forward_.reset();  // before the host it calls
  host_ = std::move(host);
  loaded_ = std::move(loaded);
  spec_ = std::move(spec).value();
  models_ = std::move(models);
  forward_ = std::move(forward);
  watch_ = std::make_unique<engine::WatchPrinter>(*forward_, out_, watching);
  forward_->set_observer(watch_.get());
  // The user's changes, replayed in order; one that no longer fits the
  // program is dropped with a message.
  std::vector<Change> kept;
  for (const Change& c : changes_) {
    if (Apply(c)) kept.push_back(c);
  }
  changes_ = std::move(kept);
  // Not settled here: forward chaining runs at :run (or when :facts, :agenda
  // or :save need it), so opening a big recursive pack to ask a few goals
  // does not first derive its whole closure. Queries derive what they need.
  return true;
}

bool Session::Apply(const Change& change) {
  auto id = spec_->FindRelation(change.relation);
  if (!id) {
    Error("dropped a change to '" + change.relation + "': the program no longer declares it");
    return false;
  }
  if (change.kind == Change::Kind::kAssert) {
    auto r = forward_->Assert(*id, change.row, change.certainty, change.origin);
    if (!r.ok()) {
      Error(r.status().message());
      return false;
    }
    return true;
  }
  auto found = forward_->memory().at(*id).Find(change.row);
  if (found) forward_->Retract({*id, *found});
  return true;
}

bool Session::AssertText(const std::string& text) {
  if (!has_program()) return false;
  rules::Diagnostics diags;
  auto fact = rules::CompileFact(*loaded_, text, diags);
  ShowDiagnostics(loaded_->sources, diags);
  if (!fact) return false;
  Change c{Change::Kind::kAssert, spec_->relations[fact->relation].name, fact->values, fact->certainty,
           engine::Origin::kAsserted};
  if (!Apply(c)) return false;
  changes_.push_back(std::move(c));
  return true;
}

bool Session::RetractText(const std::string& text) {
  if (!has_program()) return false;
  rules::Diagnostics diags;
  auto fact = rules::CompileFact(*loaded_, text, diags);
  ShowDiagnostics(loaded_->sources, diags);
  if (!fact) return false;
  const engine::Relation& rel = forward_->memory().at(fact->relation);
  if (!rel.Find(fact->values)) {
    Error("no such fact: " + engine::FormatAtom(*spec_, fact->relation, fact->values));
    return false;
  }
  Change c{Change::Kind::kRetract, spec_->relations[fact->relation].name, fact->values, 1.0,
           engine::Origin::kAsserted};
  Apply(c);
  changes_.push_back(std::move(c));
  forward_->Settle();  // a retraction takes effect in working memory when propagated
  return true;
}

void Session::RecordReply(engine::RelationId relation, std::vector<engine::Value> row, double certainty) {
  Change c{Change::Kind::kAssert, spec_->relations[relation].name, row, certainty, engine::Origin::kUser};
  if (Apply(c)) changes_.push_back(c);
  if (kb_ != nullptr) {
    Status s = kb_->InTransaction([&] {
      if (Status d = kb_->DeclareRelation(c.relation, spec_->relations[relation].columns); !d.ok()) return d;
      kb::FactRow fact{std::move(row), certainty, engine::Origin::kUser};
      return kb_->InsertFacts(c.relation, std::span<const kb::FactRow>(&fact, 1));
    });
    if (!s.ok()) Error("could not record the reply in " + kb_->path() + ": " + s.message());
  }
}

void Session::RecordUnknown(engine::RelationId relation, std::span<const engine::Value> key) {
  unknowns_.emplace_back(spec_->relations[relation].name, std::vector<engine::Value>(key.begin(), key.end()));
}

bool Session::AnsweredUnknown(engine::RelationId relation, std::span<const engine::Value> key) const {
  const std::string& name = spec_->relations[relation].name;
  for (const auto& [r, k] : unknowns_) {
    if (r == name && std::equal(k.begin(), k.end(), key.begin(), key.end())) return true;
  }
  return false;
}

std::unique_ptr<rules::CompiledQuery> Session::CompileQuery(const std::string& text) {
  if (!has_program()) return nullptr;
  rules::Diagnostics diags;
  auto q = rules::CompileQuery(*loaded_, text, diags);
  ShowDiagnostics(loaded_->sources, diags);
  return q;
}

std::vector<std::string> Session::CompletionWords() const {
  std::set<std::string> words;
  if (spec_ == nullptr) return {};
  for (const auto& r : spec_->relations) {
    if (!r.auxiliary) words.insert(r.name);
  }
  auto add = [&](const engine::Value& v) {
    if (v.kind() == engine::ValueKind::kSymbol) words.insert(std::string(v.text()));
  };
  for (const auto& f : spec_->facts) {
    for (const auto& v : f.values) add(v);
  }
  for (const auto& a : spec_->asks) {
    for (const auto& v : a.choices) add(v);
  }
  for (const auto& rule : spec_->rules) {
    for (const auto& c : rule.conditions) {
      for (const auto& a : c.pattern.args) {
        if (a.kind == engine::PatternArg::Kind::kConst) add(a.constant);
      }
    }
    for (const auto& e : rule.head_args) {
      if (e.op == engine::ExprOp::kConst) add(e.constant);
    }
  }
  return {words.begin(), words.end()};
}

bool Session::ShowDiagnostics(const rules::SourceSet& sources, const rules::Diagnostics& diags) {
  err_ << rules::RenderAll(sources, diags, color_);
  return !diags.has_errors();
}

void Session::Error(const std::string& message) {
  if (color_) {
    err_ << "\033[1;31merror:\033[0m " << message << "\n";
  } else {
    err_ << "error: " << message << "\n";
  }
}

}  // namespace syllo::repl

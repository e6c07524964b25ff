#include "repl/repl.h"

#include <algorithm>
#include <atomic>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "engine/explain.h"
#include "engine/solver.h"
#include "engine/stream_asker.h"
#include "repl/interrupt.h"
#include "repl/line_editor.h"
#include "repl/session.h"

namespace syllo::repl {

namespace {

// What Ctrl-C stops: the solver or forward session running right now.
std::atomic<engine::Solver*> running_solver{nullptr};
std::atomic<engine::ForwardSession*> running_forward{nullptr};

void OnInterrupt() {
  if (engine::Solver* s = running_solver.load()) s->Interrupt();
  if (engine::ForwardSession* f = running_forward.load()) f->Interrupt();
}

template <typename T>
class RunningScope {
 public:
  RunningScope(std::atomic<T*>& slot, T* value) : slot_(slot) { slot_.store(value); }
  ~RunningScope() { slot_.store(nullptr); }
  RunningScope(const RunningScope&) = delete;
  RunningScope& operator=(const RunningScope&) = delete;

 private:
  std::atomic<T*>& slot_;
};

std::string Trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1));
}

// Replies are read from standard input: at a terminal it is in cooked mode
// between line-editor reads. Ctrl-C (EINTR) or the end of input ends the
// consultation.
bool ReadReply(std::string* line) {
  if (std::getline(std::cin, *line)) return true;
  std::cin.clear();
  return false;
}

class Repl {
 public:
  explicit Repl(const ReplOptions& options)
      : options_(options),
        session_(std::cout, std::cerr, options.color, options.lua),
        asker_(std::cout, &ReadReply, !options.interactive) {}

  int Run() {
    InterruptHandlerScope interrupts;  // from the start: Ctrl-C never kills the REPL
    SetInterruptHook(&OnInterrupt);
    if (!session_.Open(options_.packs, options_.db)) return 1;
    LineEditorOptions eo;
    eo.interactive = options_.interactive;
    eo.history_file = options_.history_file;
    editor_ = LineEditor::Create(eo);
    editor_->SetCompleter([this](std::string_view line, std::string_view word) { return Complete(line, word); });
    if (options_.interactive) {
      std::cout << "Syllo 0.1: " << Describe() << "\nType ?- goal. to ask, :help for commands, :quit to leave.\n";
    }
    for (;;) {
      std::string unit;
      auto status = editor_->Read(&unit);
      if (status == LineEditor::ReadStatus::kEof) break;
      if (status == LineEditor::ReadStatus::kInterrupted) continue;
      if (!Dispatch(Trim(unit))) break;
      // A command typed at a question stopped the consultation: run it now.
      if (std::string command = asker_.TakePendingCommand(); !command.empty() && !Dispatch(command)) break;
      std::cout << std::flush;
    }
    SetInterruptHook(nullptr);
    return (!options_.interactive && failures_ > 0) ? 1 : 0;
  }

 private:
  std::string Describe() {
    std::string s;
    for (const auto& p : session_.packs()) s += (s.empty() ? "" : ", ") + p;
    if (s.empty()) s = "no pack loaded";
    if (session_.kb() != nullptr) s += "; knowledge base " + session_.kb()->path();
    return s;
  }

  // False: leave the REPL.
  bool Dispatch(const std::string& unit) {
    if (unit.empty()) return true;
    if (unit[0] == ':') {
      std::string word = unit.substr(0, unit.find_first_of(" \t"));
      std::string rest = Trim(unit.substr(word.size()));
      return Command(word, rest);
    }
    if (unit.rfind("?-", 0) == 0) {
      Query(unit.substr(2), false);
      return true;
    }
    if (unit.rfind("retract ", 0) == 0 || unit.rfind("retract\t", 0) == 0) {
      Check(session_.RetractText(unit.substr(8)));
      return true;
    }
    if (Check(session_.AssertText(unit)) && options_.interactive) std::cout << "% asserted\n";
    return true;
  }

  bool Check(bool ok) {
    if (!ok) ++failures_;
    return ok;
  }

  bool Command(const std::string& name, const std::string& args) {
    if (name == ":quit" || name == ":exit" || name == ":q") return false;
    if (name == ":help" || name == ":h") {
      Help();
    } else if (name == ":load") {
      if (args.empty()) {
        Fail("usage: :load FILE");
      } else if (Check(session_.Load(args))) {
        std::cout << "% loaded " << args << "\n";
      }
    } else if (name == ":run") {
      RunForward(args);
    } else if (name == ":facts") {
      Facts(args);
    } else if (name == ":rules") {
      Rules();
    } else if (name == ":agenda") {
      Agenda();
    } else if (name == ":watch") {
      Watch(args);
    } else if (name == ":why") {
      if (asker_.last_question().empty()) {
        std::cout << "No question has been asked yet.\n";
      } else {
        std::cout << "You were asked: " << asker_.last_question() << "\n" << asker_.last_why();
      }
    } else if (name == ":how" || name == ":whynot") {
      Explain(args, name == ":how");
    } else if (name == ":consult") {
      if (args.empty()) {
        Fail("usage: :consult GOAL, e.g. :consult diagnosis(my_car, F)");
      } else {
        Query(args, true);
      }
    } else if (name == ":reset") {
      if (Check(session_.Reset())) std::cout << "% reset: " << Describe() << "\n";
    } else if (name == ":save") {
      Save();
    } else if (name == ":kb") {
      Kb();
    } else {
      Fail("unknown command " + name + " (:help lists them)");
    }
    return true;
  }

  void Fail(const std::string& message) {
    ++failures_;
    session_.Error(message);
  }

  void Help() {
    for (const auto& c : Commands()) {
      std::string head = std::string(c.name) + (c.args[0] ? " " : "") + c.args;
      std::cout << std::left << std::setw(22) << head << " " << c.description << "\n";
    }
    std::cout << "?- goal.                ask a goal; answers one at a time (; next, Enter stop)\n"
              << "p(a, b).                assert a fact (p(a) cf 0.7. with a certainty)\n"
              << "retract p(a, b).        retract a fact\n"
              << "At a question, answer as offered, or type why.\n";
  }

  std::unique_ptr<engine::Solver> MakeSolver(const rules::CompiledQuery& q,
                                             std::vector<std::tuple<engine::RelationId, std::vector<engine::Value>, double>>* replies) {
    engine::SolverOptions so;
    so.asker = &asker_;
    so.host = session_.host();
    so.neural = session_.models();
    so.on_user_answer = [replies](engine::RelationId r, std::span<const engine::Value> row, double cf) {
      replies->emplace_back(r, std::vector<engine::Value>(row.begin(), row.end()), cf);
    };
    so.on_unknown = [this](engine::RelationId r, std::span<const engine::Value> key) { session_.RecordUnknown(r, key); };
    so.answered_unknown = [this](engine::RelationId r, std::span<const engine::Value> key) {
      return session_.AnsweredUnknown(r, key);
    };
    return std::make_unique<engine::Solver>(q.spec, session_.forward().memory(), std::move(so));
  }

  void KeepReplies(std::vector<std::tuple<engine::RelationId, std::vector<engine::Value>, double>>& replies) {
    for (auto& [r, row, cf] : replies) session_.RecordReply(r, std::move(row), cf);
    replies.clear();
  }

  void Query(const std::string& text, bool consult) {
    auto q = session_.CompileQuery(text);
    if (q == nullptr) {
      ++failures_;
      return;
    }
    std::vector<std::tuple<engine::RelationId, std::vector<engine::Value>, double>> replies;
    auto solver = MakeSolver(*q, &replies);
    RunningScope<engine::Solver> running(running_solver, solver.get());
    if (consult) std::cout << "Consultation: " << Trim(text) << "\n";
    Status s = solver->Open(q->relation, std::vector<engine::Value>(q->variables.size()));
    std::vector<engine::Answer> all;
    std::size_t shown = 0;
    while (s.ok()) {
      engine::Answer a;
      auto more = solver->Next(&a);
      if (!more.ok()) {
        s = more.status();
        break;
      }
      if (!*more) {
        if (!consult && (shown == 0 || options_.interactive)) std::cout << "false.\n";
        break;
      }
      if (consult) {
        all.push_back(std::move(a));
        continue;
      }
      ++shown;
      std::cout << engine::FormatAnswer(*q->spec, q->variables, a);
      if (!options_.interactive) {
        std::cout << "\n";
        continue;
      }
      std::cout << " " << std::flush;
      int key = editor_->ReadKey();
      if (key == ';' || key == ' ' || key == 'n' || key == '\t') {
        std::cout << ";\n";
        continue;
      }
      std::cout << ".\n";
      break;
    }
    KeepReplies(replies);
    if (!s.ok()) {
      if (s.code() == StatusCode::kCancelled) {
        std::cout << "% " << (s.message() == "interrupted" ? "interrupted" : "stopped: " + s.message()) << "\n";
      } else {
        Fail(s.message());
      }
      return;
    }
    if (consult) {
      std::stable_sort(all.begin(), all.end(),
                       [](const engine::Answer& a, const engine::Answer& b) { return a.certainty > b.certainty; });
      if (all.empty()) {
        std::cout << "No conclusion could be reached. :whynot " << Trim(text) << " shows what failed.\n";
      } else {
        std::cout << "Conclusions:\n";
        for (const auto& a : all) std::cout << "  " << engine::FormatAnswer(*q->spec, q->variables, a) << "\n";
        std::cout << "Use :how GOAL to see how a conclusion was reached.\n";
      }
    }
  }

  // `:how GOAL` and `:whynot GOAL`: one goal, compiled as a query.
  void Explain(const std::string& text, bool how) {
    if (text.empty()) {
      Fail(how ? "usage: :how GOAL" : "usage: :whynot GOAL");
      return;
    }
    auto q = session_.CompileQuery(text);
    if (q == nullptr) {
      ++failures_;
      return;
    }
    const engine::RuleSpec* rule = nullptr;
    for (const auto& r : q->spec->rules) {
      if (r.for_query && r.head_relation == q->relation) rule = &r;
    }
    if (rule == nullptr || rule->conditions.size() != 1 || rule->conditions[0].kind != engine::ConditionKind::kPattern) {
      Fail("give one goal, as in " + std::string(how ? ":how" : ":whynot") + " diagnosis(my_car, F)");
      return;
    }
    const engine::Pattern& p = rule->conditions[0].pattern;
    std::vector<engine::Value> call(p.args.size());
    for (std::size_t i = 0; i < p.args.size(); ++i) {
      if (p.args[i].kind == engine::PatternArg::Kind::kConst) call[i] = p.args[i].constant;
    }
    std::vector<std::tuple<engine::RelationId, std::vector<engine::Value>, double>> replies;
    auto solver = MakeSolver(*q, &replies);
    RunningScope<engine::Solver> running(running_solver, solver.get());
    auto text_out = how ? engine::ExplainHow(*solver, p.relation, call) : engine::ExplainWhyNot(*solver, p.relation, call);
    KeepReplies(replies);
    if (!text_out.ok()) {
      Fail(text_out.status().message());
      return;
    }
    std::cout << *text_out;
  }

  void RunForward(const std::string& args) {
    engine::RunLimits limits;
    if (!args.empty()) {
      try {
        limits.max_firings = std::stoull(args);
      } catch (...) {
        Fail("usage: :run [N]  (N: the most production rules to fire)");
        return;
      }
    }
    engine::ForwardSession& f = session_.forward();
    RunningScope<engine::ForwardSession> running(running_forward, &f);
    engine::RunResult r = f.Run(limits);
    std::cout << "% " << r.firings << (r.firings == 1 ? " rule fired" : " rules fired") << ", " << r.derivations
              << " conclusions; " << engine::StopReasonName(r.reason);
    if (!r.message.empty() && r.reason != engine::StopReason::kAgendaEmpty) std::cout << ": " << r.message;
    std::cout << "\n";
  }

  void Facts(const std::string& name) {
    {
      RunningScope<engine::ForwardSession> running(running_forward, &session_.forward());
      session_.forward().Settle();  // what the logical rules conclude is part of what is known
    }
    const auto& spec = *session_.spec();
    const engine::WorkingMemory& wm = session_.forward().memory();
    bool found = name.empty();
    for (engine::RelationId id = 0; id < wm.relation_count(); ++id) {
      if (spec.relations[id].auxiliary) continue;
      if (!name.empty() && spec.relations[id].name != name) continue;
      found = true;
      const engine::Relation& rel = wm.at(id);
      rel.ForEach([&](engine::FactId f) {
        std::cout << session_.forward().FormatFact({id, f});
        if (spec.semantics != engine::Semantics::kBoolean && rel.certainty(f) != 1.0) {
          std::cout << " cf " << std::setprecision(4) << rel.certainty(f);
        }
        std::cout << ".";
        if (rel.origin(f) != engine::Origin::kAsserted) std::cout << "   % " << engine::OriginName(rel.origin(f));
        std::cout << "\n";
      });
    }
    if (!found) Fail("unknown relation '" + name + "'");
  }

  void Rules() {
    for (const auto& r : session_.spec()->rules) {
      if (r.auxiliary) continue;
      std::cout << std::left << std::setw(28) << r.name << " "
                << (r.kind == engine::RuleKind::kLogical ? "logical   " : "production") << " " << r.location;
      if (r.kind == engine::RuleKind::kLogical && session_.spec()->semantics != engine::Semantics::kBoolean) {
        std::cout << "  cf " << r.certainty;
      }
      if (r.salience != 0) std::cout << "  salience " << r.salience;
      std::cout << "\n";
    }
  }

  void Agenda() {
    engine::ForwardSession& f = session_.forward();
    f.Settle();
    const engine::Agenda& agenda = f.agenda();
    if (agenda.empty()) {
      std::cout << "The agenda is empty.\n";
      return;
    }
    for (engine::ActivationId id : agenda.Ordered()) {
      const engine::Activation& a = agenda.at(id);
      std::cout << std::setw(4) << a.salience << "  " << f.program().rules[a.rule].name << ":";
      auto facts = f.ActivationFacts(id);
      for (std::size_t i = 0; i < facts.size(); ++i) std::cout << (i ? ", " : " ") << f.FormatFact(facts[i]);
      std::cout << "\n";
    }
  }

  void Watch(const std::string& args) {
    std::set<std::string> what = session_.watch().what();
    std::istringstream in(args);
    std::string item;
    bool any = false;
    while (in >> item) {
      any = true;
      if (item == "all") {
        what = {"facts", "rules", "activations"};
      } else if (item == "none") {
        what.clear();
      } else if (item == "facts" || item == "rules" || item == "activations") {
        what.insert(item);
      } else {
        Fail("usage: :watch [facts] [rules] [activations] [all] [none]");
        return;
      }
    }
    if (any) session_.watch().set_what(what);
    std::string list;
    for (const auto& w : what) list += (list.empty() ? "" : " ") + w;
    std::cout << "% watching: " << (list.empty() ? "nothing" : list) << "\n";
  }

  void Save() {
    kb::KnowledgeBase* base = session_.kb();
    if (base == nullptr) {
      Fail("no knowledge base: start the REPL with --db FILE");
      return;
    }
    session_.forward().Settle();
    kb::SaveOptions save;
    for (const auto& r : session_.spec()->relations) {
      if (!r.auxiliary) save.relations.push_back(r.name);
    }
    Status s = base->SaveFrom(session_.forward().memory(), save);
    if (!s.ok()) {
      Fail("cannot save to " + base->path() + ": " + s.message());
      return;
    }
    std::cout << "% saved " << session_.forward().live_facts() << " facts to " << base->path() << "\n";
  }

  void Kb() {
    kb::KnowledgeBase* base = session_.kb();
    if (base == nullptr) {
      std::cout << "No knowledge base is open (start the REPL with --db FILE).\n";
      return;
    }
    auto relations = base->Relations();
    if (!relations.ok()) {
      Fail(relations.status().message());
      return;
    }
    std::cout << base->path() << ": " << relations->size() << " relations\n";
    for (const auto& r : *relations) std::cout << "  " << std::left << std::setw(40) << r.signature << " " << r.fact_count << " facts\n";
  }

  std::vector<std::string> Complete(std::string_view line, std::string_view word) {
    std::vector<std::string> out;
    if (!word.empty() && word[0] == ':') {
      if (line.find_first_not_of(" \t") == line.size() - word.size()) {
        for (const auto& c : Commands()) out.emplace_back(c.name);
      }
      return out;
    }
    for (auto& w : session_.CompletionWords()) out.push_back(std::move(w));
    return out;
  }

  ReplOptions options_;
  Session session_;
  engine::StreamAsker asker_;
  std::unique_ptr<LineEditor> editor_;
  int failures_ = 0;
};

}  // namespace

const std::vector<CommandHelp>& Commands() {
  static const std::vector<CommandHelp> kCommands = {
      {":load", "FILE", "load a rule pack (.syl or .lua) into the session"},
      {":run", "[N]", "run forward chaining (at most N production-rule firings)"},
      {":facts", "[REL]", "list the facts in working memory (of one relation)"},
      {":rules", "", "list the rules with where they are written"},
      {":agenda", "", "list the activations waiting to fire, in firing order"},
      {":watch", "[WHAT]", "trace facts, rules, activations, all or none during :run"},
      {":why", "", "why the last question was asked"},
      {":how", "GOAL", "how a goal was concluded: its proof tree"},
      {":whynot", "GOAL", "why a goal was not concluded: the condition that failed"},
      {":consult", "GOAL", "a guided consultation: ask what is needed, conclude with certainties"},
      {":reset", "", "forget this session's facts and replies; reload the packs"},
      {":save", "", "write working memory to the knowledge base"},
      {":kb", "", "show the knowledge base's relations and fact counts"},
      {":help", "", "list the commands"},
      {":quit", "", "leave the REPL (also Ctrl-D)"},
  };
  return kCommands;
}

int RunRepl(const ReplOptions& options) {
  Repl repl(options);
  return repl.Run();
}

}  // namespace syllo::repl

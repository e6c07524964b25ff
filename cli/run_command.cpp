// `syllo run FILE...`: forward chaining. Asserts the program's facts, runs the
// rules until the agenda is empty, a halt, or a limit; prints what the rules print.
#include <chrono>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>

#include "cli/command.h"
#include "learners/model_predicates.h"
#include "cli/program_loading.h"
#include "engine/forward_session.h"
#include "engine/rete_network.h"
#include "engine/watch_printer.h"
#include "kb/knowledge_base.h"
#include "kb/program_facts.h"

namespace syllo::cli {

namespace {

struct RunOptions {
  std::vector<std::string> files;
  std::string strategy;
  std::uint64_t max_firings = 0;
  double timeout = 0;
  std::size_t max_facts = 0;
  std::vector<std::string> watch;
  std::vector<std::string> show;
  bool stats = false;
  std::string db;
  bool save = false;
  bool justifications = true;
  scripting::PackOptions packs;
};

// Asserts the facts a knowledge base holds for the program's relations (see
// kb::ForEachProgramFact for what is left out).
Status LoadFromKb(kb::KnowledgeBase& base, engine::ForwardSession& session) {
  return kb::ForEachProgramFact(base, session.program(),
                                [&](engine::RelationId r, std::span<const engine::Value> row, double cf,
                                    engine::Origin origin) -> Status {
                                  auto added = session.Assert(r, std::vector<engine::Value>(row.begin(), row.end()),
                                                              cf, origin);
                                  return added.ok() ? Status() : added.status();
                                });
}

// Every way each derived fact of a user relation was concluded.
std::vector<kb::JustificationRow> JustificationRows(const engine::ForwardSession& session) {
  std::vector<kb::JustificationRow> rows;
  const engine::ProgramSpec& spec = session.program();
  for (engine::RelationId id = 0; id < spec.relations.size(); ++id) {
    if (spec.relations[id].auxiliary) continue;
    const engine::Relation& rel = session.memory().at(id);
    rel.ForEach([&](engine::FactId f) {
      if (rel.origin(f) != engine::Origin::kDerived) return;
      const std::string fact = session.FormatFact({id, f});
      for (const engine::Justification& j : session.Justifications({id, f})) {
        kb::JustificationRow row;
        row.relation = rel.name();
        row.fact = fact;
        row.rule = spec.rules[j.rule].name;
        row.location = spec.rules[j.rule].location;
        row.certainty = j.certainty;
        for (engine::FactRef p : j.facts) row.premises.push_back(session.FormatFact(p));
        rows.push_back(std::move(row));
      }
    });
  }
  return rows;
}

int RunProgram(const RunOptions& options, const CommandContext& ctx) {
  int exit_code = kExitOk;
  auto compiled = LoadAndCompile(options.files, ctx, &exit_code, options.packs);
  if (!compiled) return exit_code;
  if (!options.strategy.empty() && !engine::ParseStrategy(options.strategy, &compiled->spec->strategy)) {
    std::cerr << "syllo run: unknown strategy '" << options.strategy
              << "' (depth, breadth, lex, mea, simplicity, complexity, random)\n";
    return kExitUsage;
  }
  std::set<std::string> watch(options.watch.begin(), options.watch.end());
  for (const auto& w : watch) {
    if (w != "facts" && w != "rules" && w != "activations" && w != "all") {
      std::cerr << "syllo run: unknown --watch item '" << w << "' (facts, rules, activations, all)\n";
      return kExitUsage;
    }
  }
  if (watch.count("all")) watch = {"facts", "rules", "activations"};

  // The facts written in the files are in the compiled program now; their
  // syntax trees (hundreds of bytes a fact) go before the run needs memory.
  ReleaseFactSyntax(*compiled);

  auto start = std::chrono::steady_clock::now();
  auto network = engine::ReteNetwork::Compile(compiled->spec);
  engine::ForwardSession session(network);
  session.set_output(&std::cout);
  session.set_host(compiled->host.get());
  engine::WatchPrinter printer(session, std::cout, watch);
  if (!watch.empty()) session.set_observer(&printer);
  if (Status s = session.AssertProgramFacts(); !s.ok()) {
    std::cerr << "syllo run: " << s.message() << "\n";
    return kExitInputError;
  }
  std::unique_ptr<kb::KnowledgeBase> base;
  if (!options.db.empty()) {
    auto opened = kb::KnowledgeBase::Open(options.db, options.save ? kb::OpenMode::kCreate : kb::OpenMode::kReadOnly);
    if (!opened.ok()) {
      std::cerr << "syllo run: " << opened.status().message() << "\n";
      return kExitIoError;
    }
    base = std::move(opened).value();
    if (Status s = LoadFromKb(*base, session); !s.ok()) {
      std::cerr << "syllo run: " << s.message() << "\n";
      return s.code() == StatusCode::kIoError ? kExitIoError : kExitInputError;
    }
  } else if (options.save) {
    std::cerr << "syllo run: --save needs --db KB\n";
    return kExitUsage;
  }
  // Neural predicates read their models from the KB's registry; the learners
  // module is loaded only if a rule asks a model.
  learners::ModelPredicates models(base.get());
  session.set_neural(&models);
  engine::RunLimits limits{options.max_firings, options.timeout, options.max_facts};
  engine::RunResult result = session.Run(limits);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  for (const auto& name : options.show) {
    auto id = compiled->spec->FindRelation(name);
    if (!id) {
      std::cerr << "syllo run: --show: unknown relation '" << name << "'\n";
      return kExitUsage;
    }
    const auto& rel = session.memory().at(*id);
    rel.ForEach([&](engine::FactId f) {
      std::cout << session.FormatFact({*id, f});
      if (rel.certainty(f) != 1.0) std::cout << " cf " << std::setprecision(4) << rel.certainty(f);
      std::cout << ".\n";
    });
  }
  if (options.stats) {
    std::cerr << "stats: firings=" << result.firings << " derivations=" << result.derivations
              << " facts=" << session.live_facts() << " model_batches=" << session.model_batches()
              << " model_inputs=" << session.model_inputs() << " seconds=" << std::fixed << std::setprecision(3) << seconds
              << " stop=\"" << engine::StopReasonName(result.reason) << "\"\n";
  }
  if (options.save) {
    // Auxiliary relations are the compiler's, not the user's: leave them out.
    kb::SaveOptions save;
    for (const auto& r : compiled->spec->relations) {
      if (!r.auxiliary) save.relations.push_back(r.name);
    }
    Status s = base->InTransaction([&]() -> Status {
      if (Status saved = base->SaveFrom(session.memory(), save); !saved.ok()) return saved;
      if (!options.justifications) return Status::Ok();
      return base->SaveJustifications(JustificationRows(session));
    });
    if (!s.ok()) {
      std::cerr << "syllo run: cannot save to " << options.db << ": " << s.message() << "\n";
      return s.code() == StatusCode::kIoError ? kExitIoError : kExitInputError;
    }
  }
  switch (result.reason) {
    case engine::StopReason::kAgendaEmpty:
    case engine::StopReason::kHalted:
      return kExitOk;
    case engine::StopReason::kError:
      std::cerr << "syllo run: error: " << result.message << "\n";
      return kExitInputError;
    default:
      std::cerr << "syllo run: " << result.message << " after " << result.firings << " firings\n";
      return kExitOk;
  }
}

}  // namespace

void AddRunCommand(CLI::App& app, CommandContext& ctx) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run a program forward: assert its facts, fire its rules");
  cmd->add_option("files", options->files, "Rule files (.syl) and Lua packs (.lua)")->required();
  AddPackOptions(*cmd, options->packs);
  cmd->add_option("--strategy", options->strategy,
                  "Conflict resolution: depth, breadth, lex, mea, simplicity, complexity, random");
  cmd->add_option("--max-firings", options->max_firings, "Stop after N production-rule firings");
  cmd->add_option("--timeout", options->timeout, "Stop after S seconds");
  cmd->add_option("--max-facts", options->max_facts, "Stop when working memory holds more than N facts");
  cmd->add_option("--watch", options->watch, "Trace facts, rules, activations (or all), like CLIPS's watch")
      ->delimiter(',');
  cmd->add_option("--show", options->show, "Print the facts of these relations at the end")->delimiter(',');
  cmd->add_flag("--stats", options->stats, "Print firings, derivations, facts and time to stderr");
  cmd->add_option("--db", options->db, "Knowledge base: its facts for the program's relations are asserted first");
  cmd->add_flag("--save", options->save,
                "Write the facts back to --db, derived ones with origin 'derived' and their justifications");
  cmd->add_flag("!--no-justifications", options->justifications,
                "With --save: leave out the justifications (the rule and matched facts of each derivation)");
  cmd->footer("Exit status: 0 the run ended (agenda empty, halt, or a limit: said on stderr), 1 program errors.");
  cmd->callback([options, &ctx] { ctx.exit_code = RunProgram(*options, ctx); });
}

}  // namespace syllo::cli

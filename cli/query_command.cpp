// `syllo query FILE... GOAL`: backward chaining. Loads the program (and a
// knowledge base), then prints the goal's answers one per line as they come.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli/command.h"
#include "learners/model_predicates.h"
#include "cli/program_loading.h"
#include "engine/explain.h"
#include "engine/solver.h"
#include "engine/stream_asker.h"
#include "kb/program_facts.h"
#include "kb/pushdown_relation.h"
#include "rules/query_compiler.h"

namespace syllo::cli {

namespace {

struct QueryOptions {
  std::vector<std::string> files;
  std::string goal;
  std::string db;
  bool count = false;
  bool tsv = false;
  bool stats = false;
  std::uint64_t limit = 0;
  std::int64_t pushdown_over = 100000;
  scripting::PackOptions packs;
};

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string AnswerLine(const rules::CompiledQuery& q, const engine::Answer& a, bool tsv) {
  if (!tsv) return engine::FormatAnswer(*q.spec, q.variables, a);
  std::string line;
  for (std::size_t i = 0; i < a.row.size(); ++i) {
    if (i) line += '\t';
    line += a.row[i].ToString();
  }
  return line;
}

int RunQuery(const QueryOptions& options, const CommandContext& ctx) {
  const auto start = Clock::now();
  int exit_code = kExitOk;
  auto program = LoadAndCompile(options.files, ctx, &exit_code, options.packs);
  if (program == nullptr) return exit_code;
  rules::Diagnostics diags;
  auto query = rules::CompileQuery(program->loaded, options.goal, diags, "<goal>");
  std::cerr << rules::RenderAll(program->loaded.sources, diags, ctx.color);
  if (query == nullptr) return kExitInputError;

  engine::WorkingMemory memory;
  if (Status s = engine::LoadProgram(*query->spec, memory); !s.ok()) {
    std::cerr << "syllo: " << s.message() << "\n";
    return kExitInputError;
  }
  std::unique_ptr<kb::KnowledgeBase> base;
  std::vector<std::string> pushdown;  // relations left in SQLite
  if (!options.db.empty()) {
    auto opened = kb::KnowledgeBase::Open(options.db, kb::OpenMode::kReadWrite);
    if (!opened.ok()) {
      std::cerr << "syllo: " << opened.status().message() << "\n";
      return kExitIoError;
    }
    base = std::move(opened).value();
    auto large = kb::LargeRelations(*base, *query->spec, options.pushdown_over);
    if (!large.ok()) {
      std::cerr << "syllo: " << large.status().message() << "\n";
      return kExitIoError;
    }
    pushdown = *large;
    Status s = kb::ForEachProgramFact(*base, *query->spec,
                                      [&](engine::RelationId r, std::span<const engine::Value> row, double cf,
                                          engine::Origin origin) -> Status {
                                        auto added = memory.Assert(memory.at(r).name(),
                                                                   std::vector<engine::Value>(row.begin(), row.end()),
                                                                   cf, origin);
                                        return added.ok() ? Status() : added.status();
                                      },
                                      pushdown);
    if (!s.ok()) {
      std::cerr << "syllo: " << s.message() << "\n";
      return s.code() == StatusCode::kAlreadyExists ? kExitInputError : kExitIoError;
    }
  }

  // Questions are asked on standard output and answered on standard input.
  engine::StreamAsker asker(std::cout, [](std::string* line) { return static_cast<bool>(std::getline(std::cin, *line)); },
                            isatty(STDIN_FILENO) == 0);
  engine::SolverOptions solver_options;
  solver_options.asker = &asker;
  solver_options.host = program->host.get();
  learners::ModelPredicates models(base.get());
  solver_options.neural = &models;
  std::vector<std::unique_ptr<kb::PushdownRelation>> external;
  solver_options.external.resize(query->spec->relations.size(), nullptr);
  for (const std::string& name : pushdown) {
    engine::RelationId id = *query->spec->FindRelation(name);
    auto rel = kb::PushdownRelation::Open(*base, name, query->spec->relations[id].columns);
    if (!rel.ok()) {
      std::cerr << "syllo: " << rel.status().message() << "\n";
      return kExitIoError;
    }
    external.push_back(std::move(rel).value());
    solver_options.external[id] = external.back().get();
  }
  engine::Solver solver(query->spec, memory, solver_options);
  const double load_ms = MillisSince(start);

  const auto solve_start = Clock::now();
  double first_ms = -1;
  std::uint64_t answers = 0;
  std::vector<engine::Value> call(query->variables.size());
  Status s = solver.Open(query->relation, call);
  std::string out;
  while (s.ok() && (options.limit == 0 || answers < options.limit)) {
    engine::Answer a;
    auto more = solver.Next(&a);
    if (!more.ok()) {
      s = more.status();
      break;
    }
    if (!*more) break;
    if (answers++ == 0) first_ms = MillisSince(solve_start);
    if (!options.count) {
      out += AnswerLine(*query, a, options.tsv);
      out += '\n';
      if (out.size() > (1 << 16)) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
      }
    }
  }
  const double total_ms = MillisSince(solve_start);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (!s.ok()) {
    std::cerr << "syllo: " << s.message() << "\n";
    return s.code() == StatusCode::kCancelled ? kExitInputError : kExitIoError;
  }
  if (options.count) {
    std::cout << answers << "\n";
  } else if (answers == 0 && !options.tsv) {
    std::cout << "false\n";
  }
  if (options.stats) {
    auto st = solver.stats();
    std::fprintf(stderr,
                 "stats: load_ms=%.3f first_answer_ms=%.3f total_ms=%.3f answers=%llu tables=%llu model_inputs=%llu "
                 "model_passes=%llu\n",
                 load_ms, first_ms < 0 ? total_ms : first_ms, total_ms, static_cast<unsigned long long>(answers),
                 static_cast<unsigned long long>(st.tables), static_cast<unsigned long long>(models.stats().calls),
                 static_cast<unsigned long long>(models.stats().forward_passes));
  }
  return kExitOk;
}

}  // namespace

void AddQueryCommand(CLI::App& app, CommandContext& ctx) {
  auto options = std::make_shared<QueryOptions>();
  CLI::App* cmd = app.add_subcommand("query", "Answer a goal by backward chaining (tabled, lazy)");
  cmd->add_option("files", options->files, "Rule files (.syl) and Lua packs (.lua), then the goal (unless --goal gives it)")
      ->required();
  AddPackOptions(*cmd, options->packs);
  cmd->add_option("--goal,-g", options->goal, "The goal, e.g. 'path(n1, X)' (a leading ?- and final . are optional)");
  cmd->add_option("--db", options->db, "A knowledge base whose facts join the program's")->check(CLI::ExistingFile);
  cmd->add_flag("--count", options->count, "Print only the number of answers");
  cmd->add_flag("--tsv", options->tsv, "Print each answer's values separated by tabs");
  cmd->add_option("--limit", options->limit, "Stop after N answers (0: all)");
  cmd->add_flag("--stats", options->stats, "Print timings and table counts to stderr");
  cmd->add_option("--pushdown-over", options->pushdown_over,
                  "KB relations with more facts than this stay in SQLite; lookups go there (default 100000)");
  cmd->footer("Example: syllo query graph.syl 'path(a, X)'\nQuestions declared with `ask` are asked on standard input.");
  cmd->callback([options, &ctx] {
    if (options->goal.empty()) {
      if (options->files.size() < 2) throw CLI::ValidationError("GOAL", "give the goal after the files, or with --goal");
      options->goal = options->files.back();
      options->files.pop_back();
    }
    for (const auto& f : options->files) {
      if (std::string err = CLI::ExistingFile(f); !err.empty()) throw CLI::ValidationError("files", err);
    }
    ctx.exit_code = RunQuery(*options, ctx);
  });
}

}  // namespace syllo::cli

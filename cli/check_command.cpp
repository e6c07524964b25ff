// `syllo check FILE...`: parse and check rule files, print every diagnostic.
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "rules/checker.h"
#include "rules/loader.h"
#include "rules/printer.h"

namespace syllo::cli {

namespace {

struct CheckOptions {
  std::vector<std::string> files;
  bool print = false;
  bool werror = false;
};

std::string Plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

int RunCheck(const CheckOptions& options, const CommandContext& ctx) {
  rules::LoadedProgram loaded;
  rules::LoadFiles(options.files, loaded);
  rules::Check(loaded.sources, loaded.program, loaded.diagnostics);
  loaded.diagnostics.Sort();

  std::cerr << rules::RenderAll(loaded.sources, loaded.diagnostics, ctx.color);
  bool failed = loaded.diagnostics.has_errors() || (options.werror && loaded.diagnostics.warning_count() > 0);
  if (failed) return kExitInputError;

  const rules::Program& p = loaded.program;
  if (options.print) {
    std::cout << rules::Print(p);
  } else {
    std::cout << "ok: " << Plural(loaded.sources.size(), "file", "files") << ", "
              << Plural(p.relations.size() + p.neurals.size(), "relation", "relations") << ", "
              << Plural(p.facts.size(), "fact", "facts") << ", " << Plural(p.rules.size(), "rule", "rules") << ", "
              << Plural(p.productions.size(), "production rule", "production rules") << ", "
              << Plural(p.asks.size(), "question", "questions") << ", "
              << Plural(p.models.size(), "model", "models") << ", " << Plural(p.queries.size(), "query", "queries")
              << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddCheckCommand(CLI::App& app, CommandContext& ctx) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand("check", "Parse and check rule files; print every diagnostic");
  cmd->add_option("files", options->files, "Rule files (.syl); imports are followed")->required();
  cmd->add_flag("--print", options->print, "Print the checked program back in canonical form");
  cmd->add_flag("--werror", options->werror, "Treat warnings as errors");
  cmd->footer("Exit status: 0 no errors, 1 errors found, 2 usage error.");
  cmd->callback([options, &ctx] { ctx.exit_code = RunCheck(*options, ctx); });
}

}  // namespace syllo::cli

// `syllo check FILE...`: parse and check rule files, print every diagnostic.
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/program_loading.h"
#include "rules/checker.h"
#include "rules/loader.h"
#include "rules/printer.h"
#include "scripting/program_files.h"

namespace syllo::cli {

namespace {

struct CheckOptions {
  std::vector<std::string> files;
  bool print = false;
  bool werror = false;
  scripting::PackOptions packs;
};

std::string Plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

int RunCheck(const CheckOptions& options, const CommandContext& ctx) {
  rules::LoadedProgram loaded;
  std::unique_ptr<scripting::PackHost> host;  // runs the Lua packs, so they declare what they declare
  scripting::PackOptions packs = options.packs;
  packs.out = &std::cerr;  // what a pack prints while it loads is not the check's output
  scripting::LoadProgramFiles(options.files, packs, loaded, &host);
  rules::Check(loaded.sources, loaded.program, loaded.diagnostics);
  loaded.diagnostics.Sort();

  std::cerr << rules::RenderAll(loaded.sources, loaded.diagnostics, ctx.color);
  bool failed = loaded.diagnostics.has_errors() || (options.werror && loaded.diagnostics.warning_count() > 0);
  if (failed) return kExitInputError;

  const rules::Program& p = loaded.program;
  if (options.print) {
    std::cout << rules::Print(p);
  } else {
    std::size_t files = 0;  // read from disk; a Lua pack's rule strings count with their pack
    for (std::size_t i = 0; i < loaded.sources.size(); ++i) files += loaded.sources.file(i).mapped ? 0 : 1;
    std::cout << "ok: " << Plural(files, "file", "files") << ", "
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
  cmd->add_option("files", options->files, "Rule files (.syl; imports are followed) and Lua packs (.lua)")->required();
  AddPackOptions(*cmd, options->packs);
  cmd->add_flag("--print", options->print, "Print the checked program back in canonical form");
  cmd->add_flag("--werror", options->werror, "Treat warnings as errors");
  cmd->footer("Exit status: 0 no errors, 1 errors found, 2 usage error.");
  cmd->callback([options, &ctx] { ctx.exit_code = RunCheck(*options, ctx); });
}

}  // namespace syllo::cli

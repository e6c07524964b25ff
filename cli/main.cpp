// syllo: the one executable. Each subcommand lives in its own file and registers
// itself on the root app (cli/command.h).
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string_view>

#include "cli/command.h"

namespace {

bool ColorWanted() {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  return isatty(STDERR_FILENO) == 1;
}

// The commands, by the names they register (serve also registers decisions).
struct Command {
  std::string_view name, also;
  void (*add)(CLI::App&, syllo::cli::CommandContext&);
};
constexpr Command kCommands[] = {
    {"check", "", syllo::cli::AddCheckCommand},   {"kb", "", syllo::cli::AddKbCommand},
    {"run", "", syllo::cli::AddRunCommand},       {"query", "", syllo::cli::AddQueryCommand},
    {"repl", "", syllo::cli::AddReplCommand},     {"serve", "decisions", syllo::cli::AddServeCommand},
    {"train", "", syllo::cli::AddTrainCommand},   {"models", "", syllo::cli::AddModelsCommand},
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Syllo: an expert-system inference engine with learned models as predicates.\n"
      "Rules in .syl files, facts in a SQLite knowledge base."};
  app.name("syllo");
  app.set_version_flag("--version", "syllo 0.1.0");
  app.require_subcommand(1);
  app.fallthrough(false);
  app.footer(
      "Exit status: 0 success, 1 the input has errors, 2 usage error, 3 I/O or internal error.\n"
      "Run 'syllo COMMAND --help' for the options of a command.");

  syllo::cli::CommandContext ctx;
  ctx.color = ColorWanted();
  // When the first argument names a command, only that one is built:
  // building every command's options was a third of a bare start's
  // instructions, paid by every short `syllo run`. `syllo --help`,
  // `--version` and a mistyped command see them all.
  const Command* named = nullptr;
  for (const Command& c : kCommands) {
    if (argc > 1 && (argv[1] == c.name || (!c.also.empty() && argv[1] == c.also))) named = &c;
  }
  if (named != nullptr) {
    named->add(app, ctx);
  } else {
    for (const Command& c : kCommands) c.add(app, ctx);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help/version (code 0) or the usage error
    return code == 0 ? syllo::cli::kExitOk : syllo::cli::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "syllo: internal error: " << e.what() << "\n";
    return syllo::cli::kExitIoError;
  }
  return ctx.exit_code;
}

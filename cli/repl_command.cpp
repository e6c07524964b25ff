// `syllo repl [PACK...] [--db KB]`: the interactive REPL (repl/repl.h).
#include <unistd.h>

#include <cstdlib>

#include "cli/command.h"
#include "cli/program_loading.h"
#include "repl/line_editor.h"
#include "repl/repl.h"

namespace syllo::cli {

namespace {

std::string HistoryFile() {
  if (const char* h = std::getenv("SYLLO_HISTORY"); h != nullptr && h[0] != '\0') return h;
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') {
    return std::string(home) + "/.syllo_history";
  }
  return "";
}

}  // namespace

void AddReplCommand(CLI::App& app, CommandContext& ctx) {
  auto options = std::make_shared<repl::ReplOptions>();
  CLI::App* cmd = app.add_subcommand("repl", "Interactive consultations: queries, questions, why/how/whynot");
  cmd->add_option("packs", options->packs, "Rule packs (.syl or .lua) to load")->check(CLI::ExistingFile);
  AddPackOptions(*cmd, options->lua);
  cmd->add_option("--db", options->db, "A knowledge base (created if missing): its facts join the session, "
                                       "replies to questions are stored in it");
  cmd->footer("Reads commands from standard input when it is not a terminal. History: $SYLLO_HISTORY or "
              "~/.syllo_history.");
  cmd->callback([options, &ctx] {
    options->interactive = repl::LineEditor::StdinIsTerminal();
    const char* no_color = std::getenv("NO_COLOR");
    options->color = options->interactive && (no_color == nullptr || no_color[0] == '\0');
    options->history_file = HistoryFile();
    ctx.exit_code = repl::RunRepl(*options);
  });
}

}  // namespace syllo::cli

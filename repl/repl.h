// The REPL: `syllo repl [PACK...] [--db KB]`. Reads units from the line editor
// (queries `?- goal.`, facts to assert `p(a).`, `retract p(a).`, and `:commands`)
// and answers them: answers one at a time at a terminal (`;` for the next, Enter
// to stop), all of them, plainly, when the input is a script.
#pragma once

#include <string>
#include <vector>

#include "scripting/lua_pack.h"

namespace syllo::repl {

struct ReplOptions {
  std::vector<std::string> packs;
  scripting::PackOptions lua;  // the sandbox and budgets of Lua packs
  std::string db;
  std::string history_file;  // interactive only
  bool interactive = false;  // stdin and stdout are a terminal
  bool color = false;        // interactive, and NO_COLOR is not set
};

// Runs until :quit or the end of input. Returns the process exit status: 0, or
// 1 if the packs could not be loaded, or (non-interactive) if any input unit
// had an error, so scripts can tell.
int RunRepl(const ReplOptions& options);

// The commands, with their one-line descriptions, in the order :help lists them.
struct CommandHelp {
  const char* name;
  const char* args;
  const char* description;
};
const std::vector<CommandHelp>& Commands();

}  // namespace syllo::repl

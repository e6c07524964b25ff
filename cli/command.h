// How a `syllo` subcommand plugs into the CLI: each command file registers its
// CLI11 subcommand on the root app and sets ctx.exit_code from its callback.
//
// Exit statuses (documented in the README):
//   0  success
//   1  the input has errors (diagnostics, malformed data, a schema conflict)
//   2  usage error (bad command line)
//   3  I/O or internal error (unreadable file, SQLite failure)
#pragma once

#include <CLI/CLI.hpp>

namespace syllo::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInputError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitIoError = 3;

struct CommandContext {
  int exit_code = kExitOk;
  bool color = false;  // stderr is a terminal and NO_COLOR is not set
};

void AddCheckCommand(CLI::App& app, CommandContext& ctx);
void AddKbCommand(CLI::App& app, CommandContext& ctx);
void AddRunCommand(CLI::App& app, CommandContext& ctx);
void AddQueryCommand(CLI::App& app, CommandContext& ctx);
void AddReplCommand(CLI::App& app, CommandContext& ctx);
void AddServeCommand(CLI::App& app, CommandContext& ctx);
void AddTrainCommand(CLI::App& app, CommandContext& ctx);
void AddModelsCommand(CLI::App& app, CommandContext& ctx);

}  // namespace syllo::cli

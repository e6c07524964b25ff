// Reads, checks and compiles rule files and Lua packs for the commands that
// run programs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "engine/program.h"
#include "rules/loader.h"
#include "scripting/lua_pack.h"

namespace syllo::cli {

struct CompiledProgram {
  rules::LoadedProgram loaded;
  std::shared_ptr<engine::ProgramSpec> spec;
  std::unique_ptr<scripting::PackHost> host;  // the Lua packs' functions; null without packs
};

// Prints diagnostics to stderr. Returns null (and sets *exit_code) when the
// program has errors or cannot be compiled.
std::unique_ptr<CompiledProgram> LoadAndCompile(const std::vector<std::string>& files, const CommandContext& ctx,
                                                int* exit_code, const scripting::PackOptions& pack_options = {});

// Frees the syntax trees of the program's facts (lowered into `spec`) and
// hands the freed pages back to the system, so a large fact file does not
// weigh on the peak memory of the run that follows. Diagnostics for facts
// cannot be rendered afterwards.
void ReleaseFactSyntax(CompiledProgram& program);

// The Lua options every command that loads packs shares: --trust and the budgets.
void AddPackOptions(CLI::App& command, scripting::PackOptions& options);

}  // namespace syllo::cli

// Reads, checks and compiles rule files for the commands that run programs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "engine/program.h"
#include "rules/loader.h"

namespace syllo::cli {

struct CompiledProgram {
  rules::LoadedProgram loaded;
  std::shared_ptr<engine::ProgramSpec> spec;
};

// Prints diagnostics to stderr. Returns null (and sets *exit_code) when the
// program has errors or cannot be compiled.
std::unique_ptr<CompiledProgram> LoadAndCompile(const std::vector<std::string>& files, const CommandContext& ctx,
                                                int* exit_code);

}  // namespace syllo::cli

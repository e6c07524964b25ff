#include "cli/program_loading.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <iostream>

#include "rules/checker.h"
#include "rules/lower.h"
#include "scripting/program_files.h"

namespace syllo::cli {

std::unique_ptr<CompiledProgram> LoadAndCompile(const std::vector<std::string>& files, const CommandContext& ctx,
                                                int* exit_code, const scripting::PackOptions& pack_options) {
  auto out = std::make_unique<CompiledProgram>();
  scripting::PackOptions options = pack_options;
  if (options.out == nullptr) options.out = &std::cout;
  scripting::LoadProgramFiles(files, options, out->loaded, &out->host);
  rules::Check(out->loaded.sources, out->loaded.program, out->loaded.diagnostics);
  out->loaded.diagnostics.Sort();
  std::cerr << rules::RenderAll(out->loaded.sources, out->loaded.diagnostics, ctx.color);
  if (out->loaded.diagnostics.has_errors()) {
    *exit_code = kExitInputError;
    return nullptr;
  }
  auto spec = rules::Lower(out->loaded.sources, out->loaded.program);
  if (!spec.ok()) {
    std::cerr << "syllo: " << spec.status().message() << "\n";
    *exit_code = kExitIoError;
    return nullptr;
  }
  out->spec = std::move(spec).value();
  if (out->host != nullptr) {
    if (Status st = out->host->Bind(*out->spec); !st.ok()) {
      std::cerr << "syllo: " << st.message() << "\n";
      *exit_code = kExitInputError;
      return nullptr;
    }
  }
  return out;
}

void AddPackOptions(CLI::App& command, scripting::PackOptions& options) {
  command.add_flag("--trust", options.trusted,
                   "run Lua packs without the sandbox (only for packs you trust: they get io, os and the rest)");
  command.add_option("--lua-instructions", options.budget.instructions,
                     "Lua instructions one call into a pack may run (0: no limit)")
      ->capture_default_str();
  command.add_option("--lua-seconds", options.budget.seconds, "seconds one call into a pack may run (0: no limit)")
      ->capture_default_str();
  command.add_option("--lua-memory-mib", options.budget.memory_bytes, "MiB a pack's Lua state may use (0: no limit)")
      ->transform([](std::string s) { return std::to_string(std::stoull(s) << 20); });
}

void ReleaseFactSyntax(CompiledProgram& program) {
  std::vector<rules::FactDecl>().swap(program.loaded.program.facts);
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace syllo::cli

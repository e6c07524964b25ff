#include "cli/program_loading.h"

#include <iostream>

#include "rules/checker.h"
#include "rules/lower.h"

namespace syllo::cli {

std::unique_ptr<CompiledProgram> LoadAndCompile(const std::vector<std::string>& files, const CommandContext& ctx,
                                                int* exit_code) {
  auto out = std::make_unique<CompiledProgram>();
  rules::LoadFiles(files, out->loaded);
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
  return out;
}

}  // namespace syllo::cli

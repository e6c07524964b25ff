#include "rules/check_report.h"

#include "rules/checker.h"
#include "rules/printer.h"

namespace syllo::rules {

void CheckLoaded(LoadedProgram& loaded) {
  Check(loaded.sources, loaded.program, loaded.diagnostics);
  loaded.diagnostics.Sort();
}

std::string CheckReport(const LoadedProgram& loaded, bool print_program) {
  std::string out = RenderAll(loaded.sources, loaded.diagnostics);
  if (print_program && !loaded.diagnostics.has_errors()) out += "---\n" + Print(loaded.program);
  return out;
}

}  // namespace syllo::rules

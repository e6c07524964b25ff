// CheckReport: the text `syllo check --print` shows for a loaded program, and
// what the golden tests compare: every diagnostic rendered (with the closing
// count line), then, when there is no error and `print_program` is set, a
// "---" line and the program in canonical form.
//
// Thread safety: reentrant.
#pragma once

#include <string>

#include "rules/loader.h"

namespace syllo::rules {

// Runs the checker on a loaded program (whatever parsed, even with syntax
// errors) and sorts its diagnostics into the order they are shown.
void CheckLoaded(LoadedProgram& loaded);

// REQUIRES: CheckLoaded(loaded) ran (diagnostics checked and sorted).
std::string CheckReport(const LoadedProgram& loaded, bool print_program);

}  // namespace syllo::rules

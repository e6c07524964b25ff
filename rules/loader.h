// Loader: reads .syl files and everything they import into one Program.
//
// An import path is relative to the importing file. Each file is read once,
// however many files import it; an import cycle, an unreadable file or a file
// that is not valid text is a diagnostic at the import statement.
//
// Thread safety: reentrant.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "rules/ast.h"
#include "rules/diagnostic.h"
#include "rules/source.h"

namespace syllo::rules {

struct LoadedProgram {
  SourceSet sources;
  Program program;
  Diagnostics diagnostics;
  // Files read so far, by canonical path: a file imported again (by this or
  // a later LoadFiles call) is not read twice.
  std::set<std::string> files;
};

// Reads and parses `paths` (and their imports) into `out`.
void LoadFiles(const std::vector<std::string>& paths, LoadedProgram& out);
// Parses `text` as if it were the file `name` (imports resolve relative to it).
void LoadText(const std::string& name, std::string text, LoadedProgram& out);

}  // namespace syllo::rules

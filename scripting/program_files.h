// Reads a program from its files in the order given: .syl files (with their
// imports) through the rules loader, Lua packs through a PackHost, made when
// the first pack is met. The commands and the REPL load programs this way.
//
// Thread safety: reentrant.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rules/loader.h"
#include "scripting/lua_pack.h"

namespace syllo::scripting {

// Appends the files' declarations to `out`; *host is created on the first Lua
// pack (and left null when there is none).
void LoadProgramFiles(const std::vector<std::string>& paths, const PackOptions& options, rules::LoadedProgram& out,
                      std::unique_ptr<PackHost>* host);

}  // namespace syllo::scripting

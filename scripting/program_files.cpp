#include "scripting/program_files.h"

namespace syllo::scripting {

void LoadProgramFiles(const std::vector<std::string>& paths, const PackOptions& options, rules::LoadedProgram& out,
                      std::unique_ptr<PackHost>* host) {
  for (const std::string& path : paths) {
    if (!IsLuaPack(path)) {
      rules::LoadFiles({path}, out);
      continue;
    }
    if (*host == nullptr) *host = std::make_unique<PackHost>(options);
    (*host)->LoadPack(path, out);
  }
}

}  // namespace syllo::scripting

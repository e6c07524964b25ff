#include "engine/module_search.h"

namespace syllo::engine {

std::vector<std::filesystem::path> ModuleCandidates(std::string_view file, std::string_view install_dir,
                                                    std::string_view build_dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  if (std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec); !ec) {
    out.push_back(exe.parent_path() / ".." / "lib" / "syllo" / file);
  }
  out.push_back(std::filesystem::path(install_dir) / file);
  out.push_back(std::filesystem::path(build_dir) / file);
  return out;
}

}  // namespace syllo::engine

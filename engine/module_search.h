// Where a module of syllo (a library loaded with dlopen on first use: the
// learners, the HTTP server) is looked for, first hit wins:
//   <dir of the executable>/../lib/syllo/FILE   (an installed syllo)
//   INSTALL_DIR/FILE                            (the install prefix, compiled in)
//   BUILD_DIR/FILE                              (the build tree, for tests and `make run`)
// Each loader checks its own environment variable before these.
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

namespace syllo::engine {

std::vector<std::filesystem::path> ModuleCandidates(std::string_view file, std::string_view install_dir,
                                                    std::string_view build_dir);

}  // namespace syllo::engine

// Runs the syllo binary as a user would, capturing its output and exit status.
#pragma once

#include <string>

namespace syllo::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// The path of the binary under test (SYLLO_BINARY, set by ctest).
std::string SylloBinary();
// The repository root (SYLLO_SOURCE_DIR, set by ctest).
std::string SourceDir();
// A fresh directory under the system temp dir, removed by the caller if wanted.
std::string MakeTempDir();
// Runs `syllo ARGS` through /bin/sh with stdin from `input`; ARGS is shell syntax.
CommandResult RunSyllo(const std::string& args, const std::string& input = "");
// Runs any shell command the same way (e.g. sqlite3 to look inside a KB).
CommandResult RunShell(const std::string& command, const std::string& input = "");
void WriteFile(const std::string& path, const std::string& text);
std::string ReadFile(const std::string& path);

}  // namespace syllo::testing

#include "run_command.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace syllo::testing {

std::string SylloBinary() {
  if (const char* b = std::getenv("SYLLO_BINARY")) return b;
  return SYLLO_BINARY_DEFAULT;
}

std::string SourceDir() {
  if (const char* s = std::getenv("SYLLO_SOURCE_DIR")) return s;
  return SYLLO_SOURCE_DIR_DEFAULT;
}

std::string MakeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "syllo-e2e-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + path);
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

CommandResult RunSyllo(const std::string& args, const std::string& input) {
  return RunShell("'" + SylloBinary() + "' " + args, input);
}

CommandResult RunShell(const std::string& command, const std::string& input) {
  std::string dir = MakeTempDir();
  std::string in = dir + "/in", out = dir + "/out", err = dir + "/err";
  WriteFile(in, input);
  std::string cmd = "(" + command + ") <'" + in + "' >'" + out + "' 2>'" + err + "'";
  int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace syllo::testing

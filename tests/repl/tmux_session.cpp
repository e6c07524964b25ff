#include "tmux_session.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "tests/e2e/run_command.h"

extern char** environ;

namespace syllo::testing {

namespace {

std::string ReadAllFrom(int fd) {
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return text;
    }
  }
}

std::string Hex(unsigned char c) {
  char buffer[4];
  std::snprintf(buffer, sizeof buffer, "%02x", c);
  return buffer;
}

}  // namespace

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

bool TmuxSession::Available() {
  return std::system("command -v tmux >/dev/null 2>&1") == 0;
}

TmuxSession::TmuxSession(const std::string& command, const Environment& env, int width, int height) {
  // The socket and the configuration live in a directory of their own, removed
  // with the session, so no stale socket stays behind in /tmp/tmux-UID.
  std::string dir_template = (std::filesystem::temp_directory_path() / "syllo-pty-XXXXXX").string();
  if (mkdtemp(dir_template.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = dir_template;
  socket_ = dir_ + "/tmux.sock";
  config_ = dir_ + "/tmux.conf";  // instead of ~/.tmux.conf
  WriteFile(config_,
            "set -g remain-on-exit on\n"
            "set -g default-shell /bin/sh\n"
            "set -g status off\n"
            "set -g history-limit 10000\n");
  std::vector<std::string> args = {"new-session", "-d", "-s", "main", "-x", std::to_string(width), "-y",
                                   std::to_string(height)};
  for (const auto& [name, value] : env) {
    args.push_back("-e");
    args.push_back(name + "=" + value);
  }
  args.push_back(command);
  try {
    TmuxOrThrow(args);
  } catch (...) {
    Tmux({"kill-server"});
    std::filesystem::remove_all(dir_);
    throw;
  }
}

TmuxSession::~TmuxSession() {
  Tmux({"kill-server"});
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

TmuxSession::Output TmuxSession::Tmux(const std::vector<std::string>& args) const {
  std::vector<std::string> all = {"tmux", "-S", socket_, "-f", config_};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);

  // Close-on-exec: the tmux server that new-session forks must not keep the
  // pipes' write ends open, or reading them would never end.
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  if (pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid;
  int spawned = posix_spawnp(&pid, "tmux", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  Output result;
  if (spawned == 0) {
    // tmux prints little, far below a pipe's capacity, so reading one pipe
    // after the other cannot block the child.
    result.out = ReadAllFrom(out_pipe[0]);
    result.err = ReadAllFrom(err_pipe[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else {
    result.err = "cannot run tmux";
  }
  close(out_pipe[0]);
  close(err_pipe[0]);
  return result;
}

TmuxSession::Output TmuxSession::TmuxOrThrow(const std::vector<std::string>& args) const {
  Output o = Tmux(args);
  if (o.status != 0) {
    std::string command;
    for (const std::string& a : args) command += " " + a;
    throw std::runtime_error("tmux" + command + " failed (" + std::to_string(o.status) + "): " + o.err);
  }
  return o;
}

void TmuxSession::Type(const std::string& text) {
  if (text.empty()) return;
  // As hex bytes: tmux would read a trailing ';' as a command separator and
  // some words as key names.
  std::vector<std::string> args = {"send-keys", "-t", "main", "-H"};
  for (char c : text) args.push_back(Hex(static_cast<unsigned char>(c)));
  TmuxOrThrow(args);
}

void TmuxSession::Press(std::initializer_list<std::string> keys) {
  std::vector<std::string> args = {"send-keys", "-t", "main"};
  args.insert(args.end(), keys.begin(), keys.end());
  TmuxOrThrow(args);
}

std::string TmuxSession::Screen() const {
  Output o = Tmux({"capture-pane", "-p", "-J", "-S", "-", "-t", "main"});
  std::string screen;
  std::size_t start = 0;
  while (start < o.out.size()) {
    std::size_t end = o.out.find('\n', start);
    if (end == std::string::npos) end = o.out.size();
    std::string line = o.out.substr(start, end - start);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    screen += line + '\n';
    start = end + 1;
  }
  while (!screen.empty() && screen.back() == '\n') screen.pop_back();
  return screen;
}

std::string TmuxSession::LastLine() const {
  std::string screen = Screen();
  std::size_t start = screen.rfind('\n');
  return start == std::string::npos ? screen : screen.substr(start + 1);
}

int TmuxSession::CursorColumn() const {
  Output o = Tmux({"display-message", "-p", "-t", "main", "#{cursor_x}"});
  return o.status == 0 ? std::atoi(o.out.c_str()) : -1;
}

bool TmuxSession::Exited() const {
  Output o = Tmux({"display-message", "-p", "-t", "main", "#{pane_dead}"});
  // No server or session left also means the program is gone.
  return o.status != 0 || o.out.starts_with("1");
}

bool TmuxSession::WaitFor(const std::function<bool(const std::string& screen)>& done,
                          std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done(Screen())) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace syllo::testing

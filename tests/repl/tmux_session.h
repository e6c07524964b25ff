// A program in a pseudo-terminal, driven through tmux as a user would drive it:
// keys go in with `send-keys`, the screen comes out with `capture-pane`.
//
// Each session runs on its own tmux server (`tmux -S PATH`, a private socket
// in a temporary directory, no user configuration), so tests may run in parallel and never touch the
// user's tmux. The server is killed when the session is destroyed, whatever
// the test's outcome. The pane stays after the program exits
// (remain-on-exit), so its last screen can still be read.
//
// Thread safety: none; one test owns one session.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace syllo::testing {

class TmuxSession {
 public:
  using Environment = std::vector<std::pair<std::string, std::string>>;

  // Whether a tmux binary is on PATH.
  static bool Available();

  // Starts `command` (sh syntax) in a detached session of `width` x `height`
  // cells, with `env` added to the program's environment. Throws
  // std::runtime_error if tmux cannot start it.
  TmuxSession(const std::string& command, const Environment& env, int width = 140, int height = 45);
  ~TmuxSession();
  TmuxSession(const TmuxSession&) = delete;
  TmuxSession& operator=(const TmuxSession&) = delete;

  // Types `text` literally (sent as bytes, so no tmux key names or escapes).
  void Type(const std::string& text);
  // Presses keys by tmux name: "Enter", "Tab", "Left", "Up", "BSpace", "C-a",
  // "C-c", "C-d", ...
  void Press(std::initializer_list<std::string> keys);

  // The screen and its scrollback, one line per row (wrapped rows joined),
  // without trailing blanks or trailing empty rows.
  std::string Screen() const;
  // The last non-empty row of Screen(), e.g. the prompt and what is typed.
  std::string LastLine() const;
  // The cursor's column (0-based).
  int CursorColumn() const;
  // Whether the program has exited.
  bool Exited() const;

  // Polls the screen every 50 ms until `done(screen)` holds or `timeout` ends;
  // returns whether it held.
  bool WaitFor(const std::function<bool(const std::string& screen)>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

 private:
  struct Output {
    int status = -1;
    std::string out;
    std::string err;
  };
  // Runs `tmux -S socket ARGS` and collects what it prints.
  Output Tmux(const std::vector<std::string>& args) const;
  Output TmuxOrThrow(const std::vector<std::string>& args) const;

  std::string dir_;
  std::string socket_;
  std::string config_;
};

// `text` quoted for sh.
std::string ShellQuote(const std::string& text);

}  // namespace syllo::testing

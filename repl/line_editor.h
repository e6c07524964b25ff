// Reads the REPL's input units (see input_splitter.h) from the user.
//
// Interactive mode (stdin is a terminal) edits lines with libedit: prompt
// `syllo> `, `   ...> ` while a unit continues on the next line, Emacs key
// bindings (and ~/.editrc), a history of units persisted in a file, TAB
// completion through a callback. Non-interactive mode reads lines from an
// std::istream with std::getline: no prompt, no history, no completion. Both
// cut the lines into units the same way.
//
// Ctrl-C: with the handler of repl/interrupt.h installed, a Ctrl-C while Read()
// waits for a key drops the partial unit (every line of it), prints a line
// break and returns kInterrupted, so the REPL shows a fresh prompt. Without the
// handler, Ctrl-C kills the process as usual.
//
// Interactive mode sets LC_CTYPE from the environment if it is still "C", so
// that libedit reads and shows UTF-8.
//
// Thread safety: a LineEditor belongs to one thread, and an interactive one owns
// the terminal: one per process.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "repl/input_splitter.h"

namespace syllo::repl {

// Returns the candidates for the word being completed, as whole words.
//   line_before_cursor  the current line up to the cursor (earlier lines of a
//                       pending unit are not included)
//   word                the maximal run of [A-Za-z0-9_:$] just before the
//                       cursor; may be empty
// Candidates that do not start with `word` are ignored. The callback must not
// throw; if it does, completion beeps.
using Completer =
    std::function<std::vector<std::string>(std::string_view line_before_cursor, std::string_view word)>;

struct LineEditorOptions {
  // Edit on the terminal with libedit (stdin and stdout must be that terminal;
  // see LineEditor::StdinIsTerminal()). Otherwise read `in` line by line.
  bool interactive = false;
  // Interactive only: the history file, loaded at start and rewritten after
  // every unit (so a killed process keeps it), the last kHistoryLimit units.
  // Empty: history lasts for this session only.
  std::string history_file;
  // Non-interactive input. nullptr: std::cin. Borrowed; must outlive the editor.
  std::istream* in = nullptr;
  // Interactive only: where the editor writes what it prints itself (the line
  // break after Ctrl-C or Ctrl-D, completion lists). It must reach the terminal
  // libedit draws on, i.e. stdout. nullptr: std::cout. Borrowed.
  std::ostream* out = nullptr;
};

class LineEditor {
 public:
  static constexpr int kHistoryLimit = 1000;
  static constexpr const char* kPrompt = "syllo> ";
  static constexpr const char* kContinuationPrompt = "   ...> ";

  // Never null. If libedit cannot start on the terminal, the editor falls back to
  // the non-interactive mode on std::cin.
  static std::unique_ptr<LineEditor> Create(const LineEditorOptions& options);
  // Whether stdin and stdout are terminals: the REPL's choice of mode.
  static bool StdinIsTerminal();

  virtual ~LineEditor() = default;
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  enum class ReadStatus {
    kUnit,         // *unit holds one complete unit (see InputSplitter)
    kEof,          // end of input (Ctrl-D on an empty line); nothing pending
    kInterrupted,  // Ctrl-C while editing; the partial unit was dropped
  };
  // Reads until a unit is complete. Lines that are only blanks or comments are
  // skipped. At the end of input a pending incomplete unit is returned as a
  // unit (so the REPL reports it), and the next call returns kEof. In
  // interactive mode every unit is added to the history.
  // The interrupt flag (repl/interrupt.h) is consumed here: a Ctrl-C that came
  // before the call is dropped; one during the call gives kInterrupted with the
  // flag cleared.
  ReadStatus Read(std::string* unit);

  // Sets the TAB completion callback (interactive mode; ignored otherwise).
  // One candidate: its rest is inserted, and a space after a command (a word
  // starting with ':'). Several: their longest common prefix is inserted; if
  // that adds nothing, they are listed in columns below the line, and the
  // prompt and line are drawn again.
  void SetCompleter(Completer completer) { completer_ = std::move(completer); }

  // One keypress, without echo and without waiting for Enter (the "next
  // answer?" prompt). Enter reads as '\n'; an arrow or function key as ESC
  // (0x1b), the rest of its sequence dropped. Returns EOF on Ctrl-D, at the end
  // of input, on an error, or on Ctrl-C (the interrupt flag stays set, so the
  // REPL can tell); EOF at once while an interrupt is pending.
  // Non-interactive: returns '\n' without reading anything.
  virtual int ReadKey() = 0;

 protected:
  LineEditor() = default;

  enum class LineStatus { kLine, kEof, kInterrupted };
  // Reads one or more lines (without their line breaks; an entry recalled from
  // history may hold several). `continuation`: a unit is pending, so the
  // continuation prompt is shown.
  virtual LineStatus ReadLines(std::vector<std::string>* lines, bool continuation) = 0;
  // Called with each unit Read() returns; interactive mode records history.
  virtual void Remember(const std::string& /*unit*/) {}

  Completer completer_;

 private:
  InputSplitter splitter_;
  bool ended_ = false;  // end of input seen; later calls return kEof
};

}  // namespace syllo::repl

#include "repl/line_editor.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <clocale>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <cwchar>
#include <iostream>

#include "repl/interrupt.h"
#include "repl/libedit.h"

namespace syllo::repl {

namespace {

// libedit's functions: only a TerminalLineEditor calls them, and one exists
// only once LibEdit::Get has opened the library.
const LibEdit& Edit() { return *LibEdit::Get(nullptr); }

// Reads one byte from `fd`: 1 with the byte, 0 at the end of input, -1 on an
// error, with errno EINTR when a Ctrl-C is pending (repl/interrupt.h).
//
// SIGINT is blocked while the flag is tested and ppoll() unblocks it atomically
// while waiting, so a Ctrl-C arriving just before the wait is not left unseen
// until the next key. Other signals that interrupt the wait are retried.
int ReadByte(int fd, unsigned char* byte) {
  for (;;) {
    sigset_t sigint, previous;
    sigemptyset(&sigint);
    sigaddset(&sigint, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigint, &previous);
    if (InterruptPending()) {
      pthread_sigmask(SIG_SETMASK, &previous, nullptr);
      errno = EINTR;
      return -1;
    }
    pollfd wait{fd, POLLIN, 0};
    int ready = ppoll(&wait, 1, nullptr, &previous);
    int poll_error = errno;
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (ready < 0) {
      if (poll_error == EINTR) continue;  // the loop tests the flag again
      errno = poll_error;
      return -1;
    }
    ssize_t n = read(fd, byte, 1);
    if (n == 1) return 1;
    if (n == 0) return 0;
    if (errno != EINTR && errno != EAGAIN) return -1;
  }
}

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':' ||
         c == '$';
}

int TerminalWidth() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

// Non-interactive: lines from a stream.
class StreamLineEditor final : public LineEditor {
 public:
  explicit StreamLineEditor(std::istream& in) : in_(in) {}

  int ReadKey() override { return '\n'; }

 protected:
  LineStatus ReadLines(std::vector<std::string>* lines, bool /*continuation*/) override {
    std::string line;
    if (!std::getline(in_, line)) return LineStatus::kEof;
    lines->push_back(std::move(line));
    return LineStatus::kLine;
  }

 private:
  std::istream& in_;
};

// Interactive: libedit on stdin/stdout.
class TerminalLineEditor final : public LineEditor {
 public:
  // Null if libedit cannot start.
  static std::unique_ptr<TerminalLineEditor> Start(const LineEditorOptions& options);

  TerminalLineEditor(std::string history_file, std::ostream& out)
      : history_file_(std::move(history_file)), out_(out) {}

  int ReadKey() override;

 protected:
  LineStatus ReadLines(std::vector<std::string>* lines, bool continuation) override;
  void Remember(const std::string& unit) override;

 private:
  struct EditLineDeleter {
    void operator()(EditLine* el) const { Edit().el_end(el); }  // also puts the terminal back
  };
  struct HistoryDeleter {
    void operator()(History* h) const { Edit().history_end(h); }
  };

  static TerminalLineEditor& Of(EditLine* el);
  // libedit callbacks.
  static char* Prompt(EditLine* el);
  static int GetChar(EditLine* el, wchar_t* c);
  static unsigned char CompleteKey(EditLine* el, int key);

  unsigned char Complete();
  void List(const std::vector<std::string>& candidates);

  std::string history_file_;
  std::ostream& out_;
  bool continuation_ = false;
  bool history_warned_ = false;
  // Declared before el_, which refers to it, so that it is destroyed after.
  std::unique_ptr<History, HistoryDeleter> history_;
  std::unique_ptr<EditLine, EditLineDeleter> el_;
};

std::unique_ptr<TerminalLineEditor> TerminalLineEditor::Start(const LineEditorOptions& options) {
  // libedit decodes input and measures characters with the C library's locale.
  if (const char* ctype = std::setlocale(LC_CTYPE, nullptr); ctype != nullptr && std::strcmp(ctype, "C") == 0) {
    std::setlocale(LC_CTYPE, "");
  }
  std::string why;
  if (LibEdit::Get(&why) == nullptr) {
    std::cerr << "syllo: no line editing (" << why << "): reading lines as typed\n";
    return nullptr;
  }
  const LibEdit& edit = Edit();
  auto editor =
      std::make_unique<TerminalLineEditor>(options.history_file, options.out != nullptr ? *options.out : std::cout);
  editor->history_.reset(edit.history_init());
  editor->el_.reset(edit.el_init("syllo", stdin, stdout, stderr));
  if (editor->history_ == nullptr || editor->el_ == nullptr) return nullptr;

  History* h = editor->history_.get();
  HistEvent event;
  edit.history(h, &event, H_SETSIZE, kHistoryLimit);
  edit.history(h, &event, H_SETUNIQUE, 1);  // the same unit twice in a row is one entry
  if (!editor->history_file_.empty()) edit.history(h, &event, H_LOAD, editor->history_file_.c_str());

  EditLine* el = editor->el_.get();
  edit.el_set(el, EL_CLIENTDATA, editor.get());
  edit.el_set(el, EL_EDITOR, "emacs");
  edit.el_set(el, EL_PROMPT, &TerminalLineEditor::Prompt);
  edit.el_set(el, EL_HIST, edit.history, h);
  edit.el_set(el, EL_GETCFN, &TerminalLineEditor::GetChar);
  edit.el_set(el, EL_ADDFN, "syllo-complete", "Complete the word before the cursor", &TerminalLineEditor::CompleteKey);
  edit.el_set(el, EL_BIND, "^I", "syllo-complete", nullptr);
  edit.el_source(el, nullptr);  // ~/.editrc, as every libedit program reads it
  return editor;
}

TerminalLineEditor& TerminalLineEditor::Of(EditLine* el) {
  void* self = nullptr;
  Edit().el_get(el, EL_CLIENTDATA, &self);
  return *static_cast<TerminalLineEditor*>(self);
}

char* TerminalLineEditor::Prompt(EditLine* el) {
  // libedit's prototype wants a mutable string; it only reads it.
  return const_cast<char*>(Of(el).continuation_ ? kContinuationPrompt : kPrompt);
}

// Replaces libedit's reader, which retries a read interrupted by a signal once
// and so would wait for one more key after Ctrl-C.
int TerminalLineEditor::GetChar(EditLine* /*el*/, wchar_t* c) {
  char bytes[MB_LEN_MAX];
  std::size_t length = 0;
  for (;;) {
    unsigned char byte;
    int r = ReadByte(STDIN_FILENO, &byte);
    if (r <= 0) {
      *c = L'\0';
      return r;
    }
    bytes[length++] = static_cast<char>(byte);
    std::mbstate_t state{};
    std::size_t used = std::mbrtowc(c, bytes, length, &state);
    if (used == static_cast<std::size_t>(-2) && length < sizeof bytes) continue;  // more bytes to come
    if (used == static_cast<std::size_t>(-1) || used == static_cast<std::size_t>(-2)) {
      length = 0;  // not a character in this locale: dropped, as libedit does
      continue;
    }
    return 1;
  }
}

unsigned char TerminalLineEditor::CompleteKey(EditLine* el, int /*key*/) { return Of(el).Complete(); }

unsigned char TerminalLineEditor::Complete() {
  if (!completer_) return CC_ERROR;
  const LineInfo* line = Edit().el_line(el_.get());
  std::string_view before(line->buffer, static_cast<std::size_t>(line->cursor - line->buffer));
  std::size_t start = before.size();
  while (start > 0 && IsWordChar(before[start - 1])) --start;
  std::string_view word = before.substr(start);

  std::vector<std::string> candidates;
  try {
    candidates = completer_(before, word);
  } catch (...) {
    return CC_ERROR;  // a throwing callback must not unwind through libedit's C frames
  }
  std::erase_if(candidates, [&](const std::string& c) { return !c.starts_with(word); });
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  if (candidates.empty()) return CC_ERROR;  // beeps

  std::string insert;
  if (candidates.size() == 1) {
    insert = candidates[0].substr(word.size());
    if (candidates[0].starts_with(':')) insert += ' ';
  } else {
    // Sorted, so the first and last differ the most.
    const std::string& first = candidates.front();
    const std::string& last = candidates.back();
    std::size_t common = 0;
    while (common < first.size() && common < last.size() && first[common] == last[common]) ++common;
    insert = first.substr(word.size(), common - word.size());
  }
  if (!insert.empty()) {
    return Edit().el_insertstr(el_.get(), insert.c_str()) == 0 ? CC_REFRESH : CC_ERROR;
  }
  if (candidates.size() == 1) return CC_NORM;
  List(candidates);
  return CC_REDISPLAY;  // prompt and line again, below the list
}

// Candidates in columns, down then across, like ls.
void TerminalLineEditor::List(const std::vector<std::string>& candidates) {
  std::size_t longest = 0;
  for (const std::string& c : candidates) longest = std::max(longest, c.size());
  const std::size_t column_width = longest + 2;
  const std::size_t columns =
      std::max<std::size_t>(1, (static_cast<std::size_t>(TerminalWidth()) + 2) / column_width);
  const std::size_t rows = (candidates.size() + columns - 1) / columns;
  out_ << '\n';
  for (std::size_t row = 0; row < rows; ++row) {
    for (std::size_t column = 0; column < columns; ++column) {
      std::size_t i = column * rows + row;
      if (i >= candidates.size()) break;
      out_ << candidates[i];
      if (i + rows < candidates.size()) out_ << std::string(column_width - candidates[i].size(), ' ');
    }
    out_ << '\n';
  }
  out_.flush();
}

LineEditor::LineStatus TerminalLineEditor::ReadLines(std::vector<std::string>* lines, bool continuation) {
  continuation_ = continuation;
  int count = 0;
  const char* text = Edit().el_gets(el_.get(), &count);
  if (text == nullptr) {
    // Ctrl-C, Ctrl-D or a read error. The cursor is still on the edited line.
    out_ << '\n' << std::flush;
    return InterruptPending() ? LineStatus::kInterrupted : LineStatus::kEof;
  }
  // One line normally; an entry recalled from history may hold several.
  std::string_view rest(text, static_cast<std::size_t>(count));
  if (rest.ends_with('\n')) rest.remove_suffix(1);
  for (;;) {
    std::size_t eol = rest.find('\n');
    lines->emplace_back(rest.substr(0, eol));
    if (eol == std::string_view::npos) break;
    rest.remove_prefix(eol + 1);
  }
  return LineStatus::kLine;
}

void TerminalLineEditor::Remember(const std::string& unit) {
  HistEvent event;
  Edit().history(history_.get(), &event, H_ENTER, unit.c_str());
  if (history_file_.empty()) return;
  // Saved at every unit so that a killed REPL keeps its history. The whole
  // file is rewritten: with two REPLs at once, the last to save wins.
  if (Edit().history(history_.get(), &event, H_SAVE, history_file_.c_str()) < 0 && !history_warned_) {
    std::cerr << "syllo: cannot save the history to " << history_file_ << "\n";
    history_warned_ = true;
  }
}

int TerminalLineEditor::ReadKey() {
  out_.flush();
  std::fflush(stdout);
  termios saved{};
  if (tcgetattr(STDIN_FILENO, &saved) != 0) return EOF;
  termios raw = saved;
  raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);  // ISIG stays: Ctrl-C still interrupts
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) != 0) return EOF;
  unsigned char key = 0;
  int r = ReadByte(STDIN_FILENO, &key);
  if (r == 1 && key == '\x1b') {
    // An arrow or function key is a sequence of bytes sent at once: swallow
    // the rest so the line editor does not read it as typed text.
    unsigned char discard;
    pollfd more{STDIN_FILENO, POLLIN, 0};
    while (poll(&more, 1, 0) == 1 && (more.revents & POLLIN) != 0 && read(STDIN_FILENO, &discard, 1) == 1) {
    }
  }
  tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  if (r != 1 || key == saved.c_cc[VEOF]) return EOF;
  return key;
}

}  // namespace

std::unique_ptr<LineEditor> LineEditor::Create(const LineEditorOptions& options) {
  if (options.interactive) {
    if (auto editor = TerminalLineEditor::Start(options)) return editor;
  }
  return std::make_unique<StreamLineEditor>(options.in != nullptr ? *options.in : std::cin);
}

bool LineEditor::StdinIsTerminal() { return isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1; }

LineEditor::ReadStatus LineEditor::Read(std::string* unit) {
  TakeInterrupt();  // a Ctrl-C from before this call was about something else
  for (;;) {
    if (splitter_.HasUnit()) {
      *unit = splitter_.TakeUnit();
      Remember(*unit);
      return ReadStatus::kUnit;
    }
    if (ended_) return ReadStatus::kEof;
    std::vector<std::string> lines;
    switch (ReadLines(&lines, splitter_.pending())) {
      case LineStatus::kLine:
        for (const std::string& line : lines) splitter_.Feed(line);
        break;
      case LineStatus::kEof:
        ended_ = true;
        splitter_.Finish();
        break;
      case LineStatus::kInterrupted:
        TakeInterrupt();
        splitter_.Clear();
        return ReadStatus::kInterrupted;
    }
  }
}

}  // namespace syllo::repl

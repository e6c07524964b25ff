// The REPL at a real terminal: `syllo repl` in a pseudo-terminal (tmux), typed
// at key by key. Covers what only a terminal shows: completion, line editing,
// answers one key at a time, history across runs, Ctrl-C.
//
// Each step waits for the screen to show what it expects (polling, up to 30 s)
// and, when it does not, the failure prints the screen.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <regex>
#include <thread>

#include "tests/e2e/run_command.h"
#include "tmux_session.h"

namespace syllo::testing {
namespace {

constexpr const char* kPack =
    "pragma semantics boolean.\n"
    "relation parent(p: symbol, c: symbol).\n"
    "relation ancestor(a: symbol, d: symbol).\n"
    "parent(ann, bob).\n"
    "parent(bob, cid).\n"
    "ancestor(X, Y) :- parent(X, Y).\n"
    "ancestor(X, Z) :- parent(X, Y), ancestor(Y, Z).\n";

class ReplPty : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TmuxSession::Available()) {
      if (std::getenv("CI") != nullptr) FAIL() << "tmux is not on PATH; the REPL terminal tests need it";
      GTEST_SKIP() << "tmux is not on PATH";
    }
    dir_ = MakeTempDir();
    pack_ = dir_ + "/family.syl";
    WriteFile(pack_, kPack);
    history_ = dir_ + "/history";
  }

  void TearDown() override {
    tmux_.reset();  // kills the tmux server
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Starts `syllo repl PACK` and waits for its first prompt.
  void StartRepl() {
    tmux_.reset();
    std::string command = ShellQuote(SylloBinary()) + " repl " + ShellQuote(pack_);
    tmux_ = std::make_unique<TmuxSession>(command, TmuxSession::Environment{{"SYLLO_HISTORY", history_},
                                                                            {"NO_COLOR", "1"},
                                                                            {"HOME", dir_}});
    ASSERT_TRUE(PromptIs("syllo>")) << "command: " << command;
  }

  // The screen shows `text` somewhere.
  ::testing::AssertionResult Shows(const std::string& text) {
    if (tmux_->WaitFor([&](const std::string& s) { return s.find(text) != std::string::npos; })) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "the screen never showed \"" << text << "\"; it shows:\n"
                                         << Framed(tmux_->Screen());
  }

  // The last line of the screen (the prompt and what is typed at it, without
  // trailing blanks) is `line`.
  ::testing::AssertionResult PromptIs(const std::string& line) {
    if (tmux_->WaitFor([&](const std::string&) { return tmux_->LastLine() == line; })) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "the last line never became \"" << line << "\"; the screen shows:\n"
                                         << Framed(tmux_->Screen());
  }

  ::testing::AssertionResult CursorAt(int column) {
    if (tmux_->WaitFor([&](const std::string&) { return tmux_->CursorColumn() == column; })) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "the cursor is at column " << tmux_->CursorColumn() << ", not "
                                         << column << "; the screen shows:\n"
                                         << Framed(tmux_->Screen());
  }

  // How often `text` occurs on the screen now.
  std::size_t Count(const std::string& text) const {
    std::string screen = tmux_->Screen();
    std::size_t n = 0;
    for (std::size_t at = screen.find(text); at != std::string::npos; at = screen.find(text, at + 1)) ++n;
    return n;
  }

  static std::string Framed(const std::string& screen) {
    return "----------------\n" + screen + "\n----------------";
  }

  std::string dir_, pack_, history_;
  std::unique_ptr<TmuxSession> tmux_;
};

TEST_F(ReplPty, TabCompletesCommandsAndRelations) {
  ASSERT_NO_FATAL_FAILURE(StartRepl());

  tmux_->Type(":he");
  tmux_->Press({"Tab"});
  ASSERT_TRUE(PromptIs("syllo> :help"));
  EXPECT_TRUE(CursorAt(13)) << "a completed command is followed by a space";
  tmux_->Press({"Enter"});
  ASSERT_TRUE(Shows(":quit"));
  ASSERT_TRUE(PromptIs("syllo>"));
  std::string screen = tmux_->Screen();
  for (const char* command : {":load", ":run", ":facts", ":rules", ":agenda", ":watch", ":why", ":how", ":whynot",
                              ":consult", ":reset", ":save", ":kb", ":help", ":quit"}) {
    std::regex line_starts_with(std::string("(^|\\n)[ \\t]*") + command + "([ \\t]|\\n|$)");
    EXPECT_TRUE(std::regex_search(screen, line_starts_with))
        << ":help lists no line starting with " << command << "; the screen shows:\n"
        << Framed(screen);
  }

  tmux_->Type("?- ances");
  tmux_->Press({"Tab"});
  ASSERT_TRUE(PromptIs("syllo> ?- ancestor"));
  EXPECT_TRUE(CursorAt(18)) << "no space after a completed relation name";
}

TEST_F(ReplPty, EditingKeysFixTheLineBeforeItRuns) {
  ASSERT_NO_FATAL_FAILURE(StartRepl());

  tmux_->Type("ancestr(bob, Z).x");
  ASSERT_TRUE(PromptIs("syllo> ancestr(bob, Z).x"));
  tmux_->Press({"BSpace"});
  // From the end of "ancestr(bob, Z)." to between the 't' and the 'r'.
  tmux_->Press({"Left", "Left", "Left", "Left", "Left", "Left", "Left", "Left", "Left", "Left"});
  tmux_->Type("o");
  ASSERT_TRUE(PromptIs("syllo> ancestor(bob, Z)."));
  EXPECT_TRUE(CursorAt(14)) << "the cursor stays after the inserted 'o'";
  tmux_->Press({"C-a"});
  tmux_->Type("?- ");
  tmux_->Press({"C-e"});
  ASSERT_TRUE(PromptIs("syllo> ?- ancestor(bob, Z)."));
  EXPECT_TRUE(CursorAt(27));
  tmux_->Press({"Enter"});
  EXPECT_TRUE(Shows("Z = cid"));
}

TEST_F(ReplPty, AnswersComeOneKeyAtATime) {
  ASSERT_NO_FATAL_FAILURE(StartRepl());

  tmux_->Type("?- ancestor(ann, X).");
  tmux_->Press({"Enter"});
  ASSERT_TRUE(Shows("X = bob"));
  // Give a wrong REPL the chance to print the next answer unasked.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Count("X = cid"), 0u) << "the second answer came before ';':\n" << Framed(tmux_->Screen());
  EXPECT_EQ(Count("false."), 0u) << Framed(tmux_->Screen());

  tmux_->Type(";");
  ASSERT_TRUE(Shows("X = cid"));
  tmux_->Type(";");
  ASSERT_TRUE(Shows("false."));
  EXPECT_TRUE(PromptIs("syllo>"));
}

TEST_F(ReplPty, HistoryIsKeptAcrossRuns) {
  ASSERT_NO_FATAL_FAILURE(StartRepl());
  tmux_->Type("?- ancestor(ann, X).");
  tmux_->Press({"Enter"});
  ASSERT_TRUE(Shows("X = bob"));
  tmux_->Press({"Enter"});  // no more answers
  ASSERT_TRUE(PromptIs("syllo>"));
  tmux_->Type(":quit");
  tmux_->Press({"Enter"});
  ASSERT_TRUE(tmux_->WaitFor([&](const std::string&) { return tmux_->Exited(); }))
      << ":quit did not end the REPL; the screen shows:\n"
      << Framed(tmux_->Screen());
  EXPECT_NE(ReadFile(history_).find("ancestor(ann,"), std::string::npos)
      << "history file " << history_ << ":\n"
      << ReadFile(history_);

  ASSERT_NO_FATAL_FAILURE(StartRepl());
  tmux_->Press({"Up"});
  ASSERT_TRUE(PromptIs("syllo> :quit"));
  tmux_->Press({"Up"});
  ASSERT_TRUE(PromptIs("syllo> ?- ancestor(ann, X)."));
  tmux_->Press({"Enter"});
  EXPECT_TRUE(Shows("X = bob")) << "the recalled line runs";
}

TEST_F(ReplPty, CtrlCDropsTheLineAndTheReplGoesOn) {
  ASSERT_NO_FATAL_FAILURE(StartRepl());

  tmux_->Type("?- ancestor(ann");
  ASSERT_TRUE(PromptIs("syllo> ?- ancestor(ann"));
  tmux_->Press({"C-c"});
  ASSERT_TRUE(PromptIs("syllo>"));
  EXPECT_FALSE(tmux_->Exited());

  // A unit left open on an earlier line goes too.
  tmux_->Type("?- ancestor(ann,");
  tmux_->Press({"Enter"});
  ASSERT_TRUE(PromptIs("   ...>"));
  tmux_->Press({"C-c"});
  ASSERT_TRUE(PromptIs("syllo>"));

  tmux_->Type("?- ancestor(bob, Z).");
  tmux_->Press({"Enter"});
  EXPECT_TRUE(Shows("Z = cid"));
}

TEST_F(ReplPty, CtrlCStopsARunningQueryAndTheReplGoesOn) {
  // A left-recursive closure over a 3000-node chain: 4.5 million answers, far
  // more than the time between Enter and Ctrl-C allows.
  std::string pack = "pragma semantics boolean.\n"
                     "relation edge(a: symbol, b: symbol).\nrelation path(a: symbol, b: symbol).\n"
                     "path(X, Y) :- edge(X, Y).\npath(X, Z) :- path(X, Y), edge(Y, Z).\n";
  for (int i = 0; i < 3000; ++i) pack += "edge(n" + std::to_string(i) + ", n" + std::to_string(i + 1) + ").\n";
  WriteFile(pack_, pack);
  ASSERT_NO_FATAL_FAILURE(StartRepl());

  tmux_->Type("?- path(X, Y), Y = nowhere.");
  tmux_->Press({"Enter"});
  ASSERT_TRUE(PromptIs("syllo> ?- path(X, Y), Y = nowhere."));
  tmux_->Press({"C-c"});
  EXPECT_TRUE(Shows("% interrupted"));
  ASSERT_TRUE(PromptIs("syllo>"));
  EXPECT_FALSE(tmux_->Exited());

  tmux_->Type("?- edge(n0, X).");
  tmux_->Press({"Enter"});
  EXPECT_TRUE(Shows("X = n1"));
}

}  // namespace
}  // namespace syllo::testing

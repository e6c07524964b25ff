// The line editor when stdin is not a terminal: lines from a stream, the same
// units as at the terminal, no prompt and no history.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "repl/interrupt.h"
#include "repl/line_editor.h"
#include "tests/e2e/run_command.h"

namespace syllo::repl {
namespace {

using Status = LineEditor::ReadStatus;

std::unique_ptr<LineEditor> Pipe(std::istream& in, std::string history_file = "") {
  LineEditorOptions options;
  options.interactive = false;
  options.in = &in;
  options.history_file = std::move(history_file);
  return LineEditor::Create(options);
}

// Reads every unit until kEof.
std::vector<std::string> ReadAll(LineEditor& editor) {
  std::vector<std::string> units;
  std::string unit;
  for (int guard = 0; guard < 1000; ++guard) {
    Status s = editor.Read(&unit);
    if (s == Status::kEof) return units;
    EXPECT_EQ(s, Status::kUnit);
    units.push_back(unit);
  }
  ADD_FAILURE() << "no end of input";
  return units;
}

TEST(LineEditorPipe, ReadsUnitsAcrossLines) {
  std::istringstream in(
      "% a session\n"
      "parent(ann, bob). parent(bob,\n"
      "  cid).\n"
      "\n"
      ":facts parent\n"
      "?- parent(ann, X).\n");
  auto editor = Pipe(in);
  EXPECT_EQ(ReadAll(*editor), (std::vector<std::string>{"parent(ann, bob).", "parent(bob,\n  cid).",
                                                         ":facts parent", "?- parent(ann, X)."}));
}

TEST(LineEditorPipe, EndOfInputReturnsThePendingUnitThenEof) {
  std::istringstream in("?- parent(ann, X).\n?- parent(X, cid)");
  auto editor = Pipe(in);
  EXPECT_EQ(ReadAll(*editor), (std::vector<std::string>{"?- parent(ann, X).", "?- parent(X, cid)"}));
  std::string unit;
  EXPECT_EQ(editor->Read(&unit), Status::kEof);
}

TEST(LineEditorPipe, EmptyInputIsEof) {
  std::istringstream in("");
  auto editor = Pipe(in);
  std::string unit = "untouched";
  EXPECT_EQ(editor->Read(&unit), Status::kEof);
  EXPECT_EQ(unit, "untouched");
}

TEST(LineEditorPipe, OnlyCommentsIsEof) {
  std::istringstream in("% nothing. here.\n   \n/* nor. here. */\n");
  auto editor = Pipe(in);
  EXPECT_TRUE(ReadAll(*editor).empty());
}

TEST(LineEditorPipe, ReadKeyAnswersNewlineWithoutReading) {
  std::istringstream in("?- p(X).\n");
  auto editor = Pipe(in);
  EXPECT_EQ(editor->ReadKey(), '\n');
  EXPECT_EQ(editor->ReadKey(), '\n');
  std::string unit;
  ASSERT_EQ(editor->Read(&unit), Status::kUnit);
  EXPECT_EQ(unit, "?- p(X).");
}

TEST(LineEditorPipe, AnInterruptBeforeReadIsDropped) {
  InterruptHandlerScope handler;
  ASSERT_EQ(raise(SIGINT), 0);
  EXPECT_TRUE(InterruptPending());
  std::istringstream in("?- p(X).\n");
  auto editor = Pipe(in);
  std::string unit;
  EXPECT_EQ(editor->Read(&unit), Status::kUnit);
  EXPECT_FALSE(TakeInterrupt());
}

TEST(LineEditorPipe, KeepsNoHistory) {
  std::string dir = testing::MakeTempDir();
  std::string history = dir + "/history";
  std::istringstream in("?- p(X).\n:quit\n");
  auto editor = Pipe(in, history);
  EXPECT_EQ(ReadAll(*editor).size(), 2u);
  EXPECT_FALSE(std::filesystem::exists(history));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace syllo::repl

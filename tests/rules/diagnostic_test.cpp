#include "rules/diagnostic.h"

#include <gtest/gtest.h>

namespace syllo::rules {
namespace {

TEST(Render, ShowsTheLineAndACaretUnderTheColumn) {
  SourceSet sources;
  FileId f = sources.Add("a.syl", "relation p(x: int).\np(\xc3\xa9t\xc3\xa9, 1).\n");
  Diagnostic d{Severity::kError, SourcePos{f, 2, 8}, "boom"};
  EXPECT_EQ(Render(sources, d), "a.syl:2:8: error: boom\n  p(\xc3\xa9t\xc3\xa9, 1).\n         ^\n");
}

TEST(Render, ALongLineIsShownAsAWindowAroundTheCaret) {
  SourceSet sources;
  std::string line(5000, 'x');
  line[4000] = 'Y';
  FileId f = sources.Add("long.syl", line + "\n");
  Diagnostic d{Severity::kError, SourcePos{f, 1, 4001}, "here"};
  std::string out = Render(sources, d);
  EXPECT_LT(out.size(), 400u);
  std::size_t shown = out.find('\n') + 3;  // after "  "
  std::size_t caret_line = out.find('\n', shown) + 1;
  std::size_t y = out.find('Y', shown) - shown;
  std::size_t caret = out.find('^', caret_line) - caret_line - 2;
  EXPECT_EQ(y, caret) << out;
  EXPECT_EQ(out.substr(shown, 3), "...");
}

}  // namespace
}  // namespace syllo::rules

// The REPL's input units: where a clause ends, what a command is.
#include "repl/input_splitter.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace syllo::repl {
namespace {

// Feeds the lines and returns every unit that became complete.
std::vector<std::string> Units(InputSplitter& splitter, std::initializer_list<std::string_view> lines) {
  std::vector<std::string> units;
  for (std::string_view line : lines) {
    splitter.Feed(line);
    while (splitter.HasUnit()) units.push_back(splitter.TakeUnit());
  }
  return units;
}

std::vector<std::string> Units(std::initializer_list<std::string_view> lines) {
  InputSplitter splitter;
  return Units(splitter, lines);
}

using Strings = std::vector<std::string>;

TEST(InputSplitter, AQueryEndsAtItsFullStop) {
  EXPECT_EQ(Units({"?- ancestor(ann, X)."}), Strings{"?- ancestor(ann, X)."});
  EXPECT_EQ(Units({"  p(a, b).   "}), Strings{"p(a, b)."});
  EXPECT_EQ(Units({"retract p(a)."}), Strings{"retract p(a)."});
}

TEST(InputSplitter, NoFullStopMeansPending) {
  InputSplitter splitter;
  EXPECT_TRUE(Units(splitter, {"?- ancestor(ann, X)"}).empty());
  EXPECT_TRUE(splitter.pending());
  EXPECT_EQ(Units(splitter, {"."}), Strings{"?- ancestor(ann, X)\n."});
  EXPECT_FALSE(splitter.pending());
}

TEST(InputSplitter, AClauseMaySpanLines) {
  InputSplitter splitter;
  EXPECT_TRUE(Units(splitter, {"ancestor(X, Z) :-", "  parent(X, Y),"}).empty());
  EXPECT_TRUE(splitter.pending());
  EXPECT_EQ(Units(splitter, {"  ancestor(Y, Z)."}),
            Strings{"ancestor(X, Z) :-\n  parent(X, Y),\n  ancestor(Y, Z)."});
  EXPECT_FALSE(splitter.pending());
}

TEST(InputSplitter, SeveralUnitsOnOneLine) {
  EXPECT_EQ(Units({"p(a). p(b).q(c).  ?- p(X)."}), (Strings{"p(a).", "p(b).q(c).", "?- p(X)."}));
  EXPECT_EQ(Units({"p(a).\tp(b)."}), (Strings{"p(a).", "p(b)."}));
}

TEST(InputSplitter, TextAfterTheFullStopStartsTheNextUnit) {
  InputSplitter splitter;
  EXPECT_EQ(Units(splitter, {"p(a). ?- q("}), Strings{"p(a)."});
  EXPECT_TRUE(splitter.pending());
  EXPECT_EQ(Units(splitter, {"X)."}), Strings{"?- q(\nX)."});
}

TEST(InputSplitter, AFullStopInsideAStringDoesNotEnd) {
  EXPECT_EQ(Units({R"(note("Dr. Who. ", x).)"}), Strings{R"(note("Dr. Who. ", x).)"});
  InputSplitter splitter;
  EXPECT_TRUE(Units(splitter, {R"(note("ends here. )"}).empty());
  EXPECT_TRUE(splitter.pending());
  EXPECT_EQ(Units(splitter, {R"(really. ").)"}), Strings{"note(\"ends here. \nreally. \")."});
}

TEST(InputSplitter, EscapedQuotesStayInsideTheString) {
  EXPECT_EQ(Units({R"(say("a \". b"). say("c\\"). next.)"}),
            (Strings{R"(say("a \". b").)", R"(say("c\\").)", "next."}));
}

TEST(InputSplitter, DecimalPointsDoNotEnd) {
  EXPECT_EQ(Units({"p(0.5, 1.25e3). ?- X = 2.5."}), (Strings{"p(0.5, 1.25e3).", "?- X = 2.5."}));
  InputSplitter splitter;
  EXPECT_TRUE(Units(splitter, {"p(0.5"}).empty());
  EXPECT_TRUE(splitter.pending());
}

TEST(InputSplitter, FullStopsInCommentsDoNotEnd) {
  EXPECT_EQ(Units({"p(a, % not. here.", "b)."}), Strings{"p(a, % not. here.\nb)."});
  EXPECT_EQ(Units({"p(a /* not. here. */, b)."}), Strings{"p(a /* not. here. */, b)."});
  EXPECT_EQ(Units({"p(a, // not. here.", "b)."}), Strings{"p(a, // not. here.\nb)."});
  InputSplitter splitter;
  EXPECT_TRUE(Units(splitter, {"p(a /* open. ", "still open. "}).empty());
  EXPECT_TRUE(splitter.pending());
  EXPECT_EQ(Units(splitter, {"*/)."}), Strings{"p(a /* open. \nstill open. \n*/)."});
}

TEST(InputSplitter, AFullStopBeforeACommentEnds) {
  EXPECT_EQ(Units({"p(a).% note", "p(b)./* note */ p(c)."}), (Strings{"p(a).", "p(b).", "p(c)."}));
}

TEST(InputSplitter, BlankAndCommentLinesYieldNothing) {
  InputSplitter splitter;
  EXPECT_TRUE(Units(splitter, {"", "   ", "% a comment. With a full stop.", "/* block. */", "// more."}).empty());
  EXPECT_FALSE(splitter.pending());
  EXPECT_TRUE(Units(splitter, {"/* open"}).empty());
  EXPECT_TRUE(splitter.pending());
  EXPECT_TRUE(Units(splitter, {"closed. */  "}).empty());
  EXPECT_FALSE(splitter.pending());
  EXPECT_EQ(Units(splitter, {"% lead", "  p(a). % trail"}), Strings{"p(a)."});
  EXPECT_FALSE(splitter.pending());
}

TEST(InputSplitter, ACommandEndsWithItsLine) {
  EXPECT_EQ(Units({":help"}), Strings{":help"});
  EXPECT_EQ(Units({"   :load  packs/car.syl   "}), Strings{":load  packs/car.syl"});
  EXPECT_EQ(Units({":why ancestor(ann, cid). more words"}), Strings{":why ancestor(ann, cid). more words"});
  EXPECT_EQ(Units({":quit\r"}), Strings{":quit"});
}

TEST(InputSplitter, ACommandMayFollowAClause) {
  EXPECT_EQ(Units({"p(a). :facts p"}), (Strings{"p(a).", ":facts p"}));
}

TEST(InputSplitter, AColonInsideAClauseIsNoCommand) {
  InputSplitter splitter;
  EXPECT_EQ(Units(splitter, {"ancestor(X, Z)", ":- parent(X, Z)."}), Strings{"ancestor(X, Z)\n:- parent(X, Z)."});
  InputSplitter again;
  EXPECT_EQ(Units(again, {"?- p(", ":help", ")."}), Strings{"?- p(\n:help\n)."});
}

TEST(InputSplitter, FinishHandsOverTheIncompleteUnit) {
  InputSplitter splitter;
  splitter.Feed("?- p(X)  ");
  EXPECT_FALSE(splitter.HasUnit());
  splitter.Finish();
  ASSERT_TRUE(splitter.HasUnit());
  EXPECT_EQ(splitter.TakeUnit(), "?- p(X)");
  EXPECT_FALSE(splitter.pending());
  splitter.Finish();
  EXPECT_FALSE(splitter.HasUnit());
}

TEST(InputSplitter, ClearDropsPendingAndQueuedUnits) {
  InputSplitter splitter;
  splitter.Feed("p(a). p(b). ?- q(");
  EXPECT_TRUE(splitter.HasUnit());
  EXPECT_TRUE(splitter.pending());
  splitter.Clear();
  EXPECT_FALSE(splitter.HasUnit());
  EXPECT_FALSE(splitter.pending());
  EXPECT_EQ(Units(splitter, {"?- r(X)."}), Strings{"?- r(X)."});
}

}  // namespace
}  // namespace syllo::repl

// `syllo kb` and `syllo run` end to end.
#include <gtest/gtest.h>

#include <filesystem>

#include "run_command.h"

namespace syllo::testing {
namespace {

class KbRunTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return "'" + dir_ + "/" + name + "'"; }
  std::string dir_;
};

TEST_F(KbRunTest, InitImportExportStatsRoundTrip) {
  std::string pack = "'" + SourceDir() + "/packs/car_diagnosis/car.syl'";
  CommandResult init = RunSyllo("kb init " + Path("car.db") + " " + pack);
  ASSERT_EQ(init.exit_code, 0) << init.err;
  WriteFile(dir_ + "/cars.csv", "id,make,year,cf\nvan_1,van,2019,0.5\n\"estate_2\",estate,2008,1\n");
  CommandResult imp = RunSyllo("kb import " + Path("car.db") + " car " + Path("cars.csv"));
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  CommandResult exp = RunSyllo("kb export " + Path("car.db") + " car --format jsonl");
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  EXPECT_NE(exp.out.find("{\"id\":\"van_1\",\"make\":\"van\",\"year\":2019,\"cf\":0.5"), std::string::npos) << exp.out;
  CommandResult stats = RunSyllo("kb stats " + Path("car.db"));
  EXPECT_EQ(stats.exit_code, 0);
  EXPECT_NE(stats.out.find("car(id: symbol, make: symbol, year: int): 3 facts"), std::string::npos) << stats.out;
}

TEST_F(KbRunTest, MalformedImportNamesLineAndColumnAndImportsNothing) {
  std::string pack = "'" + SourceDir() + "/packs/car_diagnosis/car.syl'";
  ASSERT_EQ(RunSyllo("kb init " + Path("car.db") + " " + pack).exit_code, 0);
  WriteFile(dir_ + "/bad.csv", "id,make,year\nok_1,van,2001\nbad_2,van,20x9\n");
  CommandResult imp = RunSyllo("kb import " + Path("car.db") + " car " + Path("bad.csv"));
  EXPECT_EQ(imp.exit_code, 1);
  EXPECT_NE(imp.err.find("bad.csv:line 3, column 'year'"), std::string::npos) << imp.err;
  CommandResult exp = RunSyllo("kb export " + Path("car.db") + " car");
  EXPECT_EQ(exp.out.find("ok_1"), std::string::npos) << "nothing of the failed batch may be stored";
}

TEST_F(KbRunTest, InitWithABrokenPackLeavesNoKnowledgeBase) {
  WriteFile(dir_ + "/broken.syl", "relation p(x: int).\np(oops).\n");
  CommandResult init = RunSyllo("kb init " + Path("k.db") + " " + Path("broken.syl"));
  EXPECT_EQ(init.exit_code, 1);
  EXPECT_NE(init.err.find("broken.syl:2:3: error"), std::string::npos) << init.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/k.db"));
}

TEST_F(KbRunTest, RunDerivesAndPrints) {
  WriteFile(dir_ + "/tc.syl",
            "relation edge(a: int, b: int).\nrelation path(a: int, b: int).\n"
            "path(X, Y) :- edge(X, Y).\npath(X, Z) :- edge(X, Y), path(Y, Z).\n"
            "edge(1, 2). edge(2, 3). edge(3, 1).\n"
            "rule loop when path(X, X) then print(\"{X} is on a cycle\").\n");
  CommandResult r = RunSyllo("run " + Path("tc.syl") + " --show path --stats --strategy breadth");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1 is on a cycle"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("path(3, 2)."), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("stats: firings=3 derivations="), std::string::npos) << r.err;
}

TEST_F(KbRunTest, SaveWritesEachDerivedFactWithItsJustifications) {
  WriteFile(dir_ + "/tc.syl",
            "relation edge(a: symbol, b: symbol).\nrelation path(a: symbol, b: symbol).\n"
            "path(X, Y) :- edge(X, Y).\npath(X, Z) :- edge(X, Y), path(Y, Z).\n"
            "edge(a, b). edge(b, c).\n");
  ASSERT_EQ(RunSyllo("run " + Path("tc.syl") + " --db " + Path("j.db") + " --save").exit_code, 0);
  auto rows = [&](const std::string& sql) {
    return RunShell("sqlite3 -separator ' | ' " + Path("j.db") + " \"" + sql + "\"").out;
  };
  // path(a, c) has one derivation: path#2 over edge(a, b) and path(b, c).
  EXPECT_EQ(rows("SELECT rule, premises FROM syllo_justifications WHERE fact = 'path(a, c)'"),
            "path#2 | [\"edge(a, b)\",\"path(b, c)\"]\n");
  EXPECT_EQ(rows("SELECT count(*) FROM syllo_justifications"), "3\n");
  // Saving again replaces them; --no-justifications leaves what is there alone.
  ASSERT_EQ(RunSyllo("run " + Path("tc.syl") + " --db " + Path("j.db") + " --save").exit_code, 0);
  EXPECT_EQ(rows("SELECT count(*) FROM syllo_justifications"), "3\n");
  ASSERT_EQ(RunSyllo("run " + Path("tc.syl") + " --db " + Path("k.db") + " --save --no-justifications").exit_code, 0);
  EXPECT_EQ(rows("SELECT count(*) FROM rel_path").empty(), false);
  EXPECT_EQ(RunShell("sqlite3 " + Path("k.db") + " 'SELECT count(*) FROM syllo_justifications'").out, "0\n");
}

TEST_F(KbRunTest, RunLimitsAreReported) {
  WriteFile(dir_ + "/grow.syl", "relation n(v: int).\nn(0).\nrule grow when n(X) then assert n(X + 1).\n");
  CommandResult r = RunSyllo("run " + Path("grow.syl") + " --max-firings 25 --show n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("firing limit (25)"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("n(25)."), std::string::npos);
  EXPECT_EQ(r.out.find("n(26)."), std::string::npos);
  CommandResult t = RunSyllo("run " + Path("grow.syl") + " --timeout 0.2");
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_NE(t.err.find("time limit"), std::string::npos) << t.err;
}

TEST_F(KbRunTest, RunTracesLikeClipsWatch) {
  WriteFile(dir_ + "/w.syl", "relation a(x: int).\nrelation b(x: int).\na(1).\nrule r when a(X) then assert b(X).\n");
  CommandResult r = RunSyllo("run " + Path("w.syl") + " --watch all");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("==> a(1)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("==> Activation r"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FIRE 1 r: a(1)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("==> b(1)"), std::string::npos) << r.out;
  EXPECT_EQ(RunSyllo("run " + Path("w.syl") + " --watch everything").exit_code, 2);
  EXPECT_EQ(RunSyllo("run " + Path("w.syl") + " --strategy fastest").exit_code, 2);
}

TEST_F(KbRunTest, RuntimeErrorInAnActionNamesTheRule) {
  WriteFile(dir_ + "/div.syl", "relation a(x: int).\nrelation b(x: int).\na(0).\nrule r when a(X) then assert b(10 / X).\n");
  CommandResult r = RunSyllo("run " + Path("div.syl"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("rule r ("), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("div.syl:4:1"), std::string::npos) << r.err;
}

TEST_F(KbRunTest, RunReadsFactsFromTheKbAndSavesDerivedOnes) {
  WriteFile(dir_ + "/rules.syl",
            "relation edge(a: int, b: int).\nrelation path(a: int, b: int).\n"
            "path(X, Y) :- edge(X, Y).\npath(X, Z) :- edge(X, Y), path(Y, Z).\n");
  ASSERT_EQ(RunSyllo("kb init " + Path("t.db") + " " + Path("rules.syl")).exit_code, 0);
  WriteFile(dir_ + "/e.csv", "a,b\n1,2\n2,3\n");
  ASSERT_EQ(RunSyllo("kb import " + Path("t.db") + " edge " + Path("e.csv")).exit_code, 0);
  CommandResult r = RunSyllo("run " + Path("rules.syl") + " --db " + Path("t.db") + " --save");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  CommandResult exp = RunSyllo("kb export " + Path("t.db") + " path");
  EXPECT_NE(exp.out.find("1,3,1.0,derived"), std::string::npos) << exp.out;
  EXPECT_EQ(RunSyllo("run " + Path("rules.syl") + " --db " + Path("missing.db")).exit_code, 3);
  EXPECT_EQ(RunSyllo("run " + Path("rules.syl") + " --save").exit_code, 2);
}

}  // namespace
}  // namespace syllo::testing

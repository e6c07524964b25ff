// The syllo command end to end: exit statuses, diagnostics, help.
#include <gtest/gtest.h>

#include <filesystem>

#include "run_command.h"

namespace syllo::testing {
namespace {

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

TEST_F(CliTest, HelpListsTheCommandsAndExitsZero) {
  CommandResult r = RunSyllo("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("check"), std::string::npos);
  EXPECT_NE(r.out.find("kb"), std::string::npos);
  EXPECT_NE(r.out.find("Exit status"), std::string::npos);
  for (const char* sub : {"check --help", "kb --help", "kb init --help", "kb import --help", "kb export --help",
                          "kb stats --help"}) {
    CommandResult h = RunSyllo(sub);
    EXPECT_EQ(h.exit_code, 0) << sub << ": " << h.err;
    EXPECT_NE(h.out.find("Usage"), std::string::npos) << sub;
  }
}

TEST_F(CliTest, OnlyATerminalSessionOpensLibedit) {
  // libedit (and libtinfo, libbsd, libmd with it) is opened when a terminal
  // session starts, not linked: a run or a piped REPL never maps it.
  WriteFile(Path("p.syl"), "relation p(x: int).\np(1).\n");
  const std::string syllo = "LD_DEBUG=libs '" + SylloBinary() + "' ";
  CommandResult run = RunShell(syllo + "run '" + Path("p.syl") + "' --show p");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  CommandResult repl = RunShell(syllo + "repl '" + Path("p.syl") + "'", "?- p(X).\n");
  ASSERT_EQ(repl.exit_code, 0) << repl.err;
  EXPECT_NE(repl.out.find("X = 1"), std::string::npos) << repl.out;
  for (const CommandResult* r : {&run, &repl}) {
    ASSERT_NE(r->err.find("calling init"), std::string::npos) << "LD_DEBUG=libs printed nothing";
    EXPECT_EQ(r->err.find("libedit"), std::string::npos) << "libedit was mapped without a terminal";
    EXPECT_EQ(r->err.find("libtinfo"), std::string::npos) << "libtinfo was mapped without a terminal";
  }
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunSyllo("").exit_code, 2);
  EXPECT_EQ(RunSyllo("no-such-command").exit_code, 2);
  EXPECT_EQ(RunSyllo("check").exit_code, 2);
  EXPECT_EQ(RunSyllo("check --no-such-flag x.syl").exit_code, 2);
}

TEST_F(CliTest, CheckAcceptsTheBundledPack) {
  CommandResult r = RunSyllo("check '" + SourceDir() + "/packs/car_diagnosis/car.syl'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ok:"), std::string::npos);
  EXPECT_EQ(r.err.find("error"), std::string::npos) << r.err;
}

TEST_F(CliTest, CheckReportsEveryErrorWithPositionAndCaret) {
  WriteFile(Path("bad.syl"),
            "relation applicant(id: symbol, age: int).\n"
            "risky(A) :- applicant(A, Age), Age < 21.\n"
            "old(A) :- aplicant(A, _).\n");
  CommandResult r = RunSyllo("check '" + Path("bad.syl") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.syl:2:1: error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.syl:3:11: error: unknown relation 'aplicant'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  old(A) :- aplicant(A, _).\n            ^\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("errors"), std::string::npos);
}

TEST_F(CliTest, CheckReportsSyntaxErrorsAndKeepsGoing) {
  WriteFile(Path("syntax.syl"),
            "relation p(x: int).\n"
            "p(1.\n"
            "p(2).\n"
            "p(3 cf 0.5.\n");
  CommandResult r = RunSyllo("check '" + Path("syntax.syl") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("syntax.syl:2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("syntax.syl:4:"), std::string::npos) << r.err;
}

TEST_F(CliTest, CheckMissingFileIsAnInputError) {
  CommandResult r = RunSyllo("check '" + Path("missing.syl") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.syl"), std::string::npos);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos) << r.err;
}

TEST_F(CliTest, CheckPrintShowsTheCanonicalProgram) {
  WriteFile(Path("ok.syl"), "relation edge(a: int, b: int).\nedge(1,2).\nedge( 2 , 3 ) cf 0.5.\n");
  CommandResult r = RunSyllo("check --print '" + Path("ok.syl") + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("relation edge(a: int, b: int)."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("edge(2, 3) cf 0.5."), std::string::npos) << r.out;
}

TEST_F(CliTest, WarningsOnlyFailWithWerror) {
  WriteFile(Path("warn.syl"), "relation p(x: int).\nrelation q(x: int).\nq(X) :- p(X), p(Y).\n");
  CommandResult plain = RunSyllo("check '" + Path("warn.syl") + "'");
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.err.find("warning"), std::string::npos) << plain.err;
  EXPECT_EQ(RunSyllo("check --werror '" + Path("warn.syl") + "'").exit_code, 1);
}

TEST_F(CliTest, NoColorWhenNotATerminal) {
  WriteFile(Path("bad.syl"), "p(1).\n");
  CommandResult r = RunSyllo("check '" + Path("bad.syl") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.find('\033'), std::string::npos);
}

}  // namespace
}  // namespace syllo::testing

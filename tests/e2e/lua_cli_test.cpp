// Lua packs through the command line, as a user runs them: `syllo run`,
// `syllo query`, `syllo check`, `syllo repl` with `:load`, the sandbox refusing
// os.execute unless --trust, and budgets named in the error.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "run_command.h"

namespace syllo::testing {
namespace {

class LuaCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    WriteFile(dir_ + "/shop.lua", R"lua(
-- Orders, a Lua predicate and a Lua action.
syllo.relation("order(id: symbol, qty: int, price: float)")
syllo.relation("big(id: symbol)")
syllo.facts("order", { {"o1", 3, 2.5}, {"o2", 40, 9.0}, {"o3", 1, 120.0} })
syllo.predicate("expensive(total: float)", function(total) return total > 100 end)
syllo.rule("big(O) :- order(O, Q, P), T = to_float(Q) * P, expensive(T).")
syllo.production{ name = "announce", when = "big(O)", ["then"] = function(s, v)
  s:print("big order: " .. v.O)
end }
)lua");
    WriteFile(dir_ + "/evil.lua", R"lua(
syllo.relation("r(x: int)")
syllo.fact("r", 1)
syllo.predicate("sneaky(x: int)", function(x)
  os.execute("touch " .. PWNED)
  return true
end)
syllo.query("r(X), sneaky(X)")
)lua");
    // The marker file the pack tries to create, by absolute path.
    std::string text = ReadFile(dir_ + "/evil.lua");
    WriteFile(dir_ + "/evil.lua", "local PWNED = '" + dir_ + "/pwned'\n" + text);
    WriteFile(dir_ + "/spin.lua", R"lua(
syllo.relation("r(x: int)")
syllo.relation("s(x: int)")
syllo.fact("r", 1)
syllo.predicate("spin(x: int)", function(x)
  while true do end
end)
syllo.rule("s(X) :- r(X), spin(X).")
)lua");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(LuaCliTest, RunPrintsWhatTheLuaActionPrints) {
  CommandResult r = RunSyllo("run " + dir_ + "/shop.lua");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Depth strategy: the newest activation fires first, as in CLIPS.
  EXPECT_EQ(r.out, "big order: o3\nbig order: o2\n");
}

TEST_F(LuaCliTest, QueryUsesTheLuaPredicate) {
  CommandResult r = RunSyllo("query " + dir_ + "/shop.lua 'big(O)'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("O = o2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("O = o3"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("O = o1"), std::string::npos) << r.out;
}

TEST_F(LuaCliTest, CheckCountsThePack) {
  CommandResult r = RunSyllo("check " + dir_ + "/shop.lua");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok: 1 file, 2 relations, 3 facts, 1 rule, 1 production rule, 0 questions, 0 models, 0 queries\n");
}

TEST_F(LuaCliTest, SandboxRefusesOsExecuteUnlessTrusted) {
  CommandResult r = RunSyllo("query " + dir_ + "/evil.lua 'r(X), sneaky(X)'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("predicate 'sneaky'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("evil.lua:6: attempt to index a nil value (global 'os')"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/pwned"));

  CommandResult trusted = RunSyllo("query --trust " + dir_ + "/evil.lua 'r(X), sneaky(X)'");
  EXPECT_EQ(trusted.exit_code, 0) << trusted.err;
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/pwned"));
}

TEST_F(LuaCliTest, AStatementOfTheWrongKindIsReportedInThePack) {
  WriteFile(dir_ + "/wrong.lua", "syllo.relation('r(x: int)')\n  syllo.rule('?- r(X).')\n");
  CommandResult r = RunSyllo("check " + dir_ + "/wrong.lua");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("wrong.lua:2:3: error: expected a logical rule (head :- body) here"), std::string::npos)
      << r.err;
}

TEST_F(LuaCliTest, BudgetStopsTheRunWithThePackLineAndTheBudget) {
  CommandResult r = RunSyllo("run --lua-instructions 100000 " + dir_ + "/spin.lua");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("spin.lua:6: instruction budget exceeded: more than 100000 instructions in one call"),
            std::string::npos)
      << r.err;
  CommandResult t = RunSyllo("run --lua-seconds 0.2 --lua-instructions 0 " + dir_ + "/spin.lua");
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_NE(t.err.find("time budget exceeded"), std::string::npos) << t.err;
}

TEST_F(LuaCliTest, ReplLoadsALuaPack) {
  CommandResult r = RunSyllo("repl", ":load " + dir_ + "/shop.lua\n?- big(O).\n:run\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("O = o2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("big order: o3"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace syllo::testing

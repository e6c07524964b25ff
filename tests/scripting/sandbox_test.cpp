// The sandbox: each escape attempt is refused with an error and the host stays
// healthy (the same state runs the next call); budgets stop runaway code with
// a message naming the budget and the line.
#include <gtest/gtest.h>

#include <sstream>

#include <lua5.4/lua.hpp>

#include "scripting/lua_state.h"

namespace syllo::scripting {
namespace {

class SandboxTest : public ::testing::Test {
 protected:
  explicit SandboxTest(LuaBudget budget = Small()) : lua_(budget, /*trusted=*/false) { lua_.set_output(&out_); }

  static LuaBudget Small() {
    LuaBudget b;
    b.instructions = 2'000'000;
    b.seconds = 30;  // generous: the instruction budget is what these tests hit
    b.memory_bytes = std::size_t{16} << 20;
    return b;
  }

  // Runs a chunk; returns its error message, or "" if it ran.
  std::string Run(const std::string& code) {
    Status st = lua_.Load(code, "=pack.lua");
    if (st.ok()) st = lua_.Call(0, 0);
    return st.message();
  }

  // The host is still healthy: a fresh call works and sees the same state.
  void ExpectHealthy() {
    EXPECT_EQ(Run("healthy = (healthy or 0) + 1\nassert(1 + 1 == 2)"), "");
    lua_getglobal(lua_.get(), "healthy");
    EXPECT_TRUE(lua_isinteger(lua_.get(), -1));
    lua_pop(lua_.get(), 1);
  }

  std::ostringstream out_;
  LuaState lua_;
};

TEST_F(SandboxTest, DangerousLibrariesAreAbsent) {
  for (const char* code : {"os.execute('touch /tmp/syllo-pwned')", "io.open('/etc/passwd')", "require('os')",
                           "debug.getregistry()", "package.loadlib('libc.so.6', 'system')", "dofile('/etc/passwd')",
                           "loadfile('/etc/passwd')"}) {
    std::string error = Run(code);
    EXPECT_NE(error, "") << code;
    EXPECT_NE(error.find("nil value"), std::string::npos) << code << ": " << error;
  }
  ExpectHealthy();
}

TEST_F(SandboxTest, BytecodeIsRefused) {
  EXPECT_NE(Run("local f = string.dump(function() end)").find("nil value"), std::string::npos);
  // A binary chunk (it starts with ESC "Lua") cannot be loaded, even when asked for.
  std::string error = Run(R"(
    local f, err = load("\27Lua\84\0", "x", "b")
    assert(f == nil)
    error(err, 0))");
  EXPECT_NE(error.find("attempt to load a binary chunk"), std::string::npos) << error;
  // Text still loads.
  EXPECT_EQ(Run("assert(load('return 1 + 1')() == 2)"), "");
  ExpectHealthy();
}

TEST_F(SandboxTest, StringMetatableCannotBeReached) {
  // getmetatable("") gives a string, not the table: no way to reach dump or
  // to change what every string can do.
  std::string error = Run("local mt = getmetatable('')\nmt.__index.dump(print)");
  EXPECT_NE(error, "");
  EXPECT_EQ(Run("assert(type(getmetatable('')) == 'string')"), "");
  EXPECT_NE(Run("setmetatable('', {})"), "");
  EXPECT_EQ(Run("assert(('abc'):upper() == 'ABC')"), "");
  ExpectHealthy();
}

TEST_F(SandboxTest, CollectorSettingsAreRefused) {
  EXPECT_NE(Run("collectgarbage('stop')").find("not allowed"), std::string::npos);
  EXPECT_EQ(Run("assert(collectgarbage('count') > 0)"), "");
  ExpectHealthy();
}

TEST_F(SandboxTest, InfiniteLoopHitsTheInstructionBudget) {
  std::string error = Run("local n = 0\nwhile true do n = n + 1 end");
  EXPECT_NE(error.find("instruction budget exceeded"), std::string::npos) << error;
  EXPECT_NE(error.find("pack.lua:2:"), std::string::npos) << error;
  ExpectHealthy();
}

TEST_F(SandboxTest, PcallCannotSwallowTheBudget) {
  std::string error = Run(R"(
    local caught = 0
    while true do
      pcall(function() while true do end end)
      caught = caught + 1
    end)");
  EXPECT_NE(error.find("instruction budget exceeded"), std::string::npos) << error;
  ExpectHealthy();
}

TEST_F(SandboxTest, CoroutinesShareTheBudget) {
  std::string error = Run("local co = coroutine.wrap(function() while true do end end)\nco()");
  EXPECT_NE(error.find("instruction budget exceeded"), std::string::npos) << error;
  ExpectHealthy();
}

TEST_F(SandboxTest, DeepRecursionIsAnError) {
  std::string error = Run("local function f(n) return 1 + f(n + 1) end\nf(1)");
  EXPECT_NE(error, "");
  ExpectHealthy();
}

TEST_F(SandboxTest, MemoryBombsHitTheMemoryBudget) {
  std::string error = Run("local s = string.rep('x', 1 << 30)");
  EXPECT_NE(error.find("memory budget exceeded"), std::string::npos) << error;
  ExpectHealthy();
  error = Run("local t = {}\nfor i = 1, 1e9 do t[i] = ('y'):rep(64) .. i end");
  EXPECT_TRUE(error.find("memory budget exceeded") != std::string::npos ||
              error.find("instruction budget exceeded") != std::string::npos)
      << error;
  EXPECT_LE(lua_.memory_in_use(), Small().memory_bytes);
  ExpectHealthy();
}

TEST_F(SandboxTest, CatastrophicPatternsAreStopped) {
  std::string error = Run(R"(string.find(string.rep("a", 5000), "a-a-a-a-a-a-a-a-a-a-b"))");
  EXPECT_NE(error.find("pattern too complex"), std::string::npos) << error;
  error = Run(R"(local s = string.gsub(string.rep("a", 3000), "a*a*a*a*a*a*b", "x"))");
  EXPECT_NE(error.find("pattern too complex"), std::string::npos) << error;
  ExpectHealthy();
}

TEST_F(SandboxTest, PrintGoesToTheHostsStream) {
  EXPECT_EQ(Run("print('hello', 42, true)"), "");
  EXPECT_EQ(out_.str(), "hello\t42\ttrue\n");
}

TEST_F(SandboxTest, ErrorObjectsThatAreNotStringsAreReported) {
  std::string error = Run("error(setmetatable({}, {__tostring = function() while true do end end}))");
  EXPECT_NE(error.find("table value"), std::string::npos) << error;
  ExpectHealthy();
}

class TimeBudgetTest : public SandboxTest {
 protected:
  static LuaBudget Timed() {
    LuaBudget b;
    b.instructions = 0;  // unlimited: only the clock stops it
    b.seconds = 0.05;
    return b;
  }
  TimeBudgetTest() : SandboxTest(Timed()) {}
};

TEST_F(TimeBudgetTest, WallClockBudgetStopsALoop) {
  std::string error = Run("while true do end");
  EXPECT_NE(error.find("time budget exceeded"), std::string::npos) << error;
  ExpectHealthy();
}

TEST(TrustedLua, HasTheWholeStandardLibrary) {
  LuaState lua(LuaBudget{}, /*trusted=*/true);
  ASSERT_TRUE(lua.Load("assert(os.time() > 0)\nassert(io.write ~= nil)\nassert(type(require) == 'function')",
                       "=trusted.lua")
                  .ok());
  Status st = lua.Call(0, 0);
  EXPECT_TRUE(st.ok()) << st.message();
}

}  // namespace
}  // namespace syllo::scripting

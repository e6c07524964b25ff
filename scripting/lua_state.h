// LuaState: one Lua interpreter with Syllo's sandbox and budgets.
//
// Sandboxed (the default), Lua code sees only the safe part of the standard
// library: base without dofile, loadfile and binary chunks, plus string,
// table, math, utf8 and coroutine. No io, os, debug or package; string.dump is
// gone and the string metatable is locked, so no route reaches around that.
// Trusted, it gets the whole standard library.
//
// Budgets bound what a call into Lua may cost, sandboxed or not:
//   * instructions: a count hook; once spent, every instruction raises the
//     error again, so a `pcall` inside the pack cannot swallow it and go on;
//   * wall-clock seconds: checked by the same hook and by the pattern matcher
//     (Lua's own matcher runs in C, out of the hook's reach, so string.find,
//     match, gmatch and gsub are replaced by one that counts its steps);
//   * memory: a cap on the whole state, enforced by its allocator.
// A budget error is an ordinary Lua error whose message names the budget and
// the pack's file and line.
//
// Thread safety: none; one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "scripting/lua_pattern.h"
#include "syllo/status.h"

struct lua_State;
struct lua_Debug;

namespace syllo::scripting {

struct LuaBudget {
  std::uint64_t instructions = 50'000'000;        // per call into Lua; 0: unlimited
  double seconds = 5.0;                           // per call into Lua; 0: unlimited
  std::size_t memory_bytes = std::size_t{64} << 20;  // for the whole state; 0: unlimited
};

class LuaState {
 public:
  LuaState(LuaBudget budget, bool trusted);
  ~LuaState();
  LuaState(const LuaState&) = delete;
  LuaState& operator=(const LuaState&) = delete;

  lua_State* get() const { return L_; }
  const LuaBudget& budget() const { return budget_; }
  bool trusted() const { return trusted_; }
  std::size_t memory_in_use() const { return used_; }
  // Where `print` writes (null: nowhere).
  void set_output(std::ostream* out) { out_ = out; }

  // Compiles `text` (source only, never bytecode) and pushes it as a function.
  // `chunk_name` is how messages name it: "@path" gives "path:line:".
  Status Load(std::string_view text, const std::string& chunk_name);
  // Calls the function under `nargs` arguments with the budgets (a nested call
  // shares the budget of the call it is inside). On success leaves `nresults`
  // results; on failure leaves nothing and returns the error message.
  Status Call(int nargs, int nresults);

 private:
  static void* Allocate(void* self, void* ptr, std::size_t old_size, std::size_t new_size);
  static void OnCount(lua_State* L, lua_Debug* ar);
  static int Print(lua_State* L);
  void OpenSandboxedLibraries();

  lua_State* L_ = nullptr;
  LuaBudget budget_;
  bool trusted_;
  std::size_t used_ = 0;
  std::ostream* out_ = nullptr;
  // The running call's budget.
  int depth_ = 0;
  std::uint64_t spent_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  bool exhausted_ = false;
  PatternBudget pattern_budget_;
};

}  // namespace syllo::scripting

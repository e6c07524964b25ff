// string.find, string.match, string.gmatch and string.gsub on the budgeted
// matcher of lua_pattern.h, for sandboxes whose instruction-count hook cannot
// interrupt Lua's own C matcher.
//
// The replacements return what Lua 5.4.4's functions return, raise the same
// errors, and on top raise "pattern too complex: more than N matching steps"
// or "time limit reached inside string matching" when a call exceeds its
// budget. Each call of find, match and gsub, and each step of a gmatch
// iterator, starts a fresh step count and reads *budget anew, so the host may
// move the deadline between calls. Plain finds (plain = true, or a pattern
// without special characters, which Lua also searches for as text) count no
// steps: they use memmem, linear in the worst case.
//
// Thread safety: as the lua_State.
#pragma once

#include <lua5.4/lua.hpp>

#include "scripting/lua_pattern.h"

namespace syllo::scripting {

// Replaces find, match, gmatch and gsub in the global `string` table (which
// the string metatable's __index points to, so ("x"):find(...) is covered
// too). `budget` must outlive the state's use of these functions.
void InstallSafeStringMatching(lua_State* L, PatternBudget* budget);

}  // namespace syllo::scripting

// LuaGuard: the one place that owns how errors cross between C++ and Lua.
//
// Syllo links Debian's Lua built as C++ (liblua5.4-c++), so a Lua error is a
// C++ exception of Lua's own and unwinds C++ frames with their destructors;
// nothing longjmps. Two rules keep that sound:
//   * C++ calls into Lua only through lua_pcall (LuaState::Call), so a Lua
//     error becomes a Status at the boundary and never escapes into the engine.
//   * Every C++ function handed to Lua is wrapped by LuaFunction<F>: a C++
//     exception (ours, std::bad_alloc) becomes a Lua error carrying its
//     message. Lua's own error exceptions are not std::exceptions and pass
//     through untouched (never catch(...) here: that would swallow them).
//
// Thread safety: none; a lua_State belongs to one thread at a time.
#pragma once

#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include <lua5.4/lua.hpp>

namespace syllo::scripting {

// An error raised by C++ code that Lua called; its message reaches the Lua
// caller (and, unless caught there, the pack's error report).
struct LuaCallError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Turns `int F(lua_State*)` into a lua_CFunction that cannot leak a C++
// exception into Lua. The message is copied onto the Lua stack before
// lua_error, after the exception object is gone.
template <int (*F)(lua_State*)>
int LuaFunction(lua_State* L) {
  bool failed = false;
  try {
    return F(L);
  } catch (const std::bad_alloc&) {
    lua_pushliteral(L, "not enough memory");
    failed = true;
  } catch (const std::exception& e) {
    luaL_where(L, 1);  // "pack.lua:12: ", where the Lua code called us
    lua_pushstring(L, e.what());
    lua_concat(L, 2);
    failed = true;
  }
  if (failed) return lua_error(L);
  return 0;
}

}  // namespace syllo::scripting

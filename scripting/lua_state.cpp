#include "scripting/lua_state.h"

#include <cstdlib>
#include <ostream>
#include <stdexcept>

#include "scripting/lua_guard.h"
#include "scripting/safe_string_match.h"

namespace syllo::scripting {

namespace {

// The hook runs every kHookInterval instructions: often enough to stop a loop
// within microseconds, rarely enough to cost nothing measurable.
constexpr int kHookInterval = 1000;

LuaState* Self(lua_State* L) { return *static_cast<LuaState**>(lua_getextraspace(L)); }

// load() without binary chunks: mode is forced to text whatever the caller asks.
int SafeLoad(lua_State* L) {
  int args = lua_gettop(L);
  if (args < 1) return luaL_error(L, "bad argument #1 to 'load' (value expected)");
  lua_settop(L, 4);
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  lua_pushvalue(L, lua_upvalueindex(1));  // the original load
  lua_insert(L, 1);
  lua_call(L, 4, LUA_MULTRET);
  return lua_gettop(L);
}

// collectgarbage() limited to what cannot change how the collector runs.
int SafeCollectGarbage(lua_State* L) {
  const char* what = luaL_optstring(L, 1, "collect");
  std::string_view w(what);
  if (w != "collect" && w != "count" && w != "step") {
    return luaL_error(L, "collectgarbage('%s') is not allowed in a sandboxed pack", what);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

}  // namespace

LuaState::LuaState(LuaBudget budget, bool trusted) : budget_(budget), trusted_(trusted) {
  L_ = lua_newstate(&LuaState::Allocate, this);
  if (L_ == nullptr) throw std::bad_alloc();
  *static_cast<LuaState**>(lua_getextraspace(L_)) = this;
  // An error outside any protected call would otherwise abort the process.
  lua_atpanic(L_, [](lua_State* L) -> int {
    const char* text = lua_tostring(L, -1);
    throw std::runtime_error(std::string("Lua error outside a protected call: ") + (text ? text : "?"));
  });
  if (trusted_) {
    luaL_openlibs(L_);
  } else {
    OpenSandboxedLibraries();
  }
  lua_pushcfunction(L_, &LuaFunction<&LuaState::Print>);
  lua_setglobal(L_, "print");
  // Both modes: string matching counts its steps (see the header).
  InstallSafeStringMatching(L_, &pattern_budget_);
  lua_sethook(L_, &LuaState::OnCount, LUA_MASKCOUNT, kHookInterval);
}

LuaState::~LuaState() {
  if (L_ != nullptr) lua_close(L_);
}

void* LuaState::Allocate(void* self, void* ptr, std::size_t old_size, std::size_t new_size) {
  auto* s = static_cast<LuaState*>(self);
  // For a fresh block Lua passes a type tag, not a size, in old_size.
  std::size_t old_bytes = ptr != nullptr ? old_size : 0;
  if (new_size == 0) {
    std::free(ptr);
    s->used_ -= old_bytes;
    return nullptr;
  }
  // Only Lua code running under Call() is capped: the host's own pushes
  // (arguments, results) happen outside any protected call, where a failed
  // allocation could not be reported as a Lua error.
  if (s->budget_.memory_bytes != 0 && s->depth_ > 0 && new_size > old_bytes &&
      s->used_ - old_bytes + new_size > s->budget_.memory_bytes) {
    return nullptr;  // Lua raises "not enough memory"
  }
  void* block = std::realloc(ptr, new_size);
  if (block != nullptr) s->used_ = s->used_ - old_bytes + new_size;
  return block;
}

void LuaState::OnCount(lua_State* L, lua_Debug*) {
  LuaState* s = Self(L);
  if (s->depth_ == 0) return;  // loading or host code outside a budgeted call
  s->spent_ += s->exhausted_ ? 1 : kHookInterval;
  if (s->budget_.instructions != 0 && s->spent_ > s->budget_.instructions) {
    if (!s->exhausted_) {
      // From now on every instruction fails, so a pcall cannot catch and continue.
      s->exhausted_ = true;
      lua_sethook(L, &LuaState::OnCount, LUA_MASKCOUNT, 1);
    }
    // Level 0 in a hook is the Lua function it interrupted: that is the line to name.
    luaL_where(L, 0);
    lua_pushfstring(L, "instruction budget exceeded: more than %I instructions in one call",
                    static_cast<lua_Integer>(s->budget_.instructions));
    lua_concat(L, 2);
    lua_error(L);
    return;
  }
  if (s->budget_.seconds > 0 && std::chrono::steady_clock::now() > s->deadline_) {
    if (!s->exhausted_) {
      s->exhausted_ = true;
      lua_sethook(L, &LuaState::OnCount, LUA_MASKCOUNT, 1);
    }
    luaL_where(L, 0);
    lua_pushfstring(L, "time budget exceeded: one call ran longer than %f s", s->budget_.seconds);
    lua_concat(L, 2);
    lua_error(L);
  }
}

int LuaState::Print(lua_State* L) {
  LuaState* s = Self(L);
  int n = lua_gettop(L);
  std::string line;
  for (int i = 1; i <= n; ++i) {
    std::size_t len = 0;
    const char* text = luaL_tolstring(L, i, &len);
    if (i > 1) line += '\t';
    line.append(text, len);
    lua_pop(L, 1);
  }
  if (s->out_ != nullptr) *s->out_ << line << '\n';
  return 0;
}

void LuaState::OpenSandboxedLibraries() {
  static const luaL_Reg kSafe[] = {
      {LUA_GNAME, luaopen_base},         {LUA_STRLIBNAME, luaopen_string}, {LUA_TABLIBNAME, luaopen_table},
      {LUA_MATHLIBNAME, luaopen_math},   {LUA_UTF8LIBNAME, luaopen_utf8},  {LUA_COLIBNAME, luaopen_coroutine},
  };
  for (const luaL_Reg& lib : kSafe) {
    luaL_requiref(L_, lib.name, lib.func, 1);
    lua_pop(L_, 1);
  }
  // Base functions that reach files or load bytecode.
  for (const char* name : {"dofile", "loadfile", "require"}) {
    lua_pushnil(L_);
    lua_setglobal(L_, name);
  }
  lua_getglobal(L_, "load");
  lua_pushcclosure(L_, &SafeLoad, 1);
  lua_setglobal(L_, "load");
  lua_getglobal(L_, "collectgarbage");
  lua_pushcclosure(L_, &SafeCollectGarbage, 1);
  lua_setglobal(L_, "collectgarbage");
  // string.dump makes bytecode; the string metatable is locked so that
  // getmetatable("") cannot be used to change what every string can do.
  lua_getglobal(L_, LUA_STRLIBNAME);
  lua_pushnil(L_);
  lua_setfield(L_, -2, "dump");
  lua_pop(L_, 1);
  lua_pushliteral(L_, "");
  if (lua_getmetatable(L_, -1)) {
    lua_pushliteral(L_, "the string metatable is locked in a sandboxed pack");
    lua_setfield(L_, -2, "__metatable");
    lua_pop(L_, 1);
  }
  lua_pop(L_, 1);
}

Status LuaState::Load(std::string_view text, const std::string& chunk_name) {
  int rc = luaL_loadbufferx(L_, text.data(), text.size(), chunk_name.c_str(), "t");
  if (rc != LUA_OK) {
    std::string message = lua_tostring(L_, -1) != nullptr ? lua_tostring(L_, -1) : "cannot load the chunk";
    lua_pop(L_, 1);
    return Status::InvalidArgument(message);
  }
  return Status();
}

Status LuaState::Call(int nargs, int nresults) {
  const bool outermost = depth_ == 0;
  if (outermost) {
    spent_ = 0;  // the hook is back at its normal interval: a failed call reset it
    auto now = std::chrono::steady_clock::now();
    deadline_ = budget_.seconds > 0
                    ? now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(budget_.seconds))
                    : std::chrono::steady_clock::time_point::max();
    pattern_budget_.deadline = deadline_;
  }
  ++depth_;
  int rc = lua_pcall(L_, nargs, nresults, 0);
  --depth_;
  if (rc == LUA_OK) return Status();
  std::string message;
  if (rc == LUA_ERRMEM) {
    message = "memory budget exceeded: the pack's Lua state may use at most " +
              std::to_string(budget_.memory_bytes >> 20) + " MiB";
  } else if (lua_type(L_, -1) == LUA_TSTRING || lua_type(L_, -1) == LUA_TNUMBER) {
    std::size_t len = 0;
    const char* text = lua_tolstring(L_, -1, &len);
    message.assign(text, len);
  } else {
    // No __tostring here: it would run pack code outside any protected call.
    message = std::string("error object is a ") + luaL_typename(L_, -1) + " value";
  }
  lua_pop(L_, 1);
  bool budget = exhausted_ || rc == LUA_ERRMEM;
  if (outermost) {
    exhausted_ = false;
    lua_sethook(L_, &LuaState::OnCount, LUA_MASKCOUNT, kHookInterval);
  }
  return budget ? Status::LimitExceeded(message) : Status::InvalidArgument(message);
}

}  // namespace syllo::scripting

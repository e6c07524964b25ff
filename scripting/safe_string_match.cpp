#include "scripting/safe_string_match.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "scripting/lua_guard.h"

namespace syllo::scripting {
namespace {

constexpr std::size_t kNoPosition = static_cast<std::size_t>(-1);

std::string_view CheckString(lua_State* L, int arg) {
  std::size_t length = 0;
  const char* text = luaL_checklstring(L, arg, &length);
  return {text, length};
}

std::string_view UpvalueString(lua_State* L, int upvalue) {
  std::size_t length = 0;
  const char* text = lua_tolstring(L, lua_upvalueindex(upvalue), &length);
  return {text, length};
}

const PatternBudget& BudgetAt(lua_State* L, int upvalue) {
  return *static_cast<const PatternBudget*>(lua_touserdata(L, lua_upvalueindex(upvalue)));
}

// string.find with plain text. glibc's memmem (two-way) is linear in the
// worst case; std::string_view::find and Lua's own search are not (100 KB of
// "a...ab" in 1 MB of 'a' takes a second), and a plain find has no budget.
std::size_t FindPlainText(std::string_view subject, std::string_view text, std::size_t from) {
  const void* found = memmem(subject.data() + from, subject.size() - from, text.data(), text.size());
  if (found == nullptr) return std::string_view::npos;
  return static_cast<std::size_t>(static_cast<const char*>(found) - subject.data());
}

// Lua's 1-based `init` argument as a 0-based offset: negative counts from the
// end, anything before the start is the start. May exceed the length.
std::size_t StartOffset(lua_Integer init, std::size_t length) {
  if (init > 0) return static_cast<std::size_t>(init) - 1;
  if (init == 0 || init < -static_cast<lua_Integer>(length)) return 0;
  return length - static_cast<std::size_t>(-init);
}

// A capture's value as Lua sees it. Capture 0 of a match without captures is
// the whole match (for match, gmatch and gsub's %1 and table key).
struct CaptureValue {
  bool is_position = false;
  lua_Integer position = 0;
  std::string_view text;
};

CaptureValue GetCapture(std::string_view subject, const PatternMatch& match, std::size_t index) {
  if (index >= match.captures.size()) {
    if (index != 0) throw PatternError("invalid capture index %" + std::to_string(index + 1));
    return {false, 0, subject.substr(match.start, match.end - match.start)};
  }
  const PatternCapture& capture = match.captures[index];
  switch (capture.kind) {
    case PatternCapture::Kind::kUnfinished:
      throw PatternError("unfinished capture");
    case PatternCapture::Kind::kPosition:
      return {true, static_cast<lua_Integer>(capture.start) + 1, {}};
    case PatternCapture::Kind::kString:
      break;
  }
  return {false, 0, subject.substr(capture.start, capture.length)};
}

void PushCapture(lua_State* L, std::string_view subject, const PatternMatch& match, std::size_t index) {
  CaptureValue value = GetCapture(subject, match, index);
  if (value.is_position) {
    lua_pushinteger(L, value.position);
  } else {
    lua_pushlstring(L, value.text.data(), value.text.size());
  }
}

// Pushes every capture; with none, the whole match if `whole_when_none`
// (string.find returns only the indices then).
int PushCaptures(lua_State* L, std::string_view subject, const PatternMatch& match, bool whole_when_none) {
  std::size_t count = match.captures.empty() && whole_when_none ? 1 : match.captures.size();
  luaL_checkstack(L, static_cast<int>(count), "too many captures");
  for (std::size_t i = 0; i < count; ++i) PushCapture(L, subject, match, i);
  return static_cast<int>(count);
}

int FindOrMatch(lua_State* L, bool find) {
  std::string_view subject = CheckString(L, 1);
  std::string_view pattern = CheckString(L, 2);
  std::size_t init = StartOffset(luaL_optinteger(L, 3, 1), subject.size());
  if (init > subject.size()) {
    luaL_pushfail(L);
    return 1;
  }
  if (find && (lua_toboolean(L, 4) || HasNoPatternSpecials(pattern))) {
    std::size_t at = FindPlainText(subject, pattern, init);
    if (at == std::string_view::npos) {
      luaL_pushfail(L);
      return 1;
    }
    lua_pushinteger(L, static_cast<lua_Integer>(at) + 1);
    lua_pushinteger(L, static_cast<lua_Integer>(at + pattern.size()));
    return 2;
  }
  StepCounter counter(BudgetAt(L, 1));
  PatternMatch match;
  if (!FindPattern(subject, pattern, init, &counter, &match)) {
    luaL_pushfail(L);
    return 1;
  }
  if (!find) return PushCaptures(L, subject, match, /*whole_when_none=*/true);
  lua_pushinteger(L, static_cast<lua_Integer>(match.start) + 1);
  lua_pushinteger(L, static_cast<lua_Integer>(match.end));
  return 2 + PushCaptures(L, subject, match, /*whole_when_none=*/false);
}

int Find(lua_State* L) { return FindOrMatch(L, /*find=*/true); }
int Match(lua_State* L) { return FindOrMatch(L, /*find=*/false); }

// Where a gmatch iterator stands. Plain data, so the userdata needs no __gc.
struct GmatchCursor {
  std::size_t next_start;
  std::size_t last_match_end;  // kNoPosition before the first match
};

// The iterator: upvalues subject, pattern, cursor, budget. It never returns
// an empty match ending where the previous match ended, and '^' is an
// ordinary character here, as in Lua 5.4.
int GmatchStep(lua_State* L) {
  std::string_view subject = UpvalueString(L, 1);
  std::string_view pattern = UpvalueString(L, 2);
  auto* cursor = static_cast<GmatchCursor*>(lua_touserdata(L, lua_upvalueindex(3)));
  StepCounter counter(BudgetAt(L, 4));
  PatternMatcher matcher(subject, pattern, &counter);
  PatternMatch match;
  for (std::size_t start = matcher.NextCandidate(cursor->next_start); start <= subject.size();
       start = matcher.NextCandidate(start + 1)) {
    if (matcher.MatchAt(start, &match) && match.end != cursor->last_match_end) {
      cursor->next_start = cursor->last_match_end = match.end;
      return PushCaptures(L, subject, match, /*whole_when_none=*/true);
    }
  }
  return 0;
}

int Gmatch(lua_State* L) {
  std::string_view subject = CheckString(L, 1);
  CheckString(L, 2);
  std::size_t init = StartOffset(luaL_optinteger(L, 3, 1), subject.size());
  if (init > subject.size()) init = subject.size() + 1;  // the iterator finds nothing
  lua_settop(L, 2);  // the (converted) subject and pattern become upvalues
  auto* cursor = static_cast<GmatchCursor*>(lua_newuserdatauv(L, sizeof(GmatchCursor), 0));
  *cursor = GmatchCursor{init, kNoPosition};
  lua_pushvalue(L, lua_upvalueindex(1));  // the budget
  lua_pushcclosure(L, LuaFunction<GmatchStep>, 4);
  return 1;
}

// Appends gsub's string replacement for one match: %0 the match, %1-%9 the
// captures, %% a '%'.
void AddTemplate(lua_State* L, luaL_Buffer* out, std::string_view subject, const PatternMatch& match) {
  std::size_t length = 0;
  const char* text = lua_tolstring(L, 3, &length);  // a number becomes its string
  std::string_view replacement(text, length);
  std::size_t done = 0;
  for (std::size_t escape = replacement.find('%'); escape != std::string_view::npos;
       escape = replacement.find('%', done)) {
    luaL_addlstring(out, replacement.data() + done, escape - done);
    char next = escape + 1 < replacement.size() ? replacement[escape + 1] : '\0';
    if (next == '%') {
      luaL_addchar(out, '%');
    } else if (next == '0') {
      luaL_addlstring(out, subject.data() + match.start, match.end - match.start);
    } else if (next >= '1' && next <= '9') {
      CaptureValue value = GetCapture(subject, match, static_cast<std::size_t>(next - '1'));
      if (value.is_position) {
        lua_pushinteger(L, value.position);
        luaL_addvalue(out);
      } else {
        luaL_addlstring(out, value.text.data(), value.text.size());
      }
    } else {
      throw PatternError("invalid use of '%' in replacement string");
    }
    done = escape + 2;
  }
  luaL_addlstring(out, replacement.data() + done, replacement.size() - done);
}

// Appends the replacement for one match; false when it keeps the original
// text (a table or function gave nil or false).
bool AddReplacement(lua_State* L, luaL_Buffer* out, std::string_view subject, const PatternMatch& match,
                    int replacement_type) {
  switch (replacement_type) {
    case LUA_TFUNCTION: {
      lua_pushvalue(L, 3);
      int arguments = PushCaptures(L, subject, match, /*whole_when_none=*/true);
      lua_call(L, arguments, 1);
      break;
    }
    case LUA_TTABLE:
      PushCapture(L, subject, match, 0);
      lua_gettable(L, 3);
      break;
    default:
      AddTemplate(L, out, subject, match);
      return true;
  }
  if (!lua_toboolean(L, -1)) {
    lua_pop(L, 1);
    luaL_addlstring(out, subject.data() + match.start, match.end - match.start);
    return false;
  }
  if (!lua_isstring(L, -1)) {
    throw PatternError(std::string("invalid replacement value (a ") + luaL_typename(L, -1) + ")");
  }
  luaL_addvalue(out);
  return true;
}

int Gsub(lua_State* L) {
  std::string_view subject = CheckString(L, 1);
  std::string_view pattern = CheckString(L, 2);
  int replacement_type = lua_type(L, 3);
  lua_Integer max_replacements = luaL_optinteger(L, 4, static_cast<lua_Integer>(subject.size()) + 1);
  luaL_argexpected(L,
                   replacement_type == LUA_TNUMBER || replacement_type == LUA_TSTRING ||
                       replacement_type == LUA_TFUNCTION || replacement_type == LUA_TTABLE,
                   3, "string/function/table");
  bool anchored = !pattern.empty() && pattern.front() == '^';
  if (anchored) pattern.remove_prefix(1);

  luaL_Buffer out;
  luaL_buffinit(L, &out);
  StepCounter counter(BudgetAt(L, 1));
  PatternMatcher matcher(subject, pattern, &counter);
  PatternMatch match;
  std::size_t position = 0;
  std::size_t copied = 0;  // subject[copied, position) is still to be appended unchanged
  std::size_t last_match_end = kNoPosition;
  lua_Integer replacements = 0;
  bool changed = false;
  while (replacements < max_replacements) {
    // An empty match where the previous match ended would repeat it.
    if (matcher.MatchAt(position, &match) && match.end != last_match_end) {
      ++replacements;
      luaL_addlstring(&out, subject.data() + copied, position - copied);
      changed = AddReplacement(L, &out, subject, match, replacement_type) || changed;
      position = copied = last_match_end = match.end;
    } else if (position < subject.size()) {
      position = anchored ? position + 1 : std::min(matcher.NextCandidate(position + 1), subject.size());
    } else {
      break;
    }
    if (anchored) break;
  }
  if (changed) {
    luaL_addlstring(&out, subject.data() + copied, subject.size() - copied);
    luaL_pushresult(&out);
  } else {
    lua_pushvalue(L, 1);  // the very same string
  }
  lua_pushinteger(L, replacements);
  return 2;
}

// Sets the four functions in the table at the top of the stack.
void InstallInto(lua_State* L, PatternBudget* budget) {
  struct Entry {
    const char* name;
    lua_CFunction function;
  };
  static constexpr Entry kEntries[] = {
      {"find", LuaFunction<Find>},
      {"match", LuaFunction<Match>},
      {"gmatch", LuaFunction<Gmatch>},
      {"gsub", LuaFunction<Gsub>},
  };
  for (const Entry& entry : kEntries) {
    lua_pushstring(L, entry.name);
    lua_pushlightuserdata(L, budget);
    lua_pushcclosure(L, entry.function, 1);
    lua_rawset(L, -3);
  }
}

}  // namespace

void InstallSafeStringMatching(lua_State* L, PatternBudget* budget) {
  int top = lua_gettop(L);
  // Raw reads and writes only: nothing here may run a metamethod (this runs
  // outside any protected call).
  lua_pushglobaltable(L);
  lua_pushliteral(L, "string");
  lua_rawget(L, -2);
  int global_table = lua_gettop(L);
  if (lua_istable(L, global_table)) InstallInto(L, budget);
  // Method calls go through the string metatable's __index; should it not
  // be the global table, it gets the replacements as well.
  lua_pushliteral(L, "");
  if (lua_getmetatable(L, -1)) {
    lua_pushliteral(L, "__index");
    lua_rawget(L, -2);
    if (lua_istable(L, -1) && !lua_rawequal(L, -1, global_table)) InstallInto(L, budget);
  }
  lua_settop(L, top);
}

}  // namespace syllo::scripting

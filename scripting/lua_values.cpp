#include "scripting/lua_values.h"

#include <cmath>
#include <limits>

#include <lua5.4/lua.hpp>

namespace syllo::scripting {

using engine::Value;
using engine::ValueKind;

Status PushValue(lua_State* L, const Value& v) {
  switch (v.kind()) {
    case ValueKind::kNone: lua_pushnil(L); return Status();
    case ValueKind::kInt: lua_pushinteger(L, v.as_int()); return Status();
    case ValueKind::kFloat: lua_pushnumber(L, v.as_float()); return Status();
    case ValueKind::kBool: lua_pushboolean(L, v.as_bool()); return Status();
    case ValueKind::kSymbol:
    case ValueKind::kString: {
      std::string_view text = v.text();
      lua_pushlstring(L, text.data(), text.size());
      return Status();
    }
    case ValueKind::kTensor: return Status::InvalidArgument("a tensor value cannot be passed to Lua");
    case ValueKind::kFact: return Status::InvalidArgument("a fact handle cannot be passed to Lua");
  }
  return Status::Internal("unknown value kind");
}

namespace {

std::string LuaTypeName(lua_State* L, int index) {
  if (lua_type(L, index) == LUA_TNUMBER) return lua_isinteger(L, index) ? "an integer" : "a float";
  std::string name = luaL_typename(L, index);
  return (name == "nil" ? "" : "a ") + name;
}

Status Mismatch(lua_State* L, int index, const engine::ColumnType& type, const std::string& what) {
  return Status::InvalidArgument(what + " must be " + type.ToString() + ", got " + LuaTypeName(L, index));
}

}  // namespace

Result<Value> ToValue(lua_State* L, int index, const engine::ColumnType& type, const std::string& what) {
  int t = lua_type(L, index);
  switch (type.kind) {
    case ValueKind::kInt:
      if (t == LUA_TNUMBER) {
        if (lua_isinteger(L, index)) return Value::Int(lua_tointeger(L, index));
        double d = lua_tonumber(L, index);
        // 2^63 is the first double past the int64 range.
        if (std::floor(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
          return Value::Int(static_cast<std::int64_t>(d));
        }
        return Status::InvalidArgument(what + " must be int, got the float " + std::to_string(d));
      }
      break;
    case ValueKind::kFloat:
      if (t == LUA_TNUMBER) return Value::Float(lua_tonumber(L, index));
      break;
    case ValueKind::kBool:
      if (t == LUA_TBOOLEAN) return Value::Bool(lua_toboolean(L, index) != 0);
      break;
    case ValueKind::kSymbol:
    case ValueKind::kString:
      if (t == LUA_TSTRING) {
        std::size_t len = 0;
        const char* s = lua_tolstring(L, index, &len);
        std::string_view text(s, len);
        return type.kind == ValueKind::kSymbol ? Value::MakeSymbol(text) : Value::MakeString(text);
      }
      break;
    default:
      return Status::InvalidArgument(what + " is " + type.ToString() + ": such values cannot come from Lua");
  }
  return Mismatch(L, index, type, what);
}

}  // namespace syllo::scripting

// Conversions between engine values and Lua values.
//
// Engine -> Lua: int -> integer, float -> float, bool -> boolean, symbol and
// string -> string (a pack sees both as text). Lua -> engine goes by the
// declared column type, so "ann" becomes a symbol in a symbol column and a
// string in a string column; a value that does not fit is an error naming the
// column. Tensors do not cross into Lua.
//
// Thread safety: none beyond the lua_State's.
#pragma once

#include <string>

#include "engine/column_type.h"
#include "engine/value.h"
#include "syllo/status.h"

struct lua_State;

namespace syllo::scripting {

// Pushes `v`; a tensor or a fact handle is an error (nothing is pushed).
Status PushValue(lua_State* L, const engine::Value& v);

// The Lua value at `index` as a value of column type `type`. `what` names the
// place for the error ("output 2 (dist: float) of predicate 'near'").
Result<engine::Value> ToValue(lua_State* L, int index, const engine::ColumnType& type, const std::string& what);

}  // namespace syllo::scripting

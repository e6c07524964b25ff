// Conversions between the API's Value and the engine's.
//
// Thread safety: reentrant (interning locks the global symbol table).
#pragma once

#include <vector>

#include "engine/column_type.h"
#include "engine/symbol_table.h"
#include "engine/value.h"
#include "syllo/status.h"
#include "syllo/value.h"

namespace syllo {

Value FromEngine(const engine::Value& v);
// A value for a column of type `column`: a string given for a symbol column is
// that symbol (and a symbol for a string column that string), as JSON has only
// strings.
// Strings and symbols are interned held by `scope` (a session's: released
// when it ends, see engine/symbol_table.h), or for good when it is null.
engine::Value ToEngine(const Value& v, const engine::ColumnType& column, engine::SymbolScope* scope);
// Without a column type (a goal's argument).
engine::Value ToEngine(const Value& v, engine::SymbolScope* scope);

}  // namespace syllo

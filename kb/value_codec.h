// How Values are checked, stored in SQLite, and written as text.
//
//   column type   SQLite           text (CSV cell)            JSON
//   int           INTEGER          42                         42
//   float         REAL (finite)    1.5                        1.5
//   bool          INTEGER 0/1      true / false (1 / 0 read)  true / false
//   symbol        TEXT (non-empty) tshirt                     "tshirt"
//   string        TEXT             any text                   "any text"
//   tensor[d...]  BLOB, float32    [[1,2],[3,4]]              [[1,2],[3,4]]
//                 little-endian,
//                 row-major
//
// Floats are written in the shortest form that reads back to the same bits, so
// export followed by import is exact. NaN and infinities are refused: SQLite stores
// a NaN as NULL and JSON has no spelling for either.
//
// Error messages here carry no position; the caller (CSV, JSON lines) adds it.
//
// Thread safety: pure functions (tensors are interned in the locked TensorPool).
#pragma once

#include <string>
#include <string_view>

#include "engine/column_type.h"
#include "engine/fact.h"
#include "engine/value.h"
#include "kb/sqlite_handle.h"
#include "syllo/status.h"

namespace syllo::kb {

// The SQLite declaration of a column's values (type and constraint).
std::string SqlColumnDefinition(const engine::Column& column);

// Checks `v` against the column (kind, finite float, non-empty symbol, tensor
// shape) and widens an int in a float column. The message names no position.
Status CheckValue(const engine::ColumnType& type, engine::Value& v);
// Certainties lie in [-1, 1]: 1 is certain, negative values are evidence against
// (certainty factors).
Status CheckCertainty(double cf);

Status BindValue(Statement& stmt, int index, const engine::ColumnType& type, engine::Value v);
// Reads a stored value back; a value of the wrong storage class or size is Corruption.
Result<engine::Value> ReadValue(const Statement& stmt, int col, const engine::ColumnType& type);

// Text cells (CSV).
Result<engine::Value> ParseTextValue(const engine::ColumnType& type, std::string_view text);
std::string FormatTextValue(const engine::ColumnType& type, engine::Value v);

// Shortest round-trip spelling of a double, always with '.' or 'e' ("1.0", "2.5e-08").
std::string FormatDouble(double v);
// Parses the whole of `text` as a finite double; false otherwise.
bool ParseFiniteDouble(std::string_view text, double* out);

}  // namespace syllo::kb

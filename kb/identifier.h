// Identifiers that become SQL names: relation and column names are validated
// against [a-z_][a-z0-9_]* before they reach SQL, and are always quoted when
// they do. No other user text is ever spliced into SQL (values are bound).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "syllo/status.h"

namespace syllo::kb {

inline constexpr std::size_t kMaxIdentifierLength = 64;
// Internal tables start with this; a relation may not, so it can never shadow one.
inline constexpr std::string_view kReservedPrefix = "syllo_";

// A relation name: an identifier not starting with "syllo_".
Status ValidateRelationName(std::string_view name);
// A column name: an identifier not starting with '_' (internal columns such as
// _cf and _origin do).
Status ValidateColumnName(std::string_view relation, std::string_view name);

// "name" with embedded quotes doubled. REQUIRES: validated (kept for defence in depth).
std::string QuoteIdentifier(std::string_view name);
// The quoted table that stores a relation: "rel_<name>".
std::string RelationTable(std::string_view relation);

}  // namespace syllo::kb

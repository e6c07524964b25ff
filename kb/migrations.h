// Schema migrations. The schema version lives in `PRAGMA user_version`; each
// migration moves it up by one. Opening a KB applies the pending migrations in
// order, all inside one transaction, so a KB is never left between versions. A KB
// whose version is newer than this binary knows is refused, never guessed at.
//
// Thread safety: none (operates on one Database).
#pragma once

#include <string>
#include <vector>

#include "kb/sqlite_handle.h"

namespace syllo::kb {

struct Migration {
  int version;          // the user_version after it has run
  std::string summary;  // one line, shown nowhere but useful when reading this list
  std::string sql;      // DDL only; no user text
};

// The list, ascending by version. Append only: a released migration never changes.
const std::vector<Migration>& Migrations();
// The version this binary creates and understands.
int LatestSchemaVersion();

Result<int> ReadSchemaVersion(Database& db);
// Brings the schema to `target` (default: the latest). Fails without change if the
// KB is newer than the binary or `target` is below the KB's version.
Status Migrate(Database& db, int target = -1);

}  // namespace syllo::kb

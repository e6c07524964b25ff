#include "kb/migrations.h"

namespace syllo::kb {

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kList = {
      {1, "catalog of relations and their typed columns",
       "CREATE TABLE syllo_relations ("
       "  name TEXT PRIMARY KEY NOT NULL,"
       "  signature TEXT NOT NULL,"
       "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
       ") WITHOUT ROWID;"
       "CREATE TABLE syllo_columns ("
       "  relation TEXT NOT NULL REFERENCES syllo_relations(name),"
       "  position INTEGER NOT NULL,"
       "  name TEXT NOT NULL,"
       "  type TEXT NOT NULL,"
       "  PRIMARY KEY (relation, position),"
       "  UNIQUE (relation, name)"
       ") WITHOUT ROWID;"},
      {2, "catalog of loaded rule packs with their source and its hash",
       "CREATE TABLE syllo_packs ("
       "  name TEXT PRIMARY KEY NOT NULL,"
       "  path TEXT NOT NULL,"
       "  source TEXT NOT NULL,"
       "  hash TEXT NOT NULL,"
       "  loaded_at TEXT NOT NULL"
       ");"},
      {3, "justifications of derived facts: the rule and the facts it matched",
       "CREATE TABLE syllo_justifications ("
       "  id INTEGER PRIMARY KEY,"
       "  relation TEXT NOT NULL,"
       "  fact TEXT NOT NULL,"
       "  rule TEXT NOT NULL,"
       "  location TEXT NOT NULL,"
       "  certainty REAL NOT NULL,"
       "  premises TEXT NOT NULL"
       ");"
       "CREATE INDEX syllo_justifications_fact ON syllo_justifications(relation, fact);"},
      {4, "the decision log of the service: request, response, pack and model versions, time",
       "CREATE TABLE syllo_decisions ("
       "  id INTEGER PRIMARY KEY,"
       "  at TEXT NOT NULL,"
       "  endpoint TEXT NOT NULL,"
       "  pack TEXT NOT NULL,"
       "  pack_version TEXT NOT NULL,"
       "  models TEXT NOT NULL,"
       "  status INTEGER NOT NULL,"
       "  elapsed_ms REAL NOT NULL,"
       "  request TEXT NOT NULL,"
       "  response TEXT NOT NULL"
       ");"
       "CREATE INDEX syllo_decisions_at ON syllo_decisions(at);"},
      {5, "the model registry: each version's design, data, metrics and weights",
       "CREATE TABLE syllo_models ("
       "  name TEXT NOT NULL,"
       "  version INTEGER NOT NULL,"
       "  architecture TEXT NOT NULL,"
       "  design TEXT NOT NULL,"
       "  labels TEXT NOT NULL,"
       "  normalization TEXT NOT NULL,"
       "  dataset TEXT NOT NULL,"
       "  metrics TEXT NOT NULL,"
       "  parent_version INTEGER,"
       "  quantized INTEGER NOT NULL DEFAULT 0,"
       "  quantization TEXT NOT NULL DEFAULT '{}',"
       "  created_at TEXT NOT NULL,"
       "  weights BLOB NOT NULL,"
       "  weights_hash TEXT NOT NULL,"
       "  PRIMARY KEY (name, version)"
       ");"},
  };
  return kList;
}

int LatestSchemaVersion() { return Migrations().back().version; }

Result<int> ReadSchemaVersion(Database& db) {
  Result<std::int64_t> v = db.QueryInt("PRAGMA user_version");
  if (!v.ok()) return v.status();
  return static_cast<int>(*v);
}

Status Migrate(Database& db, int target) {
  if (target < 0) target = LatestSchemaVersion();
  Result<std::unique_ptr<TransactionScope>> tx = TransactionScope::Begin(db);
  if (!tx.ok()) return tx.status();
  // Read inside the transaction: another process may have migrated meanwhile.
  Result<int> current = ReadSchemaVersion(db);
  if (!current.ok()) return current.status();
  if (*current > LatestSchemaVersion()) {
    return Status::InvalidArgument("knowledge base " + db.path() + " has schema version " +
                                   std::to_string(*current) + ", newer than this syllo understands (" +
                                   std::to_string(LatestSchemaVersion()) + "); use a newer syllo");
  }
  if (*current > target) {
    return Status::InvalidArgument("knowledge base " + db.path() + " has schema version " +
                                   std::to_string(*current) + ", above the requested " + std::to_string(target));
  }
  if (*current == target) return Status::Ok();  // the scope rolls back an empty transaction
  for (const Migration& m : Migrations()) {
    if (m.version <= *current || m.version > target) continue;
    if (Status s = db.Exec(m.sql); !s.ok()) {
      return Status(s.code(), "migrating " + db.path() + " to schema version " + std::to_string(m.version) +
                                  ": " + s.message());
    }
  }
  // user_version is part of the database header, so this is transactional too.
  if (Status s = db.Exec("PRAGMA user_version = " + std::to_string(target)); !s.ok()) return s;
  return (*tx)->Commit();
}

}  // namespace syllo::kb

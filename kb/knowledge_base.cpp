#include "kb/knowledge_base.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "kb/fact_io.h"
#include "kb/fnv_hash.h"
#include "kb/identifier.h"
#include "kb/migrations.h"
#include "kb/sqlite_handle.h"
#include "kb/value_codec.h"

namespace syllo::kb {

namespace {

using engine::Column;
using engine::Origin;
using engine::Value;

std::string ColumnList(const std::vector<Column>& columns) {
  std::string s;
  for (const Column& c : columns) s += QuoteIdentifier(c.name) + ", ";
  return s;
}

// The key of the relation's UNIQUE constraint: its value columns, or for a
// relation of no columns a constant one, so that it still holds at most one fact.
std::string ConflictTarget(const std::vector<Column>& columns) {
  if (columns.empty()) return "_unit";
  std::string s;
  for (std::size_t i = 0; i < columns.size(); ++i) s += (i ? ", " : "") + QuoteIdentifier(columns[i].name);
  return s;
}

std::string CreateTableSql(const std::string& name, const std::vector<Column>& columns) {
  std::string sql = "CREATE TABLE " + RelationTable(name) + " (_id INTEGER PRIMARY KEY, ";
  for (const Column& c : columns) sql += SqlColumnDefinition(c) + ", ";
  if (columns.empty()) sql += "_unit INTEGER NOT NULL DEFAULT 0 CHECK (_unit = 0), ";
  sql += "_cf REAL NOT NULL CHECK (_cf BETWEEN -1 AND 1), ";
  sql += "_origin TEXT NOT NULL CHECK (_origin IN ('asserted', 'derived', 'user', 'model')), ";
  sql += "UNIQUE (" + ConflictTarget(columns) + "))";
  return sql;
}

std::string InsertSql(const RelationInfo& r) {
  std::string sql = "INSERT INTO " + RelationTable(r.name) + " (" + ColumnList(r.columns) + "_cf, _origin) VALUES (";
  for (std::size_t i = 0; i < r.columns.size() + 2; ++i) sql += i ? ", ?" : "?";
  sql += ") ON CONFLICT (" + ConflictTarget(r.columns) + ") DO UPDATE SET _cf = excluded._cf, _origin = excluded._origin";
  return sql;
}

std::string SelectSql(const RelationInfo& r) {
  return "SELECT " + ColumnList(r.columns) + "_cf, _origin FROM " + RelationTable(r.name) + " ORDER BY _id";
}

Status CheckDeclaration(const std::string& name, const std::vector<Column>& columns) {
  if (Status s = ValidateRelationName(name); !s.ok()) return s;
  if (columns.size() > engine::kMaxColumns) {
    return Status::InvalidArgument("relation " + name + " has " + std::to_string(columns.size()) +
                                   " columns; at most " + std::to_string(engine::kMaxColumns) + " are allowed");
  }
  std::set<std::string> names;
  for (const Column& c : columns) {
    if (Status s = ValidateColumnName(name, c.name); !s.ok()) return s;
    if (!names.insert(c.name).second) {
      return Status::InvalidArgument("relation " + name + " has two columns named " + c.name);
    }
    engine::ColumnType parsed;
    if (c.type.kind == engine::ValueKind::kNone || !engine::ParseColumnType(c.type.ToString(), &parsed) ||
        parsed != c.type) {
      return Status::InvalidArgument("column " + c.name + " of relation " + name + " has no valid type");
    }
  }
  return Status::Ok();
}

// Reads one stored row (values, then _cf and _origin) from a SELECT made by SelectSql.
Status ReadRow(const Statement& stmt, const RelationInfo& r, FactRow& row) {
  row.values.resize(r.columns.size());
  for (std::size_t i = 0; i < r.columns.size(); ++i) {
    Result<Value> v = ReadValue(stmt, static_cast<int>(i), r.columns[i].type);
    if (!v.ok()) return Status::Corruption(r.name + "." + r.columns[i].name + ": " + v.status().message());
    row.values[i] = *v;
  }
  int n = static_cast<int>(r.columns.size());
  row.certainty = stmt.ColumnDouble(n);
  if (!engine::ParseOrigin(stmt.ColumnText(n + 1), &row.origin)) {
    return Status::Corruption(r.name + ": stored origin '" + std::string(stmt.ColumnText(n + 1)) + "' is unknown");
  }
  return Status::Ok();
}

}  // namespace

// ---- Opening -------------------------------------------------------------------

KnowledgeBase::KnowledgeBase(std::unique_ptr<Database> db, std::string path, bool read_only)
    : db_(std::move(db)), path_(std::move(path)), read_only_(read_only) {}

KnowledgeBase::~KnowledgeBase() = default;

Result<std::unique_ptr<KnowledgeBase>> KnowledgeBase::Open(const std::string& path, OpenMode mode,
                                                           const OpenOptions& options) {
  std::error_code ec;
  if (mode != OpenMode::kCreate && !std::filesystem::exists(path, ec)) {
    return Status::NotFound("knowledge base " + path + " does not exist");
  }
  OpenFlags flags = mode == OpenMode::kCreate      ? OpenFlags::kReadWriteCreate
                    : mode == OpenMode::kReadWrite ? OpenFlags::kReadWrite
                                                   : OpenFlags::kReadOnly;
  Result<std::unique_ptr<Database>> db = Database::Open(path, flags, options.vfs);
  if (!db.ok()) return db.status();
  Database& d = **db;

  // The first read also tells whether the file is a database at all.
  Result<int> version = ReadSchemaVersion(d);
  if (!version.ok()) {
    return Status(version.status().code(), "cannot read knowledge base " + path + ": " + version.status().message());
  }
  if (*version == 0) {
    // A fresh file has no tables; some other program's database has some and no version.
    Result<std::int64_t> tables = d.QueryInt("SELECT count(*) FROM sqlite_master");
    if (!tables.ok()) return tables.status();
    if (*tables > 0) {
      return Status::InvalidArgument(path + " is a SQLite database but not a Syllo knowledge base "
                                            "(it has tables and no schema version)");
    }
  }
  if (*version > LatestSchemaVersion()) {
    return Status::InvalidArgument("knowledge base " + path + " has schema version " + std::to_string(*version) +
                                   ", newer than this syllo understands (" + std::to_string(LatestSchemaVersion()) +
                                   "); use a newer syllo");
  }

  if (mode == OpenMode::kReadOnly) {
    if (*version != LatestSchemaVersion()) {
      return Status::InvalidArgument("knowledge base " + path + " has schema version " + std::to_string(*version) +
                                     " and needs migrating to " + std::to_string(LatestSchemaVersion()) +
                                     "; open it for writing once");
    }
  } else {
    // WAL: readers do not block the writer, and a commit is one append. FULL
    // syncs the WAL at each commit, so a committed batch survives power loss too.
    if (Status s = d.Exec("PRAGMA journal_mode = WAL"); !s.ok()) return s;
    if (Status s = d.Exec("PRAGMA synchronous = FULL"); !s.ok()) return s;
    if (*version < LatestSchemaVersion()) {
      if (Status s = Migrate(d); !s.ok()) return s;
    }
  }
  if (Status s = d.Exec("PRAGMA foreign_keys = ON"); !s.ok()) return s;
  return std::unique_ptr<KnowledgeBase>(new KnowledgeBase(std::move(*db), path, mode == OpenMode::kReadOnly));
}

Status KnowledgeBase::InTransaction(const std::function<Status()>& body) {
  Result<std::unique_ptr<TransactionScope>> tx = TransactionScope::Begin(*db_);
  if (!tx.ok()) return tx.status();
  if (Status s = body(); !s.ok()) return s;  // the scope rolls back
  return (*tx)->Commit();
}

// ---- Relations -----------------------------------------------------------------

Result<RelationInfo> KnowledgeBase::GetRelation(const std::string& name, bool count_facts) {
  return Describe(name, count_facts);
}

Result<RelationInfo> KnowledgeBase::Describe(const std::string& name, bool count_facts) {
  Result<Statement*> exists = db_->Prepare("SELECT count(*) FROM syllo_relations WHERE name = ?");
  if (!exists.ok()) return exists.status();
  if (Status s = (*exists)->BindText(1, name); !s.ok()) return s;
  Result<bool> row = (*exists)->Step();
  if (!row.ok()) return row.status();
  bool found = (*exists)->ColumnInt(0) > 0;
  (*exists)->Reset();
  if (!found) return Status::NotFound("relation " + name + " is not declared in " + path_);

  RelationInfo info;
  info.name = name;
  Result<Statement*> cols = db_->Prepare("SELECT name, type FROM syllo_columns WHERE relation = ? ORDER BY position");
  if (!cols.ok()) return cols.status();
  if (Status s = (*cols)->BindText(1, name); !s.ok()) return s;
  while (true) {
    Result<bool> r = (*cols)->Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
    Column c;
    c.name = std::string((*cols)->ColumnText(0));
    std::string type((*cols)->ColumnText(1));
    if (!engine::ParseColumnType(type, &c.type)) {
      (*cols)->Reset();
      return Status::Corruption("relation " + name + ": stored column type '" + type + "' is unknown");
    }
    info.columns.push_back(std::move(c));
  }
  info.signature = engine::DescribeSignature(name, info.columns);
  if (count_facts) {
    Result<std::int64_t> count = db_->QueryInt("SELECT count(*) FROM " + RelationTable(name));
    if (!count.ok()) return count.status();
    info.fact_count = *count;
  }
  return info;
}

Status KnowledgeBase::DeclareRelation(const std::string& name, std::vector<Column> columns) {
  if (Status s = CheckDeclaration(name, columns); !s.ok()) return s;
  Result<RelationInfo> stored = Describe(name, false);
  if (stored.ok()) {
    if (stored->columns == columns) return Status::Ok();
    return Status::AlreadyExists("relation " + engine::DescribeSignature(name, columns) + " conflicts with " +
                                 stored->signature + " stored in " + path_);
  }
  if (stored.status().code() != StatusCode::kNotFound) return stored.status();

  return InTransaction([&]() -> Status {
    if (Status s = db_->Exec(CreateTableSql(name, columns)); !s.ok()) return s;
    Result<Statement*> rel = db_->Prepare("INSERT INTO syllo_relations (name, signature) VALUES (?, ?)");
    if (!rel.ok()) return rel.status();
    if (Status s = (*rel)->BindText(1, name); !s.ok()) return s;
    if (Status s = (*rel)->BindText(2, engine::DescribeSignature(name, columns)); !s.ok()) return s;
    if (Status s = (*rel)->Run(); !s.ok()) return s;
    Result<Statement*> col =
        db_->Prepare("INSERT INTO syllo_columns (relation, position, name, type) VALUES (?, ?, ?, ?)");
    if (!col.ok()) return col.status();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      (*col)->Reset();
      if (Status s = (*col)->BindText(1, name); !s.ok()) return s;
      if (Status s = (*col)->BindInt(2, static_cast<std::int64_t>(i)); !s.ok()) return s;
      if (Status s = (*col)->BindText(3, columns[i].name); !s.ok()) return s;
      if (Status s = (*col)->BindText(4, columns[i].type.ToString()); !s.ok()) return s;
      if (Status s = (*col)->Run(); !s.ok()) return s;
    }
    return Status::Ok();
  });
}

Result<std::vector<RelationInfo>> KnowledgeBase::Relations() { return Catalog(true); }

Result<std::vector<RelationInfo>> KnowledgeBase::Catalog(bool count) {
  std::vector<std::string> names;
  Result<Statement*> stmt = db_->Prepare("SELECT name FROM syllo_relations ORDER BY name");
  if (!stmt.ok()) return stmt.status();
  while (true) {
    Result<bool> r = (*stmt)->Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
    names.emplace_back((*stmt)->ColumnText(0));
  }
  std::vector<RelationInfo> out;
  for (const std::string& name : names) {
    Result<RelationInfo> info = Describe(name, count);
    if (!info.ok()) return info.status();
    out.push_back(std::move(*info));
  }
  return out;
}

// ---- Packs ---------------------------------------------------------------------

Status KnowledgeBase::RecordPack(const std::string& name, const std::string& path, const std::string& source_text) {
  if (name.empty()) return Status::InvalidArgument("a rule pack needs a name");
  return InTransaction([&]() -> Status {
    Result<Statement*> stmt = db_->Prepare(
        "INSERT INTO syllo_packs (name, path, source, hash, loaded_at) "
        "VALUES (?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) "
        "ON CONFLICT (name) DO UPDATE SET path = excluded.path, source = excluded.source, "
        "hash = excluded.hash, loaded_at = excluded.loaded_at");
    if (!stmt.ok()) return stmt.status();
    if (Status s = (*stmt)->BindText(1, name); !s.ok()) return s;
    if (Status s = (*stmt)->BindText(2, path); !s.ok()) return s;
    if (Status s = (*stmt)->BindText(3, source_text); !s.ok()) return s;
    if (Status s = (*stmt)->BindText(4, Fnv1a64Hex(source_text)); !s.ok()) return s;
    return (*stmt)->Run();
  });
}

Result<std::vector<PackInfo>> KnowledgeBase::Packs() {
  Result<Statement*> stmt =
      db_->Prepare("SELECT name, path, hash, loaded_at, length(CAST(source AS BLOB)) FROM syllo_packs ORDER BY name");
  if (!stmt.ok()) return stmt.status();
  std::vector<PackInfo> out;
  while (true) {
    Result<bool> r = (*stmt)->Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
    out.push_back({std::string((*stmt)->ColumnText(0)), std::string((*stmt)->ColumnText(1)),
                   std::string((*stmt)->ColumnText(2)), std::string((*stmt)->ColumnText(3)), (*stmt)->ColumnInt(4)});
  }
  return out;
}

// ---- Facts ---------------------------------------------------------------------

Status KnowledgeBase::InsertRow(const RelationInfo& relation, std::span<Value> values, double certainty,
                                Origin origin) {
  if (values.size() != relation.columns.size()) {
    return Status::InvalidArgument(relation.name + " takes " + std::to_string(relation.columns.size()) +
                                   " values, got " + std::to_string(values.size()));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (Status s = CheckValue(relation.columns[i].type, values[i]); !s.ok()) {
      return Status::InvalidArgument("column " + relation.columns[i].name + " of " + relation.name + ": " +
                                     s.message());
    }
  }
  if (Status s = CheckCertainty(certainty); !s.ok()) return Status::InvalidArgument(relation.name + ": " + s.message());
  Result<Statement*> stmt = db_->Prepare(InsertSql(relation));
  if (!stmt.ok()) return stmt.status();
  int index = 1;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (Status s = BindValue(**stmt, index++, relation.columns[i].type, values[i]); !s.ok()) return s;
  }
  if (Status s = (*stmt)->BindDouble(index++, certainty); !s.ok()) return s;
  if (Status s = (*stmt)->BindText(index, engine::OriginName(origin)); !s.ok()) return s;
  return (*stmt)->Run();
}

Status KnowledgeBase::InsertFacts(const std::string& relation, std::span<const FactRow> rows) {
  Result<RelationInfo> info = Describe(relation, false);
  if (!info.ok()) return info.status();
  return InTransaction([&]() -> Status {
    std::vector<Value> values;
    for (const FactRow& row : rows) {
      values = row.values;  // CheckValue may widen ints in float columns
      if (Status s = InsertRow(*info, values, row.certainty, row.origin); !s.ok()) return s;
    }
    return Status::Ok();
  });
}

Result<std::int64_t> KnowledgeBase::CountFacts(const std::string& relation) {
  Result<RelationInfo> info = GetRelation(relation);
  if (!info.ok()) return info.status();
  return info->fact_count;
}

Status KnowledgeBase::ForEachRow(const std::string& relation, const std::function<void(const FactRow&)>& f) {
  Result<RelationInfo> info = Describe(relation, false);
  if (!info.ok()) return info.status();
  Result<Statement*> stmt = db_->Prepare(SelectSql(*info));
  if (!stmt.ok()) return stmt.status();
  FactRow row;
  while (true) {
    Result<bool> more = (*stmt)->Step();
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (Status s = ReadRow(**stmt, *info, row); !s.ok()) {
      (*stmt)->Reset();
      return s;
    }
    f(row);
  }
  return Status::Ok();
}

Result<std::vector<FactRow>> KnowledgeBase::Facts(const std::string& relation) {
  std::vector<FactRow> rows;
  if (Status s = ForEachRow(relation, [&](const FactRow& row) { rows.push_back(row); }); !s.ok()) return s;
  return rows;
}

Status KnowledgeBase::LoadInto(engine::WorkingMemory& wm) { return LoadInto(wm, {}); }

Status KnowledgeBase::LoadInto(engine::WorkingMemory& wm, const std::vector<std::string>& skip) {
  // One read transaction, so the facts loaded are one consistent snapshot.
  Result<std::unique_ptr<TransactionScope>> snapshot = TransactionScope::Begin(*db_, TransactionScope::Kind::kRead);
  if (!snapshot.ok()) return snapshot.status();
  Status loaded = [&]() -> Status {
    // No fact counts: a skipped relation may be too large to scan.
    Result<std::vector<RelationInfo>> relations = Catalog(false);
    if (!relations.ok()) return relations.status();
    FactRow row;
    for (const RelationInfo& r : *relations) {
      Result<engine::RelationId> id = wm.Declare(r.name, r.columns);
      if (!id.ok()) return id.status();
      if (std::find(skip.begin(), skip.end(), r.name) != skip.end()) continue;  // declared, left empty
      engine::Relation& rel = wm.at(*id);
      Result<Statement*> stmt = db_->Prepare(SelectSql(r));
      if (!stmt.ok()) return stmt.status();
      while (true) {
        Result<bool> more = (*stmt)->Step();
        if (!more.ok()) return more.status();
        if (!*more) break;
        if (Status s = ReadRow(**stmt, r, row); !s.ok()) {
          (*stmt)->Reset();
          return s;
        }
        if (Status s = rel.Conform(row.values); !s.ok()) {
          (*stmt)->Reset();
          return Status::Corruption(s.message());
        }
        engine::Relation::InsertResult ins = rel.Insert(row.values, row.certainty, row.origin);
        if (!ins.inserted) {
          rel.set_certainty(ins.id, row.certainty);
          rel.set_origin(ins.id, row.origin);
        }
      }
    }
    return Status::Ok();
  }();
  if (!loaded.ok()) return loaded;
  return (*snapshot)->Commit();
}

Status KnowledgeBase::SaveFrom(const engine::WorkingMemory& wm, const SaveOptions& options) {
  std::vector<const engine::Relation*> chosen;
  if (options.relations.empty()) {
    for (engine::RelationId id = 0; id < wm.relation_count(); ++id) chosen.push_back(&wm.at(id));
  } else {
    for (const std::string& name : options.relations) {
      const engine::Relation* r = wm.Get(name);
      if (r == nullptr) return Status::NotFound("relation " + name + " is not in the working memory");
      chosen.push_back(r);
    }
  }
  auto wanted = [&](Origin o) {
    return options.origins.empty() || std::find(options.origins.begin(), options.origins.end(), o) !=
                                          options.origins.end();
  };
  return InTransaction([&]() -> Status {
    std::vector<Value> values;
    for (const engine::Relation* r : chosen) {
      if (Status s = DeclareRelation(r->name(), r->columns()); !s.ok()) return s;
      Result<RelationInfo> info = Describe(r->name(), false);
      if (!info.ok()) return info.status();
      Status failed;
      r->ForEach([&](engine::FactId id) {
        if (!failed.ok() || !wanted(r->origin(id))) return;
        values.assign(r->row(id).begin(), r->row(id).end());
        failed = InsertRow(*info, values, r->certainty(id), r->origin(id));
      });
      if (!failed.ok()) return failed;
    }
    return Status::Ok();
  });
}

// ---- Justifications ----------------------------------------------------------------

Status KnowledgeBase::SaveJustifications(std::span<const JustificationRow> rows) {
  return InTransaction([&]() -> Status {
    // Earlier rows of the facts saved now go. A relation with none stored yet
    // (the common first save) skips the per-fact deletes.
    std::string last_relation, last_fact;
    bool relation_has_rows = false;
    for (const JustificationRow& row : rows) {
      if (row.relation != last_relation) {
        auto any = db_->Prepare("SELECT EXISTS (SELECT 1 FROM syllo_justifications WHERE relation = ?1)");
        if (!any.ok()) return any.status();
        if (Status s = (*any)->BindText(1, row.relation); !s.ok()) return s;
        auto stepped = (*any)->Step();
        if (!stepped.ok()) return stepped.status();
        relation_has_rows = *stepped && (*any)->ColumnInt(0) != 0;
        last_fact.clear();
      }
      if (!relation_has_rows || (row.relation == last_relation && row.fact == last_fact)) {
        last_relation = row.relation;
        continue;
      }
      last_relation = row.relation;
      last_fact = row.fact;
      auto stmt = db_->Prepare("DELETE FROM syllo_justifications WHERE relation = ?1 AND fact = ?2");
      if (!stmt.ok()) return stmt.status();
      if (Status s = (*stmt)->BindText(1, row.relation); !s.ok()) return s;
      if (Status s = (*stmt)->BindText(2, row.fact); !s.ok()) return s;
      if (Status s = (*stmt)->Run(); !s.ok()) return s;
    }
    for (const JustificationRow& row : rows) {
      auto stmt = db_->Prepare(
          "INSERT INTO syllo_justifications (relation, fact, rule, location, certainty, premises) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
      if (!stmt.ok()) return stmt.status();
      nlohmann::json premises = row.premises;
      Statement& st = **stmt;
      for (Status s : {st.BindText(1, row.relation), st.BindText(2, row.fact), st.BindText(3, row.rule),
                       st.BindText(4, row.location), st.BindDouble(5, row.certainty),
                       st.BindText(6, premises.dump())}) {
        if (!s.ok()) return s;
      }
      if (Status s = st.Run(); !s.ok()) return s;
    }
    return Status::Ok();
  });
}

Result<std::vector<JustificationRow>> KnowledgeBase::Justifications(const std::string& relation,
                                                                     const std::string& fact) {
  auto stmt = db_->Prepare(
      "SELECT relation, fact, rule, location, certainty, premises FROM syllo_justifications "
      "WHERE relation = ?1 AND (?2 = '' OR fact = ?2) ORDER BY id");
  if (!stmt.ok()) return stmt.status();
  Statement& st = **stmt;
  if (Status s = st.BindText(1, relation); !s.ok()) return s;
  if (Status s = st.BindText(2, fact); !s.ok()) return s;
  std::vector<JustificationRow> out;
  for (;;) {
    auto more = st.Step();
    if (!more.ok()) return more.status();
    if (!*more) break;
    JustificationRow row;
    row.relation = std::string(st.ColumnText(0));
    row.fact = std::string(st.ColumnText(1));
    row.rule = std::string(st.ColumnText(2));
    row.location = std::string(st.ColumnText(3));
    row.certainty = st.ColumnDouble(4);
    auto premises = nlohmann::json::parse(st.ColumnText(5), nullptr, false);
    if (premises.is_discarded() || !premises.is_array()) {
      return Status::Corruption("a stored justification of " + row.fact + " in " + path_ + " is not a JSON list");
    }
    for (const auto& p : premises) {
      if (!p.is_string()) return Status::Corruption("a stored premise of " + row.fact + " is not text");
      row.premises.push_back(p.get<std::string>());
    }
    out.push_back(std::move(row));
  }
  return out;
}

// ---- Import and export -----------------------------------------------------------

Result<ImportResult> KnowledgeBase::Import(const std::string& relation, const std::string& file, DataFormat format,
                                           const ImportOptions& options) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + file);
  return Import(relation, in, file, format, options);
}

Result<ImportResult> KnowledgeBase::Import(const std::string& relation, std::istream& in,
                                           const std::string& source_name, DataFormat format,
                                           const ImportOptions& options) {
  Result<RelationInfo> info = Describe(relation, false);
  if (!info.ok()) return info.status();
  std::unique_ptr<FactReader> reader = MakeFactReader(format, *info, in, source_name);
  ImportResult result;
  FactRow row;
  bool done = false;
  while (!done) {
    std::uint64_t in_batch = 0;
    Status s = InTransaction([&]() -> Status {
      while (options.batch_rows == 0 || in_batch < options.batch_rows) {
        Result<bool> next = reader->Next(row);
        if (!next.ok()) return next.status();
        if (!*next) {
          done = true;
          break;
        }
        if (Status s = InsertRow(*info, row.values, row.certainty, row.origin); !s.ok()) {
          return Status(s.code(), source_name + ": " + s.message());
        }
        ++in_batch;
      }
      return Status::Ok();
    });
    if (!s.ok()) {
      if (result.batches == 0) return s;
      return Status(s.code(), s.message() + " (" + std::to_string(result.rows) + " rows of " + source_name +
                                  " were committed in earlier batches)");
    }
    if (in_batch == 0 && result.batches > 0) break;  // the previous batch ended exactly at the end
    result.rows += in_batch;
    ++result.batches;
    if (options.on_commit) options.on_commit(result.rows);
  }
  return result;
}

Status KnowledgeBase::Export(const std::string& relation, std::ostream& out, DataFormat format) {
  Result<RelationInfo> info = Describe(relation, false);
  if (!info.ok()) return info.status();
  std::unique_ptr<FactWriter> writer = MakeFactWriter(format, *info, out);
  if (Status s = ForEachRow(relation, [&](const FactRow& row) { writer->Write(row); }); !s.ok()) return s;
  out.flush();
  if (!out) return Status::IoError("writing the export of " + relation + " failed");
  return Status::Ok();
}

// ---- Inspection ------------------------------------------------------------------

Result<KbStats> KnowledgeBase::Stats() {
  KbStats stats;
  Result<int> version = ReadSchemaVersion(*db_);
  if (!version.ok()) return version.status();
  stats.schema_version = *version;
  Result<Statement*> mode = db_->Prepare("PRAGMA journal_mode");
  if (!mode.ok()) return mode.status();
  Result<bool> row = (*mode)->Step();
  if (!row.ok()) return row.status();
  if (*row) stats.journal_mode = std::string((*mode)->ColumnText(0));
  (*mode)->Reset();
  std::error_code ec;
  for (const std::string& p : {path_, path_ + "-wal"}) {
    auto size = std::filesystem::file_size(p, ec);
    if (!ec) stats.file_bytes += static_cast<std::int64_t>(size);
  }
  Result<std::vector<RelationInfo>> relations = Relations();
  if (!relations.ok()) return relations.status();
  stats.relations = std::move(*relations);
  Result<std::vector<PackInfo>> packs = Packs();
  if (!packs.ok()) return packs.status();
  stats.packs = std::move(*packs);
  return stats;
}

Status KnowledgeBase::IntegrityCheck() {
  Result<Statement*> stmt = db_->Prepare("PRAGMA integrity_check");
  if (!stmt.ok()) return stmt.status();
  std::string findings;
  while (true) {
    Result<bool> row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (!findings.empty()) findings += "; ";
    findings += (*stmt)->ColumnText(0);
  }
  if (findings == "ok") return Status::Ok();
  return Status::Corruption("integrity check of " + path_ + " failed: " + findings);
}

}  // namespace syllo::kb

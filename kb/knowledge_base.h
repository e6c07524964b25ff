// KnowledgeBase: a SQLite file that stores declared relations and their facts
// (with certainty and origin), the rule packs loaded into it, and its own schema
// version.
//
// Layout (schema version 2, see migrations.cpp):
//   syllo_relations(name, signature, created_at)   one row per relation
//   syllo_columns(relation, position, name, type)  its typed columns, in order
//   syllo_packs(name, path, source, hash, loaded_at)
//   rel_<name>(_id, <columns...>, _cf, _origin)    the facts; UNIQUE over the
//       value columns, since a relation is a set: re-inserting a fact updates
//       its certainty and origin.
//
// Every change runs inside a transaction (WAL journal, synchronous=FULL), so a
// crash leaves the file as of the last commit. Methods compose: calls made inside
// InTransaction() become one atomic change. Relation and column names are
// validated identifiers and always quoted; values are always bound.
//
// Thread safety: none; a KnowledgeBase belongs to one thread. Several processes
// may open the same file (SQLite locks; a writer waits up to 5 s for another).
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "engine/column_type.h"
#include "engine/fact.h"
#include "engine/value.h"
#include "engine/working_memory.h"
#include "kb/data_format.h"
#include "syllo/status.h"

namespace syllo::kb {

class Database;

enum class OpenMode {
  kCreate,     // read-write; the file is created (and given the schema) if missing
  kReadWrite,  // read-write; the file must exist
  kReadOnly,   // the file must exist and be at the latest schema version
};

struct OpenOptions {
  // The SQLite VFS to use (empty: the default). The fault-injection seam for tests.
  std::string vfs;
};

struct RelationInfo {
  std::string name;
  std::vector<engine::Column> columns;
  std::string signature;  // engine::DescribeSignature(name, columns)
  std::int64_t fact_count = 0;
};

struct PackInfo {
  std::string name;
  std::string path;
  std::string hash;       // "fnv1a64:<16 hex digits>" of the source text
  std::string loaded_at;  // UTC, ISO 8601
  std::int64_t source_bytes = 0;
};

struct FactRow {
  std::vector<engine::Value> values;
  double certainty = 1.0;
  engine::Origin origin = engine::Origin::kAsserted;
};

struct ImportOptions {
  // 0: the whole file is one transaction (all or nothing). N: a transaction is
  // committed every N rows; an error then discards only the batch it occurs in.
  std::size_t batch_rows = 0;
  // Called after each commit with the number of rows committed so far.
  std::function<void(std::uint64_t committed_rows)> on_commit;
};

struct ImportResult {
  std::uint64_t rows = 0;     // data rows read and stored (re-inserts included)
  std::uint64_t batches = 0;  // transactions committed
};

struct SaveOptions {
  std::vector<std::string> relations;   // empty: every relation of the working memory
  std::vector<engine::Origin> origins;  // empty: facts of every origin
};

// One way a derived fact was concluded, as `syllo run --save` stores it: the
// fact and its premises in the rule language's text (`path(a, c)`), so they
// read the same whatever ids the facts have in this or any other session.
struct JustificationRow {
  std::string relation;
  std::string fact;
  std::string rule;      // the rule's name
  std::string location;  // where the rule is written: file:line:col
  double certainty = 1.0;                // what this derivation gives
  std::vector<std::string> premises;     // the facts its conditions matched, in order
};

struct KbStats {
  int schema_version = 0;
  std::string journal_mode;
  std::int64_t file_bytes = 0;  // the database file plus its WAL, on disk
  std::vector<RelationInfo> relations;
  std::vector<PackInfo> packs;
};

class KnowledgeBase {
 public:
  static Result<std::unique_ptr<KnowledgeBase>> Open(const std::string& path, OpenMode mode,
                                                     const OpenOptions& options = {});
  ~KnowledgeBase();
  KnowledgeBase(const KnowledgeBase&) = delete;
  KnowledgeBase& operator=(const KnowledgeBase&) = delete;

  const std::string& path() const { return path_; }

  // Runs `body` as one transaction: committed if it returns ok, rolled back
  // (with everything the KB methods it called did) otherwise.
  Status InTransaction(const std::function<Status()>& body);

  // Creates the relation's table. Declaring it again with the same columns does
  // nothing; with other columns it is kAlreadyExists, naming both signatures.
  Status DeclareRelation(const std::string& name, std::vector<engine::Column> columns);
  // kNotFound if the relation is not declared. Counting the facts scans the table;
  // without it fact_count is 0.
  Result<RelationInfo> GetRelation(const std::string& name, bool count_facts = true);
  // Sorted by name, with fact counts.
  Result<std::vector<RelationInfo>> Relations();

  // Records (or replaces) a rule pack's source, with its hash and the time.
  Status RecordPack(const std::string& name, const std::string& path, const std::string& source_text);
  Result<std::vector<PackInfo>> Packs();  // sorted by name

  // Checks every row against the declaration (an int in a float column is
  // widened) and stores them all, or none.
  Status InsertFacts(const std::string& relation, std::span<const FactRow> rows);
  Result<std::int64_t> CountFacts(const std::string& relation);
  // Every stored fact of the relation, in insertion order (one read snapshot).
  // kNotFound if the relation is not declared.
  Result<std::vector<FactRow>> Facts(const std::string& relation);

  // Declares every relation in `wm` and asserts every fact with its certainty and
  // origin (a fact already in `wm` takes the KB's certainty and origin).
  Status LoadInto(engine::WorkingMemory& wm);
  // Like LoadInto, but the relations named in `skip` are only declared in `wm`
  // (left empty): their facts stay in the KB, to be read on demand through a
  // PushdownRelation. A skipped name the KB does not hold is ignored.
  Status LoadInto(engine::WorkingMemory& wm, const std::vector<std::string>& skip);
  // Declares the relations of `wm` here (a conflict is an error) and upserts
  // their facts, in one transaction.
  Status SaveFrom(const engine::WorkingMemory& wm, const SaveOptions& options = {});

  // Replaces the stored justifications of every fact named in `rows` with
  // those rows, in one transaction.
  Status SaveJustifications(std::span<const JustificationRow> rows);
  // The stored justifications of a relation's facts (of one fact if `fact` is
  // not empty), in the order they were saved.
  Result<std::vector<JustificationRow>> Justifications(const std::string& relation, const std::string& fact = "");

  // Imports CSV (header row of column names, any order, optional cf and origin
  // columns) or JSON lines (one object per line, keys = column names, optional
  // "cf" and "origin"). A relation with a column named cf or origin takes the
  // certainty as _cf and the origin as _origin instead. A malformed row is an
  // error naming `source_name`, the line and the column or key, and nothing of
  // its batch is stored.
  Result<ImportResult> Import(const std::string& relation, const std::string& file, DataFormat format,
                              const ImportOptions& options = {});
  Result<ImportResult> Import(const std::string& relation, std::istream& in, const std::string& source_name,
                              DataFormat format, const ImportOptions& options = {});
  // Writes the relation in the same format (certainty and origin included), in
  // insertion order, so that export followed by import round-trips.
  Status Export(const std::string& relation, std::ostream& out, DataFormat format);

  Result<KbStats> Stats();
  // PRAGMA integrity_check: ok, or Corruption with SQLite's findings.
  Status IntegrityCheck();

  // For kb/pushdown_relation.cpp only, which prepares its lookups on this
  // connection (so that they see this KB's open transaction) and creates indices.
  // Everything else goes through the methods above.
  Database& database() { return *db_; }
  // Opened with OpenMode::kReadOnly: nothing may be written, not even an index.
  bool read_only() const { return read_only_; }

 private:
  KnowledgeBase(std::unique_ptr<Database> db, std::string path, bool read_only);
  // The catalog entry; the fact count only if `count` (it scans the table).
  Result<RelationInfo> Describe(const std::string& name, bool count);
  // Every relation, sorted by name; fact counts only if `count`.
  Result<std::vector<RelationInfo>> Catalog(bool count);
  // Calls f with each stored fact of the relation, in insertion order.
  Status ForEachRow(const std::string& relation, const std::function<void(const FactRow&)>& f);
  Status InsertRow(const RelationInfo& relation, std::span<engine::Value> values, double certainty,
                   engine::Origin origin);

  std::unique_ptr<Database> db_;
  std::string path_;
  bool read_only_;
};

}  // namespace syllo::kb

// Database and Statement: a thin RAII layer over the SQLite C API, with errors as
// Status values. Only this file and sqlite_handle.cpp (and fault_vfs.cpp) see
// sqlite3 types; the rest of kb/ speaks Database/Statement.
//
// Statements are prepared once per SQL text and cached by the Database (the SQL
// is always built from validated, quoted identifiers, never from user values:
// values go through Bind*).
//
// Thread safety: none; a Database and its statements belong to one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "syllo/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace syllo::kb {

class Database;

// One prepared statement. Owned by the Database's cache; callers borrow it for the
// duration of one use (Database::Prepare resets it and clears its bindings).
class Statement {
 public:
  Statement(Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite.
  Status BindInt(int index, std::int64_t v);
  Status BindDouble(int index, double v);
  Status BindText(int index, std::string_view v);
  Status BindBlob(int index, std::span<const std::byte> v);
  Status BindNull(int index);

  // Steps once: true when a row is available, false when the statement is done.
  Result<bool> Step();
  // Steps until done; for statements that return no rows.
  Status Run();
  void Reset();

  // Columns are 0-based, as in SQLite.
  int ColumnCount() const;
  bool ColumnIsNull(int col) const;
  std::int64_t ColumnInt(int col) const;
  double ColumnDouble(int col) const;
  std::string_view ColumnText(int col) const;  // valid until the next Step/Reset
  std::span<const std::byte> ColumnBlob(int col) const;  // likewise

 private:
  Status BindResult(int rc, int index);
  Database* db_;
  sqlite3_stmt* stmt_;
};

enum class OpenFlags { kReadWriteCreate, kReadWrite, kReadOnly };

class Database {
 public:
  // `vfs` names a registered SQLite VFS (empty: the default); the seam through
  // which tests inject I/O faults (see fault_vfs.h).
  static Result<std::unique_ptr<Database>> Open(const std::string& path, OpenFlags flags,
                                                const std::string& vfs = "");
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements that take no parameters (DDL, PRAGMA, BEGIN).
  // REQUIRES: `sql` contains no user-supplied text.
  Status Exec(const std::string& sql);
  // The cached prepared statement for `sql`, reset and with bindings cleared.
  Result<Statement*> Prepare(const std::string& sql);
  // Runs `sql` (one statement returning one integer) and returns it.
  Result<std::int64_t> QueryInt(const std::string& sql);

  bool in_transaction() const;
  const std::string& path() const { return path_; }
  // A Status for the connection's last error, prefixed with `what`.
  Status Error(int rc, std::string_view what) const;
  sqlite3* raw() { return db_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  friend class TransactionScope;
  sqlite3* db_;
  std::string path_;
  int savepoint_depth_ = 0;  // open TransactionScopes that are savepoints
  // Destroyed (finalized) before db_ is closed: see ~Database.
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// One transaction, or a savepoint when a transaction is already open, so that
// operations compose: KnowledgeBase methods each open a scope, and a caller may
// wrap several of them in an outer scope to make them one atomic change.
// Rolled back on destruction unless Commit() succeeded.
class TransactionScope {
 public:
  enum class Kind {
    kWrite,  // BEGIN IMMEDIATE: takes the write lock at once
    kRead,   // BEGIN (deferred): a consistent snapshot, usable on a read-only file
  };
  static Result<std::unique_ptr<TransactionScope>> Begin(Database& db, Kind kind = Kind::kWrite);
  ~TransactionScope();
  TransactionScope(const TransactionScope&) = delete;
  TransactionScope& operator=(const TransactionScope&) = delete;

  Status Commit();

 private:
  TransactionScope(Database& db, bool nested) : db_(db), nested_(nested) {}
  Database& db_;
  bool nested_;
  bool done_ = false;
};

}  // namespace syllo::kb

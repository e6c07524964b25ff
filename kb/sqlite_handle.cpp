#include "kb/sqlite_handle.h"

#include <sqlite3.h>

#include <cassert>

namespace syllo::kb {

namespace {

StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kCorruption;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return StatusCode::kInvalidArgument;
    case SQLITE_MISUSE:
    case SQLITE_INTERNAL:
      return StatusCode::kInternal;
    default:
      return StatusCode::kIoError;  // I/O, busy, full, read-only, cannot open...
  }
}

}  // namespace

// ---- Statement ---------------------------------------------------------------

Statement::~Statement() { sqlite3_finalize(stmt_); }

Status Statement::BindResult(int rc, int index) {
  if (rc == SQLITE_OK) return Status::Ok();
  return db_->Error(rc, "binding parameter " + std::to_string(index));
}

Status Statement::BindInt(int index, std::int64_t v) {
  return BindResult(sqlite3_bind_int64(stmt_, index, v), index);
}
Status Statement::BindDouble(int index, double v) {
  return BindResult(sqlite3_bind_double(stmt_, index, v), index);
}
Status Statement::BindText(int index, std::string_view v) {
  return BindResult(sqlite3_bind_text64(stmt_, index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8), index);
}
Status Statement::BindBlob(int index, std::span<const std::byte> v) {
  // A zero-length blob must still be a blob, not NULL: hand SQLite a non-null pointer.
  static const std::byte kEmpty{};
  const void* data = v.empty() ? &kEmpty : v.data();
  return BindResult(sqlite3_bind_blob64(stmt_, index, data, v.size(), SQLITE_TRANSIENT), index);
}
Status Statement::BindNull(int index) { return BindResult(sqlite3_bind_null(stmt_, index), index); }

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The statement's own error code: sqlite3_step with prepare_v2 returns it directly.
  Status s = db_->Error(rc, "running '" + std::string(sqlite3_sql(stmt_)).substr(0, 60) + "'");
  sqlite3_reset(stmt_);
  return s;
}

Status Statement::Run() {
  while (true) {
    Result<bool> r = Step();
    if (!r.ok()) return r.status();
    if (!*r) return Status::Ok();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }
bool Statement::ColumnIsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::int64_t Statement::ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }

std::string_view Statement::ColumnText(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);  // after _text, as the SQLite docs require
  return p == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(p), n);
}

std::span<const std::byte> Statement::ColumnBlob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::span<const std::byte>() : std::span(static_cast<const std::byte*>(p), n);
}

// ---- Database ----------------------------------------------------------------

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, OpenFlags flags,
                                                 const std::string& vfs) {
  int f = SQLITE_OPEN_NOMUTEX;
  switch (flags) {
    case OpenFlags::kReadWriteCreate: f |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
    case OpenFlags::kReadWrite: f |= SQLITE_OPEN_READWRITE; break;
    case OpenFlags::kReadOnly: f |= SQLITE_OPEN_READONLY; break;
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, f, vfs.empty() ? nullptr : vfs.c_str());
  if (rc != SQLITE_OK) {
    std::string msg = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);  // a handle is returned even on failure; NULL is harmless
    return Status(CodeFor(rc), "cannot open knowledge base " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(raw, 1);
  // Another process may hold the write lock for a moment (an import in progress).
  sqlite3_busy_timeout(raw, 5000);
  return std::unique_ptr<Database>(new Database(raw, path));
}

Database::~Database() {
  cache_.clear();  // finalize every statement first, or close would fail with SQLITE_BUSY
  sqlite3_close(db_);
}

Status Database::Error(int rc, std::string_view what) const {
  std::string detail = sqlite3_errmsg(db_);
  if (detail == "not an error" || detail.empty()) detail = sqlite3_errstr(rc);
  return Status(CodeFor(rc), std::string(what) + ": " + detail + " (" + path_ + ")");
}

Status Database::Exec(const std::string& sql) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "running '" + sql.substr(0, 60) + "'");
  return Status::Ok();
}

Result<Statement*> Database::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                nullptr);
    if (rc != SQLITE_OK) return Error(rc, "preparing '" + sql.substr(0, 60) + "'");
    it = cache_.emplace(sql, std::make_unique<Statement>(this, stmt)).first;
  }
  it->second->Reset();
  return it->second.get();
}

Result<std::int64_t> Database::QueryInt(const std::string& sql) {
  Result<Statement*> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Internal("query returned no row: " + sql);
  std::int64_t v = (*stmt)->ColumnInt(0);
  (*stmt)->Reset();
  return v;
}

bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

// ---- TransactionScope --------------------------------------------------------

Result<std::unique_ptr<TransactionScope>> TransactionScope::Begin(Database& db, Kind kind) {
  if (!db.in_transaction()) {
    // IMMEDIATE takes the write lock now, so a concurrent writer makes us wait
    // (busy timeout) here rather than fail half-way through.
    if (Status s = db.Exec(kind == Kind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"); !s.ok()) return s;
    return std::unique_ptr<TransactionScope>(new TransactionScope(db, false));
  }
  int depth = ++db.savepoint_depth_;
  if (Status s = db.Exec("SAVEPOINT syllo_sp_" + std::to_string(depth)); !s.ok()) {
    --db.savepoint_depth_;
    return s;
  }
  return std::unique_ptr<TransactionScope>(new TransactionScope(db, true));
}

Status TransactionScope::Commit() {
  assert(!done_ && "a transaction scope commits once");
  Status s = nested_ ? db_.Exec("RELEASE syllo_sp_" + std::to_string(db_.savepoint_depth_)) : db_.Exec("COMMIT");
  if (!s.ok()) return s;  // the destructor rolls back
  if (nested_) --db_.savepoint_depth_;
  done_ = true;
  return Status::Ok();
}

TransactionScope::~TransactionScope() {
  if (done_) return;
  if (nested_) {
    std::string name = "syllo_sp_" + std::to_string(db_.savepoint_depth_);
    --db_.savepoint_depth_;
    // SQLite may already have rolled the whole transaction back after an I/O
    // error; then there is no savepoint left and these fail harmlessly.
    if (db_.in_transaction()) (void)db_.Exec("ROLLBACK TO " + name + "; RELEASE " + name);
  } else if (db_.in_transaction()) {
    (void)db_.Exec("ROLLBACK");
  }
}

}  // namespace syllo::kb

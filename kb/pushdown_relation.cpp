#include "kb/pushdown_relation.h"

#include <bit>
#include <cassert>

#include "engine/working_memory.h"
#include "kb/identifier.h"
#include "kb/sqlite_handle.h"
#include "kb/value_codec.h"

namespace syllo::kb {

namespace {

using engine::ColumnMask;
using engine::Value;

bool Bound(ColumnMask mask, std::size_t column) { return (mask >> column) & 1; }

// Resets a borrowed statement however the lookup ends, so that it holds no read
// lock and no bindings between uses.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& stmt) : stmt_(stmt) {}
  ~ResetOnExit() { stmt_.Reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& stmt_;
};

}  // namespace

Result<std::unique_ptr<PushdownRelation>> PushdownRelation::Open(KnowledgeBase& kb, const std::string& relation,
                                                                 const std::vector<engine::Column>& expected_columns) {
  // No fact count: the relation is read through here because it is large.
  Result<RelationInfo> info = kb.GetRelation(relation, /*count_facts=*/false);
  if (!info.ok()) return info.status();
  if (info->columns != expected_columns) {
    return Status::AlreadyExists("relation " + engine::DescribeSignature(relation, expected_columns) +
                                 " conflicts with " + info->signature + " stored in " + kb.path());
  }
  return std::unique_ptr<PushdownRelation>(new PushdownRelation(kb, std::move(*info)));
}

Status PushdownRelation::IoError(const Status& s) const {
  return Status::IoError("lookup in relation " + info_.name + " failed: " + s.message());
}

Status PushdownRelation::EnsureIndex(ColumnMask mask) {
  // A mask of the form 0..01..1 binds a prefix of the column order, which the
  // UNIQUE constraint's index already serves (mask 0 is a scan and needs none).
  if (kb_.read_only() || (mask & (mask + 1)) == 0) return Status::Ok();
  std::string columns;
  std::string spelled;  // '(' and ',' cannot occur in identifiers: names never collide
  for (std::size_t i = 0; i < info_.columns.size(); ++i) {
    if (!Bound(mask, i)) continue;
    columns += (columns.empty() ? "" : ", ") + QuoteIdentifier(info_.columns[i].name);
    spelled += (spelled.empty() ? "" : ",") + info_.columns[i].name;
  }
  std::string index = QuoteIdentifier("idx_" + info_.name + "(" + spelled + ")");
  Status s = kb_.database().Exec("CREATE INDEX IF NOT EXISTS " + index + " ON " + RelationTable(info_.name) + " (" +
                                 columns + ")");
  return s.ok() ? s : IoError(s);
}

Result<Statement*> PushdownRelation::StatementFor(ColumnMask mask) {
  if (auto it = statements_.find(mask); it != statements_.end()) return it->second;
  // The index first: if it cannot be made, the mask stays unprepared and the next
  // lookup tries again.
  if (Status s = EnsureIndex(mask); !s.ok()) return s;
  std::string sql = "SELECT ";
  for (const engine::Column& c : info_.columns) sql += QuoteIdentifier(c.name) + ", ";
  sql += "_cf, _origin FROM " + RelationTable(info_.name);
  int param = 0;
  for (std::size_t i = 0; i < info_.columns.size(); ++i) {
    if (!Bound(mask, i)) continue;
    sql += param == 0 ? " WHERE " : " AND ";
    ++param;
    sql += QuoteIdentifier(info_.columns[i].name) + " = ?" + std::to_string(param);
  }
  sql += " ORDER BY _id";
  Result<Statement*> stmt = kb_.database().Prepare(sql);
  if (!stmt.ok()) return IoError(stmt.status());
  statements_.emplace(mask, *stmt);
  return *stmt;
}

Status PushdownRelation::Lookup(ColumnMask mask, std::span<const Value> key, engine::ExternalRows* out) {
  assert(out != nullptr && "Lookup appends to a caller's ExternalRows");
  const std::size_t arity = info_.columns.size();
  if (arity < engine::kMaxColumns && (mask >> arity) != 0) {
    return Status::InvalidArgument("lookup in relation " + info_.name + " binds a column past its " +
                                   std::to_string(arity));
  }
  if (static_cast<std::size_t>(std::popcount(mask)) != key.size()) {
    return Status::InvalidArgument("lookup in relation " + info_.name + " binds " +
                                   std::to_string(std::popcount(mask)) + " columns with " +
                                   std::to_string(key.size()) + " key values");
  }
  // A key value of another kind than its column equals no stored value (the
  // engine compares kinds too: 1 is not 1.0), and could not be bound as one.
  for (std::size_t i = 0, k = 0; i < arity; ++i) {
    if (Bound(mask, i) && key[k++].kind() != info_.columns[i].type.kind) return Status::Ok();
  }

  Result<Statement*> prepared = StatementFor(mask);
  if (!prepared.ok()) return prepared.status();
  Statement& stmt = **prepared;
  ResetOnExit reset(stmt);
  for (std::size_t i = 0, k = 0; i < arity; ++i) {
    if (!Bound(mask, i)) continue;
    int param = static_cast<int>(k) + 1;
    if (Status s = BindValue(stmt, param, info_.columns[i].type, key[k++]); !s.ok()) return IoError(s);
  }

  const std::size_t values_before = out->values.size();
  const std::size_t rows_before = out->size();
  Status read = [&]() -> Status {
    while (true) {
      Result<bool> more = stmt.Step();
      if (!more.ok()) return IoError(more.status());
      if (!*more) return Status::Ok();
      const std::size_t row_start = out->values.size();
      bool equal = true;  // SQLite's = is looser than Value identity (0.0 = -0.0)
      for (std::size_t i = 0, k = 0; i < arity; ++i) {
        Result<Value> v = ReadValue(stmt, static_cast<int>(i), info_.columns[i].type);
        if (!v.ok()) {
          return Status::Corruption(info_.name + "." + info_.columns[i].name + ": " + v.status().message());
        }
        if (Bound(mask, i) && *v != key[k++]) equal = false;
        out->values.push_back(*v);
      }
      const int cf_col = static_cast<int>(arity);
      engine::Origin origin;
      if (!engine::ParseOrigin(stmt.ColumnText(cf_col + 1), &origin)) {
        return Status::Corruption(info_.name + ": stored origin '" + std::string(stmt.ColumnText(cf_col + 1)) +
                                  "' is unknown");
      }
      if (!equal) {
        out->values.resize(row_start);
        continue;
      }
      out->certainty.push_back(stmt.ColumnDouble(cf_col));
      out->origin.push_back(origin);
    }
  }();
  if (!read.ok()) {
    out->values.resize(values_before);
    out->certainty.resize(rows_before);
    out->origin.resize(rows_before);
  }
  return read;
}

}  // namespace syllo::kb

// PushdownRelation: a knowledge-base relation the solver reads without loading
// it. Each Lookup becomes one prepared
//   SELECT <columns>, _cf, _origin FROM "rel_<name>" WHERE "c1" = ?1 AND ... ORDER BY _id
// over the bound columns, so only the matching rows leave SQLite.
//
// A lookup returns exactly what loading the relation into a working memory
// (KnowledgeBase::LoadInto) and calling engine::Relation::Lookup would: key values
// are compared as engine Values (same kind, same payload: 1 never matches 1.0),
// rows come in insertion order and are decoded as LoadInto decodes them.
//
// Indices: the first lookup with a mask creates "idx_<name>(<cols>)" on the bound
// columns if the KB is writable and no index covers them yet (the UNIQUE
// constraint over the value columns covers every prefix of the column order, a
// full-key lookup included). On a read-only KB the lookups use what exists.
//
// Statements: one per distinct mask, prepared on its first use and kept (in the
// KB connection's statement cache) for the life of the connection; each is reset
// after every use, so a lookup holds no read lock once it returns.
//
// Each lookup sees the KB as of its own start (its own read, or the caller's
// open transaction on the same KnowledgeBase), not one snapshot across lookups.
//
// Thread safety: none; it shares the KnowledgeBase's connection and belongs to its
// thread. The KnowledgeBase must outlive it.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/column_type.h"
#include "engine/external_relation.h"
#include "engine/relation.h"
#include "engine/value.h"
#include "kb/knowledge_base.h"
#include "syllo/status.h"

namespace syllo::kb {

class Statement;

class PushdownRelation final : public engine::ExternalRelation {
 public:
  // kNotFound if `kb` has no relation `relation`; kAlreadyExists, naming both
  // signatures, if its columns differ from `expected_columns`.
  // REQUIRES: `kb` outlives the result.
  static Result<std::unique_ptr<PushdownRelation>> Open(KnowledgeBase& kb, const std::string& relation,
                                                        const std::vector<engine::Column>& expected_columns);

  // Appends to *out the facts whose columns in `mask` equal `key` (one value per
  // set bit, in column order), in insertion order. On error *out is left as it
  // was. An SQLite failure (including creating the index) is kIoError naming the
  // relation; a stored value of the wrong shape is kCorruption; a mask naming a
  // column the relation lacks, or a key of the wrong length, is kInvalidArgument.
  Status Lookup(engine::ColumnMask mask, std::span<const engine::Value> key, engine::ExternalRows* out) override;

  const std::string& name() const { return info_.name; }
  const std::vector<engine::Column>& columns() const { return info_.columns; }
  // Distinct masks prepared so far: each mask's statement is prepared once.
  std::size_t prepared_statements() const { return statements_.size(); }

 private:
  PushdownRelation(KnowledgeBase& kb, RelationInfo info) : kb_(kb), info_(std::move(info)) {}
  // The statement for `mask`, creating its index and preparing it on first use.
  Result<Statement*> StatementFor(engine::ColumnMask mask);
  Status EnsureIndex(engine::ColumnMask mask);
  // An SQLite failure as kIoError naming the relation.
  Status IoError(const Status& s) const;

  KnowledgeBase& kb_;
  const RelationInfo info_;  // fact_count is not kept up to date: unused
  // Borrowed from the connection's statement cache, which keeps them until it closes.
  std::unordered_map<engine::ColumnMask, Statement*> statements_;
};

}  // namespace syllo::kb

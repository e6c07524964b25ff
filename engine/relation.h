// Relation: the facts of one declared relation, stored row-major as flat Values,
// deduplicated (a relation is a set), with hash indices on column subsets built on
// first use and kept up to date afterwards.
//
// Thread safety: none; a Relation belongs to one working memory, which belongs to
// one session.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/column_type.h"
#include "engine/fact.h"
#include "engine/large_alloc.h"
#include "engine/value.h"
#include "syllo/status.h"

namespace syllo::engine {

// Bit i set: column i is part of the key. Relations have at most 64 columns.
using ColumnMask = std::uint64_t;
inline constexpr std::size_t kMaxColumns = 64;

class Relation {
 public:
  Relation(std::string name, std::vector<Column> columns);

  const std::string& name() const { return name_; }
  const std::vector<Column>& columns() const { return columns_; }
  std::size_t arity() const { return columns_.size(); }
  // Live facts.
  std::size_t size() const { return live_; }
  // Ids handed out so far, live or not: valid ids are [0, capacity()).
  FactId capacity() const { return static_cast<FactId>(certainty_.size()); }

  // Checks kinds and tensor shapes against the declaration; an int in a float
  // column is widened in place. The message names the column.
  Status Conform(std::span<Value> row) const;

  struct InsertResult {
    FactId id;
    bool inserted;  // false: an equal live fact was already there
  };
  // REQUIRES: row conforms (see Conform).
  InsertResult Insert(std::span<const Value> row, double certainty, Origin origin);
  // False if the fact is not alive.
  bool Erase(FactId id);
  // Lets Insert reuse the id of an erased fact. The owner calls it once nothing
  // can hold the id any more (a session: after the firing that erased it).
  // REQUIRES: !alive(id), and Recycle not called for it since it was erased.
  void Recycle(FactId id) { free_ids_.push_back(id); }
  std::optional<FactId> Find(std::span<const Value> row) const;

  bool alive(FactId id) const { return id < alive_.size() && alive_[id]; }
  std::span<const Value> row(FactId id) const { return {values_.data() + std::size_t{id} * arity_, arity_}; }
  double certainty(FactId id) const { return certainty_[id]; }
  void set_certainty(FactId id, double cf) { certainty_[id] = cf; }
  Origin origin(FactId id) const { return origin_[id]; }
  void set_origin(FactId id, Origin o) { origin_[id] = o; }

  // Calls f(id) for each live fact in insertion order.
  template <typename F>
  void ForEach(F&& f) const {
    for (FactId id = 0; id < capacity(); ++id) {
      if (alive_[id]) f(id);
    }
  }

  // Live facts whose columns in `mask` equal `key` (one key value per set bit, in
  // column order). The index for `mask` is built on first use.
  // Logically const: the index is a cache. The span is valid until the next
  // Lookup or change of this relation.
  std::span<const FactId> Lookup(ColumnMask mask, std::span<const Value> key) const;

  // Back to no facts. Inline: a reused decision session clears a dozen
  // small relations per decision. Small ones keep their storage; a large one
  // is released, so that the next, small, decision does not hold it.
  void Clear() {
    if (dedup_.size() > kKeptSlots) ReleaseStorage();
    dedup_.clear();  // scanned again until it grows
    dedup_hash_.clear();
    values_.clear();
    certainty_.clear();
    origin_.clear();
    alive_.clear();
    free_ids_.clear();
    live_ = 0;
    if (!indices_.empty()) indices_.clear();
  }

 private:
  struct Index {
    ColumnMask mask;
    std::unordered_map<std::uint64_t, std::vector<FactId>> buckets;  // key hash -> ids
  };
  std::uint64_t RowHash(std::span<const Value> row) const;
  std::uint64_t KeyHashOfFact(ColumnMask mask, FactId id) const;
  static std::uint64_t KeyHash(std::span<const Value> key);
  // Find, with the row's hash already computed.
  // kNoFact when absent (not an optional: its byte-wise return stalled the
  // load that read it, on every insert).
  FactId FindHashed(std::span<const Value> row, std::uint64_t hash) const;
  // Up to kScanFacts ids a relation has no dedup set: a duplicate is found
  // by comparing rows, cheaper than hashing for the few facts of a decision.
  static constexpr FactId kScanFacts = 8;
  bool scanning() const { return dedup_.empty(); }
  FactId Scan(std::span<const Value> row) const;
  void BuildDedup();
  void DedupInsert(std::uint64_t hash, FactId id);
  void DedupErase(std::uint64_t hash, FactId id);
  void GrowDedup();
  static constexpr std::size_t kKeptSlots = 1024;  // dedup slots a Clear keeps storage for
  void ReleaseStorage();

  std::string name_;
  std::vector<Column> columns_;
  std::size_t arity_;
  LargeVector<Value> values_;
  LargeVector<double> certainty_;
  LargeVector<Origin> origin_;
  LargeVector<std::uint8_t> alive_;
  std::size_t live_ = 0;
  // Open-addressing set of live ids keyed by row hash (linear probing,
  // backward-shift deletion, so there are no tombstones). kNoFact marks empty.
  // Empty while the relation is scanned (kScanFacts).
  LargeVector<FactId> dedup_;
  LargeVector<std::uint64_t> dedup_hash_;
  mutable std::vector<std::unique_ptr<Index>> indices_;
  mutable std::vector<FactId> scratch_;
  std::vector<FactId> free_ids_;
};

}  // namespace syllo::engine

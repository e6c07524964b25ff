#include "engine/relation.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <stdexcept>

#include "engine/backward_shift.h"
#include "engine/tensor_pool.h"

namespace syllo::engine {

Relation::Relation(std::string name, std::vector<Column> columns)
    : name_(std::move(name)), columns_(std::move(columns)), arity_(columns_.size()) {
  if (arity_ > kMaxColumns) throw std::invalid_argument("relation " + name_ + " has more than 64 columns");
}

Status Relation::Conform(std::span<Value> row) const {
  if (row.size() != arity_) {
    return Status::InvalidArgument(name_ + " takes " + std::to_string(arity_) + " values, got " +
                                   std::to_string(row.size()));
  }
  for (std::size_t i = 0; i < arity_; ++i) {
    const ColumnType& t = columns_[i].type;
    Value& v = row[i];
    if (v.kind() == t.kind && t.kind != ValueKind::kTensor) continue;  // the common case: nothing to do
    if (!t.Accepts(v.kind())) {
      return Status::InvalidArgument("column " + columns_[i].name + " of " + name_ + " is " + t.ToString() +
                                     ", got " + std::string(ValueKindName(v.kind())) + " " + v.ToString());
    }
    if (t.kind == ValueKind::kFloat && v.kind() == ValueKind::kInt) v = Value::Float(static_cast<double>(v.as_int()));
    if (t.kind == ValueKind::kTensor && !TensorPool::Global().HasShape(v.as_tensor(), t.shape)) {
      return Status::InvalidArgument("column " + columns_[i].name + " of " + name_ + " is " + t.ToString() +
                                     ", got a tensor of another shape");
    }
  }
  return Status::Ok();
}

std::uint64_t Relation::RowHash(std::span<const Value> row) const {
  // A multiply per value and one finish instead of a full mix per value: a
  // row is hashed on every insert, lookup and erase of a fact.
  std::uint64_t h = 0x51ab1e;
  for (const Value& v : row) h = (h ^ v.bits()) * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(v.kind());
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ULL;
  h ^= h >> 32;
  return h;
}

std::uint64_t Relation::KeyHash(std::span<const Value> key) {
  std::uint64_t h = 0x1dea;
  for (const Value& v : key) h = HashCombine(h, v.Hash());
  return h;
}

std::uint64_t Relation::KeyHashOfFact(ColumnMask mask, FactId id) const {
  std::uint64_t h = 0x1dea;
  auto r = row(id);
  for (std::size_t i = 0; i < arity_; ++i) {
    if (mask & (ColumnMask{1} << i)) h = HashCombine(h, r[i].Hash());
  }
  return h;
}

void Relation::BuildDedup() {
  std::size_t slots = 16;
  while ((live_ + 1) * 4 > slots * 3) slots *= 2;
  dedup_.assign(slots, kNoFact);
  dedup_hash_.assign(slots, 0);
  for (FactId id = 0; id < capacity(); ++id) {
    if (alive_[id]) DedupInsert(RowHash(row(id)), id);
  }
}

FactId Relation::Scan(std::span<const Value> r) const {
  const FactId n = capacity();
  const Value* rows = values_.data();
  const std::uint8_t* alive = alive_.data();
  for (FactId id = 0; id < n; ++id) {
    const Value* x = rows + std::size_t{id} * arity_;
    std::size_t c = 0;
    while (c < arity_ && x[c] == r[c]) ++c;
    if (c == arity_ && alive[id]) return id;
  }
  return kNoFact;
}

void Relation::GrowDedup() {
  LargeVector<FactId> old = std::move(dedup_);
  LargeVector<std::uint64_t> old_hash = std::move(dedup_hash_);
  dedup_.assign(old.size() * 2, kNoFact);
  dedup_hash_.assign(old.size() * 2, 0);
  for (std::size_t i = 0; i < old.size(); ++i) {
    if (old[i] != kNoFact) DedupInsert(old_hash[i], old[i]);
  }
}

void Relation::DedupInsert(std::uint64_t hash, FactId id) {
  std::size_t m = dedup_.size() - 1;
  std::size_t i = hash & m;
  while (dedup_[i] != kNoFact) i = (i + 1) & m;
  dedup_[i] = id;
  dedup_hash_[i] = hash;
}

void Relation::DedupErase(std::uint64_t hash, FactId id) {
  std::size_t m = dedup_.size() - 1;
  std::size_t i = hash & m;
  while (dedup_[i] != id) {
    assert(dedup_[i] != kNoFact && "erasing a fact that is not in the dedup set");
    i = (i + 1) & m;
  }
  BackwardShiftErase(
      i, m, [&](std::size_t j) { return dedup_[j] == kNoFact; }, [&](std::size_t j) { return dedup_hash_[j] & m; },
      [&](std::size_t from, std::size_t to) {
        dedup_[to] = dedup_[from];
        dedup_hash_[to] = dedup_hash_[from];
      },
      [&](std::size_t j) { dedup_[j] = kNoFact; });
}

std::optional<FactId> Relation::Find(std::span<const Value> r) const {
  const FactId id = scanning() ? Scan(r) : FindHashed(r, RowHash(r));
  if (id == kNoFact) return std::nullopt;
  return id;
}

FactId Relation::FindHashed(std::span<const Value> r, std::uint64_t h) const {
  std::size_t m = dedup_.size() - 1;
  for (std::size_t i = h & m; dedup_[i] != kNoFact; i = (i + 1) & m) {
    if (dedup_hash_[i] == h && std::equal(r.begin(), r.end(), row(dedup_[i]).begin())) return dedup_[i];
  }
  return kNoFact;
}

Relation::InsertResult Relation::Insert(std::span<const Value> r, double cf, Origin origin) {
  assert(r.size() == arity_ && "row arity must match the relation");
  std::uint64_t hash = 0;  // once: the lookup and the dedup set
  if (scanning()) {
    if (const FactId existing = Scan(r); existing != kNoFact) return {existing, false};
  } else {
    hash = RowHash(r);
    if (const FactId existing = FindHashed(r, hash); existing != kNoFact) return {existing, false};
  }
  FactId id;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
    assert(!alive_[id] && "a recycled id must be dead");
    std::copy(r.begin(), r.end(), values_.begin() + static_cast<std::ptrdiff_t>(std::size_t{id} * arity_));
    certainty_[id] = cf;
    origin_[id] = origin;
    alive_[id] = 1;
  } else {
    if (certainty_.size() >= kNoFact - 1) throw std::length_error("relation " + name_ + " is full");
    id = static_cast<FactId>(certainty_.size());
    values_.insert(values_.end(), r.begin(), r.end());
    certainty_.push_back(cf);
    origin_.push_back(origin);
    alive_.push_back(1);
  }
  ++live_;
  if (scanning()) {
    if (capacity() > kScanFacts) BuildDedup();
  } else {
    if ((live_ + 1) * 4 > dedup_.size() * 3) GrowDedup();
    DedupInsert(hash, id);
  }
  for (auto& index : indices_) index->buckets[KeyHashOfFact(index->mask, id)].push_back(id);
  return {id, true};
}

bool Relation::Erase(FactId id) {
  if (!alive(id)) return false;
  if (!scanning()) DedupErase(RowHash(row(id)), id);
  for (auto& index : indices_) {
    auto it = index->buckets.find(KeyHashOfFact(index->mask, id));
    if (it == index->buckets.end()) continue;
    auto& ids = it->second;
    auto pos = std::find(ids.begin(), ids.end(), id);
    if (pos != ids.end()) {
      *pos = ids.back();
      ids.pop_back();
    }
    if (ids.empty()) index->buckets.erase(it);
  }
  alive_[id] = 0;
  --live_;
  return true;
}

std::span<const FactId> Relation::Lookup(ColumnMask mask, std::span<const Value> key) const {
  Index* index = nullptr;
  for (auto& candidate : indices_) {
    if (candidate->mask == mask) index = candidate.get();
  }
  if (index == nullptr) {
    indices_.push_back(std::make_unique<Index>(Index{mask, {}}));
    index = indices_.back().get();
    ForEach([&](FactId id) { index->buckets[KeyHashOfFact(mask, id)].push_back(id); });
  }
  scratch_.clear();
  auto it = index->buckets.find(KeyHash(key));
  if (it == index->buckets.end()) return {};
  // Different keys can share a hash: keep only true matches.
  for (FactId id : it->second) {
    auto r = row(id);
    std::size_t k = 0;
    bool match = true;
    for (std::size_t i = 0; i < arity_ && match; ++i) {
      if (mask & (ColumnMask{1} << i)) match = r[i] == key[k++];
    }
    if (match) scratch_.push_back(id);
  }
  std::sort(scratch_.begin(), scratch_.end());  // insertion order, like a scan
  return scratch_;
}

void Relation::ReleaseStorage() {
  LargeVector<Value>().swap(values_);
  LargeVector<double>().swap(certainty_);
  LargeVector<Origin>().swap(origin_);
  LargeVector<std::uint8_t>().swap(alive_);
  std::vector<FactId>().swap(free_ids_);
  LargeVector<FactId>().swap(dedup_);
  LargeVector<std::uint64_t>().swap(dedup_hash_);
}

}  // namespace syllo::engine

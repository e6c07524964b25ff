#include "engine/row_set.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <limits>
#include <stdexcept>

namespace syllo::engine {

std::uint64_t RowSet::Hash(std::span<const Value> row) {
  std::uint64_t h = row.size();
  for (const Value& v : row) h = HashCombine(h, v.Hash());
  return h;
}

std::size_t RowSet::Probe(std::span<const Value> row, std::uint64_t hash) const {
  assert(row.size() == width_);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
    const std::uint32_t slot = slots_[at];
    if (slot == 0) return at;
    const Value* own = values_.data() + static_cast<std::size_t>(slot - 1) * width_;
    if (hashes_[slot - 1] == hash && std::equal(row.begin(), row.end(), own)) return at;
  }
}

std::uint32_t RowSet::Find(std::span<const Value> row, std::uint64_t hash) const {
  if (slots_.empty()) return kNotFound;
  return slots_[Probe(row, hash)] - 1;  // a free slot holds 0: kNotFound
}

std::pair<std::uint32_t, bool> RowSet::Insert(std::span<const Value> row, std::uint64_t hash) {
  if ((hashes_.size() + 1) * 2 > slots_.size()) Rehash(std::max<std::size_t>(16, slots_.size() * 2));
  const std::size_t at = Probe(row, hash);
  if (slots_[at] != 0) return {slots_[at] - 1, false};
  if (hashes_.size() >= std::numeric_limits<std::uint32_t>::max() - 1) {
    throw std::length_error("RowSet: more than 4 billion rows");
  }
  const auto number = static_cast<std::uint32_t>(hashes_.size());
  values_.insert(values_.end(), row.begin(), row.end());
  hashes_.push_back(hash);
  slots_[at] = number + 1;
  return {number, true};
}

void RowSet::Reserve(std::size_t rows) {
  if (rows * 2 > slots_.size()) Rehash(std::bit_ceil(rows * 2));
  // Doubling at least: a caller adding one row at a time must not copy the
  // whole set each time (vector::reserve allocates exactly what it is asked).
  if (rows > hashes_.capacity()) {
    rows = std::max(rows, hashes_.capacity() * 2);
    values_.reserve(rows * width_);
    hashes_.reserve(rows);
  }
}

void RowSet::Rehash(std::size_t size) {
  slots_.assign(size, 0);
  const std::size_t mask = size - 1;
  for (std::size_t n = 0; n < hashes_.size(); ++n) {
    std::size_t at = hashes_[n] & mask;
    while (slots_[at] != 0) at = (at + 1) & mask;
    slots_[at] = static_cast<std::uint32_t>(n + 1);
  }
}

void RowSet::Clear() {
  values_.clear();
  hashes_.clear();
  std::fill(slots_.begin(), slots_.end(), 0);  // keeps the index's size for the next run
}

}  // namespace syllo::engine

// RowSet: a set of rows of values of one width, stored one after another in
// one array and numbered in the order they were added. An open-addressing
// index finds a row by content.
//
// Made for sets that grow by the thousand on a hot path (the inputs a session
// has asked a model for, a model's cached answers): an added row costs an
// append and one index slot, not an allocation of its own.
//
// Thread safety: none; one owner.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "engine/value.h"

namespace syllo::engine {

class RowSet {
 public:
  static constexpr std::uint32_t kNotFound = static_cast<std::uint32_t>(-1);

  explicit RowSet(std::size_t width) : width_(width) {}

  // What Find and Insert take as the row's hash (so a caller that does both
  // hashes once).
  static std::uint64_t Hash(std::span<const Value> row);

  // The row's number, or kNotFound.
  std::uint32_t Find(std::span<const Value> row, std::uint64_t hash) const;
  std::uint32_t Find(std::span<const Value> row) const { return Find(row, Hash(row)); }
  // Adds the row unless present: its number, and whether it was added.
  std::pair<std::uint32_t, bool> Insert(std::span<const Value> row, std::uint64_t hash);
  std::pair<std::uint32_t, bool> Insert(std::span<const Value> row) { return Insert(row, Hash(row)); }

  // Room for `rows` rows in all without growing (nothing when there is).
  void Reserve(std::size_t rows);

  std::span<const Value> row(std::uint32_t number) const {
    return {values_.data() + static_cast<std::size_t>(number) * width_, width_};
  }
  // Rows [first, size()) as one array.
  std::span<const Value> rows_from(std::uint32_t first) const {
    return std::span<const Value>(values_).subspan(static_cast<std::size_t>(first) * width_);
  }
  std::size_t size() const { return hashes_.size(); }
  std::size_t width() const { return width_; }
  void Clear();

 private:
  // The slot that holds the row, or the free slot where it would go.
  // REQUIRES: slots_ not empty (never full: at most half is used).
  std::size_t Probe(std::span<const Value> row, std::uint64_t hash) const;
  void Rehash(std::size_t slots);

  std::size_t width_;
  std::vector<Value> values_;          // row after row
  std::vector<std::uint64_t> hashes_;  // by row number: growing re-slots without re-hashing
  std::vector<std::uint32_t> slots_;   // row number + 1, 0 free; a power of two, at most half full
};

}  // namespace syllo::engine

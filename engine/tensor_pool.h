// TensorPool: the float32 tensors that facts refer to, deduplicated by content.
//
// A tensor Value holds an id into this pool. Equal contents get the same id, so a
// fact set and a model-result cache can key on the id alone ("input identity").
//
// Thread safety: all members lock; data() returns a span that stays valid for the
// life of the process (tensors are never freed: they are inputs of record).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

namespace syllo::engine {

class TensorPool {
 public:
  static TensorPool& Global();

  std::uint32_t Intern(std::span<const float> data, std::vector<std::int64_t> shape);
  std::span<const float> data(std::uint32_t id) const;
  std::vector<std::int64_t> shape(std::uint32_t id) const;
  // shape(id) == shape, without copying it: a tensor column checks every fact.
  bool HasShape(std::uint32_t id, std::span<const std::int64_t> shape) const;

  // A tensor's values, and whether all are finite (no NaN, no infinity):
  // known from interning, so that a model's input check is not a scan.
  struct View {
    std::span<const float> data;
    bool all_finite = true;
  };
  View view(std::uint32_t id) const;

 private:
  struct Entry {
    std::vector<float> data;  // its buffer never moves, even when the entry does
    std::uint32_t shape = 0;  // index in shapes_: few distinct shapes, many tensors
    bool all_finite = true;
  };
  const Entry& At(std::uint32_t id) const;  // REQUIRES: mutex_ held

  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
  std::vector<std::vector<std::int64_t>> shapes_;
  std::map<std::vector<std::int64_t>, std::uint32_t> shape_index_;
  std::unordered_multimap<std::uint64_t, std::uint32_t> by_hash_;
};

}  // namespace syllo::engine

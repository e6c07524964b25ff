// TensorPool: the float32 tensors that facts refer to, deduplicated by content.
//
// A tensor Value holds an id into this pool. Equal contents get the same id, so a
// fact set and a model-result cache can key on the id alone ("input identity").
//
// Thread safety: all members lock; data() returns a span that stays valid for the
// life of the process (tensors are never freed: they are inputs of record).
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>
#include <memory>

namespace syllo::engine {

class TensorPool {
 public:
  static TensorPool& Global();

  std::uint32_t Intern(std::span<const float> data, std::vector<std::int64_t> shape);
  std::span<const float> data(std::uint32_t id) const;
  std::vector<std::int64_t> shape(std::uint32_t id) const;
  // shape(id) == shape, without copying it: a tensor column checks every fact.
  bool HasShape(std::uint32_t id, std::span<const std::int64_t> shape) const;

 private:
  struct Entry {
    std::vector<float> data;
    std::vector<std::int64_t> shape;
  };
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::unordered_multimap<std::uint64_t, std::uint32_t> by_hash_;
};

}  // namespace syllo::engine

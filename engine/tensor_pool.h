// TensorPool: the float32 tensors that facts refer to, deduplicated by content.
//
// A tensor Value holds an id into this pool. Equal contents get the same id, so a
// fact set and a model-result cache can key on the id alone ("input identity").
//
// Thread safety: Intern locks; the reads do not (a tensor is written once,
// before its id is published, and never moves), so that checking a fact's
// shape or reading a model's input costs no lock. Spans stay valid for the
// life of the process (tensors are never freed: they are inputs of record).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
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
  TensorPool();

  struct Entry {
    const float* data;
    std::size_t size;
    const std::vector<std::int64_t>* shape;  // one of shapes_
    bool all_finite;
  };
  // Entries live in blocks of kBlock that never move; blocks_ (zeroed,
  // untouched until used) holds a pointer to each, published with release.
  static constexpr unsigned kBlockBits = 12;
  static constexpr std::uint32_t kBlock = 1u << kBlockBits;
  static constexpr std::size_t kMaxBlocks = (std::size_t{1} << 32) >> kBlockBits;
  const Entry& At(std::uint32_t id) const;

  std::atomic<Entry*>* blocks_;
  std::atomic<std::uint32_t> size_{0};
  std::mutex mutex_;  // Intern's
  std::deque<std::vector<float>> storage_;  // each tensor's values (a deque: they never move)
  std::deque<std::vector<std::int64_t>> shapes_;
  std::map<std::vector<std::int64_t>, const std::vector<std::int64_t>*> shape_index_;
  std::unordered_multimap<std::uint64_t, std::uint32_t> by_hash_;
};

}  // namespace syllo::engine

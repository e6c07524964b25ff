#include "engine/tensor_pool.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace syllo::engine {

TensorPool& TensorPool::Global() {
  static TensorPool* pool = new TensorPool();  // never destroyed: ids outlive statics
  return *pool;
}

static std::uint64_t HashFloats(std::span<const float> data, const std::vector<std::int64_t>& shape) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ULL;
  };
  mix(data.data(), data.size_bytes());
  mix(shape.data(), shape.size() * sizeof(std::int64_t));
  return h;
}

std::uint32_t TensorPool::Intern(std::span<const float> data, std::vector<std::int64_t> shape) {
  std::uint64_t h = HashFloats(data, shape);
  std::lock_guard lock(mutex_);
  auto [lo, hi] = by_hash_.equal_range(h);
  for (auto it = lo; it != hi; ++it) {
    const Entry& e = *entries_[it->second];
    if (e.shape == shape && e.data.size() == data.size() &&
        std::memcmp(e.data.data(), data.data(), data.size_bytes()) == 0) {
      return it->second;
    }
  }
  if (entries_.size() >= UINT32_MAX) throw std::length_error("tensor pool is full");
  auto id = static_cast<std::uint32_t>(entries_.size());
  entries_.push_back(std::make_unique<Entry>(Entry{{data.begin(), data.end()}, std::move(shape)}));
  by_hash_.emplace(h, id);
  return id;
}

std::span<const float> TensorPool::data(std::uint32_t id) const {
  std::lock_guard lock(mutex_);
  const Entry& e = *entries_.at(id);
  return {e.data.data(), e.data.size()};
}

std::vector<std::int64_t> TensorPool::shape(std::uint32_t id) const {
  std::lock_guard lock(mutex_);
  return entries_.at(id)->shape;
}

bool TensorPool::HasShape(std::uint32_t id, std::span<const std::int64_t> shape) const {
  std::lock_guard lock(mutex_);
  const std::vector<std::int64_t>& own = entries_.at(id)->shape;
  return std::equal(own.begin(), own.end(), shape.begin(), shape.end());
}

}  // namespace syllo::engine

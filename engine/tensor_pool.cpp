#include "engine/tensor_pool.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace syllo::engine {

TensorPool& TensorPool::Global() {
  static TensorPool* pool = new TensorPool();  // never destroyed: ids outlive statics
  return *pool;
}

TensorPool::TensorPool() {
  // 8 MB of address space: calloc maps it fresh and zeroed, so only the
  // pages of blocks in use are ever touched.
  void* p = std::calloc(kMaxBlocks, sizeof(std::atomic<Entry*>));
  if (p == nullptr) throw std::bad_alloc();
  static_assert(std::atomic<Entry*>::is_always_lock_free);
  blocks_ = static_cast<std::atomic<Entry*>*>(p);
}

namespace {

// FNV-1a over 8-byte words (a photo is hashed in ~400 steps, not 3,136), then
// a final mix so that the low bits depend on every word.
std::uint64_t HashFloats(std::span<const float> data, std::span<const std::int64_t> shape) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::uint64_t word) { h = (h ^ word) * 1099511628211ULL; };
  std::size_t i = 0;
  for (; i + 2 <= data.size(); i += 2) {
    std::uint64_t word;
    std::memcpy(&word, data.data() + i, sizeof word);
    mix(word);
  }
  if (i < data.size()) {
    std::uint32_t last;
    std::memcpy(&last, data.data() + i, sizeof last);
    mix(last);
  }
  for (std::int64_t d : shape) mix(static_cast<std::uint64_t>(d));
  mix(data.size());
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

// Without a branch per value (all exponent bits set marks NaN and infinity),
// so that the loop vectorises.
bool AllFinite(std::span<const float> data) {
  std::uint32_t any = 0;
  for (float v : data) any |= static_cast<std::uint32_t>((std::bit_cast<std::uint32_t>(v) & 0x7f800000u) == 0x7f800000u);
  return any == 0;
}

}  // namespace

std::uint32_t TensorPool::Intern(std::span<const float> data, std::vector<std::int64_t> shape) {
  const std::uint64_t h = HashFloats(data, shape);
  std::lock_guard lock(mutex_);
  auto [lo, hi] = by_hash_.equal_range(h);
  for (auto it = lo; it != hi; ++it) {
    const Entry& e = At(it->second);
    if (*e.shape == shape && e.size == data.size() &&
        (data.empty() || std::memcmp(e.data, data.data(), data.size_bytes()) == 0)) {
      return it->second;
    }
  }
  const std::uint32_t id = size_.load(std::memory_order_relaxed);
  if (id == UINT32_MAX) throw std::length_error("tensor pool is full");
  auto [shape_at, fresh] = shape_index_.try_emplace(shape, nullptr);
  if (fresh) shape_at->second = &shapes_.emplace_back(std::move(shape));
  const std::vector<float>& values = storage_.emplace_back(data.begin(), data.end());
  std::atomic<Entry*>& block = blocks_[id >> kBlockBits];
  Entry* entries = block.load(std::memory_order_relaxed);
  if (entries == nullptr) {
    entries = static_cast<Entry*>(std::calloc(kBlock, sizeof(Entry)));
    if (entries == nullptr) throw std::bad_alloc();
    block.store(entries, std::memory_order_release);
  }
  entries[id & (kBlock - 1)] = Entry{values.data(), values.size(), shape_at->second, AllFinite(data)};
  by_hash_.emplace(h, id);
  size_.store(id + 1, std::memory_order_release);  // publishes the entry
  return id;
}

const TensorPool::Entry& TensorPool::At(std::uint32_t id) const {
  if (id >= size_.load(std::memory_order_acquire)) {
    throw std::out_of_range("tensor #" + std::to_string(id) + " is not in the pool");
  }
  return blocks_[id >> kBlockBits].load(std::memory_order_acquire)[id & (kBlock - 1)];
}

std::span<const float> TensorPool::data(std::uint32_t id) const {
  const Entry& e = At(id);
  return {e.data, e.size};
}

std::vector<std::int64_t> TensorPool::shape(std::uint32_t id) const { return *At(id).shape; }

bool TensorPool::HasShape(std::uint32_t id, std::span<const std::int64_t> shape) const {
  const std::vector<std::int64_t>& own = *At(id).shape;
  if (own.size() != shape.size()) return false;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (own[i] != shape[i]) return false;
  }
  return true;
}

TensorPool::View TensorPool::view(std::uint32_t id) const {
  const Entry& e = At(id);
  return {{e.data, e.size}, e.all_finite};
}

}  // namespace syllo::engine

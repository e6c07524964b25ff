// Storage for a session's big arrays: tokens, memory entries, hash slots, fact
// columns and frames. A large run (a 3-way join with millions of partial
// matches) spends more time in page faults and TLB misses than in matching
// when that memory comes in 4 KiB pages. So a block of kLargeBlockBytes or
// more is mapped on its own, and one of 32 MiB or more is advised onto
// transparent huge pages (2 MiB): a five-hundredth of the faults, and one TLB
// entry per 2 MiB (smaller blocks would waste too much of their last huge
// page). A large block grows by mremap, its pages moved, not copied. Where the
// kernel has no huge pages for it (THP off, no free 2 MiB frames) the advice is
// ignored and the block is an ordinary anonymous mapping. Smaller blocks come
// from operator new as usual, so small sessions are unchanged.
//
// Thread safety: AllocateLarge, GrowLarge and FreeLarge are thread-safe; the
// containers are not.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <vector>

namespace syllo::engine {

inline constexpr std::size_t kLargeBlockBytes = std::size_t{4} << 20;

// `bytes` of uninitialised storage (at least 16-byte aligned); throws
// std::bad_alloc. Blocks of kLargeBlockBytes or more are zero-filled mappings.
void* AllocateLarge(std::size_t bytes);
// Frees a block from AllocateLarge; `bytes` must be the size it was asked for.
void FreeLarge(void* block, std::size_t bytes) noexcept;

// A std allocator over AllocateLarge, for vectors that may grow large.
template <typename T>
struct LargeAllocator {
  using value_type = T;
  LargeAllocator() = default;
  template <typename U>
  LargeAllocator(const LargeAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit
  T* allocate(std::size_t n) { return static_cast<T*>(AllocateLarge(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { FreeLarge(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const LargeAllocator<U>&) const noexcept {
    return true;
  }
};

template <typename T>
using LargeVector = std::vector<T, LargeAllocator<T>>;

// Grows a block from AllocateLarge, keeping its first `used` bytes. A large
// block is remapped (mremap): its pages move instead of being copied, and no
// second copy of a big array is ever zeroed and touched. Throws std::bad_alloc.
void* GrowLarge(void* block, std::size_t old_bytes, std::size_t new_bytes, std::size_t used);

// The part of std::vector a session's slot pools use (tokens, supports, memory
// entries), for trivially copyable elements, growing through GrowLarge.
template <typename T>
class GrowableArray {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  GrowableArray() = default;
  GrowableArray(const GrowableArray&) = delete;
  GrowableArray& operator=(const GrowableArray&) = delete;
  ~GrowableArray() { FreeLarge(data_, capacity_ * sizeof(T)); }

  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }

  void push_back(const T& value) {
    if (size_ == capacity_) Grow();
    new (data_ + size_) T(value);
    ++size_;
  }
  T& emplace_back() {
    if (size_ == capacity_) Grow();
    T* slot = new (data_ + size_) T();
    ++size_;
    return *slot;
  }
  void clear() { size_ = 0; }
  // Empties the array and gives its storage back.
  void release() {
    FreeLarge(data_, capacity_ * sizeof(T));
    data_ = nullptr;
    size_ = capacity_ = 0;
  }

 private:
  void Grow() {
    const std::size_t capacity = capacity_ == 0 ? 16 : capacity_ * 2;
    data_ = static_cast<T*>(GrowLarge(data_, capacity_ * sizeof(T), capacity * sizeof(T), size_ * sizeof(T)));
    capacity_ = capacity;
  }
  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// An owned block from AllocateLarge (movable, not copyable).
class LargeBlock {
 public:
  LargeBlock() = default;
  explicit LargeBlock(std::size_t bytes) : data_(AllocateLarge(bytes)), bytes_(bytes) {}
  LargeBlock(LargeBlock&& other) noexcept : data_(other.data_), bytes_(other.bytes_) { other.data_ = nullptr; }
  LargeBlock& operator=(LargeBlock&& other) noexcept {
    if (this != &other) {
      Reset();
      data_ = other.data_;
      bytes_ = other.bytes_;
      other.data_ = nullptr;
    }
    return *this;
  }
  LargeBlock(const LargeBlock&) = delete;
  LargeBlock& operator=(const LargeBlock&) = delete;
  ~LargeBlock() { Reset(); }
  void* data() const { return data_; }

 private:
  void Reset() noexcept {
    if (data_ != nullptr) FreeLarge(data_, bytes_);
    data_ = nullptr;
  }
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace syllo::engine

#include "engine/large_alloc.h"

#include <sys/mman.h>

#include <cstring>
#include <new>

namespace syllo::engine {

namespace {

constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;
// Huge pages only for blocks this large: a block's last huge page is resident
// in full once touched, which in a 4 MiB block could be half of it.
constexpr std::size_t kHugeAdviceBytes = std::size_t{32} << 20;

void AdviseHugePages(void* p, std::size_t mapped) {
#ifdef MADV_HUGEPAGE
  // Advice only: without THP the block still works, in small pages.
  if (mapped >= kHugeAdviceBytes) (void)::madvise(p, mapped, MADV_HUGEPAGE);
#else
  (void)p;
  (void)mapped;
#endif
}

// A whole number of huge pages: the kernel aligns such an anonymous mapping on
// a huge-page boundary, so all of it can be backed by huge pages.
std::size_t MappedBytes(std::size_t bytes) { return (bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1); }

}  // namespace

void* AllocateLarge(std::size_t bytes) {
  if (bytes < kLargeBlockBytes) return ::operator new(bytes);
  void* p = ::mmap(nullptr, MappedBytes(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  AdviseHugePages(p, MappedBytes(bytes));
  return p;
}

void* GrowLarge(void* block, std::size_t old_bytes, std::size_t new_bytes, std::size_t used) {
  if (old_bytes < kLargeBlockBytes || new_bytes < kLargeBlockBytes) {
    void* grown = AllocateLarge(new_bytes);
    if (used > 0) std::memcpy(grown, block, used);
    FreeLarge(block, old_bytes);
    return grown;
  }
  if (MappedBytes(new_bytes) == MappedBytes(old_bytes)) return block;
  void* p = ::mremap(block, MappedBytes(old_bytes), MappedBytes(new_bytes), MREMAP_MAYMOVE);
  if (p == MAP_FAILED) throw std::bad_alloc();
  AdviseHugePages(p, MappedBytes(new_bytes));
  return p;
}

void FreeLarge(void* block, std::size_t bytes) noexcept {
  if (block == nullptr) return;
  if (bytes < kLargeBlockBytes) {
    ::operator delete(block);
    return;
  }
  ::munmap(block, MappedBytes(bytes));
}

}  // namespace syllo::engine

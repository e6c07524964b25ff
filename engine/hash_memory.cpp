#include "engine/hash_memory.h"

#include <algorithm>
#include <cassert>

namespace syllo::engine {

std::uint32_t HashMemory::Insert(EntryPool& pool, std::uint64_t hash, std::uint32_t item) {
  // At most 3/4 full: short probe runs.
  if ((used_ + 1) * 8 > slots_.size() * 6) Grow();
  std::size_t i = Home(hash);
  while (slots_[i].head != kNoEntry && slots_[i].hash != hash) i = (i + 1) & mask_;
  Bucket& b = slots_[i];
  if (b.head == kNoEntry) {
    std::uint32_t e = pool.Take(item, kNoEntry);
    b = Bucket{hash, e, e};
    ++used_;
    return e;
  }
  std::uint32_t e = pool.Take(item, b.tail);
  pool.entries_[b.tail].next = e;
  b.tail = e;
  return e;
}

void HashMemory::Erase(EntryPool& pool, std::uint64_t hash, std::uint32_t entry) {
  assert(used_ > 0 && "erase from an empty memory");
  std::size_t i = Home(hash);
  while (slots_[i].hash != hash || slots_[i].head == kNoEntry) {
    assert(slots_[i].head != kNoEntry && "the entry's bucket is in the table");
    i = (i + 1) & mask_;
  }
  Bucket& b = slots_[i];
  EntryPool::Entry& en = pool.entries_[entry];
  if (en.prev != kNoEntry) pool.entries_[en.prev].next = en.next;
  else b.head = en.next;
  if (en.next != kNoEntry) pool.entries_[en.next].prev = en.prev;
  else b.tail = en.prev;
  pool.free_.push_back(entry);
  if (b.head != kNoEntry) return;
  // The bucket is empty: backward-shift the run after it so every bucket
  // stays reachable from its home slot without tombstones.
  --used_;
  std::size_t hole = i;
  for (std::size_t j = (hole + 1) & mask_; slots_[j].head != kNoEntry; j = (j + 1) & mask_) {
    std::size_t home = Home(slots_[j].hash);
    // Move j into the hole unless its home lies cyclically in (hole, j].
    bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    hole = j;
  }
  slots_[hole] = Bucket{};
}

std::uint32_t HashMemory::Find(const EntryPool& pool, std::uint64_t hash, std::uint32_t item) const {
  for (std::uint32_t e = First(hash); e != kNoEntry; e = pool.next(e)) {
    if (pool.item(e) == item) return e;
  }
  return kNoEntry;
}

void HashMemory::Clear() {
  if (used_ == 0) return;
  used_ = 0;
  if (slots_.size() > kKeptSlots) {
    LargeVector<Bucket>().swap(slots_);
    mask_ = 0;
    return;
  }
  std::fill(slots_.begin(), slots_.end(), Bucket{});
}

void HashMemory::Grow() {
  LargeVector<Bucket> old;
  old.swap(slots_);
  std::size_t size = old.empty() ? 8 : old.size() * 2;
  slots_.assign(size, Bucket{});
  mask_ = size - 1;
  for (const Bucket& b : old) {
    if (b.head == kNoEntry) continue;
    std::size_t i = Home(b.hash);
    while (slots_[i].head != kNoEntry) i = (i + 1) & mask_;
    slots_[i] = b;
  }
}

}  // namespace syllo::engine

// HashMemory: one side of a beta node's memory (the tokens of its left input,
// or the facts of its right input) grouped by the 64-bit hash of their join
// key, so a join visits only the items whose key hashes alike (the caller
// still compares the keys: two keys may share a hash).
//
// Buckets are open-addressed (linear probing, backward-shift deletion, so no
// tombstones); a bucket's items are a doubly linked list of entries, in
// insertion order, taken from an EntryPool that all the memories of a session
// share. A million one-item buckets cost two flat arrays, not a million heap
// nodes and vectors: this is what the Rete's join loop walks.
//
// Iteration: for (e = m.First(h); e != kNoEntry; e = pool.next(e)). Inserting
// into any memory may grow the pool, so hold entry ids, never references,
// across an insertion. Erasing the entry being visited invalidates the walk.
//
// Thread safety: none; belongs to one session.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/large_alloc.h"

namespace syllo::engine {

inline constexpr std::uint32_t kNoEntry = UINT32_MAX;

class EntryPool {
 public:
  std::uint32_t item(std::uint32_t e) const { return entries_[e].item; }
  std::uint32_t next(std::uint32_t e) const { return entries_[e].next; }
  std::size_t live() const { return entries_.size() - free_.size(); }
  // Forgets every entry, keeping the storage (a session reused for the next
  // decision). The memories that used them must be cleared too.
  void Clear() {
    entries_.clear();
    free_.clear();
  }

 private:
  friend class HashMemory;
  struct Entry {
    std::uint32_t item;
    std::uint32_t next, prev;
  };
  std::uint32_t Take(std::uint32_t item, std::uint32_t prev) {
    std::uint32_t e;
    if (!free_.empty()) {
      e = free_.back();
      free_.pop_back();
      entries_[e] = Entry{item, kNoEntry, prev};
    } else {
      e = static_cast<std::uint32_t>(entries_.size());
      entries_.push_back(Entry{item, kNoEntry, prev});
    }
    return e;
  }
  GrowableArray<Entry> entries_;
  std::vector<std::uint32_t> free_;
};

class HashMemory {
 public:
  // Appends `item` to the bucket of `hash`; returns its entry.
  std::uint32_t Insert(EntryPool& pool, std::uint64_t hash, std::uint32_t item);
  // Removes `entry`, which is in the bucket of `hash`.
  void Erase(EntryPool& pool, std::uint64_t hash, std::uint32_t entry);
  // The first entry of the bucket of `hash`, or kNoEntry.
  std::uint32_t First(std::uint64_t hash) const {
    if (used_ == 0) return kNoEntry;
    for (std::size_t i = Home(hash);; i = (i + 1) & mask_) {
      const Bucket& b = slots_[i];
      if (b.head == kNoEntry) return kNoEntry;
      if (b.hash == hash) return b.head;
    }
  }
  // The entry holding `item` in the bucket of `hash`, or kNoEntry (a walk).
  std::uint32_t Find(const EntryPool& pool, std::uint64_t hash, std::uint32_t item) const;
  std::size_t buckets() const { return used_; }
  // Empties the memory. A small table keeps its storage for reuse; a large
  // one is released, so a reused session does not hold a big request's size.
  void Clear();

 private:
  struct Bucket {
    std::uint64_t hash = 0;
    std::uint32_t head = kNoEntry, tail = kNoEntry;  // head == kNoEntry: empty slot
  };
  std::size_t Home(std::uint64_t hash) const {
    // The key hashes are already mixed; fold the high bits in for small tables.
    return static_cast<std::size_t>(hash ^ (hash >> 29)) & mask_;
  }
  static constexpr std::size_t kKeptSlots = 1024;
  void Grow();
  LargeVector<Bucket> slots_;
  std::size_t mask_ = 0;
  std::size_t used_ = 0;
};

}  // namespace syllo::engine

#include "engine/symbol_table.h"

#include <cassert>
#include <cstring>
#include <stdexcept>

#include "engine/backward_shift.h"

namespace syllo::engine {

SymbolTable& SymbolTable::Global() {
  static SymbolTable* table = new SymbolTable();  // never destroyed: ids outlive statics
  return *table;
}

std::string& SymbolTable::Slot(SymbolId id) const {
  Chunk* c = chunks_[id >> kChunkBits].load(std::memory_order_relaxed);
  return (*c)[id & (kChunkSize - 1)];
}

std::uint64_t SymbolTable::HashText(std::string_view text) {
  // Eight bytes at a time, each folded in by a multiply, the tail read as two
  // overlapping words (the length, mixed in first, tells them apart); then a
  // finisher, since the low bits pick the slot.
  const char* p = text.data();
  std::size_t n = text.size();
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  }
  if (n > 0) {
    std::uint64_t w;
    if (n >= 4) {
      std::uint32_t first, last;
      std::memcpy(&first, p, 4);
      std::memcpy(&last, p + n - 4, 4);
      w = (std::uint64_t{first} << 32) | last;
    } else {
      w = (std::uint64_t{static_cast<unsigned char>(p[0])} << 16) |
          (std::uint64_t{static_cast<unsigned char>(p[n >> 1])} << 8) | static_cast<unsigned char>(p[n - 1]);
    }
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
  }
  h ^= h >> 32;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 29;
  return h;
}

std::size_t SymbolTable::Probe(std::string_view text, std::uint64_t hash) const {
  const std::size_t mask = index_.size() - 1;
  const auto low = static_cast<std::uint32_t>(hash);
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const IndexSlot& s = index_[i];
    if (s.id == kNoSymbol || (s.hash == low && Slot(s.id) == text)) return i;
  }
}

void SymbolTable::IndexInsert(SymbolId id, std::uint64_t hash) {
  if ((indexed_ + 1) * 4 > index_.size() * 3) {
    std::vector<IndexSlot> old(index_.size() * 2);
    old.swap(index_);
    const std::size_t mask = index_.size() - 1;
    for (const IndexSlot& s : old) {
      if (s.id == kNoSymbol) continue;
      std::size_t i = s.hash & mask;
      while (index_[i].id != kNoSymbol) i = (i + 1) & mask;
      index_[i] = s;
    }
  }
  const std::size_t mask = index_.size() - 1;
  std::size_t i = hash & mask;
  while (index_[i].id != kNoSymbol) i = (i + 1) & mask;
  index_[i] = {id, static_cast<std::uint32_t>(hash)};
  ++indexed_;
}

void SymbolTable::IndexErase(std::string_view text) {
  const std::size_t mask = index_.size() - 1;
  std::size_t i = Probe(text, HashText(text));
  assert(index_[i].id != kNoSymbol && "erasing a text that is not indexed");
  if (index_[i].id == kNoSymbol) return;
  BackwardShiftErase(
      i, mask, [&](std::size_t j) { return index_[j].id == kNoSymbol; },
      [&](std::size_t j) { return index_[j].hash & mask; },
      [&](std::size_t from, std::size_t to) { index_[to] = index_[from]; },
      [&](std::size_t j) { index_[j] = IndexSlot{}; });
  --indexed_;
}

SymbolId SymbolTable::FindPermanent(std::string_view text, std::uint64_t hash) const {
  const PermanentIndex* t = permanent_.load(std::memory_order_acquire);
  if (t == nullptr) return kNoSymbol;
  const std::size_t mask = t->size - 1;
  const auto low = static_cast<std::uint32_t>(hash);
  for (std::size_t i = low & mask;; i = (i + 1) & mask) {
    const std::uint64_t w = t->slots[i].load(std::memory_order_acquire);
    if (w == 0) return kNoSymbol;
    if (static_cast<std::uint32_t>(w >> 32) == low) {
      const auto id = static_cast<SymbolId>(static_cast<std::uint32_t>(w) - 1);
      if (Name(id) == text) return id;
    }
  }
}

void SymbolTable::MakePermanent(SymbolId id, std::uint64_t hash) {
  holds_[id] = kForGood;
  PermanentIndex* t = permanent_.load(std::memory_order_relaxed);
  auto place = [](PermanentIndex& into, std::uint64_t word) {
    const std::size_t mask = into.size - 1;
    std::size_t i = (word >> 32) & mask;  // the low hash: where a reader starts
    while (into.slots[i].load(std::memory_order_relaxed) != 0) i = (i + 1) & mask;
    into.slots[i].store(word, std::memory_order_release);
    ++into.used;
  };
  if (t == nullptr || (t->used + 1) * 4 > t->size * 3) {
    if (t != nullptr && t->size >= kMaxPermanentSlots) return;  // found under the lock
    auto bigger = std::make_unique<PermanentIndex>(t == nullptr ? 1024 : t->size * 2);
    if (t != nullptr) {
      for (std::size_t i = 0; i < t->size; ++i) {
        if (const std::uint64_t w = t->slots[i].load(std::memory_order_relaxed); w != 0) place(*bigger, w);
      }
    }
    t = bigger.get();
    permanent_tables_.push_back(std::move(bigger));
    permanent_.store(t, std::memory_order_release);
  }
  place(*t, (std::uint64_t{static_cast<std::uint32_t>(hash)} << 32) | (std::uint64_t{id} + 1));
}

SymbolId SymbolTable::Add(std::string_view text, std::uint64_t hash, std::uint32_t holds) {
  SymbolId id;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
  } else {
    std::size_t next = size_.load(std::memory_order_relaxed);
    std::size_t chunk = next >> kChunkBits;
    if (chunk >= kMaxChunks) throw std::length_error("symbol table is full (67M distinct strings and symbols)");
    if ((next & (kChunkSize - 1)) == 0) {
      owned_.push_back(std::make_unique<Chunk>());
      chunks_[chunk].store(owned_.back().get(), std::memory_order_release);
    }
    id = static_cast<SymbolId>(next);
    holds_.push_back(0);
    size_.store(next + 1, std::memory_order_release);
  }
  std::string& slot = Slot(id);
  slot.assign(text);
  holds_[id] = holds;
  IndexInsert(id, hash);
  if (holds == kForGood) MakePermanent(id, hash);
  return id;
}

SymbolId SymbolTable::Intern(std::string_view text) {
  const std::uint64_t hash = HashText(text);  // outside the lock
  if (const SymbolId id = FindPermanent(text, hash); id != kNoSymbol) return id;
  std::lock_guard lock(mutex_);
  if (const IndexSlot& s = index_[Probe(text, hash)]; s.id != kNoSymbol) {
    if (holds_[s.id] != kForGood) MakePermanent(s.id, hash);  // a held text interned for good stays
    return s.id;
  }
  return Add(text, hash, kForGood);
}

SymbolId SymbolTable::InternHeld(std::string_view text, std::vector<SymbolId>& held) {
  bool listed = false;
  const SymbolId id = InternHeld(text, listed);
  if (listed) held.push_back(id);
  return id;
}

SymbolId SymbolTable::InternHeld(std::string_view text, bool& listed) {
  listed = false;
  const std::uint64_t hash = HashText(text);
  if (const SymbolId id = FindPermanent(text, hash); id != kNoSymbol) return id;
  std::lock_guard lock(mutex_);
  if (const IndexSlot& s = index_[Probe(text, hash)]; s.id != kNoSymbol) {
    SymbolId id = s.id;
    if (holds_[id] == kForGood) return id;
    if (promotions_left_ > 0) {
      // Held again: a text requests repeat. Its holders' listings are
      // skipped when they release it.
      --promotions_left_;
      MakePermanent(id, hash);
      return id;
    }
    ++holds_[id];  // from 0: released, not yet freed, held again
    listed = true;
    return id;
  }
  listed = true;
  return Add(text, hash, 1);
}

void SymbolTable::Release(std::span<const SymbolId> held) {
  std::lock_guard lock(mutex_);
  for (SymbolId id : held) {
    std::uint32_t& h = holds_[id];
    if (h == kForGood) continue;  // made permanent since
    assert(h != 0 && h != kFree && "a symbol released more often than held");
    if (h == 0 || h == kFree) continue;
    if (--h == 0) released_.push_back(id);
  }
  if (released_.size() >= kFreeBatch) FreeReleased();
}

void SymbolTable::FreeReleased() {
  for (SymbolId id : released_) {
    // Held again since, or listed twice (released, held, released again).
    if (holds_[id] != 0) continue;
    std::string& slot = Slot(id);
    IndexErase(slot);
    slot.clear();
    holds_[id] = kFree;
    free_ids_.push_back(id);
  }
  released_.clear();
}

std::size_t SymbolTable::live() const {
  std::lock_guard lock(mutex_);
  return indexed_;
}

std::optional<SymbolId> SymbolTable::Find(std::string_view text) const {
  const std::uint64_t hash = HashText(text);
  if (const SymbolId id = FindPermanent(text, hash); id != kNoSymbol) return id;
  std::lock_guard lock(mutex_);
  if (const IndexSlot& s = index_[Probe(text, hash)]; s.id != kNoSymbol) return s.id;
  return std::nullopt;
}

std::string_view SymbolTable::Name(SymbolId id) const {
  Chunk* c = chunks_[id >> kChunkBits].load(std::memory_order_acquire);
  return (*c)[id & (kChunkSize - 1)];
}

void SymbolScope::Release() {
  if (few_count_ != 0) SymbolTable::Global().Release({few_.data(), few_count_});
  if (!more_.empty()) SymbolTable::Global().Release(more_);
  few_count_ = 0;
  more_.clear();
}

}  // namespace syllo::engine

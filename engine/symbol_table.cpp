#include "engine/symbol_table.h"

#include <cassert>
#include <stdexcept>

namespace syllo::engine {

SymbolTable& SymbolTable::Global() {
  static SymbolTable* table = new SymbolTable();  // never destroyed: ids outlive statics
  return *table;
}

std::string& SymbolTable::Slot(SymbolId id) const {
  Chunk* c = chunks_[id >> kChunkBits].load(std::memory_order_relaxed);
  return (*c)[id & (kChunkSize - 1)];
}

SymbolId SymbolTable::Add(std::string_view text, std::uint32_t holds) {
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
  index_.emplace(std::string_view(slot), id);
  return id;
}

SymbolId SymbolTable::Intern(std::string_view text) {
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(text); it != index_.end()) {
    holds_[it->second] = kForGood;  // a held text interned for good stays
    return it->second;
  }
  return Add(text, kForGood);
}

SymbolId SymbolTable::InternHeld(std::string_view text, std::vector<SymbolId>& held) {
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(text); it != index_.end()) {
    SymbolId id = it->second;
    if (holds_[id] != kForGood) {
      ++holds_[id];  // from 0: released, not yet freed, held again
      held.push_back(id);
    }
    return id;
  }
  SymbolId id = Add(text, 1);
  held.push_back(id);
  return id;
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
    index_.erase(std::string_view(slot));
    slot.clear();
    holds_[id] = kFree;
    free_ids_.push_back(id);
  }
  released_.clear();
}

std::size_t SymbolTable::live() const {
  std::lock_guard lock(mutex_);
  return index_.size();
}

std::optional<SymbolId> SymbolTable::Find(std::string_view text) const {
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(text); it != index_.end()) return it->second;
  return std::nullopt;
}

std::string_view SymbolTable::Name(SymbolId id) const {
  Chunk* c = chunks_[id >> kChunkBits].load(std::memory_order_acquire);
  return (*c)[id & (kChunkSize - 1)];
}

void SymbolScope::Release() {
  if (held_.empty()) return;
  SymbolTable::Global().Release(held_);
  held_.clear();
}

}  // namespace syllo::engine

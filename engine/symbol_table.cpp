#include "engine/symbol_table.h"

#include <stdexcept>

namespace syllo::engine {

SymbolTable& SymbolTable::Global() {
  static SymbolTable* table = new SymbolTable();  // never destroyed: ids outlive statics
  return *table;
}

SymbolId SymbolTable::Intern(std::string_view text) {
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(text); it != index_.end()) return it->second;
  std::size_t id = size_.load(std::memory_order_relaxed);
  std::size_t chunk = id >> kChunkBits;
  if (chunk >= kMaxChunks) throw std::length_error("symbol table is full");
  if ((id & (kChunkSize - 1)) == 0) {
    owned_.push_back(std::make_unique<Chunk>());
    chunks_[chunk].store(owned_.back().get(), std::memory_order_release);
  }
  Chunk* c = chunks_[chunk].load(std::memory_order_relaxed);
  std::string& slot = (*c)[id & (kChunkSize - 1)];
  slot.assign(text);
  index_.emplace(std::string_view(slot), static_cast<SymbolId>(id));
  size_.store(id + 1, std::memory_order_release);
  return static_cast<SymbolId>(id);
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

}  // namespace syllo::engine

// SymbolTable: interns names (symbols and strings) as dense 32-bit ids.
//
// Interning makes equality and hashing of symbols a single integer operation on
// every hot path (alpha tests, join keys, fact dedup). The table is process-wide
// so that a compiled program and every session agree on ids.
//
// Thread safety: Intern() and Find() take a mutex; Name() is lock-free. An id is
// only ever obtained from Intern(), whose mutex publishes the text before the id,
// and texts never move (they live in fixed-size chunks), so Name() on any id a
// thread holds is safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace syllo::engine {

using SymbolId = std::uint32_t;

class SymbolTable {
 public:
  static SymbolTable& Global();

  SymbolId Intern(std::string_view text);
  std::optional<SymbolId> Find(std::string_view text) const;
  std::string_view Name(SymbolId id) const;
  std::size_t size() const { return size_.load(std::memory_order_acquire); }

  SymbolTable() = default;
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

 private:
  static constexpr std::size_t kChunkBits = 12;
  static constexpr std::size_t kChunkSize = std::size_t{1} << kChunkBits;
  static constexpr std::size_t kMaxChunks = std::size_t{1} << 14;  // 67M names; 128 KiB of pointers
  using Chunk = std::array<std::string, kChunkSize>;

  mutable std::mutex mutex_;
  std::unordered_map<std::string_view, SymbolId> index_;  // views into chunks_
  // Chunk pointers are written once under mutex_ and never freed before exit.
  std::unique_ptr<std::atomic<Chunk*>[]> chunks_{new std::atomic<Chunk*>[kMaxChunks]()};
  std::vector<std::unique_ptr<Chunk>> owned_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace syllo::engine

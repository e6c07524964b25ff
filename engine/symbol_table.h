// SymbolTable: interns names (symbols and strings) as dense 32-bit ids.
//
// Interning makes equality and hashing of symbols a single integer operation on
// every hot path (alpha tests, join keys, fact dedup). The table is process-wide
// so that a compiled program and every session agree on ids.
//
// Most texts are interned for good (a program's constants, a KB's facts). A
// text that comes with a caller's data and is new (an applicant's id in a
// decision request) is interned *held* instead (InternHeld, by a SymbolScope):
// its id is freed once every holder has released it, and reused, so that a
// service answering requests with ever new strings keeps a bounded table.
// Interning a held text for good makes it permanent; the id does not change.
// So does holding it again (a second holder while the first holds it, or a
// holder after its release, before it was freed): requests repeat such a
// text (a country code, a loan purpose), and a permanent text is found
// without the lock. A table promotes at most a budget of texts so
// (kPromotions by default); past it, held texts stay held. A service seeing
// ever new strings still keeps a bounded table.
//
// Thread safety: Intern(), InternHeld() and Find() of a permanent text are
// lock-free (the permanent index); otherwise they take a mutex, as Release()
// does. Name() is lock-free. An id is only ever obtained from Intern() or
// InternHeld(), whose mutex publishes the text before the id, and texts never
// move (they live in fixed-size chunks), so Name() on any id a thread holds is
// safe. A freed id's slot is written again only when the id is handed out
// again, which no holder of the old text can see: it released it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace syllo::engine {

using SymbolId = std::uint32_t;

class SymbolTable {
 public:
  static SymbolTable& Global();

  // Interns for good.
  SymbolId Intern(std::string_view text);
  // Interns for a holder, who lists the id in `held` and later gives the list
  // to Release. A text already interned for good keeps its id and is not listed.
  SymbolId InternHeld(std::string_view text, std::vector<SymbolId>& held);
  // InternHeld for a holder that keeps its own list: `listed` says whether
  // the id is to be listed (and given to Release).
  SymbolId InternHeld(std::string_view text, bool& listed);
  // Gives back ids InternHeld listed (each once per listing). Texts no longer
  // held are freed in batches, their ids reused.
  void Release(std::span<const SymbolId> held);

  std::optional<SymbolId> Find(std::string_view text) const;
  std::string_view Name(SymbolId id) const;
  // Ids handed out so far (freed ones are reused before this grows).
  std::size_t size() const { return size_.load(std::memory_order_acquire); }
  // Texts interned now: for good, held, or released but not yet freed.
  std::size_t live() const;

  // Texts a held text held again is made permanent for, by default: a few
  // MiB of texts at most.
  static constexpr std::size_t kPromotions = 65536;
  explicit SymbolTable(std::size_t promotions = kPromotions) : promotions_left_(promotions) {}
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  // Released texts are freed when this many are waiting (a text released and
  // held again in between, as a common country code is, is kept).
  static constexpr std::size_t kFreeBatch = 4096;

 private:
  static constexpr std::size_t kChunkBits = 12;
  static constexpr std::size_t kChunkSize = std::size_t{1} << kChunkBits;
  static constexpr std::size_t kMaxChunks = std::size_t{1} << 14;  // 67M names; 128 KiB of pointers
  using Chunk = std::array<std::string, kChunkSize>;
  // holds_ by id: the number of holders, or one of these.
  static constexpr std::uint32_t kForGood = UINT32_MAX;
  static constexpr std::uint32_t kFree = UINT32_MAX - 1;

  std::string& Slot(SymbolId id) const;
  SymbolId Add(std::string_view text, std::uint64_t hash, std::uint32_t holds);  // REQUIRES: mutex_ held
  void FreeReleased();                                                             // REQUIRES: mutex_ held

  // The text -> id index: open addressing with linear probing, each slot an
  // id and the low half of its text's hash (its home slot; most misses end
  // there, without reading the text). A decision request interns a few new
  // strings, and std::unordered_map's node per text and byte-wise hash were
  // most of what that cost.
  struct IndexSlot {
    SymbolId id = kNoSymbol;
    std::uint32_t hash = 0;  // the low 32 bits (the table stays below 2^32 slots)
  };
  static constexpr SymbolId kNoSymbol = UINT32_MAX;
  static std::uint64_t HashText(std::string_view text);
  // The slot holding `text`, or the empty slot where it would go.
  std::size_t Probe(std::string_view text, std::uint64_t hash) const;
  void IndexInsert(SymbolId id, std::uint64_t hash);
  void IndexErase(std::string_view text);  // backward-shift deletion

  // The permanent texts again, readable without the mutex. Slots are words
  // (low hash << 32 | id + 1; 0 empty) written under mutex_ and read with
  // acquire; a permanent text's id and text never change, so a reader that
  // sees the word may read the text. It only grows: a fuller table is copied
  // into one twice its size, which is then published; readers still on an
  // old one miss at worst and take the lock. Old tables are kept (less than
  // the live one in all). It stops growing at kMaxPermanentSlots (2 MiB):
  // texts made permanent past that are found under the lock, as before, so a
  // knowledge base of millions of texts does not pay for a second index.
  struct PermanentIndex {
    explicit PermanentIndex(std::size_t n) : slots(new std::atomic<std::uint64_t>[n]()), size(n) {}
    std::unique_ptr<std::atomic<std::uint64_t>[]> slots;
    std::size_t size;      // a power of two
    std::size_t used = 0;  // under mutex_
  };
  static constexpr std::size_t kMaxPermanentSlots = std::size_t{1} << 18;
  SymbolId FindPermanent(std::string_view text, std::uint64_t hash) const;  // kNoSymbol if absent
  void MakePermanent(SymbolId id, std::uint64_t hash);                        // REQUIRES: mutex_ held
  std::atomic<PermanentIndex*> permanent_{nullptr};
  std::vector<std::unique_ptr<PermanentIndex>> permanent_tables_;  // under mutex_; the last is live
  std::size_t promotions_left_;                                     // under mutex_

  mutable std::mutex mutex_;
  std::vector<IndexSlot> index_ = std::vector<IndexSlot>(1024);  // a power of two
  std::size_t indexed_ = 0;
  // Chunk pointers are written once under mutex_ and never freed before exit.
  std::unique_ptr<std::atomic<Chunk*>[]> chunks_{new std::atomic<Chunk*>[kMaxChunks]()};
  std::vector<std::unique_ptr<Chunk>> owned_;
  std::atomic<std::size_t> size_{0};
  std::vector<std::uint32_t> holds_;  // by id, under mutex_
  std::vector<SymbolId> released_;    // held texts whose holders all released them (maybe held again since)
  std::vector<SymbolId> free_ids_;    // freed, to hand out again
};

// The texts one holder (a Session) interned from its callers' data; released
// when it goes. Everything that may still hold one of its ids (the session's
// working memory, its solver) must be gone or reset first.
class SymbolScope {
 public:
  SymbolScope() = default;
  ~SymbolScope() { Release(); }
  SymbolScope(const SymbolScope&) = delete;
  SymbolScope& operator=(const SymbolScope&) = delete;

  SymbolId Intern(std::string_view text) {
    bool listed = false;
    const SymbolId id = SymbolTable::Global().InternHeld(text, listed);
    if (listed) {
      if (few_count_ < few_.size()) {
        few_[few_count_++] = id;
      } else {
        more_.push_back(id);
      }
    }
    return id;
  }
  void Release();
  std::size_t held() const { return few_count_ + more_.size(); }

 private:
  // A request's few new texts (its id) in place: no allocation per session.
  std::array<SymbolId, 6> few_;
  std::uint32_t few_count_ = 0;
  std::vector<SymbolId> more_;
};

}  // namespace syllo::engine

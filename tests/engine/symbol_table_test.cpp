// The symbol table's held texts: freed once released by every holder, their
// ids reused; texts interned for good never are; texts held again made
// permanent, up to the table's budget; the lock-free reads of permanent
// texts from several threads.
#include "engine/symbol_table.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace syllo::engine {
namespace {

// Holds and releases kFreeBatch fresh texts: a batch of released texts is freed.
void ForceFreeBatch(SymbolTable& table, const std::string& prefix) {
  std::vector<SymbolId> held;
  for (std::size_t i = 0; i < SymbolTable::kFreeBatch; ++i) table.InternHeld(prefix + std::to_string(i), held);
  table.Release(held);
}

TEST(SymbolTableTest, ReleasedTextsAreFreedAndTheirIdsReused) {
  SymbolTable table;
  std::vector<SymbolId> held;
  SymbolId a = table.InternHeld("applicant-1", held);
  EXPECT_EQ(table.Name(a), "applicant-1");
  ASSERT_EQ(held.size(), 1u);
  table.Release(held);
  // One released text waits for a batch: still there, same id.
  EXPECT_EQ(table.Find("applicant-1"), a);

  ForceFreeBatch(table, "t");
  EXPECT_FALSE(table.Find("applicant-1").has_value());
  EXPECT_EQ(table.live(), 0u);
  const std::size_t ids = table.size();
  EXPECT_EQ(ids, SymbolTable::kFreeBatch + 1);
  // New texts take freed ids: the table does not grow.
  std::vector<SymbolId> more;
  for (int i = 0; i < 100; ++i) {
    SymbolId id = table.InternHeld("new-" + std::to_string(i), more);
    EXPECT_LT(id, ids);
    EXPECT_EQ(table.Name(id), "new-" + std::to_string(i));
  }
  EXPECT_EQ(table.size(), ids);
}

// The index grows past its first size and erases from the middle of probe
// runs: every text left is still found under its id, every freed one is not,
// whatever its length (the hash reads words, overlapping tails, single bytes).
TEST(SymbolTableTest, TheIndexFindsEveryTextThroughGrowthAndErasure) {
  SymbolTable table;
  auto text = [](int i) { return std::string(static_cast<std::size_t>(i % 23), 'x') + std::to_string(i); };
  std::vector<SymbolId> kept, dropped;
  std::vector<SymbolId> ids;
  for (int i = 0; i < 3 * static_cast<int>(SymbolTable::kFreeBatch); ++i) {
    ids.push_back(table.InternHeld(text(i), i % 3 == 0 ? kept : dropped));
  }
  EXPECT_EQ(table.live(), ids.size());
  table.Release(dropped);  // 2 * kFreeBatch: freed at once
  EXPECT_EQ(table.live(), kept.size());
  for (int i = 0; i < static_cast<int>(ids.size()); ++i) {
    if (i % 3 == 0) {
      EXPECT_EQ(table.Find(text(i)), ids[static_cast<std::size_t>(i)]) << text(i);
      EXPECT_EQ(table.Name(ids[static_cast<std::size_t>(i)]), text(i));
    } else {
      EXPECT_FALSE(table.Find(text(i)).has_value()) << text(i);
    }
  }
  EXPECT_FALSE(table.Find("").has_value());
  const SymbolId empty = table.Intern("");
  EXPECT_EQ(table.Find(""), empty);
  EXPECT_NE(table.Intern("a"), table.Intern("b"));
  EXPECT_NE(table.Intern("ab"), table.Intern("ba"));
}

TEST(SymbolTableTest, TextsInternedForGoodAreNeverListedNorFreed) {
  SymbolTable table;
  SymbolId p = table.Intern("KP");
  std::vector<SymbolId> held;
  EXPECT_EQ(table.InternHeld("KP", held), p);
  EXPECT_TRUE(held.empty());

  // A held text interned for good meanwhile (a rule constant of a reloaded
  // pack, say) keeps its id and stays after its holder releases it.
  SymbolId q = table.InternHeld("NL", held);
  EXPECT_EQ(table.Intern("NL"), q);
  table.Release(held);
  ForceFreeBatch(table, "t");
  EXPECT_EQ(table.Find("NL"), q);
  EXPECT_EQ(table.Name(q), "NL");
  EXPECT_EQ(table.Find("KP"), p);
}

TEST(SymbolTableTest, ATextStaysWhileAnyHolderHoldsIt) {
  SymbolTable table(0);  // promotes nothing: a text held twice stays held
  std::vector<SymbolId> first, second;
  SymbolId x = table.InternHeld("shared", first);
  EXPECT_EQ(table.InternHeld("shared", second), x);
  table.Release(first);
  ForceFreeBatch(table, "a");
  EXPECT_EQ(table.Find("shared"), x);
  EXPECT_EQ(table.Name(x), "shared");
  table.Release(second);
  ForceFreeBatch(table, "b");
  EXPECT_FALSE(table.Find("shared").has_value());
}

TEST(SymbolTableTest, ATextHeldAgainBeforeTheBatchIsKept) {
  SymbolTable table(0);
  std::vector<SymbolId> held;
  SymbolId de = table.InternHeld("DE", held);
  table.Release(held);  // no holder: waits for the batch
  held.clear();
  EXPECT_EQ(table.InternHeld("DE", held), de);  // held again, same id
  ForceFreeBatch(table, "t");
  EXPECT_EQ(table.Find("DE"), de);
  table.Release(held);
  ForceFreeBatch(table, "u");
  EXPECT_FALSE(table.Find("DE").has_value());
}

TEST(SymbolTableTest, TextsHeldAgainArePermanentUpToTheBudget) {
  SymbolTable table(2);
  std::vector<SymbolId> first, second;
  // Held by a second holder while the first holds it: permanent, not listed.
  const SymbolId nl = table.InternHeld("NL", first);
  EXPECT_EQ(first.size(), 1u);
  EXPECT_EQ(table.InternHeld("NL", second), nl);
  EXPECT_TRUE(second.empty());
  // Held again after its release, before the batch: permanent too.
  std::vector<SymbolId> once;
  const SymbolId car = table.InternHeld("car", once);
  table.Release(once);
  EXPECT_EQ(table.InternHeld("car", second), car);
  EXPECT_TRUE(second.empty());
  // The budget is spent: a third text held twice stays held.
  const SymbolId id = table.InternHeld("A000001", first);
  EXPECT_EQ(table.InternHeld("A000001", second), id);
  EXPECT_EQ(second.size(), 1u);
  table.Release(first);
  table.Release(second);
  ForceFreeBatch(table, "t");
  EXPECT_EQ(table.Find("NL"), nl);
  EXPECT_EQ(table.Name(nl), "NL");
  EXPECT_EQ(table.Find("car"), car);
  EXPECT_FALSE(table.Find("A000001").has_value());
  EXPECT_EQ(table.live(), 2u);
}

// Threads intern the same texts, for good and held, while the permanent
// index grows under them: every thread gets one id per text, and its text.
TEST(SymbolTableTest, ThreadsAgreeOnIdsWhileThePermanentIndexGrows) {
  SymbolTable table;
  constexpr int kThreads = 4, kTexts = 3000;
  std::vector<std::vector<SymbolId>> ids(kThreads, std::vector<SymbolId>(kTexts));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<SymbolId> held;
      for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < kTexts; ++i) {
          const int k = (i * 7 + t * 13) % kTexts;  // each thread in its own order
          const std::string text = "text-" + std::to_string(k);
          const SymbolId id = k % 2 == 0 ? table.Intern(text) : table.InternHeld(text, held);
          if (round == 1) {
            EXPECT_EQ(id, ids[t][k]) << text;
          }
          ids[t][k] = id;
          EXPECT_EQ(table.Name(id), text);
        }
      }
      table.Release(held);
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(ids[t], ids[0]);
  for (int k = 0; k < kTexts; ++k) EXPECT_EQ(table.Find("text-" + std::to_string(k)), ids[0][k]);
}

// The lock-free index stops growing at its limit; texts made permanent past
// it are found under the lock, with the same ids.
TEST(SymbolTableTest, PermanentTextsPastTheLockFreeIndexAreFound) {
  SymbolTable table;
  const int n = 210000;  // more than three quarters of the index's limit
  std::vector<SymbolId> ids;
  for (int i = 0; i < n; ++i) ids.push_back(table.Intern("kb-" + std::to_string(i)));
  for (int i = 0; i < n; i += 997) {
    const std::string text = "kb-" + std::to_string(i);
    EXPECT_EQ(table.Find(text), ids[static_cast<std::size_t>(i)]) << text;
    EXPECT_EQ(table.Intern(text), ids[static_cast<std::size_t>(i)]) << text;
    std::vector<SymbolId> held;
    EXPECT_EQ(table.InternHeld(text, held), ids[static_cast<std::size_t>(i)]) << text;
    EXPECT_TRUE(held.empty()) << text;
  }
  EXPECT_EQ(table.Find("kb-" + std::to_string(n - 1)), ids.back());
  EXPECT_EQ(table.live(), static_cast<std::size_t>(n));
}

TEST(SymbolTableTest, AScopeReleasesWhatItInternedWhenItGoes) {
  const std::string text = "scope-test-text-that-no-program-uses";
  {
    SymbolScope scope;
    SymbolId id = scope.Intern(text);
    EXPECT_EQ(scope.held(), 1u);
    EXPECT_EQ(SymbolTable::Global().Name(id), text);
  }
  {
    SymbolScope batch;  // a batch of released texts: frees them all
    for (std::size_t i = 0; i < SymbolTable::kFreeBatch; ++i) batch.Intern(text + std::to_string(i));
  }
  EXPECT_FALSE(SymbolTable::Global().Find(text).has_value());
  EXPECT_FALSE(SymbolTable::Global().Find(text + "0").has_value());
}

}  // namespace
}  // namespace syllo::engine

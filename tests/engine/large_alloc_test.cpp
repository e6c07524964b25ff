// AllocateLarge and the containers over it: small and large blocks hold what
// is written to them, a vector keeps its contents while it grows across the
// large-block threshold, and a large block is a fresh zeroed mapping.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <utility>

#include "engine/large_alloc.h"

namespace syllo::engine {
namespace {

TEST(LargeAlloc, SmallAndLargeBlocksHoldTheirBytes) {
  for (std::size_t bytes : {std::size_t{64}, kLargeBlockBytes - 8, kLargeBlockBytes, kLargeBlockBytes * 3 + 5}) {
    auto* p = static_cast<unsigned char*>(AllocateLarge(bytes));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u) << bytes;
    std::memset(p, 0xAB, bytes);
    EXPECT_EQ(p[0], 0xAB);
    EXPECT_EQ(p[bytes - 1], 0xAB);
    FreeLarge(p, bytes);
  }
}

TEST(LargeAlloc, LargeBlocksStartZeroed) {
  LargeBlock block(kLargeBlockBytes * 2);
  const auto* p = static_cast<const unsigned char*>(block.data());
  for (std::size_t i = 0; i < kLargeBlockBytes * 2; i += 4093) ASSERT_EQ(p[i], 0) << i;
}

TEST(LargeAlloc, AVectorKeepsItsContentsGrowingPastTheThreshold) {
  LargeVector<std::uint64_t> v;
  const std::size_t n = kLargeBlockBytes / sizeof(std::uint64_t) * 3;
  for (std::size_t i = 0; i < n; ++i) v.push_back(i * 2654435761u);
  ASSERT_EQ(v.size(), n);
  EXPECT_GE(v.capacity() * sizeof(std::uint64_t), kLargeBlockBytes);
  for (std::size_t i = 0; i < n; i += 997) ASSERT_EQ(v[i], i * 2654435761u) << i;
  v.resize(10);
  v.shrink_to_fit();  // back below the threshold: operator new's block
  EXPECT_EQ(v[9], std::uint64_t{9} * 2654435761u);
  LargeVector<std::uint64_t>().swap(v);
  EXPECT_TRUE(v.empty());
}

TEST(LargeAlloc, ABlockMovesItsOwnership) {
  LargeBlock a(kLargeBlockBytes);
  void* data = a.data();
  static_cast<char*>(data)[100] = 7;
  LargeBlock b(std::move(a));
  EXPECT_EQ(a.data(), nullptr);  // NOLINT: testing the moved-from state
  EXPECT_EQ(b.data(), data);
  LargeBlock c;
  c = std::move(b);
  EXPECT_EQ(static_cast<char*>(c.data())[100], 7);
}

TEST(LargeAlloc, AGrowableArrayKeepsItsContentsThroughRemaps) {
  struct Item {
    std::uint32_t a = 7;
    std::uint64_t b = 0;
  };
  GrowableArray<Item> items;
  EXPECT_TRUE(items.empty());
  EXPECT_EQ(items.emplace_back().a, 7u);  // value-initialised with its defaults
  const std::size_t n = kLargeBlockBytes / sizeof(Item) * 5;  // several remaps past the threshold
  for (std::size_t i = 1; i < n; ++i) items.push_back(Item{static_cast<std::uint32_t>(i), i * 3});
  ASSERT_EQ(items.size(), n);
  EXPECT_GE(items.capacity(), n);
  for (std::size_t i = 1; i < n; i += 1009) {
    ASSERT_EQ(items[i].a, i) << i;
    ASSERT_EQ(items[i].b, i * 3) << i;
  }
  EXPECT_EQ(items[n - 1].b, (n - 1) * 3);
  items.clear();
  EXPECT_TRUE(items.empty());
  items.push_back(Item{1, 2});
  EXPECT_EQ(items[0].b, 2u);
  items.release();
  EXPECT_EQ(items.capacity(), 0u);
  items.push_back(Item{3, 4});  // usable again
  EXPECT_EQ(items[0].a, 3u);
}

}  // namespace
}  // namespace syllo::engine

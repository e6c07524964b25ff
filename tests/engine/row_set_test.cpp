// RowSet: rows of values by content, numbered in the order added.
#include "engine/row_set.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace syllo::engine {
namespace {

std::vector<Value> Row(std::int64_t a, double b) { return {Value::Int(a), Value::Float(b)}; }

TEST(RowSet, FindsEachRowByContentThroughGrowth) {
  RowSet set(2);
  std::set<std::pair<std::int64_t, double>> added;
  for (std::int64_t i = 0; i < 5000; ++i) {
    const auto [number, fresh] = set.Insert(Row(i % 3000, 0.5 * static_cast<double>(i % 3000)));
    EXPECT_EQ(fresh, i < 3000) << i;
    EXPECT_EQ(number, static_cast<std::uint32_t>(i % 3000)) << i;
  }
  EXPECT_EQ(set.size(), 3000u);
  for (std::int64_t i = 0; i < 3000; ++i) {
    ASSERT_EQ(set.Find(Row(i, 0.5 * static_cast<double>(i))), static_cast<std::uint32_t>(i));
    EXPECT_EQ(set.row(static_cast<std::uint32_t>(i))[0].as_int(), i);
  }
  // Same payload, another kind; another column: not the same row.
  EXPECT_EQ(set.Find(std::vector<Value>{Value::Float(0), Value::Float(0)}), RowSet::kNotFound);
  EXPECT_EQ(set.Find(Row(0, 1.0)), RowSet::kNotFound);
  EXPECT_EQ(set.rows_from(2998).size(), 4u);
  EXPECT_EQ(set.rows_from(2998)[2].as_int(), 2999);
}

TEST(RowSet, ReserveKeepsTheRowsAndClearEmptiesTheSet) {
  RowSet set(1);
  for (std::int64_t i = 0; i < 10; ++i) set.Insert(std::vector<Value>{Value::Int(i)});
  set.Reserve(100000);
  for (std::int64_t i = 0; i < 10; ++i) EXPECT_EQ(set.Find(std::vector<Value>{Value::Int(i)}), static_cast<std::uint32_t>(i));
  set.Reserve(3);  // smaller than it holds: nothing changes
  EXPECT_EQ(set.size(), 10u);
  set.Clear();
  EXPECT_EQ(set.size(), 0u);
  EXPECT_EQ(set.Find(std::vector<Value>{Value::Int(4)}), RowSet::kNotFound);
  EXPECT_EQ(set.Insert(std::vector<Value>{Value::Int(4)}).first, 0u);
}

TEST(RowSet, RowsOfNoColumnsAreOneRow) {
  RowSet set(0);
  EXPECT_TRUE(set.Insert({}).second);
  EXPECT_FALSE(set.Insert({}).second);
  EXPECT_EQ(set.Find({}), 0u);
  EXPECT_EQ(set.size(), 1u);
}

}  // namespace
}  // namespace syllo::engine

#include "engine/relation.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "engine/working_memory.h"

namespace syllo::engine {
namespace {

std::vector<Column> TwoInts() {
  return {{"a", ColumnType::Of(ValueKind::kInt)}, {"b", ColumnType::Of(ValueKind::kInt)}};
}

TEST(Relation, IsASetOfRows) {
  Relation r("edge", TwoInts());
  std::vector<Value> row{Value::Int(1), Value::Int(2)};
  auto first = r.Insert(row, 1.0, Origin::kAsserted);
  EXPECT_TRUE(first.inserted);
  auto again = r.Insert(row, 0.5, Origin::kAsserted);
  EXPECT_FALSE(again.inserted);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(r.size(), 1u);
  EXPECT_EQ(r.certainty(first.id), 1.0);
  EXPECT_TRUE(r.Erase(first.id));
  EXPECT_FALSE(r.Erase(first.id));
  EXPECT_FALSE(r.Find(row).has_value());
  EXPECT_TRUE(r.Insert(row, 1.0, Origin::kAsserted).inserted);
  EXPECT_EQ(r.size(), 1u);
}

TEST(Relation, ConformWidensIntsAndNamesTheColumn) {
  Relation r("p", {{"x", ColumnType::Of(ValueKind::kFloat)}, {"s", ColumnType::Of(ValueKind::kSymbol)}});
  std::vector<Value> ok{Value::Int(3), Value::MakeSymbol("a")};
  EXPECT_TRUE(r.Conform(ok).ok());
  EXPECT_EQ(ok[0], Value::Float(3.0));
  std::vector<Value> bad{Value::Float(1), Value::Int(2)};
  Status s = r.Conform(bad);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("column s of p is symbol"), std::string::npos) << s.message();
  std::vector<Value> short_row{Value::Float(1)};
  EXPECT_FALSE(r.Conform(short_row).ok());
}

// Random inserts and erases against a std::set model; lookups by every mask
// must agree with a filtered scan of the model.
TEST(Relation, RandomOperationsMatchAModel) {
  Relation r("t", TwoInts());
  std::map<std::pair<int, int>, FactId> model;
  std::mt19937 rng(7);
  for (int step = 0; step < 20000; ++step) {
    int a = static_cast<int>(rng() % 40), b = static_cast<int>(rng() % 40);
    std::vector<Value> row{Value::Int(a), Value::Int(b)};
    if (rng() % 3 == 0) {
      auto it = model.find({a, b});
      if (it != model.end()) {
        EXPECT_TRUE(r.Erase(it->second));
        model.erase(it);
      }
    } else {
      auto res = r.Insert(row, 1.0, Origin::kAsserted);
      EXPECT_EQ(res.inserted, !model.count({a, b}));
      model[{a, b}] = res.id;
    }
    if (step % 1000 == 0) {
      int key = static_cast<int>(rng() % 40);
      std::vector<Value> k{Value::Int(key)};
      std::set<FactId> got;
      for (FactId id : r.Lookup(1, k)) got.insert(id);
      std::set<FactId> want;
      for (auto& [ab, id] : model) {
        if (ab.first == key) want.insert(id);
      }
      EXPECT_EQ(got, want);
    }
  }
  EXPECT_EQ(r.size(), model.size());
  for (auto& [ab, id] : model) {
    std::vector<Value> row{Value::Int(ab.first), Value::Int(ab.second)};
    EXPECT_EQ(r.Find(row), id);
  }
}

// A few facts are found by comparing rows, more through the dedup set: each
// fact stays findable, and no duplicate gets in, across the change, erasures,
// recycled ids and a Clear back to few facts.
TEST(Relation, DuplicatesAreRefusedBelowAndAboveTheScanLimit) {
  Relation r("t", TwoInts());
  auto row = [](int a) { return std::vector<Value>{Value::Int(7), Value::Int(a)}; };
  for (int round = 0; round < 2; ++round) {
    std::vector<FactId> ids;
    for (int a = 0; a < 40; ++a) {
      auto res = r.Insert(row(a), 1.0, Origin::kAsserted);
      ASSERT_TRUE(res.inserted) << a;
      ids.push_back(res.id);
      for (int b = 0; b <= a; ++b) {
        auto again = r.Insert(row(b), 1.0, Origin::kAsserted);
        EXPECT_FALSE(again.inserted) << b << " after " << a;
        EXPECT_EQ(again.id, ids[static_cast<std::size_t>(b)]);
      }
    }
    // Every other fact erased and its id recycled for a new row.
    for (int a = 0; a < 40; a += 2) {
      ASSERT_TRUE(r.Erase(ids[static_cast<std::size_t>(a)]));
      r.Recycle(ids[static_cast<std::size_t>(a)]);
    }
    for (int a = 0; a < 40; ++a) EXPECT_EQ(r.Find(row(a)).has_value(), a % 2 == 1) << a;
    for (int a = 100; a < 110; ++a) EXPECT_TRUE(r.Insert(row(a), 1.0, Origin::kAsserted).inserted);
    EXPECT_EQ(r.size(), 30u);
    for (int a = 100; a < 110; ++a) EXPECT_FALSE(r.Insert(row(a), 1.0, Origin::kAsserted).inserted);
    r.Clear();
    EXPECT_EQ(r.size(), 0u);
    EXPECT_FALSE(r.Find(row(1)).has_value());
  }
  // After a Clear, a few facts again.
  EXPECT_TRUE(r.Insert(row(1), 1.0, Origin::kAsserted).inserted);
  EXPECT_FALSE(r.Insert(row(1), 1.0, Origin::kAsserted).inserted);
  EXPECT_EQ(r.Find(row(1)), FactId{0});
}

TEST(WorkingMemory, RedeclarationWithOtherColumnsNamesBoth) {
  WorkingMemory wm;
  ASSERT_TRUE(wm.Declare("edge", TwoInts()).ok());
  EXPECT_TRUE(wm.Declare("edge", TwoInts()).ok());
  auto conflict = wm.Declare("edge", {{"a", ColumnType::Of(ValueKind::kSymbol)}});
  ASSERT_FALSE(conflict.ok());
  EXPECT_NE(conflict.status().message().find("edge(a: symbol)"), std::string::npos);
  EXPECT_NE(conflict.status().message().find("edge(a: int, b: int)"), std::string::npos);
  EXPECT_FALSE(wm.Assert("nope", {}).ok());
  EXPECT_TRUE(wm.Assert("edge", {Value::Int(1), Value::Int(2)}).ok());
  EXPECT_EQ(wm.fact_count(), 1u);
}

}  // namespace
}  // namespace syllo::engine

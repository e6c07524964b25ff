// PushdownRelation: lookups answered by SQLite give exactly the facts a loaded
// relation would, prepare one statement per mask, create indices when allowed,
// and turn SQLite failures into kIoError.
#include "kb/pushdown_relation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <ostream>

#include "engine/tensor_pool.h"
#include "engine/working_memory.h"
#include "kb/fault_vfs.h"
#include "kb/sqlite_handle.h"
#include "kb_test_util.h"

namespace syllo::kb {
namespace {

using engine::Column;
using engine::ColumnMask;
using engine::ColumnType;
using engine::ExternalRows;
using engine::Origin;
using engine::Value;
using engine::ValueKind;
using testing::Col;
using testing::OpenOrDie;
using testing::TempDir;

// One fact as a lookup returns it; compared by Value identity.
struct Row {
  std::vector<Value> values;
  double certainty;
  Origin origin;
  friend bool operator==(const Row&, const Row&) = default;
};

void PrintTo(const Row& r, std::ostream* os) {
  *os << "(";
  for (std::size_t i = 0; i < r.values.size(); ++i) *os << (i ? ", " : "") << r.values[i].ToString();
  *os << ") cf " << r.certainty << " " << engine::OriginName(r.origin);
}

std::vector<Row> Rows(const ExternalRows& out, std::size_t arity) {
  std::vector<Row> rows;
  EXPECT_EQ(out.values.size(), out.size() * arity);
  EXPECT_EQ(out.origin.size(), out.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    rows.push_back({std::vector<Value>(out.values.begin() + i * arity, out.values.begin() + (i + 1) * arity),
                    out.certainty[i], out.origin[i]});
  }
  return rows;
}

// The key of `values` under `mask`: the bound columns, in column order.
std::vector<Value> KeyOf(ColumnMask mask, const std::vector<Value>& values) {
  std::vector<Value> key;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if ((mask >> i) & 1) key.push_back(values[i]);
  }
  return key;
}

// What a lookup must return: the facts, in insertion order, whose bound columns equal the key.
std::vector<Row> BruteForce(const std::vector<Row>& facts, ColumnMask mask, const std::vector<Value>& key) {
  std::vector<Row> out;
  for (const Row& f : facts) {
    if (KeyOf(mask, f.values) == key) out.push_back(f);
  }
  return out;
}

std::vector<Row> LookupRows(PushdownRelation& rel, ColumnMask mask, const std::vector<Value>& key) {
  ExternalRows out;
  Status s = rel.Lookup(mask, key, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return Rows(out, rel.columns().size());
}

std::vector<std::string> IndicesOn(KnowledgeBase& kb, const std::string& table) {
  Result<Statement*> stmt =
      kb.database().Prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name");
  EXPECT_TRUE(stmt.ok());
  EXPECT_TRUE((*stmt)->BindText(1, table).ok());
  std::vector<std::string> names;
  while (*(*stmt)->Step()) names.emplace_back((*stmt)->ColumnText(0));
  (*stmt)->Reset();
  return names;
}

// EXPLAIN QUERY PLAN of a query shaped like a lookup's, one detail line per step.
std::string QueryPlan(KnowledgeBase& kb, const std::string& where) {
  Result<Statement*> stmt =
      kb.database().Prepare("EXPLAIN QUERY PLAN SELECT * FROM rel_item WHERE " + where + " ORDER BY _id");
  EXPECT_TRUE(stmt.ok()) << stmt.status().ToString();
  std::string plan;
  while (*(*stmt)->Step()) plan += std::string((*stmt)->ColumnText(3)) + "\n";
  (*stmt)->Reset();
  return plan;
}

std::vector<Column> ItemColumns() {
  return {Col("name", ValueKind::kSymbol), Col("qty", ValueKind::kInt), Col("price", ValueKind::kFloat)};
}

class Pushdown : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("kb.db");
    kb_ = OpenOrDie(path_);
    ASSERT_TRUE(kb_->DeclareRelation("item", ItemColumns()).ok());
    // Repeated values in every column, so that every mask has groups to find.
    const char* names[] = {"apple", "pear", "fig", "kiwi", "plum"};
    const Origin origins[] = {Origin::kAsserted, Origin::kDerived, Origin::kUser, Origin::kModel};
    std::vector<FactRow> rows;
    for (int i = 0; i < 60; ++i) {
      std::vector<Value> v = {Value::MakeSymbol(names[i % 5]), Value::Int(i % 4), Value::Float((i % 3) * 0.5)};
      if (std::any_of(facts_.begin(), facts_.end(), [&](const Row& f) { return f.values == v; })) continue;
      double cf = (i % 10) / 10.0 - 0.3;
      facts_.push_back({v, cf, origins[i % 4]});
      rows.push_back({v, cf, origins[i % 4]});
    }
    ASSERT_TRUE(kb_->InsertFacts("item", rows).ok());
    // Re-inserting a fact updates its certainty and origin in place (its _id stays).
    facts_[7].certainty = 0.99;
    facts_[7].origin = Origin::kUser;
    FactRow again{facts_[7].values, 0.99, Origin::kUser};
    ASSERT_TRUE(kb_->InsertFacts("item", std::span(&again, 1)).ok());
  }

  std::unique_ptr<PushdownRelation> OpenItem() {
    auto rel = PushdownRelation::Open(*kb_, "item", ItemColumns());
    EXPECT_TRUE(rel.ok()) << rel.status().ToString();
    return rel.ok() ? std::move(*rel) : nullptr;
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<KnowledgeBase> kb_;
  std::vector<Row> facts_;  // in insertion order
};

TEST_F(Pushdown, EveryMaskMatchesABruteForceFilter) {
  ASSERT_GT(facts_.size(), 40u);
  auto rel = OpenItem();
  ASSERT_NE(rel, nullptr);
  for (ColumnMask mask = 0; mask < 8; ++mask) {
    for (const Row& f : facts_) {
      std::vector<Value> key = KeyOf(mask, f.values);
      std::vector<Row> expected = BruteForce(facts_, mask, key);
      ASSERT_FALSE(expected.empty());
      EXPECT_EQ(LookupRows(*rel, mask, key), expected) << "mask " << mask;
    }
  }
  EXPECT_EQ(rel->prepared_statements(), 8u);
}

TEST_F(Pushdown, MaskZeroIsAFullScanInInsertionOrder) {
  auto rel = OpenItem();
  EXPECT_EQ(LookupRows(*rel, 0, {}), facts_);
}

TEST_F(Pushdown, RowsAreAppendedAfterWhatIsThere) {
  auto rel = OpenItem();
  ExternalRows out;
  ASSERT_TRUE(rel->Lookup(0b001, std::vector{Value::MakeSymbol("fig")}, &out).ok());
  std::size_t figs = out.size();
  ASSERT_GT(figs, 0u);
  ASSERT_TRUE(rel->Lookup(0b001, std::vector{Value::MakeSymbol("kiwi")}, &out).ok());
  std::vector<Row> expected = BruteForce(facts_, 0b001, {Value::MakeSymbol("fig")});
  for (const Row& r : BruteForce(facts_, 0b001, {Value::MakeSymbol("kiwi")})) expected.push_back(r);
  EXPECT_EQ(Rows(out, 3), expected);
  EXPECT_GT(out.size(), figs);
}

TEST_F(Pushdown, NoMatchesGiveNoRows) {
  auto rel = OpenItem();
  EXPECT_TRUE(LookupRows(*rel, 0b001, {Value::MakeSymbol("durian")}).empty());
  EXPECT_TRUE(LookupRows(*rel, 0b010, {Value::Int(99)}).empty());
  EXPECT_TRUE(LookupRows(*rel, 0b100, {Value::Float(0.25)}).empty());
  EXPECT_TRUE(LookupRows(*rel, 0b111, {Value::MakeSymbol("fig"), Value::Int(1), Value::Float(7.0)}).empty());
  // As in the engine, a value of another kind equals nothing: 1 is not 1.0, a
  // string is not the symbol of the same text.
  EXPECT_TRUE(LookupRows(*rel, 0b100, {Value::Int(1)}).empty());
  EXPECT_TRUE(LookupRows(*rel, 0b010, {Value::Float(1.0)}).empty());
  EXPECT_TRUE(LookupRows(*rel, 0b001, {Value::MakeString("fig")}).empty());
  EXPECT_FALSE(LookupRows(*rel, 0b001, {Value::MakeSymbol("fig")}).empty());
}

TEST_F(Pushdown, AMalformedMaskOrKeyIsInvalidArgument) {
  auto rel = OpenItem();
  ExternalRows out;
  EXPECT_EQ(rel->Lookup(0b1000, std::vector{Value::Int(1)}, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rel->Lookup(0b011, std::vector{Value::Int(1)}, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.size(), 0u);
}

TEST_F(Pushdown, StatementsArePreparedOncePerMask) {
  auto rel = OpenItem();
  const ColumnMask masks[] = {0b001, 0b010, 0b110};
  std::size_t rows = 0;
  for (int i = 0; i < 1000; ++i) {
    const Row& f = facts_[static_cast<std::size_t>(i) % facts_.size()];
    ColumnMask mask = masks[i % 3];
    std::vector<Row> got = LookupRows(*rel, mask, KeyOf(mask, f.values));
    ASSERT_EQ(got, BruteForce(facts_, mask, KeyOf(mask, f.values)));
    rows += got.size();
  }
  EXPECT_GT(rows, 1000u);
  EXPECT_EQ(rel->prepared_statements(), 3u);
}

TEST_F(Pushdown, BoundColumnsGetAnIndexUnlessOneCoversThem) {
  auto rel = OpenItem();
  std::vector<std::string> before = IndicesOn(*kb_, "rel_item");
  ASSERT_EQ(before, std::vector<std::string>{"sqlite_autoindex_rel_item_1"});
  // Prefixes of the column order are served by the UNIQUE constraint's index.
  LookupRows(*rel, 0b001, {Value::MakeSymbol("fig")});
  LookupRows(*rel, 0b011, {Value::MakeSymbol("fig"), Value::Int(1)});
  LookupRows(*rel, 0b111, {Value::MakeSymbol("fig"), Value::Int(1), Value::Float(0.5)});
  LookupRows(*rel, 0, {});
  EXPECT_EQ(IndicesOn(*kb_, "rel_item"), before);
  // Other masks get their own.
  LookupRows(*rel, 0b010, {Value::Int(1)});
  LookupRows(*rel, 0b110, {Value::Int(1), Value::Float(0.5)});
  LookupRows(*rel, 0b010, {Value::Int(2)});
  EXPECT_EQ(IndicesOn(*kb_, "rel_item"),
            (std::vector<std::string>{"idx_item(qty)", "idx_item(qty,price)", "sqlite_autoindex_rel_item_1"}));
  // And SQLite uses an index for every mask but 0.
  for (const char* where : {"name = 'fig'", "qty = 1", "qty = 1 AND price = 0.5", "name = 'fig' AND qty = 1",
                                   "name = 'fig' AND qty = 1 AND price = 0.5"}) {
    std::string plan = QueryPlan(*kb_, where);
    EXPECT_NE(plan.find("SEARCH"), std::string::npos) << where << ":\n" << plan;
    EXPECT_EQ(plan.find("SCAN"), std::string::npos) << where << ":\n" << plan;
  }
  // A new object (or a reopened KB) finds the index there already.
  auto again = OpenItem();
  LookupRows(*again, 0b010, {Value::Int(1)});
  EXPECT_EQ(IndicesOn(*kb_, "rel_item").size(), 3u);
  EXPECT_TRUE(kb_->IntegrityCheck().ok());
}

TEST_F(Pushdown, ReadOnlyKbAnswersWithoutCreatingIndices) {
  kb_.reset();
  kb_ = OpenOrDie(path_, OpenMode::kReadOnly);
  ASSERT_TRUE(kb_->read_only());
  auto rel = OpenItem();
  ASSERT_NE(rel, nullptr);
  for (ColumnMask mask = 0; mask < 8; ++mask) {
    for (std::size_t i = 0; i < facts_.size(); i += 7) {
      std::vector<Value> key = KeyOf(mask, facts_[i].values);
      EXPECT_EQ(LookupRows(*rel, mask, key), BruteForce(facts_, mask, key)) << "mask " << mask;
    }
  }
  EXPECT_EQ(IndicesOn(*kb_, "rel_item"), std::vector<std::string>{"sqlite_autoindex_rel_item_1"});
}

TEST_F(Pushdown, MissingRelationIsNotFound) {
  auto rel = PushdownRelation::Open(*kb_, "nothing", ItemColumns());
  ASSERT_FALSE(rel.ok());
  EXPECT_EQ(rel.status().code(), StatusCode::kNotFound) << rel.status().ToString();
}

TEST_F(Pushdown, ColumnMismatchIsAlreadyExistsNamingBothSignatures) {
  std::vector<Column> other = {Col("name", ValueKind::kSymbol), Col("qty", ValueKind::kFloat),
                               Col("price", ValueKind::kFloat)};
  auto rel = PushdownRelation::Open(*kb_, "item", other);
  ASSERT_FALSE(rel.ok());
  EXPECT_EQ(rel.status().code(), StatusCode::kAlreadyExists);
  const std::string& m = rel.status().message();
  EXPECT_NE(m.find("item(name: symbol, qty: float, price: float)"), std::string::npos) << m;
  EXPECT_NE(m.find("item(name: symbol, qty: int, price: float)"), std::string::npos) << m;
  EXPECT_NE(m.find(path_), std::string::npos) << m;
}

TEST_F(Pushdown, MatchesALoadedRelationsLookup) {
  engine::WorkingMemory wm;
  ASSERT_TRUE(kb_->LoadInto(wm).ok());
  const engine::Relation* loaded = wm.Get("item");
  ASSERT_NE(loaded, nullptr);
  auto rel = OpenItem();
  for (ColumnMask mask = 0; mask < 8; ++mask) {
    for (const Row& f : facts_) {
      std::vector<Value> key = KeyOf(mask, f.values);
      std::vector<Row> expected;
      for (engine::FactId id : loaded->Lookup(mask, key)) {
        auto row = loaded->row(id);
        expected.push_back({{row.begin(), row.end()}, loaded->certainty(id), loaded->origin(id)});
      }
      std::vector<Row> got = LookupRows(*rel, mask, key);
      // An engine index gives no order; compare as sets.
      auto by_values = [](const Row& a, const Row& b) {
        return std::lexicographical_compare(a.values.begin(), a.values.end(), b.values.begin(), b.values.end(),
                                            [](Value x, Value y) { return engine::CompareValues(x, y) < 0; });
      };
      std::sort(expected.begin(), expected.end(), by_values);
      std::sort(got.begin(), got.end(), by_values);
      EXPECT_EQ(got, expected) << "mask " << mask;
    }
  }
}

TEST_F(Pushdown, LoadIntoWithSkipDeclaresTheRelationEmpty) {
  ASSERT_TRUE(kb_->DeclareRelation("small", {Col("x", ValueKind::kInt)}).ok());
  FactRow row{{Value::Int(5)}};
  ASSERT_TRUE(kb_->InsertFacts("small", std::span(&row, 1)).ok());

  engine::WorkingMemory wm;
  ASSERT_TRUE(kb_->LoadInto(wm, {"item", "not_in_the_kb"}).ok());
  const engine::Relation* item = wm.Get("item");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->columns(), ItemColumns());
  EXPECT_EQ(item->size(), 0u);
  ASSERT_NE(wm.Get("small"), nullptr);
  EXPECT_EQ(wm.Get("small")->size(), 1u);
  EXPECT_EQ(wm.Get("not_in_the_kb"), nullptr);

  engine::WorkingMemory all;
  ASSERT_TRUE(kb_->LoadInto(all).ok());
  EXPECT_EQ(all.Get("item")->size(), facts_.size());
  EXPECT_EQ(all.Get("small")->size(), 1u);
}

TEST_F(Pushdown, StringsWithQuotesAndUnicodeBoolsAndTensors) {
  auto kb = OpenOrDie(dir_.File("other.db"));
  std::vector<Column> columns = {Col("text", ValueKind::kString), Col("flag", ValueKind::kBool),
                                 {"v", ColumnType::Tensor({2})}};
  ASSERT_TRUE(kb->DeclareRelation("note", columns).ok());
  const std::vector<float> a = {1.0f, -2.5f}, b = {0.0f, 3.0f};
  Value ta = Value::Tensor(engine::TensorPool::Global().Intern(a, {2}));
  Value tb = Value::Tensor(engine::TensorPool::Global().Intern(b, {2}));
  const std::string tricky =
      "he said \"hi\" 'there'; -- DROP TABLE x \xE2\x98\x83 na\xC3\xAFve \xE6\x97\xA5\xE6\x9C\xAC";
  std::vector<FactRow> rows = {
      {{Value::MakeString(tricky), Value::Bool(true), ta}, 0.5, Origin::kUser},
      {{Value::MakeString("plain"), Value::Bool(false), ta}, 1.0, Origin::kAsserted},
      {{Value::MakeString(tricky), Value::Bool(false), tb}, -0.25, Origin::kModel},
  };
  ASSERT_TRUE(kb->InsertFacts("note", rows).ok());
  auto rel = PushdownRelation::Open(*kb, "note", columns);
  ASSERT_TRUE(rel.ok()) << rel.status().ToString();

  std::vector<Row> got = LookupRows(**rel, 0b001, {Value::MakeString(tricky)});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (Row{rows[0].values, 0.5, Origin::kUser}));
  EXPECT_EQ(got[1], (Row{rows[2].values, -0.25, Origin::kModel}));
  EXPECT_EQ(got[0].values[0].text(), tricky);
  EXPECT_TRUE(LookupRows(**rel, 0b001, {Value::MakeString("he said \"hi\"")}).empty());

  got = LookupRows(**rel, 0b100, {ta});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].values[2], ta);  // the same interned tensor
  EXPECT_EQ(LookupRows(**rel, 0b010, {Value::Bool(false)}).size(), 2u);
  EXPECT_EQ(LookupRows(**rel, 0b110, {Value::Bool(false), tb}),
            (std::vector<Row>{{rows[2].values, -0.25, Origin::kModel}}));
  // A tensor of another shape with the same bytes matches nothing.
  Value wide = Value::Tensor(engine::TensorPool::Global().Intern(a, {1, 2}));
  EXPECT_TRUE(LookupRows(**rel, 0b100, {wide}).empty());
}

TEST_F(Pushdown, RelationOfNoColumns) {
  auto kb = OpenOrDie(dir_.File("other.db"));
  ASSERT_TRUE(kb->DeclareRelation("raining", {}).ok());
  auto rel = PushdownRelation::Open(*kb, "raining", {});
  ASSERT_TRUE(rel.ok()) << rel.status().ToString();
  EXPECT_TRUE(LookupRows(**rel, 0, {}).empty());
  FactRow row{{}, 0.75, Origin::kUser};
  ASSERT_TRUE(kb->InsertFacts("raining", std::span(&row, 1)).ok());
  EXPECT_EQ(LookupRows(**rel, 0, {}), (std::vector<Row>{{{}, 0.75, Origin::kUser}}));
}

TEST_F(Pushdown, FailedIndexCreationIsIoErrorAndIsRetried) {
  OpenOptions options;
  options.vfs = FaultInjectingVfs::Get().name();
  auto kb = KnowledgeBase::Open(dir_.File("other.db"), OpenMode::kCreate, options);
  ASSERT_TRUE(kb.ok()) << kb.status().ToString();
  ASSERT_TRUE((*kb)->DeclareRelation("item", ItemColumns()).ok());
  FactRow row{{Value::MakeSymbol("fig"), Value::Int(3), Value::Float(1.5)}};
  ASSERT_TRUE((*kb)->InsertFacts("item", std::span(&row, 1)).ok());
  auto rel = PushdownRelation::Open(**kb, "item", ItemColumns());
  ASSERT_TRUE(rel.ok());

  ExternalRows out;
  FaultInjectingVfs::Get().FailWritesAfter(0);
  Status s = (*rel)->Lookup(0b010, std::vector{Value::Int(3)}, &out);
  FaultInjectingVfs::Get().Disarm();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError) << s.ToString();
  EXPECT_NE(s.message().find("item"), std::string::npos) << s.message();
  EXPECT_EQ(out.size(), 0u);
  EXPECT_EQ((*rel)->prepared_statements(), 0u);

  ASSERT_TRUE((*rel)->Lookup(0b010, std::vector{Value::Int(3)}, &out).ok());
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(IndicesOn(**kb, "rel_item").size(), 2u);
  EXPECT_TRUE((*kb)->IntegrityCheck().ok());
}

TEST_F(Pushdown, CorruptTablePagesAreIoErrorNotACrash) {
  std::string path = dir_.File("other.db");
  std::int64_t root = 0, page_size = 0;
  {
    auto kb = OpenOrDie(path);
    ASSERT_TRUE(kb->DeclareRelation("item", ItemColumns()).ok());
    std::vector<FactRow> rows;
    for (int i = 0; i < 2000; ++i) {
      rows.push_back({{Value::MakeSymbol("s" + std::to_string(i)), Value::Int(i), Value::Float(i * 0.5)}});
    }
    ASSERT_TRUE(kb->InsertFacts("item", rows).ok());
    root = *kb->database().QueryInt("SELECT rootpage FROM sqlite_master WHERE name = 'rel_item'");
    page_size = *kb->database().QueryInt("PRAGMA page_size");
  }  // the last connection closes: the WAL is checkpointed into the file
  ASSERT_GT(root, 1);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp((root - 1) * page_size);
    std::string garbage(static_cast<std::size_t>(page_size), '\xA5');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    ASSERT_TRUE(f.good());
  }
  auto kb = OpenOrDie(path, OpenMode::kReadOnly);
  ASSERT_NE(kb, nullptr);
  auto rel = PushdownRelation::Open(*kb, "item", ItemColumns());
  ASSERT_TRUE(rel.ok()) << rel.status().ToString();
  for (int attempt = 0; attempt < 2; ++attempt) {  // the statement is reset: failing twice is fine too
    ExternalRows out;
    Status s = (*rel)->Lookup(0, {}, &out);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kIoError) << s.ToString();
    EXPECT_NE(s.message().find("item"), std::string::npos) << s.message();
    EXPECT_EQ(out.size(), 0u);
    EXPECT_TRUE(out.values.empty());
  }
}

// Scale, not speed: no timing is asserted.
TEST_F(Pushdown, PointLookupsIntoTwoHundredThousandRows) {
  auto kb = OpenOrDie(dir_.File("other.db"));
  std::vector<Column> columns = {Col("id", ValueKind::kSymbol), Col("n", ValueKind::kInt),
                                 Col("bucket", ValueKind::kInt)};
  ASSERT_TRUE(kb->DeclareRelation("big", columns).ok());
  constexpr int kRows = 200'000;
  {
    std::vector<FactRow> rows;
    rows.reserve(kRows);
    for (int i = 0; i < kRows; ++i) {
      rows.push_back({{Value::MakeSymbol("k" + std::to_string(i)), Value::Int(i), Value::Int(i % 1000)},
                      (i % 100) / 100.0});
    }
    ASSERT_TRUE(kb->InsertFacts("big", rows).ok());
  }
  auto rel = PushdownRelation::Open(*kb, "big", columns);
  ASSERT_TRUE(rel.ok());
  ExternalRows out;
  for (int j = 0; j < 1000; ++j) {
    int i = static_cast<int>((std::uint64_t{static_cast<std::uint64_t>(j)} * 7919u * 104729u) % kRows);
    out.clear();
    ASSERT_TRUE((*rel)->Lookup(0b001, std::vector{Value::MakeSymbol("k" + std::to_string(i))}, &out).ok());
    ASSERT_EQ(out.size(), 1u) << i;
    EXPECT_EQ(out.values[1], Value::Int(i));
    EXPECT_EQ(out.certainty[0], (i % 100) / 100.0);
    out.clear();
    ASSERT_TRUE((*rel)->Lookup(0b010, std::vector{Value::Int(i)}, &out).ok());
    ASSERT_EQ(out.size(), 1u) << i;
    EXPECT_EQ(out.values[0].text(), "k" + std::to_string(i));
    EXPECT_EQ(out.values[2], Value::Int(i % 1000));
  }
  out.clear();
  ASSERT_TRUE((*rel)->Lookup(0b100, std::vector{Value::Int(123)}, &out).ok());
  ASSERT_EQ(out.size(), static_cast<std::size_t>(kRows / 1000));
  for (std::size_t r = 0; r < out.size(); ++r) {
    EXPECT_EQ(out.values[r * 3 + 1], Value::Int(123 + 1000 * static_cast<std::int64_t>(r)));  // insertion order
  }
  EXPECT_EQ((*rel)->prepared_statements(), 3u);
}

}  // namespace
}  // namespace syllo::kb

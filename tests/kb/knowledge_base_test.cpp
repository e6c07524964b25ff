// The KnowledgeBase: schema, catalog, identifiers, facts of every type, packs,
// and the bridge to the working memory.
#include "kb/knowledge_base.h"
#include "kb/migrations.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "engine/tensor_pool.h"
#include "kb/fnv_hash.h"
#include "kb/sqlite_handle.h"
#include "kb_test_util.h"

namespace syllo::kb {
namespace {

using engine::Column;
using engine::ColumnType;
using engine::Origin;
using engine::Value;
using engine::ValueKind;
using testing::Col;
using testing::OpenOrDie;
using testing::TempDir;

std::vector<Column> PersonColumns() {
  return {Col("id", ValueKind::kSymbol), Col("age", ValueKind::kInt), Col("income", ValueKind::kFloat)};
}

TEST(KnowledgeBaseTest, CreatesSchemaAndReopensWithRelationsAndFacts) {
  TempDir dir;
  std::string path = dir.File("kb.db");
  {
    auto kb = OpenOrDie(path);
    ASSERT_TRUE(kb->DeclareRelation("person", PersonColumns()).ok());
    FactRow row{{Value::MakeSymbol("ann"), Value::Int(30), Value::Float(1.5)}, 0.75, Origin::kUser};
    ASSERT_TRUE(kb->InsertFacts("person", std::span(&row, 1)).ok());
  }
  auto kb = OpenOrDie(path, OpenMode::kReadWrite);
  auto info = kb->GetRelation("person");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->columns, PersonColumns());
  EXPECT_EQ(info->signature, "person(id: symbol, age: int, income: float)");
  EXPECT_EQ(info->fact_count, 1);
  auto stats = kb->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->schema_version, LatestSchemaVersion());
  EXPECT_EQ(stats->journal_mode, "wal");
  EXPECT_GT(stats->file_bytes, 0);
  EXPECT_TRUE(kb->IntegrityCheck().ok());
}

TEST(KnowledgeBaseTest, OpenMissingFileWithoutCreateIsNotFound) {
  TempDir dir;
  auto kb = KnowledgeBase::Open(dir.File("missing.db"), OpenMode::kReadWrite);
  ASSERT_FALSE(kb.ok());
  EXPECT_EQ(kb.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.File("missing.db")));
}

TEST(KnowledgeBaseTest, RedeclaringTheSameRelationIsANoOp) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  ASSERT_TRUE(kb->DeclareRelation("person", PersonColumns()).ok());
  EXPECT_TRUE(kb->DeclareRelation("person", PersonColumns()).ok());
  EXPECT_EQ(kb->Relations()->size(), 1u);
}

TEST(KnowledgeBaseTest, ConflictingDeclarationNamesBothSignatures) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  ASSERT_TRUE(kb->DeclareRelation("person", PersonColumns()).ok());
  std::vector<Column> other = {Col("id", ValueKind::kSymbol), Col("age", ValueKind::kFloat)};
  Status s = kb->DeclareRelation("person", other);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find("person(id: symbol, age: float)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("person(id: symbol, age: int, income: float)"), std::string::npos) << s.message();
  // Nothing changed.
  EXPECT_EQ(kb->GetRelation("person")->columns, PersonColumns());
}

TEST(KnowledgeBaseTest, InvalidAndHostileNamesAreRefused) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  for (const std::string& name :
       {std::string("Person"), std::string("1abc"), std::string(""), std::string("a-b"),
        std::string("x\"; DROP TABLE syllo_relations; --"), std::string("p) ; DELETE FROM syllo_packs"),
        std::string("syllo_relations"), std::string("syllo_x"), std::string(100, 'a'), std::string("caf\xc3\xa9")}) {
    Status s = kb->DeclareRelation(name, {Col("x", ValueKind::kInt)});
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_NE(s.message().find("invalid relation name"), std::string::npos) << s.message();
  }
  for (const std::string& column :
       {std::string("_cf"), std::string("_origin"), std::string("A"), std::string("x\" INTEGER, y"),
        std::string("_id")}) {
    Status s = kb->DeclareRelation("ok", {Col(column, ValueKind::kInt)});
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << column;
    EXPECT_NE(s.message().find("invalid column name"), std::string::npos) << s.message();
  }
  EXPECT_EQ(kb->DeclareRelation("dup", {Col("a", ValueKind::kInt), Col("a", ValueKind::kInt)}).code(),
            StatusCode::kInvalidArgument);
  // The catalog is intact and empty: nothing was created by any of these.
  ASSERT_TRUE(kb->Relations().ok());
  EXPECT_TRUE(kb->Relations()->empty());
  EXPECT_TRUE(kb->IntegrityCheck().ok());
}

TEST(KnowledgeBaseTest, UnknownRelationIsNotFound) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  FactRow row{{Value::Int(1)}};
  Status s = kb->InsertFacts("nothing", std::span(&row, 1));
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  // A name that looks like SQL is just a name that is not declared.
  EXPECT_EQ(kb->GetRelation("x; DROP TABLE syllo_relations").status().code(), StatusCode::kNotFound);
}

// Every column type, stored and read back through LoadInto, with certainty and origin.
TEST(KnowledgeBaseTest, EveryColumnTypeRoundTripsThroughLoadInto) {
  TempDir dir;
  std::string path = dir.File("kb.db");
  std::vector<Column> columns = {Col("i", ValueKind::kInt),    Col("f", ValueKind::kFloat),
                                 Col("b", ValueKind::kBool),   Col("s", ValueKind::kSymbol),
                                 Col("t", ValueKind::kString), {"x", ColumnType::Tensor({2, 3})}};
  std::vector<float> data = {1.5f, -2.0f, 0.1f, 3e-8f, 1e30f, 0.0f};
  Value tensor = Value::Tensor(engine::TensorPool::Global().Intern(data, {2, 3}));
  std::vector<FactRow> rows = {
      {{Value::Int(INT64_MIN), Value::Float(0.1), Value::Bool(true), Value::MakeSymbol("a"),
        Value::MakeString("line\nbreak, \"quoted\" \xe2\x9c\x93"), tensor},
       0.25,
       Origin::kModel},
      {{Value::Int(INT64_MAX), Value::Int(7), Value::Bool(false), Value::MakeSymbol("b"), Value::MakeString(""),
        tensor},
       -0.5,
       Origin::kDerived},
  };
  {
    auto kb = OpenOrDie(path);
    ASSERT_TRUE(kb->DeclareRelation("all_types", columns).ok());
    Status s = kb->InsertFacts("all_types", rows);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  auto kb = OpenOrDie(path, OpenMode::kReadOnly);
  engine::WorkingMemory wm;
  ASSERT_TRUE(kb->LoadInto(wm).ok());
  const engine::Relation* r = wm.Get("all_types");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->columns(), columns);
  ASSERT_EQ(r->size(), 2u);
  // The int 7 in the float column was widened.
  std::vector<Value> second = rows[1].values;
  second[1] = Value::Float(7.0);
  auto id0 = r->Find(rows[0].values);
  auto id1 = r->Find(second);
  ASSERT_TRUE(id0.has_value());
  ASSERT_TRUE(id1.has_value());
  EXPECT_EQ(r->certainty(*id0), 0.25);
  EXPECT_EQ(r->origin(*id0), Origin::kModel);
  EXPECT_EQ(r->certainty(*id1), -0.5);
  EXPECT_EQ(r->origin(*id1), Origin::kDerived);
  auto stored = engine::TensorPool::Global().data(r->row(*id0)[5].as_tensor());
  EXPECT_EQ(std::vector<float>(stored.begin(), stored.end()), data);
}

TEST(KnowledgeBaseTest, ReinsertingAFactUpdatesCertaintyNotCount) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  ASSERT_TRUE(kb->DeclareRelation("p", {Col("a", ValueKind::kSymbol)}).ok());
  FactRow row{{Value::MakeSymbol("x")}, 0.5, Origin::kAsserted};
  ASSERT_TRUE(kb->InsertFacts("p", std::span(&row, 1)).ok());
  row.certainty = 0.9;
  row.origin = Origin::kUser;
  ASSERT_TRUE(kb->InsertFacts("p", std::span(&row, 1)).ok());
  EXPECT_EQ(*kb->CountFacts("p"), 1);
  EXPECT_EQ(testing::ExportText(*kb, "p", DataFormat::kCsv), "a,cf,origin\nx,0.9,user\n");
}

TEST(KnowledgeBaseTest, BadRowsInsertNothing) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  ASSERT_TRUE(kb->DeclareRelation("person", PersonColumns()).ok());
  std::vector<FactRow> rows = {
      {{Value::MakeSymbol("ok"), Value::Int(1), Value::Float(2.0)}},
      {{Value::MakeSymbol("bad"), Value::MakeSymbol("old"), Value::Float(2.0)}},
  };
  Status s = kb->InsertFacts("person", rows);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("column age of person"), std::string::npos) << s.message();
  EXPECT_EQ(*kb->CountFacts("person"), 0);

  FactRow nan{{Value::MakeSymbol("n"), Value::Int(1), Value::Float(std::nan(""))}};
  EXPECT_EQ(kb->InsertFacts("person", std::span(&nan, 1)).code(), StatusCode::kInvalidArgument);
  FactRow cf{{Value::MakeSymbol("c"), Value::Int(1), Value::Float(1.0)}, 1.5};
  EXPECT_EQ(kb->InsertFacts("person", std::span(&cf, 1)).code(), StatusCode::kInvalidArgument);
  FactRow arity{{Value::MakeSymbol("c")}};
  EXPECT_EQ(kb->InsertFacts("person", std::span(&arity, 1)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*kb->CountFacts("person"), 0);
}

TEST(KnowledgeBaseTest, ZeroColumnRelationHoldsAtMostOneFact) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  ASSERT_TRUE(kb->DeclareRelation("raining", {}).ok());
  FactRow row{{}, 0.4};
  ASSERT_TRUE(kb->InsertFacts("raining", std::span(&row, 1)).ok());
  ASSERT_TRUE(kb->InsertFacts("raining", std::span(&row, 1)).ok());
  EXPECT_EQ(*kb->CountFacts("raining"), 1);
}

TEST(KnowledgeBaseTest, InTransactionMakesSeveralCallsAtomic) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  Status s = kb->InTransaction([&]() -> Status {
    if (Status st = kb->DeclareRelation("a", {Col("x", ValueKind::kInt)}); !st.ok()) return st;
    if (Status st = kb->RecordPack("pack", "pack.syl", "relation a(x: int)."); !st.ok()) return st;
    return Status::InvalidArgument("the caller changes its mind");
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(kb->Relations()->empty());
  EXPECT_TRUE(kb->Packs()->empty());
  // And the KB is usable afterwards.
  EXPECT_TRUE(kb->DeclareRelation("a", {Col("x", ValueKind::kInt)}).ok());
}

TEST(KnowledgeBaseTest, RecordsPacksWithHash) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  ASSERT_TRUE(kb->RecordPack("cars", "packs/cars.syl", "relation car(id: symbol).").ok());
  ASSERT_TRUE(kb->RecordPack("cars", "packs/cars.syl", "relation car(id: symbol, year: int).").ok());
  auto packs = kb->Packs();
  ASSERT_TRUE(packs.ok());
  ASSERT_EQ(packs->size(), 1u);
  EXPECT_EQ((*packs)[0].name, "cars");
  EXPECT_EQ((*packs)[0].hash, Fnv1a64Hex("relation car(id: symbol, year: int)."));
  EXPECT_EQ((*packs)[0].source_bytes, 36);
  EXPECT_EQ((*packs)[0].loaded_at.size(), 20u);  // 2024-01-02T03:04:05Z
}

TEST(Fnv1a64Test, KnownVectors) {
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64Hex("foobar"), "fnv1a64:85944171f73967e8");
}

TEST(KnowledgeBaseTest, SaveFromWritesWorkingMemoryFactsFilteredByOrigin) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  engine::WorkingMemory wm;
  ASSERT_TRUE(wm.Declare("likes", {Col("who", ValueKind::kSymbol), Col("what", ValueKind::kString)}).ok());
  ASSERT_TRUE(wm.Assert("likes", {Value::MakeSymbol("ann"), Value::MakeString("tea")}, 0.8, Origin::kAsserted).ok());
  ASSERT_TRUE(wm.Assert("likes", {Value::MakeSymbol("bob"), Value::MakeString("jam")}, 0.6, Origin::kDerived).ok());
  SaveOptions only_derived;
  only_derived.origins = {Origin::kDerived};
  ASSERT_TRUE(kb->SaveFrom(wm, only_derived).ok());
  EXPECT_EQ(testing::ExportText(*kb, "likes", DataFormat::kCsv), "who,what,cf,origin\nbob,jam,0.6,derived\n");
  ASSERT_TRUE(kb->SaveFrom(wm).ok());
  EXPECT_EQ(*kb->CountFacts("likes"), 2);

  engine::WorkingMemory back;
  ASSERT_TRUE(kb->LoadInto(back).ok());
  const engine::Relation* r = back.Get("likes");
  ASSERT_NE(r, nullptr);
  auto id = r->Find(std::vector<Value>{Value::MakeSymbol("ann"), Value::MakeString("tea")});
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(r->certainty(*id), 0.8);

  SaveOptions unknown;
  unknown.relations = {"nope"};
  EXPECT_EQ(kb->SaveFrom(wm, unknown).code(), StatusCode::kNotFound);
}

TEST(KnowledgeBaseTest, SaveFromWithConflictingSchemaChangesNothing) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  ASSERT_TRUE(kb->DeclareRelation("likes", {Col("who", ValueKind::kInt)}).ok());
  engine::WorkingMemory wm;
  ASSERT_TRUE(wm.Declare("a_first", {Col("x", ValueKind::kInt)}).ok());
  ASSERT_TRUE(wm.Assert("a_first", {Value::Int(1)}).ok());
  ASSERT_TRUE(wm.Declare("likes", {Col("who", ValueKind::kSymbol)}).ok());
  Status s = kb->SaveFrom(wm);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  // a_first was declared and filled before the conflict, and rolled back with it.
  EXPECT_EQ(kb->GetRelation("a_first").status().code(), StatusCode::kNotFound);
}

TEST(KnowledgeBaseTest, LoadIntoConflictingWorkingMemoryIsAnError) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  ASSERT_TRUE(kb->DeclareRelation("likes", {Col("who", ValueKind::kInt)}).ok());
  engine::WorkingMemory wm;
  ASSERT_TRUE(wm.Declare("likes", {Col("who", ValueKind::kSymbol)}).ok());
  EXPECT_EQ(kb->LoadInto(wm).code(), StatusCode::kAlreadyExists);
}

TEST(KnowledgeBaseTest, ForeignSqliteDatabaseIsRefused) {
  TempDir dir;
  std::string path = dir.File("other.db");
  {
    auto db = Database::Open(path, OpenFlags::kReadWriteCreate);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("CREATE TABLE customers (id INTEGER)").ok());
  }
  auto kb = KnowledgeBase::Open(path, OpenMode::kReadWrite);
  ASSERT_FALSE(kb.ok());
  EXPECT_NE(kb.status().message().find("not a Syllo knowledge base"), std::string::npos);
}

TEST(KnowledgeBaseTest, NonDatabaseFileIsRefused) {
  TempDir dir;
  std::string path = dir.File("text.db");
  testing::WriteFile(path, std::string(4096, 'x'));
  auto kb = KnowledgeBase::Open(path, OpenMode::kReadWrite);
  ASSERT_FALSE(kb.ok());
  EXPECT_EQ(kb.status().code(), StatusCode::kCorruption) << kb.status().ToString();
}

}  // namespace
}  // namespace syllo::kb

namespace syllo::kb {
namespace {

TEST(KnowledgeBaseJustifications, SavedRowsReadBackAndReplaceAFactsEarlierOnes) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  std::vector<JustificationRow> first = {
      {"path", "path(a, c)", "path#2", "tc.syl:5:1", 1.0, {"edge(a, b)", "path(b, c)"}},
      {"path", "path(a, c)", "path#1", "tc.syl:4:1", 0.5, {"edge(a, c)"}},
      {"path", "path(a, b)", "path#1", "tc.syl:4:1", 1.0, {"edge(a, b)"}},
  };
  ASSERT_TRUE(kb->SaveJustifications(first).ok());
  auto all = kb->Justifications("path");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].rule, "path#2");
  EXPECT_EQ((*all)[0].premises, (std::vector<std::string>{"edge(a, b)", "path(b, c)"}));
  EXPECT_EQ((*all)[1].certainty, 0.5);
  EXPECT_EQ((*all)[1].location, "tc.syl:4:1");

  // Saving path(a, c) again replaces both of its rows and leaves path(a, b).
  std::vector<JustificationRow> again = {{"path", "path(a, c)", "path#1", "tc.syl:4:1", 1.0, {"edge(a, c)"}}};
  ASSERT_TRUE(kb->SaveJustifications(again).ok());
  auto ac = kb->Justifications("path", "path(a, c)");
  ASSERT_TRUE(ac.ok());
  ASSERT_EQ(ac->size(), 1u);
  EXPECT_EQ((*ac)[0].certainty, 1.0);
  EXPECT_EQ(kb->Justifications("path", "path(a, b)")->size(), 1u);
  EXPECT_TRUE(kb->Justifications("edge")->empty());
}

TEST(KnowledgeBaseJustifications, AMalformedStoredRowIsCorruptionNotACrash) {
  TempDir dir;
  {
    auto kb = OpenOrDie(dir.File("kb.db"));
    std::vector<JustificationRow> rows = {{"p", "p(a)", "p#1", "x.syl:1:1", 1.0, {"q(a)"}}};
    ASSERT_TRUE(kb->SaveJustifications(rows).ok());
  }
  ASSERT_EQ(std::system(("sqlite3 '" + dir.File("kb.db") +
                         "' \"UPDATE syllo_justifications SET premises = 'not json'\"").c_str()),
            0);
  auto kb = OpenOrDie(dir.File("kb.db"));
  auto rows = kb->Justifications("p");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace syllo::kb

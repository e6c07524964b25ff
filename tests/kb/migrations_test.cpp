// Schema versions: fresh and older files are migrated in one transaction; a file
// from a newer syllo is refused without change.
#include "kb/migrations.h"

#include <gtest/gtest.h>

#include "kb/knowledge_base.h"
#include "kb/sqlite_handle.h"
#include "kb_test_util.h"

namespace syllo::kb {
namespace {

using testing::TempDir;

std::unique_ptr<Database> RawOpen(const std::string& path) {
  auto db = Database::Open(path, OpenFlags::kReadWriteCreate);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(*db);
}

std::int64_t TableCount(Database& db, const std::string& name) {
  Result<Statement*> stmt = db.Prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?");
  EXPECT_TRUE(stmt.ok());
  EXPECT_TRUE((*stmt)->BindText(1, name).ok());
  EXPECT_TRUE(*(*stmt)->Step());
  std::int64_t n = (*stmt)->ColumnInt(0);
  (*stmt)->Reset();
  return n;
}

TEST(MigrationsTest, ListIsAscendingByOne) {
  int expected = 1;
  for (const Migration& m : Migrations()) EXPECT_EQ(m.version, expected++);
  EXPECT_EQ(LatestSchemaVersion(), static_cast<int>(Migrations().size()));
}

TEST(MigrationsTest, EmptyFileAtVersionZeroIsMigratedToLatest) {
  TempDir dir;
  std::string path = dir.File("kb.db");
  { RawOpen(path); }  // creates an empty database at user_version 0
  auto kb = KnowledgeBase::Open(path, OpenMode::kReadWrite);
  ASSERT_TRUE(kb.ok()) << kb.status().ToString();
  kb->reset();
  auto db = RawOpen(path);
  EXPECT_EQ(*ReadSchemaVersion(*db), LatestSchemaVersion());
  EXPECT_EQ(TableCount(*db, "syllo_relations"), 1);
  EXPECT_EQ(TableCount(*db, "syllo_packs"), 1);
}

TEST(MigrationsTest, OlderVersionIsMigratedKeepingItsData) {
  TempDir dir;
  std::string path = dir.File("kb.db");
  {
    auto db = RawOpen(path);
    ASSERT_TRUE(Migrate(*db, 1).ok());
    EXPECT_EQ(*ReadSchemaVersion(*db), 1);
    EXPECT_EQ(TableCount(*db, "syllo_packs"), 0);
    ASSERT_TRUE(db->Exec("INSERT INTO syllo_relations (name, signature) VALUES ('old', 'old()');"
                         "CREATE TABLE rel_old (_id INTEGER PRIMARY KEY, _unit INTEGER NOT NULL DEFAULT 0, "
                         "_cf REAL NOT NULL, _origin TEXT NOT NULL, UNIQUE (_unit))")
                    .ok());
  }
  // A read-only open cannot migrate, and says so.
  auto ro = KnowledgeBase::Open(path, OpenMode::kReadOnly);
  ASSERT_FALSE(ro.ok());
  EXPECT_NE(ro.status().message().find("needs migrating"), std::string::npos) << ro.status().message();

  auto kb = KnowledgeBase::Open(path, OpenMode::kReadWrite);
  ASSERT_TRUE(kb.ok()) << kb.status().ToString();
  auto relations = (*kb)->Relations();
  ASSERT_TRUE(relations.ok());
  ASSERT_EQ(relations->size(), 1u);
  EXPECT_EQ((*relations)[0].name, "old");
  EXPECT_TRUE((*kb)->RecordPack("p", "p.syl", "").ok());  // the version-2 table exists
  EXPECT_EQ((*kb)->Stats()->schema_version, LatestSchemaVersion());
}

TEST(MigrationsTest, NewerVersionIsRefusedWithoutChange) {
  TempDir dir;
  std::string path = dir.File("kb.db");
  {
    auto kb = KnowledgeBase::Open(path, OpenMode::kCreate);
    ASSERT_TRUE(kb.ok());
  }
  {
    auto db = RawOpen(path);
    ASSERT_TRUE(db->Exec("PRAGMA user_version = 99").ok());
  }
  for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly, OpenMode::kCreate}) {
    auto kb = KnowledgeBase::Open(path, mode);
    ASSERT_FALSE(kb.ok());
    EXPECT_EQ(kb.status().message(),
              "knowledge base " + path + " has schema version 99, newer than this syllo understands (" +
                  std::to_string(LatestSchemaVersion()) + "); use a newer syllo");
  }
  auto db = RawOpen(path);
  EXPECT_EQ(*ReadSchemaVersion(*db), 99);
}

TEST(MigrationsTest, FailingMigrationLeavesTheVersionUnchanged) {
  TempDir dir;
  std::string path = dir.File("kb.db");
  auto db = RawOpen(path);
  ASSERT_TRUE(Migrate(*db, 1).ok());
  // A table in the way makes migration 2 fail half-way: nothing of it may stay.
  ASSERT_TRUE(db->Exec("CREATE TABLE syllo_packs (x INTEGER)").ok());
  Status s = Migrate(*db);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("schema version 2"), std::string::npos) << s.message();
  EXPECT_EQ(*ReadSchemaVersion(*db), 1);
  EXPECT_FALSE(db->in_transaction());
}

}  // namespace
}  // namespace syllo::kb

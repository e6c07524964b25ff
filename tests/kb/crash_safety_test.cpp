// Crash safety and fault injection: a KB killed mid-import, or whose disk fails
// mid-transaction, holds exactly the committed batches and stays usable.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>

#include <gtest/gtest.h>

#include "kb/fault_vfs.h"
#include "kb/knowledge_base.h"
#include "kb/sqlite_handle.h"
#include "kb_test_util.h"

namespace syllo::kb {
namespace {

using engine::ValueKind;
using testing::Col;
using testing::OpenOrDie;
using testing::TempDir;

// Rows "k<i>,<i>" for i in [0, rows): row i has n = i, so the stored rows show
// exactly which prefix of the file was committed.
void WriteNumberedCsv(const std::string& path, std::int64_t rows) {
  std::ofstream out(path, std::ios::binary);
  out << "id,n\n";
  std::string line;
  for (std::int64_t i = 0; i < rows; ++i) {
    line = "k" + std::to_string(i) + "," + std::to_string(i) + "\n";
    out << line;
  }
}

struct Summary {
  std::int64_t count, min_n, max_n;
};

Summary Summarize(const std::string& path, const std::string& relation) {
  auto db = Database::Open(path, OpenFlags::kReadOnly);
  EXPECT_TRUE(db.ok());
  Result<Statement*> stmt =
      (*db)->Prepare("SELECT count(*), coalesce(min(n), -1), coalesce(max(n), -1) FROM rel_" + relation);
  EXPECT_TRUE(stmt.ok());
  EXPECT_TRUE(*(*stmt)->Step());
  Summary s{(*stmt)->ColumnInt(0), (*stmt)->ColumnInt(1), (*stmt)->ColumnInt(2)};
  (*stmt)->Reset();
  return s;
}

TEST(CrashSafetyTest, KilledImportLeavesExactlyTheCommittedBatches) {
  TempDir dir;
  const std::string kb_path = dir.File("kb.db");
  const std::string csv_path = dir.File("big.csv");
  constexpr std::int64_t kRows = 2'000'000;
  constexpr std::size_t kBatch = 50'000;
  WriteNumberedCsv(csv_path, kRows);
  {
    auto kb = OpenOrDie(kb_path);
    ASSERT_TRUE(kb->DeclareRelation("big", {Col("id", ValueKind::kSymbol), Col("n", ValueKind::kInt)}).ok());
  }  // closed before fork: a SQLite connection must not cross a fork

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child: import in batches, report each commit, never return into gtest.
    close(fds[0]);
    signal(SIGPIPE, SIG_IGN);
    auto kb = KnowledgeBase::Open(kb_path, OpenMode::kReadWrite);
    if (!kb.ok()) _exit(2);
    ImportOptions options;
    options.batch_rows = kBatch;
    options.on_commit = [&](std::uint64_t rows) {
      if (write(fds[1], &rows, sizeof rows) != sizeof rows) _exit(3);
    };
    auto r = (*kb)->Import("big", csv_path, DataFormat::kCsv, options);
    _exit(r.ok() ? 0 : 4);
  }
  close(fds[1]);
  std::uint64_t last_seen = 0;
  int reports = 0;
  while (reports < 3) {
    std::uint64_t rows = 0;
    ssize_t n = read(fds[0], &rows, sizeof rows);
    ASSERT_EQ(n, static_cast<ssize_t>(sizeof rows)) << "the child stopped reporting before the kill";
    EXPECT_EQ(rows, last_seen + kBatch);
    last_seen = rows;
    ++reports;
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the child finished before it was killed";

  auto kb = OpenOrDie(kb_path, OpenMode::kReadWrite);  // recovers the WAL
  EXPECT_TRUE(kb->IntegrityCheck().ok());
  Summary s = Summarize(kb_path, "big");
  EXPECT_EQ(s.count % static_cast<std::int64_t>(kBatch), 0) << s.count;
  EXPECT_GE(s.count, static_cast<std::int64_t>(last_seen));
  EXPECT_LT(s.count, kRows);
  EXPECT_EQ(s.min_n, 0);
  EXPECT_EQ(s.max_n, s.count - 1);  // exactly a prefix of the file, no gaps
  // And it is usable: the import can simply be run again (rows are a set).
  FactRow row{{engine::Value::MakeSymbol("after"), engine::Value::Int(-1)}};
  EXPECT_TRUE(kb->InsertFacts("big", std::span(&row, 1)).ok());
}

std::string Numbered(int from, int to) {
  std::string csv = "id,n\n";
  for (int i = from; i < to; ++i) csv += "k" + std::to_string(i) + "," + std::to_string(i) + "\n";
  return csv;
}

class FaultInjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("kb.db");
    OpenOptions options;
    options.vfs = FaultInjectingVfs::Get().name();
    auto kb = KnowledgeBase::Open(path_, OpenMode::kCreate, options);
    ASSERT_TRUE(kb.ok()) << kb.status().ToString();
    kb_ = std::move(*kb);
    ASSERT_TRUE(kb_->DeclareRelation("t", {Col("id", ValueKind::kSymbol), Col("n", ValueKind::kInt)}).ok());
    auto r = testing::ImportText(*kb_, "t", Numbered(0, 1000), DataFormat::kCsv);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  void TearDown() override { FaultInjectingVfs::Get().Disarm(); }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<KnowledgeBase> kb_;
};

TEST_F(FaultInjectionTest, WriteFailureMidTransactionLeavesNothingOfTheBatch) {
  FaultInjectingVfs::Get().FailWritesAfter(3);  // some WAL frames get written, then the disk "fails"
  auto r = testing::ImportText(*kb_, "t", Numbered(1000, 30000), DataFormat::kCsv);
  FaultInjectingVfs::Get().Disarm();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError) << r.status().ToString();
  EXPECT_GT(FaultInjectingVfs::Get().failed_writes(), 0);

  EXPECT_EQ(*kb_->CountFacts("t"), 1000);
  EXPECT_TRUE(kb_->IntegrityCheck().ok());
  // Still usable on the same connection...
  auto again = testing::ImportText(*kb_, "t", Numbered(1000, 2000), DataFormat::kCsv);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*kb_->CountFacts("t"), 2000);
  // ...and after reopening without the faulty disk.
  kb_.reset();
  auto kb = OpenOrDie(path_, OpenMode::kReadWrite);
  EXPECT_TRUE(kb->IntegrityCheck().ok());
  Summary s = Summarize(path_, "t");
  EXPECT_EQ(s.count, 2000);
  EXPECT_EQ(s.max_n, 1999);
}

TEST_F(FaultInjectionTest, FailureInALaterBatchKeepsTheEarlierOnes) {
  ImportOptions options;
  options.batch_rows = 5000;
  std::vector<std::uint64_t> commits;
  options.on_commit = [&](std::uint64_t rows) {
    commits.push_back(rows);
    if (rows == 10000) FaultInjectingVfs::Get().FailWritesAfter(2);  // the third batch cannot commit
  };
  auto r = testing::ImportText(*kb_, "t", Numbered(1000, 31000), DataFormat::kCsv, "data.csv", options);
  FaultInjectingVfs::Get().Disarm();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("10000 rows of data.csv were committed in earlier batches"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(commits, (std::vector<std::uint64_t>{5000, 10000}));
  EXPECT_EQ(*kb_->CountFacts("t"), 11000);
  EXPECT_TRUE(kb_->IntegrityCheck().ok());
  kb_.reset();
  Summary s = Summarize(path_, "t");
  EXPECT_EQ(s.count, 11000);
  EXPECT_EQ(s.max_n, 10999);
}

TEST_F(FaultInjectionTest, FailedDeclarationLeavesNoTableOrCatalogEntry) {
  FaultInjectingVfs::Get().FailWritesAfter(0);
  Status s = kb_->DeclareRelation("fresh", {Col("x", ValueKind::kInt)});
  FaultInjectingVfs::Get().Disarm();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(kb_->GetRelation("fresh").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(kb_->DeclareRelation("fresh", {Col("x", ValueKind::kInt)}).ok());
  EXPECT_TRUE(kb_->IntegrityCheck().ok());
}

}  // namespace
}  // namespace syllo::kb

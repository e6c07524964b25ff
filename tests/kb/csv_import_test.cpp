// CSV import and export: RFC 4180 edge cases, every malformed-input error with its
// line and column, all-or-nothing batches, and export -> import round trips.
#include <gtest/gtest.h>

#include "engine/tensor_pool.h"
#include "kb/csv.h"
#include "kb/knowledge_base.h"
#include "kb_test_util.h"

namespace syllo::kb {
namespace {

using engine::Column;
using engine::ColumnType;
using engine::Origin;
using engine::Value;
using engine::ValueKind;
using testing::Col;
using testing::ExportText;
using testing::ImportText;
using testing::OpenOrDie;
using testing::TempDir;

class CsvImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kb_ = OpenOrDie(dir_.File("kb.db"));
    ASSERT_TRUE(kb_->DeclareRelation("person", {Col("id", ValueKind::kSymbol), Col("age", ValueKind::kInt),
                                                Col("note", ValueKind::kString)})
                    .ok());
  }
  // Imports and expects an error whose message is exactly `message`, and that nothing was stored.
  void ExpectError(const std::string& csv, const std::string& message) {
    auto r = ImportText(*kb_, "person", csv, DataFormat::kCsv);
    ASSERT_FALSE(r.ok()) << csv;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), message);
    EXPECT_EQ(*kb_->CountFacts("person"), 0) << csv;
  }
  std::string Notes() {
    std::string all = ExportText(*kb_, "person", DataFormat::kCsv);
    return all;
  }
  TempDir dir_;
  std::unique_ptr<KnowledgeBase> kb_;
};

TEST_F(CsvImportTest, HeaderInAnyOrderWithCertaintyAndOrigin) {
  auto r = ImportText(*kb_, "person", "note,origin,age,cf,id\nhi,user,30,0.5,ann\n", DataFormat::kCsv);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 1u);
  EXPECT_EQ(ExportText(*kb_, "person", DataFormat::kCsv), "id,age,note,cf,origin\nann,30,hi,0.5,user\n");
}

TEST_F(CsvImportTest, QuotesEmbeddedNewlinesCrlfBomAndEmptyLines) {
  std::string csv =
      "\xEF\xBB\xBFid,age,note\r\n"
      "\r\n"
      "a,1,\"with, comma\"\r\n"
      "b,2,\"say \"\"hi\"\"\"\r\n"
      "\n"
      "c,3,\"two\nlines\"\n"
      "d,+4,\"\"\n"
      "e,5,plain";  // no final newline
  auto r = ImportText(*kb_, "person", csv, DataFormat::kCsv);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 5u);
  EXPECT_EQ(ExportText(*kb_, "person", DataFormat::kCsv),
            "id,age,note,cf,origin\n"
            "a,1,\"with, comma\",1.0,asserted\n"
            "b,2,\"say \"\"hi\"\"\",1.0,asserted\n"
            "c,3,\"two\nlines\",1.0,asserted\n"
            "d,4,\"\",1.0,asserted\n"
            "e,5,plain,1.0,asserted\n");
}

TEST_F(CsvImportTest, EmptyFileOrHeaderOnly) {
  ExpectError("", "data.csv:line 1: the file is empty; expected a header row naming the columns of "
                  "person(id: symbol, age: int, note: string)");
  auto r = ImportText(*kb_, "person", "id,age,note\n", DataFormat::kCsv);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows, 0u);
}

TEST_F(CsvImportTest, HeaderErrors) {
  ExpectError("id,age,note,colour\n", "data.csv:line 1, column 'colour' (#4): unknown column; person(id: symbol, "
                                      "age: int, note: string) has no such column (the optional extra columns are "
                                      "cf and origin)");
  ExpectError("id,age\n", "data.csv:line 1: the header lacks column 'note' of person(id: symbol, age: int, "
                          "note: string)");
  ExpectError("id,age,note,age\n", "data.csv:line 1, column 'age' (#4): the column appears twice in the header");
  ExpectError("id,age,note,cf,_cf\n", "data.csv:line 1, column '_cf' (#5): the column appears twice in the header");
}

TEST_F(CsvImportTest, EachMalformedValueNamesLineAndColumnAndImportsNothing) {
  const std::string head = "id,age,note,cf,origin\nok,1,fine,1,asserted\n";
  ExpectError(head + "x,abc,n,1,asserted\n", "data.csv:line 3, column 'age' (#2): \"abc\" is not an int");
  ExpectError(head + "x,1.5,n,1,asserted\n", "data.csv:line 3, column 'age' (#2): \"1.5\" is not an int");
  ExpectError(head + "x,99999999999999999999,n,1,asserted\n",
              "data.csv:line 3, column 'age' (#2): \"99999999999999999999\" is out of the int range");
  ExpectError(head + ",1,n,1,asserted\n", "data.csv:line 3, column 'id' (#1): a symbol cannot be empty");
  ExpectError(head + "x,1,n,2,asserted\n",
              "data.csv:line 3, column 'cf' (#4): certainty must be a number in [-1, 1], got 2.0");
  ExpectError(head + "x,1,n,high,asserted\n", "data.csv:line 3, column 'cf' (#4): \"high\" is not a number");
  ExpectError(head + "x,1,n,1,guessed\n",
              "data.csv:line 3, column 'origin' (#5): \"guessed\" is not an origin (asserted, derived, user or model)");
  ExpectError(head + "x,1,n,1\n", "data.csv:line 3: expected 5 fields as in the header, got 4");
  ExpectError(head + "x,1,n,1,asserted,extra\n", "data.csv:line 3: expected 5 fields as in the header, got 6");
}

TEST_F(CsvImportTest, QuotingErrorsNameTheLine) {
  const std::string head = "id,age,note\na,1,\"multi\nline\"\n";  // the next record starts on line 4
  ExpectError(head + "b,2,ab\"c\n",
              "data.csv:line 4, column 'note' (#3): a quote inside an unquoted field (quote the whole field and "
              "double the quote)");
  ExpectError(head + "b,2,\"ab\"c\n",
              "data.csv:line 4, column 'note' (#3): unexpected character after a closing quote (a quote inside a "
              "quoted field is written \"\")");
  ExpectError(head + "b,2,\"never closed\nc,3,x\n",
              "data.csv:line 6, column 'note' (#3): unterminated quoted field (the quote opened on line 4)");
  // A value error inside a record that spans lines is reported on its field's own line.
  ExpectError("id,note,age\na,\"x\ny\",bad\n", "data.csv:line 3, column 'age' (#3): \"bad\" is not an int");
}

TEST_F(CsvImportTest, FloatsRejectNanAndInfinity) {
  ASSERT_TRUE(kb_->DeclareRelation("m", {Col("v", ValueKind::kFloat)}).ok());
  for (const char* bad : {"nan", "inf", "-inf", "1e999", "1,5"}) {
    auto r = ImportText(*kb_, "m", std::string("v\n1.0\n\"") + bad + "\"\n", DataFormat::kCsv, "m.csv");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(), std::string("m.csv:line 3, column 'v' (#1): \"") + bad + "\" is not a finite float");
    EXPECT_EQ(*kb_->CountFacts("m"), 0);
  }
}

TEST_F(CsvImportTest, BatchesCommitSeparatelyAndAnErrorDiscardsOnlyItsBatch) {
  std::string csv = "id,age,note\n";
  for (int i = 0; i < 10; ++i) csv += "p" + std::to_string(i) + "," + std::to_string(i) + ",n\n";
  csv += "bad,x,n\n";  // line 12: in the third batch of 4
  std::vector<std::uint64_t> commits;
  ImportOptions options;
  options.batch_rows = 4;
  options.on_commit = [&](std::uint64_t rows) { commits.push_back(rows); };
  auto r = ImportText(*kb_, "person", csv, DataFormat::kCsv, "data.csv", options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "data.csv:line 12, column 'age' (#2): \"x\" is not an int (8 rows of data.csv were committed in earlier "
            "batches)");
  EXPECT_EQ(commits, (std::vector<std::uint64_t>{4, 8}));
  EXPECT_EQ(*kb_->CountFacts("person"), 8);
}

TEST_F(CsvImportTest, BatchesReportProgressToTheEnd) {
  std::string csv = "id,age,note\n";
  for (int i = 0; i < 8; ++i) csv += "p" + std::to_string(i) + ",1,n\n";
  std::vector<std::uint64_t> commits;
  ImportOptions options;
  options.batch_rows = 3;
  options.on_commit = [&](std::uint64_t rows) { commits.push_back(rows); };
  auto r = ImportText(*kb_, "person", csv, DataFormat::kCsv, "data.csv", options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows, 8u);
  EXPECT_EQ(r->batches, 3u);
  EXPECT_EQ(commits, (std::vector<std::uint64_t>{3, 6, 8}));
}

TEST_F(CsvImportTest, RelationWithColumnsNamedCfAndOriginUsesUnderscoredMeta) {
  ASSERT_TRUE(kb_->DeclareRelation("flight", {Col("origin", ValueKind::kSymbol), Col("cf", ValueKind::kInt)}).ok());
  auto r = ImportText(*kb_, "flight", "origin,cf,_cf,_origin\nlhr,3,0.5,user\n", DataFormat::kCsv);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string out = ExportText(*kb_, "flight", DataFormat::kCsv);
  EXPECT_EQ(out, "origin,cf,_cf,_origin\nlhr,3,0.5,user\n");
  std::string jsonl = ExportText(*kb_, "flight", DataFormat::kJsonLines);
  EXPECT_EQ(jsonl, "{\"origin\":\"lhr\",\"cf\":3,\"_cf\":0.5,\"_origin\":\"user\"}\n");
}

// Every type, through CSV and JSON lines, back to the same facts.
TEST(CsvRoundTripTest, ExportThenImportIsExactForEveryTypeAndFormat) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  std::vector<Column> columns = {Col("i", ValueKind::kInt),    Col("f", ValueKind::kFloat),
                                 Col("b", ValueKind::kBool),   Col("s", ValueKind::kSymbol),
                                 Col("t", ValueKind::kString), {"x", ColumnType::Tensor({2, 2})}};
  ASSERT_TRUE(kb->DeclareRelation("all", columns).ok());
  auto tensor = [](std::vector<float> d) { return Value::Tensor(engine::TensorPool::Global().Intern(d, {2, 2})); };
  std::vector<FactRow> rows = {
      {{Value::Int(-42), Value::Float(0.1), Value::Bool(true), Value::MakeSymbol("a b"),
        Value::MakeString("comma, quote \" and\r\nnewline"), tensor({0.1f, -1e-20f, 3.4e38f, 0.0f})},
       0.3,
       Origin::kModel},
      {{Value::Int(INT64_MIN), Value::Float(-1e300), Value::Bool(false), Value::MakeSymbol("\xc3\xa9t\xc3\xa9"),
        Value::MakeString(""), tensor({1, 2, 3, 4})},
       -1.0,
       Origin::kUser},
      {{Value::Int(0), Value::Float(5e-324), Value::Bool(false), Value::MakeSymbol(" padded "),
        Value::MakeString(" "), tensor({1, 2, 3, 5})},
       1.0 / 3.0,
       Origin::kDerived},
  };
  ASSERT_TRUE(kb->InsertFacts("all", rows).ok());
  for (DataFormat format : {DataFormat::kCsv, DataFormat::kJsonLines}) {
    std::string text = ExportText(*kb, "all", format);
    std::string copy = "copy_" + std::string(DataFormatName(format));
    ASSERT_TRUE(kb->DeclareRelation(copy, columns).ok());
    auto r = ImportText(*kb, copy, text, format, "export");
    ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << text;
    EXPECT_EQ(r->rows, 3u);
    // Same text again: every value, certainty and origin survived.
    EXPECT_EQ(ExportText(*kb, copy, format), text);
    engine::WorkingMemory wm;
    ASSERT_TRUE(kb->LoadInto(wm).ok());
    const engine::Relation* back = wm.Get(copy);
    ASSERT_NE(back, nullptr);
    for (const FactRow& row : rows) {
      auto id = back->Find(row.values);
      ASSERT_TRUE(id.has_value()) << DataFormatName(format);
      EXPECT_EQ(back->certainty(*id), row.certainty);
      EXPECT_EQ(back->origin(*id), row.origin);
    }
  }
}

TEST(CsvTensorTest, TensorCellsAreNestedArraysOfTheDeclaredShape) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  ASSERT_TRUE(kb->DeclareRelation("img", {Col("id", ValueKind::kInt), {"px", ColumnType::Tensor({2, 3})}}).ok());
  auto ok = ImportText(*kb, "img", "id,px\n1,\"[[1,2,3],[4,5,6.5]]\"\n", DataFormat::kCsv, "img.csv");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ExportText(*kb, "img", DataFormat::kCsv), "id,px,cf,origin\n1,\"[[1,2,3],[4,5,6.5]]\",1.0,asserted\n");
  struct Case {
    std::string cell;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"\"[[1,2,3]]\"", "expected a tensor of shape [2,3] (nested arrays): dimension 1 has 1 elements"},
           {"\"[[1,2],[3,4]]\"", "expected a tensor of shape [2,3] (nested arrays): dimension 2 has 2 elements"},
           {"\"[1,2,3,4,5,6]\"", "expected a tensor of shape [2,3] (nested arrays): dimension 1 has 6 elements"},
           {"\"[1,2]\"", "expected a tensor of shape [2,3] (nested arrays): dimension 2 is not an array"},
           {"\"[[1,2,3],[4,5,\"\"x\"\"]]\"",
            "expected a tensor of shape [2,3] (nested arrays): element 6 is not a number"},
           {"\"[[1,2,3],[4,5,1e39]]\"",
            "expected a tensor of shape [2,3] (nested arrays): element 6 is not a finite float32"},
           {"oops", "expected a tensor of shape [2,3] written as nested arrays such as [[1,2],[3,4]]"},
       }) {
    auto r = ImportText(*kb, "img", "id,px\n2," + c.cell + "\n", DataFormat::kCsv, "img.csv");
    ASSERT_FALSE(r.ok()) << c.cell;
    EXPECT_EQ(r.status().message(), "img.csv:line 2, column 'px' (#2): " + c.message);
  }
  EXPECT_EQ(*kb->CountFacts("img"), 1);
}

TEST(CsvReaderTest, LoneCarriageReturnEndsARecord) {
  std::istringstream in("a,b\rc,d\r");
  CsvReader reader(in);
  CsvRecord rec;
  CsvSyntaxError err;
  ASSERT_EQ(reader.Read(rec, err), CsvReader::Next::kRecord);
  EXPECT_EQ(rec.fields, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(reader.Read(rec, err), CsvReader::Next::kRecord);
  EXPECT_EQ(rec.fields, (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(rec.line, 2u);
  EXPECT_EQ(reader.Read(rec, err), CsvReader::Next::kEnd);
}

TEST(CsvImportFileTest, MissingFileIsAnIoError) {
  TempDir dir;
  auto kb = OpenOrDie(dir.File("kb.db"));
  ASSERT_TRUE(kb->DeclareRelation("p", {Col("a", ValueKind::kInt)}).ok());
  auto r = kb->Import("p", dir.File("none.csv"), DataFormat::kCsv);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  EXPECT_EQ(DataFormatForPath("x.CSV").value(), DataFormat::kCsv);
  EXPECT_EQ(DataFormatForPath("x.jsonl").value(), DataFormat::kJsonLines);
  EXPECT_FALSE(DataFormatForPath("x.txt").ok());
}

}  // namespace
}  // namespace syllo::kb

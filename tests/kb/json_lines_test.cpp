// JSON-lines import: keys are columns, optional cf/origin, and every malformed
// line reported with its line number and key, importing nothing.
#include "kb/json_lines.h"

#include <gtest/gtest.h>

#include "kb/knowledge_base.h"
#include "kb_test_util.h"

namespace syllo::kb {
namespace {

using engine::ColumnType;
using engine::ValueKind;
using testing::Col;
using testing::ExportText;
using testing::ImportText;
using testing::OpenOrDie;
using testing::TempDir;

class JsonLinesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kb_ = OpenOrDie(dir_.File("kb.db"));
    ASSERT_TRUE(kb_->DeclareRelation("obs", {Col("id", ValueKind::kSymbol), Col("n", ValueKind::kInt),
                                             Col("w", ValueKind::kFloat), Col("ok", ValueKind::kBool),
                                             {"v", ColumnType::Tensor({2})}})
                    .ok());
  }
  void ExpectError(const std::string& line, const std::string& message) {
    std::string text = "{\"id\":\"first\",\"n\":1,\"w\":1,\"ok\":true,\"v\":[1,2]}\n" + line + "\n";
    auto r = ImportText(*kb_, "obs", text, DataFormat::kJsonLines, "obs.jsonl");
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), message);
    EXPECT_EQ(*kb_->CountFacts("obs"), 0);
  }
  TempDir dir_;
  std::unique_ptr<KnowledgeBase> kb_;
};

TEST_F(JsonLinesTest, ImportsObjectsWithOptionalCertaintyOriginBomCrlfAndBlankLines) {
  std::string text =
      "\xEF\xBB\xBF{\"n\":1,\"id\":\"a\",\"w\":2,\"ok\":false,\"v\":[0.5,1e-3]}\r\n"
      "\n"
      "   \n"
      "{\"id\":\"b\",\"n\":-7,\"w\":0.25,\"ok\":true,\"v\":[1,2],\"cf\":0.4,\"origin\":\"model\"}\n";
  auto r = ImportText(*kb_, "obs", text, DataFormat::kJsonLines, "obs.jsonl");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 2u);
  EXPECT_EQ(ExportText(*kb_, "obs", DataFormat::kJsonLines),
            "{\"id\":\"a\",\"n\":1,\"w\":2.0,\"ok\":false,\"v\":[0.5,0.001],\"cf\":1.0,\"origin\":\"asserted\"}\n"
            "{\"id\":\"b\",\"n\":-7,\"w\":0.25,\"ok\":true,\"v\":[1,2],\"cf\":0.4,\"origin\":\"model\"}\n");
}

TEST_F(JsonLinesTest, EachMalformedLineNamesLineAndKey) {
  const std::string rest = "\"w\":1,\"ok\":true,\"v\":[1,2]";
  ExpectError("{\"id\":\"x\"," + rest + "}", "obs.jsonl:line 2, key 'n': missing; every column of obs(id: symbol, "
                                             "n: int, w: float, ok: bool, v: tensor[2]) is required");
  ExpectError("{\"id\":\"x\",\"n\":1,\"extra\":3," + rest + "}",
              "obs.jsonl:line 2, key 'extra': unknown key; obs(id: symbol, n: int, w: float, ok: bool, v: tensor[2]) "
              "has no such column (the optional keys are cf and origin)");
  ExpectError("{\"id\":\"x\",\"n\":\"1\"," + rest + "}", "obs.jsonl:line 2, key 'n': expected an int, got \"1\"");
  ExpectError("{\"id\":\"x\",\"n\":1.5," + rest + "}", "obs.jsonl:line 2, key 'n': expected an int, got 1.5");
  ExpectError("{\"id\":\"x\",\"n\":18446744073709551615," + rest + "}",
              "obs.jsonl:line 2, key 'n': 18446744073709551615 is out of the int range");
  ExpectError("{\"id\":3,\"n\":1," + rest + "}", "obs.jsonl:line 2, key 'id': expected a symbol (a JSON string), got 3");
  ExpectError("{\"id\":\"\",\"n\":1," + rest + "}", "obs.jsonl:line 2, key 'id': a symbol cannot be empty");
  ExpectError("{\"id\":\"x\",\"n\":1,\"w\":1e999,\"ok\":true,\"v\":[1,2]}",
              "obs.jsonl:line 2: invalid JSON: number overflow parsing '1e999'");
  ExpectError("{\"id\":\"x\",\"n\":1,\"w\":1,\"ok\":1,\"v\":[1,2]}",
              "obs.jsonl:line 2, key 'ok': expected true or false, got 1");
  ExpectError("{\"id\":\"x\",\"n\":1,\"w\":1,\"ok\":true,\"v\":[1,2,3]}",
              "obs.jsonl:line 2, key 'v': expected a tensor of shape [2] (nested arrays): dimension 1 has 3 elements");
  ExpectError("{\"id\":\"x\",\"n\":1," + rest + ",\"cf\":\"high\"}",
              "obs.jsonl:line 2, key 'cf': expected a number in [-1, 1]");
  ExpectError("{\"id\":\"x\",\"n\":1," + rest + ",\"cf\":-3}",
              "obs.jsonl:line 2, key 'cf': certainty must be a number in [-1, 1], got -3.0");
  ExpectError("{\"id\":\"x\",\"n\":1," + rest + ",\"origin\":\"rumour\"}",
              "obs.jsonl:line 2, key 'origin': expected \"asserted\", \"derived\", \"user\" or \"model\"");
  ExpectError("[1,2]", "obs.jsonl:line 2: expected a JSON object whose keys are the columns of obs(id: symbol, n: "
                       "int, w: float, ok: bool, v: tensor[2])");
}

TEST_F(JsonLinesTest, InvalidJsonNamesLineAndColumn) {
  auto r = ImportText(*kb_, "obs", "\n\n{\"id\": oops}\n", DataFormat::kJsonLines, "obs.jsonl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("obs.jsonl:line 3, col 8: invalid JSON: ", 0), 0u) << r.status().message();
  EXPECT_EQ(*kb_->CountFacts("obs"), 0);
}

}  // namespace
}  // namespace syllo::kb

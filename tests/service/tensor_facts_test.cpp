// Tensor columns through the embedding API and the service's JSON: a photo as
// nested arrays in, the same nested arrays out, and shape errors naming the field.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "service/http/json_facts.h"
#include "syllo/syllo.h"

namespace syllo {
namespace {

constexpr const char* kPack = R"(
relation photo(id: symbol, pixels: tensor[2,3]).
relation bright(id: symbol).
bright(I) :- photo(I, _).
)";

TEST(TensorFacts, NestedArraysRoundTripThroughASession) {
  auto program = Program::FromText(kPack, "photos.syl");
  ASSERT_TRUE(program.ok()) << program.status().message();
  const RelationInfo* photo = program->FindRelation("photo");
  ASSERT_NE(photo, nullptr);
  ASSERT_EQ(photo->columns[1].shape, (std::vector<std::int64_t>{2, 3}));

  auto facts = service::ReadFacts(*program, nlohmann::json::parse(R"({"photo": [["p1", [[0, 0.5, 1], [1, 2, 3]]]]})"),
                                  "facts");
  ASSERT_TRUE(facts.ok()) << facts.status().message();
  Session session(*program);
  for (const Fact& f : *facts) ASSERT_TRUE(session.Assert(f.relation, f.values, f.certainty).ok());
  auto stored = session.Facts("photo");
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  const Value& pixels = (*stored)[0].values[1];
  EXPECT_EQ(pixels.kind(), Value::Kind::kTensor);
  EXPECT_EQ(pixels.tensor_shape(), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(pixels.tensor_data(), (std::vector<float>{0, 0.5f, 1, 1, 2, 3}));
  EXPECT_EQ(service::ValueToJson(pixels), nlohmann::json::parse("[[0, 0.5, 1], [1, 2, 3]]"));
  EXPECT_EQ(pixels.ToString(), "tensor[2,3]");
}

TEST(TensorFacts, AFlatArrayOfTheRightCountIsAccepted) {
  auto program = Program::FromText(kPack, "photos.syl");
  ASSERT_TRUE(program.ok());
  auto facts = service::ReadFacts(*program, nlohmann::json::parse(R"({"photo": [["p1", [1, 2, 3, 4, 5, 6]]]})"),
                                  "facts");
  ASSERT_TRUE(facts.ok()) << facts.status().message();
  EXPECT_EQ((*facts)[0].values[1].tensor_shape(), (std::vector<std::int64_t>{2, 3}));
}

TEST(TensorFacts, BadTensorsNameTheField) {
  auto program = Program::FromText(kPack, "photos.syl");
  ASSERT_TRUE(program.ok());
  struct Case {
    const char* json;
    const char* says;
  };
  for (const Case& c : {Case{R"({"photo": [["p1", [[1, 2], [3, 4]]]]})", "got shape [2,2]"},
                        Case{R"({"photo": [["p1", [[1, 2, 3], [4, 5]]]]})", "differ in length"},
                        Case{R"({"photo": [["p1", [[1, 2, 3], [4, 5, "x"]]]]})", "nested arrays of numbers"},
                        Case{R"({"photo": [["p1", "pixels"]]})", "nested arrays of numbers"},
                        Case{R"({"photo": [["p1", [[1, 2, 3], 4]]]})", "ragged"}}) {
    auto facts = service::ReadFacts(*program, nlohmann::json::parse(c.json), "facts");
    ASSERT_FALSE(facts.ok()) << c.json;
    EXPECT_NE(facts.status().message().find("facts.photo[0]"), std::string::npos) << facts.status().message();
    EXPECT_NE(facts.status().message().find(c.says), std::string::npos) << facts.status().message();
  }
}

TEST(TensorFacts, ANeuralGoalWithoutAModelsKbSaysWhy) {
  auto program = Program::FromText(R"(
relation photo(id: symbol, pixels: tensor[2,2]).
neural kind(pixels: tensor[2,2]) -> label in {a, b} using m.
relation labelled(id: symbol, k: symbol).
labelled(I, K) :- photo(I, P), kind(P, K).
)", "n.syl");
  ASSERT_TRUE(program.ok()) << program.status().message();
  Session session(*program);
  ASSERT_TRUE(session.Assert("photo", {Value::Symbol("p"), Value::Tensor({1, 2, 3, 4}, {2, 2})}).ok());
  auto report = session.Run();
  const std::string message = report.ok() ? report->message : report.status().message();
  EXPECT_NE(message.find("models live in a knowledge base"), std::string::npos) << message;
  EXPECT_EQ(session.model_calls(), 0u);
}

}  // namespace
}  // namespace syllo

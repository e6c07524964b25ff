// ModelPredicates: a registered model answering a neural declaration's
// inputs (a small MLP trained here on a CSV of two features).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "engine/symbol_table.h"
#include "engine/tensor_pool.h"
#include "kb/knowledge_base.h"
#include "learners/model_predicates.h"
#include "learners/trainer.h"

namespace syllo::learners {
namespace {

using engine::InputRows;
using engine::Value;

class ModelPredicatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("syllo_model_predicates_test_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    // Two clusters: a point near (1, 1) is a cat, near (-1, -1) a dog.
    std::ofstream csv(dir_ / "points.csv");
    csv << "x,y,label\n";
    for (int i = 0; i < 200; ++i) {
      const double jitter = (i % 10) * 0.02;
      if (i % 2 == 0) {
        csv << 1 + jitter << "," << 1 - jitter << ",cat\n";
      } else {
        csv << -1 - jitter << "," << -1 + jitter << ",dog\n";
      }
    }
    csv.close();
    auto kb = kb::KnowledgeBase::Open((dir_ / "kb.db").string(), kb::OpenMode::kCreate);
    ASSERT_TRUE(kb.ok()) << kb.status().message();
    kb_ = std::move(*kb);
    TrainPlan plan;
    plan.design.name = "points";
    plan.design.input = {2};
    plan.design.classes = 2;
    plan.design.hidden = {8};
    plan.design.epochs = 5;
    plan.design.lr = 0.05;
    plan.labels = {"cat", "dog"};
    plan.data = "csv:" + (dir_ / "points.csv").string();
    plan.threads = 1;
    std::ostringstream progress;
    auto trained = TrainAndRegister(*kb_, plan, progress, false);
    ASSERT_TRUE(trained.ok()) << trained.status().message();

    spec_.name = "kind";
    spec_.input_names = {"x", "y"};
    spec_.model = "points";
    spec_.labels = {Value::MakeSymbol("cat"), Value::MakeSymbol("dog")};
    spec_.location = "test.syl:1:1";
  }
  void TearDown() override {
    kb_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<kb::KnowledgeBase> kb_;
  engine::NeuralSpec spec_;
};

TEST_F(ModelPredicatesTest, AnswersMostProbableFirstAndKeepsWhatTheDeclarationKeeps) {
  ModelPredicates models(kb_.get());
  const std::vector<Value> rows = {Value::Float(1.1), Value::Float(0.9), Value::Float(-1.0), Value::Float(-1.2)};
  auto all = models.PredictBatch(spec_, InputRows(rows, 2));
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_EQ(all->size(), 2u);
  for (const engine::PredictionSet& set : *all) {
    EXPECT_EQ(set.model, "points");
    EXPECT_EQ(set.version, 1);
    ASSERT_EQ(set.predictions.size(), 2u);
    EXPECT_GE(set.predictions[0].probability, set.predictions[1].probability);
    EXPECT_NEAR(set.predictions[0].probability + set.predictions[1].probability, 1.0, 1e-5);
  }
  EXPECT_EQ((*all)[0].predictions[0].label.text(), "cat");
  EXPECT_EQ((*all)[1].predictions[0].label.text(), "dog");

  // top 1 keeps the most probable; a threshold above every answer keeps none.
  engine::NeuralSpec top = spec_;
  top.top_k = 1;
  auto one = models.PredictBatch(top, InputRows(rows, 2));
  ASSERT_TRUE(one.ok());
  ASSERT_EQ((*one)[1].predictions.size(), 1u);
  EXPECT_EQ((*one)[1].predictions[0].label.text(), "dog");
  EXPECT_DOUBLE_EQ((*one)[1].predictions[0].probability, (*all)[1].predictions[0].probability);
  engine::NeuralSpec strict = spec_;
  strict.threshold = 1.5;
  auto none = models.PredictBatch(strict, InputRows(rows, 2));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE((*none)[0].predictions.empty());
  EXPECT_TRUE((*none)[1].predictions.empty());
  // The two later calls were answered from the cache.
  EXPECT_EQ(models.stats().examples, 2u);
  EXPECT_EQ(models.stats().cache_hits, 4u);
}

TEST_F(ModelPredicatesTest, AnInputTwiceInABatchAndOneAtATimeGetTheSameAnswer) {
  ModelPredicates batched(kb_.get()), single(kb_.get());
  std::vector<Value> rows;
  for (int i = 0; i < 300; ++i) {  // more than one gather chunk
    rows.push_back(Value::Float(std::sin(i * 0.37)));
    rows.push_back(Value::Float(std::cos(i * 0.11)));
  }
  rows.insert(rows.end(), rows.begin(), rows.begin() + 2);  // the first input again, last
  auto all = batched.PredictBatch(spec_, InputRows(rows, 301));
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_EQ(all->size(), 301u);
  for (std::size_t i = 0; i < 301; i += 37) {
    auto alone = single.Predict(spec_, InputRows(rows, 301)[i]);
    ASSERT_TRUE(alone.ok());
    ASSERT_EQ(alone->predictions.size(), 2u);
    for (std::size_t k = 0; k < 2; ++k) {
      EXPECT_EQ(alone->predictions[k].label, (*all)[i].predictions[k].label) << i;
      EXPECT_NEAR(alone->predictions[k].probability, (*all)[i].predictions[k].probability, 1e-6) << i;
    }
  }
  EXPECT_EQ((*all)[300].predictions[0].probability, (*all)[0].predictions[0].probability);
}

TEST_F(ModelPredicatesTest, NonFiniteInputsAreNamedAndNothingIsCached) {
  ModelPredicates models(kb_.get());
  const float inf = std::numeric_limits<float>::infinity();
  engine::TensorPool& pool = engine::TensorPool::Global();
  engine::NeuralSpec tensor_spec = spec_;
  tensor_spec.input_names = {"p"};
  const std::vector<Value> tensors = {Value::Tensor(pool.Intern(std::vector<float>{0.5f, 0.5f}, {2})),
                                      Value::Tensor(pool.Intern(std::vector<float>{0.5f, inf}, {2}))};
  auto bad_tensor = models.PredictBatch(tensor_spec, InputRows(tensors, 2));
  ASSERT_FALSE(bad_tensor.ok());
  EXPECT_EQ(bad_tensor.status().code(), StatusCode::kInvalidArgument);
  const std::string says = bad_tensor.status().message();
  EXPECT_NE(says.find("model points@1 for 'kind'"), std::string::npos) << says;
  EXPECT_NE(says.find("input value 1 is inf (NaN or infinite)"), std::string::npos) << says;
  EXPECT_NE(says.find("test.syl:1:1"), std::string::npos) << says;

  const std::vector<Value> numbers = {Value::Float(std::nan("")), Value::Float(0.0)};
  auto bad_number = models.PredictBatch(spec_, InputRows(numbers, 1));
  ASSERT_FALSE(bad_number.ok());
  EXPECT_NE(bad_number.status().message().find("input value 0 is nan (NaN or infinite)"), std::string::npos)
      << bad_number.status().message();
  const std::vector<Value> too_big = {Value::Float(0.0), Value::Float(1e300)};  // infinite as a float
  EXPECT_FALSE(models.PredictBatch(spec_, InputRows(too_big, 1)).ok());
  EXPECT_EQ(models.stats().examples, 0u);

  // The good tensor alone is answered: the failed batch left nothing behind.
  auto good = models.PredictBatch(tensor_spec, InputRows(std::span(tensors).first(1), 1));
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(models.stats().cache_hits, 0u);
}

}  // namespace
}  // namespace syllo::learners

// Training through rules: grounding labelled goals into proofs (no LibTorch),
// and the backend learning a classifier from labels on conclusions only.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/neural_backend_loader.h"
#include "engine/program.h"
#include "engine/tensor_pool.h"
#include "engine/working_memory.h"
#include "learners/proof_grounding.h"
#include "rules/checker.h"
#include "rules/loader.h"
#include "rules/lower.h"

namespace syllo::learners {
namespace {

using engine::Value;

std::shared_ptr<const engine::ProgramSpec> Compile(const std::string& text) {
  rules::LoadedProgram loaded;
  rules::LoadText("test.syl", text, loaded);
  rules::Check(loaded.sources, loaded.program, loaded.diagnostics);
  EXPECT_FALSE(loaded.diagnostics.has_errors()) << rules::RenderAll(loaded.sources, loaded.diagnostics);
  auto spec = rules::Lower(loaded.sources, loaded.program);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  return std::move(spec).value();
}

// A distinct 2-value tensor per call (the pool interns by content).
Value Image(float a, float b) {
  std::vector<float> data = {a, b};
  return Value::Tensor(engine::TensorPool::Global().Intern(data, {2}));
}

constexpr const char* kDigits = R"(
neural d(x: tensor[2]) -> v in {0, 1, 2} using m.
relation add(a: tensor[2], b: tensor[2], s: int).
add(A, B, S) :- d(A, X), d(B, Y), S = X + Y.
)";

struct Fixture {
  explicit Fixture(const std::string& text) : program(Compile(text)) {
    EXPECT_TRUE(engine::LoadProgram(*program, memory).ok());
  }
  Result<GroundedGoals> Ground(const std::string& goal, const std::vector<std::vector<Value>>& rows,
                               std::vector<std::string> labels = {"0", "1", "2"}) {
    GroundingRequest r;
    r.program = program;
    r.memory = &memory;
    r.goal = *program->FindRelation(goal);
    r.label_column = program->relations[r.goal].columns.size() - 1;
    r.model = "m";
    r.labels = std::move(labels);
    r.example_shape = {2};
    std::vector<std::string> names;
    for (std::size_t i = 0; i < rows.size(); ++i) names.push_back("goals row " + std::to_string(i + 1));
    return GroundGoals(r, rows, names);
  }
  std::shared_ptr<const engine::ProgramSpec> program;
  engine::WorkingMemory memory;
};

// P(outcome) per outcome from a shape's terms and per-slot probabilities.
std::vector<double> OutcomeProbabilities(const engine::ProofShape& s, const std::vector<std::vector<double>>& p) {
  std::vector<double> out(static_cast<std::size_t>(s.outcomes), 0.0);
  for (std::int64_t t = 0; t < s.terms(); ++t) {
    double product = 1;
    for (std::int32_t l = s.term_begin[t]; l < s.term_begin[t + 1]; ++l) product *= p[s.literal_slot[l]][s.literal_label[l]];
    out[s.term_outcome[t]] += product;
  }
  return out;
}

TEST(GroundingTest, IntegerLabelsMakeAnIntColumn) {
  auto program = Compile(kDigits);
  const auto& d = program->relations[*program->FindRelation("d")];
  EXPECT_EQ(d.columns.back().type.kind, engine::ValueKind::kInt);
  EXPECT_EQ(program->neurals.front().labels.front(), Value::Int(0));
}

TEST(GroundingTest, SumOfTwoHasEveryProofOfEverySum) {
  Fixture f(kDigits);
  auto g = f.Ground("add", {{Image(0, 1), Image(1, 0), Value::Int(2)}});
  ASSERT_TRUE(g.ok()) << g.status().message();
  ASSERT_EQ(g->goals.shapes.size(), 1u);
  const engine::ProofShape& s = g->goals.shapes[0];
  EXPECT_EQ(s.slots, 2);
  EXPECT_EQ(s.outcomes, 5);  // 0..4
  EXPECT_EQ(s.terms(), 9);   // every pair of labels
  ASSERT_EQ(g->outcome_values[0].size(), 5u);
  EXPECT_EQ(g->outcome_values[0][g->goals.outcome[0]], Value::Int(2));
  // Terms of the sum 2: (0, 2), (1, 1), (2, 0).
  int of_two = 0;
  for (std::int64_t t = 0; t < s.terms(); ++t) of_two += s.term_outcome[t] == g->goals.outcome[0];
  EXPECT_EQ(of_two, 3);
  // The outcomes' probabilities add up to 1 for any model answers.
  auto p = OutcomeProbabilities(s, {{0.2, 0.5, 0.3}, {0.6, 0.1, 0.3}});
  double total = 0;
  for (double x : p) total += x;
  EXPECT_NEAR(total, 1.0, 1e-12);
  EXPECT_NEAR(p[2], 0.2 * 0.3 + 0.5 * 0.1 + 0.3 * 0.6, 1e-12);
  // The inputs are the goal's images, in the goal's order.
  ASSERT_EQ(g->inputs.size(), 2);
  EXPECT_EQ(g->inputs.features, (std::vector<float>{0, 1, 1, 0}));
}

TEST(GroundingTest, GoalsOfOneShapeShareOneGroundingAfterACheck) {
  Fixture f(kDigits);
  std::vector<std::vector<Value>> rows;
  for (int i = 0; i < 5; ++i) rows.push_back({Image(10 + i, 0), Image(20 + i, 0), Value::Int(i % 5)});
  rows.push_back({Image(7, 7), Image(7, 7), Value::Int(2)});  // the same image twice: another shape
  auto g = f.Ground("add", rows);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->goals.shapes.size(), 2u);
  EXPECT_EQ(g->groundings, 3);  // the first goal, the check on the second, the twin
  const engine::ProofShape& twin = g->goals.shapes[g->goals.shape[5]];
  EXPECT_EQ(twin.slots, 1);
  EXPECT_EQ(twin.outcomes, 3);  // 0, 2, 4: one digit twice
  EXPECT_EQ(g->inputs.size(), 5 * 2 + 1);
  EXPECT_EQ(g->goals.first_input[5], 10);
}

TEST(GroundingTest, OverlappingProofsBecomeExclusive) {
  // "Some image shows a 2": the two proofs overlap when both do.
  Fixture f(R"(
neural d(x: tensor[2]) -> v in {0, 1, 2} using m.
relation pair(a: tensor[2], b: tensor[2]).
relation some_two(a: tensor[2], b: tensor[2], yes: symbol).
some_two(A, B, yes) :- pair(A, B), d(A, 2).
some_two(A, B, yes) :- pair(A, B), d(B, 2).
)");
  ASSERT_TRUE(f.memory.Assert("pair", {Image(1, 2), Image(3, 4)}).ok());
  auto g = f.Ground("some_two", {{Image(1, 2), Image(3, 4), Value::MakeSymbol("yes")}});
  ASSERT_TRUE(g.ok()) << g.status().message();
  const engine::ProofShape& s = g->goals.shapes[0];
  ASSERT_EQ(s.outcomes, 1);
  const double pa = 0.3, pb = 0.6;
  auto p = OutcomeProbabilities(s, {{0.5, 0.2, pa}, {0.1, 0.3, pb}});
  EXPECT_NEAR(p[0], 1 - (1 - pa) * (1 - pb), 1e-12);  // not pa + pb
}

TEST(GroundingTest, NumbersOfTwoDigitsThroughAnIntermediateRelation) {
  Fixture f(R"(
neural d(x: tensor[2]) -> v in {0, 1, 2} using m.
relation num(t: tensor[2], o: tensor[2], n: int).
num(T, O, N) :- d(T, X), d(O, Y), N = 3 * X + Y.
relation add2(a: tensor[2], b: tensor[2], c: tensor[2], e: tensor[2], s: int).
add2(A, B, C, E, S) :- num(A, B, N), num(C, E, M), S = N + M.
)");
  auto g = f.Ground("add2", {{Image(1, 0), Image(2, 0), Image(3, 0), Image(4, 0), Value::Int(8)}});
  ASSERT_TRUE(g.ok()) << g.status().message();
  const engine::ProofShape& s = g->goals.shapes[0];
  EXPECT_EQ(s.slots, 4);
  EXPECT_EQ(s.outcomes, 17);  // 0..16
  EXPECT_EQ(s.terms(), 81);   // every labelling of four digits, each once
  std::vector<std::vector<double>> p = {{0.2, 0.3, 0.5}, {0.1, 0.8, 0.1}, {0.3, 0.3, 0.4}, {0.6, 0.2, 0.2}};
  auto out = OutcomeProbabilities(s, p);
  double total = 0;
  for (double x : out) total += x;
  EXPECT_NEAR(total, 1.0, 1e-12);
}

TEST(GroundingTest, InputsLookedUpFromFactsAreGroundedPerGoal) {
  Fixture f(R"(
neural d(x: tensor[2]) -> v in {0, 1, 2} using m.
relation img(id: symbol, x: tensor[2]).
relation add_ids(i: symbol, j: symbol, s: int).
add_ids(I, J, S) :- img(I, A), img(J, B), d(A, X), d(B, Y), S = X + Y.
)");
  ASSERT_TRUE(f.memory.Assert("img", {Value::MakeSymbol("p"), Image(5, 5)}).ok());
  ASSERT_TRUE(f.memory.Assert("img", {Value::MakeSymbol("q"), Image(6, 6)}).ok());
  auto g = f.Ground("add_ids", {{Value::MakeSymbol("p"), Value::MakeSymbol("q"), Value::Int(3)},
                                {Value::MakeSymbol("q"), Value::MakeSymbol("p"), Value::Int(1)}});
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->goals.size(), 2);
  EXPECT_EQ(g->groundings, 2);  // the symbols differ: two shapes
  EXPECT_EQ(g->inputs.features, (std::vector<float>{5, 5, 6, 6, 6, 6, 5, 5}));
}

TEST(GroundingTest, AnUnprovableLabelNamesTheGoal) {
  Fixture f(kDigits);
  auto g = f.Ground("add", {{Image(0, 1), Image(1, 0), Value::Int(2)}, {Image(0, 2), Image(2, 0), Value::Int(9)}});
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(g.status().message().find("goals row 2"), std::string::npos) << g.status().message();
  EXPECT_NE(g.status().message().find("s = 9"), std::string::npos) << g.status().message();
}

TEST(GroundingTest, WhatCannotBeTrainedThroughIsRefused) {
  struct Case {
    const char* rules;
    const char* says;
  } cases[] = {
      {"add(A, B, S) :- d(A, X) @ C, d(B, Y), C > 0.5, S = X + Y.", "certainty"},
      {"add(A, B, S) :- base(A, B, _), d(A, X), not d(B, 0), S = X.", "negation"},
      {"add(A, B, S) cf 0.9 :- d(A, X), d(B, Y), S = X + Y.", "certainty factor"},
      {"add(A, B, S) :- base(A, B, S).", "does not depend"},
      {"add(A, B, S) :- d(A, X), e(B, Y), S = X + Y.", "of model other"},
  };
  for (const Case& c : cases) {
    Fixture f(std::string(R"(
neural d(x: tensor[2]) -> v in {0, 1, 2} using m.
neural e(x: tensor[2]) -> v in {0, 1, 2} using other.
relation base(a: tensor[2], b: tensor[2], s: int).
relation add(a: tensor[2], b: tensor[2], s: int).
)") + c.rules + "\n");
    auto g = f.Ground("add", {{Image(0, 1), Image(1, 0), Value::Int(2)}});
    ASSERT_FALSE(g.ok()) << c.rules;
    EXPECT_NE(g.status().message().find(c.says), std::string::npos) << c.rules << ": " << g.status().message();
  }
}

TEST(GroundingTest, ALabelTheModelDoesNotHaveIsAnError) {
  Fixture f(kDigits);
  auto g = f.Ground("add", {{Image(0, 1), Image(1, 0), Value::Int(2)}}, {"0", "1", "7"});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("label 2"), std::string::npos) << g.status().message();
}

// --- Training: the backend learns the classes from sums alone ---------------------

// Three classes in 6 dimensions: a noisy one-hot pattern per class.
std::vector<float> Pattern(int label, std::mt19937& rng) {
  std::normal_distribution<float> noise(0, 0.3f);
  std::vector<float> x(6);
  for (int j = 0; j < 6; ++j) x[j] = (j / 2 == label ? 1.5f : 0.0f) + noise(rng);
  return x;
}

struct SumGoals {
  engine::TensorBatch inputs;
  engine::GoalSet goals;
  std::vector<int> digit;  // the hidden label of each input
};

// Goals "a + b = s" over the shape of kDigits' add (outcomes 0..4).
SumGoals MakeSumGoals(const engine::ProofShape& shape, int count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> label(0, 2);
  SumGoals out;
  out.inputs.example_shape = {6};
  out.goals.shapes = {shape};
  for (int g = 0; g < count; ++g) {
    const int a = label(rng), b = label(rng);
    out.goals.shape.push_back(0);
    out.goals.first_input.push_back(out.inputs.size());
    out.goals.outcome.push_back(a + b);  // outcomes are 0..4 in order
    for (int x : {a, b}) {
      auto v = Pattern(x, rng);
      out.inputs.features.insert(out.inputs.features.end(), v.begin(), v.end());
      out.digit.push_back(x);
    }
  }
  return out;
}

TEST(TrainThroughRulesTest, LearnsTheClassesFromSumsAlone) {
  Fixture f(kDigits);
  auto shape = f.Ground("add", {{Image(0, 1), Image(1, 0), Value::Int(2)}});
  ASSERT_TRUE(shape.ok()) << shape.status().message();
  SumGoals train = MakeSumGoals(shape->goals.shapes[0], 600, 1);
  SumGoals validation = MakeSumGoals(shape->goals.shapes[0], 100, 2);

  auto backend = engine::LoadNeuralBackend();
  ASSERT_TRUE(backend.ok()) << backend.status().message();
  engine::TrainRequest request;
  request.design.name = "m";
  request.design.architecture = "mlp";
  request.design.input = {6};
  request.design.classes = 3;
  request.design.hidden = {16};
  request.design.epochs = 12;
  request.design.batch = 32;
  request.design.lr = 0.01;
  request.train = &train.inputs;
  request.validation = &validation.inputs;
  request.train_goals = &train.goals;
  request.validation_goals = &validation.goals;
  auto result = (*backend)->Train(request);
  ASSERT_TRUE(result.ok()) << result.status().message();
  const engine::EpochMetrics& last = result->epochs.back();
  EXPECT_GT(last.validation_accuracy, 0.9);
  EXPECT_GT(last.symbolic_ms_per_step, 0.0);

  // The classifier itself names the hidden classes, never shown to it.
  auto model = (*backend)->Load(request.design, result->weights, false);
  ASSERT_TRUE(model.ok());
  std::vector<float> p;
  ASSERT_TRUE((*model)->Predict(validation.inputs.features, validation.inputs.size(), &p).ok());
  int right = 0;
  for (std::int64_t i = 0; i < validation.inputs.size(); ++i) {
    const float* row = p.data() + i * 3;
    right += std::max_element(row, row + 3) - row == validation.digit[static_cast<std::size_t>(i)];
  }
  EXPECT_GT(right, validation.inputs.size() * 9 / 10);

  // The host's exact accuracy agrees with the backend's on the same goals.
  EXPECT_NEAR(GoalAccuracy(validation.goals, p, 3), last.validation_accuracy, 0.05);
}

TEST(TrainThroughRulesTest, TopProofsAndBadGoalsAreChecked) {
  Fixture f(kDigits);
  auto shape = f.Ground("add", {{Image(0, 1), Image(1, 0), Value::Int(2)}});
  ASSERT_TRUE(shape.ok());
  SumGoals train = MakeSumGoals(shape->goals.shapes[0], 64, 3);
  auto backend = engine::LoadNeuralBackend();
  ASSERT_TRUE(backend.ok());
  engine::TrainRequest request;
  request.design.name = "m";
  request.design.input = {6};
  request.design.classes = 3;
  request.design.epochs = 1;
  request.train = &train.inputs;
  request.train_goals = &train.goals;
  request.top_proofs = 1;
  EXPECT_TRUE((*backend)->Train(request).ok());

  train.goals.first_input.back() = train.inputs.size();  // past the inputs
  auto bad = (*backend)->Train(request);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("goal 64"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace syllo::learners

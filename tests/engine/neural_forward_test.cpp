// Neural relations in the forward engine, with a fake model: the facts a model
// yields (certainty, origin, source), batching of every input of a cycle into
// one PredictBatch, `top K` and `threshold`, negation over a prediction, and
// the errors (no models, a failing model, an unbound input).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "engine/forward_session.h"
#include "engine/neural_predicate.h"
#include "engine/rete_network.h"
#include "tests/engine/compile_text.h"
#include "rules/checker.h"
#include "rules/loader.h"
#include "rules/lower.h"

namespace syllo::engine {
namespace {

// A deterministic model over one int input X and the labels cat, dog, bird:
//   X even: cat 0.7, dog 0.2, bird 0.1
//   X odd:  cat 0.1, dog 0.3, bird 0.6
// It answers as spec.model @ spec.version (7 when the declaration names none,
// as a registry resolves "the latest"). It counts batches and records inputs.
class FakeModel final : public NeuralPredicates {
 public:
  Result<PredictionSet> Predict(const NeuralSpec& spec, std::span<const Value> inputs) override {
    ++single_calls;
    return Answer(spec, inputs);
  }
  Result<std::vector<PredictionSet>> PredictBatch(const NeuralSpec& spec, InputRows inputs) override {
    std::vector<std::vector<Value>> batch;
    for (std::size_t i = 0; i < inputs.size(); ++i) batch.emplace_back(inputs[i].begin(), inputs[i].end());
    batches.push_back(std::move(batch));
    relations.push_back(spec.name);
    if (!fail_with.empty()) return Status::Internal(fail_with);
    std::vector<PredictionSet> out;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      auto p = Answer(spec, inputs[i]);
      if (!p.ok()) return p.status();
      out.push_back(std::move(*p));
    }
    return out;
  }

  static Result<PredictionSet> Answer(const NeuralSpec& spec, std::span<const Value> inputs) {
    if (inputs.size() != 1 || inputs[0].kind() != ValueKind::kInt) return Status::InvalidArgument("bad input");
    if (spec.labels.size() != 3) return Status::InvalidArgument("expected 3 labels");
    const bool even = inputs[0].as_int() % 2 == 0;
    PredictionSet set;
    set.model = spec.model;
    set.version = spec.version.value_or(7);
    const double p[3] = {even ? 0.7 : 0.1, even ? 0.2 : 0.3, even ? 0.1 : 0.6};
    for (int i = 0; i < 3; ++i) set.predictions.push_back({spec.labels[i], p[i]});
    return set;
  }

  // "[1, 2, 3] [100, 101]": the inputs of each batch, for failure messages.
  std::string Describe() const {
    std::string s;
    for (const auto& b : batches) {
      s += s.empty() ? "[" : " [";
      for (std::size_t i = 0; i < b.size(); ++i) s += (i ? ", " : "") + (b[i].empty() ? "?" : b[i][0].ToString());
      s += "]";
    }
    return s;
  }

  std::vector<std::vector<std::vector<Value>>> batches;
  std::vector<std::string> relations;  // the relation of each batch
  int single_calls = 0;
  std::string fail_with;  // non-empty: PredictBatch fails with this message
};

struct Harness {
  explicit Harness(const std::string& text, bool with_model = true) : network(CompileText(text)), session(network) {
    session.set_output(&out);
    if (with_model) session.set_neural(&model);
    EXPECT_TRUE(session.AssertProgramFacts().ok());
  }
  RelationId Rel(const std::string& name) const {
    auto id = network->program().FindRelation(name);
    EXPECT_TRUE(id.has_value()) << name;
    return id.value_or(0);
  }
  std::set<std::string> Facts(const std::string& relation) {
    std::set<std::string> s;
    const Relation& r = session.memory().at(Rel(relation));
    r.ForEach([&](FactId id) { s.insert(session.FormatFact({Rel(relation), id})); });
    return s;
  }
  FactRef Find(const std::string& relation, std::vector<Value> row) {
    auto id = session.memory().at(Rel(relation)).Find(row);
    return id ? FactRef{Rel(relation), *id} : FactRef{Rel(relation), kNoFact};
  }
  void Add(const std::string& relation, std::vector<Value> row) {
    auto r = session.Assert(relation, std::move(row));
    EXPECT_TRUE(r.ok()) << r.status().message();
  }
  std::shared_ptr<const ReteNetwork> network;
  FakeModel model;
  ForwardSession session;
  std::ostringstream out;
};

Value I(std::int64_t v) { return Value::Int(v); }
Value S(const char* s) { return Value::MakeSymbol(s); }

const char* kPets = R"(
relation photo(id: int).
neural kind(x: int) -> label in {cat, dog, bird} using pets@2 top 1.
relation pet(id: int, k: symbol).
pet(I, K) :- photo(I), kind(I, K).
)";

TEST(NeuralForward, DerivedFactsCarryTheModelsProbabilityOriginAndSource) {
  Harness h(kPets);
  h.Add("photo", {I(4)});
  h.Add("photo", {I(5)});
  RunResult r = h.session.Run();
  ASSERT_EQ(r.reason, StopReason::kAgendaEmpty) << r.message;
  EXPECT_EQ(h.Facts("pet"), (std::set<std::string>{"pet(4, cat)", "pet(5, bird)"}));
  EXPECT_EQ(h.Facts("kind"), (std::set<std::string>{"kind(4, cat)", "kind(5, bird)"}));

  FactRef k4 = h.Find("kind", {I(4), S("cat")});
  FactRef k5 = h.Find("kind", {I(5), S("bird")});
  ASSERT_NE(k4.id, kNoFact);
  ASSERT_NE(k5.id, kNoFact);
  EXPECT_DOUBLE_EQ(h.session.certainty(k4), 0.7);
  EXPECT_DOUBLE_EQ(h.session.certainty(k5), 0.6);
  EXPECT_EQ(h.session.memory().at(k4.relation).origin(k4.id), Origin::kModel);
  const PredictionSource* src = h.session.prediction_source(k4);
  ASSERT_NE(src, nullptr);
  EXPECT_EQ(src->model + "@" + std::to_string(src->version), "pets@2");

  // The conclusion's certainty is the model's probability (MYCIN: min with 1.0).
  FactRef p4 = h.Find("pet", {I(4), S("cat")});
  FactRef p5 = h.Find("pet", {I(5), S("bird")});
  ASSERT_NE(p4.id, kNoFact);
  EXPECT_DOUBLE_EQ(h.session.certainty(p4), 0.7);
  EXPECT_DOUBLE_EQ(h.session.certainty(p5), 0.6);
  EXPECT_EQ(h.session.memory().at(p4.relation).origin(p4.id), Origin::kDerived);
  // Only model facts have a source.
  EXPECT_EQ(h.session.prediction_source(p4), nullptr);
  EXPECT_EQ(h.session.prediction_source(h.Find("photo", {I(4)})), nullptr);
  // The justification of pet(4, cat) names the prediction it used.
  auto js = h.session.Justifications(p4);
  ASSERT_EQ(js.size(), 1u);
  EXPECT_NE(std::find(js[0].facts.begin(), js[0].facts.end(), k4), js[0].facts.end());
  EXPECT_EQ(h.model.single_calls, 0) << "the session must ask in batches";
}

TEST(NeuralForward, AnUnversionedDeclarationReportsTheVersionTheModelResolved) {
  Harness h(R"(
relation photo(id: int).
neural kind(x: int) -> label in {cat, dog, bird} using pets top 1.
relation pet(id: int, k: symbol).
pet(I, K) :- photo(I), kind(I, K).
)");
  h.Add("photo", {I(2)});
  ASSERT_EQ(h.session.Run().reason, StopReason::kAgendaEmpty);
  const PredictionSource* src = h.session.prediction_source(h.Find("kind", {I(2), S("cat")}));
  ASSERT_NE(src, nullptr);
  EXPECT_EQ(src->model, "pets");
  EXPECT_EQ(src->version, 7);
}

TEST(NeuralForward, EveryInputOfACycleGoesInOneBatch) {
  Harness h(kPets);
  for (int i = 0; i < 50; ++i) h.Add("photo", {I(i)});
  RunResult r = h.session.Run();
  ASSERT_EQ(r.reason, StopReason::kAgendaEmpty) << r.message;
  ASSERT_EQ(h.model.batches.size(), 1u);
  EXPECT_EQ(h.model.batches[0].size(), 50u);
  std::set<std::int64_t> distinct;
  for (const auto& in : h.model.batches[0]) {
    ASSERT_EQ(in.size(), 1u);
    distinct.insert(in[0].as_int());
  }
  EXPECT_EQ(distinct.size(), 50u);
  EXPECT_EQ(*distinct.begin(), 0);
  EXPECT_EQ(*distinct.rbegin(), 49);
  EXPECT_EQ(h.session.model_batches(), 1u);
  EXPECT_EQ(h.session.model_inputs(), 50u);
  EXPECT_EQ(h.Facts("pet").size(), 50u);
  // A Run with nothing new asks nothing.
  h.session.Run();
  EXPECT_EQ(h.model.batches.size(), 1u);
}

TEST(NeuralForward, DuplicateInputsAreAskedOnce) {
  // Two photos share each input, and two rules join the relation on the same input.
  Harness h(R"(
relation photo(id: int, x: int).
neural kind(x: int) -> label in {cat, dog, bird} using pets@2 top 1.
relation pet(id: int, k: symbol).
relation animal(x: int).
pet(I, K) :- photo(I, X), kind(X, K).
animal(X) :- photo(_, X), kind(X, _).
)");
  for (int i = 0; i < 20; ++i) h.Add("photo", {I(i), I(i % 5)});
  ASSERT_EQ(h.session.Run().reason, StopReason::kAgendaEmpty);
  ASSERT_EQ(h.model.batches.size(), 1u);
  std::multiset<std::int64_t> asked;
  for (const auto& in : h.model.batches[0]) asked.insert(in[0].as_int());
  EXPECT_EQ(asked, (std::multiset<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(h.session.model_inputs(), 5u);
  EXPECT_EQ(h.Facts("pet").size(), 20u);
  EXPECT_EQ(h.Facts("animal").size(), 5u);
  // Asserting another photo with an input already answered asks nothing new.
  h.Add("photo", {I(100), I(3)});
  ASSERT_EQ(h.session.Run().reason, StopReason::kAgendaEmpty);
  EXPECT_EQ(h.model.batches.size(), 1u);
  EXPECT_EQ(h.Facts("pet").count("pet(100, bird)"), 1u);
}

TEST(NeuralForward, TopKAndThresholdAreApplied) {
  Harness h(R"(
relation photo(id: int).
neural all_labels(x: int) -> label in {cat, dog, bird} using pets@1.
neural top2(x: int) -> label in {cat, dog, bird} using pets@1 top 2.
neural sure(x: int) -> label in {cat, dog, bird} using pets@1 threshold 0.25.
neural both(x: int) -> label in {cat, dog, bird} using pets@1 top 1 threshold 0.65.
relation a(id: int, k: symbol).
relation t(id: int, k: symbol).
relation s(id: int, k: symbol).
relation b(id: int, k: symbol).
a(I, K) :- photo(I), all_labels(I, K).
t(I, K) :- photo(I), top2(I, K).
s(I, K) :- photo(I), sure(I, K).
b(I, K) :- photo(I), both(I, K).
)");
  h.Add("photo", {I(2)});
  h.Add("photo", {I(3)});
  ASSERT_EQ(h.session.Run().reason, StopReason::kAgendaEmpty);
  EXPECT_EQ(h.Facts("a"), (std::set<std::string>{"a(2, cat)", "a(2, dog)", "a(2, bird)", "a(3, cat)", "a(3, dog)",
                                                  "a(3, bird)"}));
  EXPECT_EQ(h.Facts("t"), (std::set<std::string>{"t(2, cat)", "t(2, dog)", "t(3, bird)", "t(3, dog)"}));
  EXPECT_EQ(h.Facts("s"), (std::set<std::string>{"s(2, cat)", "s(3, bird)", "s(3, dog)"}));
  EXPECT_EQ(h.Facts("b"), (std::set<std::string>{"b(2, cat)"}));
  EXPECT_DOUBLE_EQ(h.session.certainty(h.Find("a", {I(3), S("cat")})), 0.1);
  EXPECT_DOUBLE_EQ(h.session.certainty(h.Find("t", {I(3), S("dog")})), 0.3);
  // One batch per neural relation, all in the same cycle.
  EXPECT_EQ(h.model.batches.size(), 4u);
  EXPECT_EQ(std::set<std::string>(h.model.relations.begin(), h.model.relations.end()),
            (std::set<std::string>{"all_labels", "top2", "sure", "both"}));
}

// Most probable first, ties in the model's label order, for a handful of
// labels (sorted in place) and for many (std::stable_sort).
TEST(NeuralForward, KeptPredictionsPutTheMostProbableFirstAndKeepTheLabelOrderOfTies) {
  for (const std::size_t labels : {std::size_t{7}, std::size_t{40}}) {
    std::vector<Prediction> predictions;
    for (std::size_t i = 0; i < labels; ++i) {
      predictions.push_back({I(static_cast<std::int64_t>(i)), static_cast<double>((i * 5) % 4) / 4});
    }
    std::vector<std::int64_t> expected;
    for (const double p : {0.75, 0.5, 0.25, 0.0}) {
      for (std::size_t i = 0; i < labels; ++i) {
        if (static_cast<double>((i * 5) % 4) / 4 == p) expected.push_back(static_cast<std::int64_t>(i));
      }
    }
    NeuralSpec spec;
    std::vector<std::int64_t> got;
    for (const Prediction& p : KeptPredictions(spec, predictions)) got.push_back(p.label.as_int());
    EXPECT_EQ(got, expected) << labels << " labels";
    spec.top_k = 3;
    const std::vector<Prediction> top = KeptPredictions(spec, predictions);
    ASSERT_EQ(top.size(), 3u);
    EXPECT_EQ(top[2].label.as_int(), expected[2]);
  }
}

TEST(NeuralForward, NegatedPredictionBlocksOnceItArrives) {
  Harness h(R"(
relation photo(id: int).
neural kind(x: int) -> label in {cat, dog, bird} using pets@2 top 1.
relation no_bird(id: int).
no_bird(I) :- photo(I), not kind(I, bird).
rule let_out when photo(I), not kind(I, bird) then print("let out {I}").
)");
  for (int i = 0; i < 4; ++i) h.Add("photo", {I(i)});
  RunResult r = h.session.Run();
  ASSERT_EQ(r.reason, StopReason::kAgendaEmpty) << r.message;
  EXPECT_EQ(h.model.batches.size(), 1u);
  // Odd inputs are birds: neither the logical rule nor the production rule holds for them.
  EXPECT_EQ(h.Facts("no_bird"), (std::set<std::string>{"no_bird(0)", "no_bird(2)"}));
  std::istringstream lines(h.out.str());
  std::set<std::string> printed;
  for (std::string line; std::getline(lines, line);) printed.insert(line);
  EXPECT_EQ(printed, (std::set<std::string>{"let out 0", "let out 2"})) << h.out.str();
}

TEST(NeuralForward, InputsOfALaterCycleGoInASecondBatch) {
  // The photos of the program go in the first batch; the one a production rule
  // asserts after that cycle goes in a second.
  //
  // Note: every action of a firing settles (so the next action sees its
  // effects), and settling asks for what is pending; so a rule that asserts
  // two inputs in two actions makes two batches of one. Batching works per
  // action, not per firing: this test pins only the one-assert case.
  Harness h(R"(
relation photo(id: int).
relation go(n: int).
neural kind(x: int) -> label in {cat, dog, bird} using pets@2 top 1.
relation pet(id: int, k: symbol).
pet(I, K) :- photo(I), kind(I, K).
rule more when go(N) then assert photo(N + 100).
)");
  h.Add("photo", {I(1)});
  h.Add("photo", {I(2)});
  h.Add("photo", {I(3)});
  h.Add("go", {I(0)});
  RunResult r = h.session.Run();
  ASSERT_EQ(r.reason, StopReason::kAgendaEmpty) << r.message;
  EXPECT_EQ(r.firings, 1u);
  ASSERT_EQ(h.model.batches.size(), 2u) << h.model.Describe();
  EXPECT_EQ(h.model.Describe(), "[1, 2, 3] [100]");
  EXPECT_EQ(h.session.model_batches(), 2u);
  EXPECT_EQ(h.session.model_inputs(), 4u);
  EXPECT_EQ(h.Facts("pet"), (std::set<std::string>{"pet(1, bird)", "pet(2, cat)", "pet(3, bird)", "pet(100, cat)"}));
}

TEST(NeuralForward, WithoutModelsTheRunStopsNamingTheRelation) {
  Harness h(kPets, /*with_model=*/false);
  h.Add("photo", {I(1)});
  RunResult r = h.session.Run();
  EXPECT_EQ(r.reason, StopReason::kError);
  EXPECT_NE(r.message.find("'kind'"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("test.syl"), std::string::npos) << r.message;
  EXPECT_TRUE(h.Facts("pet").empty());
  // Still none: the next Run says so again rather than go on without the answer.
  r = h.session.Run();
  EXPECT_EQ(r.reason, StopReason::kError) << "the unanswered input was dropped";
  // Models become available: the input left pending is asked for.
  h.session.set_neural(&h.model);
  r = h.session.Run();
  EXPECT_EQ(r.reason, StopReason::kAgendaEmpty) << r.message;
  EXPECT_EQ(h.model.Describe(), "[1]");
  EXPECT_EQ(h.Facts("pet"), (std::set<std::string>{"pet(1, bird)"}));
}

TEST(NeuralForward, WithoutNeuralRulesNoModelIsNeeded) {
  // A program that declares a neural relation nobody joins runs without models.
  Harness h(R"(
relation photo(id: int).
relation seen(id: int).
neural kind(x: int) -> label in {cat, dog, bird} using pets@2.
seen(I) :- photo(I).
)",
            /*with_model=*/false);
  h.Add("photo", {I(1)});
  EXPECT_EQ(h.session.Run().reason, StopReason::kAgendaEmpty);
  EXPECT_EQ(h.Facts("seen"), (std::set<std::string>{"seen(1)"}));
  EXPECT_EQ(h.session.model_batches(), 0u);
}

TEST(NeuralForward, AModelErrorStopsTheRunAndTheSessionStaysUsable) {
  Harness h(R"(
relation photo(id: int).
relation other(id: int).
relation copy(id: int).
neural kind(x: int) -> label in {cat, dog, bird} using pets@2 top 1.
relation pet(id: int, k: symbol).
pet(I, K) :- photo(I), kind(I, K).
copy(I) :- other(I).
)");
  h.model.fail_with = "model pets@2: the tensor has the wrong shape";
  h.Add("photo", {I(1)});
  RunResult r = h.session.Run();
  EXPECT_EQ(r.reason, StopReason::kError);
  EXPECT_EQ(r.message, "model pets@2: the tensor has the wrong shape");
  EXPECT_TRUE(h.Facts("pet").empty());

  // The model works again: new work runs, and new inputs are asked.
  h.model.fail_with.clear();
  h.Add("other", {I(9)});
  h.Add("photo", {I(2)});
  r = h.session.Run();
  EXPECT_EQ(r.reason, StopReason::kAgendaEmpty) << r.message;
  EXPECT_EQ(h.Facts("copy"), (std::set<std::string>{"copy(9)"}));
  EXPECT_EQ(h.Facts("pet").count("pet(2, cat)"), 1u);
  // The input whose batch failed is asked again, not lost (it used to be: it
  // stayed marked as asked and no later Run asked for it).
  EXPECT_EQ(h.Facts("pet"), (std::set<std::string>{"pet(1, bird)", "pet(2, cat)"})) << h.model.Describe();
  EXPECT_EQ(h.model.batches.size(), 2u) << h.model.Describe();
}

TEST(NeuralForward, AnInputNotBoundByEarlierConditionsIsAnErrorNamingIt) {
  Harness h(R"(
relation label_seen(k: symbol).
neural kind(x: int) -> label in {cat, dog, bird} using pets@2 top 1.
label_seen(K) :- kind(_, K).
)");
  RunResult r = h.session.Run();
  EXPECT_EQ(r.reason, StopReason::kError);
  EXPECT_NE(r.message.find("'kind'"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("'x'"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("bound"), std::string::npos) << r.message;
  EXPECT_TRUE(h.model.batches.empty());
}

}  // namespace
}  // namespace syllo::engine

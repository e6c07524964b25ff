// Forward chaining end to end through the rule language: each node type, truth
// maintenance, certainty, strategies, limits, and a property test against
// recomputation from scratch.
#include "engine/forward_session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "engine/rete_network.h"
#include "tests/engine/compile_text.h"
#include "rules/checker.h"
#include "rules/loader.h"
#include "rules/lower.h"

namespace syllo::engine {
namespace {

struct Harness {
  explicit Harness(const std::string& text) : network(CompileText(text)), session(network) {
    session.set_output(&out);
    EXPECT_TRUE(session.AssertProgramFacts().ok());
  }
  RelationId Rel(const std::string& name) const { return *network->program().FindRelation(name); }
  std::set<std::string> Facts(const std::string& relation) {
    session.Settle();
    std::set<std::string> s;
    const Relation& r = session.memory().at(Rel(relation));
    r.ForEach([&](FactId id) { s.insert(session.FormatFact({Rel(relation), id})); });
    return s;
  }
  double Cf(const std::string& relation, std::vector<Value> row) {
    session.Settle();
    auto id = session.memory().at(Rel(relation)).Find(row);
    EXPECT_TRUE(id.has_value());
    return id ? session.memory().at(Rel(relation)).certainty(*id) : -99;
  }
  FactRef Find(const std::string& relation, std::vector<Value> row) {
    auto id = session.memory().at(Rel(relation)).Find(row);
    return id ? FactRef{Rel(relation), *id} : FactRef{Rel(relation), kNoFact};
  }
  FactRef Add(const std::string& relation, std::vector<Value> row, double cf = 1.0) {
    auto r = session.Assert(relation, std::move(row), cf);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : FactRef{};
  }
  std::shared_ptr<const ReteNetwork> network;
  ForwardSession session;
  std::ostringstream out;
};

Value I(std::int64_t v) { return Value::Int(v); }
Value S(const char* s) { return Value::MakeSymbol(s); }

const char* kPaths = R"(
relation edge(a: int, b: int).
relation path(a: int, b: int).
path(X, Y) :- edge(X, Y).
path(X, Z) :- edge(X, Y), path(Y, Z).
)";

TEST(Forward, TransitiveClosureOfAChain) {
  Harness h(kPaths);
  for (int i = 0; i < 30; ++i) h.Add("edge", {I(i), I(i + 1)});
  h.session.Run();
  EXPECT_EQ(h.Facts("path").size(), 31u * 30u / 2u);
}

TEST(Forward, ALargeClosureGrowsPastTheLargeBlocksAndResetsClean) {
  // 125,250 paths: tokens, entries and frames pass the 4 MiB blocks (mapped,
  // grown by mremap; frames in slabs), then a reset gives them back.
  Harness h(kPaths);
  const int n = 500;
  for (int i = 0; i < n; ++i) h.Add("edge", {I(i), I(i + 1)});
  h.session.Run();
  EXPECT_EQ(h.Facts("path").size(), static_cast<std::size_t>((n + 1) * n / 2));
  EXPECT_TRUE(h.Find("path", {I(0), I(n)}).id != kNoFact);
  // Retracting the middle edge takes every path across it back.
  ASSERT_TRUE(h.session.Retract(h.Find("edge", {I(n / 2), I(n / 2 + 1)})));
  h.session.Run();
  EXPECT_EQ(h.Facts("path").size(), static_cast<std::size_t>((n / 2 + 1) * (n / 2) / 2 + (n / 2) * (n / 2 - 1) / 2));
  h.session.Reset();
  for (int i = 0; i < 10; ++i) h.Add("edge", {I(i), I(i + 1)});
  h.session.Run();
  EXPECT_EQ(h.Facts("path").size(), 55u);
}

TEST(Forward, RetractingAnEdgeRemovesPathsThroughItEvenInCycles) {
  Harness h(kPaths);
  // A cycle 0 -> 1 -> 2 -> 0 plus a tail 2 -> 3: every path supports itself.
  FactRef e01 = h.Add("edge", {I(0), I(1)});
  h.Add("edge", {I(1), I(2)});
  h.Add("edge", {I(2), I(0)});
  h.Add("edge", {I(2), I(3)});
  h.session.Run();
  EXPECT_EQ(h.Facts("path").size(), 12u);  // 3x3 within the cycle + 3 to node 3
  ASSERT_TRUE(h.session.Retract(e01));
  h.session.Run();
  // Left: 1->2, 1->0, 1->3, 2->0, 2->3.
  EXPECT_EQ(h.Facts("path"), (std::set<std::string>{"path(1, 2)", "path(1, 0)", "path(1, 3)", "path(2, 0)",
                                                     "path(2, 3)"}));
}

TEST(Forward, NegationIsMaintained) {
  Harness h(R"(
relation person(p: symbol).
relation friend(a: symbol, b: symbol).
relation lonely(p: symbol).
lonely(X) :- person(X), not friend(X, _).
person(ann). person(bob).
friend(ann, bob).
)");
  h.session.Run();
  EXPECT_EQ(h.Facts("lonely"), (std::set<std::string>{"lonely(bob)"}));
  FactRef f = h.Add("friend", {S("bob"), S("ann")});
  EXPECT_TRUE(h.Facts("lonely").empty());
  h.session.Retract(f);
  h.session.Retract(h.Find("friend", {S("ann"), S("bob")}));
  EXPECT_EQ(h.Facts("lonely"), (std::set<std::string>{"lonely(ann)", "lonely(bob)"}));
}

TEST(Forward, ExistsAndConjunctiveNegation) {
  Harness h(R"(
relation order(id: int, customer: symbol, amount: float).
relation customer(c: symbol).
relation active(c: symbol).
relation no_big_order(c: symbol).
active(C) :- customer(C), exists order(_, C, _).
no_big_order(C) :- customer(C), not (order(_, C, A), A > 100.0).
customer(a). customer(b). customer(c).
order(1, a, 50.0). order(2, a, 70.0). order(3, b, 500.0).
)");
  h.session.Run();
  EXPECT_EQ(h.Facts("active"), (std::set<std::string>{"active(a)", "active(b)"}));
  EXPECT_EQ(h.Facts("no_big_order"), (std::set<std::string>{"no_big_order(a)", "no_big_order(c)"}));
  h.Add("order", {I(4), S("a"), Value::Float(150.0)});
  EXPECT_EQ(h.Facts("no_big_order"), (std::set<std::string>{"no_big_order(c)"}));
}

// An aggregate over a conjunction, then a test on its result: the test is
// not copied into the conjunction's auxiliary rule, which cannot bind it.
TEST(Forward, ATestOnTheResultOfAnAggregateOverAConjunction) {
  Harness h(R"(
relation edge(x: int, y: int).
relation weight(y: int, w: int).
relation heavy(x: int, t: int).
heavy(X, T) :- edge(X, _), T = sum(W : edge(X, Y), weight(Y, W)), T > 3.
edge(1, 2). edge(1, 3). edge(4, 3).
weight(2, 5). weight(3, 1).
)");
  h.session.Run();
  EXPECT_EQ(h.Facts("heavy"), (std::set<std::string>{"heavy(1, 6)"}));
}

TEST(Forward, AggregatesFollowChanges) {
  Harness h(R"(
relation order(id: int, customer: symbol, amount: int).
relation customer(c: symbol).
relation stats(c: symbol, n: int, total: int, low: int, high: int).
relation mean(c: symbol, m: float).
stats(C, N, T, L, H) :- customer(C), N = count(order(_, C, _)), T = sum(A : order(_, C, A)),
    L = min(A : order(_, C, A)), H = max(A : order(_, C, A)).
mean(C, M) :- customer(C), M = avg(A : order(_, C, A)).
customer(a).
order(1, a, 10). order(2, a, 30).
)");
  h.session.Run();
  EXPECT_EQ(h.Facts("stats"), (std::set<std::string>{"stats(a, 2, 40, 10, 30)"}));
  EXPECT_EQ(h.Facts("mean"), (std::set<std::string>{"mean(a, 20.0)"}));
  FactRef o3 = h.Add("order", {I(3), S("a"), I(5)});
  EXPECT_EQ(h.Facts("stats"), (std::set<std::string>{"stats(a, 3, 45, 5, 30)"}));
  h.session.Retract(o3);
  h.session.Retract(h.Find("order", {I(1), S("a"), I(10)}));
  h.session.Retract(h.Find("order", {I(2), S("a"), I(30)}));
  // No orders: count and sum are 0; min, max and avg have no value, so no fact.
  EXPECT_TRUE(h.Facts("stats").empty());
  EXPECT_TRUE(h.Facts("mean").empty());
}

TEST(Forward, ProductionRulesModifyPrintAndHalt) {
  Harness h(R"(
relation counter(n: int).
counter(0).
rule tick when counter(N) as C, N < 5 then modify C (n = N + 1).
rule stop salience 10 when counter(3) then print("three"); halt.
)");
  RunResult r = h.session.Run();
  EXPECT_EQ(r.reason, StopReason::kHalted);
  EXPECT_EQ(h.out.str(), "three\n");
  EXPECT_EQ(h.Facts("counter"), (std::set<std::string>{"counter(3)"}));
  r = h.session.Run();  // a halted run can go on
  EXPECT_EQ(r.reason, StopReason::kAgendaEmpty);
  EXPECT_EQ(h.Facts("counter"), (std::set<std::string>{"counter(5)"}));
}

TEST(Forward, AModifyToTheSameRowMakesANewFactThatFiresAgain) {
  // As in CLIPS: the modified fact is a new fact, so refraction does not hold
  // it back. `x = 1` into a float column is the same row once stored (1.0).
  for (const char* value : {"1.0", "1"}) {
    Harness h(std::string(R"(
relation v(x: float).
v(1.0).
rule same when v(X) as F then modify F (x = )") + value + R"().
)");
    RunResult r = h.session.Run({.max_firings = 4});
    EXPECT_EQ(r.reason, StopReason::kFiringLimit) << value;
    EXPECT_EQ(r.firings, 4u) << value;
    EXPECT_EQ(h.Facts("v"), (std::set<std::string>{"v(1.0)"})) << value;
  }
}

TEST(Forward, AModifyThatChangesTheRowRetractsTheOldFactFirst) {
  Harness h(R"(
relation v(x: int).
relation seen(x: int).
v(0).
seen(X) :- v(X).
rule bump when v(X) as F, X < 3 then modify F (x = X + 1).
)");
  RunResult r = h.session.Run();
  EXPECT_EQ(r.reason, StopReason::kAgendaEmpty);
  EXPECT_EQ(r.firings, 3u);
  EXPECT_EQ(h.Facts("v"), (std::set<std::string>{"v(3)"}));
  EXPECT_EQ(h.Facts("seen"), (std::set<std::string>{"seen(3)"}));  // the old supports went
}

TEST(Forward, PrintInterpolatesVariables) {
  Harness h(R"(
relation item(name: symbol, price: float, label: string).
item(pen, 1.5, "blue pen").
rule show when item(N, P, L) then print("{N} costs {P}: {L}", " / ", P * 2.0).
)");
  h.session.Run();
  EXPECT_EQ(h.out.str(), "pen costs 1.5: blue pen / 3.0\n");
}

TEST(Forward, RunLimitsStopCleanlyAndTheRunCanContinue) {
  Harness h(R"(
relation counter(n: int).
counter(0).
rule tick when counter(N) as C, N < 100 then modify C (n = N + 1).
)");
  RunResult r = h.session.Run({.max_firings = 10});
  EXPECT_EQ(r.reason, StopReason::kFiringLimit);
  EXPECT_EQ(r.firings, 10u);
  EXPECT_NE(r.message.find("firing limit"), std::string::npos);
  EXPECT_EQ(h.Facts("counter"), (std::set<std::string>{"counter(10)"}));
  r = h.session.Run();
  EXPECT_EQ(r.reason, StopReason::kAgendaEmpty);
  EXPECT_EQ(h.Facts("counter"), (std::set<std::string>{"counter(100)"}));
}

TEST(Forward, FactLimitStopsARunawayRuleSet) {
  Harness h(R"(
relation n(v: int).
n(0).
rule grow when n(X) then assert n(X + 1).
)");
  RunResult r = h.session.Run({.max_facts = 50});
  EXPECT_EQ(r.reason, StopReason::kFactLimit);
  EXPECT_NE(r.message.find("fact limit"), std::string::npos);
  EXPECT_LE(h.session.live_facts(), 52u);
}

TEST(Forward, MycinCombinesParallelEvidenceAndUndoesIt) {
  Harness h(R"(
pragma semantics mycin.
relation a(x: symbol).
relation b(x: symbol).
relation c(x: symbol).
c(X) cf 0.5 :- a(X).
c(X) cf 0.6 :- b(X).
a(k). b(k).
)");
  h.session.Run();
  EXPECT_NEAR(h.Cf("c", {S("k")}), 0.8, 1e-12);
  h.session.Retract(h.Find("b", {S("k")}));
  EXPECT_NEAR(h.Cf("c", {S("k")}), 0.5, 1e-12);
  h.Add("b", {S("k")}, 0.5);  // body 0.5 * rule 0.6 = 0.3
  EXPECT_NEAR(h.Cf("c", {S("k")}), 0.5 + 0.3 - 0.15, 1e-12);
}

TEST(Forward, MycinNegativeEvidence) {
  Harness h(R"(
relation a(x: symbol).
relation b(x: symbol).
relation c(x: symbol).
c(X) cf 0.5 :- a(X).
c(X) cf -0.3 :- b(X).
a(k). b(k).
)");
  h.session.Run();
  EXPECT_NEAR(h.Cf("c", {S("k")}), 0.2 / 0.7, 1e-12);
}

TEST(Forward, CertaintyPropagatesThroughChains) {
  Harness h(R"(
pragma semantics probability.
relation a(x: symbol).
relation b(x: symbol).
relation c(x: symbol).
b(X) cf 0.5 :- a(X).
c(X) cf 0.5 :- b(X), a(X).
a(k) cf 0.8.
)");
  h.session.Run();
  EXPECT_NEAR(h.Cf("b", {S("k")}), 0.4, 1e-12);
  EXPECT_NEAR(h.Cf("c", {S("k")}), 0.4 * 0.8 * 0.5, 1e-12);
}

TEST(Forward, JustificationsNameTheRuleAndTheFacts) {
  Harness h(kPaths);
  h.Add("edge", {I(1), I(2)});
  h.Add("edge", {I(2), I(3)});
  h.session.Run();
  auto js = h.session.Justifications(h.Find("path", {I(1), I(3)}));
  ASSERT_EQ(js.size(), 1u);
  EXPECT_EQ(h.network->program().rules[js[0].rule].name, "path#2");
  ASSERT_EQ(js[0].facts.size(), 2u);
  EXPECT_EQ(h.session.FormatFact(js[0].facts[0]), "edge(1, 2)");
  EXPECT_EQ(h.session.FormatFact(js[0].facts[1]), "path(2, 3)");
}

TEST(Forward, RepeatedVariableInOnePatternIsAnEqualityInsideTheFact) {
  Harness h(R"(
relation edge(a: int, b: int).
relation self_loop(a: int).
relation both(a: int).
self_loop(X) :- edge(X, X).
both(X) :- edge(X, Y), edge(Y, X), X < Y.
edge(1, 1). edge(1, 2). edge(2, 1). edge(2, 3).
)");
  h.session.Run();
  EXPECT_EQ(h.Facts("self_loop"), (std::set<std::string>{"self_loop(1)"}));
  EXPECT_EQ(h.Facts("both"), (std::set<std::string>{"both(1)"}));
}

TEST(Forward, TestsOnOneFactRunInTheAlphaNetwork) {
  // K4 on 1..4 stored in both directions has 4 triangles; A < B < C keeps one
  // rotation of each. The tests read only the joined fact's values.
  std::string text = R"(
relation edge(a: int, b: int).
relation triangle(a: int, b: int, c: int).
triangle(A, B, C) :- edge(A, B), A < B, edge(B, C), B < C, edge(C, A).
)";
  for (int a = 1; a <= 4; ++a) {
    for (int b = 1; b <= 4; ++b) {
      if (a != b) text += "edge(" + std::to_string(a) + ", " + std::to_string(b) + ").\n";
    }
  }
  Harness h(text);
  h.session.Run();
  EXPECT_EQ(h.Facts("triangle"), (std::set<std::string>{"triangle(1, 2, 3)", "triangle(1, 2, 4)",
                                                         "triangle(1, 3, 4)", "triangle(2, 3, 4)"}));
  bool has_alpha_tests = false;
  for (const AlphaNode& a : h.network->alphas()) has_alpha_tests = has_alpha_tests || !a.tests.empty();
  EXPECT_TRUE(has_alpha_tests);
  // Only triangle(1, 2, 3) closes with edge(3, 1).
  h.session.Retract(h.Find("edge", {I(3), I(1)}));
  EXPECT_EQ(h.Facts("triangle"), (std::set<std::string>{"triangle(1, 2, 4)", "triangle(1, 3, 4)", "triangle(2, 3, 4)"}));
}

TEST(Forward, NodesAreSharedBetweenRulesWithTheSamePrefix) {
  auto net = CompileText(R"(
relation p(x: int). relation q(x: int). relation r(x: int). relation s(x: int).
r(X) :- p(X), q(X).
s(X) :- p(X), q(X), X > 3.
)");
  EXPECT_GE(net->shared_nodes(), 1u);
}

TEST(Forward, TestsGeneratorsAndBuiltins) {
  Harness h(R"(
relation word(w: string).
relation tag(w: string, t: symbol).
tag(W, T) :- word(W), T in {short, long}, strlen(W) < 4, T = short.
tag(W, long) :- word(W), strlen(W) >= 4, starts_with(W, "el").
word("cat"). word("elephant"). word("zebra").
)");
  h.session.Run();
  EXPECT_EQ(h.Facts("tag"), (std::set<std::string>{"tag(\"cat\", short)", "tag(\"elephant\", long)"}));
}

// Firing order under each strategy, for three activations of equal salience
// made by facts asserted in the order a, b, c.
std::string FiringOrder(const char* strategy) {
  std::string text = std::string("pragma strategy ") + strategy + R"(.
relation item(x: symbol).
relation pair(x: symbol, y: symbol).
rule one when item(X) then print("{X}").
rule two when item(X), pair(X, Y) then print("{X}{Y}").
item(a). item(b). item(c). pair(a, z).
)";
  Harness h(text);
  h.session.Run();
  std::string order = h.out.str();
  std::replace(order.begin(), order.end(), '\n', ' ');
  return order;
}

TEST(Forward, StrategiesOrderActivationsAsDocumented) {
  // depth: newest activation first; pair(a, z) came last, so `two` first.
  EXPECT_EQ(FiringOrder("depth"), "az c b a ");
  // breadth: oldest first.
  EXPECT_EQ(FiringOrder("breadth"), "a b c az ");
  // lex: most recent facts first; az matched pair(a,z), the newest fact.
  EXPECT_EQ(FiringOrder("lex"), "az c b a ");
  // mea: the first pattern's fact decides: item(c) is newest.
  EXPECT_EQ(FiringOrder("mea"), "c b az a ");
  // simplicity: fewer conditions first; complexity: more first.
  EXPECT_EQ(FiringOrder("simplicity"), "c b a az ");
  EXPECT_EQ(FiringOrder("complexity"), "az c b a ");
  std::string random = FiringOrder("random");
  EXPECT_EQ(random.size(), std::string("az c b a ").size());
}

TEST(Forward, SalienceComesFirst) {
  Harness h(R"(
relation go(x: int).
go(1).
rule low salience -5 when go(_) then print("low").
rule high salience 5 when go(_) then print("high").
rule mid when go(_) then print("mid").
)");
  h.session.Run();
  EXPECT_EQ(h.out.str(), "high\nmid\nlow\n");
}

TEST(Forward, DepthAndBreadthKeepSalienceLevelsApart) {
  // Activations of three salience levels arrive interleaved; depth fires each
  // level newest first, breadth oldest first, and a higher level always first.
  const char* text = R"(
relation go(x: int).
go(1). go(2). go(3).
rule low salience -5 when go(X) then print("low {X}").
rule high salience 5 when go(X) then print("high {X}").
rule mid when go(X) then print("mid {X}").
)";
  {
    Harness h(std::string("pragma strategy depth.\n") + text);
    h.session.Run();
    EXPECT_EQ(h.out.str(), "high 3\nhigh 2\nhigh 1\nmid 3\nmid 2\nmid 1\nlow 3\nlow 2\nlow 1\n");
  }
  {
    Harness h(std::string("pragma strategy breadth.\n") + text);
    h.session.Run();
    EXPECT_EQ(h.out.str(), "high 1\nhigh 2\nhigh 3\nmid 1\nmid 2\nmid 3\nlow 1\nlow 2\nlow 3\n");
  }
}

TEST(Forward, AnActivationThatLosesItsMatchLeavesTheAgenda) {
  Harness h(R"(
pragma strategy breadth.
relation item(x: int).
relation stop(x: int).
item(1). item(2). item(3).
rule take salience 1 when item(X) as F then retract F; print("take {X}").
rule never when item(X), stop(X) then print("never {X}").
)");
  h.Add("stop", {I(2)});
  h.session.Settle();
  EXPECT_EQ(h.session.agenda().size(), 4u);
  h.session.Run();
  EXPECT_EQ(h.out.str(), "take 1\ntake 2\ntake 3\n");
  EXPECT_TRUE(h.session.agenda().empty());
}

// A phase fact the rule itself modifies, sharing no variable with the other
// conditions, is joined last (rules/lower: control patterns), so a phase
// change redoes only the last join; what the rule matches, and the facts a
// trace lists (as written), are the same.
const char* kPhases = R"(
relation phase(p: symbol).
relation item(x: int).
relation pair(a: int, b: int).
phase(collect).
item(1). item(2). item(3).
rule combine when phase(collect) as P, item(A), item(B), A < B, not pair(A, B)
  then assert pair(A, B); modify P (p = collect).
rule done salience -1 when phase(collect) as P then modify P (p = finished).
)";

TEST(Forward, ControlPatternsAreJoinedLastWithTheSameMatches) {
  Harness h(kPhases);
  const RuleSpec& combine = h.network->program().rules[0];
  ASSERT_EQ(combine.name, "combine");
  ASSERT_EQ(combine.conditions.size(), 5u);
  EXPECT_EQ(combine.conditions.back().pattern.relation, h.Rel("phase"));
  EXPECT_EQ(combine.pattern_source_order, (std::vector<std::uint16_t>{1, 2, 0}));
  RunResult r = h.session.Run();
  EXPECT_EQ(r.reason, StopReason::kAgendaEmpty);
  EXPECT_EQ(h.Facts("pair"), (std::set<std::string>{"pair(1, 2)", "pair(1, 3)", "pair(2, 3)"}));
  EXPECT_EQ(h.Facts("phase"), (std::set<std::string>{"phase(finished)"}));
}

TEST(Forward, ControlPatternsListTheirFactsAsWritten) {
  struct Recorder : ForwardObserver {
    const ForwardSession* s = nullptr;
    std::vector<std::string> fired;
    void OnFire(std::uint32_t rule, const std::vector<FactRef>& facts) override {
      if (s->program().rules[rule].name != "combine") return;
      std::string line;
      for (FactRef f : facts) line += s->FormatFact(f) + " ";
      fired.push_back(line);
    }
  } rec;
  Harness h(kPhases);
  rec.s = &h.session;
  h.session.set_observer(&rec);
  h.session.Run();
  ASSERT_EQ(rec.fired.size(), 3u);
  for (const std::string& line : rec.fired) EXPECT_EQ(line.rfind("phase(collect) item(", 0), 0u) << line;
}

TEST(Forward, APatternSharingAVariableStaysWhereItIsWritten) {
  Harness h(R"(
relation counter(n: int).
relation limit(n: int).
counter(0). limit(3).
rule step when counter(N) as C, limit(L), N < L then modify C (n = N + 1).
)");
  EXPECT_TRUE(h.network->program().rules[0].pattern_source_order.empty());
  EXPECT_EQ(h.network->program().rules[0].conditions.front().pattern.relation, h.Rel("counter"));
  h.session.Run();
  EXPECT_EQ(h.Facts("counter"), (std::set<std::string>{"counter(3)"}));
}

TEST(Forward, RefractionFiresAnActivationOnce) {
  Harness h(R"(
relation x(v: int).
relation seen(v: int).
x(1).
rule once when x(V) then print("fired {V}"); assert seen(V).
)");
  h.session.Run();
  h.session.Run();
  EXPECT_EQ(h.out.str(), "fired 1\n");
}

// Property: random asserts and retracts on rules with joins, negation,
// recursion and aggregates end with exactly the derived facts that a fresh
// session computes from the final base facts.
const char* kProperty = R"(
relation edge(a: int, b: int).
relation mark(a: int).
relation path(a: int, b: int).
relation unmarked_reach(a: int, b: int).
relation degree(a: int, n: int).
relation isolated(a: int).
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
unmarked_reach(X, Y) :- path(X, Y), not mark(Y).
degree(X, N) :- mark(X), N = count(edge(X, _)).
isolated(X) :- mark(X), not edge(X, _), not edge(_, X).
)";

std::map<std::string, std::set<std::string>> Derived(Harness& h) {
  std::map<std::string, std::set<std::string>> out;
  for (const char* r : {"path", "unmarked_reach", "degree", "isolated"}) out[r] = h.Facts(r);
  return out;
}

// Random asserts, retracts and runs over `nodes` node ids; the end state must
// equal a fresh session's on the final base facts.
void CheckIncrementalEqualsRecomputation(int nodes, int steps, int trials, unsigned seed, unsigned run_one_in) {
  std::mt19937 rng(seed);
  for (int trial = 0; trial < trials; ++trial) {
    Harness inc(kProperty);
    std::set<std::pair<int, int>> edges;
    std::set<int> marks;
    for (int step = 0; step < steps; ++step) {
      int a = static_cast<int>(rng() % nodes), b = static_cast<int>(rng() % nodes);
      switch (rng() % 4) {
        case 0:
        case 1:
          inc.Add("edge", {I(a), I(b)});
          edges.insert({a, b});
          break;
        case 2:
          if (edges.count({a, b})) {
            inc.session.Retract(inc.Find("edge", {I(a), I(b)}));
            edges.erase({a, b});
          } else {
            inc.Add("mark", {I(a)});
            marks.insert(a);
          }
          break;
        case 3:
          if (marks.count(a)) {
            inc.session.Retract(inc.Find("mark", {I(a)}));
            marks.erase(a);
          }
          break;
      }
      if (rng() % run_one_in == 0) inc.session.Run();
    }
    inc.session.Run();
    Harness fresh(kProperty);
    for (auto [a, b] : edges) fresh.Add("edge", {I(a), I(b)});
    for (int m : marks) fresh.Add("mark", {I(m)});
    fresh.session.Run();
    ASSERT_EQ(Derived(inc), Derived(fresh)) << "trial " << trial;
  }
}

TEST(ForwardProperty, IncrementalEqualsRecomputation) { CheckIncrementalEqualsRecomputation(7, 60, 60, 12345, 3); }

// Dozens of aggregate groups and negations wait at once (more than a scan
// keeps track of), while retractions take tokens away from under them.
TEST(ForwardProperty, ManyWaitingNodesEqualRecomputation) {
  CheckIncrementalEqualsRecomputation(40, 300, 15, 4242, 60);
}

TEST(ForwardRank, RelationsRankAboveWhatTheirRulesRead) {
  auto net = CompileText(R"(
relation edge(a: int, b: int).
relation path(a: int, b: int).
relation hop(a: int, b: int).
relation lonely(a: int).
relation fanout(a: int, n: int).
path(X, Y) :- edge(X, Y).
path(X, Z) :- hop(X, Y), edge(Y, Z).
hop(X, Y) :- path(X, Y).
lonely(X) :- edge(X, _), not path(_, X).
fanout(X, N) :- lonely(X), N = count(path(X, _)).
)");
  auto rank = [&](const char* r) { return net->rank(*net->program().FindRelation(r)); };
  EXPECT_EQ(rank("edge"), 0u);
  EXPECT_EQ(rank("path"), 1u);
  EXPECT_EQ(rank("hop"), rank("path")) << "one recursive cycle, one rank";
  EXPECT_EQ(rank("lonely"), 2u);
  EXPECT_EQ(rank("fanout"), 3u);
  EXPECT_EQ(net->max_rank(), 3u);
}

// New facts propagate lowest rank first: an aggregate's running totals never
// reach the rules that read the total, and a negation sees its relation whole.
TEST(ForwardRank, ConsumersSeeCompleteRelations) {
  Harness h(R"(
relation order(id: int).
relation item(id: int, line: int, price: int).
relation line(id: int, line: int, price: int).
relation total(id: int, sum: int).
relation small(id: int).
relation clean(id: int).
relation flagged(id: int).
line(Id, L, P) :- item(Id, L, P).
total(Id, S) :- order(Id), S = sum(P : line(Id, _L, P)).
small(Id) :- total(Id, S), S < 50.
flagged(Id) :- line(Id, _, P), P > 25.
clean(Id) :- order(Id), not flagged(Id).
)");
  struct Added : ForwardObserver {
    const ReteNetwork* net = nullptr;
    std::vector<std::string> names;
    void OnFactAdded(FactRef f) override { names.push_back(net->program().relations[f.relation].name); }
  } added;
  added.net = h.network.get();
  h.session.set_observer(&added);
  h.Add("order", {I(1)});
  h.Add("item", {I(1), I(1), I(10)});
  h.Add("item", {I(1), I(2), I(20)});
  h.Add("item", {I(1), I(3), I(30)});
  h.session.Run();
  EXPECT_EQ(h.Facts("total"), (std::set<std::string>{"total(1, 60)"}));
  EXPECT_TRUE(h.Facts("small").empty());
  EXPECT_TRUE(h.Facts("clean").empty());
  auto count = [&](const char* r) { return std::count(added.names.begin(), added.names.end(), r); };
  EXPECT_EQ(count("total"), 1) << "only the final total entered the network";
  EXPECT_EQ(count("small"), 0);
  EXPECT_EQ(count("clean"), 0);
  EXPECT_EQ(count("line"), 3);
}

// A reset session is a new session on the same network: after any history
// (joins, negation, recursion, aggregates, retractions, a run stopped at a
// limit), Reset and the same facts give exactly what a fresh session gives,
// with no fact, token or activation left over.
TEST(ForwardReset, AResetSessionComputesAsAFreshOne) {
  std::mt19937 rng(777);
  Harness reused(kProperty);
  for (int trial = 0; trial < 30; ++trial) {
    reused.session.Reset();
    ASSERT_TRUE(reused.session.AssertProgramFacts().ok());
    EXPECT_EQ(reused.session.live_facts(), 0u);
    EXPECT_TRUE(reused.session.agenda().empty());
    std::set<std::pair<int, int>> edges;
    std::set<int> marks;
    for (int step = 0; step < 40; ++step) {
      int a = static_cast<int>(rng() % 6), b = static_cast<int>(rng() % 6);
      if (rng() % 3 != 0) {
        reused.Add("edge", {I(a), I(b)});
        edges.insert({a, b});
      } else if (edges.count({a, b})) {
        reused.session.Retract(reused.Find("edge", {I(a), I(b)}));
        edges.erase({a, b});
      } else {
        reused.Add("mark", {I(a)});
        marks.insert(a);
      }
      if (rng() % 4 == 0) reused.session.Run({.max_firings = 1});
    }
    reused.session.Run();
    Harness fresh(kProperty);
    for (auto [a, b] : edges) fresh.Add("edge", {I(a), I(b)});
    for (int m : marks) fresh.Add("mark", {I(m)});
    fresh.session.Run();
    ASSERT_EQ(Derived(reused), Derived(fresh)) << "trial " << trial;
    EXPECT_EQ(reused.session.live_facts(), fresh.session.live_facts()) << "trial " << trial;
    EXPECT_EQ(reused.session.token_count(), fresh.session.token_count()) << "trial " << trial;
  }
}

TEST(ForwardReset, ProductionRulesFireAgainAndTheRandomOrderRepeats) {
  // Refraction, the firing count, halt and the random strategy's generator
  // all start over: the same facts fire the same rules in the same order.
  Harness h(R"(pragma strategy random.
relation item(x: int).
relation seen(x: int).
rule note when item(X) then print("{X}"); assert seen(X).
rule stop salience -1 when item(9) then halt.
)");
  std::string first;
  for (int round = 0; round < 3; ++round) {
    if (round > 0) {
      h.session.Reset();
      ASSERT_TRUE(h.session.AssertProgramFacts().ok());
    }
    h.out.str({});
    for (int i = 0; i < 10; ++i) h.Add("item", {I(i)});
    RunResult r = h.session.Run();
    EXPECT_EQ(r.reason, StopReason::kHalted);
    EXPECT_EQ(h.session.total_firings(), 11u);
    EXPECT_EQ(h.Facts("seen").size(), 10u);
    if (round == 0) first = h.out.str();
    EXPECT_EQ(h.out.str(), first) << "round " << round;
  }
}

}  // namespace
}  // namespace syllo::engine

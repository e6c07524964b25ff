// Bottom-up evaluation (engine/bottom_up) against the Rete session it stands
// in for: the same facts, certainties and derivation count on joins,
// negation, exists, conjunctions under not/exists, aggregates, arithmetic,
// sets, recursion and fuzzy certainties; the programs its plan refuses; the
// evaluations it gives up; and a reset session.
#include "engine/bottom_up.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/forward_session.h"
#include "engine/rete_network.h"
#include "rules/checker.h"
#include "rules/loader.h"
#include "rules/lower.h"
#include "tests/engine/compile_text.h"

namespace syllo::engine {
namespace {

Value I(std::int64_t v) { return Value::Int(v); }
Value F(double v) { return Value::Float(v); }
Value S(const char* s) { return Value::MakeSymbol(s); }
Value Str(const std::string& s) { return Value::MakeString(s); }

std::string SourceDir() {
  const char* env = std::getenv("SYLLO_SOURCE_DIR");
  return env != nullptr ? env : SYLLO_SOURCE_DIR_DEFAULT;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fact given to both sessions.
struct Given {
  std::string relation;
  std::vector<Value> row;
  double cf = 1.0;
};

// Every relation's facts: sorted (row as the rule language writes it, certainty).
using Snapshot = std::map<std::string, std::vector<std::pair<std::string, double>>>;

Snapshot Snap(const ProgramSpec& spec, const WorkingMemory& memory) {
  Snapshot out;
  for (RelationId r = 0; r < spec.relations.size(); ++r) {
    const Relation& rel = memory.at(r);
    auto& facts = out[spec.relations[r].name];
    rel.ForEach([&](FactId id) {
      std::string text = rel.name() + "(";
      auto row = rel.row(id);
      for (std::size_t i = 0; i < row.size(); ++i) text += (i ? ", " : "") + row[i].ToString();
      facts.emplace_back(text + ")", rel.certainty(id));
    });
    std::sort(facts.begin(), facts.end());
  }
  return out;
}

struct Outcome {
  Snapshot facts;
  std::uint64_t derivations = 0;
  std::set<std::string> concluding;  // rules that concluded a derived fact
  bool concluded = true;             // bottom-up: kConcluded
};

RelationId Rel(const ReteNetwork& net, const std::string& name) {
  auto id = net.program().FindRelation(name);
  EXPECT_TRUE(id.has_value()) << name;
  return id.value_or(0);
}

Outcome RunRete(const std::shared_ptr<const ReteNetwork>& net, const std::vector<Given>& given,
                const RunLimits& limits = {}) {
  ForwardSession s(net);
  std::ostringstream out;
  s.set_output(&out);
  EXPECT_TRUE(s.AssertProgramFacts().ok());
  for (const Given& g : given) {
    auto r = s.Assert(Rel(*net, g.relation), g.row, g.cf);
    EXPECT_TRUE(r.ok()) << r.status().message();
  }
  RunResult r = s.Run(limits);
  EXPECT_EQ(r.reason, StopReason::kAgendaEmpty) << r.message;
  Outcome o;
  o.facts = Snap(net->program(), s.memory());
  o.derivations = r.derivations;
  for (RelationId rel = 0; rel < net->program().relations.size(); ++rel) {
    const Relation& relation = s.memory().at(rel);
    relation.ForEach([&](FactId id) {
      if (relation.origin(id) != Origin::kDerived) return;
      for (const Justification& j : s.Justifications({rel, id})) o.concluding.insert(net->program().rules[j.rule].name);
    });
  }
  return o;
}

void AssertInto(BottomUpSession& s, const std::vector<Given>& given) {
  for (const Given& g : given) {
    std::vector<Value> row = g.row;
    auto r = s.Assert(Rel(s.plan().network(), g.relation), row, g.cf, Origin::kAsserted);
    EXPECT_TRUE(r.ok()) << r.status().message();
  }
}

Outcome Collect(const BottomUpSession& s, BottomUpSession::Outcome outcome, std::uint64_t derivations) {
  Outcome o;
  o.concluded = outcome == BottomUpSession::Outcome::kConcluded;
  o.facts = Snap(s.plan().program(), s.memory());
  o.derivations = derivations;
  for (std::size_t r = 0; r < s.concluded().size(); ++r) {
    if (s.concluded()[r]) o.concluding.insert(s.plan().program().rules[r].name);
  }
  return o;
}

std::shared_ptr<const BottomUpPlan> PlanOf(const std::shared_ptr<const ReteNetwork>& net) {
  std::string why;
  auto plan = BottomUpPlan::Make(net, &why);
  EXPECT_NE(plan, nullptr) << why;
  return plan;
}

Outcome RunBottomUp(const std::shared_ptr<const BottomUpPlan>& plan, const std::vector<Given>& given,
                    const RunLimits& limits = {}) {
  BottomUpSession s(plan);
  AssertInto(s, given);
  std::uint64_t derivations = 0;
  auto outcome = s.Evaluate(limits, &derivations);
  return Collect(s, outcome, derivations);
}

// The same facts into both sessions: the same facts, certainties, derivation
// count and concluding rules.
void ExpectSameAsRete(const std::string& text, const std::vector<Given>& given, const std::string& label = "") {
  auto net = CompileText(text);
  auto plan = PlanOf(net);
  if (plan == nullptr) return;
  Outcome rete = RunRete(net, given);
  Outcome bottom_up = RunBottomUp(plan, given);
  ASSERT_TRUE(bottom_up.concluded) << label;
  EXPECT_EQ(bottom_up.facts, rete.facts) << label;
  EXPECT_EQ(bottom_up.derivations, rete.derivations) << label;
  EXPECT_EQ(bottom_up.concluding, rete.concluding) << label;
}

// The facts given, for a failure's message.
std::string Describe(const std::vector<Given>& given) {
  std::string out;
  for (const Given& g : given) {
    out += g.relation + "(";
    for (std::size_t i = 0; i < g.row.size(); ++i) out += (i ? ", " : "") + g.row[i].ToString();
    out += ") cf " + std::to_string(g.cf) + "\n";
  }
  return out;
}

std::size_t CountFacts(const Snapshot& s, const std::string& relation) {
  auto it = s.find(relation);
  return it == s.end() ? 0 : it->second.size();
}

// ---- equivalence with the Rete session ----------------------------------------------

const char* kJoins = R"(
pragma semantics boolean.
relation customer(c: symbol, country: symbol).
relation order(id: int, c: symbol, amount: int).
relation item(o: int, p: symbol, qty: int).
relation product(p: symbol, price: int).
relation bought(c: symbol, p: symbol).
relation line_total(o: int, p: symbol, total: int).
relation compatriots(a: symbol, b: symbol).
relation big_local(c: symbol, o: int).
relation repeat_buyer(c: symbol, p: symbol).
bought(C, P) :- customer(C, _), order(O, C, _), item(O, P, _).
line_total(O, P, Q * Pr) :- order(O, _, _), item(O, P, Q), product(P, Pr).
compatriots(A, B) :- customer(A, K), customer(B, K), A != B.
big_local(C, O) :- customer(C, de), order(O, C, A), A >= 100, item(O, P, _), product(P, Pr), Pr > 5.
repeat_buyer(C, P) :- order(O1, C, _), item(O1, P, _), order(O2, C, _), item(O2, P, _), O1 < O2.
customer(zed, fr).
)";

std::vector<Given> JoinFacts(int orders) {
  const char* customers[] = {"ann", "bob", "cy", "dee", "eve", "fay"};
  const char* countries[] = {"de", "fr", "de", "it", "de", "fr"};
  const char* products[] = {"pen", "ink", "pad", "cup", "mug"};
  std::vector<Given> g;
  for (int i = 0; i < 6; ++i) g.push_back({"customer", {S(customers[i]), S(countries[i])}});
  for (int i = 0; i < 5; ++i) g.push_back({"product", {S(products[i]), I(2 * i + 1)}});
  for (int o = 0; o < orders; ++o) {
    g.push_back({"order", {I(o), S(customers[(o * 7) % 6]), I((o * 37) % 200)}});
    g.push_back({"item", {I(o), S(products[o % 5]), I(1 + o % 4)}});
    g.push_back({"item", {I(o), S(products[(o * 3 + 1) % 5]), I(2)}});
  }
  return g;
}

TEST(BottomUp, JoinsOverSeveralRelations) {
  // 30 orders and 60 items: past the size where a join scans, so the join
  // columns are looked up in an index.
  ExpectSameAsRete(kJoins, JoinFacts(30), "30 orders");
  ExpectSameAsRete(kJoins, JoinFacts(4), "4 orders");
  ExpectSameAsRete(kJoins, {}, "no facts");
}

TEST(BottomUp, JoinsConcludeWhatTheyShould) {
  // Not only the same as the Rete session: right.
  auto net = CompileText(kJoins);
  Outcome o = RunBottomUp(PlanOf(net), {{"customer", {S("a"), S("de")}},
                                        {"customer", {S("b"), S("de")}},
                                        {"order", {I(1), S("a"), I(150)}},
                                        {"item", {I(1), S("pen"), I(3)}},
                                        {"product", {S("pen"), I(7)}}});
  ASSERT_TRUE(o.concluded);
  using V = std::vector<std::pair<std::string, double>>;
  EXPECT_EQ(o.facts["bought"], (V{{"bought(a, pen)", 1.0}}));
  EXPECT_EQ(o.facts["line_total"], (V{{"line_total(1, pen, 21)", 1.0}}));
  EXPECT_EQ(o.facts["compatriots"], (V{{"compatriots(a, b)", 1.0}, {"compatriots(b, a)", 1.0}}));
  EXPECT_EQ(o.facts["big_local"], (V{{"big_local(a, 1)", 1.0}}));
  EXPECT_EQ(o.derivations, 5u);
}

const char* kNegation = R"(
pragma semantics boolean.
relation person(p: symbol).
relation friend(a: symbol, b: symbol).
relation blocked(a: symbol).
relation lonely(p: symbol).
relation unblocked_friend(a: symbol, b: symbol).
relation no_self(p: symbol).
relation nobody_blocked(p: symbol).
relation popular(p: symbol).
relation unpopular(p: symbol).
lonely(X) :- person(X), not friend(X, _).
unblocked_friend(A, B) :- friend(A, B), not blocked(B), not blocked(A).
no_self(X) :- person(X), not friend(X, X).
nobody_blocked(X) :- person(X), not blocked(_).
popular(X) :- person(X), friend(_, X).
unpopular(X) :- person(X), not popular(X).
person(ann). person(bob).
)";

TEST(BottomUp, Negation) {
  std::vector<Given> g = {{"person", {S("cy")}},
                          {"friend", {S("ann"), S("bob")}},
                          {"friend", {S("cy"), S("cy")}},
                          {"friend", {S("bob"), S("dee")}}};
  ExpectSameAsRete(kNegation, g, "no block");
  g.push_back({"blocked", {S("dee")}});
  ExpectSameAsRete(kNegation, g, "one block");
  ExpectSameAsRete(kNegation, {}, "program facts only");
  // Many people, most without friends: negations over a larger relation.
  std::vector<Given> many;
  for (int i = 0; i < 40; ++i) {
    many.push_back({"person", {S(("p" + std::to_string(i)).c_str())}});
    // 20 friendships and 18 blocks: past the size where a negation scans.
    if (i % 2 == 0) many.push_back({"friend", {S(("p" + std::to_string(i)).c_str()), S(("p" + std::to_string((i * 7) % 40)).c_str())}});
    if (i % 9 < 4 || i == 39) many.push_back({"blocked", {S(("p" + std::to_string(i)).c_str())}});
  }
  ExpectSameAsRete(kNegation, many, "40 people");
}

const char* kExists = R"(
pragma semantics boolean.
relation customer(c: symbol).
relation order(id: int, c: symbol, amount: int).
relation active(c: symbol).
relation big_buyer(c: symbol).
relation no_big_order(c: symbol).
relation idle(c: symbol).
relation any_order(c: symbol).
active(C) :- customer(C), exists order(_, C, _).
big_buyer(C) :- customer(C), exists (order(_, C, A), A > 100).
no_big_order(C) :- customer(C), not (order(_, C, A), A > 100).
idle(C) :- customer(C), not exists order(_, C, _).
any_order(C) :- customer(C), exists order(_, _, _).
customer(a). customer(b). customer(c).
)";

TEST(BottomUp, ExistsAndConjunctionsUnderNotAndExists) {
  ExpectSameAsRete(kExists, {}, "no orders");
  std::vector<Given> g = {{"order", {I(1), S("a"), I(50)}},
                          {"order", {I(2), S("a"), I(70)}},
                          {"order", {I(3), S("b"), I(500)}},
                          {"order", {I(4), S("d"), I(900)}}};
  ExpectSameAsRete(kExists, g, "four orders");
  for (int i = 0; i < 30; ++i) g.push_back({"order", {I(10 + i), S(i % 2 ? "a" : "e"), I(i * 9)}});
  ExpectSameAsRete(kExists, g, "34 orders");
  // The conjunctions became auxiliary relations: the program has rules for
  // them, and what they conclude shows.
  auto net = CompileText(kExists);
  bool auxiliary = false;
  for (const RuleSpec& r : net->program().rules) auxiliary = auxiliary || r.auxiliary;
  EXPECT_TRUE(auxiliary);
  Outcome o = RunBottomUp(PlanOf(net), g);
  using V = std::vector<std::pair<std::string, double>>;
  EXPECT_EQ(o.facts["big_buyer"], (V{{"big_buyer(a)", 1.0}, {"big_buyer(b)", 1.0}}));
  EXPECT_EQ(o.facts["no_big_order"], (V{{"no_big_order(c)", 1.0}}));
  EXPECT_EQ(o.facts["idle"], (V{{"idle(c)", 1.0}}));
}

const char* kAggregates = R"(
pragma semantics boolean.
relation customer(c: symbol).
relation order(id: int, c: symbol, amount: int).
relation price(id: int, c: symbol, p: float).
relation stats(c: symbol, n: int, total: int).
relation extremes(c: symbol, low: int, high: int).
relation mean(c: symbol, m: float).
relation everything(n: int, total: int).
relation big_spender(c: symbol).
relation fsum(c: symbol, s: float).
relation fmax(c: symbol, m: float).
relation per_pair(c: symbol, n: int).
relation factor(c: symbol, k: int).
relation scaled(c: symbol, s: int).
relation doubled_mean(c: symbol, m: float).
stats(C, N, T) :- customer(C), N = count(order(_, C, _)), T = sum(A : order(_, C, A)).
extremes(C, L, H) :- customer(C), L = min(A : order(_, C, A)), H = max(A : order(_, C, A)).
mean(C, M) :- customer(C), M = avg(A : order(_, C, A)).
everything(N, T) :- N = count(order(_, _, _)), T = sum(A : order(_, _, A)).
big_spender(C) :- stats(C, N, T), N > 0, T > 100.
fsum(C, S) :- customer(C), S = sum(P * 2.0 : price(_, C, P)).
fmax(C, M) :- customer(C), M = max(P : price(_, C, P)).
per_pair(C, N) :- customer(C), N = count(order(I, C, A), price(I, C, _), A > 10).
scaled(C, S) :- customer(C), factor(C, K), S = sum(A * K : order(_, C, A)).
doubled_mean(C, D) :- customer(C), M = avg(A : order(_, C, A)), D = M * 2, D > 1.
customer(nobody).
factor(a, 3). factor(b, -1). factor(nobody, 2).
)";

TEST(BottomUp, AggregatesIncludingEmptyGroups) {
  std::vector<Given> g = {{"customer", {S("a")}}, {"customer", {S("b")}},
                          {"order", {I(1), S("a"), I(10)}}, {"order", {I(2), S("a"), I(30)}},
                          {"order", {I(3), S("b"), I(200)}}, {"order", {I(4), S("z"), I(5)}},
                          {"price", {I(1), S("a"), F(1.5)}}, {"price", {I(2), S("a"), F(2.25)}}};
  ExpectSameAsRete(kAggregates, g, "small");
  ExpectSameAsRete(kAggregates, {}, "no orders: count and sum 0, no min, max, avg");
  for (int i = 0; i < 40; ++i) {
    g.push_back({"order", {I(100 + i), S(i % 3 == 0 ? "a" : "b"), I((i * 13) % 50)}});
    g.push_back({"price", {I(100 + i), S(i % 3 == 0 ? "a" : "b"), F(i * 0.1 + 0.07)}});
  }
  ExpectSameAsRete(kAggregates, g, "80 more facts");

  auto net = CompileText(kAggregates);
  Outcome o = RunBottomUp(PlanOf(net), {});
  using V = std::vector<std::pair<std::string, double>>;
  EXPECT_EQ(o.facts["stats"], (V{{"stats(nobody, 0, 0)", 1.0}}));
  EXPECT_EQ(o.facts["everything"], (V{{"everything(0, 0)", 1.0}}));
  EXPECT_TRUE(o.facts["extremes"].empty());
  EXPECT_TRUE(o.facts["mean"].empty());
}

const char* kArithmetic = R"(
pragma semantics boolean.
relation val(x: symbol, a: int, b: int).
relation ratio(x: symbol, r: int).
relation fratio(x: symbol, r: float).
relation big_ratio(x: symbol).
relation shifted(x: symbol, s: int).
relation modded(x: symbol, m: int).
relation safe(x: symbol).
ratio(X, A / B) :- val(X, A, B).
fratio(X, to_float(A) / B) :- val(X, A, B).
big_ratio(X) :- val(X, A, B), A / B > 2.
shifted(X, S) :- val(X, A, B), S = A * 2 + B - 1, S > 0.
modded(X, A mod B) :- val(X, A, B).
safe(X) :- val(X, A, B), not big_ratio(X), abs(A - B) < 10.
)";

TEST(BottomUp, ArithmeticInHeadsAndTestsWithDivisionByZero) {
  std::vector<Given> g = {{"val", {S("p"), I(10), I(3)}},
                          {"val", {S("q"), I(7), I(0)}},  // divides by zero
                          {"val", {S("r"), I(-4), I(2)}},
                          {"val", {S("s"), I(0), I(0)}}};
  ExpectSameAsRete(kArithmetic, g);
  auto net = CompileText(kArithmetic);
  Outcome o = RunBottomUp(PlanOf(net), g);
  using V = std::vector<std::pair<std::string, double>>;
  // A head or test that divides by zero concludes nothing.
  EXPECT_EQ(o.facts["ratio"], (V{{"ratio(p, 3)", 1.0}, {"ratio(r, -2)", 1.0}}));
  EXPECT_EQ(o.facts["big_ratio"], (V{{"big_ratio(p)", 1.0}}));
  EXPECT_EQ(o.facts["shifted"], (V{{"shifted(p, 22)", 1.0}, {"shifted(q, 13)", 1.0}}));
}

const char* kSets = R"(
pragma semantics boolean.
relation item(x: symbol, kind: symbol, n: int).
relation fruit(x: symbol).
relation other(x: symbol).
relation small(x: symbol, t: symbol).
relation combo(x: symbol, t: symbol, m: int).
fruit(X) :- item(X, K, _), K in {apple, pear}.
other(X) :- item(X, K, _), K not in {apple, pear}.
small(X, T) :- item(X, _, N), T in {tiny, small, big}, N < 10, T != big.
combo(X, T, M) :- item(X, _, N), M in {1, 2, 3}, M <= N, T in {a, b}.
)";

TEST(BottomUp, SetTestsAndGenerators) {
  std::vector<Given> g = {{"item", {S("i1"), S("apple"), I(1)}},
                          {"item", {S("i2"), S("plum"), I(5)}},
                          {"item", {S("i3"), S("pear"), I(20)}},
                          {"item", {S("i4"), S("nut"), I(2)}}};
  ExpectSameAsRete(kSets, g);
  auto net = CompileText(kSets);
  Outcome o = RunBottomUp(PlanOf(net), g);
  EXPECT_EQ(CountFacts(o.facts, "fruit"), 2u);
  EXPECT_EQ(CountFacts(o.facts, "other"), 2u);
  EXPECT_EQ(CountFacts(o.facts, "small"), 6u);
  EXPECT_EQ(CountFacts(o.facts, "combo"), 2u * (1 + 3 + 3 + 2));
}

// Tests on one fact of every form (run on the fact's row, in the alpha
// network): constant first, two columns, int against float, sets with and
// without `not`, text tests, expressions, repeated and constant columns,
// under `not` and `exists` too.
const char* kAlphaTests = R"(
pragma semantics boolean.
relation m(a: int, b: int, x: float, s: string, k: symbol).
relation r(name: symbol, a: int).
r(const_first, A) :- m(A, _, _, _, _), 3 < A.
r(columns, A) :- m(A, B, _, _, _), A < B.
r(float_int, A) :- m(A, _, X, _, _), X >= 2.
r(not_in, A) :- m(A, _, _, _, K), K not in {p, q}.
r(member, A) :- m(A, _, X, _, _), X in {1.0, 2.5}.
r(member_int, A) :- m(A, B, _, _, _), B in {1, 3, 5}.
r(text, A) :- m(A, _, _, S, _), starts_with(S, "ab").
r(expr, A) :- m(A, B, _, _, _), A + 1 = B.
r(same, A) :- m(A, A, _, _, _).
r(consts, A) :- m(A, _, _, "abc", k1).
r(two, A) :- m(A, B, _, _, _), A != B, B >= A.
r(float_eq, A) :- m(A, _, X, _, _), X = 2.
r(neg, A) :- m(A, _, _, _, _), not m(_, A, 1.5, _, p).
r(neg_test, A) :- m(A, _, _, _, _), not (m(B, A, X, _, _), X > 3, B != A).
r(exists_test, A) :- m(A, B, _, _, _), exists (m(B, _, X, _, _), 1 <= X).
)";

// Heads whose values need widening (an int into a float column, from a
// constant and from a join's column) against heads whose values fit as they
// are: the same facts, stored as floats where the column says so.
TEST(BottomUp, HeadsWidenIntsIntoFloatColumns) {
  const char* text = R"(
pragma semantics boolean.
relation order(id: int, qty: int, note: string).
relation weight(id: int, kg: float).
relation tagged(id: int, note: string, level: int).
weight(Id, Q) :- order(Id, Q, _).
weight(Id, 2) :- order(Id, _, "heavy").
tagged(Id, N, 1) :- order(Id, _, N).
)";
  std::vector<Given> g = {{"order", {I(1), I(3), Value::MakeString("heavy")}},
                          {"order", {I(2), I(5), Value::MakeString("light")}}};
  ExpectSameAsRete(text, g);
  Outcome o = RunBottomUp(PlanOf(CompileText(text)), g);
  ASSERT_EQ(CountFacts(o.facts, "weight"), 3u);
  for (const auto& [fact, cf] : o.facts.at("weight")) EXPECT_NE(fact.find(".0)"), std::string::npos) << fact;
}

TEST(BottomUp, TestsOnOneFactOfEveryForm) {
  const char* texts[] = {"abc", "abd", "xab", "", "ab"};
  const char* kinds[] = {"p", "q", "k1", "z"};
  const double xs[] = {1.0, 1.5, 2.0, 2.5, 3.5, -1.0};
  for (int n : {6, 40}) {
    std::vector<Given> g;
    for (int i = 0; i < n; ++i) {
      g.push_back({"m", {I(i % 9), I((i * 5) % 7), F(xs[i % 6]), Str(texts[i % 5]), S(kinds[i % 4])}});
    }
    ExpectSameAsRete(kAlphaTests, g, std::to_string(n) + " facts");
    Outcome o = RunBottomUp(PlanOf(CompileText(kAlphaTests)), g);
    // On 40 facts every rule concludes something.
    if (n == 40) {
      std::set<std::string> names;
      for (auto& [fact, cf] : o.facts["r"]) names.insert(fact.substr(2, fact.find(',') - 2));
      EXPECT_EQ(names.size(), 15u);
    }
  }
}

const char* kPaths = R"(
pragma semantics boolean.
relation edge(a: int, b: int).
relation path(a: int, b: int).
relation cyclic(a: int).
relation unreachable(a: int, b: int).
relation node(a: int).
path(X, Y) :- edge(X, Y).
path(X, Z) :- edge(X, Y), path(Y, Z).
cyclic(X) :- path(X, X).
node(X) :- edge(X, _).
node(Y) :- edge(_, Y).
unreachable(X, Y) :- node(X), node(Y), X != Y, not path(X, Y).
)";

std::vector<Given> Chain(int n, int from = 0) {
  std::vector<Given> g;
  for (int i = from; i < from + n; ++i) g.push_back({"edge", {I(i), I(i + 1)}});
  return g;
}

TEST(BottomUp, TransitiveClosure) {
  ExpectSameAsRete(kPaths, Chain(12), "a chain");
  std::vector<Given> g = {{"edge", {I(0), I(1)}}, {"edge", {I(1), I(2)}}, {"edge", {I(2), I(0)}},
                          {"edge", {I(2), I(3)}}, {"edge", {I(5), I(5)}}, {"edge", {I(3), I(4)}}};
  ExpectSameAsRete(kPaths, g, "cycles");
  auto net = CompileText(kPaths);
  Outcome o = RunBottomUp(PlanOf(net), Chain(12));
  EXPECT_EQ(CountFacts(o.facts, "path"), 13u * 12u / 2u);
  Outcome cyc = RunBottomUp(PlanOf(net), g);
  using V = std::vector<std::pair<std::string, double>>;
  EXPECT_EQ(cyc.facts["cyclic"], (V{{"cyclic(0)", 1.0}, {"cyclic(1)", 1.0}, {"cyclic(2)", 1.0}, {"cyclic(5)", 1.0}}));
}

TEST(BottomUp, NonLinearRecursion) {
  const char* text = R"(
pragma semantics boolean.
relation edge(a: int, b: int).
relation path(a: int, b: int).
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), path(Y, Z).
)";
  ExpectSameAsRete(text, Chain(20), "a chain");
  std::vector<Given> g = Chain(6);
  g.push_back({"edge", {I(6), I(0)}});
  ExpectSameAsRete(text, g, "a ring");
  Outcome o = RunBottomUp(PlanOf(CompileText(text)), g);
  EXPECT_EQ(CountFacts(o.facts, "path"), 49u);
}

TEST(BottomUp, RecursionReadingLowerRanksThroughNotAndAggregates) {
  const char* text = R"(
pragma semantics boolean.
relation start(a: int).
relation edge(a: int, b: int).
relation blocked(a: int).
relation reach(a: int).
relation narrow_reach(a: int).
relation reached_all(n: int).
reach(X) :- start(X).
reach(Y) :- reach(X), edge(X, Y), not blocked(Y).
narrow_reach(X) :- start(X).
narrow_reach(Y) :- narrow_reach(X), edge(X, Y), N = count(edge(Y, _)), N < 2.
reached_all(N) :- N = count(reach(_)).
)";
  std::vector<Given> g = Chain(30);
  g.push_back({"start", {I(0)}});
  g.push_back({"blocked", {I(25)}});
  g.push_back({"edge", {I(10), I(40)}});
  g.push_back({"edge", {I(10), I(41)}});
  g.push_back({"edge", {I(40), I(12)}});
  ExpectSameAsRete(text, g);
  Outcome o = RunBottomUp(PlanOf(CompileText(text)), g);
  EXPECT_EQ(CountFacts(o.facts, "reach"), 27u);  // 0..24, 40, 41
}

// Rules of different ranks share their first nodes; each rank walks its own.
TEST(BottomUp, NodesSharedAcrossRanks) {
  const char* text = R"(
pragma semantics boolean.
relation p(x: int). relation q(x: int, y: int).
relation r(x: int, y: float). relation s(x: int). relation t(x: int).
r(X, Y) :- p(X), q(X, Y).
s(X) :- p(X), q(X, Y), r(Y, _).
t(X) :- p(X), q(X, Y), not s(Y).
)";
  std::vector<Given> g;
  for (int i = 0; i < 25; ++i) {
    g.push_back({"p", {I(i)}});
    g.push_back({"q", {I(i), I((i * 5) % 25)}});
  }
  ExpectSameAsRete(text, g);
  EXPECT_GE(CompileText(text)->shared_nodes(), 1u);
}

TEST(BottomUp, MutualRecursion) {
  ExpectSameAsRete(R"(
pragma semantics boolean.
relation edge(a: int, b: int).
relation even(a: int, b: int).
relation odd(a: int, b: int).
odd(X, Y) :- edge(X, Y).
even(X, Z) :- odd(X, Y), edge(Y, Z).
odd(X, Z) :- even(X, Y), edge(Y, Z).
)", Chain(25));
}

const char* kFuzzy = R"(
pragma semantics fuzzy.
relation sym(p: symbol, s: symbol).
relation risk(p: symbol, r: symbol).
relation flag(p: symbol).
relation safe(p: symbol).
relation total(p: symbol, n: int).
relation sure(p: symbol, c: float).
risk(P, high) cf 0.9 :- sym(P, fever), sym(P, cough).
risk(P, high) cf 0.6 :- sym(P, rash).
risk(P, low) :- sym(P, _), not sym(P, fever).
flag(P) :- risk(P, high), exists sym(P, rash).
safe(P) :- sym(P, _), not risk(P, high).
total(P, N) :- sym(P, _), N = count(sym(P, _)).
sure(P, C) :- risk(P, high) @ C, C > 0.5.
sym(zoe, rash) cf 0.4.
)";

std::vector<Given> FuzzyFacts() {
  return {{"sym", {S("ann"), S("fever")}, 0.7}, {"sym", {S("ann"), S("cough")}, 0.5},
          {"sym", {S("ann"), S("rash")}, 0.8},  {"sym", {S("bob"), S("rash")}, 0.3},
          {"sym", {S("bob"), S("cough")}, 1.0}, {"sym", {S("cy"), S("fever")}, 0.0},
          {"sym", {S("cy"), S("cough")}, -0.5}, {"sym", {S("dee"), S("fever")}, 0.9},
          {"sym", {S("dee"), S("cough")}, 0.95},
          // a fact of a derived relation, given at a lower certainty than a rule concludes
          {"risk", {S("dee"), S("high")}, 0.2},
          // and one at a higher
          {"risk", {S("bob"), S("high")}, 0.95}};
}

TEST(BottomUp, FuzzyCertaintiesAndTwoRulesConcludingOneFact) {
  ExpectSameAsRete(kFuzzy, FuzzyFacts());
  auto net = CompileText(kFuzzy);
  Outcome o = RunBottomUp(PlanOf(net), FuzzyFacts());
  auto cf = [&](const std::string& relation, const std::string& fact) {
    for (auto& [text, c] : o.facts[relation]) {
      if (text == fact) return c;
    }
    ADD_FAILURE() << fact << " missing";
    return -99.0;
  };
  // ann: min(0.7, 0.5) capped by 0.9 = 0.5; min(0.8, 0.6) = 0.6; max = 0.6.
  EXPECT_DOUBLE_EQ(cf("risk", "risk(ann, high)"), 0.6);
  EXPECT_DOUBLE_EQ(cf("risk", "risk(dee, high)"), 0.9);
  EXPECT_DOUBLE_EQ(cf("risk", "risk(bob, high)"), 0.95);
  EXPECT_DOUBLE_EQ(cf("flag", "flag(ann)"), 0.6);
}

// Rules of one fact and tests whose head is constants and the fact's columns
// conclude straight from the row: columns in another order, repeated,
// constants between them, a fact's certainty carried over (or too low to
// fire), next to a rule sharing the join (two ways on: the general path) and
// one with a computed head.
TEST(BottomUp, HeadsReadStraightOffTheFact) {
  for (const char* semantics : {"boolean", "fuzzy"}) {  // the two its plan takes
    const std::string text = std::string("pragma semantics ") + semantics + R"(.
relation m(a: int, b: symbol, c: float, d: string).
relation out(d: string, k: symbol, a: int, a2: int, b: symbol).
relation shared(a: int).
relation computed(a: int, twice: float).
out(D, tag, A, A, B) :- m(A, B, C, D), C > 1.0.
out(D, low, A, 0, B) :- m(A, B, C, D), C <= 1.0.
shared(A) :- m(A, _, _, _).
shared(A) :- m(A, _, _, _), A > 2.
computed(A, C * 2) :- m(A, _, C, _), A != 1.
)";
    std::vector<Given> g = {{"m", {I(1), S("p"), F(2.5), Str("one")}, 0.8},
                            {"m", {I(2), S("q"), F(0.5), Str("two")}, 0.3},
                            {"m", {I(3), S("p"), F(1.5), Str("three")}, 1.0},
                            {"m", {I(4), S("q"), F(1.0), Str("four")}, 0.6}};
    if (std::string(semantics) == "boolean") {
      for (Given& x : g) x.cf = 1.0;
    }
    ExpectSameAsRete(text, g, semantics);
    Outcome o = RunBottomUp(PlanOf(CompileText(text)), g);
    std::set<std::string> out;
    for (auto& [fact, cf] : o.facts["out"]) out.insert(fact);
    EXPECT_EQ(out.count("out(\"one\", tag, 1, 1, p)"), 1u) << semantics;
    EXPECT_EQ(out.count("out(\"four\", low, 4, 0, q)"), 1u) << semantics;
    EXPECT_EQ(CountFacts(o.facts, "shared"), 4u) << semantics;
    EXPECT_EQ(CountFacts(o.facts, "computed"), 3u) << semantics;
  }
}

TEST(BottomUp, ProgramThreshold) {
  const std::string text = std::string("pragma threshold 0.45.\n") + kFuzzy;
  ExpectSameAsRete(text, FuzzyFacts());
  auto net = CompileText(text);
  ASSERT_DOUBLE_EQ(net->program().threshold, 0.45);
  Outcome o = RunBottomUp(PlanOf(net), FuzzyFacts());
  // zoe's rash (0.4, a program fact) does not pass the threshold: it
  // matches no pattern, so nothing is concluded about zoe; without the
  // threshold it is.
  for (const char* r : {"risk", "safe", "total", "flag"}) {
    for (auto& [fact, c] : o.facts[r]) EXPECT_EQ(fact.find("zoe"), std::string::npos) << fact;
  }
  Outcome without = RunBottomUp(PlanOf(CompileText(kFuzzy)), FuzzyFacts());
  bool zoe_low = false;
  for (auto& [fact, c] : without.facts["risk"]) zoe_low = zoe_low || fact == "risk(zoe, low)";
  EXPECT_TRUE(zoe_low);
}

TEST(BottomUp, BooleanFactsGivenBelowOne) {
  // Under boolean semantics a conclusion is 1; a fact given at 0.5 keeps it
  // unless a rule concludes it too, and `@ C` reads it.
  ExpectSameAsRete(R"(
pragma semantics boolean.
relation a(x: int).
relation b(x: int).
relation c(x: int, cf: float).
b(X) :- a(X), X > 1.
c(X, C) :- b(X) @ C.
)", {{"a", {I(1)}, 0.5}, {"a", {I(2)}, 0.5}, {"a", {I(3)}, 0.0}, {"b", {I(1)}, 0.5}, {"b", {I(2)}, 0.25}});
}

// The loan pack, the decision bottom-up evaluation is for.
TEST(BottomUp, LoanPackOnRandomApplicants) {
  const std::string text = ReadFile(SourceDir() + "/packs/loan/loan.syl");
  auto net = CompileText(text);
  auto plan = PlanOf(net);
  ASSERT_NE(plan, nullptr);
  std::mt19937 rng(2024);
  const char* types[] = {"salaried", "self_employed", "retired", "unemployed"};
  const char* purposes[] = {"home", "car", "personal", "business", "education"};
  const char* countries[] = {"DE", "FR", "KP", "RU", "VE", "US"};
  for (int round = 0; round < 4; ++round) {
    std::vector<Given> g;
    const int n = 1 + round * 4;
    for (int i = 0; i < n; ++i) {
      g.push_back({"applicant",
                   {Str("A" + std::to_string(round) + "_" + std::to_string(i)), I(16 + rng() % 60),
                    I(10000 + rng() % 150000), I(rng() % 3000), I(450 + rng() % 400), S(types[rng() % 4]),
                    F(static_cast<double>(rng() % 30) / 2), I(5000 + rng() % 600000), I(12 + rng() % 349),
                    S(purposes[rng() % 5]), Str(countries[rng() % 6]), Value::Bool(rng() % 2), I(rng() % 3),
                    I(rng() % 5)}});
    }
    Outcome rete = RunRete(net, g);
    Outcome bottom_up = RunBottomUp(plan, g);
    ASSERT_TRUE(bottom_up.concluded) << "round " << round;
    EXPECT_EQ(bottom_up.facts, rete.facts) << "round " << round;
    EXPECT_EQ(bottom_up.derivations, rete.derivations) << "round " << round;
    EXPECT_EQ(bottom_up.concluding, rete.concluding) << "round " << round;
    EXPECT_EQ(CountFacts(bottom_up.facts, "decision"), static_cast<std::size_t>(n)) << "round " << round;
  }
}

// Rules whose body starts with no fact (a generator or a negation right
// under the root): the Rete session concludes them when a session is made,
// before any run, so a bottom-up session would show them later than it
// does. The plan leaves such programs to it.
TEST(BottomUpPlan, RefusesRulesWhoseBodyStartsWithoutAFact) {
  for (const char* text : {R"(
pragma semantics boolean.
relation pick(x: symbol).
pick(X) :- X in {a, b, c}.
)",
                           R"(
pragma semantics boolean.
relation person(p: symbol).
relation nobody().
nobody :- not person(_).
)"}) {
    std::string why;
    EXPECT_EQ(BottomUpPlan::Make(CompileText(text), &why), nullptr) << text;
    EXPECT_NE(why.find("starts with"), std::string::npos) << why;
  }
}

TEST(BottomUp, AnAggregateUnderTheRoot) {
  const char* text = R"(
pragma semantics boolean.
relation person(p: symbol).
relation people(n: int).
people(N) :- N = count(person(_)).
)";
  ExpectSameAsRete(text, {{"person", {S("ann")}}, {"person", {S("bob")}}}, "two people");
  ExpectSameAsRete(text, {}, "nobody");
}

// A fact of a recursive relation given at a certainty below 1 that a rule
// then concludes (at 1, boolean). The Rete session had passed path(1, 3) on
// at 0.5 and redoes (and counts again) what it matched with it; bottom-up
// gives the run to it, so the facts and the count are its own.
TEST(BottomUp, RecursiveFactGivenBelowOneAndConcludedGoesToRete) {
  std::vector<Given> g = {{"path", {I(1), I(3)}, 0.5}};
  for (Given e : Chain(4)) g.push_back(e);
  Outcome o = RunBottomUp(PlanOf(CompileText(kPaths)), g);
  EXPECT_FALSE(o.concluded);
  // Given at 1, the same facts conclude bottom-up, and alike.
  g[0].cf = 1.0;
  ExpectSameAsRete(kPaths, g);
}

// An aggregate of a relation that a negation concludes, both waiting on the
// same fact: the same facts, and each complete match counted once.
TEST(BottomUp, AggregateOfWhatANegationConcludes) {
  ExpectSameAsRete(R"(
pragma semantics boolean.
relation a(x: int).
relation b(x: int).
relation c(x: int).
relation e(x: int, n: int).
c(X) :- b(X), not a(X).
e(X, N) :- b(X), N = count(c(X)).
)", {{"b", {I(2)}}, {"a", {I(7)}}});
  // Two complete matches: c(2) and e(2, 1). (The Rete session counts a
  // third, e(2, 0): its aggregate is evaluated in the same flush as the
  // negation, before c(2) is in, then taken back.)
  auto net = CompileText(R"(
pragma semantics boolean.
relation a(x: int).
relation b(x: int).
relation c(x: int).
relation e(x: int, n: int).
c(X) :- b(X), not a(X).
e(X, N) :- b(X), N = count(c(X)).
)");
  Outcome o = RunBottomUp(PlanOf(net), {{"b", {I(2)}}, {"a", {I(7)}}});
  EXPECT_EQ(o.derivations, 2u);
  using V = std::vector<std::pair<std::string, double>>;
  EXPECT_EQ(o.facts["e"], (V{{"e(2, 1)", 1.0}}));
}

// ---- property: random fact sets ----------------------------------------------------

const char* kProperty = R"(
pragma semantics boolean.
relation edge(a: int, b: int).
relation mark(a: int).
relation weight(a: int, w: int).
relation path(a: int, b: int).
relation unmarked_reach(a: int, b: int).
relation degree(a: int, n: int).
relation isolated(a: int).
relation hub(a: int).
relation heavy(a: int, total: int).
relation very_heavy(a: int).
relation lightest(a: int, w: int).
relation covered(a: int).
relation mean_weight(a: int, m: float).
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
unmarked_reach(X, Y) :- path(X, Y), not mark(Y).
degree(X, N) :- mark(X), N = count(edge(X, _)).
isolated(X) :- mark(X), not edge(X, _), not edge(_, X).
hub(X) :- degree(X, N), N >= 2, exists (edge(X, Y), mark(Y)).
heavy(X, T) :- mark(X), T = sum(W : edge(X, Y), weight(Y, W)).
very_heavy(X) :- heavy(X, T), T > 3.
lightest(X, W) :- mark(X), W = min(V : weight(Y, V), edge(X, Y)).
covered(X) :- weight(X, _), not (edge(Y, X), mark(Y)).
mean_weight(X, M) :- path(X, X), M = avg(W : weight(X, W)).
)";

std::vector<Given> RandomFacts(std::mt19937& rng, int nodes, int count) {
  std::vector<Given> g;
  for (int i = 0; i < count; ++i) {
    const int a = static_cast<int>(rng() % nodes), b = static_cast<int>(rng() % nodes);
    switch (rng() % 5) {
      case 0:
      case 1:
      case 2: g.push_back({"edge", {I(a), I(b)}}); break;
      case 3: g.push_back({"mark", {I(a)}}); break;
      case 4: g.push_back({"weight", {I(a), I(b)}}); break;
    }
  }
  return g;
}

// The facts and the concluding rules must be the same on every fact set; a
// different derivation count is tallied (with the first case) and fails the
// test at its end, so that a fact difference still shows.
struct DerivationCounts {
  int trials = 0;
  int differing = 0;
  std::string first;
};

void CompareOnRandomFacts(const std::shared_ptr<const ReteNetwork>& net, const std::shared_ptr<const BottomUpPlan>& plan,
                          const std::vector<Given>& g, const std::string& label, DerivationCounts* counts) {
  Outcome rete = RunRete(net, g);
  Outcome bottom_up = RunBottomUp(plan, g);
  ASSERT_TRUE(bottom_up.concluded) << label << "\n" << Describe(g);
  ASSERT_EQ(bottom_up.facts, rete.facts) << label << "\n" << Describe(g);
  ASSERT_EQ(bottom_up.concluding, rete.concluding) << label << "\n" << Describe(g);
  ++counts->trials;
  if (bottom_up.derivations != rete.derivations) {
    if (counts->differing++ == 0) {
      counts->first = label + ": bottom-up " + std::to_string(bottom_up.derivations) + ", Rete " +
                      std::to_string(rete.derivations) + ", given\n" + Describe(g);
    }
  }
}

TEST(BottomUpProperty, RandomFactSetsEqualRete) {
  auto net = CompileText(kProperty);
  auto plan = PlanOf(net);
  ASSERT_NE(plan, nullptr);
  DerivationCounts counts;
  for (unsigned seed : {1u, 7u, 42u, 1234u, 99991u}) {
    std::mt19937 rng(seed);
    for (int trial = 0; trial < 12; ++trial) {
      const int nodes = 3 + static_cast<int>(rng() % 10);
      const int count = static_cast<int>(rng() % 60);
      std::vector<Given> g = RandomFacts(rng, nodes, count);
      CompareOnRandomFacts(net, plan, g, "seed " + std::to_string(seed) + " trial " + std::to_string(trial),
                           &counts);
    }
  }
  EXPECT_EQ(counts.differing, 0) << counts.differing << " of " << counts.trials
                                 << " fact sets gave another derivation count; the first:\n"
                                 << counts.first;
}

const char* kFuzzyProperty = R"(
pragma semantics fuzzy.
pragma threshold 0.2.
relation a(x: int, y: int).
relation b(x: int).
relation c(x: int, y: int).
relation d(x: int).
relation e(x: int, n: int).
relation f(x: int, s: int).
c(X, Y) cf 0.8 :- a(X, Y), b(Y).
c(X, Y) cf 0.5 :- a(Y, X).
c(X, X) :- b(X), not a(X, _).
d(X) cf 0.9 :- c(X, Y), exists (a(Y, Z), b(Z)).
d(X) :- b(X), c(X, X).
e(X, N) :- b(X), N = count(c(X, _)).
f(X, S) :- d(X), S = sum(Y : c(X, Y)).
)";

TEST(BottomUpProperty, RandomFuzzyFactSetsEqualRete) {
  auto net = CompileText(kFuzzyProperty);
  auto plan = PlanOf(net);
  ASSERT_NE(plan, nullptr);
  const double cfs[] = {1.0, 0.9, 0.6, 0.35, 0.2, 0.1, 0.0, -0.4};
  DerivationCounts counts;
  for (unsigned seed : {3u, 17u, 2718u}) {
    std::mt19937 rng(seed);
    for (int trial = 0; trial < 15; ++trial) {
      const int nodes = 2 + static_cast<int>(rng() % 8);
      std::vector<Given> g;
      const int count = static_cast<int>(rng() % 40);
      for (int i = 0; i < count; ++i) {
        const int x = static_cast<int>(rng() % nodes), y = static_cast<int>(rng() % nodes);
        const double cf = cfs[rng() % 8];
        switch (rng() % 3) {
          case 0: g.push_back({"a", {I(x), I(y)}, cf}); break;
          case 1: g.push_back({"b", {I(x)}, cf}); break;
          case 2: g.push_back({"c", {I(x), I(y)}, cf}); break;  // facts of a derived relation too
        }
      }
      CompareOnRandomFacts(net, plan, g, "seed " + std::to_string(seed) + " trial " + std::to_string(trial),
                           &counts);
    }
  }
  EXPECT_EQ(counts.differing, 0) << counts.differing << " of " << counts.trials
                                 << " fact sets gave another derivation count; the first:\n"
                                 << counts.first;
}

// ---- plans -----------------------------------------------------------------------

void ExpectRefused(const std::string& text, const std::string& reason_has) {
  auto net = CompileText(text);
  std::string why;
  auto plan = BottomUpPlan::Make(net, &why);
  EXPECT_EQ(plan, nullptr) << text;
  EXPECT_FALSE(why.empty());
  EXPECT_NE(why.find(reason_has), std::string::npos) << why;
}

TEST(BottomUpPlan, AcceptsLogicalRulesUnderBooleanAndFuzzy) {
  for (const char* text : {kJoins, kNegation, kExists, kAggregates, kArithmetic, kSets, kPaths, kFuzzy, kProperty}) {
    std::string why = "untouched";
    auto plan = BottomUpPlan::Make(CompileText(text), &why);
    EXPECT_NE(plan, nullptr) << why << "\n" << text;
    EXPECT_EQ(why, "untouched") << "no reason is given for a plan";
  }
  EXPECT_NE(BottomUpPlan::Make(CompileText(ReadFile(SourceDir() + "/packs/loan/loan.syl")), nullptr), nullptr);
}

TEST(BottomUpPlan, RefusesProductionRules) {
  ExpectRefused(R"(
pragma semantics boolean.
relation a(x: int).
relation b(x: int).
b(X) :- a(X).
rule show when a(X) then print("{X}").
)", "production");
}

TEST(BottomUpPlan, RefusesSemanticsWhoseEvidenceDoesNotFoldExactly) {
  const char* body = R"(
relation a(x: int).
relation b(x: int).
b(X) cf 0.5 :- a(X).
)";
  ExpectRefused(std::string("pragma semantics mycin.\n") + body, "mycin");
  ExpectRefused(std::string("pragma semantics probability.\n") + body, "probability");
  ExpectRefused(body, "mycin");  // the default semantics
}

TEST(BottomUpPlan, RefusesRecursionUnderFuzzySemantics) {
  ExpectRefused(R"(
pragma semantics fuzzy.
relation edge(a: int, b: int).
relation path(a: int, b: int).
path(X, Y) :- edge(X, Y).
path(X, Z) :- edge(X, Y), path(Y, Z).
)", "recursive");
}

TEST(BottomUpPlan, RefusesExistsOfItsOwnRecursiveCycle) {
  // The checker takes `exists` as a positive dependency, so this is a
  // program; its `exists` reads a relation the cycle is still growing.
  ExpectRefused(R"(
pragma semantics boolean.
relation start(a: int).
relation edge(a: int, b: int).
relation reach(a: int).
reach(X) :- start(X).
reach(Y) :- edge(X, Y), exists reach(X).
)", "recursive cycle");
}

// ---- giving up ---------------------------------------------------------------------

TEST(BottomUp, GivesUpAtAFactLimit) {
  auto net = CompileText(kPaths);
  auto plan = PlanOf(net);
  // A chain of 10: 10 edges, 55 paths, 11 nodes, 110 - 55 unreachable pairs.
  Outcome all = RunBottomUp(plan, Chain(10));
  ASSERT_TRUE(all.concluded);
  std::size_t total = 0;
  for (auto& [r, facts] : all.facts) total += facts.size();
  EXPECT_TRUE(RunBottomUp(plan, Chain(10), {.max_facts = total}).concluded) << "at the limit, not over it";
  EXPECT_FALSE(RunBottomUp(plan, Chain(10), {.max_facts = total - 1}).concluded);
  EXPECT_FALSE(RunBottomUp(plan, Chain(10), {.max_facts = 20}).concluded);
  EXPECT_FALSE(RunBottomUp(plan, Chain(10), {.max_facts = 5}).concluded) << "the facts given are over it";
  // The Rete session stops at the same limit.
  ForwardSession rete(net);
  ASSERT_TRUE(rete.AssertProgramFacts().ok());
  for (const Given& g : Chain(10)) ASSERT_TRUE(rete.Assert(Rel(*net, g.relation), g.row).ok());
  EXPECT_EQ(rete.Run({.max_facts = total - 1}).reason, StopReason::kFactLimit);
}

TEST(BottomUp, GivesUpPastItsWorkBudget) {
  auto net = CompileText(kPaths);
  auto plan = PlanOf(net);
  // A chain of n has n (n + 1) / 2 paths, each concluded at least once.
  int n = 1;
  while (static_cast<std::uint64_t>(n) * (n + 1) / 2 <= BottomUpSession::kWorkBudget) ++n;
  BottomUpSession s(plan);
  AssertInto(s, Chain(n));
  std::uint64_t derivations = 12345;
  EXPECT_EQ(s.Evaluate({}, &derivations), BottomUpSession::Outcome::kGaveUp);
  // A short chain concludes, with every path.
  BottomUpSession small(plan);
  AssertInto(small, Chain(20));
  EXPECT_EQ(small.Evaluate({}, &derivations), BottomUpSession::Outcome::kConcluded);
  EXPECT_EQ(small.memory().at(Rel(*net, "path")).size(), 21u * 20u / 2u);
}

// ---- reset ----------------------------------------------------------------------

TEST(BottomUp, AResetSessionEvaluatesAsAFreshOne) {
  auto net = CompileText(kProperty + std::string("edge(100, 101). mark(100). weight(101, 4).\n"));
  auto plan = PlanOf(net);
  ASSERT_NE(plan, nullptr);
  BottomUpSession reused(plan);
  const Snapshot program_only = Snap(plan->program(), BottomUpSession(plan).memory());
  EXPECT_EQ(CountFacts(program_only, "edge"), 1u);
  std::mt19937 rng(31337);
  for (int trial = 0; trial < 25; ++trial) {
    reused.Reset();
    EXPECT_EQ(Snap(plan->program(), reused.memory()), program_only) << "trial " << trial;
    EXPECT_TRUE(reused.asserted().empty());
    for (std::uint8_t c : reused.concluded()) EXPECT_EQ(c, 0);
    std::vector<Given> g = RandomFacts(rng, 3 + static_cast<int>(rng() % 8), static_cast<int>(rng() % 50));
    // Now and then the previous evaluation gave up half-way, or was large.
    if (trial % 5 == 3) {
      std::vector<Given> chain = Chain(400, 200);
      AssertInto(reused, chain);
      std::uint64_t d = 0;
      EXPECT_EQ(reused.Evaluate({}, &d), BottomUpSession::Outcome::kGaveUp);
      reused.Reset();
    } else if (trial % 5 == 4) {
      AssertInto(reused, g);
      std::uint64_t d = 0;
      EXPECT_EQ(reused.Evaluate({.max_facts = 3}, &d), BottomUpSession::Outcome::kGaveUp);
      reused.Reset();
    }
    AssertInto(reused, g);
    std::set<std::string> distinct;
    for (const Given& x : g) {
      std::string key = x.relation;
      for (const Value& v : x.row) key += " " + v.ToString();
      distinct.insert(key);
    }
    EXPECT_EQ(reused.asserted().size(), distinct.size()) << "trial " << trial;
    std::uint64_t d_reused = 0;
    auto outcome = reused.Evaluate({}, &d_reused);
    Outcome fresh = RunBottomUp(plan, g);
    Outcome again = Collect(reused, outcome, d_reused);
    ASSERT_TRUE(again.concluded) << "trial " << trial;
    EXPECT_EQ(again.facts, fresh.facts) << "trial " << trial;
    EXPECT_EQ(again.derivations, fresh.derivations) << "trial " << trial;
    EXPECT_EQ(again.concluding, fresh.concluding) << "trial " << trial;
    EXPECT_EQ(again.facts, RunRete(net, g).facts) << "trial " << trial;
  }
}

TEST(BottomUp, ResetRestoresProgramFactsAConclusionChanged) {
  // A program fact given at 0.5 that a rule concludes at 1 (boolean).
  auto net = CompileText(R"(
pragma semantics boolean.
relation a(x: int).
relation b(x: int).
b(1) cf 0.5.
b(X) :- a(X).
)");
  auto plan = PlanOf(net);
  BottomUpSession s(plan);
  const Snapshot before = Snap(plan->program(), s.memory());
  AssertInto(s, {{"a", {I(1)}}});
  std::uint64_t d = 0;
  ASSERT_EQ(s.Evaluate({}, &d), BottomUpSession::Outcome::kConcluded);
  EXPECT_EQ(s.memory().at(Rel(*net, "b")).certainty(0), 1.0);
  s.Reset();
  EXPECT_EQ(Snap(plan->program(), s.memory()), before);
  EXPECT_EQ(s.memory().at(Rel(*net, "b")).certainty(0), 0.5);
}

TEST(BottomUp, AssertChecksTheFactAndRemembersWhatWasGiven) {
  auto net = CompileText(kAggregates);
  BottomUpSession s(PlanOf(net));
  std::vector<Value> wrong = {S("x")};
  EXPECT_FALSE(s.Assert(Rel(*net, "order"), wrong, 1.0, Origin::kAsserted).ok());
  std::vector<Value> row = {I(1), S("a"), I(5)};
  EXPECT_FALSE(s.Assert(Rel(*net, "order"), row, 1.5, Origin::kAsserted).ok());
  EXPECT_FALSE(s.Assert(9999, row, 1.0, Origin::kAsserted).ok());
  EXPECT_TRUE(s.Assert(Rel(*net, "order"), row, 0.75, Origin::kAsserted).ok());
  std::vector<Value> same = {I(1), S("a"), I(5)};
  EXPECT_TRUE(s.Assert(Rel(*net, "order"), same, 0.25, Origin::kAsserted).ok());
  ASSERT_EQ(s.asserted().size(), 1u) << "a fact already there stays as it was";
  EXPECT_EQ(s.asserted()[0].certainty, 0.75);
  std::vector<Value> widened = {I(1), S("a"), I(3)};
  EXPECT_TRUE(s.Assert(Rel(*net, "price"), widened, 1.0, Origin::kAsserted).ok());
  EXPECT_EQ(s.memory().at(Rel(*net, "price")).row(0)[2], F(3.0)) << "an int in a float column is widened";
}

}  // namespace
}  // namespace syllo::engine

// A session decided bottom-up (LoadOptions::bottom_up, the default) against
// one that always uses the Rete network (bottom_up = false), through the
// public API only: the same run reports, facts, concluding rules,
// explanations, asserts and retracts after a run, limits and queries.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "syllo/syllo.h"

namespace syllo {
namespace {

std::string SourceDir() {
  const char* env = std::getenv("SYLLO_SOURCE_DIR");
  return env != nullptr ? env : SYLLO_SOURCE_DIR_DEFAULT;
}

LoadOptions Mode(bool bottom_up) {
  LoadOptions options;
  options.bottom_up = bottom_up;
  return options;
}

Program Load(const std::string& text, bool bottom_up) {
  auto program = Program::FromText(text, "test.syl", Mode(bottom_up));
  EXPECT_TRUE(program.ok()) << program.status().message();
  return *program;
}

Program LoadLoan(bool bottom_up) {
  auto program = Program::FromFiles({SourceDir() + "/packs/loan/loan.syl"}, Mode(bottom_up));
  EXPECT_TRUE(program.ok()) << program.status().message();
  return *program;
}

// A fact for Session::Assert.
struct Row {
  std::string relation;
  std::vector<Value> values;
  double cf = 1.0;
};

std::string FactText(const Fact& f) {
  std::string s = f.relation + "(";
  for (std::size_t i = 0; i < f.values.size(); ++i) s += (i ? ", " : "") + f.values[i].ToString();
  return s + ") cf " + std::to_string(f.certainty);
}

// Every relation's facts, as a set.
std::map<std::string, std::set<std::string>> AllFacts(const Session& s) {
  std::map<std::string, std::set<std::string>> out;
  for (const RelationInfo& r : s.program().relations()) {
    auto facts = s.Facts(r.name);
    EXPECT_TRUE(facts.ok()) << r.name << ": " << facts.status().message();
    if (!facts.ok()) continue;
    auto& set = out[r.name];
    for (const Fact& f : *facts) set.insert(FactText(f));
    EXPECT_EQ(set.size(), facts->size()) << r.name << " lists a fact twice";
  }
  return out;
}

std::string ReportText(const Result<RunReport>& r) {
  if (!r.ok()) return "error: " + r.status().message();
  return "stop=" + r->stop + " message=" + r->message + " firings=" + std::to_string(r->firings) +
         " derivations=" + std::to_string(r->derivations);
}

// Every field of an explanation tree.
std::string TreeText(const Explanation& e, int depth = 0) {
  std::string s(2 * depth, ' ');
  s += e.fact + " cf " + std::to_string(e.certainty) + " [" + std::string(SourceName(e.source)) + " " + e.rule +
       " " + e.location + " " + e.model + "] " + e.note + "\n";
  for (const Explanation& p : e.premises) s += TreeText(p, depth + 1);
  return s;
}

std::set<std::string> Concluding(const Session& s) {
  auto rules = s.ConcludingRules();
  return {rules.begin(), rules.end()};
}

void AssertAll(Session& s, const std::vector<Row>& rows) {
  for (const Row& r : rows) {
    Status st = s.Assert(r.relation, r.values, r.cf);
    EXPECT_TRUE(st.ok()) << r.relation << ": " << st.message();
  }
}

// A session of each mode with the same facts.
struct Twins {
  Twins(const Program& on_program, const Program& off_program) : on(on_program), off(off_program) {}
  Session on;   // bottom-up, moving to the Rete network when it must
  Session off;  // the Rete network throughout
  void Assert(const std::vector<Row>& rows) {
    AssertAll(on, rows);
    AssertAll(off, rows);
  }
  // Runs both; the reports must be the same.
  void Run(const RunLimits& limits = {}, const std::string& label = "") {
    auto a = on.Run(limits);
    auto b = off.Run(limits);
    EXPECT_EQ(ReportText(a), ReportText(b)) << label;
  }
  void ExpectSameFacts(const std::string& label = "") {
    EXPECT_EQ(AllFacts(on), AllFacts(off)) << label;
    EXPECT_EQ(Concluding(on), Concluding(off)) << label;
  }
};

// ---- the loan pack --------------------------------------------------------------

Value S(const char* s) { return Value::Symbol(s); }

std::vector<Value> Applicant(const std::string& id, int age, int income, int debt, int credit, const char* type,
                             double years, int loan, int term, const char* purpose, const char* country,
                             bool customer, int bankruptcies, int late) {
  return {Value::String(id), Value::Int(age),     Value::Int(income),       Value::Int(debt),
          Value::Int(credit), S(type),            Value::Float(years),      Value::Int(loan),
          Value::Int(term),   S(purpose),         Value::String(country),   Value::Bool(customer),
          Value::Int(bankruptcies), Value::Int(late)};
}

// Applicants across the decisions: approve, refer and decline, each for
// several reasons.
std::vector<Row> LoanApplicants(unsigned seed, int n) {
  std::vector<Row> rows = {
      {"applicant", Applicant("good", 40, 90000, 500, 800, "salaried", 12, 20000, 60, "car", "DE", true, 0, 0)},
      {"applicant", Applicant("young", 17, 30000, 0, 700, "salaried", 1, 5000, 24, "personal", "DE", false, 0, 0)},
      {"applicant", Applicant("kp", 35, 60000, 200, 720, "self_employed", 2, 10000, 36, "business", "KP", true, 0, 0)},
      {"applicant", Applicant("ru", 50, 70000, 900, 610, "retired", 0, 15000, 180, "home", "RU", false, 1, 3)},
      {"applicant", Applicant("poor", 30, 12000, 800, 500, "unemployed", 0, 400000, 360, "home", "FR", false, 2, 5)},
  };
  std::mt19937 rng(seed);
  const char* types[] = {"salaried", "self_employed", "retired", "unemployed"};
  const char* purposes[] = {"home", "car", "personal", "business", "education"};
  const char* countries[] = {"DE", "FR", "IR", "BY", "AF", "US"};
  for (int i = 0; i < n; ++i) {
    rows.push_back({"applicant",
                    Applicant("R" + std::to_string(seed) + "-" + std::to_string(i), 18 + rng() % 60,
                              12000 + rng() % 150000, rng() % 3000, 480 + rng() % 360, types[rng() % 4],
                              static_cast<double>(rng() % 30) / 2, 5000 + rng() % 500000, 12 + rng() % 349,
                              purposes[rng() % 5], countries[rng() % 6], rng() % 2 == 0, rng() % 3, rng() % 5)});
  }
  return rows;
}

TEST(BottomUpSession, LoanPackDecidesAlikeInBothModes) {
  Program on = LoadLoan(true), off = LoadLoan(false);
  for (unsigned seed : {1u, 2u, 3u}) {
    Twins t(on, off);
    t.Assert(LoanApplicants(seed, 6));
    t.Run({}, "seed " + std::to_string(seed));
    t.ExpectSameFacts("seed " + std::to_string(seed));
    auto decisions = t.on.Facts("decision");
    ASSERT_TRUE(decisions.ok());
    EXPECT_EQ(decisions->size(), 11u) << "one decision an applicant";
    std::set<std::string> kinds;
    for (const Fact& f : *decisions) kinds.insert(f.values[1].text());
    EXPECT_EQ(kinds, (std::set<std::string>{"approve", "decline", "refer"})) << "seed " << seed;
  }
}

TEST(BottomUpSession, LoanPackOneApplicantASession) {
  // A decision service's way: one applicant, one run, one read; the program's
  // sessions are reused one after the other.
  Program on = LoadLoan(true), off = LoadLoan(false);
  for (const Row& applicant : LoanApplicants(7, 25)) {
    Twins t(on, off);
    t.Assert({applicant});
    t.Run({}, applicant.values[0].text());
    t.ExpectSameFacts(applicant.values[0].text());
    auto decisions = t.on.Facts("decision");
    ASSERT_TRUE(decisions.ok());
    ASSERT_EQ(decisions->size(), 1u) << applicant.values[0].text();
    EXPECT_EQ((*decisions)[0].values[0], applicant.values[0]);
  }
}

TEST(BottomUpSession, LoanExplanationsAfterARunAreTheSame) {
  Program on = LoadLoan(true), off = LoadLoan(false);
  Twins t(on, off);
  t.Assert(LoanApplicants(11, 3));
  t.Run();
  int explained = 0;
  for (const char* relation : {"decision", "reason", "score", "grade", "dti"}) {
    auto facts = t.off.Facts(relation);
    ASSERT_TRUE(facts.ok());
    for (const Fact& f : *facts) {
      auto a = t.on.Explain(f);
      auto b = t.off.Explain(f);
      ASSERT_TRUE(a.ok()) << FactText(f) << ": " << a.status().message();
      ASSERT_TRUE(b.ok()) << FactText(f) << ": " << b.status().message();
      EXPECT_EQ(a->source, Explanation::Source::kRule) << FactText(f);
      EXPECT_FALSE(a->premises.empty()) << FactText(f);
      EXPECT_EQ(TreeText(*a), TreeText(*b)) << FactText(f);
      ++explained;
    }
  }
  EXPECT_GT(explained, 20);
  // The session went on to the Rete network with the same facts.
  t.ExpectSameFacts("after the explanations");
  // A fact that is not there is an error in both.
  Fact missing{"decision", {Value::String("nobody"), S("approve"), Value::String("A"), Value::Int(1)}, 1.0};
  EXPECT_EQ(t.on.Explain(missing).status().code(), t.off.Explain(missing).status().code());
  EXPECT_FALSE(t.on.Explain(missing).ok());
}

TEST(BottomUpSession, LoanAssertAndRetractAfterARun) {
  Program on = LoadLoan(true), off = LoadLoan(false);
  Twins t(on, off);
  std::vector<Row> rows = LoanApplicants(21, 4);
  t.Assert({rows[0], rows[1], rows[2]});
  t.Run({}, "first run");
  t.ExpectSameFacts("first run");
  // One more applicant, run again: only the new conclusions are derived.
  t.Assert({rows[3], rows[4]});
  t.Run({}, "second run");
  t.ExpectSameFacts("second run");
  // Retract one: its conclusions go at once.
  Status a = t.on.Retract("applicant", rows[1].values);
  Status b = t.off.Retract("applicant", rows[1].values);
  ASSERT_TRUE(a.ok()) << a.message();
  ASSERT_TRUE(b.ok()) << b.message();
  t.ExpectSameFacts("after the retract");
  for (const Fact& f : *t.on.Facts("decision")) EXPECT_NE(f.values[0], rows[1].values[0]);
  t.Run({}, "third run");
  t.ExpectSameFacts("third run");
  EXPECT_EQ(t.on.Retract("applicant", rows[1].values).code(), t.off.Retract("applicant", rows[1].values).code());
}

TEST(BottomUpSession, RetractBeforeAnyRun) {
  Program on = LoadLoan(true), off = LoadLoan(false);
  Twins t(on, off);
  std::vector<Row> rows = LoanApplicants(5, 2);
  t.Assert(rows);
  ASSERT_TRUE(t.on.Retract("applicant", rows[0].values).ok());
  ASSERT_TRUE(t.off.Retract("applicant", rows[0].values).ok());
  t.Run();
  t.ExpectSameFacts();
  EXPECT_EQ(t.on.Facts("decision")->size(), rows.size() - 1);
}

TEST(BottomUpSession, LoanFactLimitsStopAlike) {
  Program on = LoadLoan(true), off = LoadLoan(false);
  std::vector<Row> rows = LoanApplicants(3, 5);
  // How many facts the whole run makes.
  std::size_t total = 0;
  {
    Session s(on);
    AssertAll(s, rows);
    ASSERT_TRUE(s.Run().ok());
    for (auto& [r, facts] : AllFacts(s)) total += facts.size();
  }
  ASSERT_GT(total, rows.size() + 20);
  for (std::size_t limit : {std::size_t{5}, rows.size() + 9, total / 2, total - 1, total, total + 10}) {
    Twins t(on, off);
    t.Assert(rows);
    auto a = t.on.Run({.max_facts = limit});
    auto b = t.off.Run({.max_facts = limit});
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(ReportText(a), ReportText(b)) << "limit " << limit;
    EXPECT_EQ(a->stop, limit < total ? "fact_limit" : "agenda_empty") << "limit " << limit;
    if (limit < total) {
      EXPECT_NE(a->message.find("fact limit"), std::string::npos) << a->message;
    }
    t.ExpectSameFacts("limit " + std::to_string(limit));
    // And the run goes on without the limit.
    t.Run({}, "after limit " + std::to_string(limit));
    t.ExpectSameFacts("after limit " + std::to_string(limit));
  }
}

std::set<std::string> Answers(Session& s, const std::string& goal) {
  std::set<std::string> out;
  auto q = s.Ask(goal);
  EXPECT_TRUE(q.ok()) << goal << ": " << q.status().message();
  if (!q.ok()) return out;
  for (int i = 0; i < 10000; ++i) {
    auto step = q->Next();
    EXPECT_TRUE(step.ok()) << goal << ": " << step.status().message();
    if (!step.ok() || step->kind == QueryStep::kDone) break;
    EXPECT_EQ(step->kind, QueryStep::kSolution) << goal;
    if (step->kind != QueryStep::kSolution) break;
    out.insert(step->solution.text);
  }
  return out;
}

TEST(BottomUpSession, LoanQueriesAfterARunAnswerAlike) {
  Program on = LoadLoan(true), off = LoadLoan(false);
  Twins t(on, off);
  t.Assert(LoanApplicants(9, 5));
  t.Run();
  for (const char* goal : {"decision(Id, D, G, S)", "reason(Id, C)", "decision(Id, approve, _, _)",
                           "knockout(Id, C), not referral(Id, _)", "score(Id, S), S >= 40"}) {
    auto a = Answers(t.on, goal);
    auto b = Answers(t.off, goal);
    EXPECT_EQ(a, b) << goal;
    if (std::string(goal) == "decision(Id, D, G, S)") {
      EXPECT_EQ(a.size(), 10u);
    }
  }
  t.ExpectSameFacts("after the queries");
}

TEST(BottomUpSession, AQueryBeforeAnyRun) {
  Program on = LoadLoan(true), off = LoadLoan(false);
  Twins t(on, off);
  t.Assert(LoanApplicants(4, 2));
  EXPECT_EQ(Answers(t.on, "decision(Id, D, G, S)"), Answers(t.off, "decision(Id, D, G, S)"));
  t.Run();
  t.ExpectSameFacts();
}

// ---- small programs --------------------------------------------------------------

struct Case {
  const char* name;
  const char* text;
  std::vector<Row> rows;
};

Value I(std::int64_t v) { return Value::Int(v); }

std::vector<Case> SmallCases() {
  std::vector<Case> cases;
  cases.push_back({"joins, negation, exists", R"(
pragma semantics boolean.
relation order(id: string, amount: int, country: symbol).
relation risky(country: symbol).
relation flagged(id: string, reason: symbol).
relation approved(id: string).
relation watched(c: symbol).
risky(xx).
flagged(Id, big) :- order(Id, A, _), A > 1000.
flagged(Id, country) :- order(Id, _, C), risky(C).
approved(Id) :- order(Id, _, _), not flagged(Id, _).
watched(C) :- risky(C), exists (order(_, A, C), A > 10).
)",
                   {{"order", {Value::String("o1"), I(5000), S("de")}},
                    {"order", {Value::String("o2"), I(20), S("xx")}},
                    {"order", {Value::String("o3"), I(10), S("de")}},
                    {"order", {Value::String("o4"), I(2000), S("xx")}}}});
  cases.push_back({"aggregates", R"(
pragma semantics boolean.
relation customer(c: symbol).
relation order(id: int, c: symbol, amount: int).
relation stats(c: symbol, n: int, total: int).
relation mean(c: symbol, m: float).
relation top(c: symbol, m: int).
stats(C, N, T) :- customer(C), N = count(order(_, C, _)), T = sum(A : order(_, C, A)).
mean(C, M) :- customer(C), M = avg(A : order(_, C, A)).
top(C, M) :- customer(C), M = max(A : order(_, C, A)), M > 15.
customer(none).
)",
                   {{"customer", {S("a")}},
                    {"customer", {S("b")}},
                    {"order", {I(1), S("a"), I(10)}},
                    {"order", {I(2), S("a"), I(31)}},
                    {"order", {I(3), S("b"), I(7)}}}});
  cases.push_back({"recursion", R"(
pragma semantics boolean.
relation edge(a: int, b: int).
relation path(a: int, b: int).
relation loop(a: int).
path(X, Y) :- edge(X, Y).
path(X, Z) :- edge(X, Y), path(Y, Z).
loop(X) :- path(X, X).
)",
                   {{"edge", {I(1), I(2)}}, {"edge", {I(2), I(3)}}, {"edge", {I(3), I(1)}}, {"edge", {I(3), I(4)}}}});
  cases.push_back({"fuzzy", R"(
pragma semantics fuzzy.
pragma threshold 0.25.
relation sym(p: symbol, s: symbol).
relation risk(p: symbol, r: symbol).
relation safe(p: symbol).
risk(P, high) cf 0.9 :- sym(P, fever), sym(P, cough).
risk(P, high) cf 0.6 :- sym(P, rash).
safe(P) :- sym(P, _), not risk(P, high).
)",
                   {{"sym", {S("ann"), S("fever")}, 0.7},
                    {"sym", {S("ann"), S("cough")}, 0.5},
                    {"sym", {S("ann"), S("rash")}, 0.8},
                    {"sym", {S("bob"), S("rash")}, 0.2},
                    {"sym", {S("cy"), S("cough")}, 0.9},
                    {"risk", {S("cy"), S("high")}, 0.3}}});
  return cases;
}

TEST(BottomUpSession, SmallProgramsRunAlike) {
  for (const Case& c : SmallCases()) {
    Program on = Load(c.text, true), off = Load(c.text, false);
    Twins t(on, off);
    t.Assert(c.rows);
    t.Run({}, c.name);
    t.ExpectSameFacts(c.name);
    EXPECT_FALSE(Concluding(t.on).empty()) << c.name;
  }
}

TEST(BottomUpSession, SmallProgramsExplainAlikeAfterARun) {
  for (const Case& c : SmallCases()) {
    Program on = Load(c.text, true), off = Load(c.text, false);
    Twins t(on, off);
    t.Assert(c.rows);
    t.Run({}, c.name);
    int explained = 0;
    for (const RelationInfo& r : off.relations()) {
      if (!r.derived) continue;
      for (const Fact& f : *t.off.Facts(r.name)) {
        auto a = t.on.Explain(f);
        auto b = t.off.Explain(f);
        ASSERT_TRUE(a.ok() && b.ok()) << c.name << " " << FactText(f);
        EXPECT_EQ(TreeText(*a), TreeText(*b)) << c.name;
        ++explained;
      }
    }
    EXPECT_GT(explained, 0) << c.name;
    t.ExpectSameFacts(c.name);
  }
}

TEST(BottomUpSession, SmallProgramsAssertRetractAndQueryAfterARun) {
  for (const Case& c : SmallCases()) {
    Program on = Load(c.text, true), off = Load(c.text, false);
    Twins t(on, off);
    std::vector<Row> first(c.rows.begin(), c.rows.begin() + c.rows.size() / 2);
    std::vector<Row> second(c.rows.begin() + c.rows.size() / 2, c.rows.end());
    t.Assert(first);
    t.Run({}, c.name);
    t.Assert(second);
    t.Run({}, c.name);
    t.ExpectSameFacts(c.name);
    const Row& gone = c.rows.front();
    Status a = t.on.Retract(gone.relation, gone.values);
    Status b = t.off.Retract(gone.relation, gone.values);
    EXPECT_TRUE(a.ok()) << c.name << ": " << a.message();
    EXPECT_EQ(a.code(), b.code());
    t.ExpectSameFacts(std::string(c.name) + " after the retract");
    for (const RelationInfo& r : off.relations()) {
      std::string goal = r.name + "(";
      for (std::size_t i = 0; i < r.columns.size(); ++i) goal += (i ? ", V" : "V") + std::to_string(i);
      goal += ")";
      EXPECT_EQ(Answers(t.on, goal), Answers(t.off, goal)) << c.name << " " << goal;
    }
  }
}

TEST(BottomUpSession, SmallProgramsFactLimits) {
  for (const Case& c : SmallCases()) {
    Program on = Load(c.text, true), off = Load(c.text, false);
    for (std::size_t limit = 1; limit < 20; limit += 3) {
      Twins t(on, off);
      t.Assert(c.rows);
      t.Run({.max_facts = limit}, std::string(c.name) + " limit " + std::to_string(limit));
      t.ExpectSameFacts(std::string(c.name) + " limit " + std::to_string(limit));
    }
  }
}

// A run that outgrows the bottom-up budget goes on in the Rete network: the
// same facts, and the session carries on.
TEST(BottomUpSession, ALargeRunOutgrowsTheBudgetAndEndsAlike) {
  const char* text = R"(
pragma semantics boolean.
relation edge(a: int, b: int).
relation path(a: int, b: int).
path(X, Y) :- edge(X, Y).
path(X, Z) :- edge(X, Y), path(Y, Z).
)";
  Program on = Load(text, true), off = Load(text, false);
  Twins t(on, off);
  std::vector<Row> rows;
  // 200 edges, 20,100 paths: past the budget (engine/bottom_up_test.cpp).
  for (int i = 0; i < 200; ++i) rows.push_back({"edge", {I(i), I(i + 1)}});
  t.Assert(rows);
  t.Run();
  EXPECT_EQ(t.on.Facts("path")->size(), 201u * 200u / 2u);
  EXPECT_EQ(t.on.Facts("path")->size(), t.off.Facts("path")->size());
}

// Programs where the two once differed (see engine/bottom_up_test.cpp): a
// rule under the root (concluded when a Rete session starts: the plan
// refuses it), an aggregate waiting with a negation (the Rete session
// evaluated it too early and took it back), a recursive fact given below 1
// (bottom-up gives that run to the Rete session).
TEST(BottomUpSession, DerivationCountsOfRulesUnderTheRoot) {
  const char* text = R"(
pragma semantics boolean.
relation pick(x: symbol).
pick(X) :- X in {a, b, c}.
)";
  Twins t(Load(text, true), Load(text, false));
  // Before the run: the Rete session has concluded them already.
  EXPECT_EQ(AllFacts(t.on), AllFacts(t.off)) << "before the run";
  t.Run();
  t.ExpectSameFacts();
}

TEST(BottomUpSession, DerivationCountsOfAnAggregateOfWhatANegationConcludes) {
  const char* text = R"(
pragma semantics boolean.
relation a(x: int).
relation b(x: int).
relation c(x: int).
relation e(x: int, n: int).
c(X) :- b(X), not a(X).
e(X, N) :- b(X), N = count(c(X)).
)";
  Twins t(Load(text, true), Load(text, false));
  t.Assert({{"b", {I(2)}}, {"a", {I(7)}}});
  t.Run();
  t.ExpectSameFacts();
}

TEST(BottomUpSession, DerivationCountsOfARecursiveFactGivenBelowOne) {
  const char* text = R"(
pragma semantics boolean.
relation edge(a: int, b: int).
relation path(a: int, b: int).
path(X, Y) :- edge(X, Y).
path(X, Z) :- edge(X, Y), path(Y, Z).
)";
  Twins t(Load(text, true), Load(text, false));
  t.Assert({{"path", {I(1), I(3)}, 0.5}, {"edge", {I(0), I(1)}}, {"edge", {I(1), I(2)}}, {"edge", {I(2), I(3)}}});
  t.Run();
  t.ExpectSameFacts();
}

TEST(BottomUpSession, RunningTwiceDerivesNothingNew) {
  Program on = LoadLoan(true), off = LoadLoan(false);
  Twins t(on, off);
  t.Assert(LoanApplicants(13, 2));
  t.Run({}, "first");
  auto a = t.on.Run();
  auto b = t.off.Run();
  EXPECT_EQ(ReportText(a), ReportText(b));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->derivations, 0u);
  t.ExpectSameFacts();
}

TEST(BottomUpSession, FactsGivenTwiceAndBadFactsAlike) {
  for (const Case& c : SmallCases()) {
    Program on = Load(c.text, true), off = Load(c.text, false);
    Twins t(on, off);
    const Row& r = c.rows.front();
    t.Assert({r});
    // The same fact again at another certainty: it stays as it was.
    EXPECT_EQ(t.on.Assert(r.relation, r.values, r.cf / 2).ok(), t.off.Assert(r.relation, r.values, r.cf / 2).ok());
    // Errors: a certainty out of range, a wrong arity, an unknown relation.
    Status a = t.on.Assert(r.relation, r.values, 1.5), b = t.off.Assert(r.relation, r.values, 1.5);
    EXPECT_FALSE(a.ok()) << c.name;
    EXPECT_EQ(a.message(), b.message()) << c.name;
    std::vector<Value> longer = r.values;
    longer.push_back(I(1));
    a = t.on.Assert(r.relation, longer);
    b = t.off.Assert(r.relation, longer);
    EXPECT_FALSE(a.ok()) << c.name;
    EXPECT_EQ(a.message(), b.message()) << c.name;
    EXPECT_EQ(t.on.Assert("no_such", {}).code(), t.off.Assert("no_such", {}).code());
    t.Assert(c.rows);
    t.Run({}, c.name);
    t.ExpectSameFacts(c.name);
  }
}

// Sessions of one program, one after the other, each ended in another way
// (a decision, a promotion, a limit, no run at all): each new one starts with
// the program's facts only and decides as the Rete network does.
TEST(BottomUpSession, SessionsOfOneProgramStartFresh) {
  Program on = LoadLoan(true), off = LoadLoan(false);
  std::vector<Row> rows = LoanApplicants(17, 12);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    {
      Session s(on);
      AssertAll(s, {rows[i], rows[(i + 1) % rows.size()]});
      switch (i % 4) {
        case 0: ASSERT_TRUE(s.Run().ok()); break;
        case 1:
          ASSERT_TRUE(s.Run().ok());
          ASSERT_TRUE(s.Explain((*s.Facts("decision"))[0]).ok());
          break;
        case 2: ASSERT_TRUE(s.Run({.max_facts = 12}).ok()); break;
        case 3: break;
      }
    }
    Twins t(on, off);
    for (const RelationInfo& r : on.relations()) {
      if (r.name == "sanctioned_country" || r.name == "high_risk_country") continue;
      EXPECT_TRUE(t.on.Facts(r.name)->empty()) << r.name << " after session " << i;
    }
    t.Assert({rows[(i + 5) % rows.size()]});
    t.Run({}, "session " + std::to_string(i));
    t.ExpectSameFacts("session " + std::to_string(i));
  }
}

TEST(BottomUpSession, ProductionRulesAndMycinStayOnTheReteNetwork) {
  // Programs the bottom-up plan refuses run as before, whatever the option.
  for (const char* text : {R"(
relation a(x: int).
relation b(x: int).
b(X) cf 0.5 :- a(X).
)",
                           R"(
pragma semantics boolean.
relation counter(n: int).
relation seen(n: int).
seen(N) :- counter(N).
rule tick when counter(N) as C, N < 5 then modify C (n = N + 1).
)"}) {
    Twins t(Load(text, true), Load(text, false));
    t.Assert({{std::string(text).find("counter") != std::string::npos ? "counter" : "a", {I(0)}, 0.8}});
    t.Run();
    t.ExpectSameFacts();
    EXPECT_EQ(t.on.Firings(), t.off.Firings());
  }
}

}  // namespace
}  // namespace syllo

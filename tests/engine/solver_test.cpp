// Backward chaining end to end through the rule language: tabling, laziness,
// negation, aggregates and built-ins, certainties, questions, neural predicates,
// external relations, interrupts and Reset. Every test states the exact answers.
#include "engine/solver.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/consultation.h"
#include "rules/checker.h"
#include "rules/loader.h"
#include "rules/query_compiler.h"

namespace syllo::engine {
namespace {

using Rows = std::multiset<std::string>;

Value I(std::int64_t v) { return Value::Int(v); }
Value S(std::string_view s) { return Value::MakeSymbol(s); }

// "v1, v2" for an answer's row; "yes" for the one answer of a goal without variables.
std::string RowText(std::span<const Value> row) {
  if (row.empty()) return "yes";
  std::string s;
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i) s += ", ";
    s += row[i].ToString();
  }
  return s;
}

// A program loaded and checked once. Compile() turns a goal into a query and
// builds a fresh working memory (with the program's facts) and solver for it.
class Harness {
 public:
  explicit Harness(const std::string& text) {
    rules::LoadText("test.syl", text, loaded_);
    rules::Check(loaded_.sources, loaded_.program, loaded_.diagnostics);
    ok_ = !loaded_.diagnostics.has_errors();
    EXPECT_TRUE(ok_) << rules::RenderAll(loaded_.sources, loaded_.diagnostics);
  }

  // REQUIRES: nothing borrows the previous solver.
  bool Compile(const std::string& goal) {
    solver.reset();
    memory.reset();
    query.reset();
    if (!ok_) return false;
    rules::Diagnostics diags;
    query = rules::CompileQuery(loaded_, goal, diags);
    EXPECT_NE(query, nullptr) << goal << "\n" << rules::RenderAll(loaded_.sources, diags);
    if (query == nullptr) return false;
    spec = query->spec;
    memory = std::make_unique<WorkingMemory>();
    Status loaded = LoadProgram(*spec, *memory);
    EXPECT_TRUE(loaded.ok()) << loaded.ToString();
    SolverOptions o = options;
    if (!external.empty()) {
      o.external.assign(spec->relations.size(), nullptr);
      for (const auto& [name, table] : external) o.external[Rel(name)] = table;
    }
    solver = std::make_unique<Solver>(spec, *memory, std::move(o));
    return true;
  }

  Status Open() { return solver->Open(query->relation, std::vector<Value>(query->variables.size())); }

  // The open query's answers to the end, or the first error.
  Result<std::vector<Answer>> Drain() {
    std::vector<Answer> out;
    for (;;) {
      Answer a;
      auto more = solver->Next(&a);
      if (!more.ok()) return more.status();
      if (!*more) return out;
      out.push_back(std::move(a));
    }
  }

  // Compiles, opens and drains `goal` (error: Open's, else Next's).
  Result<std::vector<Answer>> Solve(const std::string& goal) {
    if (!Compile(goal)) return Status::Internal("the goal did not compile");
    Status s = Open();
    if (!s.ok()) return s;
    return Drain();
  }

  Rows RowsOf(const Result<std::vector<Answer>>& answers) {
    EXPECT_TRUE(answers.ok()) << answers.status().ToString();
    Rows rows;
    if (answers.ok()) {
      for (const Answer& a : *answers) rows.insert(RowText(a.row));
    }
    return rows;
  }
  // The goal's answers, one "v1, v2" row each, over its named variables.
  Rows Query(const std::string& goal) { return RowsOf(Solve(goal)); }
  // Same, with each row's certainty.
  std::map<std::string, double> Certainties(const std::string& goal) {
    auto answers = Solve(goal);
    EXPECT_TRUE(answers.ok()) << answers.status().ToString();
    std::map<std::string, double> out;
    if (answers.ok()) {
      for (const Answer& a : *answers) out[RowText(a.row)] = a.certainty;
    }
    return out;
  }
  // Opens relation `name` directly with `call` (kNone: free) on the current solver.
  Rows Call(const std::string& name, std::vector<Value> call) {
    Status s = solver->Open(Rel(name), std::move(call));
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return {};
    return RowsOf(Drain());
  }

  RelationId Rel(const std::string& name) const {
    auto r = spec->FindRelation(name);
    EXPECT_TRUE(r.has_value()) << name;
    return r.value_or(0);
  }

  SolverOptions options;                              // used by the next Compile
  std::map<std::string, ExternalRelation*> external;  // by relation name, for the next Compile
  std::unique_ptr<rules::CompiledQuery> query;
  std::shared_ptr<const ProgramSpec> spec;
  std::unique_ptr<WorkingMemory> memory;
  std::unique_ptr<Solver> solver;

 private:
  rules::LoadedProgram loaded_;
  bool ok_ = false;
};

// ---- test doubles ------------------------------------------------------------------

Reply Yes(double cf = 1.0) { return {Reply::Kind::kYes, Value(), cf}; }
Reply No(double cf = 1.0) { return {Reply::Kind::kNo, Value(), cf}; }
Reply Unknown() { return {Reply::Kind::kUnknown, Value(), 1.0}; }
Reply Choose(Value v) { return {Reply::Kind::kValue, v, 1.0}; }

// Records the questions and answers from a queue of scripted replies.
class ScriptedAsker : public Asker {
 public:
  Result<Reply> Ask(const Question& q, const WhyFunction& why) override {
    questions.push_back(q.text);
    goals.push_back(q.goal);
    if (on_ask) on_ask(q, why);
    if (replies.empty()) {
      ADD_FAILURE() << "unexpected question: " << q.text;
      return Status::Cancelled("no scripted reply");
    }
    Result<Reply> r = replies.front();
    replies.pop_front();
    return r;
  }
  std::vector<std::string> questions;
  std::vector<std::string> goals;
  std::deque<Result<Reply>> replies;
  std::function<void(const Question&, const WhyFunction&)> on_ask;
};

// Answers every input with the same scripted predictions.
class FakeModels : public NeuralPredicates {
 public:
  Result<PredictionSet> Predict(const NeuralSpec& spec, std::span<const Value> inputs) override {
    calls.push_back(spec.model + "(" + RowText(inputs) + ")");
    if (!fail.ok()) return fail;
    PredictionSet set;
    set.model = spec.model;
    set.version = spec.version.value_or(7);
    for (const auto& [label, p] : predictions) set.predictions.push_back({S(label), p});
    return set;
  }
  std::vector<std::pair<std::string, double>> predictions;
  std::vector<std::string> calls;
  Status fail;
};

// A table outside the working memory; records every lookup it is asked for.
class FakeTable : public ExternalRelation {
 public:
  explicit FakeTable(std::size_t arity) : arity_(arity) {}
  void Add(std::vector<Value> row, double cf = 1.0) {
    rows_.insert(rows_.end(), row.begin(), row.end());
    cf_.push_back(cf);
  }
  Status Lookup(ColumnMask mask, std::span<const Value> key, ExternalRows* out) override {
    lookups.push_back({mask, std::vector<Value>(key.begin(), key.end())});
    if (!fail.ok()) return fail;
    for (std::size_t r = 0; r < cf_.size(); ++r) {
      const Value* row = rows_.data() + r * arity_;
      bool match = true;
      std::size_t k = 0;
      for (std::size_t c = 0; c < arity_ && match; ++c) {
        if (mask & (ColumnMask{1} << c)) match = row[c] == key[k++];
      }
      if (!match) continue;
      out->values.insert(out->values.end(), row, row + arity_);
      out->certainty.push_back(cf_[r]);
      out->origin.push_back(Origin::kAsserted);
    }
    return Status();
  }
  struct Call {
    ColumnMask mask;
    std::vector<Value> key;
  };
  std::vector<Call> lookups;
  Status fail;

 private:
  std::size_t arity_;
  std::vector<Value> rows_;
  std::vector<double> cf_;
};

// ---- 1. tabling ---------------------------------------------------------------------

// a -> b -> c -> a is a cycle; c -> d -> e leaves it.
const char* kGraph = R"(
pragma semantics boolean.
relation edge(a: symbol, b: symbol).
relation path(a: symbol, b: symbol).
edge(a, b). edge(b, c). edge(c, a). edge(c, d). edge(d, e).
path(X, Y) :- edge(X, Y).
)";

TEST(Solver, TablingTerminatesWithCompleteAnswersForLeftRightAndDoubleRecursion) {
  const std::vector<std::pair<const char*, const char*>> programs = {
      {"left", "path(X, Z) :- path(X, Y), edge(Y, Z)."},
      {"right", "path(X, Z) :- edge(X, Y), path(Y, Z)."},
      {"double", "path(X, Z) :- path(X, Y), path(Y, Z)."},
  };
  for (const auto& [name, rule] : programs) {
    SCOPED_TRACE(name);
    Harness h(std::string(kGraph) + rule + "\n");
    Rows all;
    for (const char* x : {"a", "b", "c"}) {
      for (const char* y : {"a", "b", "c", "d", "e"}) all.insert(std::string(x) + ", " + y);
    }
    all.insert("d, e");
    EXPECT_EQ(h.Query("path(X, Y)"), all);
    EXPECT_EQ(h.Query("path(a, X)"), (Rows{"a", "b", "c", "d", "e"}));
    EXPECT_EQ(h.Query("path(d, X)"), (Rows{"e"}));
    EXPECT_EQ(h.Query("path(e, X)"), (Rows{}));
    EXPECT_EQ(h.Query("path(X, a)"), (Rows{"a", "b", "c"}));
    EXPECT_EQ(h.Query("path(X, e)"), (Rows{"a", "b", "c", "d"}));
    EXPECT_EQ(h.Query("path(a, a)"), (Rows{"yes"}));
    EXPECT_EQ(h.Query("path(a, e)"), (Rows{"yes"}));
    EXPECT_EQ(h.Query("path(e, a)"), (Rows{}));
    EXPECT_EQ(h.Query("path(X, X)"), (Rows{"a", "b", "c"}));
    EXPECT_EQ(h.Query("path(a, X), path(X, a)"), (Rows{"a", "b", "c"}));
    // Several goals on one solver: completed tables are reused, answers unchanged.
    ASSERT_TRUE(h.Compile("path(X, Y)"));
    EXPECT_EQ(h.Call("path", {S("c"), Value()}), (Rows{"c, a", "c, b", "c, c", "c, d", "c, e"}));
    EXPECT_EQ(h.Call("path", {Value(), S("d")}), (Rows{"a, d", "b, d", "c, d"}));
    EXPECT_EQ(h.Call("path", {S("c"), Value()}).size(), 5u);
    EXPECT_EQ(h.Call("path", {S("b"), S("b")}), (Rows{"b, b"}));
  }
}

TEST(Solver, SameGeneration) {
  Harness h(R"(
relation person(x: symbol).
relation par(child: symbol, parent: symbol).
relation sg(x: symbol, y: symbol).
person(ann). person(bob). person(cal). person(dan). person(eve). person(fay).
par(bob, ann). par(cal, ann). par(dan, bob). par(eve, cal). par(fay, cal).
sg(X, X) :- person(X).
sg(X, Y) :- par(X, XP), sg(XP, YP), par(Y, YP).
)");
  EXPECT_EQ(h.Query("sg(dan, X)"), (Rows{"dan", "eve", "fay"}));
  EXPECT_EQ(h.Query("sg(X, cal)"), (Rows{"bob", "cal"}));
  EXPECT_EQ(h.Query("sg(ann, X)"), (Rows{"ann"}));
  EXPECT_EQ(h.Query("sg(eve, fay)"), (Rows{"yes"}));
  EXPECT_EQ(h.Query("sg(bob, dan)"), (Rows{}));
  EXPECT_EQ(h.Query("sg(X, Y)").size(), 6u + 2u + 6u);
}

TEST(Solver, MutualRecursionEvenAndOdd) {
  Harness h(R"(
relation zero(n: int).
relation succ(a: int, b: int).
relation even(n: int).
relation odd(n: int).
zero(0).
succ(0, 1). succ(1, 2). succ(2, 3). succ(3, 4). succ(4, 5). succ(5, 6). succ(6, 7).
even(N) :- zero(N).
even(N) :- succ(M, N), odd(M).
odd(N) :- succ(M, N), even(M).
)");
  EXPECT_EQ(h.Query("even(X)"), (Rows{"0", "2", "4", "6"}));
  EXPECT_EQ(h.Query("odd(X)"), (Rows{"1", "3", "5", "7"}));
  EXPECT_EQ(h.Query("odd(7)"), (Rows{"yes"}));
  EXPECT_EQ(h.Query("even(7)"), (Rows{}));
  EXPECT_EQ(h.Query("even(X), odd(X)"), (Rows{}));
}

TEST(Solver, MutualRecursionOverACycleTerminates) {
  // An odd ring: every node is both even and odd.
  Harness h(R"(
relation zero(n: int).
relation succ(a: int, b: int).
relation even(n: int).
relation odd(n: int).
zero(0).
succ(0, 1). succ(1, 2). succ(2, 3). succ(3, 4). succ(4, 0).
even(N) :- zero(N).
even(N) :- succ(M, N), odd(M).
odd(N) :- succ(M, N), even(M).
)");
  EXPECT_EQ(h.Query("even(X)"), (Rows{"0", "1", "2", "3", "4"}));
  EXPECT_EQ(h.Query("odd(X)"), (Rows{"0", "1", "2", "3", "4"}));
  EXPECT_EQ(h.Query("odd(0)"), (Rows{"yes"}));
}

// ---- 2. laziness ----------------------------------------------------------------------

std::string Chain(int nodes, const char* semantics) {
  std::string text = std::string("pragma semantics ") + semantics + R"(.
relation edge(a: int, b: int).
relation path(a: int, b: int).
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
)";
  for (int i = 0; i + 1 < nodes; ++i) text += "edge(" + std::to_string(i) + ", " + std::to_string(i + 1) + ").\n";
  return text;
}

TEST(Solver, BooleanSemanticsReturnsTheFirstAnswerBeforeTheTableIsComplete) {
  constexpr std::uint64_t kNodes = 2000;
  constexpr std::uint64_t kAll = kNodes * (kNodes - 1) / 2;
  Harness h(Chain(kNodes, "boolean"));
  ASSERT_TRUE(h.Compile("path(X, Y)"));
  ASSERT_TRUE(h.Open().ok());
  Answer a;
  auto more = h.solver->Next(&a);
  ASSERT_TRUE(more.ok()) << more.status().ToString();
  ASSERT_TRUE(*more);
  EXPECT_LT(h.solver->stats().answers, kAll / 100) << "the first answer waited for the table";
  std::uint64_t count = 1;
  for (;;) {
    more = h.solver->Next(&a);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    ++count;
  }
  EXPECT_EQ(count, kAll);
  EXPECT_GE(h.solver->stats().answers, kAll);
}

TEST(Solver, SolveAllAndProbeDoNotDisturbTheOpenQuery) {
  Harness h(Chain(50, "boolean"));
  ASSERT_TRUE(h.Compile("path(X, Y)"));
  ASSERT_TRUE(h.Open().ok());
  Answer a;
  auto more = h.solver->Next(&a);
  ASSERT_TRUE(more.ok() && *more);
  std::set<std::string> seen{RowText(a.row)};
  std::vector<Value> from_zero{I(0), Value()};
  auto all = h.solver->SolveAll(h.Rel("path"), from_zero);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), 49u);
  int proofs = 0;
  std::vector<Value> head{I(3), I(4)};
  for (std::uint32_t r = 0; r < h.spec->rules.size(); ++r) {
    if (h.spec->rules[r].head_relation != h.Rel("path")) continue;
    Status s = h.solver->Probe(r, head, [&](std::span<const Value>, double) { ++proofs; });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  EXPECT_EQ(proofs, 1);  // only path(3, 4) :- edge(3, 4)
  for (;;) {
    more = h.solver->Next(&a);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    EXPECT_TRUE(seen.insert(RowText(a.row)).second) << "repeated " << RowText(a.row);
  }
  EXPECT_EQ(seen.size(), 50u * 49u / 2u);
}

// ---- 3. negation, exists, aggregates, built-ins -------------------------------------------

TEST(Solver, StratifiedNegationOfStoredDerivedAndConjunctiveGoals) {
  Harness h(R"(
relation node(x: symbol).
relation edge(a: symbol, b: symbol).
relation reach(x: symbol).
relation unreached(x: symbol).
relation sink(x: symbol).
relation p(x: symbol).
relation q(x: symbol).
relation only_p(x: symbol).
relation not_both(x: symbol).
node(a). node(b). node(c). node(d).
edge(a, b). edge(b, a). edge(c, d).
p(a). p(b). q(b). q(c).
reach(X) :- edge(a, X).
reach(Y) :- reach(X), edge(X, Y).
unreached(X) :- node(X), not reach(X).
sink(X) :- node(X), not edge(X, _).
only_p(X) :- p(X), not q(X).
not_both(X) :- node(X), not (p(X), q(X)).
)");
  EXPECT_EQ(h.Query("reach(X)"), (Rows{"a", "b"}));
  EXPECT_EQ(h.Query("unreached(X)"), (Rows{"c", "d"}));
  EXPECT_EQ(h.Query("unreached(c)"), (Rows{"yes"}));
  EXPECT_EQ(h.Query("unreached(a)"), (Rows{}));
  EXPECT_EQ(h.Query("sink(X)"), (Rows{"d"}));
  EXPECT_EQ(h.Query("only_p(X)"), (Rows{"a"}));
  EXPECT_EQ(h.Query("not_both(X)"), (Rows{"a", "c", "d"}));
  // Negation in the query itself, of a derived relation.
  EXPECT_EQ(h.Query("node(X), not reach(X), not sink(X)"), (Rows{"c"}));
  EXPECT_EQ(h.Query("node(X), not exists edge(X, _)"), (Rows{"d"}));
}

TEST(Solver, ExistsTestsWithoutBinding) {
  Harness h(R"(
relation node(x: symbol).
relation edge(a: symbol, b: symbol).
relation mark(x: symbol).
relation has_out(x: symbol).
relation to_marked(x: symbol).
node(a). node(b). node(c). node(d).
edge(a, b). edge(a, c). edge(b, c). edge(c, d).
mark(d).
has_out(X) :- node(X), exists edge(X, _).
to_marked(X) :- node(X), exists (edge(X, Y), mark(Y)).
)");
  EXPECT_EQ(h.Query("has_out(X)"), (Rows{"a", "b", "c"}));  // once each, though a has two edges
  EXPECT_EQ(h.Query("to_marked(X)"), (Rows{"c"}));
  EXPECT_EQ(h.Query("has_out(d)"), (Rows{}));
}

const char* kItems = R"(
relation key(k: symbol).
relation item(k: symbol, v: int).
relation cnt(k: symbol, n: int).
relation total(k: symbol, s: int).
relation lo(k: symbol, m: int).
relation hi(k: symbol, m: int).
relation mean(k: symbol, m: float).
key(a). key(b). key(c). key(d).
item(a, 1). item(a, 5). item(b, 7). item(d, 3). item(d, 4).
cnt(K, N) :- key(K), N = count(item(K, _)).
total(K, S) :- key(K), S = sum(V : item(K, V)).
lo(K, M) :- key(K), M = min(V : item(K, V)).
hi(K, M) :- key(K), M = max(V : item(K, V)).
mean(K, M) :- key(K), M = avg(V : item(K, V)).
)";

TEST(Solver, AggregatesIncludingEmptyGroups) {
  Harness h(kItems);
  // c has no items: count and sum are 0; min, max and avg fail.
  EXPECT_EQ(h.Query("cnt(K, N)"), (Rows{"a, 2", "b, 1", "c, 0", "d, 2"}));
  EXPECT_EQ(h.Query("total(K, S)"), (Rows{"a, 6", "b, 7", "c, 0", "d, 7"}));
  EXPECT_EQ(h.Query("lo(K, M)"), (Rows{"a, 1", "b, 7", "d, 3"}));
  EXPECT_EQ(h.Query("hi(K, M)"), (Rows{"a, 5", "b, 7", "d, 4"}));
  EXPECT_EQ(h.Query("mean(K, M)"), (Rows{"a, 3.0", "b, 7.0", "d, 3.5"}));
  EXPECT_EQ(h.Query("lo(c, M)"), (Rows{}));
  // In a query, grouped by the variable bound outside.
  EXPECT_EQ(h.Query("key(K), N = count(item(K, _)), N > 1"), (Rows{"a, 2", "d, 2"}));
  EXPECT_EQ(h.Query("N = count(item(_, _))"), (Rows{"5"}));
}

// Regression: a call that binds an aggregate's result column must only return
// the groups whose aggregate equals it.
TEST(Solver, AggregateResultBoundByTheCallFiltersGroups) {
  Harness h(kItems);
  EXPECT_EQ(h.Query("cnt(K, 2)"), (Rows{"a", "d"}));
  EXPECT_EQ(h.Query("cnt(K, 0)"), (Rows{"c"}));
  EXPECT_EQ(h.Query("cnt(b, 2)"), (Rows{}));
  EXPECT_EQ(h.Query("cnt(a, 2)"), (Rows{"yes"}));
  EXPECT_EQ(h.Query("total(K, 7)"), (Rows{"b", "d"}));
  EXPECT_EQ(h.Query("hi(K, 5)"), (Rows{"a"}));
  EXPECT_EQ(h.Query("mean(K, 3.5)"), (Rows{"d"}));
  // The same through a rule that calls with the result bound.
  Harness r(std::string(kItems) + "relation pair(k: symbol).\npair(K) :- key(K), cnt(K, 2).\n");
  EXPECT_EQ(r.Query("pair(K)"), (Rows{"a", "d"}));
}

TEST(Solver, MembershipGeneratorsAndTests) {
  Harness h(R"(
relation node(x: symbol).
relation pick(x: symbol).
relation other(x: symbol).
relation level(x: symbol, n: int).
node(a). node(b). node(c).
pick(X) :- X in {a, b}.
other(X) :- node(X), X not in {a, b}.
level(X, N) :- node(X), N in {1, 2}.
)");
  EXPECT_EQ(h.Query("pick(X)"), (Rows{"a", "b"}));
  EXPECT_EQ(h.Query("pick(b)"), (Rows{"yes"}));
  EXPECT_EQ(h.Query("pick(c)"), (Rows{}));
  EXPECT_EQ(h.Query("other(X)"), (Rows{"c"}));
  EXPECT_EQ(h.Query("level(a, N)"), (Rows{"1", "2"}));
  EXPECT_EQ(h.Query("level(X, 2)"), (Rows{"a", "b", "c"}));
  EXPECT_EQ(h.Query("node(X), X in {c, d}"), (Rows{"c"}));
}

TEST(Solver, AssignmentArithmeticAndComparisons) {
  Harness h(R"(
relation num(n: int).
relation succ(n: int, m: int).
relation odd_big(n: int).
relation half(n: int, h: int).
relation fhalf(n: int, h: float).
relation inv(n: int, r: int).
relation stats(n: int, a: int, b: int, c: float).
num(0). num(1). num(2). num(3). num(4). num(5). num(6). num(7).
succ(X, Y) :- num(X), Y = X + 1.
odd_big(X) :- num(X), X * X > 10, X mod 2 = 1.
half(X, Y) :- num(X), X >= 6, Y = X / 2.
fhalf(X, Y) :- num(X), X >= 6, Y = X / 2.0.
inv(X, Y) :- num(X), X < 3, Y = 10 / X.
stats(X, A, B, C) :- num(X), X = 7, A = -X + abs(X - 10), B = max(X, 9) - min(X, 2), C = sqrt(to_float(X + 9)).
)");
  EXPECT_EQ(h.Query("succ(3, Y)"), (Rows{"4"}));
  EXPECT_EQ(h.Query("succ(X, 4)"), (Rows{"3"}));
  EXPECT_EQ(h.Query("succ(X, 9)"), (Rows{}));
  EXPECT_EQ(h.Query("odd_big(X)"), (Rows{"5", "7"}));
  EXPECT_EQ(h.Query("half(X, Y)"), (Rows{"6, 3", "7, 3"}));  // integer division truncates
  EXPECT_EQ(h.Query("fhalf(X, Y)"), (Rows{"6, 3.0", "7, 3.5"}));
  EXPECT_EQ(h.Query("inv(X, Y)"), (Rows{"1, 10", "2, 5"}));  // 10 / 0 fails the literal
  EXPECT_EQ(h.Query("stats(X, A, B, C)"), (Rows{"7, -4, 7, 4.0"}));
  EXPECT_EQ(h.Query("num(X), X != 0, X <= 2"), (Rows{"1", "2"}));
  EXPECT_EQ(h.Query("num(X), Y = X * 3, Y > 18"), (Rows{"7, 21"}));
}

TEST(Solver, TextBuiltins) {
  Harness h(R"(
relation doc(id: int, title: string).
relation tag(id: int, t: symbol).
doc(1, "hello world"). doc(2, "world peace"). doc(3, "say hello").
tag(1, greeting). tag(2, politics). tag(3, greeting_card).
)");
  EXPECT_EQ(h.Query("doc(I, T), contains(T, \"hello\")"), (Rows{"1, \"hello world\"", "3, \"say hello\""}));
  EXPECT_EQ(h.Query("doc(I, T), starts_with(T, \"world\")"), (Rows{"2, \"world peace\""}));
  EXPECT_EQ(h.Query("doc(I, T), ends_with(T, \"hello\")"), (Rows{"3, \"say hello\""}));
  EXPECT_EQ(h.Query("tag(I, T), starts_with(T, \"greeting\")"), (Rows{"1, greeting", "3, greeting_card"}));
  EXPECT_EQ(h.Query("doc(I, T), contains(T, \"nothing\")"), (Rows{}));
}

TEST(Solver, ExpressionsInRuleHeads) {
  Harness h(R"(
relation num(n: int).
relation double(n: int, d: int).
relation triple(n: int, t: int).
relation label(n: int, s: string).
num(1). num(2). num(3).
double(X, Y) :- num(X), Y = X * 2.
triple(X, X * 3) :- num(X).
label(X, concat("n", to_string(X))) :- num(X).
)");
  EXPECT_EQ(h.Query("double(X, Y)"), (Rows{"1, 2", "2, 4", "3, 6"}));
  EXPECT_EQ(h.Query("double(X, 6)"), (Rows{"3"}));
  EXPECT_EQ(h.Query("triple(X, Y)"), (Rows{"1, 3", "2, 6", "3, 9"}));
  EXPECT_EQ(h.Query("triple(2, Y)"), (Rows{"6"}));
  // A bound argument computed by the head's expression is compared with it.
  EXPECT_EQ(h.Query("triple(X, 9)"), (Rows{"3"}));
  EXPECT_EQ(h.Query("triple(X, 7)"), (Rows{}));
  EXPECT_EQ(h.Query("label(X, \"n2\")"), (Rows{"2"}));
}

// ---- 4. certainty ------------------------------------------------------------------------

TEST(Solver, MycinCombinesParallelEvidence) {
  Harness h(R"(
pragma semantics mycin.
relation e(x: symbol).
relation h(x: symbol).
relation g(x: symbol).
e(a).
h(X) cf 0.5 :- e(X).
h(X) cf 0.6 :- e(X).
g(X) cf 0.5 :- e(X).
g(X) cf -0.3 :- e(X).
)");
  auto h_cf = h.Certainties("h(X)");
  ASSERT_EQ(h_cf.size(), 1u);
  EXPECT_NEAR(h_cf["a"], 0.8, 1e-9);
  auto g_cf = h.Certainties("g(X)");
  ASSERT_EQ(g_cf.size(), 1u);
  EXPECT_NEAR(g_cf["a"], 0.2857142857, 1e-9);  // (0.5 - 0.3) / (1 - 0.3)
  auto bound = h.Certainties("h(a)");
  EXPECT_NEAR(bound["yes"], 0.8, 1e-9);
}

TEST(Solver, MycinConjunctionIsMinAndTheRuleCfMultiplies) {
  Harness h(R"(
pragma semantics mycin.
relation e1(x: symbol).
relation e2(x: symbol).
relation both(x: symbol).
relation scaled(x: symbol).
relation chain(x: symbol).
e1(a) cf 0.7.
e2(a) cf 0.4.
both(X) :- e1(X), e2(X).
scaled(X) cf 0.5 :- e1(X), e2(X).
chain(X) cf 0.5 :- scaled(X).
)");
  EXPECT_NEAR(h.Certainties("both(X)")["a"], 0.4, 1e-9);
  EXPECT_NEAR(h.Certainties("scaled(X)")["a"], 0.2, 1e-9);
  EXPECT_NEAR(h.Certainties("chain(X)")["a"], 0.1, 1e-9);
  EXPECT_NEAR(h.Certainties("e1(X), e2(X)")["a"], 0.4, 1e-9);
}

TEST(Solver, ThresholdKeepsAWeakFactFromFiringItsRule) {
  Harness h(R"(
pragma semantics mycin.
pragma threshold 0.2.
relation w(x: symbol).
relation t(x: symbol).
relation derived_weak(x: symbol).
relation u(x: symbol).
w(a) cf 0.1.
w(b) cf 0.3.
t(X) :- w(X).
derived_weak(X) cf 0.5 :- w(X).
u(X) :- derived_weak(X).
)");
  auto t = h.Certainties("t(X)");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_NEAR(t["b"], 0.3, 1e-9);
  // 0.3 * 0.5 = 0.15 does not pass either: nothing downstream.
  EXPECT_EQ(h.Query("derived_weak(X)"), (Rows{}));
  EXPECT_EQ(h.Query("u(X)"), (Rows{}));
  EXPECT_EQ(h.Query("w(X)"), (Rows{"b"}));
}

TEST(Solver, AFactBelowTheThresholdDoesNotBlockNegation) {
  Harness h(R"(
pragma semantics mycin.
pragma threshold 0.2.
relation item(x: symbol).
relation w(x: symbol).
relation clear(x: symbol).
item(a). item(b). item(c).
w(a) cf 0.1.
w(b) cf 0.9.
clear(X) :- item(X), not w(X).
)");
  EXPECT_EQ(h.Query("clear(X)"), (Rows{"a", "c"}));
  // `@ C` binds the certainty of the fact that matched.
  EXPECT_EQ(h.Query("w(X) @ C"), (Rows{"b, 0.9"}));
}

TEST(Solver, ProbabilityUsesNoisyOrAndFuzzyUsesMax) {
  const char* body = R"(
relation e(x: symbol).
relation h(x: symbol).
relation c(x: symbol).
e(a) cf 0.9.
h(X) cf 0.5 :- e(X).
h(X) cf 0.6 :- e(X).
c(X) cf 0.8 :- e(X), e(X).
)";
  Harness p(std::string("pragma semantics probability.\n") + body);
  // Each proof: 0.9 * cf; together 1 - (1 - 0.45)(1 - 0.54).
  EXPECT_NEAR(p.Certainties("h(X)")["a"], 1.0 - (1.0 - 0.45) * (1.0 - 0.54), 1e-9);
  EXPECT_NEAR(p.Certainties("c(X)")["a"], 0.9 * 0.9 * 0.8, 1e-9);
  Harness f(std::string("pragma semantics fuzzy.\n") + body);
  // Each proof: min(0.9, cf); together the max.
  EXPECT_NEAR(f.Certainties("h(X)")["a"], 0.6, 1e-9);
  EXPECT_NEAR(f.Certainties("c(X)")["a"], 0.8, 1e-9);
}

// ---- 5. questions ------------------------------------------------------------------------

const char* kCar = R"(
relation car(c: symbol).
relation cranks(c: symbol).
relation battery_ok(c: symbol).
relation starter_ok(c: symbol).
relation ok(c: symbol).
relation fuel(c: symbol, level: symbol).
relation no_fuel(c: symbol).
relation mileage(c: symbol, m: int).
relation old(c: symbol).
relation starts(c: symbol).
relation dead(c: symbol).
ask cranks(C) "Does {C} crank?" yes_no.
ask fuel(Car, L) "How much fuel does {Car} have?" one_of {empty, low, full}.
ask mileage(Car, M) "Mileage of {Car}?" number in 0..1000000.
ask starts(C) "Does {C} start?" yes_no.
car(car1).
battery_ok(C) :- car(C), cranks(C).
starter_ok(C) :- car(C), cranks(C).
ok(C) :- battery_ok(C), starter_ok(C).
no_fuel(C) :- car(C), fuel(C, empty).
old(C) :- car(C), mileage(C, M), M > 200000.
dead(C) :- car(C), not starts(C).
)";

TEST(Solver, AYesNoQuestionIsAskedOncePerGoal) {
  Harness h(kCar);
  ScriptedAsker asker;
  asker.replies.push_back(Yes());
  h.options.asker = &asker;
  EXPECT_EQ(h.Query("ok(X)"), (Rows{"car1"}));
  EXPECT_EQ(asker.questions, (std::vector<std::string>{"Does car1 crank?"}));
  EXPECT_EQ(asker.goals, (std::vector<std::string>{"cranks(car1)"}));
  // Later goals of the consultation use the reply.
  EXPECT_EQ(h.Call("battery_ok", {Value()}), (Rows{"car1"}));
  EXPECT_EQ(h.Call("cranks", {S("car1")}), (Rows{"car1"}));
  EXPECT_EQ(asker.questions.size(), 1u);
  ASSERT_EQ(h.solver->asked().size(), 1u);
  EXPECT_EQ(h.solver->asked()[0].reply.kind, Reply::Kind::kYes);
  EXPECT_EQ(h.solver->stats().questions, 1u);
}

TEST(Solver, OneOfBindsTheLastArgument) {
  Harness h(kCar);
  ScriptedAsker asker;
  asker.replies.push_back(Choose(S("low")));
  h.options.asker = &asker;
  EXPECT_EQ(h.Query("fuel(car1, L)"), (Rows{"low"}));
  EXPECT_EQ(asker.questions, (std::vector<std::string>{"How much fuel does car1 have?"}));
}

TEST(Solver, OneOfGoalWithItsAnswerBoundAsksTheKeyQuestionOnce) {
  Harness h(kCar);
  ScriptedAsker asker;
  h.options.asker = &asker;
  asker.replies.push_back(Choose(S("low")));
  EXPECT_EQ(h.Query("fuel(car1, empty)"), (Rows{}));
  asker.replies.push_back(Choose(S("empty")));
  EXPECT_EQ(h.Query("fuel(car1, empty)"), (Rows{"yes"}));
  EXPECT_EQ(asker.questions.size(), 2u);  // once per consultation (each Query is a fresh solver)
  // Through a rule that tests the value: one question, then every level answered from the reply.
  asker.questions.clear();
  asker.replies.push_back(Choose(S("empty")));
  EXPECT_EQ(h.Query("no_fuel(C)"), (Rows{"car1"}));
  EXPECT_EQ(asker.questions, (std::vector<std::string>{"How much fuel does car1 have?"}));
}

// Solver::Open on an asked relation with its answer column bound must only give
// answers that match it, as a compiled query does.
TEST(Solver, OpenOnAnAskedRelationWithItsAnswerBoundFiltersTheReply) {
  Harness h(kCar);
  ScriptedAsker asker;
  asker.replies.push_back(Choose(S("empty")));
  h.options.asker = &asker;
  ASSERT_TRUE(h.Compile("no_fuel(C)"));
  EXPECT_EQ(h.Call("fuel", {S("car1"), S("full")}), (Rows{}));
  EXPECT_EQ(h.Call("fuel", {S("car1"), S("empty")}), (Rows{"car1, empty"}));
  EXPECT_EQ(h.Call("fuel", {S("car1"), S("full")}), (Rows{}));
  EXPECT_EQ(asker.questions.size(), 1u);
}

TEST(Solver, NumberQuestionBindsTheValue) {
  Harness h(kCar);
  ScriptedAsker asker;
  h.options.asker = &asker;
  asker.replies.push_back(Choose(I(250000)));
  EXPECT_EQ(h.Query("old(C)"), (Rows{"car1"}));
  EXPECT_EQ(asker.questions, (std::vector<std::string>{"Mileage of car1?"}));
  asker.replies.push_back(Choose(I(1000)));
  EXPECT_EQ(h.Query("old(C)"), (Rows{}));
  asker.replies.push_back(Choose(I(1234)));
  EXPECT_EQ(h.Query("mileage(car1, M)"), (Rows{"1234"}));
}

TEST(Solver, UnknownRepliesFailTheGoalAndAreNotAskedAgain) {
  Harness h(kCar);
  ScriptedAsker asker;
  h.options.asker = &asker;
  asker.replies.push_back(Unknown());
  EXPECT_EQ(h.Query("no_fuel(C)"), (Rows{}));
  EXPECT_EQ(h.Call("fuel", {S("car1"), Value()}), (Rows{}));
  asker.replies.push_back(Unknown());
  EXPECT_EQ(h.Query("ok(C)"), (Rows{}));
  EXPECT_EQ(h.Call("cranks", {S("car1")}), (Rows{}));
  EXPECT_EQ(asker.questions, (std::vector<std::string>{"How much fuel does car1 have?", "Does car1 crank?"}));
}

TEST(Solver, UserRepliesAreRecordedThroughOnUserAnswer) {
  Harness h(kCar);
  ScriptedAsker asker;
  std::vector<std::string> recorded;
  h.options.asker = &asker;
  h.options.on_user_answer = [&](RelationId rel, std::span<const Value> row, double cf) {
    recorded.push_back(h.spec->relations[rel].name + "(" + RowText(row) + ") " + std::to_string(cf));
  };
  // MYCIN: no = -1, so the premise fails and `not` succeeds.
  asker.replies.push_back(No());
  EXPECT_EQ(h.Query("dead(C)"), (Rows{"car1"}));
  EXPECT_EQ(recorded, (std::vector<std::string>{"starts(car1) -1.000000"}));
  EXPECT_EQ(h.Call("starts", {Value()}), (Rows{}));
  recorded.clear();
  asker.replies.push_back(Yes());
  EXPECT_EQ(h.Query("dead(C)"), (Rows{}));
  EXPECT_EQ(recorded, (std::vector<std::string>{"starts(car1) 1.000000"}));
  recorded.clear();
  asker.replies.push_back(Choose(S("full")));
  EXPECT_EQ(h.Query("fuel(car1, L)"), (Rows{"full"}));
  EXPECT_EQ(recorded, (std::vector<std::string>{"fuel(car1, full) 1.000000"}));
}

TEST(Solver, TheThresholdPrunesBeforeAQuestionIsAsked) {
  const char* decls = R"(
pragma threshold 0.2.
relation car(c: symbol).
relation weak(c: symbol).
relation asked_q(c: symbol).
relation d(c: symbol).
ask asked_q(C) "Is {C} asked?" yes_no.
car(car1).
d(C) cf 0.9 :- car(C), weak(C), asked_q(C).
)";
  for (const char* weak : {"weak(car1) cf 0.1.", "weak(C) cf 0.1 :- car(C)."}) {
    SCOPED_TRACE(weak);
    Harness h(std::string(decls) + weak + "\n");
    ScriptedAsker asker;
    h.options.asker = &asker;
    EXPECT_EQ(h.Query("d(C)"), (Rows{}));
    EXPECT_TRUE(asker.questions.empty());
  }
}

TEST(Solver, ARuleThatConcludesAnAskedGoalMeansNoQuestion) {
  Harness h(std::string(kCar) + "relation new_starter(c: symbol).\nnew_starter(car2).\ncar(car2).\n"
                                "cranks(C) :- new_starter(C).\n");
  ScriptedAsker asker;
  h.options.asker = &asker;
  asker.replies.push_back(No());
  EXPECT_EQ(h.Query("ok(C)"), (Rows{"car2"}));
  EXPECT_EQ(asker.questions, (std::vector<std::string>{"Does car1 crank?"}));
}

TEST(Solver, AFactInWorkingMemoryMeansNoQuestion) {
  Harness h(std::string(kCar) + "cranks(car1).\nfuel(car1, low).\n");
  ScriptedAsker asker;
  h.options.asker = &asker;
  EXPECT_EQ(h.Query("ok(C)"), (Rows{"car1"}));
  EXPECT_EQ(h.Query("fuel(car1, L)"), (Rows{"low"}));
  EXPECT_EQ(h.Query("no_fuel(C)"), (Rows{}));
  EXPECT_TRUE(asker.questions.empty());
  // Asserted after loading, before the query opens.
  ASSERT_TRUE(h.Compile("starts(C)"));
  ASSERT_TRUE(h.memory->Assert("starts", {S("car1")}).ok());
  ASSERT_TRUE(h.Open().ok());
  EXPECT_EQ(h.RowsOf(h.Drain()), (Rows{"car1"}));
  EXPECT_TRUE(asker.questions.empty());
}

TEST(Solver, ACancelledQuestionCancelsTheQuery) {
  Harness h(kCar);
  ScriptedAsker asker;
  h.options.asker = &asker;
  asker.replies.push_back(Status::Cancelled("end of input"));
  auto answers = h.Solve("ok(C)");
  ASSERT_FALSE(answers.ok());
  EXPECT_EQ(answers.status().code(), StatusCode::kCancelled);
  EXPECT_TRUE(h.solver->asked().empty());
  // The question was not answered, so a fresh query asks it again.
  asker.replies.push_back(Yes());
  ASSERT_TRUE(h.Open().ok());
  EXPECT_EQ(h.RowsOf(h.Drain()), (Rows{"car1"}));
  EXPECT_EQ(asker.questions.size(), 2u);
}

TEST(Solver, ParseReplyAcceptsWhatAUserTypes) {
  AskSpec yes_no;
  yes_no.kind = AskKind::kYesNo;
  auto r = ParseReply(yes_no, "yes");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, Reply::Kind::kYes);
  EXPECT_EQ(r->certainty, 1.0);
  r = ParseReply(yes_no, "N 0.4");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, Reply::Kind::kNo);
  EXPECT_DOUBLE_EQ(r->certainty, 0.4);
  r = ParseReply(yes_no, "  y 0.7 ");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, Reply::Kind::kYes);
  EXPECT_DOUBLE_EQ(r->certainty, 0.7);
  r = ParseReply(yes_no, "?");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, Reply::Kind::kUnknown);

  AskSpec one_of;
  one_of.kind = AskKind::kOneOf;
  one_of.choices = {S("empty"), S("low"), S("full")};
  r = ParseReply(one_of, "low");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, Reply::Kind::kValue);
  EXPECT_EQ(r->value, S("low"));
  r = ParseReply(one_of, "FULL 0.5");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, S("full"));
  EXPECT_DOUBLE_EQ(r->certainty, 0.5);
  r = ParseReply(one_of, "unknown");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, Reply::Kind::kUnknown);

  AskSpec number;
  number.kind = AskKind::kNumber;
  number.min = 0;
  number.max = 100;
  r = ParseReply(number, "42");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, I(42));
  r = ParseReply(number, "2.5");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, Value::Float(2.5));
  r = ParseReply(number, "100");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, I(100));
}

TEST(Solver, ParseReplySaysWhatWasExpected) {
  AskSpec yes_no;
  yes_no.kind = AskKind::kYesNo;
  auto expect_error = [](const AskSpec& spec, const char* text, const char* part) {
    auto r = ParseReply(spec, text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(r.status().message().find(part), std::string::npos) << text << ": " << r.status().message();
  };
  expect_error(yes_no, "maybe", "expected yes, no or unknown");
  expect_error(yes_no, "", "empty");
  expect_error(yes_no, "yes 1.5", "between 0 and 1");
  expect_error(yes_no, "yes sure", "'sure'");
  expect_error(yes_no, "yes 0.5 really", "too many words");
  AskSpec one_of;
  one_of.kind = AskKind::kOneOf;
  one_of.choices = {S("empty"), S("low"), S("full")};
  expect_error(one_of, "half", "expected one of empty, low, full");
  expect_error(one_of, "half", "'half'");
  AskSpec number;
  number.kind = AskKind::kNumber;
  number.min = 0;
  number.max = 100;
  expect_error(number, "lots", "expected a number");
  expect_error(number, "-5", "between 0 and 100");
  expect_error(number, "101", "not 101");
  AskSpec at_least;
  at_least.kind = AskKind::kNumber;
  at_least.min = 1;
  expect_error(at_least, "0", "at least 1");
}

// The message of an out-of-range number states the range as the program wrote it.
TEST(Solver, ParseReplyStatesALargeRangeAsWritten) {
  AskSpec number;
  number.kind = AskKind::kNumber;
  number.min = 0;
  number.max = 1000000;
  auto r = ParseReply(number, "-5");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("between 0 and 1000000"), std::string::npos) << r.status().message();
}

// ---- 6. neural predicates ---------------------------------------------------------------

const char* kVision = R"(
model vision : mlp { hidden = [8] }.
relation photo(p: symbol).
relation pet(p: symbol, l: symbol).
neural category(p: symbol) -> label in {cat, dog, bird, fish} using vision.
neural category_top(p: symbol) -> label in {cat, dog, bird, fish} using vision top 2.
neural category_cut(p: symbol) -> label in {cat, dog, bird, fish} using vision@3 threshold 0.1.
photo(img1).
pet(P, L) :- photo(P), category(P, L).
)";

TEST(Solver, NeuralAnswersCarryProbabilityAndModel) {
  Harness h(kVision);
  FakeModels models;
  models.predictions = {{"dog", 0.35}, {"cat", 0.45}, {"fish", 0.05}, {"bird", 0.15}};
  h.options.neural = &models;
  auto answers = h.Solve("category(img1, L)");
  ASSERT_TRUE(answers.ok()) << answers.status().ToString();
  std::map<std::string, Answer> by_label;
  for (const Answer& a : *answers) by_label[RowText(a.row)] = a;
  ASSERT_EQ(by_label.size(), 4u);
  EXPECT_DOUBLE_EQ(by_label["cat"].certainty, 0.45);
  EXPECT_DOUBLE_EQ(by_label["dog"].certainty, 0.35);
  EXPECT_DOUBLE_EQ(by_label["bird"].certainty, 0.15);
  EXPECT_DOUBLE_EQ(by_label["fish"].certainty, 0.05);
  for (const auto& [label, a] : by_label) {
    EXPECT_EQ(a.provenance.origin, Origin::kModel) << label;
    EXPECT_EQ(a.provenance.model, "vision") << label;
    EXPECT_EQ(a.provenance.version, 7) << label;
  }
  EXPECT_EQ(models.calls, (std::vector<std::string>{"vision(img1)"}));
  // Through a rule: derived, with the prediction's certainty.
  auto pets = h.Certainties("pet(P, L)");
  ASSERT_EQ(pets.size(), 4u);
  EXPECT_NEAR(pets["img1, cat"], 0.45, 1e-9);
  EXPECT_EQ(h.Query("category(img1, dog)"), (Rows{"yes"}));
}

TEST(Solver, NeuralTopAndThresholdKeepTheMostProbable) {
  Harness h(kVision);
  FakeModels models;
  models.predictions = {{"dog", 0.35}, {"cat", 0.45}, {"fish", 0.05}, {"bird", 0.15}};
  h.options.neural = &models;
  EXPECT_EQ(h.Query("category_top(img1, L)"), (Rows{"cat", "dog"}));
  EXPECT_EQ(h.Query("category_cut(img1, L)"), (Rows{"bird", "cat", "dog"}));
  auto answers = h.Solve("category_cut(img1, L)");
  ASSERT_TRUE(answers.ok());
  ASSERT_FALSE(answers->empty());
  EXPECT_EQ((*answers)[0].provenance.version, 3);
  EXPECT_EQ(h.Query("category_top(img1, bird)"), (Rows{}));
}

TEST(Solver, NeuralInputMustBeBound) {
  Harness h(kVision + std::string("relation any_label(l: symbol).\nany_label(L) :- category(_, L).\n"));
  FakeModels models;
  models.predictions = {{"cat", 0.9}};
  h.options.neural = &models;
  auto direct = h.Solve("category(P, L)");
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(direct.status().message().find("needs its input 'p' bound"), std::string::npos)
      << direct.status().message();
  auto in_rule = h.Solve("any_label(L)");
  ASSERT_FALSE(in_rule.ok());
  EXPECT_EQ(in_rule.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(models.calls.empty());
}

TEST(Solver, NeuralWithoutModelsIsAnError) {
  Harness h(kVision);
  auto answers = h.Solve("pet(P, L)");
  ASSERT_FALSE(answers.ok());
  EXPECT_EQ(answers.status().code(), StatusCode::kNotFound);
  EXPECT_NE(answers.status().message().find("category"), std::string::npos) << answers.status().message();
  FakeModels failing;
  failing.fail = Status::NotFound("no version 3 of model vision");
  h.options.neural = &failing;
  auto failed = h.Solve("category_cut(img1, L)");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(), "no version 3 of model vision");
}

// ---- 7. external relations --------------------------------------------------------------

const char* kShop = R"(
relation customer(id: int, name: symbol).
relation order(id: int, customer: int, amount: int).
relation big_buyer(n: symbol).
relation unknown_buyer(c: int).
order(1, 10, 50). order(2, 20, 500). order(3, 30, 700). order(4, 40, 900).
big_buyer(N) :- order(_, C, A), A > 100, customer(C, N).
unknown_buyer(C) :- order(_, C, _), not customer(C, _).
)";

TEST(Solver, ExternalRelationAnswersAJoinWithTheBoundColumnsPushedDown) {
  Harness h(kShop);
  FakeTable customers(2);
  customers.Add({I(10), S("ann")});
  customers.Add({I(20), S("bob")}, 0.9);
  customers.Add({I(30), S("cat")});
  h.external["customer"] = &customers;
  EXPECT_EQ(h.Query("big_buyer(N)"), (Rows{"bob", "cat"}));
  std::multiset<std::int64_t> keys;
  for (const auto& l : customers.lookups) {
    EXPECT_EQ(l.mask, ColumnMask{1});
    ASSERT_EQ(l.key.size(), 1u);
    keys.insert(l.key[0].as_int());
  }
  EXPECT_EQ(keys, (std::multiset<std::int64_t>{20, 30, 40}));
  customers.lookups.clear();
  EXPECT_EQ(h.Query("unknown_buyer(C)"), (Rows{"40"}));
  EXPECT_FALSE(customers.lookups.empty());
  for (const auto& l : customers.lookups) EXPECT_EQ(l.mask, ColumnMask{1});
  // Both columns bound: both pushed down.
  customers.lookups.clear();
  EXPECT_EQ(h.Query("order(I, C, _), C = 20, customer(C, bob)"), (Rows{"2, 20"}));
  ASSERT_EQ(customers.lookups.size(), 1u);
  EXPECT_EQ(customers.lookups[0].mask, ColumnMask{3});
  EXPECT_EQ(customers.lookups[0].key, (std::vector<Value>{I(20), S("bob")}));
}

// A query that is just the external relation must read it too.
TEST(Solver, ExternalRelationAnswersADirectQuery) {
  Harness h(kShop);
  FakeTable customers(2);
  customers.Add({I(10), S("ann")});
  customers.Add({I(20), S("bob")});
  h.external["customer"] = &customers;
  EXPECT_EQ(h.Query("customer(C, N)"), (Rows{"10, ann", "20, bob"}));
  EXPECT_EQ(h.Query("customer(20, N)"), (Rows{"bob"}));
  ASSERT_TRUE(h.Compile("customer(C, N)"));
  EXPECT_EQ(h.Call("customer", {I(10), Value()}), (Rows{"10, ann"}));
}

TEST(Solver, ExternalLookupErrorsSurfaceFromNext) {
  Harness h(kShop);
  FakeTable customers(2);
  customers.fail = Status::IoError("database is locked");
  h.external["customer"] = &customers;
  auto join = h.Solve("big_buyer(N)");
  ASSERT_FALSE(join.ok());
  EXPECT_EQ(join.status().code(), StatusCode::kIoError);
  EXPECT_EQ(join.status().message(), "database is locked");
  auto negated = h.Solve("unknown_buyer(C)");
  ASSERT_FALSE(negated.ok());
  EXPECT_EQ(negated.status().code(), StatusCode::kIoError);
}

// ---- 8. interrupt ------------------------------------------------------------------------

TEST(Solver, InterruptFromAnAskerCancelsAndAFreshOpenWorks) {
  Harness h(kCar);
  ScriptedAsker asker;
  h.options.asker = &asker;
  asker.on_ask = [&](const Question&, const WhyFunction&) { h.solver->Interrupt(); };
  asker.replies.push_back(Yes());
  auto answers = h.Solve("ok(C)");
  ASSERT_FALSE(answers.ok());
  EXPECT_EQ(answers.status().code(), StatusCode::kCancelled);
  asker.on_ask = nullptr;
  ASSERT_TRUE(h.Open().ok());
  EXPECT_EQ(h.RowsOf(h.Drain()), (Rows{"car1"}));
  EXPECT_EQ(asker.questions.size(), 1u);  // the reply given before the interrupt is kept
}

TEST(Solver, InterruptBeforeNextCancelsARecursiveQuery) {
  for (const char* semantics : {"boolean", "mycin"}) {
    SCOPED_TRACE(semantics);
    Harness h(Chain(200, semantics));
    ASSERT_TRUE(h.Compile("path(X, Y)"));
    ASSERT_TRUE(h.Open().ok());
    h.solver->Interrupt();
    Answer a;
    auto more = h.solver->Next(&a);
    ASSERT_FALSE(more.ok());
    EXPECT_EQ(more.status().code(), StatusCode::kCancelled);
    ASSERT_TRUE(h.Open().ok());
    auto all = h.Drain();
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    EXPECT_EQ(all->size(), 200u * 199u / 2u);
  }
}

// ---- 9. reset ----------------------------------------------------------------------------

TEST(Solver, ResetAnswersFromTheCurrentWorkingMemory) {
  Harness h(std::string(kGraph) + "path(X, Z) :- path(X, Y), edge(Y, Z).\n");
  ASSERT_TRUE(h.Compile("path(d, X)"));
  ASSERT_TRUE(h.Open().ok());
  EXPECT_EQ(h.RowsOf(h.Drain()), (Rows{"e"}));
  ASSERT_TRUE(h.memory->Assert("edge", {S("e"), S("f")}).ok());
  h.solver->Reset();
  ASSERT_TRUE(h.Open().ok());
  EXPECT_EQ(h.RowsOf(h.Drain()), (Rows{"e", "f"}));
  EXPECT_EQ(h.Call("path", {Value(), S("f")}), (Rows{"a, f", "b, f", "c, f", "d, f", "e, f"}));
}

TEST(Solver, ResetKeepsRepliesUnlessAskedToForget) {
  Harness h(kCar);
  ScriptedAsker asker;
  h.options.asker = &asker;
  asker.replies.push_back(Yes());
  ASSERT_TRUE(h.Compile("ok(C)"));
  ASSERT_TRUE(h.Open().ok());
  EXPECT_EQ(h.RowsOf(h.Drain()), (Rows{"car1"}));
  h.solver->Reset();
  ASSERT_TRUE(h.Open().ok());
  EXPECT_EQ(h.RowsOf(h.Drain()), (Rows{"car1"}));
  EXPECT_EQ(asker.questions.size(), 1u);
  h.solver->Reset(/*forget_replies=*/true);
  EXPECT_TRUE(h.solver->asked().empty());
  asker.replies.push_back(No());
  ASSERT_TRUE(h.Open().ok());
  EXPECT_EQ(h.RowsOf(h.Drain()), (Rows{}));
  EXPECT_EQ(asker.questions.size(), 2u);
}

}  // namespace
}  // namespace syllo::engine

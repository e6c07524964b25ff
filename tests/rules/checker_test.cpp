// Unit tests of the checker on ASTs built by hand, so they do not depend on the
// parser. The golden tests cover the same ground through real .syl text.
#include "rules/checker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "rules/stratify.h"

namespace syllo::rules {
namespace {

using engine::ColumnType;
using engine::ValueKind;

// Every node gets its own line, so positions tell diagnostics apart.
std::uint32_t next_line = 1;
SourcePos P() { return SourcePos{0, next_line++, 1}; }

Expr Var(std::string name) { Expr e; e.kind = ExprKind::kVariable; e.name = std::move(name); e.pos = P(); return e; }
Expr Wild() { Expr e; e.kind = ExprKind::kWildcard; e.name = "_"; e.pos = P(); return e; }
Expr Sym(std::string name) { Expr e; e.kind = ExprKind::kSymbol; e.name = std::move(name); e.pos = P(); return e; }
Expr Str(std::string text) { Expr e; e.kind = ExprKind::kString; e.name = std::move(text); e.pos = P(); return e; }
Expr Int(std::int64_t v) { Expr e; e.kind = ExprKind::kInt; e.int_value = v; e.pos = P(); return e; }
Expr Flt(double v) { Expr e; e.kind = ExprKind::kFloat; e.float_value = v; e.pos = P(); return e; }
Expr Bin(std::string op, Expr a, Expr b) {
  Expr e; e.kind = ExprKind::kBinary; e.name = std::move(op); e.pos = a.pos;
  e.args.push_back(std::move(a)); e.args.push_back(std::move(b));
  return e;
}
Expr Call(std::string fn, std::vector<Expr> args) {
  Expr e; e.kind = ExprKind::kCall; e.name = std::move(fn); e.pos = P(); e.args = std::move(args); return e;
}

Atom A(std::string rel, std::vector<Expr> args) {
  Atom a; a.relation = std::move(rel); a.args = std::move(args); a.pos = P(); return a;
}
Literal L(Atom a) { Literal l; l.kind = LiteralKind::kAtom; l.pos = a.pos; l.atom = std::move(a); return l; }
Literal BuiltinLit(Atom a) { Literal l = L(std::move(a)); l.kind = LiteralKind::kBuiltin; return l; }
Literal Not(std::vector<Literal> body) { Literal l; l.kind = LiteralKind::kNegation; l.pos = P(); l.body = std::move(body); return l; }
Literal Cmp(CompareOp op, Expr lhs, Expr rhs) {
  Literal l; l.kind = LiteralKind::kComparison; l.pos = lhs.pos; l.op = op; l.lhs = std::move(lhs); l.rhs = std::move(rhs);
  return l;
}
Literal Agg(AggregateOp op, Expr result, Expr value, std::vector<Literal> body) {
  Literal l; l.kind = LiteralKind::kAggregate; l.pos = result.pos; l.aggregate = op; l.lhs = std::move(result);
  l.rhs = std::move(value); l.body = std::move(body);
  return l;
}

RelationDecl Rel(std::string name, std::vector<std::pair<std::string, ColumnType>> cols) {
  RelationDecl r; r.name = std::move(name); r.pos = P();
  for (auto& [n, t] : cols) r.columns.push_back(ColumnDecl{P(), n, t});
  return r;
}
const ColumnType kSym = ColumnType::Of(ValueKind::kSymbol);
const ColumnType kInt = ColumnType::Of(ValueKind::kInt);
const ColumnType kFloat = ColumnType::Of(ValueKind::kFloat);
const ColumnType kStr = ColumnType::Of(ValueKind::kString);

LogicalRule Rule(Atom head, std::vector<Literal> body) {
  LogicalRule r; r.pos = head.pos; r.head = std::move(head); r.body = std::move(body); return r;
}

// A base program: edge(symbol, symbol), person(symbol, int), name(symbol, string), p/q/r(symbol).
Program Base() {
  Program p;
  p.relations.push_back(Rel("edge", {{"a", kSym}, {"b", kSym}}));
  p.relations.push_back(Rel("person", {{"id", kSym}, {"age", kInt}}));
  p.relations.push_back(Rel("name", {{"id", kSym}, {"text", kStr}}));
  p.relations.push_back(Rel("score", {{"id", kSym}, {"value", kFloat}}));
  for (const char* n : {"p", "q", "r"}) p.relations.push_back(Rel(n, {{"x", kSym}}));
  return p;
}

// Diagnostics as "error: message" / "warning: message", in position order.
std::vector<std::string> CheckProgram(const Program& program) {
  SourceSet sources;
  Diagnostics diags;
  Check(sources, program, diags);
  diags.Sort();
  std::vector<std::string> out;
  for (const Diagnostic& d : diags.items()) {
    const char* label = d.severity == Severity::kError ? "error: " : d.severity == Severity::kWarning ? "warning: " : "note: ";
    out.push_back(label + d.message);
  }
  return out;
}

bool Has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

TEST(CheckerTest, ValidProgramHasNoDiagnostics) {
  Program p = Base();
  // path(X, Y) :- edge(X, Y).   path(X, Z) :- edge(X, Y), path(Y, Z).
  p.relations.push_back(Rel("path", {{"a", kSym}, {"b", kSym}}));
  p.rules.push_back(Rule(A("path", {Var("X"), Var("Y")}), {L(A("edge", {Var("X"), Var("Y")}))}));
  p.rules.push_back(Rule(A("path", {Var("X"), Var("Z")}),
                         {L(A("edge", {Var("X"), Var("Y")})), L(A("path", {Var("Y"), Var("Z")}))}));
  EXPECT_TRUE(CheckProgram(p).empty()) << Join(CheckProgram(p));
}

TEST(CheckerTest, UnknownRelationAndArity) {
  Program p = Base();
  p.rules.push_back(Rule(A("p", {Var("X")}), {L(A("edgee", {Var("X"), Var("Y")})), L(A("edge", {Var("X")}))}));
  auto d = CheckProgram(p);
  EXPECT_TRUE(Has(d, "error: unknown relation 'edgee'")) << Join(d);
  EXPECT_TRUE(Has(d, "error: 'edge' takes 2 arguments, got 1")) << Join(d);
}

TEST(CheckerTest, UnsafeHeadVariableReportedOnce) {
  Program p = Base();
  p.relations.push_back(Rel("pair", {{"a", kSym}, {"b", kSym}}));
  p.rules.push_back(Rule(A("pair", {Var("X"), Var("Y")}), {L(A("p", {Var("X")})), Cmp(CompareOp::kNe, Var("Y"), Sym("a"))}));
  auto d = CheckProgram(p);
  EXPECT_EQ(std::count(d.begin(), d.end(), "error: variable 'Y' is not bound by a positive literal"), 1) << Join(d);
}

TEST(CheckerTest, SafetyIsAFixpointIndependentOfOrder) {
  Program p = Base();
  // older(X, A2) :- A2 = A + 1, person(X, A).   (binding after its use)
  p.relations.push_back(Rel("older", {{"id", kSym}, {"age", kInt}}));
  p.rules.push_back(Rule(A("older", {Var("X"), Var("A2")}),
                         {Cmp(CompareOp::kEq, Var("A2"), Bin("+", Var("A"), Int(1))), L(A("person", {Var("X"), Var("A")}))}));
  EXPECT_TRUE(CheckProgram(p).empty()) << Join(CheckProgram(p));
}

TEST(CheckerTest, NegatedLocalVariablesAreFineButOuterOnesMustBeBound) {
  Program p = Base();
  // p(X) :- q(X), not edge(X, _Y).   fine: _Y local
  p.rules.push_back(Rule(A("p", {Var("X")}), {L(A("q", {Var("X")})), Not({L(A("edge", {Var("X"), Var("_Y")}))})}));
  // r(X) :- not q(X).   X is unsafe
  p.rules.push_back(Rule(A("r", {Var("X")}), {Not({L(A("q", {Var("X")}))})}));
  auto d = CheckProgram(p);
  ASSERT_EQ(d.size(), 1u) << Join(d);
  EXPECT_EQ(d[0], "error: variable 'X' is not bound by a positive literal");
}

TEST(CheckerTest, VariableTypesComeFromTheFirstColumn) {
  Program p = Base();
  // p(X) :- person(X, A), name(A, _).   A is int, name.id is symbol
  p.rules.push_back(Rule(A("p", {Var("X")}), {L(A("person", {Var("X"), Var("A")})), L(A("name", {Var("A"), Wild()}))}));
  auto d = CheckProgram(p);
  EXPECT_TRUE(Has(d, "error: type mismatch: 'A' is int, but column 'id' of 'name' is symbol")) << Join(d);
}

TEST(CheckerTest, IntAndFloatAreCompatible) {
  Program p = Base();
  // p(X) :- person(X, A), score(X, A).
  p.rules.push_back(Rule(A("p", {Var("X")}), {L(A("person", {Var("X"), Var("A")})), L(A("score", {Var("X"), Var("A")}))}));
  EXPECT_TRUE(CheckProgram(p).empty()) << Join(CheckProgram(p));
}

TEST(CheckerTest, ArithmeticAndComparisonTypes) {
  Program p = Base();
  // p(X) :- name(X, T), T + 1 > 3, X < T.
  p.rules.push_back(Rule(A("p", {Var("X")}), {L(A("name", {Var("X"), Var("T")})),
                                              Cmp(CompareOp::kGt, Bin("+", Var("T"), Int(1)), Int(3)),
                                              Cmp(CompareOp::kLt, Var("X"), Var("T"))}));
  auto d = CheckProgram(p);
  EXPECT_TRUE(Has(d, "error: '+' needs numbers, got string")) << Join(d);
  EXPECT_TRUE(Has(d, "error: cannot compare symbol with string")) << Join(d);
}

TEST(CheckerTest, BuiltinFunctionsAndTests) {
  Program p = Base();
  // p(X) :- name(X, T), N = strlen(T, T), M = foo(T), contains(T, 3), abs(N) > 0.
  p.rules.push_back(Rule(A("p", {Var("X")}), {L(A("name", {Var("X"), Var("T")})),
                                              Cmp(CompareOp::kEq, Var("N"), Call("strlen", {Var("T"), Var("T")})),
                                              Cmp(CompareOp::kEq, Var("M"), Call("foo", {Var("T")})),
                                              BuiltinLit(A("contains", {Var("T"), Int(3)})),
                                              Cmp(CompareOp::kGt, Call("abs", {Var("N")}), Var("M"))}));
  auto d = CheckProgram(p);
  EXPECT_TRUE(Has(d, "error: 'strlen' takes 1 argument, got 2")) << Join(d);
  EXPECT_TRUE(Has(d, "error: unknown built-in function 'foo'")) << Join(d);
  EXPECT_TRUE(Has(d, "error: argument 2 of 'contains' must be a string or symbol, got int")) << Join(d);
}

TEST(CheckerTest, AggregatesBindTheirResultAndNeedNumbersForSum) {
  Program p = Base();
  p.relations.push_back(Rel("total", {{"id", kSym}, {"n", kInt}}));
  // total(X, N) :- p(X), N = count(edge(X, _)).
  p.rules.push_back(Rule(A("total", {Var("X"), Var("N")}),
                         {L(A("p", {Var("X")})), Agg(AggregateOp::kCount, Var("N"), Expr{}, {L(A("edge", {Var("X"), Wild()}))})}));
  // total(X, S) :- p(X), S = sum(B : edge(X, B)).   B is a symbol
  p.rules.push_back(Rule(A("total", {Var("X"), Var("S")}),
                         {L(A("p", {Var("X")})), Agg(AggregateOp::kSum, Var("S"), Var("B"), {L(A("edge", {Var("X"), Var("B")}))})}));
  auto d = CheckProgram(p);
  ASSERT_EQ(d.size(), 1u) << Join(d);
  EXPECT_EQ(d[0], "error: 'sum' needs a number, got symbol");
}

TEST(CheckerTest, NegationThroughRecursionIsNotStratifiable) {
  Program p = Base();
  // p(X) :- q(X), not r(X).   r(X) :- p(X).
  p.rules.push_back(Rule(A("p", {Var("X")}), {L(A("q", {Var("X")})), Not({L(A("r", {Var("X")}))})}));
  p.rules.push_back(Rule(A("r", {Var("X")}), {L(A("p", {Var("X")}))}));
  auto d = CheckProgram(p);
  ASSERT_EQ(d.size(), 1u) << Join(d);
  EXPECT_EQ(d[0], "error: 'p' depends on 'r' through negation within a recursive cycle (not stratifiable)");
}

TEST(CheckerTest, NegationOfALowerStratumIsFine) {
  Program p = Base();
  p.rules.push_back(Rule(A("p", {Var("X")}), {L(A("q", {Var("X")})), Not({L(A("r", {Var("X")}))})}));
  p.rules.push_back(Rule(A("r", {Var("X")}), {L(A("q", {Var("X")}))}));
  EXPECT_TRUE(CheckProgram(p).empty()) << Join(CheckProgram(p));
}

TEST(CheckerTest, SingletonWarning) {
  Program p = Base();
  p.rules.push_back(Rule(A("p", {Var("X")}), {L(A("edge", {Var("X"), Var("Y")})), L(A("edge", {Var("X"), Var("_Z")}))}));
  auto d = CheckProgram(p);
  ASSERT_EQ(d.size(), 1u) << Join(d);
  EXPECT_EQ(d[0], "warning: variable 'Y' is used only once (write '_Y' if that is intended)");
}

TEST(CheckerTest, QueryOutputsAreNotSingletons) {
  Program p = Base();
  Query q;
  q.pos = P();
  q.goals.push_back(L(A("edge", {Var("X"), Var("Y")})));
  p.queries.push_back(q);
  EXPECT_TRUE(CheckProgram(p).empty()) << Join(CheckProgram(p));
}

TEST(CheckerTest, DuplicateRelationWithNote) {
  Program p = Base();
  p.relations.push_back(Rel("edge", {{"a", kSym}, {"a", kSym}}));
  auto d = CheckProgram(p);
  EXPECT_TRUE(Has(d, "error: relation 'edge' is already declared")) << Join(d);
  EXPECT_TRUE(Has(d, "note: previously declared here")) << Join(d);
  EXPECT_TRUE(Has(d, "error: duplicate column 'a' in 'edge'")) << Join(d);
}

TEST(CheckerTest, FactsMustBeGroundAndTyped) {
  Program p = Base();
  FactDecl f;
  f.atom = A("person", {Var("X"), Sym("old")});
  f.pos = f.atom.pos;
  f.certainty = 1.5;
  p.facts.push_back(f);
  auto d = CheckProgram(p);
  EXPECT_TRUE(Has(d, "error: a fact's arguments must be constants")) << Join(d);
  EXPECT_TRUE(Has(d, "error: type mismatch: column 'age' of 'person' is int, got symbol old")) << Join(d);
  EXPECT_TRUE(Has(d, "error: certainty 1.5 is outside [-1, 1]")) << Join(d);
}

TEST(CheckerTest, ProductionActions) {
  Program p = Base();
  p.relations.push_back(Rel("counter", {{"value", kInt}}));
  ProductionRule r;
  r.name = "bump";
  r.pos = P();
  Atom cond = A("counter", {Var("N")});
  cond.fact_var = "F";
  cond.fact_var_pos = P();
  r.conditions.push_back(L(cond));
  Action modify;
  modify.kind = ActionKind::kModify;
  modify.pos = P();
  modify.fact_var = "F";
  modify.assignments.push_back(Assignment{P(), "valu", Bin("+", Var("N"), Int(1))});
  r.actions.push_back(modify);
  Action retract;
  retract.kind = ActionKind::kRetract;
  retract.pos = P();
  retract.fact_var = "N";
  r.actions.push_back(retract);
  Action print;
  print.kind = ActionKind::kPrint;
  print.pos = P();
  print.args.push_back(Str("at {N} and {Missing}"));
  r.actions.push_back(print);
  p.productions.push_back(r);
  auto d = CheckProgram(p);
  EXPECT_TRUE(Has(d, "error: 'counter' has no column 'valu'")) << Join(d);
  EXPECT_TRUE(Has(d, "error: 'N' is not bound to a fact (bind it with 'as N')")) << Join(d);
  EXPECT_TRUE(Has(d, "error: variable 'Missing' is not bound by a positive literal")) << Join(d);
}

TEST(CheckerTest, DeepExpressionDoesNotRecurse) {
  Program p = Base();
  p.relations.push_back(Rel("num", {{"n", kInt}}));
  // Built and released without copies: copying or destroying a deep Expr
  // recurses, and that is the AST's business, not what this test is about.
  Expr sum = Var("N");
  for (int i = 0; i < 100000; ++i) sum = Bin("+", std::move(sum), Int(1));
  LogicalRule rule;
  rule.head = A("num", {Var("M")});
  rule.body.push_back(L(A("num", {Var("N")})));
  Literal eq;
  eq.kind = LiteralKind::kComparison;
  eq.lhs = Var("M");
  eq.rhs = std::move(sum);
  rule.body.push_back(std::move(eq));
  p.rules.push_back(std::move(rule));
  EXPECT_TRUE(CheckProgram(p).empty());
  std::vector<Expr> pending;
  pending.push_back(std::move(p.rules.back().body.back().rhs));
  while (!pending.empty()) {
    Expr e = std::move(pending.back());
    pending.pop_back();
    for (Expr& a : e.args) pending.push_back(std::move(a));
    e.args.clear();
  }
}

TEST(CheckerTest, DeepNestingIsCutOff) {
  Program p = Base();
  Literal lit = L(A("q", {Var("X")}));
  for (int i = 0; i < 300; ++i) lit = Not({std::move(lit)});
  p.rules.push_back(Rule(A("p", {Var("X")}), {L(A("q", {Var("X")})), std::move(lit)}));
  auto d = CheckProgram(p);
  EXPECT_TRUE(Has(d, "error: nesting deeper than 256")) << Join(d);
}

TEST(StratifyTest, ComponentsOfALongChainAndACycle) {
  // 0 -> 1 -> ... -> 99999, and 99999 -> 0 closes one big cycle.
  const int n = 100000;
  std::vector<std::vector<int>> g(n);
  for (int i = 0; i + 1 < n; ++i) g[i].push_back(i + 1);
  auto c = StronglyConnectedComponents(g);
  EXPECT_NE(c[0], c[n - 1]);
  g[n - 1].push_back(0);
  c = StronglyConnectedComponents(g);
  EXPECT_EQ(c[0], c[n - 1]);
  EXPECT_EQ(c[0], c[n / 2]);
}

TEST(CheckerTest, PragmasAndModels) {
  Program p;
  Pragma a; a.pos = P(); a.name = "semantics"; a.value = Sym("mycin");
  Pragma b; b.pos = P(); b.name = "semantics"; b.value = Sym("fuzzy");
  Pragma c; c.pos = P(); c.name = "colour"; c.value = Sym("red");
  p.pragmas = {a, b, c};
  ModelDecl m; m.pos = P(); m.name = "net"; m.architecture = "rnn"; m.architecture_pos = P();
  m.params.push_back(ModelParam{P(), "lr", Int(0)});
  m.params.push_back(ModelParam{P(), "lr", Flt(0.1)});
  m.params.push_back(ModelParam{P(), "speed", Int(1)});
  p.models.push_back(m);
  auto d = CheckProgram(p);
  EXPECT_TRUE(Has(d, "error: pragma 'semantics' is already set to 'mycin'")) << Join(d);
  EXPECT_TRUE(Has(d, "error: unknown pragma 'colour'")) << Join(d);
  EXPECT_TRUE(Has(d, "error: unknown architecture 'rnn' (expected mlp, cnn, gru or lstm)")) << Join(d);
  EXPECT_TRUE(Has(d, "error: 'lr' must be a positive number")) << Join(d);
  EXPECT_TRUE(Has(d, "error: duplicate model key 'lr'")) << Join(d);
  EXPECT_TRUE(Has(d, "error: unknown model key 'speed'")) << Join(d);
}

}  // namespace
}  // namespace syllo::rules

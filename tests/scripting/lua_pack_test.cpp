// The pack API: a Lua pack declares what a .syl file declares, and its
// functions run as predicates and actions in both chainers.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/forward_session.h"
#include "engine/rete_network.h"
#include "engine/solver.h"
#include "rules/checker.h"
#include "rules/lower.h"
#include "rules/loader.h"
#include "rules/printer.h"
#include "rules/query_compiler.h"
#include "scripting/lua_pack.h"

namespace syllo::scripting {
namespace {

struct Loaded {
  rules::LoadedProgram loaded;
  std::unique_ptr<PackHost> host;
  std::shared_ptr<engine::ProgramSpec> spec;
  std::ostringstream out;
  std::string errors;
};

std::unique_ptr<Loaded> Load(const std::string& lua, PackOptions options = {}, const std::string& name = "pack.lua") {
  auto l = std::make_unique<Loaded>();
  options.out = &l->out;
  l->host = std::make_unique<PackHost>(options);
  l->host->LoadPackText(name, lua, l->loaded);
  rules::Check(l->loaded.sources, l->loaded.program, l->loaded.diagnostics);
  l->loaded.diagnostics.Sort();
  l->errors = rules::RenderAll(l->loaded.sources, l->loaded.diagnostics);
  if (l->loaded.diagnostics.has_errors()) return l;
  auto spec = rules::Lower(l->loaded.sources, l->loaded.program);
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  if (!spec.ok()) return l;
  l->spec = std::move(spec).value();
  Status st = l->host->Bind(*l->spec);
  EXPECT_TRUE(st.ok()) << st.message();
  return l;
}

// Runs the program forward; returns what it printed, then "stop: <message>" if
// it stopped on an error.
std::string RunForward(Loaded& l) {
  engine::ForwardSession session(engine::ReteNetwork::Compile(l.spec));
  std::ostringstream out;
  session.set_output(&out);
  session.set_host(l.host.get());
  l.host->set_output(&out);
  EXPECT_TRUE(session.AssertProgramFacts().ok());
  engine::RunResult r = session.Run();
  if (r.reason == engine::StopReason::kError) out << "stop: " << r.message << "\n";
  return out.str();
}

// The facts of `relation` after a forward run, as "a, b" lines.
std::set<std::string> FactsAfterRun(Loaded& l, const std::string& relation) {
  engine::ForwardSession session(engine::ReteNetwork::Compile(l.spec));
  session.set_host(l.host.get());
  EXPECT_TRUE(session.AssertProgramFacts().ok());
  engine::RunResult r = session.Run();
  EXPECT_NE(r.reason, engine::StopReason::kError) << r.message;
  std::set<std::string> out;
  auto id = l.spec->FindRelation(relation);
  EXPECT_TRUE(id.has_value()) << relation;
  if (!id) return out;
  const engine::Relation& rel = session.memory().at(*id);
  rel.ForEach([&](engine::FactId f) {
    std::string line;
    for (const engine::Value& v : rel.row(f)) line += (line.empty() ? "" : ", ") + v.ToString();
    out.insert(line);
  });
  return out;
}

// Answers of a goal by backward chaining, as "X = a, Y = b" lines; an error
// as "error: <message>".
std::set<std::string> Solve(Loaded& l, const std::string& goal) {
  rules::Diagnostics diags;
  auto q = rules::CompileQuery(l.loaded, goal, diags);
  EXPECT_NE(q, nullptr) << rules::RenderAll(l.loaded.sources, diags);
  std::set<std::string> out;
  if (!q) return out;
  engine::WorkingMemory memory;
  EXPECT_TRUE(engine::LoadProgram(*q->spec, memory).ok());
  engine::SolverOptions options;
  options.host = l.host.get();
  engine::Solver solver(q->spec, memory, options);
  std::vector<engine::Value> call(q->spec->relations[q->relation].columns.size());
  EXPECT_TRUE(solver.Open(q->relation, call).ok());
  engine::Answer a;
  while (true) {
    auto more = solver.Next(&a);
    if (!more.ok()) {
      out.insert("error: " + more.status().message());
      break;
    }
    if (!*more) break;
    std::string line;
    for (std::size_t i = 0; i < a.row.size(); ++i) {
      line += (i ? ", " : "") + q->variables[i] + " = " + a.row[i].ToString();
    }
    out.insert(line.empty() ? "yes" : line);
  }
  return out;
}

TEST(LuaPack, DeclaresRelationsFactsAndRules) {
  auto l = Load(R"lua(
    syllo.relation("parent(p: symbol, c: symbol)")
    syllo.relation("relation ancestor(a: symbol, d: symbol).")
    syllo.fact("parent", "ann", "bob")
    syllo.facts("parent", { {"bob", "cy"}, {"cy", "dee"} })
    syllo.rule("ancestor(X, Y) :- parent(X, Y).")
    syllo.rule{ head = "ancestor(X, Z)", body = { {"parent", "X", "Y"}, "ancestor(Y, Z)" } }
  )lua");
  ASSERT_EQ(l->errors, "");
  EXPECT_EQ(l->loaded.program.relations.size(), 2u);
  EXPECT_EQ(l->loaded.program.facts.size(), 3u);
  EXPECT_EQ(l->loaded.program.rules.size(), 2u);
  EXPECT_EQ(rules::Print(l->loaded.program.rules[1].body[0]), "parent(X, Y)");
  EXPECT_EQ(Solve(*l, "ancestor(ann, X)"), (std::set<std::string>{"X = bob", "X = cy", "X = dee"}));
  EXPECT_EQ(FactsAfterRun(*l, "ancestor").size(), 6u);
}

// The same program written as .syl and as a Lua pack gives the same answers
// and the same printed output.
TEST(LuaPack, SameProgramAsSylAndAsLua) {
  const std::string syl = R"syl(
    pragma semantics mycin.
    relation applicant(id: symbol, age: int, income: float).
    relation risky(id: symbol).
    relation flagged(id: symbol).
    applicant(ann, 19, 12000.0).
    applicant(bob, 45, 88000.0) cf 0.9.
    applicant(cy, 20, 30000.0).
    risky(A) cf 0.8 :- applicant(A, Age, Inc), Age < 21, Inc < 15000.0.
    risky(A) cf 0.3 :- applicant(A, Age, _), Age < 25.
    rule flag salience 5 when risky(A) @ C, C > 0.5, not flagged(A)
      then assert flagged(A); print("flagged {A} at {C}").
  )syl";
  const std::string lua = R"lua(
    syllo.pragma("semantics", "mycin")
    syllo.relation("applicant(id: symbol, age: int, income: float)")
    syllo.relation("risky(id: symbol)")
    syllo.relation("flagged(id: symbol)")
    syllo.fact("applicant", "ann", 19, 12000.0)
    syllo.fact("applicant", "bob", 45, 88000.0, {cf = 0.9})
    syllo.fact("applicant(cy, 20, 30000.0).")
    syllo.rule{ head = "risky(A)", cf = 0.8, body = { {"applicant", "A", "Age", "Inc"}, "Age < 21", "Inc < 15000.0" } }
    syllo.rule("risky(A) cf 0.3 :- applicant(A, Age, _), Age < 25.")
    syllo.production{ name = "flag", salience = 5, when = "risky(A) @ C, C > 0.5, not flagged(A)",
                      ["then"] = { "assert flagged(A)", 'print("flagged {A} at {C}")' } }
  )lua";
  auto from_lua = Load(lua);
  ASSERT_EQ(from_lua->errors, "");
  auto from_syl = std::make_unique<Loaded>();
  rules::LoadText("same.syl", syl, from_syl->loaded);
  rules::Check(from_syl->loaded.sources, from_syl->loaded.program, from_syl->loaded.diagnostics);
  ASSERT_FALSE(from_syl->loaded.diagnostics.has_errors());
  from_syl->spec = rules::Lower(from_syl->loaded.sources, from_syl->loaded.program).value();
  from_syl->host = std::make_unique<PackHost>(PackOptions{});
  ASSERT_TRUE(from_syl->host->Bind(*from_syl->spec).ok());
  EXPECT_EQ(rules::Print(from_lua->loaded.program), rules::Print(from_syl->loaded.program));
  EXPECT_EQ(RunForward(*from_lua), RunForward(*from_syl));
  EXPECT_EQ(RunForward(*from_lua), "flagged ann at 0.86\n");
  EXPECT_EQ(Solve(*from_lua, "risky(X) @ C"), Solve(*from_syl, "risky(X) @ C"));
}

TEST(LuaPack, TestPredicateInBothChainers) {
  auto l = Load(R"lua(
    syllo.relation("point(id: symbol, x: float)")
    syllo.relation("close(a: symbol, b: symbol)")
    syllo.facts("point", { {"a", 1.0}, {"b", 1.5}, {"c", 9.0} })
    syllo.predicate("near(x: float, y: float)", function(x, y) return math.abs(x - y) < 1 end)
    syllo.rule("close(A, B) :- point(A, X), point(B, Y), A != B, near(X, Y).")
  )lua");
  ASSERT_EQ(l->errors, "");
  EXPECT_EQ(FactsAfterRun(*l, "close"), (std::set<std::string>{"a, b", "b, a"}));
  EXPECT_EQ(Solve(*l, "close(a, Y)"), (std::set<std::string>{"Y = b"}));
  EXPECT_EQ(Solve(*l, "point(P, X), near(X, 9.5)"), (std::set<std::string>{"P = c, X = 9.0"}));
  EXPECT_EQ(Solve(*l, "point(P, X), not near(X, 1.2)"), (std::set<std::string>{"P = c, X = 9.0"}));
  EXPECT_GT(l->host->calls(), 0u);
}

TEST(LuaPack, GeneratorPredicatesYieldRows) {
  auto l = Load(R"lua(
    syllo.relation("word(w: string)")
    syllo.relation("letter(w: string, i: int, c: string)")
    syllo.relation("halves(w: string, h: float)")
    syllo.facts("word", { {"ab"}, {"xyz"} })
    -- a list of rows
    syllo.predicate("letters(w: string) -> (i: int, c: string)", function(w)
      local rows = {}
      for i = 1, #w do rows[i] = { i, w:sub(i, i) } end
      return rows
    end)
    -- an iterator, one output: rows are the values alone
    syllo.predicate("upto(n: int) -> (k: int)", function(n)
      local k = 0
      return function() k = k + 1; if k <= n then return k end end
    end)
    syllo.rule("letter(W, I, C) :- word(W), letters(W, I, C).")
    syllo.rule("halves(W, H) :- word(W), N = strlen(W), upto(N, K), H = to_float(K) / 2.0.")
  )lua");
  ASSERT_EQ(l->errors, "");
  EXPECT_EQ(FactsAfterRun(*l, "letter"),
            (std::set<std::string>{"\"ab\", 1, \"a\"", "\"ab\", 2, \"b\"", "\"xyz\", 1, \"x\"", "\"xyz\", 2, \"y\"",
                                   "\"xyz\", 3, \"z\""}));
  EXPECT_EQ(Solve(*l, "letters(\"hi\", I, C)"), (std::set<std::string>{"I = 1, C = \"h\"", "I = 2, C = \"i\""}));
  // A bound output is a test: only the rows that agree.
  EXPECT_EQ(Solve(*l, "letters(\"hih\", I, \"h\")"), (std::set<std::string>{"I = 1", "I = 3"}));
  EXPECT_EQ(FactsAfterRun(*l, "halves").size(), 5u);
  EXPECT_EQ(Solve(*l, "upto(3, K)"), (std::set<std::string>{"K = 1", "K = 2", "K = 3"}));
}

TEST(LuaPack, ActionsUseTheSession) {
  auto l = Load(R"lua(
    syllo.relation("counter(n: int)")
    syllo.relation("seen(n: int)")
    syllo.relation("done()")
    syllo.fact("counter", 0)
    syllo.production{ name = "step", when = "counter(N), N < 3", ["then"] = function(s, v)
      s:print("at", v.N)
      assert(s:retract("counter", {v.N}))
      assert(not s:retract("counter", {99}))
      s:assert("counter", {v.N + 1})
      s:assert("seen", {v.N}, 0.5)
    end }
    syllo.production{ name = "finish", when = "counter(3)", ["then"] = function(s, v)
      local rows = s:query("seen")
      table.sort(rows, function(a, b) return a[1] < b[1] end)
      for _, r in ipairs(rows) do s:print("seen", r[1], r.cf) end
      s:print("with 2:", #s:query("seen", {2}))
      s:assert("done", {})
      s:halt()
    end }
    syllo.production{ name = "never", when = "done", ["then"] = 'print("after halt")' }
  )lua");
  ASSERT_EQ(l->errors, "");
  EXPECT_EQ(RunForward(*l), "at 0\nat 1\nat 2\nseen 0 0.5\nseen 1 0.5\nseen 2 0.5\nwith 2: 1\n");
}

TEST(LuaPack, ActionsSeeTheRulesVariables) {
  auto l = Load(R"lua(
    syllo.relation("order(id: symbol, qty: int, price: float, note: string, rush: bool)")
    syllo.fact("order", "o1", 3, 2.5, "fragile", true)
    syllo.production{ name = "show", when = "order(Id, Q, P, Note, Rush), Total = to_float(Q) * P",
      ["then"] = function(s, v)
        s:print(v.Id, math.type(v.Q), v.Q, v.P, v.Note, tostring(v.Rush), v.Total)
      end }
  )lua");
  ASSERT_EQ(l->errors, "");
  EXPECT_EQ(RunForward(*l), "o1 integer 3 2.5 fragile true 7.5\n");
}

TEST(LuaPack, ErrorsInsidePredicatesStopTheRunWithTheirPlace) {
  auto l = Load(R"lua(
    syllo.relation("n(v: int)")
    syllo.relation("odd(v: int)")
    syllo.facts("n", { {1}, {2}, {3} })
    syllo.predicate("is_odd(v: int)", function(v)
      if v == 3 then error("three is not allowed") end
      return v % 2 == 1
    end)
    syllo.rule("odd(V) :- n(V), is_odd(V).")
  )lua");
  ASSERT_EQ(l->errors, "");
  std::string out = RunForward(*l);
  EXPECT_NE(out.find("stop: predicate 'is_odd' (pack.lua:5:"), std::string::npos) << out;
  EXPECT_NE(out.find("pack.lua:6: three is not allowed"), std::string::npos) << out;
  std::set<std::string> answers = Solve(*l, "odd(V)");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_NE(answers.begin()->find("error: predicate 'is_odd'"), std::string::npos) << *answers.begin();
  // The state is healthy: a call that does not fail still works.
  EXPECT_EQ(Solve(*l, "is_odd(1)"), (std::set<std::string>{"yes"}));
}

TEST(LuaPack, ErrorsInsideActionsStopTheRun) {
  auto l = Load(R"lua(
    syllo.relation("go()")
    syllo.fact("go")
    syllo.production{ name = "boom", when = "go", ["then"] = function(s, v) s:assert("nope", {}) end }
  )lua");
  ASSERT_EQ(l->errors, "");
  std::string out = RunForward(*l);
  EXPECT_NE(out.find("stop: rule boom"), std::string::npos) << out;
  EXPECT_NE(out.find("unknown relation 'nope'"), std::string::npos) << out;
}

TEST(LuaPack, WrongOutputTypesNameTheOutput) {
  auto l = Load(R"lua(
    syllo.relation("r(x: int)")
    syllo.fact("r", 1)
    syllo.predicate("twice(x: int) -> (y: int)", function(x) return { "two" } end)
    syllo.predicate("bad(x: int) -> (y: int)", function(x) return 42 end)
  )lua");
  ASSERT_EQ(l->errors, "");
  std::set<std::string> a = Solve(*l, "r(X), twice(X, Y)");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_NE(a.begin()->find("output 1 (y) of row 1 must be int, got a string"), std::string::npos) << *a.begin();
  a = Solve(*l, "r(X), bad(X, Y)");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_NE(a.begin()->find("must return a list of rows or an iterator, got number"), std::string::npos)
      << *a.begin();
}

TEST(LuaPack, BudgetsStopARunawayPredicateAndTheHostGoesOn) {
  PackOptions options;
  options.budget.instructions = 100000;
  auto l = Load(R"lua(
    syllo.relation("r(x: int)")
    syllo.relation("s(x: int)")
    syllo.facts("r", { {1}, {2} })
    syllo.predicate("spin(x: int)", function(x)
      if x == 2 then while true do end end
      return true
    end)
    syllo.rule("s(X) :- r(X), spin(X).")
  )lua", options);
  ASSERT_EQ(l->errors, "");
  std::string out = RunForward(*l);
  EXPECT_NE(out.find("stop: predicate 'spin'"), std::string::npos) << out;
  EXPECT_NE(out.find("pack.lua:6: instruction budget exceeded: more than 100000 instructions"), std::string::npos)
      << out;
  EXPECT_EQ(Solve(*l, "spin(1)"), (std::set<std::string>{"yes"}));
}

TEST(LuaPack, RuleStringErrorsPointIntoThePack) {
  auto l = Load("syllo.relation(\"p(x: int)\")\n"
                "syllo.rule{ head = \"q(X)\", body = { \"p(X)\", \"X >> 1\" } }\n"
                "syllo.rule(\"q(X) :- p(X), r(X).\")\n");
  EXPECT_NE(l->errors.find("pack.lua:2:49: error: expected an expression"), std::string::npos) << l->errors;
  EXPECT_NE(l->errors.find("pack.lua:3:13: error: unknown relation 'q'"), std::string::npos) << l->errors;
  EXPECT_NE(l->errors.find("pack.lua:3:27: error: unknown relation 'r'"), std::string::npos) << l->errors;
}

TEST(LuaPack, LuaErrorsAndBadArgumentsBecomeDiagnostics) {
  auto l = Load("syllo.relation(\"p(x: int)\")\nlocal t = nil\nt.x = 1\n");
  EXPECT_NE(l->errors.find("pack.lua:3:1: error: attempt to index a nil value"), std::string::npos) << l->errors;
  l = Load("syllo.rule(42)\n");
  EXPECT_NE(l->errors.find("pack.lua:1:1: error:"), std::string::npos) << l->errors;
  l = Load("syllo.production{ when = 'p(X)' }\n");
  EXPECT_NE(l->errors.find("needs a name"), std::string::npos) << l->errors;
  l = Load("syllo.predicate('p(x: tensor[2])', function() end)\n");
  EXPECT_NE(l->errors.find("cannot take or give a tensor"), std::string::npos) << l->errors;
  l = Load("syllo.relation(\"p(x: int)\")\nsyllo.predicate('q(x: int)', function() end)\nsyllo.fact('q', 1)\n"
           "syllo.rule('q(X) :- p(X).')\n");
  EXPECT_NE(l->errors.find("'q' is a Lua predicate: it has no facts"), std::string::npos) << l->errors;
  EXPECT_NE(l->errors.find("'q' is a Lua predicate: rules cannot conclude it"), std::string::npos) << l->errors;
  l = Load("syllo.relation(\"p(x: int)\")\nsyllo.predicate('q(x: int) -> (y: int)', function() end)\n"
           "syllo.query('q(X, Y)')\n");
  EXPECT_NE(l->errors.find("'X' is not bound"), std::string::npos) << l->errors;
}

TEST(LuaPack, QuestionsPragmasQueriesAndModels) {
  auto l = Load(R"lua(
    syllo.relation("car(c: symbol)")
    syllo.relation("fuel(c: symbol, level: symbol)")
    syllo.relation("fragile(c: symbol)")
    syllo.relation("mileage(c: symbol, m: int)")
    syllo.relation("weird(c: symbol)")
    syllo.ask("fuel(C, L)", "How much fuel does {C} have?", {one_of = {"empty", "low", "full"}})
    syllo.ask("fragile(C)", "Is {C} fragile?")
    syllo.ask("mileage(C, M)", "Mileage of {C}?", {number = {0, 1000000}})
    syllo.ask('ask weird(C) "Is {C} weird?" yes_no.')
    syllo.query("fuel(C, L)")
    syllo.model("model digits : mlp { epochs = 1 }.")
    syllo.neural("neural digit(x: float) -> d in {zero, one} using digits")
  )lua");
  ASSERT_EQ(l->errors, "");
  ASSERT_EQ(l->loaded.program.asks.size(), 4u);
  EXPECT_EQ(l->loaded.program.asks[0].kind, rules::AskKind::kOneOf);
  EXPECT_EQ(l->loaded.program.asks[0].choices.size(), 3u);
  EXPECT_EQ(l->loaded.program.asks[2].kind, rules::AskKind::kNumber);
  EXPECT_EQ(*l->loaded.program.asks[2].max, 1000000.0);
  EXPECT_EQ(l->loaded.program.queries.size(), 1u);
  EXPECT_EQ(l->loaded.program.models.size(), 1u);
  EXPECT_EQ(l->loaded.program.neurals.size(), 1u);
}

TEST(LuaPack, IncludesSylFilesAndOtherPacks) {
  auto dir = std::filesystem::temp_directory_path() / ("syllo-pack-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "sub" / "base.syl") << "relation p(x: int).\np(1).\n";
  std::ofstream(dir / "sub" / "more.lua") << "syllo.include('base.syl')\nsyllo.fact('p', 2)\n";
  std::ofstream(dir / "main.lua") << "syllo.include('sub/more.lua')\nsyllo.include('sub/base.syl')\n"
                                     "syllo.relation('q(x: int)')\nsyllo.rule('q(X) :- p(X), X > 1.')\n";
  std::ofstream(dir / "loop.lua") << "syllo.include('loop.lua')\n";
  {
    auto l = std::make_unique<Loaded>();
    l->host = std::make_unique<PackHost>(PackOptions{});
    l->host->LoadPack((dir / "main.lua").string(), l->loaded);
    rules::Check(l->loaded.sources, l->loaded.program, l->loaded.diagnostics);
    EXPECT_FALSE(l->loaded.diagnostics.has_errors()) << rules::RenderAll(l->loaded.sources, l->loaded.diagnostics);
    EXPECT_EQ(l->loaded.program.facts.size(), 2u);  // base.syl read once
  }
  {
    auto l = std::make_unique<Loaded>();
    l->host = std::make_unique<PackHost>(PackOptions{});
    l->host->LoadPack((dir / "loop.lua").string(), l->loaded);
    std::string errors = rules::RenderAll(l->loaded.sources, l->loaded.diagnostics);
    EXPECT_NE(errors.find("include cycle"), std::string::npos) << errors;
  }
  std::filesystem::remove_all(dir);
}

TEST(LuaPack, SourceTakesWholeSylText) {
  auto l = Load("syllo.source([[\n  relation p(x: int).\n  p(1). p(2).\n  ?- p(X).\n]])\n"
                "syllo.source('p(x).')\n");
  EXPECT_NE(l->errors.find("pack.lua:6:17: error: type mismatch"), std::string::npos) << l->errors;
  EXPECT_EQ(l->loaded.program.facts.size(), 3u);
}

}  // namespace
}  // namespace syllo::scripting

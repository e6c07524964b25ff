// Explanations through the rule language: `how` (proof trees with rules,
// certainties, facts and the user's replies), `whynot` (the condition each rule
// fails at), `why` at a question (the goal stack) and question texts.
#include "engine/explain.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "rules/checker.h"
#include "rules/loader.h"
#include "rules/query_compiler.h"

namespace syllo::engine {
namespace {

Value S(std::string_view s) { return Value::MakeSymbol(s); }

// A program loaded and checked once; Compile() builds a working memory and a
// solver for one goal, and Run() drains that goal (a consultation).
class Harness {
 public:
  explicit Harness(const std::string& text) {
    rules::LoadText("test.syl", text, loaded_);
    rules::Check(loaded_.sources, loaded_.program, loaded_.diagnostics);
    ok_ = !loaded_.diagnostics.has_errors();
    EXPECT_TRUE(ok_) << rules::RenderAll(loaded_.sources, loaded_.diagnostics);
  }

  bool Compile(const std::string& goal, SolverOptions options = {}) {
    solver.reset();
    memory.reset();
    if (!ok_) return false;
    rules::Diagnostics diags;
    query = rules::CompileQuery(loaded_, goal, diags);
    EXPECT_NE(query, nullptr) << rules::RenderAll(loaded_.sources, diags);
    if (query == nullptr) return false;
    spec = query->spec;
    memory = std::make_unique<WorkingMemory>();
    EXPECT_TRUE(LoadProgram(*spec, *memory).ok());
    solver = std::make_unique<Solver>(spec, *memory, std::move(options));
    return true;
  }

  // Opens the compiled goal and counts its answers (-1 on an error).
  int Run() {
    Status s = solver->Open(query->relation, std::vector<Value>(query->variables.size()));
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return -1;
    int n = 0;
    Answer a;
    for (;;) {
      auto more = solver->Next(&a);
      EXPECT_TRUE(more.ok()) << more.status().ToString();
      if (!more.ok()) return -1;
      if (!*more) return n;
      ++n;
    }
  }

  RelationId Rel(const std::string& name) const {
    auto r = spec->FindRelation(name);
    EXPECT_TRUE(r.has_value()) << name;
    return r.value_or(0);
  }

  std::string How(const std::string& relation, std::vector<Value> call) {
    auto text = ExplainHow(*solver, Rel(relation), call);
    EXPECT_TRUE(text.ok()) << text.status().ToString();
    return text.ok() ? *text : "";
  }
  std::string WhyNot(const std::string& relation, std::vector<Value> call) {
    auto text = ExplainWhyNot(*solver, Rel(relation), call);
    EXPECT_TRUE(text.ok()) << text.status().ToString();
    return text.ok() ? *text : "";
  }

  std::unique_ptr<rules::CompiledQuery> query;
  std::shared_ptr<const ProgramSpec> spec;
  std::unique_ptr<WorkingMemory> memory;
  std::unique_ptr<Solver> solver;

 private:
  rules::LoadedProgram loaded_;
  bool ok_ = false;
};

SolverOptions WithAsker(Asker* asker) {
  SolverOptions options;
  options.asker = asker;
  return options;
}

class ScriptedAsker : public Asker {
 public:
  Result<Reply> Ask(const Question& q, const WhyFunction& why) override {
    questions.push_back(q.text);
    if (on_ask) on_ask(q, why);
    if (replies.empty()) {
      ADD_FAILURE() << "unexpected question: " << q.text;
      return Status::Cancelled("no scripted reply");
    }
    Reply r = replies.front();
    replies.pop_front();
    return r;
  }
  std::vector<std::string> questions;
  std::deque<Reply> replies;
  std::function<void(const Question&, const WhyFunction&)> on_ask;
};

#define EXPECT_HAS(text, part) \
  EXPECT_NE((text).find(part), std::string::npos) << "missing \"" << (part) << "\" in:\n" << (text)

std::size_t Count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

const char* kBattery = R"(
pragma semantics mycin.
relation car(c: symbol).
relation cold(c: symbol).
relation old_battery(c: symbol).
relation slow_crank(c: symbol).
relation battery_weak(c: symbol).
ask slow_crank(C) "Does {C} crank slowly?" yes_no.
car(car1).
cold(car1) cf 0.8.
old_battery(car1) cf 0.5.
battery_weak(C) cf 0.6 :- car(C), cold(C), slow_crank(C).
battery_weak(C) cf 0.4 :- car(C), old_battery(C).
)";

TEST(Explain, HowShowsRulesCertaintiesFactsAndTheUsersReply) {
  Harness h(kBattery);
  ScriptedAsker asker;
  asker.replies.push_back({Reply::Kind::kYes, Value(), 0.9});
  ASSERT_TRUE(h.Compile("battery_weak(car1)", WithAsker(&asker)));
  ASSERT_EQ(h.Run(), 1);
  std::string how = h.How("battery_weak", {S("car1")});
  // 0.8 * 0.6 = 0.48 and 0.5 * 0.4 = 0.2 combine to 0.584.
  EXPECT_HAS(how, "battery_weak(car1)  cf 0.584");
  EXPECT_HAS(how, "by rule battery_weak#1 (test.syl:");
  EXPECT_HAS(how, "body 0.8, rule cf 0.6");
  EXPECT_HAS(how, "by rule battery_weak#2 (test.syl:");
  EXPECT_HAS(how, "body 0.5, rule cf 0.4");
  EXPECT_HAS(how, "car(car1)  cf 1  [fact]");
  EXPECT_HAS(how, "cold(car1)  cf 0.8  [fact]");
  EXPECT_HAS(how, "old_battery(car1)  cf 0.5  [fact]");
  EXPECT_HAS(how, "slow_crank(car1)  cf 0.9  [your answer]");
  EXPECT_EQ(asker.questions.size(), 1u);  // explaining asks nothing more
  // A free goal explains every answer that counts.
  std::string free = h.How("battery_weak", {Value()});
  EXPECT_HAS(free, "battery_weak(car1)  cf 0.584");
}

TEST(Explain, HowOfAGoalThatDoesNotHoldSaysSo) {
  Harness h(kBattery);
  ScriptedAsker asker;
  asker.replies.push_back({Reply::Kind::kNo, Value(), 1.0});
  ASSERT_TRUE(h.Compile("slow_crank(car1)", WithAsker(&asker)));
  ASSERT_EQ(h.Run(), 0);  // known, with cf -1: it does not count
  std::string how = h.How("slow_crank", {S("car1")});
  EXPECT_HAS(how, "slow_crank(car1) is not established");
  std::string why = h.WhyNot("slow_crank", {S("car1")});
  EXPECT_HAS(why, "slow_crank(car1) is known with cf -1 (your answer)");
  EXPECT_HAS(why, "it is asked of the user");
  EXPECT_EQ(asker.questions.size(), 1u);
}

const char* kCycle = R"(
pragma semantics boolean.
relation edge(a: symbol, b: symbol).
relation path(a: symbol, b: symbol).
edge(a, b). edge(b, c). edge(c, a). edge(c, d).
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
)";

TEST(Explain, HowTerminatesOnARecursiveProgram) {
  Harness h(kCycle);
  ASSERT_TRUE(h.Compile("path(X, Y)"));
  ASSERT_EQ(h.Run(), 3 * 4);
  std::string how = h.How("path", {S("a"), S("a")});
  EXPECT_HAS(how, "path(a, a)\n");
  EXPECT_HAS(how, "by rule path#");
  EXPECT_HAS(how, "edge(c, a)  [fact]");
  EXPECT_EQ(how.find("cf "), std::string::npos) << how;  // no certainties under boolean
  EXPECT_EQ(Count(how, "path(a, a)"), 1u) << how;
  std::string all = h.How("path", {S("a"), Value()});
  for (const char* goal : {"path(a, a)", "path(a, b)", "path(a, c)", "path(a, d)"}) EXPECT_HAS(all, goal);
}

const char* kWhyNot = R"(
pragma semantics boolean.
relation p(x: symbol).
relation q(x: symbol).
relation r(x: symbol).
relation s(x: symbol).
relation goal(x: symbol).
p(a). r(a). p(b). q(b).
goal(X) :- p(X), q(X).
goal(X) :- r(X), s(X), p(X).
)";

TEST(Explain, WhyNotNamesTheFailingConditionOfEachRule) {
  Harness h(kWhyNot);
  ASSERT_TRUE(h.Compile("goal(X)"));
  ASSERT_EQ(h.Run(), 1);
  std::string why = h.WhyNot("goal", {S("a")});
  EXPECT_HAS(why, "goal(a) is not established");
  EXPECT_HAS(why, "rule goal#1 (test.syl:");
  EXPECT_HAS(why, "fails at condition 2: q(a)");
  EXPECT_HAS(why, "condition 1 held: p(a)");
  EXPECT_HAS(why, "rule goal#2 (test.syl:");
  EXPECT_HAS(why, "fails at condition 2: s(a)");
  EXPECT_HAS(why, "condition 1 held: r(a)");
  std::string none = h.WhyNot("goal", {S("c")});
  EXPECT_HAS(none, "fails at condition 1: p(c)");
  EXPECT_HAS(none, "fails at condition 1: r(c)");
  std::string holds = h.WhyNot("goal", {S("b")});
  EXPECT_HAS(holds, "goal(b) holds");
  std::string fact = h.WhyNot("q", {S("a")});
  EXPECT_HAS(fact, "No rule concludes q, and no fact matches");
}

TEST(Explain, WhyNotReportsTheThreshold) {
  Harness h(R"(
pragma semantics mycin.
pragma threshold 0.5.
relation e(x: symbol).
relation h(x: symbol).
e(a) cf 0.9.
h(X) cf 0.5 :- e(X).
)");
  ASSERT_TRUE(h.Compile("h(X)"));
  ASSERT_EQ(h.Run(), 0);
  std::string why = h.WhyNot("h", {S("a")});
  EXPECT_HAS(why, "h(a) is not established");
  EXPECT_HAS(why, "h(a) is known with cf 0.45");
  EXPECT_HAS(why, "does not pass the threshold 0.5");
  EXPECT_HAS(why, "its conditions hold");
}

TEST(Explain, WhyAtAQuestionShowsTheRuleTheConditionAndTheUsersGoal) {
  Harness h(kBattery);
  ScriptedAsker asker;
  std::string captured, from_why;
  asker.on_ask = [&](const Question&, const WhyFunction& why) {
    captured = FormatWhy(*h.spec, h.solver->GoalStack());
    from_why = why();
  };
  asker.replies.push_back({Reply::Kind::kYes, Value(), 1.0});
  ASSERT_TRUE(h.Compile("battery_weak(car1)", WithAsker(&asker)));
  ASSERT_EQ(h.Run(), 1);
  ASSERT_EQ(asker.questions, (std::vector<std::string>{"Does car1 crank slowly?"}));
  EXPECT_HAS(captured, "I am trying to find out whether slow_crank(car1)");
  EXPECT_HAS(captured, "condition 3 of rule battery_weak#1 (test.syl:");
  EXPECT_HAS(captured, "cold(car1)   [known]");
  EXPECT_HAS(captured, "slow_crank(car1)   <- this one");
  EXPECT_HAS(captured, "then battery_weak(car1)");
  EXPECT_HAS(captured, "the goal you asked: battery_weak(car1)");
  EXPECT_EQ(captured, from_why);
}

TEST(Explain, WhyAtAQuestionTwoRulesDeep) {
  Harness h(std::string(kBattery) + R"(
relation no_start(c: symbol).
no_start(C) cf 0.7 :- battery_weak(C).
)");
  ScriptedAsker asker;
  std::string captured;
  asker.on_ask = [&](const Question&, const WhyFunction& why) { captured = why(); };
  asker.replies.push_back({Reply::Kind::kYes, Value(), 1.0});
  ASSERT_TRUE(h.Compile("no_start(X)", WithAsker(&asker)));
  ASSERT_EQ(h.Run(), 1);
  EXPECT_HAS(captured, "condition 3 of rule battery_weak#1");
  // no_start(X) calls battery_weak with its argument free.
  EXPECT_HAS(captured, "which would help to establish battery_weak(_)");
  EXPECT_HAS(captured, "condition 1 of rule no_start#1");
  EXPECT_HAS(captured, "the goal you asked: no_start(_)");
}

// The user's goal is shown as typed, never as the internal query relation.
TEST(Explain, WhyAtAQuestionOfAMultiGoalQueryDoesNotShowTheInternalQueryRelation) {
  Harness h(kBattery);
  ScriptedAsker asker;
  std::string captured;
  asker.on_ask = [&](const Question&, const WhyFunction& why) { captured = why(); };
  asker.replies.push_back({Reply::Kind::kYes, Value(), 1.0});
  ASSERT_TRUE(h.Compile("car(C), slow_crank(C)", WithAsker(&asker)));
  ASSERT_EQ(h.Run(), 1);
  EXPECT_HAS(captured, "I am trying to find out whether slow_crank(car1)");
  EXPECT_HAS(captured, "condition 2 of your query");
  EXPECT_HAS(captured, "the goal you asked");
  EXPECT_EQ(captured.find("$query"), std::string::npos) << captured;
}

TEST(Explain, FillQuestionSubstitutesVariables) {
  AskSpec ask;
  ask.question = "Is {G} fragile? ({Other}) {G}!";
  ask.arg_names = {"G"};
  ProgramSpec program;
  EXPECT_EQ(FillQuestion(program, ask, std::vector<Value>{S("vase")}), "Is vase fragile? ({Other}) vase!");
  EXPECT_EQ(FillQuestion(program, ask, std::vector<Value>{Value::MakeString("big vase")}),
            "Is big vase fragile? ({Other}) big vase!");
  EXPECT_EQ(FillQuestion(program, ask, std::vector<Value>{Value::Int(3)}), "Is 3 fragile? ({Other}) 3!");
  // From a declaration: the key is every argument but the answer.
  Harness h(R"(
relation fuel(car: symbol, level: symbol).
ask fuel(Car, L) "How much fuel does {Car} have ({L})?" one_of {empty, full}.
)");
  ASSERT_TRUE(h.Compile("fuel(car1, L)"));
  ASSERT_EQ(h.spec->asks.size(), 1u);
  EXPECT_EQ(FillQuestion(*h.spec, h.spec->asks[0], std::vector<Value>{S("car1")}),
            "How much fuel does car1 have ({L})?");
}

}  // namespace
}  // namespace syllo::engine

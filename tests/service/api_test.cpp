// The embedding API as an application uses it: load, decide, consult, explain.
#include <gtest/gtest.h>

#include <thread>

#include "engine/symbol_table.h"
#include "syllo/syllo.h"

namespace syllo {
namespace {

std::string SourceDir() {
  const char* env = std::getenv("SYLLO_SOURCE_DIR");
  return env != nullptr ? env : SYLLO_SOURCE_DIR_DEFAULT;
}

constexpr const char* kOrders = R"(
relation order(id: string, amount: int, country: symbol).
relation risky(country: symbol).
relation flagged(id: string, reason: symbol).
relation approved(id: string).
relation counter(n: int).

risky(xx).
flagged(Id, big) :- order(Id, A, _), A > 1000.
flagged(Id, country) :- order(Id, _, C), risky(C).
approved(Id) :- order(Id, _, _), not flagged(Id, _).

rule spin when counter(N) as F then modify F (n = N + 1).
)";

Program Load(const std::string& text, const std::string& name = "orders.syl") {
  auto program = Program::FromText(text, name);
  EXPECT_TRUE(program.ok()) << program.status().message();
  return *program;
}

TEST(ProgramTest, DescribesItsRelations) {
  Program p = Load(kOrders);
  const RelationInfo* order = p.FindRelation("order");
  ASSERT_NE(order, nullptr);
  ASSERT_EQ(order->columns.size(), 3u);
  EXPECT_EQ(order->columns[1].name, "amount");
  EXPECT_EQ(order->columns[1].type, "int");
  EXPECT_FALSE(order->derived);
  EXPECT_TRUE(p.FindRelation("flagged")->derived);
  EXPECT_EQ(p.FindRelation("nope"), nullptr);
  EXPECT_FALSE(p.version().empty());
  EXPECT_EQ(Load(kOrders).version(), p.version());
  EXPECT_NE(Load(std::string(kOrders) + "risky(yy).\n").version(), p.version());
}

TEST(ProgramTest, ErrorsCarryEveryDiagnosticWithItsPlace) {
  auto p = Program::FromText("relation a(x: int).\nb(X) :- a(X).\n", "bad.syl");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find("bad.syl:2:1"), std::string::npos) << p.status().message();
  auto missing = Program::FromFiles({"/nonexistent/pack.syl"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/pack.syl"), std::string::npos);
}

TEST(SessionTest, DecidesAndReadsDerivedFacts) {
  Program p = Load(kOrders);
  Session s(p);
  ASSERT_TRUE(s.Assert("order", {Value::String("o1"), Value::Int(5000), Value::String("de")}).ok());
  ASSERT_TRUE(s.Assert("order", {Value::String("o2"), Value::Int(10), Value::Symbol("xx")}).ok());
  ASSERT_TRUE(s.Assert("order", {Value::String("o3"), Value::Int(10), Value::Symbol("de")}).ok());
  auto run = s.Run();
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->stop, "agenda_empty");
  auto approved = s.Facts("approved");
  ASSERT_TRUE(approved.ok());
  ASSERT_EQ(approved->size(), 1u);
  EXPECT_EQ((*approved)[0].values[0], Value::String("o3"));
  auto flagged = s.Facts("flagged");
  ASSERT_EQ(flagged->size(), 2u);
  // A string given for a symbol column is that symbol.
  EXPECT_EQ((*flagged)[1].values[1], Value::Symbol("country"));

  auto why = s.Explain((*flagged)[1]);
  ASSERT_TRUE(why.ok()) << why.status().message();
  EXPECT_EQ(why->source, Explanation::Source::kRule);
  EXPECT_EQ(why->rule, "flagged#2");
  EXPECT_EQ(why->location, "orders.syl:10:1");
  ASSERT_EQ(why->premises.size(), 2u);
  EXPECT_EQ(why->premises[0].fact, "order(\"o2\", 10, xx)");
  EXPECT_EQ(why->premises[1].source, Explanation::Source::kFact);
  EXPECT_NE(why->ToText().find("[by rule flagged#2"), std::string::npos);

  auto rules = s.ConcludingRules();
  EXPECT_NE(std::find(rules.begin(), rules.end(), "approved#1"), rules.end());
}

// ForEachFact reads what Facts copies: the same facts, in the same order,
// bottom-up and after the session moved to the Rete network.
TEST(SessionTest, ForEachFactReadsTheFactsInPlace) {
  Program p = Load(kOrders);
  Session s(p);
  ASSERT_TRUE(s.Assert("order", {Value::String("o1"), Value::Int(5000), Value::String("de")}).ok());
  ASSERT_TRUE(s.Assert("order", {Value::String("o2"), Value::Int(10), Value::Symbol("xx")}).ok());
  ASSERT_TRUE(s.Run().ok());
  auto read_all = [&](const std::string& relation) {
    std::vector<Fact> out;
    Status st = s.ForEachFact(relation, [&](const FactView& f) {
      Fact copy;
      copy.relation = relation;
      for (std::size_t c = 0; c < f.size(); ++c) copy.values.push_back(f.value(c));
      copy.certainty = f.certainty();
      out.push_back(std::move(copy));
    });
    EXPECT_TRUE(st.ok()) << st.message();
    return out;
  };
  for (int moved = 0; moved < 2; ++moved) {
    for (const char* relation : {"order", "flagged", "approved"}) {
      auto copied = s.Facts(relation);
      ASSERT_TRUE(copied.ok());
      auto viewed = read_all(relation);
      ASSERT_EQ(viewed.size(), copied->size()) << relation;
      for (std::size_t i = 0; i < viewed.size(); ++i) {
        EXPECT_EQ(viewed[i].values, (*copied)[i].values) << relation << " " << i;
        EXPECT_EQ(viewed[i].certainty, (*copied)[i].certainty);
      }
    }
    // An explanation moves the session to the Rete network.
    ASSERT_TRUE(s.Explain((*s.Facts("flagged"))[0]).ok());
  }
  std::vector<std::string> reasons;
  ASSERT_TRUE(s.ForEachFact("flagged", [&](const FactView& f) {
    EXPECT_EQ(f.kind(0), Value::Kind::kString);
    EXPECT_EQ(f.kind(1), Value::Kind::kSymbol);
    reasons.emplace_back(std::string(f.text(0)) + ":" + std::string(f.text(1)));
    EXPECT_THROW(f.as_int(1), std::invalid_argument);
    EXPECT_THROW(f.text(2), std::out_of_range);
  }).ok());
  EXPECT_EQ(reasons, (std::vector<std::string>{"o1:big", "o2:country"}));
  ASSERT_TRUE(s.ForEachFact("order", [&](const FactView& f) { EXPECT_GT(f.as_int(1), 0); }).ok());
  Status unknown = s.ForEachFact("nope", [](const FactView&) {});
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.message().find("nope"), std::string::npos);
}

TEST(SessionTest, BadFactsAreErrorsNamingTheColumnAndChangeNothing) {
  Program p = Load(kOrders);
  Session s(p);
  Status wrong = s.Assert("order", {Value::String("o1"), Value::String("lots"), Value::Symbol("de")});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.message().find("amount"), std::string::npos) << wrong.message();
  Status arity = s.Assert("order", {Value::String("o1")});
  ASSERT_FALSE(arity.ok());
  EXPECT_NE(arity.message().find("3 columns"), std::string::npos) << arity.message();
  Status unknown = s.Assert("orders", {});
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
  ASSERT_TRUE(s.Run().ok());
  EXPECT_TRUE(s.Facts("order")->empty());
  EXPECT_EQ(s.Retract("order", {Value::String("o9"), Value::Int(1), Value::Symbol("de")}).code(), StatusCode::kNotFound);
}

TEST(SessionTest, ARetractedFactIsGoneAtOnce) {
  Program p = Load(kOrders);
  Session s(p);
  std::vector<Value> row{Value::String("o1"), Value::Int(5000), Value::Symbol("de")};
  ASSERT_TRUE(s.Assert("order", row).ok());
  ASSERT_TRUE(s.Run().ok());
  EXPECT_EQ(s.Facts("flagged")->size(), 1u);
  ASSERT_TRUE(s.Retract("order", row).ok());
  EXPECT_TRUE(s.Facts("order")->empty());
  EXPECT_TRUE(s.Facts("flagged")->empty());
  EXPECT_EQ(s.Retract("order", row).code(), StatusCode::kNotFound);
}

TEST(SessionTest, RunawayRulesStopAtTheirLimitAndCanGoOn) {
  Program p = Load(kOrders);
  Session s(p);
  ASSERT_TRUE(s.Assert("counter", {Value::Int(0)}).ok());
  auto run = s.Run({.max_firings = 100});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->stop, "firing_limit");
  EXPECT_TRUE(run->limit_reached());
  EXPECT_EQ(run->firings, 100u);
  auto again = s.Run({.max_firings = 50});
  EXPECT_EQ(again->firings, 50u);
  EXPECT_EQ((*s.Facts("counter"))[0].values[0], Value::Int(150));
  auto firings = s.Firings();
  ASSERT_EQ(firings.size(), 1u);
  EXPECT_EQ(firings[0], std::make_pair(std::string("spin"), std::uint64_t{150}));
}

// A program keeps the storage of its finished sessions for the next ones: a
// new session must still start with nothing but the program's facts, however
// the last one ended (stopped at a limit, mid-way through firing).
// A service decides for ever new ids: the strings a session brought are
// released when it ends, and the symbol table reuses their ids instead of
// growing by one per request (it would hold every id ever seen).
TEST(SessionTest, NewStringsOfEndedSessionsDoNotGrowTheSymbolTable) {
  Program p = Load(kOrders);
  Session kept(p);  // holds its strings throughout
  ASSERT_TRUE(kept.Assert("order", {Value::String("kept-order"), Value::Int(5), Value::Symbol("kept-land")}).ok());
  ASSERT_TRUE(kept.Run().ok());

  auto decide = [&](int i) {
    Session s(p);
    const std::string id = "request-" + std::to_string(i);
    EXPECT_TRUE(s.Assert("order", {Value::String(id), Value::Int(i % 2000), Value::Symbol("land-" + std::to_string(i))}).ok());
    ASSERT_TRUE(s.Run().ok());
    auto approved = s.Facts("approved");
    ASSERT_TRUE(approved.ok());
    // The answer is about this request's id, whatever id its text got.
    ASSERT_EQ(approved->size(), i % 2000 > 1000 ? 0u : 1u) << id;
    if (!approved->empty()) {
      EXPECT_EQ((*approved)[0].values[0], Value::String(id));
    }
  };
  for (int i = 0; i < 100; ++i) decide(i);
  const std::size_t before = engine::SymbolTable::Global().size();
  const int n = 4 * static_cast<int>(engine::SymbolTable::kFreeBatch);
  for (int i = 100; i < 100 + n; ++i) decide(i);
  // Two new texts a decision: without reuse the table would grow by 2n.
  EXPECT_LT(engine::SymbolTable::Global().size() - before, 2 * engine::SymbolTable::kFreeBatch);

  // The session that lived through it all still reads its own strings.
  auto orders = kept.Facts("order");
  ASSERT_TRUE(orders.ok());
  ASSERT_EQ(orders->size(), 1u);
  EXPECT_EQ((*orders)[0].values[0], Value::String("kept-order"));
  EXPECT_EQ((*orders)[0].values[2], Value::Symbol("kept-land"));
  auto approved = kept.Facts("approved");
  ASSERT_EQ(approved->size(), 1u);
  EXPECT_EQ((*approved)[0].values[0], Value::String("kept-order"));
}

TEST(SessionTest, ANewSessionStartsFreshAfterOthersEnded) {
  Program p = Load(kOrders);
  for (int round = 0; round < 3; ++round) {
    {
      Session s(p);
      ASSERT_TRUE(s.Assert("order", {Value::String("o1"), Value::Int(5000), Value::Symbol("xx")}).ok());
      ASSERT_TRUE(s.Assert("counter", {Value::Int(0)}).ok());
      auto run = s.Run({.max_firings = 7});
      ASSERT_TRUE(run.ok());
      EXPECT_EQ(run->stop, "firing_limit");
      EXPECT_EQ(s.Facts("flagged")->size(), 2u);
      (void)s.TakeOutput();
    }
    Session fresh(p);
    for (const char* rel : {"order", "flagged", "approved", "counter"}) {
      EXPECT_TRUE(fresh.Facts(rel)->empty()) << rel << " in round " << round;
    }
    ASSERT_EQ(fresh.Facts("risky")->size(), 1u) << "the program's own facts are there";
    EXPECT_TRUE(fresh.Firings().empty());
    ASSERT_TRUE(fresh.Assert("order", {Value::String("o2"), Value::Int(10), Value::Symbol("de")}).ok());
    ASSERT_TRUE(fresh.Assert("counter", {Value::Int(0)}).ok());
    auto run = fresh.Run({.max_firings = 3});
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run->firings, 3u);
    EXPECT_EQ((*fresh.Facts("counter"))[0].values[0], Value::Int(3));
    ASSERT_EQ(fresh.Facts("approved")->size(), 1u);
    EXPECT_EQ((*fresh.Facts("approved"))[0].values[0], Value::String("o2"));
  }
}

TEST(QueryTest, SolutionsComeOneAtATime) {
  Program p = Load(kOrders);
  Session s(p);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(s.Assert("order", {Value::String("o" + std::to_string(i)), Value::Int(i * 600), Value::Symbol("de")}).ok());
  }
  auto q = s.Ask("flagged(Id, R)");
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->variables(), (std::vector<std::string>{"Id", "R"}));
  std::vector<std::string> ids;
  while (true) {
    auto step = q->Next();
    ASSERT_TRUE(step.ok()) << step.status().message();
    if (step->kind == QueryStep::kDone) break;
    ASSERT_EQ(step->kind, QueryStep::kSolution);
    ids.push_back(step->solution.bindings[0].second.text());
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"o2", "o3", "o4"}));
  auto bad = s.Ask("flagged(Id");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("<goal>:1:"), std::string::npos) << bad.status().message();
}

TEST(QueryTest, AQueryRefusesToGoOnAfterTheFactsChanged) {
  Program p = Load(kOrders);
  Session s(p);
  ASSERT_TRUE(s.Assert("order", {Value::String("a"), Value::Int(2000), Value::Symbol("de")}).ok());
  auto q = s.Ask("flagged(Id, R)");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(s.Assert("order", {Value::String("b"), Value::Int(2000), Value::Symbol("de")}).ok());
  auto step = q->Next();
  ASSERT_FALSE(step.ok());
  EXPECT_NE(step.status().message().find("ask it again"), std::string::npos);
}

// The car pack asks the driver: the query stops at each question and goes on
// once it is answered.
TEST(QueryTest, ConsultationStopsAtQuestionsAndGoesOnWithTheReplies) {
  auto p = Program::FromFiles({SourceDir() + "/packs/car_diagnosis/car.syl"});
  ASSERT_TRUE(p.ok()) << p.status().message();
  Session s(*p);
  auto q = s.Ask("diagnosis(my_car, F)");
  ASSERT_TRUE(q.ok()) << q.status().message();
  auto step = q->Next();
  ASSERT_TRUE(step.ok());
  ASSERT_EQ(step->kind, QueryStep::kQuestion);
  EXPECT_EQ(step->question.id, "cranks(my_car)");
  EXPECT_EQ(step->question.kind, "yes_no");
  ASSERT_TRUE(s.pending_question().has_value());
  // Asking Next again without answering gives the same question.
  EXPECT_EQ(q->Next()->question.id, "cranks(my_car)");
  // Another goal is not held up by this query's question.
  {
    auto cars = s.Ask("car(C, _, _)");
    auto first = cars->Next();
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->kind, QueryStep::kSolution);
  }
  EXPECT_EQ(s.pending_question()->id, "cranks(my_car)");
  Status bad = s.Answer("perhaps");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("cranks(my_car)"), std::string::npos) << bad.message();

  std::vector<Solution> solutions;
  int questions = 0;
  ASSERT_TRUE(s.Answer("yes").ok());
  while (questions < 100) {
    auto next = q->Next();
    ASSERT_TRUE(next.ok()) << next.status().message();
    if (next->kind == QueryStep::kDone) break;
    if (next->kind == QueryStep::kSolution) {
      solutions.push_back(next->solution);
      continue;
    }
    ++questions;
    const Question& question = next->question;
    std::string reply = question.kind == "one_of" ? question.choices.front()
                        : question.kind == "number" ? "3"
                        : question.id == "fuel_gauge(my_car, _)" || question.id.rfind("smells_fuel", 0) == 0 ? "yes"
                                                                                                           : "no";
    ASSERT_TRUE(s.Answer(reply).ok()) << question.id << " " << reply;
  }
  EXPECT_GT(questions, 3);
  ASSERT_FALSE(solutions.empty());
  EXPECT_FALSE(s.pending_question().has_value());
  auto why = q->Explain(solutions.front());
  ASSERT_TRUE(why.ok()) << why.status().message();
  EXPECT_EQ(why->source, Explanation::Source::kRule);
  EXPECT_EQ(why->fact.rfind("diagnosis(my_car, ", 0), 0u) << why->fact;
  bool has_reply = false;
  for (const Explanation& e : why->premises) has_reply = has_reply || e.source == Explanation::Source::kUser;
  EXPECT_TRUE(has_reply) << why->ToText();
  // The replies are facts of the session now: a second consultation asks nothing.
  auto again = s.Ask("diagnosis(my_car, F)");
  auto first = again->Next();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->kind, QueryStep::kSolution);
}

TEST(LuaPackTest, SessionsOnThreadsEachBorrowALuaState) {
  auto p = Program::FromFiles({SourceDir() + "/packs/loan/loan.lua"});
  ASSERT_TRUE(p.ok()) << p.status().message();
  const RelationInfo* applicant = p->FindRelation("applicant");
  ASSERT_NE(applicant, nullptr);
  auto row = [](const std::string& id, int credit) {
    return std::vector<Value>{Value::String(id), Value::Int(40), Value::Int(90000), Value::Int(500),
                              Value::Int(credit), Value::Symbol("salaried"), Value::Float(6), Value::Int(20000),
                              Value::Int(60), Value::Symbol("car"), Value::String("DE"), Value::Bool(true),
                              Value::Int(0), Value::Int(0)};
  };
  std::vector<std::thread> threads;
  std::atomic<int> approved{0}, declined{0}, errors{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        Session s(*p);
        bool low = (i % 2) == 1;
        if (!s.Assert("applicant", row("A" + std::to_string(t * 100 + i), low ? 400 : 800)).ok()) ++errors;
        auto run = s.Run();
        if (!run.ok()) {
          ++errors;
          continue;
        }
        auto d = s.Facts("decision");
        if (!d.ok() || d->size() != 1) {
          ++errors;
          continue;
        }
        std::string decision = (*d)[0].values[1].text();
        if (decision == "approve") ++approved;
        if (decision == "decline") ++declined;
        if (s.TakeOutput().find("\"decision\":\"" + decision + "\"") == std::string::npos) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(approved.load(), 52);
  EXPECT_EQ(declined.load(), 48);
}

}  // namespace
}  // namespace syllo

// Every endpoint of the decision service, and every error status it answers.
#include <gtest/gtest.h>

#include "kb/decision_log.h"
#include "service/http/decision_logger.h"
#include "tests/service/server_test.h"

namespace syllo::service {
namespace {

using nlohmann::json;

std::string TempFile(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("syllo_server_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

constexpr const char* kSpin = R"(
relation counter(n: int).
relation seen(n: int).
rule spin when counter(N) as F then modify F (n = N + 1).
seen(N) :- counter(N).
)";

json DecideBody(const std::string& id, int credit) {
  return {{"facts", {{"applicant", json::array({Applicant(id, credit)})}}}, {"relations", {"decision", "reason"}}};
}

TEST(ServerTest, HealthzAnswers) {
  TestServer server;
  auto r = server.Get("/healthz");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["status"], "ok");
  EXPECT_EQ(r.body["packs"], 2);
}

TEST(ServerTest, DecideGivesTheDecisionWithPackVersionAndRules) {
  TestServer server;
  auto r = server.Post("/v1/decide/loan", DecideBody("A1", 800));
  ASSERT_EQ(r.status, 200) << r.text;
  ASSERT_EQ(r.body["facts"]["decision"].size(), 1u);
  EXPECT_EQ(r.body["facts"]["decision"][0]["values"]["decision"], "approve");
  EXPECT_EQ(r.body["facts"]["decision"][0]["values"]["grade"], "A");
  EXPECT_TRUE(r.body["facts"]["reason"].empty());
  EXPECT_EQ(r.body["pack"], "loan");
  EXPECT_EQ(r.body["pack_version"].get<std::string>().rfind("1-", 0), 0u);
  EXPECT_EQ(r.body["stop"], "agenda_empty");
  EXPECT_GT(r.body["elapsed_ms"].get<double>(), 0);
  EXPECT_FALSE(r.body["rules_fired"].empty());
  // The pack's report rule printed the canonical line.
  EXPECT_NE(r.body["output"].get<std::string>().find("\"decision\":\"approve\""), std::string::npos);

  auto low = server.Post("/v1/decide/loan", DecideBody("A2", 400));
  ASSERT_EQ(low.status, 200);
  EXPECT_EQ(low.body["facts"]["decision"][0]["values"]["decision"], "decline");
  EXPECT_EQ(low.body["facts"]["reason"][0]["values"]["code"], "CREDIT_SCORE_BELOW_MIN");
}

TEST(ServerTest, DecideExplainsAndAnswersGoals) {
  TestServer server;
  json body = DecideBody("A3", 400);
  body["explain"] = true;
  body["goals"] = {"decision(Id, D, G, S)"};
  auto r = server.Post("/v1/decide/loan", body);
  ASSERT_EQ(r.status, 200) << r.text;
  const json& e = r.body["facts"]["decision"][0]["explanation"];
  EXPECT_EQ(e["source"], "rule");
  EXPECT_NE(e["location"].get<std::string>().find("loan.lua:"), std::string::npos);
  EXPECT_FALSE(e["premises"].empty());
  ASSERT_EQ(r.body["answers"].size(), 1u);
  EXPECT_EQ(r.body["answers"][0]["status"], "done");
  EXPECT_EQ(r.body["answers"][0]["solutions"][0]["bindings"]["D"], "decline");
  EXPECT_EQ(r.body["answers"][0]["solutions"][0]["explanation"]["fact"].get<std::string>().rfind("decision(", 0), 0u);
}

TEST(ServerTest, BadRequestsAre400WithTheField) {
  TestServer server;
  auto malformed = server.Post("/v1/decide/loan", std::string("{\"facts\": {"));
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body["error"]["message"].get<std::string>().find("malformed JSON"), std::string::npos);

  auto unknown = server.Post("/v1/decide/loan", json{{"facts", {{"applicants", json::array()}}}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.body["error"]["field"], "facts.applicants");

  json wrong = DecideBody("A4", 700);
  wrong["facts"]["applicant"][0]["credit_score"] = "seven hundred";
  auto type = server.Post("/v1/decide/loan", wrong);
  EXPECT_EQ(type.status, 400);
  EXPECT_EQ(type.body["error"]["field"], "facts.applicant[0].credit_score");
  EXPECT_NE(type.body["error"]["message"].get<std::string>().find("expected an int, got a string"), std::string::npos);

  json missing = DecideBody("A5", 700);
  missing["facts"]["applicant"][0].erase("age");
  auto miss = server.Post("/v1/decide/loan", missing);
  EXPECT_EQ(miss.status, 400);
  EXPECT_EQ(miss.body["error"]["field"], "facts.applicant[0].age");

  auto field = server.Post("/v1/decide/loan", json{{"fact", json::object()}});
  EXPECT_EQ(field.status, 400);
  EXPECT_EQ(field.body["error"]["field"], "fact");

  auto limits = server.Post("/v1/decide/loan", json{{"limits", {{"max_firings", -1}}}});
  EXPECT_EQ(limits.status, 400);
  EXPECT_EQ(limits.body["error"]["field"], "limits.max_firings");

  auto goal = server.Post("/v1/decide/loan", json{{"goals", {"decision(Id"}}});
  EXPECT_EQ(goal.status, 400);
  EXPECT_EQ(goal.body["error"]["field"], "goals[0]");
  EXPECT_NE(goal.body["error"]["message"].get<std::string>().find("<goal>:1:"), std::string::npos);

  auto relation = server.Post("/v1/decide/loan", json{{"relations", {"nope"}}});
  EXPECT_EQ(relation.status, 400);
  EXPECT_EQ(relation.body["error"]["field"], "relations[0]");

  auto raw = server.client().Post("/v1/decide/loan", "<a/>", "application/xml");
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->status, 415);
}

TEST(ServerTest, UnknownThingsAre404AsJson) {
  TestServer server;
  auto pack = server.Post("/v1/decide/nope", json::object());
  EXPECT_EQ(pack.status, 404);
  EXPECT_EQ(pack.body["error"]["code"], "not_found");
  auto route = server.Get("/v2/everything");
  EXPECT_EQ(route.status, 404);
  EXPECT_NE(route.body["error"]["message"].get<std::string>().find("no such endpoint"), std::string::npos);
  EXPECT_EQ(server.Get("/v1/sessions/abc").status, 404);
  EXPECT_EQ(server.Delete("/v1/sessions/abc").status, 404);
}

TEST(ServerTest, AWrongMethodIs405WithTheAllowedOnes) {
  TestServer server;
  auto r = server.client().Get("/v1/decide/loan");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->get_header_value("Allow"), "POST");
  auto body = nlohmann::json::parse(r->body);
  EXPECT_EQ(body["error"]["code"], "method_not_allowed");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("allowed: POST"), std::string::npos) << r->body;
  auto pack = server.client().Delete("/v1/packs/loan");
  ASSERT_TRUE(pack);
  EXPECT_EQ(pack->status, 405);
  EXPECT_EQ(pack->get_header_value("Allow"), "GET, PUT");
  // A path no route serves under any method stays 404.
  EXPECT_EQ(server.Delete("/v1/decide/loan/extra").status, 404);
}

TEST(ServerTest, BodiesOverTheLimitAre413) {
  ServerOptions options;
  options.body_limit = 1024;
  TestServer server(options);
  auto r = server.Post("/v1/decide/loan", std::string(4096, ' '));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body["error"]["code"], "body_too_large");
  EXPECT_EQ(server.Get("/healthz").status, 200);
}

TEST(ServerTest, RunawayRulesStopAtTheFiringCapAndTheServerGoesOn) {
  ServerOptions options;
  options.max_firings = 5000;
  TestServer server(options, {{"spin", {TempFile("spin.syl", kSpin)}}});
  auto r = server.Post("/v1/decide/spin", json{{"facts", {{"counter", {{0}}}}}});
  EXPECT_EQ(r.status, 422) << r.text;
  EXPECT_EQ(r.body["stop"], "firing_limit");
  EXPECT_EQ(r.body["firings"], 5000);
  // A request may lower the cap, not raise it.
  auto lower = server.Post("/v1/decide/spin", json{{"facts", {{"counter", {{0}}}}}, {"limits", {{"max_firings", 10}}}});
  EXPECT_EQ(lower.body["firings"], 10);
  auto higher = server.Post("/v1/decide/spin", json{{"facts", {{"counter", {{0}}}}}, {"limits", {{"max_firings", 1e9}}}});
  EXPECT_EQ(higher.body["firings"], 5000);
  // A deadline stops it too.
  ServerOptions timed;
  timed.max_firings = 0;
  timed.deadline_seconds = 0.2;
  TestServer slow(timed, {{"spin", {TempFile("spin2.syl", kSpin)}}});
  auto t = slow.Post("/v1/decide/spin", json{{"facts", {{"counter", {{0}}}}}});
  EXPECT_EQ(t.status, 422);
  EXPECT_EQ(t.body["stop"], "time_limit");
  EXPECT_EQ(slow.Get("/healthz").status, 200);
  EXPECT_EQ(server.Post("/v1/decide/spin", json::object()).status, 200);
}

TEST(ServerTest, DecideThatNeedsTheUserIs409WithTheQuestion) {
  TestServer server;
  auto r = server.Post("/v1/decide/car", json{{"goals", {"diagnosis(my_car, F)"}}});
  EXPECT_EQ(r.status, 409) << r.text;
  EXPECT_EQ(r.body["question"]["id"], "cranks(my_car)");
  EXPECT_NE(r.body["error"]["message"].get<std::string>().find("/v1/sessions"), std::string::npos);
}

TEST(ServerTest, AConsultationThroughASession) {
  TestServer server;
  auto created = server.Post("/v1/sessions", json{{"pack", "car"}});
  ASSERT_EQ(created.status, 201) << created.text;
  std::string id = created.body["session"];
  std::string base = "/v1/sessions/" + id;
  auto q = server.Post(base + "/query", json{{"goal", "diagnosis(my_car, F)"}, {"explain", true}});
  ASSERT_EQ(q.status, 200) << q.text;
  EXPECT_EQ(q.body["status"], "question");
  EXPECT_EQ(q.body["question"]["id"], "cranks(my_car)");
  auto other = server.Post("/v1/sessions/" + id + "/next", json::object());
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body["question"]["id"], "cranks(my_car)");
  auto state = server.Get(base);
  EXPECT_EQ(state.body["question"]["id"], "cranks(my_car)");
  EXPECT_EQ(state.body["goal"], "diagnosis(my_car, F)");
  auto bad = server.Post(base + "/answer", json{{"answer", "perhaps"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"]["field"], "answer");

  TestServer::Reply r = server.Post(base + "/answer", json{{"answer", true}});
  int questions = 1;
  while (r.status == 200 && r.body["status"] == "question" && questions < 50) {
    const json& question = r.body["question"];
    json answer = question["kind"] == "one_of" ? question["choices"][0]
                  : question["kind"] == "number" ? json(3)
                  : question["id"].get<std::string>().rfind("smells_fuel", 0) == 0 ? json("yes") : json("no");
    r = server.Post(base + "/answer", json{{"answer", answer}});
    ++questions;
  }
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["status"], "done");
  ASSERT_FALSE(r.body["solutions"].empty());
  EXPECT_TRUE(r.body["solutions"][0].contains("explanation"));
  auto none = server.Post(base + "/answer", json{{"answer", "yes"}});
  EXPECT_EQ(none.status, 409);
  EXPECT_EQ(none.body["error"]["code"], "no_question");

  // A goal with more solutions than asked for goes on with /next.
  auto some = server.Post(base + "/query", json{{"goal", "fault(F, S, _)"}, {"limits", {{"max_solutions", 2}}}});
  ASSERT_EQ(some.status, 200) << some.text;
  EXPECT_EQ(some.body["status"], "more");
  EXPECT_EQ(some.body["solutions"].size(), 2u);
  auto rest = server.Post(base + "/next", json::object());
  ASSERT_EQ(rest.status, 200) << rest.text;
  EXPECT_GT(rest.body["solutions"].size(), 0u);
  EXPECT_NE(rest.body["solutions"][0]["bindings"]["F"], some.body["solutions"][0]["bindings"]["F"]);

  // The replies are facts of the session.
  auto cranks = server.Get(base + "/facts/cranks");
  ASSERT_EQ(cranks.status, 200);
  EXPECT_EQ(cranks.body["cranks"].size(), 1u);
  EXPECT_EQ(server.Get(base + "/facts/nope").status, 404);

  // Facts and a forward run.
  auto facts = server.Post(base + "/facts", json{{"facts", {{"car", {{"other_car", "van", 2001}}}}}});
  ASSERT_EQ(facts.status, 200) << facts.text;
  EXPECT_EQ(facts.body["asserted"], 1);
  auto wrong = server.Post(base + "/facts", json{{"facts", {{"car", {{"x", "van", "old"}}}}}});
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(wrong.body["error"]["field"], "facts.car[0][2]");
  auto retract = server.Post(base + "/facts", json{{"retract", {{"car", {{"other_car", "van", 2001}, {"nope", "van", 2001}}}}}});
  EXPECT_EQ(retract.status, 404);
  EXPECT_EQ(server.Get(base + "/facts/car").body["car"].size(), 2u);  // nothing was retracted
  auto typo = server.Post(base + "/run", json{{"relation", {"car"}}});
  EXPECT_EQ(typo.status, 400);
  EXPECT_EQ(typo.body["error"]["field"], "relation");
  auto run = server.Post(base + "/run", json{{"relations", {"car"}}});
  ASSERT_EQ(run.status, 200) << run.text;
  EXPECT_EQ(run.body["stop"], "agenda_empty");
  EXPECT_EQ(run.body["facts"]["car"].size(), 2u);

  EXPECT_EQ(server.Delete(base).status, 204);
  EXPECT_EQ(server.Get(base).status, 404);
  EXPECT_EQ(server.Post(base + "/query", json{{"goal", "car(C, _, _)"}}).status, 404);
}

TEST(ServerTest, SessionRequestsCheckTheirBodies) {
  TestServer server;
  EXPECT_EQ(server.Post("/v1/sessions", json::object()).body["error"]["field"], "pack");
  EXPECT_EQ(server.Post("/v1/sessions", json{{"pack", "nope"}}).status, 404);
  EXPECT_EQ(server.Post("/v1/sessions", std::string("")).status, 400);
  std::string id = server.Post("/v1/sessions", json{{"pack", "car"}}).body["session"];
  EXPECT_EQ(server.Post("/v1/sessions/" + id + "/query", json::object()).body["error"]["field"], "goal");
  EXPECT_EQ(server.Post("/v1/sessions/" + id + "/query", json{{"goal", 7}}).body["error"]["field"], "goal");
  EXPECT_EQ(server.Post("/v1/sessions/" + id + "/answer", json{{"answer", "yes"}}).status, 409);
}

TEST(ServerTest, SessionsAreCappedAndExpire) {
  ServerOptions options;
  options.max_sessions = 2;
  options.session_ttl = std::chrono::seconds(1);
  TestServer server(options);
  std::string a = server.Post("/v1/sessions", json{{"pack", "car"}}).body["session"];
  EXPECT_EQ(server.Post("/v1/sessions", json{{"pack", "car"}}).status, 201);
  auto third = server.Post("/v1/sessions", json{{"pack", "car"}});
  EXPECT_EQ(third.status, 429);
  EXPECT_NE(third.body["error"]["message"].get<std::string>().find("too many open sessions"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(server.Get("/v1/sessions/" + a).status, 404);
  EXPECT_EQ(server.Post("/v1/sessions", json{{"pack", "car"}}).status, 201);
  auto metrics = server.Get("/metrics");
  EXPECT_NE(metrics.text.find("syllo_sessions_active 1"), std::string::npos) << metrics.text;
  EXPECT_NE(metrics.text.find("# TYPE syllo_interned_texts gauge\nsyllo_interned_texts "), std::string::npos)
      << metrics.text;
}

TEST(ServerTest, BearerTokenGuardsEverythingButHealthz) {
  ServerOptions options;
  options.token = "s3cret";
  TestServer server(options);
  EXPECT_EQ(server.Get("/healthz").status, 200);
  auto denied = server.Get("/v1/packs");
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.body["error"]["code"], "unauthenticated");
  EXPECT_EQ(server.Get("/v1/packs", {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(server.Get("/metrics").status, 401);
  EXPECT_EQ(server.Post("/v1/decide/loan", DecideBody("A", 800).dump()).status, 401);
  EXPECT_EQ(server.Get("/v1/packs", {{"Authorization", "Bearer s3cret"}}).status, 200);
  EXPECT_EQ(server.Post("/v1/decide/loan", DecideBody("A", 800).dump(), {{"Authorization", "Bearer s3cret"}}).status, 200);
}

TEST(ServerTest, PacksAreListedAndReloadedAtomically) {
  std::string path = TempFile("reload.syl", "relation a(x: int).\nrelation b(x: int).\nb(X) :- a(X).\n");
  TestServer server({}, {{"p", {path}}});
  auto list = server.Get("/v1/packs");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body["packs"][0]["name"], "p");
  auto info = server.Get("/v1/packs/p");
  EXPECT_EQ(info.body["relations"][1]["name"], "b");
  EXPECT_EQ(info.body["relations"][1]["derived"], true);
  EXPECT_EQ(server.Get("/v1/packs/q").status, 404);

  std::ofstream(path) << "relation a(x: int).\nrelation b(x: int).\nb(Y) :- a(X), Y = X * 10.\n";
  auto reloaded = server.Put("/v1/packs/p");
  ASSERT_EQ(reloaded.status, 200) << reloaded.text;
  EXPECT_EQ(reloaded.body["serial"], 2);
  auto r = server.Post("/v1/decide/p", json{{"facts", {{"a", {{4}}}}}});
  EXPECT_EQ(r.body["facts"]["b"][0]["values"]["x"], 40);

  std::ofstream(path) << "relation a(x: int).\nb(X) :- a(X).\n";
  auto broken = server.Put("/v1/packs/p");
  EXPECT_EQ(broken.status, 422);
  EXPECT_NE(broken.body["diagnostics"].get<std::string>().find("reload.syl:2:1"), std::string::npos) << broken.text;
  EXPECT_EQ(broken.body["serving"]["serial"], 2);
  auto still = server.Post("/v1/decide/p", json{{"facts", {{"a", {{5}}}}}});
  EXPECT_EQ(still.body["facts"]["b"][0]["values"]["x"], 50);
  auto metrics = server.Get("/metrics");
  EXPECT_NE(metrics.text.find("syllo_pack_reloads_total{result=\"failed\"} 1"), std::string::npos) << metrics.text;
}

TEST(ServerTest, MetricsArePrometheusText) {
  TestServer server;
  server.Post("/v1/decide/loan", DecideBody("A", 800));
  server.Post("/v1/decide/nope", json::object());
  auto m = server.Get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.text.find("syllo_http_requests_total{route=\"/v1/decide/{pack}\",status=\"200\"} 1"), std::string::npos)
      << m.text;
  EXPECT_NE(m.text.find("syllo_http_requests_total{route=\"/v1/decide/{pack}\",status=\"404\"} 1"), std::string::npos);
  EXPECT_NE(m.text.find("# TYPE syllo_http_request_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(m.text.find("syllo_http_request_duration_seconds_bucket{le=\"+Inf\"} 3"), std::string::npos) << m.text;
  EXPECT_NE(m.text.find("syllo_decisions_total 1"), std::string::npos);
  EXPECT_NE(m.text.find("syllo_rule_firings_total 1"), std::string::npos);
}

TEST(ServerTest, DecisionsAreLoggedToTheKnowledgeBase) {
  auto dir = std::filesystem::temp_directory_path() / ("syllo_log_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string db = (dir / "log.db").string();
  Metrics metrics;
  auto logger = DecisionLogger::Open(db, {}, metrics);
  ASSERT_TRUE(logger.ok()) << logger.status().message();
  {
    ServerOptions options;
    options.log = logger->get();
    TestServer server(options);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(server.Post("/v1/decide/loan", DecideBody("L" + std::to_string(i), 800)).status, 200);
    ASSERT_EQ(server.Post("/v1/decide/loan", std::string("{")).status, 400);  // not a decision
  }
  (*logger)->Flush();
  auto kb = kb::KnowledgeBase::Open(db, kb::OpenMode::kReadWrite);
  ASSERT_TRUE(kb.ok());
  EXPECT_EQ(*kb::CountDecisions(**kb), 3);
  std::ostringstream out;
  ASSERT_EQ(*kb::ExportDecisions(**kb, out), 3);
  std::istringstream lines(out.str());
  std::string first;
  std::getline(lines, first);
  json line = json::parse(first);
  EXPECT_EQ(line["pack"], "loan");
  EXPECT_EQ(line["endpoint"], "decide");
  EXPECT_EQ(line["status"], 200);
  EXPECT_EQ(line["request"]["facts"]["applicant"][0]["id"], "L0");
  EXPECT_EQ(line["response"]["facts"]["decision"][0]["values"]["decision"], "approve");
  EXPECT_EQ(line["pack_version"].get<std::string>().rfind("1-", 0), 0u);
  auto pruned = kb::PruneDecisions(**kb, "", 1);
  ASSERT_TRUE(pruned.ok()) << pruned.status().message();
  EXPECT_EQ(*pruned, 2);
  std::filesystem::remove_all(dir);
}

// The OpenAPI document is the contract: every operation it lists exists on the
// running server, answers JSON, and answers only statuses it documents.
TEST(ServerTest, TheOpenApiDocumentMatchesTheServer) {
  TestServer server;
  auto doc = server.Get("/v1/openapi.json");
  ASSERT_EQ(doc.status, 200);
  ASSERT_EQ(doc.body["openapi"], "3.0.3");
  std::string session = server.Post("/v1/sessions", json{{"pack", "car"}}).body["session"];
  int checked = 0;
  for (const auto& [path, ops] : doc.body["paths"].items()) {
    std::string concrete = path;
    auto fill = [&](const std::string& param, const std::string& value) {
      if (auto at = concrete.find(param); at != std::string::npos) concrete.replace(at, param.size(), value);
    };
    fill("{pack}", "car");
    fill("{id}", session);
    fill("{relation}", "car");
    for (const auto& [method, op] : ops.items()) {
      ASSERT_TRUE(method == "get" || method == "post" || method == "put" || method == "delete") << method;
      httplib::Result r = method == "get"    ? server.client().Get(concrete.c_str())
                          : method == "post" ? server.client().Post(concrete.c_str(), "{}", "application/json")
                          : method == "put"  ? server.client().Put(concrete.c_str(), "", "application/json")
                                             : server.client().Delete(concrete.c_str());
      ASSERT_TRUE(r) << method << " " << concrete;
      EXPECT_TRUE(op["responses"].contains(std::to_string(r->status)))
          << method << " " << path << " answered " << r->status << ": " << r->body;
      if (r->status != 204 && path != "/metrics") {
        EXPECT_FALSE(json::parse(r->body, nullptr, false).is_discarded()) << method << " " << path << ": " << r->body;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 16);
}

}  // namespace
}  // namespace syllo::service

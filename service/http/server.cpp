#include "service/http/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <regex>

#include "service/http/json_facts.h"

namespace syllo::service {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// An error answered as JSON.
struct HttpError {
  HttpError(int status_in, std::string message_in, std::string field_in = "")
      : status(status_in), message(std::move(message_in)), field(std::move(field_in)) {}
  int status = 400;
  std::string message;
  std::string field;
  json extra = json::object();
  std::string code;  // empty: the status's
};

std::string_view CodeName(int status) {
  switch (status) {
    case 400: return "invalid_argument";
    case 401: return "unauthenticated";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "needs_answer";
    case 413: return "body_too_large";
    case 415: return "unsupported_media_type";
    case 422: return "unprocessable";
    case 429: return "too_many_sessions";
    case 503: return "unavailable";
    default: return status >= 500 ? "internal" : "error";
  }
}

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void SendError(httplib::Response& res, const HttpError& e) {
  json err{{"status", e.status}, {"code", e.code.empty() ? std::string(CodeName(e.status)) : e.code}, {"message", e.message}};
  if (!e.field.empty()) err["field"] = e.field;
  json body{{"error", std::move(err)}};
  for (const auto& [k, v] : e.extra.items()) body[k] = v;
  SendJson(res, e.status, body);
}

// "facts.applicant[0].age: expected ..." -> field "facts.applicant[0].age".
HttpError FieldError(const Status& s, int status = 400) {
  HttpError e{status, s.message(), ""};
  auto colon = s.message().find(": ");
  if (colon != std::string::npos && s.message().find(' ') > colon) e.field = s.message().substr(0, colon);
  return e;
}

int StatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kLimitExceeded: return 422;
    case StatusCode::kCancelled: return 422;
    default: return 500;
  }
}

json ParseBody(const httplib::Request& req, bool required) {
  if (req.body.empty()) {
    if (required) throw HttpError{400, "the request needs a JSON body", ""};
    return json::object();
  }
  const std::string type = req.get_header_value("Content-Type");
  // curl -d sends form-urlencoded unless told otherwise: take it as JSON too.
  if (!type.empty() && type.find("json") == std::string::npos && type.find("x-www-form-urlencoded") == std::string::npos &&
      type.find("text/plain") == std::string::npos) {
    throw HttpError{415, "the body must be JSON (Content-Type: application/json), not " + type, ""};
  }
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    // Parse again for the position of the error.
    try {
      json again = json::parse(req.body);
    } catch (const json::parse_error& e) {
      throw HttpError{400, std::string("malformed JSON: ") + e.what(), ""};
    }
    throw HttpError{400, "malformed JSON", ""};
  }
  if (!body.is_object()) throw HttpError{400, "the body must be a JSON object", ""};
  return body;
}

// Refuses a body with a field the endpoint does not take (a typo would
// otherwise be ignored without a word).
void CheckFields(const json& body, std::initializer_list<const char*> known) {
  for (const auto& [key, value] : body.items()) {
    bool ok = false;
    std::string list;
    for (const char* k : known) {
      ok = ok || key == k;
      list += list.empty() ? k : std::string(", ") + k;
    }
    if (!ok) throw HttpError{400, key + ": unknown field (" + list + ")", key};
  }
}

// A field of the body of the expected JSON type, or nullopt when absent.
template <typename Check>
const json* Field(const json& body, const char* name, Check check, const char* what) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return nullptr;
  if (!check(*it)) throw HttpError{400, std::string(name) + ": expected " + what, name};
  return &*it;
}

const json* ArrayField(const json& body, const char* name) {
  return Field(body, name, [](const json& j) { return j.is_array(); }, "an array");
}
const json* ObjectField(const json& body, const char* name) {
  return Field(body, name, [](const json& j) { return j.is_object(); }, "an object");
}
bool BoolField(const json& body, const char* name, bool fallback) {
  const json* f = Field(body, name, [](const json& j) { return j.is_boolean(); }, "true or false");
  return f ? f->get<bool>() : fallback;
}
std::string StringField(const json& body, const char* name) {
  const json* f = Field(body, name, [](const json& j) { return j.is_string(); }, "a string");
  return f ? f->get<std::string>() : "";
}

// What a request may spend: the server's caps, lowered by the request's "limits".
struct Budget {
  RunLimits run;
  Clock::time_point deadline;
  std::size_t max_solutions = 0;
  double Remaining() const {
    return std::max(1e-3, std::chrono::duration<double>(deadline - Clock::now()).count());
  }
};

Budget ReadBudget(const json& body, const ServerOptions& options, Clock::time_point start) {
  Budget b;
  double seconds = options.deadline_seconds;
  b.run.max_firings = options.max_firings;
  b.run.max_facts = options.max_facts;
  b.max_solutions = options.max_solutions;
  if (const json* limits = ObjectField(body, "limits")) {
    auto number = [&](const char* name) -> std::optional<double> {
      auto it = limits->find(name);
      if (it == limits->end() || it->is_null()) return std::nullopt;
      if (!it->is_number() || it->get<double>() <= 0) {
        throw HttpError{400, std::string("limits.") + name + ": expected a positive number", std::string("limits.") + name};
      }
      return it->get<double>();
    };
    for (const auto& [key, value] : limits->items()) {
      if (key != "max_firings" && key != "timeout_ms" && key != "max_facts" && key != "max_solutions") {
        throw HttpError{400, "limits." + key + ": unknown limit (max_firings, timeout_ms, max_facts, max_solutions)",
                        "limits." + key};
      }
    }
    if (auto v = number("max_firings")) b.run.max_firings = std::min<std::uint64_t>(b.run.max_firings, static_cast<std::uint64_t>(*v));
    if (auto v = number("max_facts")) b.run.max_facts = std::min<std::size_t>(b.run.max_facts, static_cast<std::size_t>(*v));
    if (auto v = number("max_solutions")) b.max_solutions = std::min<std::size_t>(b.max_solutions, static_cast<std::size_t>(*v));
    if (auto v = number("timeout_ms")) seconds = std::min(seconds, *v / 1000.0);
  }
  b.deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  b.run.timeout_seconds = seconds;
  return b;
}

json PackVersionJson(const PackVersion& p) {
  return json{{"name", p.name},
              {"version", std::to_string(p.serial) + "-" + p.program.version()},
              {"serial", p.serial},
              {"digest", p.program.version()},
              {"files", p.files},
              {"loaded_at", p.loaded_at},
              {"models", p.program.models()}};
}

// The n-th capture of the route's pattern (a path segment).
std::string Param(const httplib::Request& req, std::size_t n) {
  return n < req.matches.size() ? std::string(req.matches[n]) : std::string();
}

std::string VersionOf(const PackVersion& p) { return std::to_string(p.serial) + "-" + p.program.version(); }

void AssertFacts(Session& session, const std::vector<Fact>& facts) {
  for (std::size_t i = 0; i < facts.size(); ++i) {
    Status s = session.Assert(facts[i].relation, facts[i].values, facts[i].certainty);
    if (!s.ok()) throw HttpError{400, "facts." + facts[i].relation + ": " + s.message(), "facts." + facts[i].relation};
  }
}

RunReport RunOrThrow(Session& session, const RunLimits& limits) {
  auto report = session.Run(limits);
  if (!report.ok()) throw HttpError{422, "the rules stopped with an error: " + report.status().message(), ""};
  if (report->limit_reached()) {
    HttpError e{422, "the run was stopped at its limit: " + report->message, ""};
    e.extra = json{{"stop", report->stop}, {"firings", report->firings}};
    throw e;
  }
  return *report;
}

json RunJson(const RunReport& r) {
  return json{{"stop", r.stop}, {"firings", r.firings}, {"derivations", r.derivations}};
}

// The facts of the named relations, with their explanations when asked.
json FactsJson(const Session& session, const Program& program, const std::vector<std::string>& relations,
               bool explain) {
  json out = json::object();
  for (const std::string& name : relations) {
    const RelationInfo* rel = program.FindRelation(name);
    auto facts = session.Facts(name);
    if (rel == nullptr || !facts.ok()) throw HttpError{400, "relations: the pack has no relation '" + name + "'", "relations"};
    json rows = json::array();
    for (const Fact& f : *facts) {
      json row = FactToJson(*rel, f);
      if (explain) {
        auto e = session.Explain(f);
        if (e.ok()) row["explanation"] = ExplanationToJson(*e);
      }
      rows.push_back(std::move(row));
    }
    out[name] = std::move(rows);
  }
  return out;
}

std::vector<std::string> RelationNames(const json* list, const Program& program) {
  std::vector<std::string> names;
  if (list == nullptr) {
    for (const RelationInfo& r : program.relations()) {
      if (r.derived) names.push_back(r.name);
    }
    return names;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& n = (*list)[i];
    std::string where = "relations[" + std::to_string(i) + "]";
    if (!n.is_string()) throw HttpError{400, where + ": expected a relation name", where};
    if (program.FindRelation(n.get<std::string>()) == nullptr) {
      throw HttpError{400, where + ": the pack has no relation '" + n.get<std::string>() + "'", where};
    }
    names.push_back(n.get<std::string>());
  }
  return names;
}

// Steps a query until it is done, stops at a question, or has `max` solutions.
json Consult(Query& query, const Budget& budget, bool explain, bool* waiting) {
  json solutions = json::array();
  json out;
  *waiting = false;
  while (solutions.size() < budget.max_solutions) {
    auto step = query.Next(budget.Remaining());
    if (!step.ok()) {
      const Status& s = step.status();
      if (s.code() == StatusCode::kInvalidArgument) throw HttpError{400, s.message(), "goal"};
      throw HttpError{StatusFor(s), s.message(), ""};
    }
    if (step->kind == QueryStep::kDone) {
      out["status"] = "done";
      break;
    }
    if (step->kind == QueryStep::kQuestion) {
      out["status"] = "question";
      out["question"] = QuestionToJson(step->question);
      *waiting = true;
      break;
    }
    json sol = SolutionToJson(step->solution);
    if (explain) {
      auto e = query.Explain(step->solution);
      if (e.ok()) sol["explanation"] = ExplanationToJson(*e);
    }
    solutions.push_back(std::move(sol));
  }
  if (!out.contains("status")) out["status"] = "more";  // stopped at max_solutions
  out["solutions"] = std::move(solutions);
  return out;
}

json RulesFired(const Session& session) {
  json fired = json::array();
  for (const auto& [rule, n] : session.Firings()) fired.push_back({{"rule", rule}, {"firings", n}});
  for (const std::string& rule : session.ConcludingRules()) fired.push_back({{"rule", rule}});
  return fired;
}

}  // namespace

// ---- handlers ---------------------------------------------------------------------------

class Server::Handlers {
 public:
  explicit Handlers(Server& server) : s_(server) {}

  // Wraps a handler: authentication, errors as JSON, metrics.
  template <typename F>
  httplib::Server::Handler Route(std::string route, F handler, bool open = false) {
    return [this, route = std::move(route), handler, open](const httplib::Request& req, httplib::Response& res) {
      const auto start = Clock::now();
      try {
        if (!open && !Authorized(req)) {
          HttpError e{401, "missing or wrong bearer token (Authorization: Bearer <token>)", ""};
          res.set_header("WWW-Authenticate", "Bearer");
          SendError(res, e);
        } else {
          handler(req, res, start);
        }
      } catch (const HttpError& e) {
        SendError(res, e);
      } catch (const json::exception& e) {
        SendError(res, HttpError{400, std::string("bad JSON value: ") + e.what(), ""});
      } catch (const std::exception& e) {
        SendError(res, HttpError{500, std::string("internal error: ") + e.what(), ""});
      }
      s_.metrics_.Request(route, res.status, std::chrono::duration<double>(Clock::now() - start).count());
    };
  }

  bool Authorized(const httplib::Request& req) const {
    if (s_.options_.token.empty()) return true;
    // Compared in constant time: how long a wrong token takes tells nothing.
    const std::string given = req.get_header_value("Authorization");
    const std::string want = "Bearer " + s_.options_.token;
    unsigned diff = given.size() != want.size();
    for (std::size_t i = 0; i < want.size(); ++i) diff |= static_cast<unsigned char>(i < given.size() ? given[i] : 0) ^ static_cast<unsigned char>(want[i]);
    return diff == 0;
  }

  std::shared_ptr<const PackVersion> Pack(const std::string& name) {
    auto pack = s_.packs_.Get(name);
    if (pack == nullptr) throw HttpError{404, "no pack named '" + name + "' (GET /v1/packs lists them)", ""};
    return pack;
  }

  std::shared_ptr<SessionEntry> FindSession(const std::string& id) {
    auto entry = s_.sessions_.Find(id);
    if (entry == nullptr) throw HttpError{404, "no session '" + id + "': it never existed, was closed or expired", ""};
    return entry;
  }

  // Sends `out` and logs the decision with the same text.
  void SendAndLog(httplib::Response& res, const json& out, const std::string& endpoint, const PackVersion& pack,
                  Clock::time_point start, const std::string& request) {
    std::string text = out.dump();
    res.status = 200;
    res.set_content(text, "application/json");
    Log(endpoint, pack, 200, start, request, std::move(text));
  }

  void Log(const std::string& endpoint, const PackVersion& pack, int status, Clock::time_point start,
           const std::string& request, std::string response) {
    s_.metrics_.Decision();
    if (s_.options_.log == nullptr) return;
    kb::DecisionRecord r;
    r.at = kb::IsoTimeNow();
    r.endpoint = endpoint;
    r.pack = pack.name;
    r.pack_version = VersionOf(pack);
    r.models = json(pack.program.models()).dump();
    r.status = status;
    r.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    r.request = request;
    r.response = std::move(response);
    s_.options_.log->Log(std::move(r));
  }

  void Decide(const httplib::Request& req, httplib::Response& res, Clock::time_point start) {
    auto pack = Pack(Param(req, 1));
    json body = ParseBody(req, false);
    CheckFields(body, {"facts", "goals", "relations", "run", "explain", "limits"});
    Budget budget = ReadBudget(body, s_.options_, start);
    const Program& program = pack->program;
    const bool explain = BoolField(body, "explain", false);
    const json* goals = ArrayField(body, "goals");
    const json* relations = ArrayField(body, "relations");
    std::vector<Fact> facts;
    if (const json* f = ObjectField(body, "facts")) {
      auto read = ReadFacts(program, *f, "facts");
      if (!read.ok()) throw FieldError(read.status());
      facts = std::move(read).value();
    }
    Session session(program);
    AssertFacts(session, facts);
    json out{{"pack", pack->name}, {"pack_version", VersionOf(*pack)}, {"models", program.models()}};
    if (BoolField(body, "run", true)) {
      RunReport report = RunOrThrow(session, budget.run);
      s_.metrics_.Fired(report.firings, report.derivations);
      out.update(RunJson(report));
    }
    if (goals == nullptr || relations != nullptr) {
      out["facts"] = FactsJson(session, program, RelationNames(relations, program), explain);
    }
    if (goals != nullptr) {
      json answers = json::array();
      for (std::size_t i = 0; i < goals->size(); ++i) {
        const json& g = (*goals)[i];
        std::string where = "goals[" + std::to_string(i) + "]";
        if (!g.is_string()) throw HttpError{400, where + ": expected a goal, as in \"decision(Id, D, G, S)\"", where};
        auto query = session.Ask(g.get<std::string>());
        if (!query.ok()) throw HttpError{400, where + ": " + query.status().message(), where};
        bool waiting = false;
        json answer = Consult(*query, budget, explain, &waiting);
        if (waiting) {
          HttpError e{409, where + ": the rules need an answer from the user; consult through a session (POST /v1/sessions)", where};
          e.extra = json{{"question", answer["question"]}};
          throw e;
        }
        answer["goal"] = g;
        answers.push_back(std::move(answer));
      }
      out["answers"] = std::move(answers);
    }
    out["rules_fired"] = RulesFired(session);
    out["output"] = session.TakeOutput();
    s_.metrics_.ModelCalls(session.model_calls());
    out["elapsed_ms"] = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    SendAndLog(res, out, "decide", *pack, start, req.body);
  }

  void Packs(const httplib::Request&, httplib::Response& res, Clock::time_point) {
    json list = json::array();
    for (const auto& p : s_.packs_.All()) list.push_back(PackVersionJson(*p));
    SendJson(res, 200, json{{"packs", std::move(list)}});
  }

  void PackInfo(const httplib::Request& req, httplib::Response& res, Clock::time_point) {
    auto pack = Pack(Param(req, 1));
    json out = PackVersionJson(*pack);
    json relations = json::array();
    for (const RelationInfo& r : pack->program.relations()) relations.push_back(RelationToJson(r));
    out["relations"] = std::move(relations);
    SendJson(res, 200, out);
  }

  void Reload(const httplib::Request& req, httplib::Response& res, Clock::time_point) {
    const std::string name = Param(req, 1);
    Pack(name);
    auto reloaded = s_.packs_.Reload(name);
    s_.metrics_.Reload(reloaded.ok());
    if (!reloaded.ok()) {
      HttpError e{422, "the pack did not compile; the previous version keeps serving", ""};
      e.extra = json{{"diagnostics", reloaded.status().message()}, {"serving", PackVersionJson(*Pack(name))}};
      throw e;
    }
    SendJson(res, 200, PackVersionJson(**reloaded));
  }

  void CreateSession(const httplib::Request& req, httplib::Response& res, Clock::time_point) {
    json body = ParseBody(req, true);
    CheckFields(body, {"pack", "facts"});
    std::string name = StringField(body, "pack");
    if (name.empty()) throw HttpError{400, "pack: the pack to consult is required", "pack"};
    auto pack = Pack(name);
    std::vector<Fact> facts;
    if (const json* f = ObjectField(body, "facts")) {
      auto read = ReadFacts(pack->program, *f, "facts");
      if (!read.ok()) throw FieldError(read.status());
      facts = std::move(read).value();
    }
    auto entry = s_.sessions_.Create(pack);
    if (!entry.ok()) throw HttpError{429, entry.status().message(), ""};
    s_.metrics_.SessionCreated();
    std::lock_guard lock((*entry)->mutex);
    AssertFacts((*entry)->session, facts);
    json out{{"session", (*entry)->id},
             {"pack", pack->name},
             {"pack_version", VersionOf(*pack)},
             {"expires_after_idle_s", s_.sessions_.ttl().count()}};
    res.set_header("Location", "/v1/sessions/" + (*entry)->id);
    SendJson(res, 201, out);
  }

  json SessionJson(SessionEntry& e) {
    json out{{"session", e.id}, {"pack", e.pack->name}, {"pack_version", VersionOf(*e.pack)}};
    if (!e.goal.empty()) out["goal"] = e.goal;
    if (const auto& q = e.session.pending_question()) out["question"] = QuestionToJson(*q);
    return out;
  }

  void GetSession(const httplib::Request& req, httplib::Response& res, Clock::time_point) {
    auto entry = FindSession(Param(req, 1));
    std::lock_guard lock(entry->mutex);
    SendJson(res, 200, SessionJson(*entry));
  }

  void DeleteSession(const httplib::Request& req, httplib::Response& res, Clock::time_point) {
    if (!s_.sessions_.Remove(Param(req, 1))) {
      throw HttpError{404, "no session '" + Param(req, 1) + "'", ""};
    }
    res.status = 204;
  }

  void SessionFacts(const httplib::Request& req, httplib::Response& res, Clock::time_point) {
    auto entry = FindSession(Param(req, 1));
    json body = ParseBody(req, true);
    CheckFields(body, {"facts", "retract"});
    std::lock_guard lock(entry->mutex);
    const Program& program = entry->pack->program;
    std::size_t asserted = 0, retracted = 0;
    // Check everything before changing anything: a bad row leaves the session as it was.
    std::vector<Fact> add, remove;
    if (const json* f = ObjectField(body, "facts")) {
      auto read = ReadFacts(program, *f, "facts");
      if (!read.ok()) throw FieldError(read.status());
      add = std::move(read).value();
    }
    if (const json* f = ObjectField(body, "retract")) {
      auto read = ReadFacts(program, *f, "retract");
      if (!read.ok()) throw FieldError(read.status());
      remove = std::move(read).value();
    }
    for (const Fact& f : remove) {
      auto now = entry->session.Facts(f.relation);
      bool present = false;
      for (const Fact& g : *now) present = present || g.values == f.values;
      if (!present) throw HttpError{404, "retract." + f.relation + ": no such fact in the session; nothing was changed", "retract." + f.relation};
    }
    for (const Fact& f : remove) {
      Status s = entry->session.Retract(f.relation, f.values);
      if (!s.ok()) throw HttpError{StatusFor(s) == 404 ? 404 : 400, "retract." + f.relation + ": " + s.message(), "retract." + f.relation};
      ++retracted;
    }
    AssertFacts(entry->session, add);
    asserted = add.size();
    entry->query.reset();  // its answers were about other facts
    entry->goal.clear();
    SendJson(res, 200, json{{"asserted", asserted}, {"retracted", retracted}});
  }

  void SessionRun(const httplib::Request& req, httplib::Response& res, Clock::time_point start) {
    auto entry = FindSession(Param(req, 1));
    json body = ParseBody(req, false);
    CheckFields(body, {"relations", "explain", "limits"});
    Budget budget = ReadBudget(body, s_.options_, start);
    std::lock_guard lock(entry->mutex);
    entry->query.reset();
    entry->goal.clear();
    RunReport report = RunOrThrow(entry->session, budget.run);
    s_.metrics_.Fired(report.firings, report.derivations);
    json out = RunJson(report);
    const Program& program = entry->pack->program;
    if (const json* relations = ArrayField(body, "relations")) {
      out["facts"] = FactsJson(entry->session, program, RelationNames(relations, program), BoolField(body, "explain", false));
    }
    out["rules_fired"] = RulesFired(entry->session);
    out["output"] = entry->session.TakeOutput();
    out["elapsed_ms"] = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    SendAndLog(res, out, "session.run", *entry->pack, start, req.body);
  }

  void SessionQuery(const httplib::Request& req, httplib::Response& res, Clock::time_point start) {
    auto entry = FindSession(Param(req, 1));
    json body = ParseBody(req, true);
    CheckFields(body, {"goal", "explain", "limits"});
    std::string goal = StringField(body, "goal");
    if (goal.empty()) throw HttpError{400, "goal: the goal to ask is required, as in \"diagnosis(my_car, F)\"", "goal"};
    Budget budget = ReadBudget(body, s_.options_, start);
    std::lock_guard lock(entry->mutex);
    entry->query.reset();
    auto query = entry->session.Ask(goal);
    if (!query.ok()) throw HttpError{400, "goal: " + query.status().message(), "goal"};
    entry->query.emplace(std::move(query).value());
    entry->goal = goal;
    entry->explain = BoolField(body, "explain", false);
    Continue(*entry, req, res, budget, start);
  }

  void SessionAnswer(const httplib::Request& req, httplib::Response& res, Clock::time_point start) {
    auto entry = FindSession(Param(req, 1));
    json body = ParseBody(req, true);
    CheckFields(body, {"answer", "limits"});
    const json* answer = Field(body, "answer", [](const json& j) { return j.is_string() || j.is_number() || j.is_boolean(); },
                               "a reply: \"yes\", \"no\", \"unknown\", a choice or a number (optionally with a certainty)");
    if (answer == nullptr) throw HttpError{400, "answer: the reply to the question is required", "answer"};
    std::string text = answer->is_string() ? answer->get<std::string>()
                       : answer->is_boolean() ? (answer->get<bool>() ? "yes" : "no")
                                              : answer->dump();
    Budget budget = ReadBudget(body, s_.options_, start);
    std::lock_guard lock(entry->mutex);
    if (!entry->session.pending_question()) {
      HttpError e{409, "there is no question waiting for an answer", "answer"};
      e.code = "no_question";
      throw e;
    }
    Status s = entry->session.Answer(text);
    if (!s.ok()) throw HttpError{400, "answer: " + s.message(), "answer"};
    if (!entry->query) {
      SendJson(res, 200, SessionJson(*entry));
      return;
    }
    Continue(*entry, req, res, budget, start);
  }

  // More solutions of the session's goal, after a response that said "more".
  void SessionNext(const httplib::Request& req, httplib::Response& res, Clock::time_point start) {
    auto entry = FindSession(Param(req, 1));
    json body = ParseBody(req, false);
    CheckFields(body, {"limits"});
    Budget budget = ReadBudget(body, s_.options_, start);
    std::lock_guard lock(entry->mutex);
    if (!entry->query) {
      HttpError e{409, "the session has no goal being solved: POST /v1/sessions/{id}/query first", ""};
      e.code = "no_goal";
      throw e;
    }
    Continue(*entry, req, res, budget, start);
  }

  // Goes on with the session's query and answers with what it gave.
  void Continue(SessionEntry& entry, const httplib::Request& req, httplib::Response& res, const Budget& budget,
                Clock::time_point start) {
    bool waiting = false;
    json out = Consult(*entry.query, budget, entry.explain, &waiting);
    out["session"] = entry.id;
    out["goal"] = entry.goal;
    out["pack_version"] = VersionOf(*entry.pack);
    out["elapsed_ms"] = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (waiting) {
      SendJson(res, 200, out);
    } else {
      SendAndLog(res, out, "session.query", *entry.pack, start, req.body);
    }
  }

  void SessionRelation(const httplib::Request& req, httplib::Response& res, Clock::time_point) {
    auto entry = FindSession(Param(req, 1));
    std::lock_guard lock(entry->mutex);
    const std::string relation = Param(req, 2);
    if (entry->pack->program.FindRelation(relation) == nullptr) {
      throw HttpError{404, "the pack has no relation '" + relation + "'", ""};
    }
    bool explain = req.has_param("explain") && req.get_param_value("explain") != "false";
    SendJson(res, 200, FactsJson(entry->session, entry->pack->program, {relation}, explain));
  }

 private:
  Server& s_;
};

// ---- server ----------------------------------------------------------------------------

Server::Server(ServerOptions options, PackRegistry& packs, Metrics& metrics)
    : options_(std::move(options)),
      packs_(packs),
      metrics_(metrics),
      sessions_(options_.max_sessions, options_.session_ttl),
      http_(std::make_unique<httplib::Server>()),
      handlers_(std::make_unique<Handlers>(*this)) {
  httplib::Server& http = *http_;
  Handlers& h = *handlers_;
  const int threads = std::max(1, options_.threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  http.set_payload_max_length(options_.body_limit);
  // SO_REUSEADDR only: httplib's default SO_REUSEPORT would let a second
  // server share a port already in use instead of failing to start.
  http.set_socket_options([this](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_socket_ = sock;
  });
  // Headers and body go out in two writes: without TCP_NODELAY, Nagle holds
  // the body until the client's delayed ACK (~40 ms per request).
  http.set_tcp_nodelay(true);
  http.set_keep_alive_max_count(1u << 30);
  http.set_keep_alive_timeout(30);
  http.set_read_timeout(10);
  http.set_write_timeout(10);

  using namespace std::placeholders;
  auto bind = [&h](auto method) { return std::bind(method, &h, _1, _2, _3); };
  // Every route is registered through here, so that a path served under
  // other methods answers 405 with Allow rather than 404.
  auto route = [&http, this](const char* method, const char* pattern, httplib::Server::Handler handler) {
    routes_.push_back(RoutePattern{std::regex(pattern), method});
    const std::string_view m = method;
    if (m == "GET") http.Get(pattern, std::move(handler));
    else if (m == "PUT") http.Put(pattern, std::move(handler));
    else if (m == "POST") http.Post(pattern, std::move(handler));
    else http.Delete(pattern, std::move(handler));
  };
  route("GET", "/healthz", h.Route("/healthz", [this](const httplib::Request&, httplib::Response& res, Clock::time_point) {
             sessions_.Expire();
             SendJson(res, 200, json{{"status", "ok"}, {"packs", packs_.All().size()}, {"sessions", sessions_.size()}});
           }, true));
  route("GET", "/metrics", h.Route("/metrics", [this](const httplib::Request&, httplib::Response& res, Clock::time_point) {
             sessions_.Expire();
             res.set_content(metrics_.Render(sessions_.size(), sessions_.expired_total()), "text/plain; version=0.0.4");
           }));
  route("GET", "/v1/openapi.json", h.Route("/v1/openapi.json", [](const httplib::Request&, httplib::Response& res, Clock::time_point) {
             res.set_content(OpenApiDocument(), "application/json");
           }, true));
  route("GET", "/v1/packs", h.Route("/v1/packs", bind(&Handlers::Packs)));
  route("GET", R"(/v1/packs/([^/]+))", h.Route("/v1/packs/{pack}", bind(&Handlers::PackInfo)));
  route("PUT", R"(/v1/packs/([^/]+))", h.Route("/v1/packs/{pack}", bind(&Handlers::Reload)));
  route("POST", R"(/v1/decide/([^/]+))", h.Route("/v1/decide/{pack}", bind(&Handlers::Decide)));
  route("POST", "/v1/sessions", h.Route("/v1/sessions", bind(&Handlers::CreateSession)));
  route("GET", R"(/v1/sessions/([^/]+))", h.Route("/v1/sessions/{id}", bind(&Handlers::GetSession)));
  route("DELETE", R"(/v1/sessions/([^/]+))", h.Route("/v1/sessions/{id}", bind(&Handlers::DeleteSession)));
  route("POST", R"(/v1/sessions/([^/]+)/facts)", h.Route("/v1/sessions/{id}/facts", bind(&Handlers::SessionFacts)));
  route("POST", R"(/v1/sessions/([^/]+)/run)", h.Route("/v1/sessions/{id}/run", bind(&Handlers::SessionRun)));
  route("POST", R"(/v1/sessions/([^/]+)/query)", h.Route("/v1/sessions/{id}/query", bind(&Handlers::SessionQuery)));
  route("POST", R"(/v1/sessions/([^/]+)/answer)", h.Route("/v1/sessions/{id}/answer", bind(&Handlers::SessionAnswer)));
  route("POST", R"(/v1/sessions/([^/]+)/next)", h.Route("/v1/sessions/{id}/next", bind(&Handlers::SessionNext)));
  route("GET", R"(/v1/sessions/([^/]+)/facts/([^/]+))",
           h.Route("/v1/sessions/{id}/facts/{relation}", bind(&Handlers::SessionRelation)));

  // What no route answered (404, a method not allowed, 413 from the body
  // limit) gets a JSON error too.
  http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) {
      std::string allow;
      for (const RoutePattern& r : routes_) {
        if (r.method != req.method && std::regex_match(req.path, r.pattern) && allow.find(r.method) == std::string::npos) {
          allow += (allow.empty() ? "" : ", ") + r.method;
        }
      }
      if (!allow.empty()) {
        res.status = 405;
        res.set_header("Allow", allow);
      }
    }
    std::string message = res.status == 413   ? "the body is larger than the limit of " + std::to_string(options_.body_limit) + " bytes"
                          : res.status == 404 ? "no such endpoint: " + req.method + " " + req.path + " (GET /v1/openapi.json lists them)"
                          : res.status == 405 ? "method not allowed: " + req.method + " " + req.path + " (allowed: " + res.get_header_value("Allow") + ")"
                                              : "request failed";
    SendError(res, HttpError{res.status, message, ""});
    metrics_.Request("(none)", res.status, 0);
  });
}

Server::~Server() { Stop(); }

Status Server::Bind() {
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.bind);
    if (port_ <= 0) return Status::IoError("cannot listen on " + options_.bind);
  } else {
    if (!http_->bind_to_port(options_.bind, options_.port)) {
      return Status::IoError("cannot listen on " + options_.bind + ":" + std::to_string(options_.port) +
                             " (in use, or not an address of this machine)");
    }
    port_ = options_.port;
  }
  // Debian's httplib is built with a listen backlog of 5: 64 clients
  // connecting at once overflow it, and the dropped SYNs come back a second
  // later (p99 latencies of a second under load). Listening again on the bound
  // socket only sets the backlog.
  if (listen_socket_ >= 0) ::listen(listen_socket_, SOMAXCONN);
  return Status();
}

void Server::Run() { http_->listen_after_bind(); }

void Server::Stop() {
  if (http_ && http_->is_running()) http_->stop();
}

}  // namespace syllo::service

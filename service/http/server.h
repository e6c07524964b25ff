// Server: Syllo's HTTP/JSON decision service (`syllo serve`).
//
//   POST   /v1/decide/{pack}                 facts in, decisions out (stateless)
//   POST   /v1/sessions                      open a consultation on a pack
//   GET    /v1/sessions/{id}                 its state and pending question
//   DELETE /v1/sessions/{id}
//   POST   /v1/sessions/{id}/facts           assert (and retract) facts
//   POST   /v1/sessions/{id}/run             run the rules forward
//   POST   /v1/sessions/{id}/query           ask a goal (may stop at a question)
//   POST   /v1/sessions/{id}/answer          answer the question, go on
//   POST   /v1/sessions/{id}/next            more solutions (after "more")
//   GET    /v1/sessions/{id}/facts/{relation}
//   GET    /v1/packs, GET /v1/packs/{pack}, PUT /v1/packs/{pack} (reload)
//   GET    /healthz, GET /metrics, GET /v1/openapi.json
//
// Errors are JSON: {"error": {"status": 400, "code": "invalid_argument",
// "message": "...", "field": "facts.applicant[0].age"}}. docs/service.md is
// the user's reference and service/http/openapi.json the contract.
//
// Thread safety: Stop may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "service/http/decision_logger.h"
#include "service/http/metrics.h"
#include "service/http/pack_registry.h"
#include "service/http/session_store.h"

namespace httplib {
class Server;
}

namespace syllo::service {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  int port = 8080;              // 0: any free port (see Server::port)
  int threads = 128;            // connections served at once (a keep-alive connection holds one)
  std::string token;            // non-empty: every route but /healthz needs "Authorization: Bearer <token>"
  std::size_t body_limit = 1u << 20;
  double deadline_seconds = 5;  // per request, for running and solving
  std::uint64_t max_firings = 1'000'000;  // per request
  std::size_t max_facts = 1'000'000;      // per session
  std::size_t max_solutions = 1000;       // per goal in one response
  std::size_t max_sessions = 10'000;
  std::chrono::seconds session_ttl{900};
  DecisionLogger* log = nullptr;  // null: no decision log
};

class Server {
 public:
  Server(ServerOptions options, PackRegistry& packs, Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the address; an error says why (address in use, say).
  Status Bind();
  int port() const { return port_; }
  // Serves until Stop(). REQUIRES: Bind() succeeded.
  void Run();
  void Stop();

  SessionStore& sessions() { return sessions_; }

 private:
  class Handlers;
  ServerOptions options_;
  PackRegistry& packs_;
  Metrics& metrics_;
  SessionStore sessions_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<Handlers> handlers_;
  int port_ = 0;
  int listen_socket_ = -1;
  // The routes' paths and methods, for 405 (a path served under other methods).
  struct RoutePattern {
    std::regex pattern;
    std::string method;
  };
  std::vector<RoutePattern> routes_;  // the bound socket, seen by httplib's socket-options hook
};

// The OpenAPI 3 description of the endpoints (service/http/openapi.json).
const std::string& OpenApiDocument();

}  // namespace syllo::service

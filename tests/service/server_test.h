// A server on a free loopback port, run on a thread of its own, for tests.
#pragma once

#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "service/http/server.h"

namespace syllo::service {

inline std::string SourceDir() {
  const char* env = std::getenv("SYLLO_SOURCE_DIR");
  return env != nullptr ? env : SYLLO_SOURCE_DIR_DEFAULT;
}

class TestServer {
 public:
  explicit TestServer(ServerOptions options = {}, std::vector<std::pair<std::string, std::vector<std::string>>> packs = {})
      : registry_(LoadOptions{}) {
    if (packs.empty()) {
      packs = {{"car", {SourceDir() + "/packs/car_diagnosis/car.syl"}}, {"loan", {SourceDir() + "/packs/loan/loan.lua"}}};
    }
    for (const auto& [name, files] : packs) {
      Status s = registry_.Add(name, files);
      if (!s.ok()) throw std::runtime_error(s.message());
    }
    options.port = 0;
    server_ = std::make_unique<Server>(options, registry_, metrics_);
    Status s = server_->Bind();
    if (!s.ok()) throw std::runtime_error(s.message());
    thread_ = std::thread([this] { server_->Run(); });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    for (int i = 0; i < 200 && !client_->Get("/healthz"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~TestServer() {
    server_->Stop();
    thread_.join();
  }

  httplib::Client& client() { return *client_; }
  std::unique_ptr<httplib::Client> NewClient() { return std::make_unique<httplib::Client>("127.0.0.1", server_->port()); }
  PackRegistry& registry() { return registry_; }
  Metrics& metrics() { return metrics_; }
  Server& server() { return *server_; }

  struct Reply {
    int status = 0;
    nlohmann::json body;
    std::string text;
  };
  Reply Post(const std::string& path, const std::string& body, httplib::Headers headers = {}) {
    return Wrap(client_->Post(path.c_str(), headers, body, "application/json"));
  }
  Reply Post(const std::string& path, const nlohmann::json& body) { return Post(path, body.dump()); }
  Reply Get(const std::string& path, httplib::Headers headers = {}) { return Wrap(client_->Get(path.c_str(), headers)); }
  Reply Put(const std::string& path) { return Wrap(client_->Put(path.c_str(), "", "application/json")); }
  Reply Delete(const std::string& path) { return Wrap(client_->Delete(path.c_str())); }

  static Reply Wrap(const httplib::Result& r) {
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.text = r->body;
    out.body = nlohmann::json::parse(r->body, nullptr, false);
    return out;
  }

 private:
  PackRegistry registry_;
  Metrics metrics_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::unique_ptr<httplib::Client> client_;
};

// One loan applicant as the decide endpoint takes it.
inline nlohmann::json Applicant(const std::string& id, int credit_score, int loan = 20000) {
  return {{"id", id},          {"age", 40},         {"annual_income", 90000},      {"monthly_debt", 500},
          {"credit_score", credit_score},           {"employment_type", "salaried"}, {"employment_years", 6},
          {"loan_amount", loan}, {"term_months", 60}, {"purpose", "car"},          {"country", "DE"},
          {"existing_customer", true},              {"bankruptcies", 0},           {"late_payments12m", 0}};
}

}  // namespace syllo::service

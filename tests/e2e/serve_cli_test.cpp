// `syllo serve` as an operator runs it: start, decide over HTTP, stop with
// SIGTERM, then read the decision log with `syllo decisions`.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "tests/e2e/run_command.h"

namespace syllo::testing {
namespace {

// A running `syllo serve`; its stderr is read until it says where it listens.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& args) {
    int err[2];
    EXPECT_EQ(pipe(err), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(err[1], STDERR_FILENO);
      close(err[0]);
      close(err[1]);
      std::vector<char*> argv;
      std::string binary = SylloBinary();
      argv.push_back(binary.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(err[1]);
    stderr_ = fdopen(err[0], "r");
    char line[4096];
    while (fgets(line, sizeof line, stderr_) != nullptr) {
      log_ += line;
      std::string l = line;
      auto at = l.find("listening on http://127.0.0.1:");
      if (at != std::string::npos) {
        port_ = std::stoi(l.substr(at + std::string("listening on http://127.0.0.1:").size()));
        break;
      }
    }
  }
  ~ServeProcess() {
    if (pid_ > 0) Stop();
    if (stderr_) fclose(stderr_);
  }
  int port() const { return port_; }
  const std::string& log() const { return log_; }
  // SIGTERM, then the exit status.
  int Stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    char line[4096];
    while (fgets(line, sizeof line, stderr_) != nullptr) log_ += line;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* stderr_ = nullptr;
  int port_ = 0;
  std::string log_;
};

TEST(ServeCliTest, ServesDecidesStopsAndKeepsTheDecisionLog) {
  std::string dir = MakeTempDir();
  std::string db = dir + "/service.db";
  ServeProcess server({"serve", SourceDir() + "/packs/loan/loan.lua", "--port", "0", "--db", db, "--no-watch"});
  ASSERT_GT(server.port(), 0) << server.log();
  httplib::Client client("127.0.0.1", server.port());
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  nlohmann::json applicant = {{"id", "E1"}, {"age", 30}, {"annual_income", 50000}, {"monthly_debt", 100},
                              {"credit_score", 500}, {"employment_type", "salaried"}, {"employment_years", 3},
                              {"loan_amount", 5000}, {"term_months", 24}, {"purpose", "car"}, {"country", "FR"},
                              {"existing_customer", false}, {"bankruptcies", 0}, {"late_payments12m", 0}};
  nlohmann::json body = {{"facts", {{"applicant", {applicant}}}}, {"relations", {"decision"}}};
  auto r = client.Post("/v1/decide/loan", body.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto reply = nlohmann::json::parse(r->body);
  EXPECT_EQ(reply["facts"]["decision"][0]["values"]["decision"], "decline");
  EXPECT_EQ(server.Stop(), 0) << server.log();
  EXPECT_NE(server.log().find("stopped"), std::string::npos) << server.log();

  auto count = RunSyllo("decisions count --db " + db);
  EXPECT_EQ(count.exit_code, 0) << count.err;
  EXPECT_EQ(count.out, "1\n");
  auto exported = RunSyllo("decisions export --db " + db + " --pack loan");
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  auto line = nlohmann::json::parse(exported.out);
  EXPECT_EQ(line["request"]["facts"]["applicant"][0]["id"], "E1");
  EXPECT_EQ(line["response"]["facts"]["decision"][0]["values"]["decision"], "decline");
  auto none = RunSyllo("decisions export --db " + db + " --pack other");
  EXPECT_EQ(none.out, "");
}

TEST(ServeCliTest, APackWithErrorsIsRefusedAtStart) {
  std::string dir = MakeTempDir();
  WriteFile(dir + "/bad.syl", "relation a(x: int).\nb(X) :- a(X).\n");
  auto r = RunSyllo("serve " + dir + "/bad.syl --port 0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.syl:2:1"), std::string::npos) << r.err;
}

TEST(ServeCliTest, ABusyPortIsAClearError) {
  ServeProcess first({"serve", SourceDir() + "/packs/car_diagnosis/car.syl", "--port", "0", "--no-watch"});
  ASSERT_GT(first.port(), 0);
  auto r = RunSyllo("serve " + SourceDir() + "/packs/car_diagnosis/car.syl --port " + std::to_string(first.port()));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())), std::string::npos) << r.err;
}

// The server lives in a module (libsyllo_serve.so) so that the other commands
// never map cpp-httplib and the OpenSSL it links.
TEST(ServeCliTest, OtherCommandsNeverMapTheServerOrOpenSsl) {
  CommandResult r = RunShell("LD_DEBUG=libs '" + SylloBinary() + "' run '" + SourceDir() +
                             "/packs/loan/loan.syl' --show decision");
  ASSERT_EQ(r.exit_code, 0) << r.err.substr(r.err.size() > 2000 ? r.err.size() - 2000 : 0);
  ASSERT_NE(r.err.find("calling init"), std::string::npos) << "LD_DEBUG=libs printed nothing";
  EXPECT_EQ(r.err.find("libssl"), std::string::npos) << "a run mapped OpenSSL";
  EXPECT_EQ(r.err.find("libcrypto"), std::string::npos) << "a run mapped OpenSSL";
  EXPECT_EQ(r.err.find("httplib"), std::string::npos) << "a run mapped cpp-httplib";
  EXPECT_EQ(r.err.find("libsyllo_serve"), std::string::npos) << "a run loaded the serve module";
}

TEST(ServeCliTest, AMissingServerModuleIsAClearError) {
  CommandResult r = RunShell("SYLLO_SERVE_MODULE=/nonexistent/libsyllo_serve.so '" + SylloBinary() + "' serve '" +
                             SourceDir() + "/packs/car_diagnosis/car.syl' --port 0");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("cannot load the HTTP server module"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/libsyllo_serve.so (not found)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace syllo::testing

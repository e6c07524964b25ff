// Many threads on one compiled program: sessions in process, decisions over
// HTTP, and packs reloaded while requests are in flight. Run under ASan (and
// TSan where available) by `make asan`.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/service/server_test.h"

namespace syllo::service {
namespace {

using nlohmann::json;

TEST(ConcurrencyTest, ManySessionsOnOneProgramFromSeveralThreads) {
  auto program = Program::FromText(R"(
relation edge(a: int, b: int).
relation path(a: int, b: int).
relation total(n: int).
path(A, B) :- edge(A, B).
path(A, C) :- path(A, B), edge(B, C).
total(N) :- N = count(path(0, _)).
)", "paths.syl");
  ASSERT_TRUE(program.ok()) << program.status().message();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        Session s(*program);
        const int n = 5 + (t + i) % 7;  // a chain of n edges: n paths from 0
        for (int k = 0; k < n; ++k) {
          if (!s.Assert("edge", {Value::Int(k), Value::Int(k + 1)}).ok()) ++wrong;
        }
        if (!s.Run().ok()) ++wrong;
        auto total = s.Facts("total");
        if (!total.ok() || total->size() != 1 || (*total)[0].values[0].as_int() != n) ++wrong;
        auto q = s.Ask("path(0, X)");
        int solutions = 0;
        while (q.ok()) {
          auto step = q->Next();
          if (!step.ok() || step->kind != QueryStep::kSolution) break;
          ++solutions;
        }
        if (solutions != n) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(ConcurrencyTest, DecisionsOverHttpFromManyConnections) {
  TestServer server;
  std::atomic<int> failed{0}, approved{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto client = server.NewClient();
      for (int i = 0; i < 30; ++i) {
        json body{{"facts", {{"applicant", json::array({Applicant("C" + std::to_string(t) + "_" + std::to_string(i),
                                                                  i % 3 == 0 ? 400 : 800)})}}},
                  {"relations", {"decision"}}};
        auto r = TestServer::Wrap(client->Post("/v1/decide/loan", body.dump(), "application/json"));
        if (r.status != 200) {
          ++failed;
          continue;
        }
        std::string decision = r.body["facts"]["decision"][0]["values"]["decision"];
        if (decision != (i % 3 == 0 ? "decline" : "approve")) ++failed;
        if (decision == "approve") ++approved;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(approved.load(), 8 * 20);
}

// In-flight requests finish on the version they started with and no request
// fails while the pack is swapped, over and over.
TEST(ConcurrencyTest, HotReloadUnderLoadFailsNoRequest) {
  auto dir = std::filesystem::temp_directory_path() / ("syllo_reload_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "scale.syl").string();
  auto write = [&](int factor) {
    std::ofstream(path + ".tmp") << "relation a(x: int).\nrelation b(x: int).\nb(Y) :- a(X), Y = X * " << factor << ".\n";
    std::filesystem::rename(path + ".tmp", path);
  };
  write(1);
  TestServer server({}, {{"scale", {path}}});
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0}, requests{0}, inconsistent{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&] {
      auto client = server.NewClient();
      while (!stop) {
        auto r = TestServer::Wrap(client->Post("/v1/decide/scale", R"({"facts": {"a": [[3]]}})", "application/json"));
        ++requests;
        if (r.status != 200) {
          ++failed;
          continue;
        }
        // Version n multiplies by n: the answer matches the version it reports.
        int serial = r.body["pack_version"].get<std::string>().front() - '0';
        if (r.body["facts"]["b"][0]["values"]["x"] != 3 * serial) ++inconsistent;
      }
    });
  }
  auto client = server.NewClient();
  int reloads = 0;
  for (int v = 2; v <= 9; ++v) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    write(v);
    auto r = TestServer::Wrap(client->Put("/v1/packs/scale", "", "application/json"));
    if (r.status == 200) ++reloads;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  stop = true;
  for (auto& t : load) t.join();
  EXPECT_EQ(reloads, 8);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(inconsistent.load(), 0);
  EXPECT_GT(requests.load(), 8);
  std::filesystem::remove_all(dir);
}

TEST(ConcurrencyTest, FileChangesReloadThePack) {
  auto dir = std::filesystem::temp_directory_path() / ("syllo_watch_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "w.syl").string();
  std::ofstream(path) << "relation a(x: int).\n";
  TestServer server({}, {{"w", {path}}});
  std::atomic<int> heard{0};
  server.registry().Watch(std::chrono::milliseconds(20), [&](const std::string&, const Status& s) {
    if (s.ok()) ++heard;
  });
  // A later modification time than the first load's, whatever the clock's resolution.
  std::ofstream(path) << "relation a(x: int).\nrelation c(x: int).\n";
  std::filesystem::last_write_time(path, std::filesystem::last_write_time(path) + std::chrono::seconds(2));
  for (int i = 0; i < 500 && heard == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  server.registry().StopWatching();
  EXPECT_EQ(heard.load(), 1);
  EXPECT_EQ(server.Get("/v1/packs/w").body["serial"], 2);
  EXPECT_EQ(server.Get("/v1/packs/w").body["relations"].size(), 2u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace syllo::service

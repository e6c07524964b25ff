// Metrics: what `GET /metrics` reports, in the Prometheus text format:
// requests by route and status, a latency histogram, rule firings and
// derivations, model calls, sessions, pack reloads and the decision log.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace syllo::service {

class Metrics {
 public:
  // Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 12> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   0.5,    2.5};

  void Request(const std::string& route, int status, double seconds);
  void Fired(std::uint64_t firings, std::uint64_t derivations) {
    firings_ += firings;
    derivations_ += derivations;
  }
  void Decision() { ++decisions_; }
  void ModelCalls(std::uint64_t n) { model_calls_ += n; }
  void SessionCreated() { ++sessions_created_; }
  void Reload(bool ok) { ++(ok ? reloads_ok_ : reloads_failed_); }
  void Logged(std::uint64_t n) { logged_ += n; }
  void LogFailed(std::uint64_t n) { log_failed_ += n; }

  // The text of /metrics; the session figures come from the session store.
  std::string Render(std::size_t sessions_active, std::uint64_t sessions_expired) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;  // (route, status)
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets_{};
  std::atomic<std::uint64_t> latency_count_{0};
  std::atomic<std::uint64_t> latency_sum_ns_{0};
  std::atomic<std::uint64_t> firings_{0}, derivations_{0}, decisions_{0}, model_calls_{0};
  std::atomic<std::uint64_t> sessions_created_{0};
  std::atomic<std::uint64_t> reloads_ok_{0}, reloads_failed_{0};
  std::atomic<std::uint64_t> logged_{0}, log_failed_{0};
};

}  // namespace syllo::service

#include "service/http/metrics.h"

#include <sstream>

#include "engine/symbol_table.h"

namespace syllo::service {

void Metrics::Request(const std::string& route, int status, double seconds) {
  {
    std::lock_guard lock(mutex_);
    ++requests_[{route, status}];
  }
  std::size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  ++buckets_[b];
  ++latency_count_;
  latency_sum_ns_ += static_cast<std::uint64_t>(seconds * 1e9);
}

std::string Metrics::Render(std::size_t sessions_active, std::uint64_t sessions_expired) const {
  std::ostringstream out;
  out << "# HELP syllo_http_requests_total HTTP requests answered, by route and status.\n"
      << "# TYPE syllo_http_requests_total counter\n";
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, n] : requests_) {
      out << "syllo_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second << "\"} " << n << "\n";
    }
  }
  out << "# HELP syllo_http_request_duration_seconds Time from request to response.\n"
      << "# TYPE syllo_http_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < kBuckets.size(); ++b) {
    cumulative += buckets_[b].load();
    out << "syllo_http_request_duration_seconds_bucket{le=\"" << kBuckets[b] << "\"} " << cumulative << "\n";
  }
  cumulative += buckets_[kBuckets.size()].load();
  out << "syllo_http_request_duration_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n"
      << "syllo_http_request_duration_seconds_sum " << static_cast<double>(latency_sum_ns_.load()) / 1e9 << "\n"
      << "syllo_http_request_duration_seconds_count " << latency_count_.load() << "\n";
  auto counter = [&](const char* name, const char* help, std::uint64_t v) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n" << name << " " << v << "\n";
  };
  counter("syllo_decisions_total", "Decisions made (decide calls and session runs and queries).", decisions_);
  counter("syllo_rule_firings_total", "Production-rule firings.", firings_);
  counter("syllo_rule_derivations_total", "Facts concluded by logical rules.", derivations_);
  counter("syllo_model_calls_total", "Calls of neural predicates.", model_calls_);
  counter("syllo_sessions_created_total", "Sessions created.", sessions_created_);
  counter("syllo_sessions_expired_total", "Sessions removed after their idle time.", sessions_expired);
  counter("syllo_decision_log_written_total", "Decisions written to the decision log.", logged_);
  counter("syllo_decision_log_failed_total", "Decisions the decision log could not write.", log_failed_);
  out << "# HELP syllo_pack_reloads_total Pack reloads, by result.\n# TYPE syllo_pack_reloads_total counter\n"
      << "syllo_pack_reloads_total{result=\"ok\"} " << reloads_ok_ << "\n"
      << "syllo_pack_reloads_total{result=\"failed\"} " << reloads_failed_ << "\n";
  out << "# HELP syllo_sessions_active Sessions open now.\n# TYPE syllo_sessions_active gauge\n"
      << "syllo_sessions_active " << sessions_active << "\n";
  // Bounded under any traffic: texts new with a request are freed after it
  // (engine/symbol_table.h); growth means strings kept for good (computed by
  // rules, or constants of goals sent with requests).
  out << "# HELP syllo_interned_texts Distinct strings and symbols interned now.\n"
      << "# TYPE syllo_interned_texts gauge\n"
      << "syllo_interned_texts " << engine::SymbolTable::Global().live() << "\n";
  return out.str();
}

}  // namespace syllo::service

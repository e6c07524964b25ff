// DecisionLogger: writes the server's decisions to the decision log of the
// knowledge base from a thread of its own, in batches (one transaction per
// batch), so a request never waits for the disk. The queue is bounded: when
// it is full a request waits for room rather than a decision being dropped.
// Prunes the log by age and count at start and every hour.
//
// Thread safety: Log may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kb/decision_log.h"
#include "kb/knowledge_base.h"
#include "service/http/metrics.h"

namespace syllo::service {

struct DecisionLogOptions {
  double retention_days = 30;  // 0: keep for ever
  std::int64_t max_rows = 0;   // 0: no cap
  std::size_t queue_limit = 10000;
};

class DecisionLogger {
 public:
  static Result<std::unique_ptr<DecisionLogger>> Open(const std::string& db, DecisionLogOptions options,
                                                      Metrics& metrics);
  ~DecisionLogger();  // writes what is queued, then stops

  void Log(kb::DecisionRecord record);
  // Waits until everything logged so far is written (tests, shutdown).
  void Flush();

 private:
  DecisionLogger(std::unique_ptr<kb::KnowledgeBase> kb, DecisionLogOptions options, Metrics& metrics);
  void Loop();
  void Prune();

  std::unique_ptr<kb::KnowledgeBase> kb_;
  DecisionLogOptions options_;
  Metrics& metrics_;
  std::mutex mutex_;
  std::condition_variable wake_, room_, idle_;
  std::deque<kb::DecisionRecord> queue_;
  bool writing_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace syllo::service

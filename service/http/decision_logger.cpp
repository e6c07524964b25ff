#include "service/http/decision_logger.h"

#include <chrono>
#include <iostream>

namespace syllo::service {

Result<std::unique_ptr<DecisionLogger>> DecisionLogger::Open(const std::string& db, DecisionLogOptions options,
                                                             Metrics& metrics) {
  auto kb = kb::KnowledgeBase::Open(db, kb::OpenMode::kCreate);
  if (!kb.ok()) return kb.status();
  return std::unique_ptr<DecisionLogger>(new DecisionLogger(std::move(kb).value(), options, metrics));
}

DecisionLogger::DecisionLogger(std::unique_ptr<kb::KnowledgeBase> kb, DecisionLogOptions options, Metrics& metrics)
    : kb_(std::move(kb)), options_(options), metrics_(metrics) {
  Prune();
  thread_ = std::thread([this] { Loop(); });
}

DecisionLogger::~DecisionLogger() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DecisionLogger::Log(kb::DecisionRecord record) {
  std::unique_lock lock(mutex_);
  room_.wait(lock, [this] { return queue_.size() < options_.queue_limit || stop_; });
  queue_.push_back(std::move(record));
  lock.unlock();
  wake_.notify_one();
}

void DecisionLogger::Flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !writing_; });
}

void DecisionLogger::Prune() {
  std::string before = options_.retention_days > 0 ? kb::IsoTimeNow(options_.retention_days * 86400.0) : "";
  if (before.empty() && options_.max_rows <= 0) return;
  auto pruned = kb::PruneDecisions(*kb_, before, options_.max_rows);
  if (!pruned.ok()) std::cerr << "syllo serve: pruning the decision log: " << pruned.status().message() << "\n";
}

void DecisionLogger::Loop() {
  auto last_prune = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait_for(lock, std::chrono::seconds(60), [this] { return !queue_.empty() || stop_; });
    if (queue_.empty() && stop_) break;
    std::vector<kb::DecisionRecord> batch;
    while (!queue_.empty() && batch.size() < 1000) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    writing_ = !batch.empty();
    lock.unlock();
    room_.notify_all();
    if (!batch.empty()) {
      Status s = kb::AppendDecisions(*kb_, batch);
      if (s.ok()) {
        metrics_.Logged(batch.size());
      } else {
        metrics_.LogFailed(batch.size());
        std::cerr << "syllo serve: the decision log could not write " << batch.size() << " decisions: " << s.message()
                  << "\n";
      }
    }
    if (std::chrono::steady_clock::now() - last_prune > std::chrono::hours(1)) {
      Prune();
      last_prune = std::chrono::steady_clock::now();
    }
    lock.lock();
    writing_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
  idle_.notify_all();
}

}  // namespace syllo::service

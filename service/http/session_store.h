// SessionStore: the stateful consultations of the server, by id. A session
// keeps the pack version it was opened on, its open query (a consultation
// waiting for an answer) and when it was last used; idle sessions expire.
//
// Thread safety: the store's methods may be called from any thread; a
// session's own state is guarded by its `mutex`.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "service/http/pack_registry.h"
#include "syllo/session.h"

namespace syllo::service {

struct SessionEntry {
  SessionEntry(std::string id_in, std::shared_ptr<const PackVersion> pack_in)
      : id(std::move(id_in)), pack(std::move(pack_in)), session(pack->program) {}

  const std::string id;
  const std::shared_ptr<const PackVersion> pack;
  std::mutex mutex;  // one request at a time on a session
  Session session;
  std::optional<Query> query;  // the goal being consulted, if any
  std::string goal;
  bool explain = false;
  std::chrono::steady_clock::time_point last_used = std::chrono::steady_clock::now();
};

class SessionStore {
 public:
  SessionStore(std::size_t max_sessions, std::chrono::seconds ttl) : max_(max_sessions), ttl_(ttl) {}

  // kLimitExceeded when `max_sessions` are open.
  Result<std::shared_ptr<SessionEntry>> Create(std::shared_ptr<const PackVersion> pack);
  // The live session (its idle time restarts), or null if unknown or expired.
  std::shared_ptr<SessionEntry> Find(const std::string& id);
  bool Remove(const std::string& id);
  // Removes the sessions idle longer than the ttl; returns how many.
  std::size_t Expire();
  std::size_t size() const;
  std::uint64_t expired_total() const { return expired_; }
  std::chrono::seconds ttl() const { return ttl_; }

 private:
  static std::string NewId();
  const std::size_t max_;
  const std::chrono::seconds ttl_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<SessionEntry>> sessions_;
  std::atomic<std::uint64_t> expired_{0};
};

}  // namespace syllo::service

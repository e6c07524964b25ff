#include "service/http/session_store.h"

#include <random>

namespace syllo::service {

std::string SessionStore::NewId() {
  // 128 random bits: ids cannot be guessed from one another.
  static thread_local std::random_device device;
  static const char* kHex = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 4; ++i) {
    std::uint32_t r = device();
    for (int n = 0; n < 8; ++n, r >>= 4) id += kHex[r & 15];
  }
  return id;
}

Result<std::shared_ptr<SessionEntry>> SessionStore::Create(std::shared_ptr<const PackVersion> pack) {
  Expire();
  {
    std::lock_guard lock(mutex_);
    if (sessions_.size() >= max_) {
      return Status::LimitExceeded("too many open sessions (" + std::to_string(max_) +
                                   "): close one (DELETE /v1/sessions/{id}) or wait for one to expire");
    }
  }
  // Made outside the lock: a session borrows a Lua state, which may mean running the packs.
  auto entry = std::make_shared<SessionEntry>(NewId(), std::move(pack));
  std::lock_guard lock(mutex_);
  sessions_[entry->id] = entry;
  return entry;
}

std::shared_ptr<SessionEntry> SessionStore::Find(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  auto now = std::chrono::steady_clock::now();
  if (now - it->second->last_used > ttl_) {
    sessions_.erase(it);
    ++expired_;
    return nullptr;
  }
  it->second->last_used = now;
  return it->second;
}

bool SessionStore::Remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  return sessions_.erase(id) > 0;
}

std::size_t SessionStore::Expire() {
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  std::size_t n = 0;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (now - it->second->last_used > ttl_) {
      it = sessions_.erase(it);
      ++n;
      ++expired_;
    } else {
      ++it;
    }
  }
  return n;
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace syllo::service

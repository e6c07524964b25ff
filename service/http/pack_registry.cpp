#include "service/http/pack_registry.h"

#include "kb/decision_log.h"

namespace syllo::service {

PackRegistry::~PackRegistry() { StopWatching(); }

std::map<std::string, std::filesystem::file_time_type> PackRegistry::ModTimes(const std::vector<std::string>& files) {
  std::map<std::string, std::filesystem::file_time_type> out;
  for (const auto& f : files) {
    std::error_code ec;
    auto t = std::filesystem::last_write_time(f, ec);
    if (!ec) out[f] = t;
  }
  return out;
}

Status PackRegistry::Add(const std::string& name, const std::vector<std::string>& files) {
  auto mtimes = ModTimes(files);
  auto program = Program::FromFiles(files, options_);
  if (!program.ok()) return Status(program.status().code(), "pack " + name + ": " + program.status().message());
  auto version = std::make_shared<PackVersion>(PackVersion{name, 1, *program, files, kb::IsoTimeNow(), mtimes});
  std::lock_guard lock(mutex_);
  if (packs_.count(name)) return Status::AlreadyExists("two packs are named " + name);
  packs_[name] = std::move(version);
  return Status();
}

std::shared_ptr<const PackVersion> PackRegistry::Get(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = packs_.find(name);
  return it == packs_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const PackVersion>> PackRegistry::All() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const PackVersion>> out;
  for (const auto& [name, v] : packs_) out.push_back(v);
  return out;
}

Result<std::shared_ptr<const PackVersion>> PackRegistry::Reload(const std::string& name) {
  std::lock_guard reload(reload_mutex_);
  auto current = Get(name);
  if (current == nullptr) return Status::NotFound("no pack named " + name);
  // Read the times first: a change made while compiling triggers another reload.
  auto mtimes = ModTimes(current->files);
  auto program = Program::FromFiles(current->files, options_);
  if (!program.ok()) {
    // Remember the times, so the watcher does not retry the same broken files.
    auto same = std::make_shared<PackVersion>(*current);
    same->mtimes = mtimes;
    std::lock_guard lock(mutex_);
    packs_[name] = std::move(same);
    return Status(program.status().code(), "pack " + name + ": " + program.status().message());
  }
  auto next = std::make_shared<PackVersion>(
      PackVersion{name, current->serial + 1, *program, current->files, kb::IsoTimeNow(), mtimes});
  std::lock_guard lock(mutex_);
  packs_[name] = next;
  return std::shared_ptr<const PackVersion>(next);
}

void PackRegistry::Watch(std::chrono::milliseconds interval, ReloadListener on_reload) {
  StopWatching();
  stop_ = false;
  watcher_ = std::thread([this, interval, on_reload = std::move(on_reload)] {
    std::unique_lock lock(watch_mutex_);
    while (!watch_cv_.wait_for(lock, interval, [this] { return stop_; })) {
      lock.unlock();
      for (const auto& pack : All()) {
        if (ModTimes(pack->files) == pack->mtimes) continue;
        auto reloaded = Reload(pack->name);
        if (on_reload) on_reload(pack->name, reloaded.ok() ? Status() : reloaded.status());
      }
      lock.lock();
    }
  });
}

void PackRegistry::StopWatching() {
  {
    std::lock_guard lock(watch_mutex_);
    stop_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

}  // namespace syllo::service

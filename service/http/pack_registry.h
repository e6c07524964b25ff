// PackRegistry: the packs a server serves, by name, each the latest version
// that compiled. Reloading (on request or when a file changes) compiles the
// files again and swaps the new version in atomically; a request or session
// holds the version it started with (a shared_ptr), so in-flight work finishes
// on it. A pack that fails to compile is refused and the old one keeps serving.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "syllo/program.h"
#include "syllo/status.h"

namespace syllo::service {

struct PackVersion {
  std::string name;
  int serial = 1;  // 1 for the first load, +1 for each successful reload
  Program program;
  std::vector<std::string> files;
  std::string loaded_at;  // ISO time
  std::map<std::string, std::filesystem::file_time_type> mtimes;
};

class PackRegistry {
 public:
  explicit PackRegistry(LoadOptions options) : options_(options) {}
  ~PackRegistry();

  // Loads a pack; an error names the pack and holds its diagnostics.
  Status Add(const std::string& name, const std::vector<std::string>& files);
  // The current version, or null.
  std::shared_ptr<const PackVersion> Get(const std::string& name) const;
  std::vector<std::shared_ptr<const PackVersion>> All() const;
  // Compiles the pack's files again; on success the new version serves.
  Result<std::shared_ptr<const PackVersion>> Reload(const std::string& name);

  // Polls the packs' files every `interval` and reloads a pack whose files
  // changed; `on_reload` hears of each attempt.
  using ReloadListener = std::function<void(const std::string& pack, const Status&)>;
  void Watch(std::chrono::milliseconds interval, ReloadListener on_reload);
  void StopWatching();

 private:
  static std::map<std::string, std::filesystem::file_time_type> ModTimes(const std::vector<std::string>& files);

  LoadOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const PackVersion>> packs_;
  std::mutex reload_mutex_;  // one reload at a time
  std::thread watcher_;
  std::mutex watch_mutex_;
  std::condition_variable watch_cv_;
  bool stop_ = false;
};

}  // namespace syllo::service

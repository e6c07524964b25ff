// FaultInjectingVfs: the seam through which tests make SQLite fail. It is a
// SQLite VFS that wraps the default one and, once armed, lets N more writes
// through and then fails every write with SQLITE_IOERR_WRITE, as a full or dying
// disk would, until disarmed. Open a KnowledgeBase with
// OpenOptions{.vfs = FaultInjectingVfs::Get().name()} to route its I/O through it.
//
// Thread safety: arming and counting are atomic; registration happens once.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace syllo::kb {

class FaultInjectingVfs {
 public:
  // Registers the VFS (not as the default) on first use.
  static FaultInjectingVfs& Get();

  const std::string& name() const { return name_; }
  // After `writes` more successful writes, every write fails.
  void FailWritesAfter(std::int64_t writes);
  void Disarm();
  // Writes that failed since the last arming.
  std::int64_t failed_writes() const { return failed_.load(); }

  // Called by the VFS for each write: false means fail it.
  bool AllowWrite();

 private:
  FaultInjectingVfs() = default;
  std::string name_ = "syllo_fault";
  std::atomic<bool> armed_{false};
  std::atomic<std::int64_t> remaining_{0};
  std::atomic<std::int64_t> failed_{0};
};

}  // namespace syllo::kb

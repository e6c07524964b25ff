#include "kb/fault_vfs.h"

#include <sqlite3.h>

#include <cstring>
#include <mutex>
#include <stdexcept>

namespace syllo::kb {

namespace {

// Our file object: SQLite allocates szOsFile bytes for it; the real file of the
// wrapped VFS lives right after our header.
struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;
};

// Our header rounded up, so the real file that follows it stays aligned.
constexpr std::size_t kHeaderBytes = (sizeof(FaultFile) + 15) / 16 * 16;

sqlite3_vfs* g_real = nullptr;

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f)->real; }

int Close(sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); }
int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return Real(f)->pMethods->xRead(Real(f), buf, n, off);
}
int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (!FaultInjectingVfs::Get().AllowWrite()) return SQLITE_IOERR_WRITE;
  return Real(f)->pMethods->xWrite(Real(f), buf, n, off);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) { return Real(f)->pMethods->xTruncate(Real(f), size); }
int Sync(sqlite3_file* f, int flags) { return Real(f)->pMethods->xSync(Real(f), flags); }
int FileSize(sqlite3_file* f, sqlite3_int64* size) { return Real(f)->pMethods->xFileSize(Real(f), size); }
int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) { return Real(f)->pMethods->xCheckReservedLock(Real(f), out); }
int FileControl(sqlite3_file* f, int op, void* arg) { return Real(f)->pMethods->xFileControl(Real(f), op, arg); }
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) { return Real(f)->pMethods->xDeviceCharacteristics(Real(f)); }
int ShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int del) { return Real(f)->pMethods->xShmUnmap(Real(f), del); }
int Fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  return Real(f)->pMethods->xFetch(Real(f), off, n, out);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) { return Real(f)->pMethods->xUnfetch(Real(f), off, p); }

// Version 3 methods: WAL needs the shared-memory ones. Open() refuses a wrapped
// VFS whose files offer fewer (the unix and win VFSes offer all).
const sqlite3_io_methods kMethods = {
    3,        Close,    Read,   Write,    Truncate, Sync,       FileSize, Lock,     Unlock,
    CheckReservedLock,  FileControl,      SectorSize,           DeviceCharacteristics,
    ShmMap,   ShmLock,  ShmBarrier,       ShmUnmap, Fetch,      Unfetch,
};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* f = reinterpret_cast<FaultFile*>(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kHeaderBytes);
  int rc = g_real->xOpen(g_real, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (f->real->pMethods == nullptr || f->real->pMethods->iVersion < 3) {
    if (f->real->pMethods != nullptr) f->real->pMethods->xClose(f->real);
    return SQLITE_CANTOPEN;
  }
  f->base.pMethods = &kMethods;
  return SQLITE_OK;
}

}  // namespace

FaultInjectingVfs& FaultInjectingVfs::Get() {
  static FaultInjectingVfs* instance = [] {
    auto* self = new FaultInjectingVfs();  // lives as long as SQLite may call it
    g_real = sqlite3_vfs_find(nullptr);
    if (g_real == nullptr) throw std::runtime_error("SQLite has no default VFS");
    // Everything but opening files is the wrapped VFS's own.
    static sqlite3_vfs vfs;
    std::memcpy(&vfs, g_real, sizeof vfs);
    vfs.pNext = nullptr;
    vfs.zName = self->name_.c_str();
    vfs.szOsFile = static_cast<int>(kHeaderBytes) + g_real->szOsFile;
    vfs.xOpen = Open;
    sqlite3_vfs_register(&vfs, 0);
    return self;
  }();
  return *instance;
}

void FaultInjectingVfs::FailWritesAfter(std::int64_t writes) {
  failed_ = 0;
  remaining_ = writes;
  armed_ = true;
}

void FaultInjectingVfs::Disarm() { armed_ = false; }

bool FaultInjectingVfs::AllowWrite() {
  if (!armed_) return true;
  if (remaining_.fetch_sub(1) > 0) return true;
  ++failed_;
  return false;
}

}  // namespace syllo::kb

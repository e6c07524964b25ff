// The entry point of the serve module (libsyllo_serve.so): `syllo serve` with
// its options parsed. The HTTP server links Debian's cpp-httplib, which pulls
// in OpenSSL, zlib and brotli (3.7 MiB of resident pages and their relocations
// at every start); in a module loaded by `syllo serve` alone, the other
// commands never map them.
//
// The module holds its own copy of the engine and the API: nothing but this
// options struct crosses the boundary, and both sides are built from the same
// tree (kServeModuleAbi and the struct's size are checked on entry).
#pragma once

#include <string>
#include <vector>

#include "service/http/decision_logger.h"
#include "service/http/server.h"
#include "syllo/program.h"

namespace syllo::service {

struct ServeOptions {
  std::vector<std::string> packs;  // FILE, or NAME=FILE[,FILE...]
  ServerOptions server;
  int session_ttl = 900;
  std::string db;
  std::string token_file;
  double body_limit_mib = 1;
  double deadline_ms = 5000;
  double watch_seconds = 1;
  bool no_watch = false;
  LoadOptions load;
  DecisionLogOptions log;
};

// Exit statuses, as the command line's (cli/command.h).
inline constexpr int kServeExitOk = 0;
inline constexpr int kServeExitInputError = 1;
inline constexpr int kServeExitUsage = 2;
inline constexpr int kServeExitIoError = 3;

// Bumped when ServeOptions or the entry's meaning changes.
inline constexpr int kServeModuleAbi = 1;
inline constexpr const char* kServeModuleFile = "libsyllo_serve.so";
inline constexpr const char* kServeEntrySymbol = "syllo_serve_main";

// Serves until SIGINT or SIGTERM; the exit status. A mismatched abi or size
// (a module from another build) is refused with a message on stderr.
using ServeEntryFn = int (*)(int abi, std::size_t options_size, ServeOptions* options);

}  // namespace syllo::service

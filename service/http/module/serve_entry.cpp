// libsyllo_serve.so: `syllo serve`, loaded by the command line when it is the
// command given (serve_entry.h says why it is a module).
#include "service/http/module/serve_entry.h"

#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "service/http/pack_registry.h"

namespace syllo::service {
namespace {

// "name=a.syl,b.lua" or "a.syl" (named after the file: a).
std::pair<std::string, std::vector<std::string>> ParsePackArg(const std::string& arg) {
  std::string name, files = arg;
  if (auto eq = arg.find('='); eq != std::string::npos) {
    name = arg.substr(0, eq);
    files = arg.substr(eq + 1);
  }
  std::vector<std::string> list;
  std::size_t start = 0;
  while (start <= files.size()) {
    std::size_t comma = files.find(',', start);
    if (comma == std::string::npos) comma = files.size();
    if (comma > start) list.push_back(files.substr(start, comma - start));
    start = comma + 1;
  }
  if (name.empty() && !list.empty()) name = std::filesystem::path(list.front()).stem().string();
  return {name, list};
}

int Serve(ServeOptions& o) {
  if (!o.token_file.empty()) {
    std::ifstream in(o.token_file);
    if (!in || !std::getline(in, o.server.token) || o.server.token.empty()) {
      std::cerr << "syllo serve: cannot read a token from " << o.token_file << "\n";
      return kServeExitUsage;
    }
  } else if (const char* env = std::getenv("SYLLO_TOKEN"); env != nullptr && env[0] != '\0') {
    o.server.token = env;
  }
  o.server.session_ttl = std::chrono::seconds(o.session_ttl);
  o.server.body_limit = static_cast<std::size_t>(o.body_limit_mib * (1 << 20));
  o.server.deadline_seconds = o.deadline_ms / 1000.0;

  // Signals go to one thread that stops the server; block them everywhere else
  // (threads made from here on inherit the mask).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // The decision log's KB also holds the model registry neural predicates read.
  o.load.models_db = o.db;
  PackRegistry packs(o.load);
  for (const std::string& arg : o.packs) {
    auto [name, files] = ParsePackArg(arg);
    if (name.empty() || files.empty()) {
      std::cerr << "syllo serve: '" << arg << "' names no files (PACK is FILE or NAME=FILE[,FILE...])\n";
      return kServeExitUsage;
    }
    if (Status s = packs.Add(name, files); !s.ok()) {
      std::cerr << "syllo serve: " << s.message() << "\n";
      return s.code() == StatusCode::kInvalidArgument ? kServeExitInputError
             : s.code() == StatusCode::kAlreadyExists ? kServeExitUsage
                                                       : kServeExitIoError;
    }
  }
  Metrics metrics;
  std::unique_ptr<DecisionLogger> logger;
  if (!o.db.empty()) {
    auto opened = DecisionLogger::Open(o.db, o.log, metrics);
    if (!opened.ok()) {
      std::cerr << "syllo serve: " << opened.status().message() << "\n";
      return kServeExitIoError;
    }
    logger = std::move(opened).value();
    o.server.log = logger.get();
  }
  Server server(o.server, packs, metrics);
  if (Status s = server.Bind(); !s.ok()) {
    std::cerr << "syllo serve: " << s.message() << "\n";
    return kServeExitIoError;
  }
  if (!o.no_watch) {
    packs.Watch(std::chrono::milliseconds(static_cast<long>(o.watch_seconds * 1000)),
                [&metrics](const std::string& pack, const Status& s) {
                  metrics.Reload(s.ok());
                  if (s.ok()) {
                    std::cerr << "syllo serve: reloaded pack " << pack << "\n";
                  } else {
                    std::cerr << "syllo serve: pack " << pack << " changed but does not compile; still serving the previous version:\n"
                              << s.message() << "\n";
                  }
                });
  }
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.Stop();
  });
  for (const auto& p : packs.All()) {
    std::cerr << "syllo serve: pack " << p->name << " (" << p->program.relations().size() << " relations, version "
              << p->program.version() << ")\n";
  }
  std::cerr << "syllo serve: listening on http://" << o.server.bind << ":" << server.port()
            << (o.server.token.empty() ? "" : " (bearer token required)") << "\n"
            << std::flush;
  server.Run();
  // Run returns after Stop (a signal) or when listening failed.
  packs.StopWatching();
  if (stopper.joinable()) {
    pthread_kill(stopper.native_handle(), SIGTERM);
    stopper.join();
  }
  if (logger) logger->Flush();
  std::cerr << "syllo serve: stopped\n";
  return kServeExitOk;
}

}  // namespace
}  // namespace syllo::service

extern "C" __attribute__((visibility("default"))) int syllo_serve_main(int abi, std::size_t options_size,
                                                                       syllo::service::ServeOptions* options) {
  if (abi != syllo::service::kServeModuleAbi || options_size != sizeof(syllo::service::ServeOptions)) {
    std::cerr << "syllo serve: the serve module is from another build of syllo (interface " << abi << " against "
              << syllo::service::kServeModuleAbi << "); rebuild syllo\n";
    return syllo::service::kServeExitIoError;
  }
  return syllo::service::Serve(*options);
}

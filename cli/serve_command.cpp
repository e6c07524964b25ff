// `syllo serve PACK...`: the HTTP/JSON decision service (service/http/server.h).
// `syllo decisions export|prune|count --db KB`: the decision log it keeps.
#include <pthread.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/command.h"
#include "kb/decision_log.h"
#include "service/http/server.h"

namespace syllo::cli {

namespace {

struct ServeOptions {
  std::vector<std::string> packs;
  service::ServerOptions server;
  int session_ttl = 900;
  std::string db;
  std::string token_file;
  double body_limit_mib = 1;
  double deadline_ms = 5000;
  double watch_seconds = 1;
  bool no_watch = false;
  LoadOptions load;
  service::DecisionLogOptions log;
};

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
      return kExitUsage;
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
  service::PackRegistry packs(o.load);
  for (const std::string& arg : o.packs) {
    auto [name, files] = ParsePackArg(arg);
    if (name.empty() || files.empty()) {
      std::cerr << "syllo serve: '" << arg << "' names no files (PACK is FILE or NAME=FILE[,FILE...])\n";
      return kExitUsage;
    }
    if (Status s = packs.Add(name, files); !s.ok()) {
      std::cerr << "syllo serve: " << s.message() << "\n";
      return s.code() == StatusCode::kInvalidArgument ? kExitInputError
             : s.code() == StatusCode::kAlreadyExists ? kExitUsage
                                                       : kExitIoError;
    }
  }
  service::Metrics metrics;
  std::unique_ptr<service::DecisionLogger> logger;
  if (!o.db.empty()) {
    auto opened = service::DecisionLogger::Open(o.db, o.log, metrics);
    if (!opened.ok()) {
      std::cerr << "syllo serve: " << opened.status().message() << "\n";
      return kExitIoError;
    }
    logger = std::move(opened).value();
    o.server.log = logger.get();
  }
  service::Server server(o.server, packs, metrics);
  if (Status s = server.Bind(); !s.ok()) {
    std::cerr << "syllo serve: " << s.message() << "\n";
    return kExitIoError;
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
  return kExitOk;
}

int Decisions(const std::string& action, const std::string& db, const kb::DecisionFilter& filter, double older_days,
              std::int64_t keep) {
  auto base = kb::KnowledgeBase::Open(db, kb::OpenMode::kReadWrite);
  if (!base.ok()) {
    std::cerr << "syllo decisions: " << base.status().message() << "\n";
    return kExitIoError;
  }
  if (action == "export") {
    auto n = kb::ExportDecisions(**base, std::cout, filter);
    if (!n.ok()) {
      std::cerr << "syllo decisions: " << n.status().message() << "\n";
      return kExitIoError;
    }
    std::cerr << *n << " decisions exported\n";
  } else if (action == "prune") {
    if (older_days <= 0 && keep <= 0) {
      std::cerr << "syllo decisions prune: give --older-than-days D and/or --keep N\n";
      return kExitUsage;
    }
    auto n = kb::PruneDecisions(**base, older_days > 0 ? kb::IsoTimeNow(older_days * 86400.0) : "", keep);
    if (!n.ok()) {
      std::cerr << "syllo decisions: " << n.status().message() << "\n";
      return kExitIoError;
    }
    std::cout << *n << " decisions removed\n";
  } else {
    auto n = kb::CountDecisions(**base);
    if (!n.ok()) {
      std::cerr << "syllo decisions: " << n.status().message() << "\n";
      return kExitIoError;
    }
    std::cout << *n << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, CommandContext& ctx) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve packs as an HTTP/JSON decision service");
  cmd->add_option("packs", o->packs, "Packs to serve: FILE (named after it) or NAME=FILE[,FILE...]")->required();
  cmd->add_option("--port", o->server.port, "Port to listen on (0: any free port)")->capture_default_str();
  cmd->add_option("--bind", o->server.bind, "Address to listen on")->capture_default_str();
  cmd->add_option("--threads", o->server.threads,
                  "Connections served at once (a keep-alive connection holds a thread while open)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--db", o->db, "Knowledge base for the decision log and the models of neural predicates (created if missing)");
  cmd->add_option("--token-file", o->token_file,
                  "Require 'Authorization: Bearer <token>' with the token in this file (or $SYLLO_TOKEN)");
  cmd->add_option("--body-limit-mib", o->body_limit_mib, "Largest request body")->capture_default_str();
  cmd->add_option("--deadline-ms", o->deadline_ms, "Time a request may run rules or solve goals")->capture_default_str();
  cmd->add_option("--max-firings", o->server.max_firings, "Production-rule firings per request")->capture_default_str();
  cmd->add_option("--max-facts", o->server.max_facts, "Facts in one session's working memory")->capture_default_str();
  cmd->add_option("--max-sessions", o->server.max_sessions, "Sessions open at once")->capture_default_str();
  cmd->add_option("--session-ttl", o->session_ttl, "Seconds an idle session lives")->capture_default_str();
  cmd->add_option("--watch-seconds", o->watch_seconds, "How often to look for changed pack files")->capture_default_str();
  cmd->add_flag("--no-watch", o->no_watch, "Reload packs only on PUT /v1/packs/{pack}");
  cmd->add_flag("--trust", o->load.trust_lua, "Run Lua packs without the sandbox");
  cmd->add_option("--lua-instructions", o->load.lua_instructions, "Lua instructions one call into a pack may run (0: no limit)")
      ->capture_default_str();
  cmd->add_option("--lua-seconds", o->load.lua_seconds, "Seconds one call into a pack may run (0: no limit)")
      ->capture_default_str();
  cmd->add_option("--lua-memory-mib", o->load.lua_memory_bytes, "MiB a session's Lua state may use (0: no limit)")
      ->transform([](std::string s) { return std::to_string(std::stoull(s) << 20); });
  cmd->add_option("--log-retention-days", o->log.retention_days, "Days the decision log keeps (0: for ever)")
      ->capture_default_str();
  cmd->add_option("--log-max-rows", o->log.max_rows, "Decisions the log keeps at most (0: no cap)")->capture_default_str();
  cmd->footer("Stops on SIGINT or SIGTERM. docs/service.md describes the endpoints; GET /v1/openapi.json too.");
  cmd->callback([o, &ctx] { ctx.exit_code = Serve(*o); });

  struct DecisionsOptions {
    std::string db;
    kb::DecisionFilter filter;
    double older_days = 0;
    std::int64_t keep = 0;
  };
  auto d = std::make_shared<DecisionsOptions>();
  CLI::App* log = app.add_subcommand("decisions", "The decision log of `syllo serve --db KB`");
  log->require_subcommand(1);
  CLI::App* exp = log->add_subcommand("export", "Write the logged decisions as JSON lines to standard output");
  CLI::App* prune = log->add_subcommand("prune", "Remove old decisions");
  CLI::App* count = log->add_subcommand("count", "How many decisions are logged");
  for (CLI::App* sub : {exp, prune, count}) {
    sub->add_option("--db", d->db, "The knowledge base")->required()->check(CLI::ExistingFile);
  }
  exp->add_option("--since", d->filter.since, "Only decisions at or after this UTC time (2026-11-23T10:00:00Z)");
  exp->add_option("--pack", d->filter.pack, "Only this pack's decisions");
  exp->add_option("--limit", d->filter.limit, "At most N decisions");
  prune->add_option("--older-than-days", d->older_days, "Remove decisions older than D days");
  prune->add_option("--keep", d->keep, "Keep only the newest N decisions");
  exp->callback([d, &ctx] { ctx.exit_code = Decisions("export", d->db, d->filter, 0, 0); });
  prune->callback([d, &ctx] { ctx.exit_code = Decisions("prune", d->db, d->filter, d->older_days, d->keep); });
  count->callback([d, &ctx] { ctx.exit_code = Decisions("count", d->db, d->filter, 0, 0); });
}

}  // namespace syllo::cli

// `syllo serve PACK...`: the HTTP/JSON decision service (service/http/server.h).
// `syllo decisions export|prune|count --db KB`: the decision log it keeps.
#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "engine/module_search.h"
#include "kb/decision_log.h"
#include "service/http/module/serve_entry.h"

namespace syllo::cli {

static_assert(service::kServeExitOk == kExitOk && service::kServeExitInputError == kExitInputError &&
              service::kServeExitUsage == kExitUsage && service::kServeExitIoError == kExitIoError);

namespace {

// Loads libsyllo_serve.so ($SYLLO_SERVE_MODULE if set, else beside the
// executable in an install, or in the build tree) and serves; the module stays
// loaded until exit.
int Serve(service::ServeOptions& o) {
  std::vector<std::filesystem::path> candidates;
  if (const char* env = std::getenv("SYLLO_SERVE_MODULE"); env != nullptr && env[0] != '\0') {
    candidates.push_back(env);
  } else {
    candidates = engine::ModuleCandidates(service::kServeModuleFile, SYLLO_SERVE_INSTALL_DIR, SYLLO_SERVE_BUILD_DIR);
  }
  std::error_code ec;
  std::string tried;
  for (const std::filesystem::path& path : candidates) {
    if (!std::filesystem::exists(path, ec)) {
      tried += "\n  " + path.string() + " (not found)";
      continue;
    }
    // RTLD_LOCAL: the module's copy of the engine stays private to it.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      tried += "\n  " + path.string() + ": " + (why ? why : "cannot load");
      continue;
    }
    auto entry = reinterpret_cast<service::ServeEntryFn>(dlsym(handle, service::kServeEntrySymbol));
    if (entry == nullptr) {
      tried += "\n  " + path.string() + ": no " + service::kServeEntrySymbol;
      continue;
    }
    return entry(service::kServeModuleAbi, sizeof(service::ServeOptions), &o);
  }
  std::cerr << "syllo serve: cannot load the HTTP server module " << service::kServeModuleFile << ":" << tried
            << "\n(it is built with syllo; reinstall or rebuild)\n";
  return kExitIoError;
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
  auto o = std::make_shared<service::ServeOptions>();
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

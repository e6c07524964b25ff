#include <sstream>

#include "kb/fnv_hash.h"
#include "rules/checker.h"
#include "rules/lower.h"
#include "scripting/program_files.h"
#include "service/api/program_impl.h"

namespace syllo {

namespace {

// Goals are compiled once per text; past this many distinct texts the cache
// starts afresh (a client sending endless distinct goals must not grow it).
constexpr std::size_t kMaxCachedGoals = 4096;

// Loads into `loaded` from the impl's files or text; `host` gets the Lua host
// when there are Lua packs.
void LoadSources(const Program::Impl& impl, rules::LoadedProgram& loaded, std::unique_ptr<scripting::PackHost>* host,
                 std::ostream* lua_out) {
  scripting::PackOptions pack = PackOptionsOf(impl.options);
  pack.out = lua_out;
  if (!impl.files.empty()) {
    scripting::LoadProgramFiles(impl.files, pack, loaded, host);
  } else if (scripting::IsLuaPack(impl.text_name)) {
    *host = std::make_unique<scripting::PackHost>(pack);
    (*host)->LoadPackText(impl.text_name, impl.text, loaded);
  } else {
    rules::LoadText(impl.text_name, impl.text, loaded);
  }
}

std::ostream& DiscardStream() {
  static std::ostream discard(nullptr);
  return discard;
}

// Loads, checks and compiles the impl's sources; the Lua host the packs ran
// in becomes the first of the pool.
Status Compile(Program::Impl& impl) {
  impl.loaded = std::make_unique<rules::LoadedProgram>();
  rules::LoadedProgram& loaded = *impl.loaded;
  std::unique_ptr<scripting::PackHost> host;
  LoadSources(impl, loaded, &host, &DiscardStream());
  rules::Check(loaded.sources, loaded.program, loaded.diagnostics);
  loaded.diagnostics.Sort();
  if (loaded.diagnostics.has_errors()) {
    return Status::InvalidArgument(rules::RenderAll(loaded.sources, loaded.diagnostics, false));
  }
  auto spec = rules::Lower(loaded.sources, loaded.program);
  if (!spec.ok()) return spec.status();
  impl.spec = std::move(spec).value();
  if (host != nullptr) {
    if (Status s = host->Bind(*impl.spec); !s.ok()) return s;
    impl.idle_hosts.push_back(std::move(host));
  }
  impl.network = engine::ReteNetwork::Compile(impl.spec);
  if (impl.options.bottom_up) {
    impl.bottom_up = engine::BottomUpPlan::Make(impl.network, &impl.bottom_up_refusal);
  } else {
    impl.bottom_up_refusal = "turned off (LoadOptions::bottom_up)";
  }

  std::string digest;
  for (std::size_t f = 0; f < loaded.sources.size(); ++f) {
    digest += loaded.sources.file(static_cast<rules::FileId>(f)).path;
    digest += '\0';
    digest += loaded.sources.file(static_cast<rules::FileId>(f)).text;
    digest += '\0';
  }
  impl.version = kb::Fnv1a64Hex(digest);

  std::vector<bool> derived(impl.spec->relations.size()), askable(impl.spec->relations.size());
  for (const auto& rule : impl.spec->rules) {
    if (rule.kind == engine::RuleKind::kLogical) derived[rule.head_relation] = true;
  }
  for (const auto& ask : impl.spec->asks) askable[ask.relation] = true;
  for (engine::RelationId r = 0; r < impl.spec->relations.size(); ++r) {
    const auto& rel = impl.spec->relations[r];
    if (rel.auxiliary) continue;
    impl.user_relations.emplace(rel.name, r);
    RelationInfo info{rel.name, {}, derived[r], askable[r]};
    for (const auto& c : rel.columns) info.columns.push_back({c.name, c.type.ToString(), c.type.shape});
    impl.relations.push_back(std::move(info));
  }
  if (!impl.spec->neurals.empty() && !impl.options.models_db.empty()) {
    impl.model_store = std::make_shared<learners::ModelStore>(impl.options.models_db);
  }
  for (const auto& n : impl.spec->neurals) {
    impl.models.push_back(n.version ? n.model + "@" + std::to_string(*n.version) : n.model);
  }
  return Status();
}

}  // namespace

scripting::PackOptions PackOptionsOf(const LoadOptions& options) {
  scripting::PackOptions pack;
  pack.trusted = options.trust_lua;
  pack.budget.instructions = options.lua_instructions;
  pack.budget.seconds = options.lua_seconds;
  pack.budget.memory_bytes = options.lua_memory_bytes;
  return pack;
}

Result<Program> Program::FromFiles(const std::vector<std::string>& paths, const LoadOptions& options) {
  if (paths.empty()) return Status::InvalidArgument("no files to load");
  auto impl = std::make_shared<Impl>();
  impl->options = options;
  impl->files = paths;
  if (Status s = Compile(*impl); !s.ok()) return s;
  return Program(std::move(impl));
}

Result<Program> Program::FromText(const std::string& text, const std::string& name, const LoadOptions& options) {
  auto impl = std::make_shared<Impl>();
  impl->options = options;
  impl->text = text;
  impl->text_name = name;
  if (Status s = Compile(*impl); !s.ok()) return s;
  return Program(std::move(impl));
}

const std::vector<RelationInfo>& Program::relations() const { return impl_->relations; }
const std::string& Program::version() const { return impl_->version; }
const std::vector<std::string>& Program::files() const { return impl_->files; }
const std::vector<std::string>& Program::models() const { return impl_->models; }

const RelationInfo* Program::FindRelation(const std::string& name) const {
  for (const RelationInfo& r : impl_->relations) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

Result<std::unique_ptr<scripting::PackHost>> Program::Impl::AcquireHost() {
  if (spec->functions.empty()) return std::unique_ptr<scripting::PackHost>();
  {
    std::lock_guard lock(mutex);
    if (!idle_hosts.empty()) {
      auto host = std::move(idle_hosts.back());
      idle_hosts.pop_back();
      return host;
    }
  }
  // Another Lua state: run the packs again and bind their functions to the
  // program compiled the first time (the declarations are not used).
  rules::LoadedProgram scratch;
  std::unique_ptr<scripting::PackHost> host;
  LoadSources(*this, scratch, &host, &DiscardStream());
  if (scratch.diagnostics.has_errors() || host == nullptr) {
    return Status::Internal("reloading the Lua packs for a new session failed:\n" +
                            rules::RenderAll(scratch.sources, scratch.diagnostics, false));
  }
  if (Status s = host->Bind(*spec); !s.ok()) return s;
  return host;
}

void Program::Impl::ReleaseHost(std::unique_ptr<scripting::PackHost> host) {
  if (host == nullptr) return;
  host->set_output(&DiscardStream());
  std::lock_guard lock(mutex);
  idle_hosts.push_back(std::move(host));
}

namespace {

// The last idle one of a pool, or null (the caller makes one).
template <typename T>
std::unique_ptr<T> TakeIdle(std::mutex& mutex, std::vector<std::unique_ptr<T>>& idle) {
  std::lock_guard lock(mutex);
  if (idle.empty()) return nullptr;
  auto item = std::move(idle.back());
  idle.pop_back();
  return item;
}

// Keeps a reset one for the next session, up to `max`; beyond that it goes.
template <typename T>
void KeepIdle(std::mutex& mutex, std::vector<std::unique_ptr<T>>& idle, std::unique_ptr<T> item, std::size_t max) {
  std::lock_guard lock(mutex);
  if (idle.size() < max) idle.push_back(std::move(item));
}

}  // namespace

std::unique_ptr<engine::ForwardSession> Program::Impl::AcquireForward() {
  if (auto forward = TakeIdle(mutex, idle_forwards)) return forward;
  return std::make_unique<engine::ForwardSession>(network);
}

void Program::Impl::ReleaseForward(std::unique_ptr<engine::ForwardSession> forward) {
  if (forward == nullptr) return;
  // Nothing of the session that used it may stay reachable from it.
  forward->set_output(nullptr);
  forward->set_observer(nullptr);
  forward->set_host(nullptr);
  forward->set_neural(nullptr);
  // Reset outside the lock: it touches only this session's storage.
  forward->Reset();
  KeepIdle(mutex, idle_forwards, std::move(forward), kMaxIdleForwards);
}

std::unique_ptr<engine::BottomUpSession> Program::Impl::AcquireBottomUp() {
  if (auto session = TakeIdle(mutex, idle_bottom_ups)) return session;
  return std::make_unique<engine::BottomUpSession>(bottom_up);
}

void Program::Impl::ReleaseBottomUp(std::unique_ptr<engine::BottomUpSession> session) {
  if (session == nullptr) return;
  session->Reset();  // outside the lock: only this session's storage
  KeepIdle(mutex, idle_bottom_ups, std::move(session), kMaxIdleForwards);
}

Result<std::shared_ptr<const rules::CompiledQuery>> Program::Impl::CompileGoal(std::string_view goal) {
  std::lock_guard lock(mutex);
  std::string key(goal);
  if (auto it = goals.find(key); it != goals.end()) return it->second;
  rules::Diagnostics diags;
  // CompileQuery adds the goal to `loaded` as a file of its own and leaves it
  // there: bounded by the cache's size, as the goals are.
  std::unique_ptr<rules::CompiledQuery> q = rules::CompileQuery(*loaded, key, diags, "<goal>");
  if (q == nullptr) return Status::InvalidArgument(rules::RenderAll(loaded->sources, diags, false));
  if (goals.size() >= kMaxCachedGoals) {
    // Each compiled goal left a file in `loaded`: start both afresh.
    goals.clear();
    auto fresh = std::make_unique<rules::LoadedProgram>();
    std::unique_ptr<scripting::PackHost> scratch_host;
    LoadSources(*this, *fresh, &scratch_host, &DiscardStream());
    rules::Check(fresh->sources, fresh->program, fresh->diagnostics);
    if (!fresh->diagnostics.has_errors()) loaded = std::move(fresh);
  }
  std::shared_ptr<const rules::CompiledQuery> shared = std::move(q);
  goals.emplace(std::move(key), shared);
  return shared;
}

}  // namespace syllo

// Program::Impl: what a compiled Program shares between its sessions: the
// checked AST (to compile goals against), the lowered program and its Rete
// network, a pool of Lua hosts (a Lua state is single-threaded, so each
// session borrows its own), and a cache of compiled goals.
//
// Thread safety: the compiled parts are immutable; the pool and the goal cache
// lock `mutex`.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/bottom_up.h"
#include "engine/forward_session.h"
#include "engine/program.h"
#include "engine/rete_network.h"
#include "learners/model_predicates.h"
#include "rules/loader.h"
#include "rules/query_compiler.h"
#include "scripting/lua_pack.h"
#include "syllo/program.h"

namespace syllo {

struct Program::Impl {
  LoadOptions options;
  std::vector<std::string> files;  // FromFiles
  std::string text, text_name;     // FromText
  std::unique_ptr<rules::LoadedProgram> loaded;
  std::shared_ptr<engine::ProgramSpec> spec;
  std::shared_ptr<const engine::ReteNetwork> network;
  // Null when the program needs the Rete network for every session (the
  // reason in bottom_up_refusal) or options.bottom_up is off.
  std::shared_ptr<const engine::BottomUpPlan> bottom_up;
  std::string bottom_up_refusal;
  std::vector<RelationInfo> relations;
  // The user's relations (not the auxiliary ones lowering made) by name: a
  // decision looks up three or four.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, engine::RelationId, NameHash, std::equal_to<>> user_relations;
  std::string version;
  std::vector<std::string> models;
  // The models its neural predicates use, shared by all its sessions; null
  // when the program has none or no options.models_db was given.
  std::shared_ptr<learners::ModelStore> model_store;

  // A Lua host bound to this program, for one session; null when the program
  // has no host functions.
  Result<std::unique_ptr<scripting::PackHost>> AcquireHost();
  void ReleaseHost(std::unique_ptr<scripting::PackHost> host);
  // A forward session on the network with nothing in it: a reset one the
  // program's last sessions left, or a new one. Building a working memory, the
  // node memories and the agenda costs more than most decisions (the loan
  // pack's), so a decision service should not pay it per request.
  std::unique_ptr<engine::ForwardSession> AcquireForward();
  // Takes a session's forward session back: reset and kept for the next one,
  // up to kMaxIdleForwards (beyond that, released).
  void ReleaseForward(std::unique_ptr<engine::ForwardSession> forward);
  // The same for bottom-up sessions (see engine/bottom_up.h).
  // REQUIRES: bottom_up.
  std::unique_ptr<engine::BottomUpSession> AcquireBottomUp();
  void ReleaseBottomUp(std::unique_ptr<engine::BottomUpSession> session);
  // A goal compiled against the program (cached by its text). The error holds
  // the diagnostics.
  Result<std::shared_ptr<const rules::CompiledQuery>> CompileGoal(std::string_view goal);

  std::mutex mutex;
  std::vector<std::unique_ptr<scripting::PackHost>> idle_hosts;
  static constexpr std::size_t kMaxIdleForwards = 64;
  std::vector<std::unique_ptr<engine::ForwardSession>> idle_forwards;
  std::vector<std::unique_ptr<engine::BottomUpSession>> idle_bottom_ups;
  std::unordered_map<std::string, std::shared_ptr<const rules::CompiledQuery>> goals;
};

// The PackOptions of a program's LoadOptions.
scripting::PackOptions PackOptionsOf(const LoadOptions& options);

}  // namespace syllo

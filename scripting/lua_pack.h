// PackHost: Lua rule packs. Loads them into a program and runs their
// functions for the engine.
//
// A pack is a Lua file that declares through the global `syllo` module what a
// .syl file declares: relations, facts, logical and production rules,
// questions, models, neural predicates, pragmas and queries, and includes
// .syl files and other packs. Rule text given as Lua strings is parsed by the
// .syl parser, with positions mapped back into the pack (a typo in a rule
// string is reported at its file:line:col in the .lua file), so the result is
// the same AST a .syl file gives. Lua functions become predicates (a test, or
// a generator of output rows) and production-rule actions, which receive the
// rule's variables and a session to assert, retract, query and print.
// docs/lua.md is the user's reference.
//
// All packs of one program share one LuaState (sandboxed unless trusted).
//
// Thread safety: none; one session's thread at a time.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/host_function.h"
#include "rules/loader.h"
#include "scripting/lua_state.h"

namespace syllo::scripting {

struct PackOptions {
  LuaBudget budget;
  bool trusted = false;        // lifts the sandbox (`--trust`)
  std::ostream* out = nullptr;  // where `print` and session:print write
};

// True for a path that names a Lua pack (ends in .lua).
bool IsLuaPack(const std::string& path);

class PackHost : public engine::HostFunctions {
 public:
  explicit PackHost(PackOptions options);
  ~PackHost() override;
  PackHost(const PackHost&) = delete;
  PackHost& operator=(const PackHost&) = delete;

  // Runs the pack at `path`. What it declares is appended to out.program; a
  // Lua error, a bad argument to `syllo` or a malformed rule string becomes a
  // diagnostic at the pack's file and line.
  void LoadPack(const std::string& path, rules::LoadedProgram& out);
  // Runs `text` as if it were the pack file `name` (tests, the REPL).
  void LoadPackText(const std::string& name, std::string text, rules::LoadedProgram& out);

  // Connects the program's host functions to the packs' Lua functions. Call
  // after lowering and before any session runs; an unknown name is an error.
  Status Bind(const engine::ProgramSpec& program);

  Status Call(std::uint32_t function, std::span<const engine::Value> inputs, engine::HostRows* out) override;
  Status Act(std::uint32_t function, std::span<const std::string> names, std::span<const engine::Value> values,
             engine::HostSession& session) override;

  void set_output(std::ostream* out);
  LuaState& state() { return *state_; }
  // Calls of Lua functions made so far (for statistics and benchmarks).
  std::uint64_t calls() const { return calls_; }

  // The pack being loaded, for the `syllo` module's functions.
  struct Loading;
  Loading& current();

 private:
  friend struct PackApi;
  void RunPack(const std::string& path, const std::string& key, std::string text, rules::LoadedProgram& out);
  Status ResultRows(const engine::HostFunctionSpec& fn, engine::HostRows* out);

  PackOptions options_;
  std::unique_ptr<LuaState> state_;
  std::vector<Loading*> loading_;        // innermost last
  std::vector<std::string> chain_;       // packs being loaded, by canonical path (cycles)
  std::unordered_map<std::string, int> refs_;  // function name -> registry reference
  struct Bound {
    int ref = 0;
    const engine::HostFunctionSpec* spec = nullptr;
  };
  std::vector<Bound> bound_;
  int drain_ref_ = 0;  // the Lua helper that drains a generator's iterator
  std::uint64_t calls_ = 0;
  int next_action_ = 0;
};

}  // namespace syllo::scripting

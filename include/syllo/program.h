// Program: a compiled rule pack. Load it once from rule files (.syl), Lua packs
// (.lua) or text; then any number of Sessions on any number of threads run it.
//
//   auto program = syllo::Program::FromFiles({"packs/loan/loan.syl"});
//   if (!program.ok()) { std::cerr << program.status().message(); return 1; }
//   syllo::Session session(*program);
//
// A Program is a handle: copying it is cheap and every copy shares the same
// immutable compiled program.
//
// Thread safety: every method is safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "syllo/status.h"

namespace syllo {

struct LoadOptions {
  // Lua packs run sandboxed unless trusted (no io, os, debug, package).
  bool trust_lua = false;
  // Budgets of one call into a Lua pack; 0: no limit.
  std::uint64_t lua_instructions = 50'000'000;
  double lua_seconds = 5.0;
  std::size_t lua_memory_bytes = std::size_t{64} << 20;
  // The knowledge base whose model registry answers the program's neural
  // predicates (opened read-only when a model is first asked). Empty: a goal
  // or rule that needs a model is an error saying so.
  std::string models_db;
  // A session that asserts, runs once and reads its conclusions is decided
  // by bottom-up evaluation when the program allows it (logical rules only,
  // boolean or fuzzy semantics; see docs/embedding.md), and moves to the Rete
  // network on anything else. False: always the Rete network (the answers
  // are the same; for comparing the two, or tracing).
  bool bottom_up = true;
};

struct ColumnInfo {
  std::string name;
  std::string type;  // int, float, bool, symbol, string, tensor[d1,...], any
  std::vector<std::int64_t> shape;  // a tensor column's dimensions
};

struct RelationInfo {
  std::string name;
  std::vector<ColumnInfo> columns;
  bool derived = false;  // rules conclude it
  bool askable = false;  // an `ask` declaration asks the user for it
};

class Program {
 public:
  // Reads, checks and compiles the files in order. The error's message holds
  // every diagnostic, each with its file:line:col.
  static Result<Program> FromFiles(const std::vector<std::string>& paths, const LoadOptions& options = {});
  // Compiles rule text; `name` is the file name diagnostics give. A name that
  // ends in .lua is read as a Lua pack.
  static Result<Program> FromText(const std::string& text, const std::string& name = "<text>",
                                  const LoadOptions& options = {});

  // The declared relations, in declaration order.
  const std::vector<RelationInfo>& relations() const;
  const RelationInfo* FindRelation(const std::string& name) const;
  // A digest of the program's source texts: two loads of the same text have
  // the same version.
  const std::string& version() const;
  // The files it was loaded from (empty for text).
  const std::vector<std::string>& files() const;
  // Models the program's `neural` declarations name, as "name" or "name@version".
  const std::vector<std::string>& models() const;

  struct Impl;
  const std::shared_ptr<Impl>& impl() const { return impl_; }

 private:
  explicit Program(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace syllo

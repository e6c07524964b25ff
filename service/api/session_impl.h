// Session::Impl: a forward session over the program's network, the Lua host it
// borrowed, and the state of a consultation held between HTTP calls: the
// question waiting for an answer and the replies given.
//
// Thread safety: none, as Session.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <unordered_set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/consultation.h"
#include "engine/forward_session.h"
#include "engine/symbol_table.h"
#include "learners/model_predicates.h"
#include "engine/solver.h"
#include "scripting/lua_pack.h"
#include "service/api/program_impl.h"
#include "syllo/session.h"

namespace syllo {

// Counts production-rule firings by rule.
class FiringCounter : public engine::ForwardObserver {
 public:
  void OnFire(std::uint32_t rule, const std::vector<engine::FactRef>&) override {
    if (rule >= counts.size()) counts.resize(rule + 1);
    ++counts[rule];
  }
  std::vector<std::uint64_t> counts;
};

struct Session::Impl {
  explicit Impl(const Program& p);
  ~Impl();

  // The strings and symbols of the caller's facts that were new: released
  // when the session ends, so a service seeing ever new ids stays bounded.
  // First, so that it goes last: every member below may hold their ids.
  engine::SymbolScope symbols;
  Program program;
  std::unique_ptr<scripting::PackHost> host;
  Status host_status;  // why there is no host, when the program needs one
  std::ostringstream out;
  // Before forward, which calls it.
  std::unique_ptr<learners::ModelPredicates> neural;
  std::unique_ptr<engine::ForwardSession> forward;
  FiringCounter firings;

  // Bumped by every change the user makes (assert, retract, run): an open
  // query then refuses to go on, its answers being about other facts.
  std::uint64_t generation = 0;
  // The question a query stopped at, and the ask declaration it comes from.
  std::optional<Question> pending;
  const engine::AskSpec* pending_spec = nullptr;
  const void* pending_owner = nullptr;  // the Query::Impl that stopped at it
  // Replies by question id, kept for the session; and one_of/number questions
  // answered `unknown`.
  std::map<std::string, engine::Reply> replies;
  std::unordered_set<engine::GoalKey, engine::GoalKeyHash> unknowns;
  // Replies the solver turned into facts, to put into working memory when the
  // query that asked them is done.
  std::vector<std::tuple<engine::RelationId, std::vector<engine::Value>, double>> reply_facts;
  void KeepReplyFacts();
};

}  // namespace syllo

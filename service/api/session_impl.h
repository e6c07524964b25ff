// Session::Impl: the facts and conclusions of a session, the Lua host it
// borrowed, and the state of a consultation held between HTTP calls: the
// question waiting for an answer and the replies given.
//
// A session starts bottom-up when the program allows it (engine/bottom_up.h):
// facts asserted, one Run, conclusions read, which is a decision. Anything
// else (an assert or run after that run, a retract, a query, an explanation,
// a limit the evaluation would reach) moves it to a forward session over the
// program's Rete network, which takes over the facts asserted and derives
// the conclusions again, with their supports.
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
  std::vector<engine::Value> scratch_row;  // Assert's conversion of a row
  Program program;
  std::unique_ptr<scripting::PackHost> host;
  Status host_status;  // why there is no host, when the program needs one
  // What rules and Lua print; made when something may print (a forward
  // session or a Lua host): a stream costs more to make than a decision.
  std::unique_ptr<std::ostringstream> out;
  std::ostream& Out() {
    if (out == nullptr) out = std::make_unique<std::ostringstream>();
    return *out;
  }
  // Before forward, which calls it.
  std::unique_ptr<learners::ModelPredicates> neural;
  // One of the two at a time: bottom_up until something needs forward.
  std::unique_ptr<engine::BottomUpSession> bottom_up;
  bool bottom_up_ran = false;
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
  // The forward session, made now if the session was bottom-up.
  engine::ForwardSession& Forward();
  const engine::WorkingMemory& memory() const {
    return bottom_up != nullptr ? bottom_up->memory() : forward->memory();
  }
};

}  // namespace syllo

// Session: one consultation or decision over a Program. Assert facts, run the
// rules forward, read the facts they derive, ask goals by backward chaining
// (lazily, one solution at a time), answer the questions the rules ask, and get
// explanations. A session is cheap to make; make one per decision.
//
//   syllo::Session s(program);
//   s.Assert("applicant", {syllo::Value::String("A1"), syllo::Value::Int(42), ...});
//   auto run = s.Run({.max_firings = 10000});
//   for (const syllo::Fact& f : *s.Facts("decision")) ...
//   s.ForEachFact("reason", [&](const syllo::FactView& f) { codes.emplace_back(f.text(1)); });
//
// Thread safety: none; one thread at a time per session. Sessions of the same
// Program on different threads are independent.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "syllo/explanation.h"
#include "syllo/fact_view.h"
#include "syllo/program.h"
#include "syllo/query.h"
#include "syllo/status.h"
#include "syllo/value.h"

namespace syllo {

struct Fact {
  std::string relation;
  std::vector<Value> values;
  double certainty = 1.0;
};

struct RunLimits {
  std::uint64_t max_firings = 0;  // production-rule firings; 0: no limit
  double timeout_seconds = 0;     // wall clock; 0: no limit
  std::size_t max_facts = 0;      // facts in working memory; 0: no limit
};

struct RunReport {
  // agenda_empty, halted, firing_limit, time_limit, fact_limit, error
  std::string stop;
  std::string message;  // which limit, or what went wrong
  std::uint64_t firings = 0;
  std::uint64_t derivations = 0;
  bool limit_reached() const { return stop == "firing_limit" || stop == "time_limit" || stop == "fact_limit"; }
};

class Session {
 public:
  explicit Session(const Program& program);
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  const Program& program() const;

  // Adds a fact (checked against the relation's declaration: the error names
  // the relation and the column). Forward chaining sees it at the next Run.
  Status Assert(std::string_view relation, const std::vector<Value>& row, double certainty = 1.0);
  // Removes a fact given to the session; NotFound if there is none.
  Status Retract(std::string_view relation, const std::vector<Value>& row);

  // Runs the rules forward until nothing is left to fire, a `halt`, or a
  // limit. Stopping at a limit is not an error (see RunReport::stop) and
  // leaves the session consistent: Run again goes on. A rule's error (a Lua
  // predicate failing, say) is a Status.
  Result<RunReport> Run(const RunLimits& limits = {});

  // The facts of a relation now, in the order they were concluded.
  Result<std::vector<Fact>> Facts(std::string_view relation) const;
  // The same facts, in the same order, read in place: f(view) for each, no
  // copy made (a decision's answers read this way cost a fraction of Facts).
  // f must not change the session; NotFound for an unknown relation.
  Status ForEachFact(std::string_view relation, const std::function<void(const FactView&)>& f) const;
  // How a fact of the working memory was concluded.
  Result<Explanation> Explain(const Fact& fact, int max_depth = 12) const;
  // Counts of production-rule firings by rule name, in this session.
  std::vector<std::pair<std::string, std::uint64_t>> Firings() const;
  // Inputs this session has asked its models about (neural predicates, both
  // chainers; an input answered from the cache counts too).
  std::uint64_t model_calls() const;
  // Rules that concluded at least one fact now in working memory.
  std::vector<std::string> ConcludingRules() const;
  // What the rules printed since the last call.
  std::string TakeOutput();

  // Opens a goal (`diagnosis(my_car, F)`) for backward chaining. Solutions
  // come one at a time from Query::Next; when the rules need something only
  // the user can tell, Next stops at a Question, answered with Answer().
  Result<Query> Ask(std::string_view goal);
  // The question the last Query::Next stopped at, if it is still unanswered.
  const std::optional<Question>& pending_question() const;
  // Answers the pending question: "yes", "no", "unknown", a choice, a number,
  // each optionally followed by a certainty ("yes 0.8"). The error says what
  // the question accepts.
  Status Answer(std::string_view reply);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  friend class Query;
};

}  // namespace syllo

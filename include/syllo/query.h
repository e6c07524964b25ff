// Query: a goal being solved by backward chaining, one solution at a time.
//
//   auto q = session.Ask("diagnosis(my_car, F)");
//   while (true) {
//     auto step = q->Next();
//     if (!step.ok()) break;                          // an error
//     if (step->kind == syllo::QueryStep::kDone) break;
//     if (step->kind == syllo::QueryStep::kQuestion) { session.Answer(read_reply(step->question)); continue; }
//     use(step->solution);
//   }
//
// Thread safety: as the Session it belongs to, which must outlive it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "syllo/explanation.h"
#include "syllo/status.h"
#include "syllo/value.h"

namespace syllo {

class Session;

struct Solution {
  std::vector<std::pair<std::string, Value>> bindings;  // by variable, in order of first occurrence
  double certainty = 1.0;
  std::string text;  // "F = battery (cf 0.8)", as `syllo query` prints it
};

// Something the rules need from the user.
struct Question {
  std::string id;        // the goal asked, as text: cranks(my_car); stable across restarts
  std::string text;      // the question with its variables filled in
  std::string kind;      // yes_no, one_of, number
  std::vector<std::string> choices;  // one_of
  std::optional<double> min, max;    // number
};

struct QueryStep {
  enum Kind { kSolution, kQuestion, kDone } kind = kDone;
  Solution solution;
  Question question;
};

class Query {
 public:
  ~Query();
  Query(Query&&) noexcept;
  Query& operator=(Query&&) noexcept;

  const std::vector<std::string>& variables() const;
  // The next solution, or the question the rules need answered, or done. With
  // a timeout, solving longer stops with kLimitExceeded; Next again goes on.
  Result<QueryStep> Next(double timeout_seconds = 0);
  // The proof of a solution this query returned.
  Result<Explanation> Explain(const Solution& solution, int max_depth = 12);

  struct Impl;

 private:
  explicit Query(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class Session;
};

}  // namespace syllo

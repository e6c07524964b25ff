// HostFunctions: predicates and actions whose code lives outside the engine (a
// Lua rule pack's functions). Both chainers call them: a predicate from a rule
// body (the Rete network and the backward solver), an action when a production
// rule fires. The engine assumes a predicate is a function of its inputs (the
// Rete network does not call it again to retract what it yielded).
//
// Thread safety: implementations decide; an engine session calls from one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/program.h"
#include "engine/value.h"
#include "syllo/status.h"

namespace syllo::engine {

// What a predicate yields: `rows` rows of the function's outputs, row-major,
// each value of its declared column type. A test yields one empty row for true.
struct HostRows {
  std::vector<Value> values;
  std::size_t rows = 0;
  void clear() {
    values.clear();
    rows = 0;
  }
};

// A fact as a host action sees it.
struct HostFact {
  std::vector<Value> values;
  double certainty = 1.0;
};

// What a host action may do to the session whose rule fired.
class HostSession {
 public:
  virtual ~HostSession() = default;
  virtual const ProgramSpec& program() const = 0;
  // Values must fit the relation's columns (ints widen to floats).
  virtual Status Assert(RelationId relation, std::vector<Value> row, double certainty) = 0;
  // False when no such fact is live.
  virtual Result<bool> Retract(RelationId relation, std::span<const Value> row) = 0;
  // The live facts whose columns equal `pattern` where it has a value.
  virtual std::vector<HostFact> Facts(RelationId relation, std::span<const std::optional<Value>> pattern) const = 0;
  virtual void Print(std::string_view line) = 0;
  virtual void Halt() = 0;
};

class HostFunctions {
 public:
  virtual ~HostFunctions() = default;
  // Calls predicate `function` (an index in program.functions) on `inputs`
  // and appends what it yields to *out. A failure of the function (an error,
  // a budget hit, a value of the wrong type) is an error naming it.
  virtual Status Call(std::uint32_t function, std::span<const Value> inputs, HostRows* out) = 0;
  // Runs action `function` with the firing rule's variables (names[i] is
  // bound to values[i]).
  virtual Status Act(std::uint32_t function, std::span<const std::string> names, std::span<const Value> values,
                     HostSession& session) = 0;
};

}  // namespace syllo::engine

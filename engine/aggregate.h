// Aggregator: count, sum, min, max and avg over the values of a group, the same
// for the forward network and the backward solver. Sums stay integers while
// every value is an int and nothing overflows; avg, min and max of an empty
// group have no value (the literal fails); count and sum of one are 0.
#pragma once

#include <cstdint>
#include <optional>

#include "engine/program.h"
#include "engine/value.h"

namespace syllo::engine {

class Aggregator {
 public:
  explicit Aggregator(AggregateFn fn) : fn_(fn) {}
  // One member of the group; `value` is null for count (or when the value
  // expression failed: the member is counted but adds nothing).
  void Add(const std::optional<Value>& value);
  std::optional<Value> Result() const;

 private:
  AggregateFn fn_;
  std::int64_t count_ = 0;
  bool all_int_ = true;
  bool int_overflow_ = false;
  std::int64_t isum_ = 0;
  double fsum_ = 0.0;
  std::optional<Value> best_;
};

}  // namespace syllo::engine

// Agenda: the activations of production rules waiting to fire, ordered the way
// CLIPS orders them. Salience first (higher fires first); among equal salience:
//
//   depth       newest activation first (the default)
//   breadth     oldest activation first
//   lex         compare the time tags of the matched facts, most recent first,
//               position by position; more recent facts win, then more facts win
//   mea         the time tag of the fact matching the first pattern decides;
//               ties go to lex
//   simplicity  fewer tests in the rule (lower specificity) first, then depth
//   complexity  more tests in the rule first, then depth
//   random      a seeded random order
//
// Refraction: an activation fires once; it is removed when fired or when its
// match disappears, and only a new match makes a new activation.
//
// Thread safety: none; belongs to one session.
#pragma once

#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "engine/program.h"

namespace syllo::engine {

using ActivationId = std::uint32_t;

struct Activation {
  std::uint32_t rule = 0;
  std::uint32_t token = 0;
  std::int64_t salience = 0;
  std::uint64_t sequence = 0;            // when it was activated
  std::uint64_t random_key = 0;
  std::uint32_t specificity = 0;
  std::vector<std::uint64_t> time_tags;  // lex: sorted most recent first; mea: [0] is the first pattern's
  std::uint64_t first_tag = 0;
};

class Agenda {
 public:
  Agenda(Strategy strategy, std::uint64_t seed);

  ActivationId Add(Activation activation);
  void Remove(ActivationId id);
  bool empty() const { return order_.empty(); }
  std::size_t size() const { return order_.size(); }
  // The activation that fires next. REQUIRES: !empty().
  ActivationId Top() const { return *order_.begin(); }
  const Activation& at(ActivationId id) const { return slots_[id]; }
  // In firing order.
  std::vector<ActivationId> Ordered() const { return {order_.begin(), order_.end()}; }
  void Clear();
  Strategy strategy() const { return strategy_; }

 private:
  struct Before {
    const Agenda* agenda;
    bool operator()(ActivationId a, ActivationId b) const;
  };
  Strategy strategy_;
  std::mt19937_64 rng_;
  std::uint64_t sequence_ = 0;
  std::vector<Activation> slots_;
  std::vector<ActivationId> free_;
  std::set<ActivationId, Before> order_;
};

}  // namespace syllo::engine

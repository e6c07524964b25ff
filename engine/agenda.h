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
#include <optional>
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
  std::vector<std::uint64_t> time_tags;  // lex, mea only: the matched facts' tags, as written
  std::uint64_t first_tag = 0;           // mea: the first pattern's tag
};

class Agenda {
 public:
  Agenda(Strategy strategy, std::uint64_t seed);

  ActivationId Add(Activation activation);
  void Remove(ActivationId id);
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  // The activation that fires next. REQUIRES: !empty().
  ActivationId Top() const;
  const Activation& at(ActivationId id) const { return slots_[id].activation; }
  // In firing order.
  std::vector<ActivationId> Ordered() const;
  void Clear();
  // Back to a new agenda's state: empty, the sequence from zero, the random
  // strategy's generator at its seed (a reused session orders as a new one).
  void Reset();
  Strategy strategy() const { return strategy_; }
  // Whether the order reads the matched facts' time tags (lex, mea): other
  // strategies spare the session collecting them.
  bool needs_time_tags() const { return strategy_ == Strategy::kLex || strategy_ == Strategy::kMea; }

 private:
  static constexpr ActivationId kNone = UINT32_MAX;
  struct Slot {
    Activation activation;
    ActivationId prev = kNone, next = kNone;  // depth, breadth: the level's list
  };
  // depth and breadth order by salience, then by sequence alone, so each
  // salience level is a list in firing order (new activations at the front
  // for depth, at the back for breadth): adding, removing and finding the top
  // are O(1) but for the few levels. The other strategies use the ordered set.
  struct Level {
    std::int64_t salience;
    ActivationId head = kNone, tail = kNone;
  };
  bool listed() const { return strategy_ == Strategy::kDepth || strategy_ == Strategy::kBreadth; }
  Level& LevelOf(std::int64_t salience);
  struct Before {
    const Agenda* agenda;
    bool operator()(ActivationId a, ActivationId b) const;
  };
  Strategy strategy_;
  std::uint64_t seed_;
  // Only the random strategy draws; seeding a Mersenne twister is not free,
  // and a decision service makes a session (and an agenda) per request.
  std::optional<std::mt19937_64> rng_;
  std::uint64_t sequence_ = 0;
  std::size_t size_ = 0;
  std::vector<Slot> slots_;
  std::vector<ActivationId> free_;
  std::vector<Level> levels_;  // highest salience first
  std::set<ActivationId, Before> order_;
};

}  // namespace syllo::engine

#include "engine/agenda.h"

#include <algorithm>
#include <cassert>

namespace syllo::engine {

Agenda::Agenda(Strategy strategy, std::uint64_t seed) : strategy_(strategy), seed_(seed), order_(Before{this}) {
  if (strategy_ == Strategy::kRandom) rng_.emplace(seed);
}

Agenda::Level& Agenda::LevelOf(std::int64_t salience) {
  // Most programs have one salience: the first level.
  if (!levels_.empty() && levels_.front().salience == salience) return levels_.front();
  auto it = std::find_if(levels_.begin(), levels_.end(), [&](const Level& l) { return l.salience <= salience; });
  if (it != levels_.end() && it->salience == salience) return *it;
  return *levels_.insert(it, Level{salience});
}

ActivationId Agenda::Add(Activation activation) {
  activation.sequence = ++sequence_;
  if (strategy_ == Strategy::kRandom) activation.random_key = (*rng_)();
  if (needs_time_tags()) {
    activation.first_tag = activation.time_tags.empty() ? 0 : activation.time_tags.front();
    std::sort(activation.time_tags.begin(), activation.time_tags.end(), std::greater<>());
  }
  ActivationId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<ActivationId>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[id];
  slot.activation = std::move(activation);
  ++size_;
  if (!listed()) {
    order_.insert(id);
    return id;
  }
  Level& level = LevelOf(slot.activation.salience);
  if (strategy_ == Strategy::kDepth) {
    slot.prev = kNone;
    slot.next = level.head;
    if (level.head != kNone) slots_[level.head].prev = id;
    else level.tail = id;
    level.head = id;
  } else {
    slot.next = kNone;
    slot.prev = level.tail;
    if (level.tail != kNone) slots_[level.tail].next = id;
    else level.head = id;
    level.tail = id;
  }
  return id;
}

void Agenda::Remove(ActivationId id) {
  Slot& slot = slots_[id];
  if (listed()) {
    Level& level = LevelOf(slot.activation.salience);
    if (slot.prev != kNone) slots_[slot.prev].next = slot.next;
    else level.head = slot.next;
    if (slot.next != kNone) slots_[slot.next].prev = slot.prev;
    else level.tail = slot.prev;
    slot.prev = slot.next = kNone;
  } else {
    order_.erase(id);
  }
  slot.activation.time_tags.clear();
  --size_;
  free_.push_back(id);
}

ActivationId Agenda::Top() const {
  assert(!empty() && "Top of an empty agenda");
  if (!listed()) return *order_.begin();
  for (const Level& l : levels_) {
    if (l.head != kNone) return l.head;
  }
  return kNone;
}

std::vector<ActivationId> Agenda::Ordered() const {
  if (!listed()) return {order_.begin(), order_.end()};
  std::vector<ActivationId> out;
  out.reserve(size_);
  for (const Level& l : levels_) {
    for (ActivationId a = l.head; a != kNone; a = slots_[a].next) out.push_back(a);
  }
  return out;
}

void Agenda::Reset() {
  Clear();
  sequence_ = 0;
  if (rng_) rng_->seed(seed_);
}

void Agenda::Clear() {
  order_.clear();
  slots_.clear();
  free_.clear();
  levels_.clear();
  size_ = 0;
}

// Lexicographic recency: true if `a` is more recent than `b`.
static int CompareRecency(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return a[i] > b[i] ? -1 : 1;
  }
  if (a.size() != b.size()) return a.size() > b.size() ? -1 : 1;
  return 0;
}

bool Agenda::Before::operator()(ActivationId ia, ActivationId ib) const {
  const Activation& a = agenda->slots_[ia].activation;
  const Activation& b = agenda->slots_[ib].activation;
  if (a.salience != b.salience) return a.salience > b.salience;
  auto depth = [&] { return a.sequence > b.sequence; };
  switch (agenda->strategy_) {
    case Strategy::kDepth: return depth();
    case Strategy::kBreadth: return a.sequence < b.sequence;
    case Strategy::kLex: {
      int c = CompareRecency(a.time_tags, b.time_tags);
      return c != 0 ? c < 0 : depth();
    }
    case Strategy::kMea: {
      if (a.first_tag != b.first_tag) return a.first_tag > b.first_tag;
      int c = CompareRecency(a.time_tags, b.time_tags);
      return c != 0 ? c < 0 : depth();
    }
    case Strategy::kSimplicity:
      if (a.specificity != b.specificity) return a.specificity < b.specificity;
      return depth();
    case Strategy::kComplexity:
      if (a.specificity != b.specificity) return a.specificity > b.specificity;
      return depth();
    case Strategy::kRandom:
      if (a.random_key != b.random_key) return a.random_key < b.random_key;
      return depth();
  }
  return depth();
}

}  // namespace syllo::engine

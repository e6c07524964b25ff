#include "engine/agenda.h"

#include <algorithm>

namespace syllo::engine {

Agenda::Agenda(Strategy strategy, std::uint64_t seed) : strategy_(strategy), rng_(seed), order_(Before{this}) {}

ActivationId Agenda::Add(Activation activation) {
  activation.sequence = ++sequence_;
  activation.random_key = rng_();
  std::sort(activation.time_tags.begin(), activation.time_tags.end(), std::greater<>());
  ActivationId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
    slots_[id] = std::move(activation);
  } else {
    id = static_cast<ActivationId>(slots_.size());
    slots_.push_back(std::move(activation));
  }
  order_.insert(id);
  return id;
}

void Agenda::Remove(ActivationId id) {
  order_.erase(id);
  slots_[id].time_tags.clear();
  free_.push_back(id);
}

void Agenda::Clear() {
  order_.clear();
  slots_.clear();
  free_.clear();
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
  const Activation& a = agenda->slots_[ia];
  const Activation& b = agenda->slots_[ib];
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

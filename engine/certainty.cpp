#include "engine/certainty.h"

#include <algorithm>
#include <cmath>

namespace syllo::engine {

std::string_view SemanticsName(Semantics s) {
  switch (s) {
    case Semantics::kBoolean: return "boolean";
    case Semantics::kMycin: return "mycin";
    case Semantics::kProbability: return "probability";
    case Semantics::kFuzzy: return "fuzzy";
  }
  return "?";
}

bool ParseSemantics(std::string_view text, Semantics* out) {
  for (Semantics s : {Semantics::kBoolean, Semantics::kMycin, Semantics::kProbability, Semantics::kFuzzy}) {
    if (text == SemanticsName(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

double MycinCombine(double a, double b) {
  if (a >= 0 && b >= 0) return a + b - a * b;
  if (a < 0 && b < 0) return a + b + a * b;
  double denom = 1.0 - std::min(std::fabs(a), std::fabs(b));
  // +1 and -1 together are a contradiction MYCIN leaves undefined; call it unknown.
  if (denom <= 0.0) return 0.0;
  return (a + b) / denom;
}

double CertaintySemantics::CombineAll(std::span<const double> values) const {
  if (values.empty()) return 0.0;
  double acc = values[0];
  for (std::size_t i = 1; i < values.size(); ++i) acc = Combine(acc, values[i]);
  return acc;
}

namespace {

// Every fact is simply true; certainties are ignored (always 1).
class BooleanSemantics final : public CertaintySemantics {
 public:
  Semantics kind() const override { return Semantics::kBoolean; }
  double Conjunction(double, double) const override { return 1.0; }
  double Apply(double, double) const override { return 1.0; }
  double Combine(double, double) const override { return 1.0; }
  bool FoldsExactly() const override { return true; }
};

// EMYCIN: conjunction = min, conclusion = body * cf, parallel evidence by MycinCombine.
class MycinSemantics final : public CertaintySemantics {
 public:
  Semantics kind() const override { return Semantics::kMycin; }
  double Conjunction(double a, double b) const override { return std::min(a, b); }
  double Apply(double body, double rule_cf) const override { return body * rule_cf; }
  double Combine(double a, double b) const override { return MycinCombine(a, b); }
};

// Independent events: conjunction = product, alternatives = noisy-or.
class ProbabilitySemantics final : public CertaintySemantics {
 public:
  Semantics kind() const override { return Semantics::kProbability; }
  double Conjunction(double a, double b) const override { return a * b; }
  double Apply(double body, double rule_cf) const override { return body * rule_cf; }
  double Combine(double a, double b) const override { return 1.0 - (1.0 - a) * (1.0 - b); }
};

// Zadeh: conjunction = min, alternatives = max, conclusion = min(body, cf).
class FuzzySemantics final : public CertaintySemantics {
 public:
  Semantics kind() const override { return Semantics::kFuzzy; }
  double Conjunction(double a, double b) const override { return std::min(a, b); }
  double Apply(double body, double rule_cf) const override { return std::min(body, rule_cf); }
  double Combine(double a, double b) const override { return std::max(a, b); }
  bool FoldsExactly() const override { return true; }
};

}  // namespace

const CertaintySemantics& SemanticsFor(Semantics s) {
  static const BooleanSemantics boolean;
  static const MycinSemantics mycin;
  static const ProbabilitySemantics probability;
  static const FuzzySemantics fuzzy;
  switch (s) {
    case Semantics::kBoolean: return boolean;
    case Semantics::kMycin: return mycin;
    case Semantics::kProbability: return probability;
    case Semantics::kFuzzy: return fuzzy;
  }
  return mycin;
}

}  // namespace syllo::engine

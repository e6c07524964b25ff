// CertaintySemantics: how certainties combine. One small interface, four
// implementations, chosen by `pragma semantics`; the engine never branches on
// the semantics itself.
//
//   conjunction  the certainty of a rule body from its literals' certainties
//   apply        a rule's conclusion from its body certainty and its own cf
//   combine      two independent derivations of the same fact (parallel evidence)
//
// Thread safety: implementations are stateless and immutable.
#pragma once

#include <memory>
#include <span>
#include <string_view>

namespace syllo::engine {

enum class Semantics { kBoolean, kMycin, kProbability, kFuzzy };

std::string_view SemanticsName(Semantics s);
bool ParseSemantics(std::string_view text, Semantics* out);

class CertaintySemantics {
 public:
  virtual ~CertaintySemantics() = default;
  virtual Semantics kind() const = 0;
  // Identity of conjunction: the certainty of an empty body.
  virtual double True() const { return 1.0; }
  virtual double Conjunction(double a, double b) const = 0;
  virtual double Apply(double body, double rule_cf) const = 0;
  virtual double Combine(double a, double b) const = 0;
  // Whether a derivation with this certainty supports its conclusion at all
  // (MYCIN: a body must be positive to fire its rule).
  virtual bool Fires(double body) const { return body > 0.0; }
  // Whether Combine is associative, commutative and exact in floating point
  // (boolean, fuzzy max), so a new derivation folds into a fact's current
  // certainty without revisiting its other derivations. MYCIN's mixed-sign
  // formula is not associative, and noisy-or rounds by order.
  virtual bool FoldsExactly() const { return false; }

  double CombineAll(std::span<const double> values) const;
};

// Whether a fact with this certainty counts as true, for both engines: it
// supports a conclusion under the semantics and passes the program's threshold
// (MYCIN: cf > 0.2). A fact that does not count matches no pattern and does not
// block a `not`.
inline bool Counts(const CertaintySemantics& semantics, double threshold, double cf) {
  return semantics.Fires(cf) && (threshold <= 0 || cf > threshold);
}

// The implementation for `s`; a static instance, never null.
const CertaintySemantics& SemanticsFor(Semantics s);

// MYCIN's parallel combination of two certainty factors in [-1, 1]:
//   both >= 0: a + b - ab;  both < 0: a + b + ab;  otherwise (a + b) / (1 - min(|a|, |b|)).
double MycinCombine(double a, double b);

}  // namespace syllo::engine

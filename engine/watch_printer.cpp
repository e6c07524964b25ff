#include "engine/watch_printer.h"

#include <iomanip>
#include <sstream>

namespace syllo::engine {

void WatchPrinter::OnFactAdded(FactRef f) {
  if (what_.count("facts")) out_ << "==> " << Describe(f) << "\n";
}

void WatchPrinter::OnFactRemoved(FactRef f) {
  if (what_.count("facts")) out_ << "<== " << session_.FormatFact(f) << "\n";
}

void WatchPrinter::OnActivation(std::uint32_t rule, std::uint32_t, bool added) {
  if (what_.count("activations")) {
    out_ << (added ? "==> Activation " : "<== Activation ") << session_.program().rules[rule].name << "\n";
  }
}

void WatchPrinter::OnFire(std::uint32_t rule, const std::vector<FactRef>& facts) {
  if (!what_.count("rules")) return;
  out_ << "FIRE " << ++firings_ << " " << session_.program().rules[rule].name << ":";
  for (std::size_t i = 0; i < facts.size(); ++i) out_ << (i ? ", " : " ") << session_.FormatFact(facts[i]);
  out_ << "\n";
}

std::string WatchPrinter::Describe(FactRef f) const {
  std::string s = session_.FormatFact(f);
  double cf = session_.certainty(f);
  if (cf != 1.0) {
    std::ostringstream os;
    os << " cf " << std::setprecision(4) << cf;
    s += os.str();
  }
  return s;
}

}  // namespace syllo::engine

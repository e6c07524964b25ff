// WatchPrinter: CLIPS-style traces of a forward session (`watch`): `==>` and
// `<==` for facts, `FIRE n rule: facts` for firings, activations on and off the
// agenda. Used by `syllo run --watch` and the REPL's `:watch`.
#pragma once

#include <cstdint>
#include <ostream>
#include <set>
#include <string>

#include "engine/forward_session.h"

namespace syllo::engine {

class WatchPrinter final : public ForwardObserver {
 public:
  // `what`: any of "facts", "rules", "activations".
  WatchPrinter(const ForwardSession& session, std::ostream& out, std::set<std::string> what)
      : session_(session), out_(out), what_(std::move(what)) {}

  void set_what(std::set<std::string> what) { what_ = std::move(what); }
  const std::set<std::string>& what() const { return what_; }

  void OnFactAdded(FactRef f) override;
  void OnFactRemoved(FactRef f) override;
  void OnActivation(std::uint32_t rule, std::uint32_t token, bool added) override;
  void OnFire(std::uint32_t rule, const std::vector<FactRef>& facts) override;

 private:
  std::string Describe(FactRef f) const;
  const ForwardSession& session_;
  std::ostream& out_;
  std::set<std::string> what_;
  std::uint64_t firings_ = 0;
};

}  // namespace syllo::engine

// Explanation: how a fact was concluded, as a tree. A derived fact names the
// rule that concluded it and the premises that rule matched, each explained in
// turn, down to facts given to the session, the user's replies and model
// predictions (with the model and its version).
//
// Thread safety: values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace syllo {

struct Explanation {
  enum class Source { kFact, kRule, kUser, kModel };

  std::string fact;        // as the rule language writes it: decision("A1", refer, "D", 30)
  double certainty = 1.0;
  Source source = Source::kFact;
  std::string rule;        // kRule: the rule's name
  std::string location;    // kRule: where the rule is written (file:line:col)
  std::string model;       // kModel
  std::int64_t model_version = 0;
  // Why the tree stops here: "explained above", "a cycle", "depth limit".
  std::string note;
  std::vector<Explanation> premises;  // kRule: in the order of the rule's conditions

  // Indented text, one line per node, as `syllo` prints explanations.
  std::string ToText() const;
};

std::string_view SourceName(Explanation::Source source);

}  // namespace syllo

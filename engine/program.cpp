#include "engine/program.h"

namespace syllo::engine {

std::string_view StrategyName(Strategy s) {
  switch (s) {
    case Strategy::kDepth: return "depth";
    case Strategy::kBreadth: return "breadth";
    case Strategy::kLex: return "lex";
    case Strategy::kMea: return "mea";
    case Strategy::kSimplicity: return "simplicity";
    case Strategy::kComplexity: return "complexity";
    case Strategy::kRandom: return "random";
  }
  return "?";
}

bool ParseStrategy(std::string_view text, Strategy* out) {
  for (Strategy s : {Strategy::kDepth, Strategy::kBreadth, Strategy::kLex, Strategy::kMea, Strategy::kSimplicity,
                     Strategy::kComplexity, Strategy::kRandom}) {
    if (text == StrategyName(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

std::optional<RelationId> ProgramSpec::FindRelation(std::string_view name) const {
  for (std::size_t i = 0; i < relations.size(); ++i) {
    if (relations[i].name == name) return static_cast<RelationId>(i);
  }
  return std::nullopt;
}

}  // namespace syllo::engine

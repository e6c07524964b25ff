#include "engine/program.h"

#include <algorithm>

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

Status LoadProgram(const ProgramSpec& program, WorkingMemory& memory) {
  for (std::size_t i = 0; i < program.relations.size(); ++i) {
    auto id = memory.Declare(program.relations[i].name, program.relations[i].columns);
    if (!id.ok()) return id.status();
    if (*id != i) return Status::Internal("relation ids of the program and the working memory disagree");
  }
  for (const FactSpec& f : program.facts) {
    auto r = memory.Assert(program.relations[f.relation].name, f.values, f.certainty, Origin::kAsserted);
    if (!r.ok()) return r.status();
  }
  return Status();
}

std::vector<std::uint32_t> RelationComponents(const ProgramSpec& program) {
  const std::size_t n = program.relations.size();
  std::vector<std::vector<RelationId>> deps(n);
  for (const RuleSpec& rule : program.rules) {
    if (rule.kind != RuleKind::kLogical) continue;
    for (const Condition& c : rule.conditions) {
      if (c.kind == ConditionKind::kPattern || c.kind == ConditionKind::kNegated ||
          c.kind == ConditionKind::kExists || c.kind == ConditionKind::kAggregate) {
        deps[rule.head_relation].push_back(c.pattern.relation);
      }
    }
  }
  // Iterative Tarjan: programs can have long dependency chains.
  constexpr std::uint32_t kUnvisited = UINT32_MAX;
  std::vector<std::uint32_t> index(n, kUnvisited), low(n, 0), component(n, kUnvisited);
  std::vector<bool> on_stack(n, false);
  std::vector<RelationId> stack;
  std::uint32_t next_index = 0, next_component = 0;
  struct Frame {
    RelationId node;
    std::size_t edge;
  };
  for (RelationId root = 0; root < n; ++root) {
    if (index[root] != kUnvisited) continue;
    std::vector<Frame> work{{root, 0}};
    index[root] = low[root] = next_index++;
    stack.push_back(root);
    on_stack[root] = true;
    while (!work.empty()) {
      Frame& f = work.back();
      if (f.edge < deps[f.node].size()) {
        RelationId next = deps[f.node][f.edge++];
        if (index[next] == kUnvisited) {
          index[next] = low[next] = next_index++;
          stack.push_back(next);
          on_stack[next] = true;
          work.push_back({next, 0});
        } else if (on_stack[next]) {
          low[f.node] = std::min(low[f.node], index[next]);
        }
        continue;
      }
      RelationId node = f.node;
      work.pop_back();
      if (!work.empty()) low[work.back().node] = std::min(low[work.back().node], low[node]);
      if (low[node] == index[node]) {
        RelationId member;
        do {
          member = stack.back();
          stack.pop_back();
          on_stack[member] = false;
          component[member] = next_component;
        } while (member != node);
        ++next_component;
      }
    }
  }
  return component;
}

}  // namespace syllo::engine

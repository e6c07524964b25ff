#include "rules/stratify.h"

#include <algorithm>
#include <unordered_map>

namespace syllo::rules {

std::vector<int> StronglyConnectedComponents(const std::vector<std::vector<int>>& successors) {
  const int n = static_cast<int>(successors.size());
  std::vector<int> index(n, -1), low(n, 0), component(n, -1);
  std::vector<bool> on_stack(n, false);
  std::vector<int> stack;
  struct Frame {
    int node;
    std::size_t next;
  };
  std::vector<Frame> calls;
  int counter = 0, components = 0;
  for (int root = 0; root < n; ++root) {
    if (index[root] != -1) continue;
    index[root] = low[root] = counter++;
    stack.push_back(root);
    on_stack[root] = true;
    calls.push_back({root, 0});
    while (!calls.empty()) {
      int v = calls.back().node;
      if (calls.back().next < successors[v].size()) {
        int w = successors[v][calls.back().next++];
        if (index[w] == -1) {
          index[w] = low[w] = counter++;
          stack.push_back(w);
          on_stack[w] = true;
          calls.push_back({w, 0});
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      // All successors of v are done: v closes a component if it is its root.
      if (low[v] == index[v]) {
        int w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          component[w] = components;
        } while (w != v);
        ++components;
      }
      calls.pop_back();
      if (!calls.empty()) {
        int parent = calls.back().node;
        low[parent] = std::min(low[parent], low[v]);
      }
    }
  }
  return component;
}

namespace {

enum class Dependency { kPositive, kNegation, kAggregation };

struct Edge {
  int head;
  int body;
  Dependency dependency;
  const Atom* atom;  // the body literal, for the message
};

}  // namespace

void CheckStratification(CheckContext& ctx, const Program& program) {
  std::unordered_map<std::string, int> ids;
  std::vector<const RelationInfo*> relations;
  for (const auto& [name, info] : ctx.relations()) {
    ids.emplace(name, static_cast<int>(relations.size()));
    relations.push_back(&info);
  }
  auto id_of = [&](const std::string& name) {
    auto it = ids.find(name);
    return it == ids.end() ? -1 : it->second;
  };

  std::vector<Edge> edges;
  std::vector<std::vector<int>> successors(relations.size());
  struct Pending {
    const std::vector<Literal>* body;
    Dependency dependency;
  };
  for (const LogicalRule& rule : program.rules) {
    int head = id_of(rule.head.relation);
    if (head < 0) continue;
    std::vector<Pending> pending{{&rule.body, Dependency::kPositive}};
    while (!pending.empty()) {
      Pending p = pending.back();
      pending.pop_back();
      for (const Literal& lit : *p.body) {
        switch (lit.kind) {
          case LiteralKind::kAtom: {
            int body = id_of(lit.atom.relation);
            if (body < 0) break;
            edges.push_back({head, body, p.dependency, &lit.atom});
            successors[head].push_back(body);
            break;
          }
          // The outermost non-monotone construct names the dependency.
          case LiteralKind::kNegation:
            pending.push_back({&lit.body, p.dependency == Dependency::kPositive ? Dependency::kNegation : p.dependency});
            break;
          case LiteralKind::kAggregate:
            pending.push_back(
                {&lit.body, p.dependency == Dependency::kPositive ? Dependency::kAggregation : p.dependency});
            break;
          case LiteralKind::kExists: pending.push_back({&lit.body, p.dependency}); break;
          default: break;
        }
      }
    }
  }

  std::vector<int> component = StronglyConnectedComponents(successors);
  for (const Edge& e : edges) {
    if (e.dependency == Dependency::kPositive || component[e.head] != component[e.body]) continue;
    ctx.diags().Error(e.atom->pos, "'" + relations[e.head]->name + "' depends on '" + relations[e.body]->name +
                                       "' through " +
                                       (e.dependency == Dependency::kNegation ? "negation" : "aggregation") +
                                       " within a recursive cycle (not stratifiable)");
  }
}

}  // namespace syllo::rules

// Stratification: logical rules must not depend on a relation through negation
// or aggregation within a recursive cycle, or there is no stratum order in which
// to compute them. Builds the relation dependency graph (head -> each body
// relation, marked negative under `not` and aggregating inside an aggregate),
// finds its strongly connected components with an iterative Tarjan, and
// reports every negative or aggregating edge inside a component.
// Production rules do not take part: they act on a snapshot, not a fixpoint.
//
// Thread safety: reentrant.
#pragma once

#include "rules/ast.h"
#include "rules/check_context.h"

namespace syllo::rules {

// REQUIRES: ctx.relations() is filled.
void CheckStratification(CheckContext& ctx, const Program& program);

// The strongly connected component of each node of a graph given as adjacency
// lists; components are numbered in reverse topological order (Tarjan).
// Iterative, so a long chain of rules cannot overflow the stack.
std::vector<int> StronglyConnectedComponents(const std::vector<std::vector<int>>& successors);

}  // namespace syllo::rules

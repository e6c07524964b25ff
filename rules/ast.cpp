#include "rules/ast.h"

#include <iterator>

namespace syllo::rules {

template <typename T>
static void MoveAppend(std::vector<T>& to, std::vector<T>& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

void Program::Append(Program other) {
  MoveAppend(relations, other.relations);
  MoveAppend(facts, other.facts);
  MoveAppend(rules, other.rules);
  MoveAppend(productions, other.productions);
  MoveAppend(asks, other.asks);
  MoveAppend(neurals, other.neurals);
  MoveAppend(models, other.models);
  MoveAppend(queries, other.queries);
  MoveAppend(imports, other.imports);
  MoveAppend(pragmas, other.pragmas);
  MoveAppend(functions, other.functions);
}

std::string_view CompareOpSpelling(CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return "=";
    case CompareOp::kNe: return "!=";
    case CompareOp::kLt: return "<";
    case CompareOp::kLe: return "<=";
    case CompareOp::kGt: return ">";
    case CompareOp::kGe: return ">=";
  }
  return "?";
}

std::string_view AggregateOpName(AggregateOp op) {
  switch (op) {
    case AggregateOp::kCount: return "count";
    case AggregateOp::kSum: return "sum";
    case AggregateOp::kMin: return "min";
    case AggregateOp::kMax: return "max";
    case AggregateOp::kAvg: return "avg";
  }
  return "?";
}

}  // namespace syllo::rules

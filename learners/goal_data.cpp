#include "learners/goal_data.h"

#include <algorithm>
#include <random>

#include "engine/working_memory.h"
#include "kb/program_facts.h"

namespace syllo::learners {
namespace {

using engine::Value;

Result<std::string> KbRelation(const std::string& source, const std::string& option) {
  if (source.rfind("kb:", 0) != 0 || source.size() == 3) {
    return Status::InvalidArgument(option + " " + source +
                                   ": training through rules reads its goals from a KB relation: kb:RELATION");
  }
  return source.substr(3);
}

// The rows of `relation`, checked against the goal relation's columns.
Result<std::vector<std::vector<Value>>> GoalRows(kb::KnowledgeBase& kb, const std::string& relation,
                                                 const engine::RelationSpec& goal) {
  auto info = kb.GetRelation(relation, false);
  if (!info.ok()) return info.status();
  bool same = info->columns.size() == goal.columns.size();
  for (std::size_t i = 0; same && i < goal.columns.size(); ++i) {
    same = info->columns[i].type.kind == goal.columns[i].type.kind;
  }
  if (!same) {
    return Status::InvalidArgument("kb:" + relation + " is " + info->signature + ": its columns must have the types of " +
                                   engine::DescribeSignature(goal.name, goal.columns) + ", in that order");
  }
  auto facts = kb.Facts(relation);
  if (!facts.ok()) return facts.status();
  std::vector<std::vector<Value>> rows;
  rows.reserve(facts->size());
  for (kb::FactRow& f : *facts) rows.push_back(std::move(f.values));
  if (rows.empty()) return Status::InvalidArgument("kb:" + relation + " has no goals");
  return rows;
}

// Goals [begin, end) of `all`, their inputs rebased.
GroundedGoals Slice(const GroundedGoals& all, std::int64_t begin, std::int64_t end) {
  GroundedGoals out;
  out.goals.shapes = all.goals.shapes;
  out.outcome_values = all.outcome_values;
  out.inputs.example_shape = all.inputs.example_shape;
  if (begin >= end) return out;
  const std::int64_t size = all.inputs.example_size();
  const std::int64_t first = all.goals.first_input[begin];
  const std::int64_t last = end < all.goals.size() ? all.goals.first_input[end] : all.inputs.size();
  out.inputs.features.assign(all.inputs.features.begin() + first * size, all.inputs.features.begin() + last * size);
  for (std::int64_t g = begin; g < end; ++g) {
    out.goals.shape.push_back(all.goals.shape[g]);
    out.goals.outcome.push_back(all.goals.outcome[g]);
    out.goals.first_input.push_back(all.goals.first_input[g] - first);
  }
  return out;
}

}  // namespace

Result<GoalSplits> LoadGoals(kb::KnowledgeBase& kb, const GoalDataPlan& plan) {
  const engine::ProgramSpec& program = *plan.program;
  auto goal = program.FindRelation(plan.goal);
  if (!goal) return Status::InvalidArgument("--through " + plan.goal + ": the packs declare no such relation");
  const engine::RelationSpec& goal_spec = program.relations[*goal];
  std::size_t label_column = goal_spec.columns.size() - 1;
  if (!plan.label_column.empty()) {
    auto it = std::find_if(goal_spec.columns.begin(), goal_spec.columns.end(),
                           [&](const engine::Column& c) { return c.name == plan.label_column; });
    if (it == goal_spec.columns.end()) {
      return Status::InvalidArgument("--label-column " + plan.label_column + ": " +
                                     engine::DescribeSignature(goal_spec.name, goal_spec.columns) + " has no such column");
    }
    label_column = static_cast<std::size_t>(it - goal_spec.columns.begin());
  }
  auto data_relation = KbRelation(plan.data, "--data");
  if (!data_relation.ok()) return data_relation.status();
  std::string test_relation;
  if (!plan.test_data.empty()) {
    auto t = KbRelation(plan.test_data, "--test-data");
    if (!t.ok()) return t.status();
    test_relation = *t;
  }
  auto rows = GoalRows(kb, *data_relation, goal_spec);
  if (!rows.ok()) return rows.status();
  std::vector<std::vector<Value>> all = std::move(*rows);
  std::vector<std::string> names;  // for messages: where each goal is stored
  for (std::size_t i = 0; i < all.size(); ++i) names.push_back(plan.data + " row " + std::to_string(i + 1));
  // A seeded shuffle (std::shuffle's algorithm is unspecified: Fisher-Yates here).
  std::mt19937_64 random(plan.seed);
  for (std::size_t i = all.size(); i > 1; --i) {
    const std::size_t j = std::uniform_int_distribution<std::size_t>(0, i - 1)(random);
    std::swap(all[i - 1], all[j]);
    std::swap(names[i - 1], names[j]);
  }
  if (plan.limit > 0 && static_cast<std::int64_t>(all.size()) > plan.limit) {
    all.resize(static_cast<std::size_t>(plan.limit));
    names.resize(all.size());
  }
  const auto n = static_cast<std::int64_t>(all.size());
  const auto test = test_relation.empty() ? static_cast<std::int64_t>(static_cast<double>(n) * plan.test_fraction) : 0;
  const auto validation = static_cast<std::int64_t>(static_cast<double>(n) * plan.validation_fraction);
  const std::int64_t train = n - test - validation;
  if (train < 1) return Status::InvalidArgument(plan.data + ": the validation and test fractions leave no training goals");
  std::int64_t test_count = test;
  if (!test_relation.empty()) {
    auto held_out = GoalRows(kb, test_relation, goal_spec);
    if (!held_out.ok()) return held_out.status();
    test_count = static_cast<std::int64_t>(held_out->size());
    for (std::size_t i = 0; i < held_out->size(); ++i) {
      all.push_back(std::move((*held_out)[i]));
      names.push_back(plan.test_data + " row " + std::to_string(i + 1));
    }
  }

  engine::WorkingMemory memory;
  if (Status s = engine::LoadProgram(program, memory); !s.ok()) return s;
  std::vector<std::string> skip = {*data_relation};
  if (!test_relation.empty()) skip.push_back(test_relation);
  Status loaded = kb::ForEachProgramFact(
      kb, program,
      [&](engine::RelationId r, std::span<const Value> row, double cf, engine::Origin origin) -> Status {
        auto added = memory.Assert(memory.at(r).name(), std::vector<Value>(row.begin(), row.end()), cf, origin);
        return added.ok() ? Status() : added.status();
      },
      skip);
  if (!loaded.ok()) return loaded;

  GroundingRequest request;
  request.program = plan.program;
  request.memory = &memory;
  request.host = plan.host;
  request.goal = *goal;
  request.label_column = label_column;
  request.model = plan.model;
  request.labels = plan.labels;
  request.example_shape = plan.example_shape;
  auto grounded = GroundGoals(request, all, names);
  if (!grounded.ok()) return grounded.status();
  GoalSplits out;
  out.train = Slice(*grounded, 0, train);
  out.validation = Slice(*grounded, train, train + validation);
  out.test = Slice(*grounded, train + validation, train + validation + test_count);
  out.shapes = static_cast<std::int64_t>(grounded->goals.shapes.size());
  out.terms = grounded->terms();
  out.groundings = grounded->groundings;
  out.grounding_seconds = grounded->seconds;
  out.description = plan.data + " through " + plan.goal + " (train " + std::to_string(train) + ", validation " +
                    std::to_string(validation) +
                    (test_relation.empty() ? ", test " + std::to_string(test_count) + ")"
                                           : "), " + plan.test_data + " (test " + std::to_string(test_count) + ")");
  return out;
}

}  // namespace syllo::learners

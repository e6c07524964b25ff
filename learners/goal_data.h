// Labelled goals for training through rules, from the knowledge base: the rows
// of a relation with the goal relation's columns (say add_train(a, b, sum) for
// the goals add(a, b, sum)), split into train / validation (/ test) with a
// seeded shuffle, or with the test goals from a relation of their own (so that
// no input of a test goal is ever trained on), then grounded into proofs once
// for all three (learners/proof_grounding.h).
//
// Thread safety: free functions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/host_function.h"
#include "engine/program.h"
#include "kb/knowledge_base.h"
#include "learners/proof_grounding.h"

namespace syllo::learners {

struct GoalDataPlan {
  std::shared_ptr<const engine::ProgramSpec> program;
  engine::HostFunctions* host = nullptr;  // the Lua packs' functions, if any
  std::string goal;          // the goal relation, derived by the program's rules
  std::string label_column;  // the goal column holding the conclusion; empty: the last
  std::string data;          // kb:RELATION
  std::string test_data;     // kb:RELATION of held-out goals; empty: carve test_fraction from data
  double validation_fraction = 0.1;
  double test_fraction = 0.1;
  std::uint64_t seed = 42;
  std::int64_t limit = 0;    // 0: every goal of `data`
  std::string model;
  std::vector<std::string> labels;
  std::vector<std::int64_t> example_shape;
};

struct GoalSplits {
  GroundedGoals train, validation, test;
  std::string description;  // "kb:add_train through add (train 900, validation 100), kb:add_test (test 200)"
  std::int64_t shapes = 0, terms = 0, groundings = 0;
  double grounding_seconds = 0;
};

Result<GoalSplits> LoadGoals(kb::KnowledgeBase& kb, const GoalDataPlan& plan);

}  // namespace syllo::learners

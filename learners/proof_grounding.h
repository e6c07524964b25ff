// Grounding labelled goals into proofs, for training through rules.
//
// A labelled goal is a row of a goal relation (say add(a, b, sum) with two
// images and their sum). The solver runs the program's rules with every
// neural predicate answering *every* label, and the proofs of each answer are
// collected as conjunctions of literals "the model gives input i label l"
// (with input i a slot of the goal). Proofs of one outcome are then made
// mutually exclusive by splitting on slots (Shannon expansion over the
// categorical labels), so P(outcome) = sum of products, exactly.
//
// The proofs depend on the goal's shape, not on the images: a shape is the
// goal with its tensor arguments abstracted (keeping which are equal) and the
// label column free. Each shape is grounded once, and the proofs of a second
// goal of the shape are checked to be the same (a rule that reads an image's
// contents would make them differ: then every goal is grounded on its own).
// A neural input that is not one of the goal's own arguments also makes each
// goal its own shape.
//
// Not supported (an error naming the rule or declaration): a neural fact's
// certainty read with `@ C`, a rule certainty other than 1, and negation,
// `exists` or aggregates over relations that depend on a neural predicate.
//
// Thread safety: free functions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/neural_backend.h"
#include "engine/host_function.h"
#include "engine/program.h"
#include "engine/value.h"
#include "engine/working_memory.h"
#include "syllo/status.h"

namespace syllo::learners {

struct GroundingRequest {
  std::shared_ptr<const engine::ProgramSpec> program;
  const engine::WorkingMemory* memory = nullptr;  // the program's facts (and the KB's)
  engine::HostFunctions* host = nullptr;           // the Lua packs' functions, if any
  engine::RelationId goal = 0;                     // the goal relation (derived by rules)
  std::size_t label_column = 0;                    // the goal column holding the labelled conclusion
  std::string model;                               // the model being trained
  std::vector<std::string> labels;                 // its labels, in output order
  std::vector<std::int64_t> example_shape;         // its input shape (for the inputs batch)
};

struct GroundedGoals {
  engine::TensorBatch inputs;  // one example per slot of each goal, unlabelled
  engine::GoalSet goals;
  // Per shape: its outcomes' values (the label column), for reports.
  std::vector<std::vector<engine::Value>> outcome_values;
  std::int64_t groundings = 0;  // solver groundings done (shapes, plus checks)
  double seconds = 0;           // spent grounding
  std::int64_t terms() const;   // over all shapes
};

// Grounds `rows` (each a full row of the goal relation; `names[i]` says where
// row i comes from, "kb:add_train row 12"). InvalidArgument for a goal whose
// labelled conclusion no labelling proves, naming it.
Result<GroundedGoals> GroundGoals(const GroundingRequest& request, const std::vector<std::vector<engine::Value>>& rows,
                                  const std::vector<std::string>& names);

// The exact accuracy of `probabilities` (one row of `classes` per input of the
// goals) on `goals`: the most probable outcome is the labelled one.
double GoalAccuracy(const engine::GoalSet& goals, const std::vector<float>& probabilities, std::int64_t classes);

}  // namespace syllo::learners

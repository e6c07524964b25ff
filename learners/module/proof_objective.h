// The loss of training through rules: the probability of a labelled goal is a
// sum over its proofs' terms of products of the model's label probabilities
// (engine::GoalSet), computed as LibTorch operations so the loss
// back-propagates into the network.
//
// Everything symbolic was settled by the host before training: the shapes'
// terms are turned once into index tensors over a goal's log-probabilities
// (slot-major, `slots * classes` of them, plus a log 1 and a log 0 column for
// padding). A training step only concatenates the indices of its goals'
// outcomes and does one gather, one sum and one logsumexp, in log space so
// that products of many small probabilities do not underflow.
//
// Thread safety: one training at a time (as the trainer).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/neural_backend.h"
#include "syllo/status.h"

namespace syllo::learners {

class ProofObjective {
 public:
  // Checks `goals` against the inputs (`inputs` examples) and the model's
  // `classes`: every index in range, every goal's labelled outcome provable.
  // `which` names the data in messages ("training", "validation").
  static Result<ProofObjective> Make(const engine::GoalSet& goals, std::int64_t inputs, std::int64_t classes,
                                     std::int64_t top_proofs, const std::string& which);

  std::int64_t goals() const { return static_cast<std::int64_t>(goals_->shape.size()); }

  // The inputs of `batch` (goal numbers), in the order LabelledLogProbability
  // and OutcomeScores expect their log-probabilities.
  torch::Tensor InputRows(const std::vector<std::int64_t>& batch) const;

  // log P(labelled outcome) per goal of `batch` ({goals}); `log_probabilities`
  // is log_softmax of the network over InputRows(batch).
  torch::Tensor LabelledLogProbability(const std::vector<std::int64_t>& batch,
                                       const torch::Tensor& log_probabilities) const;

  // How many goals of `batch` have their labelled outcome as the most probable
  // one (all outcomes computed; no gradient).
  torch::Tensor Correct(const std::vector<std::int64_t>& batch, const torch::Tensor& log_probabilities) const;

  // Mean -log P(labelled outcome) and accuracy over every goal, by chunks.
  struct Score {
    double loss = 0, accuracy = 0;
  };
  template <typename Forward>
  Score Evaluate(Forward&& log_probabilities_of, std::int64_t chunk) const {
    torch::NoGradGuard no_grad;
    double loss = 0, correct = 0;
    for (std::int64_t start = 0; start < goals(); start += chunk) {
      std::vector<std::int64_t> batch;
      for (std::int64_t g = start; g < std::min(goals(), start + chunk); ++g) batch.push_back(g);
      const torch::Tensor lp = log_probabilities_of(InputRows(batch));
      loss -= LabelledLogProbability(batch, lp).sum().item<double>();
      correct += static_cast<double>(Correct(batch, lp).item<std::int64_t>());
    }
    const double n = static_cast<double>(std::max<std::int64_t>(1, goals()));
    return {loss / n, correct / n};
  }

 private:
  struct Shape {
    std::int64_t slots = 0, outcomes = 0, width = 0;  // width: literals of the longest term
    torch::Tensor all_terms;                          // {terms, width} indices into a goal's columns
    torch::Tensor term_outcome;                       // {terms}
    std::vector<std::vector<std::int64_t>> outcome_terms;  // per outcome: its terms' indices, flat (terms x width)
  };
  // Groups of the batch's goals by shape, in first-seen order, with where
  // their rows start in InputRows.
  struct Group {
    std::int32_t shape = 0;
    std::vector<std::int64_t> goals;
    std::int64_t first_row = 0;
  };
  std::vector<Group> GroupByShape(const std::vector<std::int64_t>& batch) const;
  // A group's log-probabilities as {goals, slots * classes + 2}: the last two
  // columns are log 1 (padding literal) and log 0 (padding term).
  torch::Tensor GoalColumns(const Group& group, const torch::Tensor& log_probabilities) const;

  const engine::GoalSet* goals_ = nullptr;
  std::int64_t classes_ = 0;
  std::int64_t top_proofs_ = 0;
  std::vector<Shape> shapes_;
};

}  // namespace syllo::learners

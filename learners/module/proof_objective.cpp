#include "learners/module/proof_objective.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

namespace syllo::learners {

Result<ProofObjective> ProofObjective::Make(const engine::GoalSet& goals, std::int64_t inputs, std::int64_t classes,
                                            std::int64_t top_proofs, const std::string& which) {
  const std::string where = which + " goals: ";
  if (goals.shape.empty()) return Status::InvalidArgument(where + "none");
  if (goals.first_input.size() != goals.shape.size() || goals.outcome.size() != goals.shape.size()) {
    return Status::InvalidArgument(where + "shape, first_input and outcome differ in length");
  }
  if (top_proofs < 0) return Status::InvalidArgument("top proofs must be at least 0, got " + std::to_string(top_proofs));
  ProofObjective o;
  o.goals_ = &goals;
  o.classes_ = classes;
  o.top_proofs_ = top_proofs;
  std::vector<std::vector<bool>> provable;  // per shape, per outcome
  for (std::size_t k = 0; k < goals.shapes.size(); ++k) {
    const engine::ProofShape& s = goals.shapes[k];
    const std::string at = where + "shape " + std::to_string(k) + ": ";
    if (s.slots < 1 || s.outcomes < 1) return Status::InvalidArgument(at + "no slots or no outcomes");
    if (s.term_begin.size() != s.term_outcome.size() + 1 || s.term_begin.front() != 0 ||
        s.term_begin.back() != static_cast<std::int32_t>(s.literal_slot.size()) ||
        s.literal_slot.size() != s.literal_label.size()) {
      return Status::InvalidArgument(at + "its term table is inconsistent");
    }
    Shape shape;
    shape.slots = s.slots;
    shape.outcomes = s.outcomes;
    for (std::int64_t t = 0; t < s.terms(); ++t) {
      shape.width = std::max<std::int64_t>(shape.width, s.term_begin[t + 1] - s.term_begin[t]);
    }
    shape.width = std::max<std::int64_t>(shape.width, 1);
    const std::int64_t pad_one = s.slots * classes;
    std::vector<std::int64_t> all;
    all.reserve(static_cast<std::size_t>(s.terms() * shape.width));
    shape.outcome_terms.resize(static_cast<std::size_t>(s.outcomes));
    provable.emplace_back(static_cast<std::size_t>(s.outcomes), false);
    for (std::int64_t t = 0; t < s.terms(); ++t) {
      const std::int32_t outcome = s.term_outcome[t];
      if (outcome < 0 || outcome >= s.outcomes) return Status::InvalidArgument(at + "a term's outcome is out of range");
      provable.back()[outcome] = true;
      std::vector<std::int64_t>& into = shape.outcome_terms[outcome];
      for (std::int32_t l = s.term_begin[t]; l < s.term_begin[t + 1]; ++l) {
        if (s.literal_slot[l] < 0 || s.literal_slot[l] >= s.slots || s.literal_label[l] < 0 ||
            s.literal_label[l] >= classes) {
          return Status::InvalidArgument(at + "a literal's slot or label is out of range");
        }
        const std::int64_t column = static_cast<std::int64_t>(s.literal_slot[l]) * classes + s.literal_label[l];
        all.push_back(column);
        into.push_back(column);
      }
      for (std::int64_t l = s.term_begin[t + 1] - s.term_begin[t]; l < shape.width; ++l) {
        all.push_back(pad_one);
        into.push_back(pad_one);
      }
    }
    shape.all_terms = torch::tensor(all, torch::kLong).view({s.terms(), shape.width});
    shape.term_outcome =
        torch::tensor(std::vector<std::int64_t>(s.term_outcome.begin(), s.term_outcome.end()), torch::kLong);
    o.shapes_.push_back(std::move(shape));
  }
  for (std::int64_t g = 0; g < goals.size(); ++g) {
    const std::string at = where + "goal " + std::to_string(g + 1) + ": ";
    const std::int32_t k = goals.shape[g];
    if (k < 0 || k >= static_cast<std::int32_t>(goals.shapes.size())) return Status::InvalidArgument(at + "no such shape");
    const std::int64_t slots = goals.shapes[k].slots;
    if (goals.first_input[g] < 0 || goals.first_input[g] + slots > inputs) {
      return Status::InvalidArgument(at + "its inputs are out of range");
    }
    if (goals.outcome[g] < 0 || goals.outcome[g] >= goals.shapes[k].outcomes || !provable[k][goals.outcome[g]]) {
      return Status::InvalidArgument(at + "its labelled conclusion has no proof");
    }
  }
  return o;
}

std::vector<ProofObjective::Group> ProofObjective::GroupByShape(const std::vector<std::int64_t>& batch) const {
  std::vector<Group> groups;
  std::unordered_map<std::int32_t, std::size_t> at;
  for (std::int64_t g : batch) {
    const std::int32_t shape = goals_->shape[g];
    auto [it, fresh] = at.try_emplace(shape, groups.size());
    if (fresh) groups.push_back({shape, {}, 0});
    groups[it->second].goals.push_back(g);
  }
  std::int64_t row = 0;
  for (Group& group : groups) {
    group.first_row = row;
    row += static_cast<std::int64_t>(group.goals.size()) * shapes_[group.shape].slots;
  }
  return groups;
}

torch::Tensor ProofObjective::InputRows(const std::vector<std::int64_t>& batch) const {
  std::vector<std::int64_t> rows;
  for (const Group& group : GroupByShape(batch)) {
    const std::int64_t slots = shapes_[group.shape].slots;
    for (std::int64_t g : group.goals) {
      for (std::int64_t s = 0; s < slots; ++s) rows.push_back(goals_->first_input[g] + s);
    }
  }
  return torch::tensor(rows, torch::kLong);
}

torch::Tensor ProofObjective::GoalColumns(const Group& group, const torch::Tensor& log_probabilities) const {
  const Shape& shape = shapes_[group.shape];
  const std::int64_t count = static_cast<std::int64_t>(group.goals.size());
  const torch::Tensor mine =
      log_probabilities.slice(0, group.first_row, group.first_row + count * shape.slots).reshape({count, -1});
  const torch::Tensor padding =
      torch::tensor({0.0f, -std::numeric_limits<float>::infinity()}, mine.options()).expand({count, 2});
  return torch::cat({mine, padding}, 1);
}

torch::Tensor ProofObjective::LabelledLogProbability(const std::vector<std::int64_t>& batch,
                                                     const torch::Tensor& log_probabilities) const {
  std::vector<torch::Tensor> parts;
  for (const Group& group : GroupByShape(batch)) {
    const Shape& shape = shapes_[group.shape];
    const torch::Tensor columns = GoalColumns(group, log_probabilities);
    const std::int64_t width = columns.size(1);
    const std::int64_t pad_one = shape.slots * classes_, pad_zero = pad_one + 1;
    // Each goal's labelled outcome's terms, padded to the longest with terms
    // of probability 0, as flat indices into `columns`.
    std::size_t most = 0;
    for (std::int64_t g : group.goals) most = std::max(most, shape.outcome_terms[goals_->outcome[g]].size());
    const std::int64_t terms = static_cast<std::int64_t>(most) / shape.width;
    std::vector<std::int64_t> index;
    index.reserve(group.goals.size() * most);
    for (std::size_t i = 0; i < group.goals.size(); ++i) {
      const std::int64_t base = static_cast<std::int64_t>(i) * width;
      const std::vector<std::int64_t>& mine = shape.outcome_terms[goals_->outcome[group.goals[i]]];
      for (std::int64_t c : mine) index.push_back(base + c);
      for (std::size_t t = mine.size(); t < most; t += static_cast<std::size_t>(shape.width)) {
        index.push_back(base + pad_zero);
        for (std::int64_t l = 1; l < shape.width; ++l) index.push_back(base + pad_one);
      }
    }
    const std::int64_t count = static_cast<std::int64_t>(group.goals.size());
    torch::Tensor term_log_p = columns.reshape({-1})
                                   .index_select(0, torch::tensor(index, torch::kLong))
                                   .view({count, terms, shape.width})
                                   .sum(2);
    if (top_proofs_ > 0 && top_proofs_ < terms) term_log_p = std::get<0>(term_log_p.topk(top_proofs_, 1));
    parts.push_back(term_log_p.logsumexp(1));
  }
  return parts.size() == 1 ? parts.front() : torch::cat(parts);
}

torch::Tensor ProofObjective::Correct(const std::vector<std::int64_t>& batch,
                                      const torch::Tensor& log_probabilities) const {
  torch::NoGradGuard no_grad;
  torch::Tensor correct = torch::zeros({}, torch::kLong);
  for (const Group& group : GroupByShape(batch)) {
    const Shape& shape = shapes_[group.shape];
    const std::int64_t count = static_cast<std::int64_t>(group.goals.size());
    const torch::Tensor columns = GoalColumns(group, log_probabilities.detach());
    const torch::Tensor term_log_p =
        columns.index_select(1, shape.all_terms.reshape({-1})).view({count, -1, shape.width}).sum(2);
    const torch::Tensor top = std::get<0>(term_log_p.max(1, true));
    const torch::Tensor outcome_p = torch::zeros({count, shape.outcomes}, term_log_p.options())
                                        .index_add_(1, shape.term_outcome, (term_log_p - top).exp());
    std::vector<std::int64_t> labelled;
    for (std::int64_t g : group.goals) labelled.push_back(goals_->outcome[g]);
    correct += outcome_p.argmax(1).eq(torch::tensor(labelled, torch::kLong)).sum();
  }
  return correct;
}

}  // namespace syllo::learners

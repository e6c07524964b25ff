#include "learners/module/trainer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include "learners/module/design_check.h"
#include "learners/module/network.h"
#include "learners/module/proof_objective.h"
#include "learners/module/weights.h"

namespace syllo::learners {
namespace {

using engine::EpochMetrics;
using engine::ModelDesign;
using engine::TensorBatch;
using engine::TrainProgress;
using engine::TrainRequest;
using engine::TrainResult;
using Clock = std::chrono::steady_clock;
namespace F = torch::nn::functional;

constexpr auto kProgressInterval = std::chrono::milliseconds(200);
constexpr std::int64_t kEvaluationChunk = 1024;
// Goals: every outcome's terms are scored, up to 10^4 terms per goal.
constexpr std::int64_t kGoalEvaluationChunk = 64;

// A TensorBatch seen as tensors over its own storage (no copy).
// REQUIRES: the batch outlives the tensors and is not written meanwhile.
struct Examples {
  torch::Tensor features;  // {n, example elements}, float
  torch::Tensor labels;    // {n}, int64
  std::int64_t count = 0;
};

// `labelled`: one label per example (plain training); inputs of goals have none.
Status CheckExamples(const ModelDesign& d, const TensorBatch& batch, const std::string& which, bool labelled = true) {
  const std::string where = "model " + d.name + ", " + which + " data: ";
  const std::int64_t elements = InputElements(d);
  if (batch.example_size() != elements) {
    return Status::InvalidArgument(where + "examples have " + std::to_string(batch.example_size()) +
                                   " values, the design's input has " + std::to_string(elements));
  }
  if (batch.features.size() % static_cast<std::size_t>(elements) != 0) {
    return Status::InvalidArgument(where + std::to_string(batch.features.size()) +
                                   " feature values are not a whole number of examples of " +
                                   std::to_string(elements));
  }
  const std::int64_t count = batch.size();
  if (count == 0) return Status::InvalidArgument(where + "no examples");
  if (labelled && static_cast<std::int64_t>(batch.labels.size()) != count) {
    return Status::InvalidArgument(where + std::to_string(count) + " examples but " +
                                   std::to_string(batch.labels.size()) + " labels");
  }
  for (std::int64_t i = 0; labelled && i < count; ++i) {
    if (batch.labels[i] < 0 || batch.labels[i] >= d.classes) {
      return Status::InvalidArgument(where + "example " + std::to_string(i) + " has label " +
                                     std::to_string(batch.labels[i]) + ", outside [0, " + std::to_string(d.classes) +
                                     ")");
    }
  }
  for (std::size_t k = 0; k < batch.features.size(); ++k) {
    if (!std::isfinite(batch.features[k])) {
      return Status::InvalidArgument(where + "example " + std::to_string(k / elements) + " has " +
                                     (std::isnan(batch.features[k]) ? "NaN" : "an infinite value") + " at value " +
                                     std::to_string(k % elements));
    }
  }
  return Status::Ok();
}

Examples AsTensors(const TensorBatch& batch) {
  Examples e;
  e.count = batch.size();
  // from_blob wants a mutable pointer; the tensors are only read.
  e.features = torch::from_blob(const_cast<float*>(batch.features.data()), {e.count, batch.example_size()},
                                torch::kFloat);
  if (!batch.labels.empty()) {
    e.labels = torch::from_blob(const_cast<std::int64_t*>(batch.labels.data()), {e.count}, torch::kLong);
  }
  return e;
}

double EpochLearningRate(const ModelDesign& d, std::int64_t epoch) {  // epoch from 0
  if (d.schedule == "step") return d.lr * std::pow(0.1, static_cast<double>(epoch * 3 / d.epochs));
  if (d.schedule == "cosine") {
    return d.lr * 0.5 * (1 + std::cos(std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(d.epochs)));
  }
  return d.lr;
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const ModelDesign& d, std::vector<torch::Tensor> params) {
  if (d.optimizer == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        std::move(params), torch::optim::SGDOptions(d.lr).momentum(d.momentum).weight_decay(d.weight_decay));
  }
  if (d.optimizer == "adamw") {
    return std::make_unique<torch::optim::AdamW>(std::move(params),
                                                 torch::optim::AdamWOptions(d.lr).weight_decay(d.weight_decay));
  }
  return std::make_unique<torch::optim::Adam>(std::move(params),
                                              torch::optim::AdamOptions(d.lr).weight_decay(d.weight_decay));
}

struct Evaluation {
  double loss = 0, accuracy = 0;
};

Evaluation Evaluate(NetworkImpl& network, const Examples& examples) {
  torch::NoGradGuard no_grad;
  network.eval();
  torch::Tensor loss_sum = torch::zeros({}, torch::kDouble);
  torch::Tensor correct = torch::zeros({}, torch::kLong);
  for (std::int64_t start = 0; start < examples.count; start += kEvaluationChunk) {
    const std::int64_t end = std::min(examples.count, start + kEvaluationChunk);
    const torch::Tensor y = examples.labels.slice(0, start, end);
    const torch::Tensor logits = network.forward(examples.features.slice(0, start, end));
    loss_sum += F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().reduction(torch::kSum));
    correct += logits.argmax(1).eq(y).sum();
  }
  network.train();
  const double n = static_cast<double>(examples.count);
  return {loss_sum.item<double>() / n, static_cast<double>(correct.item<std::int64_t>()) / n};
}

Evaluation EvaluateGoals(NetworkImpl& network, const Examples& inputs, const ProofObjective& goals) {
  network.eval();
  const ProofObjective::Score s = goals.Evaluate(
      [&](const torch::Tensor& rows) { return F::log_softmax(network.forward(inputs.features.index_select(0, rows)), 1); },
      kGoalEvaluationChunk);
  network.train();
  return {s.loss, s.accuracy};
}

// The weights of the best epoch so far, kept as tensor copies (cheaper than
// serialising each time the validation loss improves).
std::vector<torch::Tensor> Snapshot(const NetworkImpl& network) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> copies;
  for (const auto& p : network.parameters()) copies.push_back(p.detach().clone());
  for (const auto& b : network.buffers()) copies.push_back(b.detach().clone());
  return copies;
}

void Restore(NetworkImpl& network, const std::vector<torch::Tensor>& copies) {
  torch::NoGradGuard no_grad;
  std::size_t i = 0;
  for (auto& p : network.parameters()) p.copy_(copies[i++]);
  for (auto& b : network.buffers()) b.copy_(copies[i++]);
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

Result<TrainResult> TrainModel(const TrainRequest& request) {
  const ModelDesign& d = request.design;
  if (Status s = CheckModelDesign(d); !s.ok()) return s;
  if (request.train == nullptr) return Status::InvalidArgument("model " + d.name + ": no training data");
  const bool through_rules = request.train_goals != nullptr;
  if (Status s = CheckExamples(d, *request.train, "training", !through_rules); !s.ok()) return s;
  if (request.validation != nullptr) {
    if (Status s = CheckExamples(d, *request.validation, "validation", !through_rules); !s.ok()) return s;
  }
  std::optional<ProofObjective> goal_objective, validation_goal_objective;
  if (through_rules) {
    auto made = ProofObjective::Make(*request.train_goals, request.train->size(), d.classes, request.top_proofs,
                                     "model " + d.name + ", training");
    if (!made.ok()) return made.status();
    goal_objective = std::move(*made);
    if (request.validation != nullptr) {
      if (request.validation_goals == nullptr) {
        return Status::InvalidArgument("model " + d.name + ": validation inputs without validation goals");
      }
      auto v = ProofObjective::Make(*request.validation_goals, request.validation->size(), d.classes,
                                    request.top_proofs, "model " + d.name + ", validation");
      if (!v.ok()) return v.status();
      validation_goal_objective = std::move(*v);
    }
  }

  Network network(d);
  if (request.initial_weights) {
    if (Status s = LoadWeights(d, *request.initial_weights, *network); !s.ok()) return s;
  }
  const auto layers = network->Layers();
  if (request.freeze_layers < 0 || request.freeze_layers >= static_cast<std::int64_t>(layers.size())) {
    return Status::InvalidArgument("model " + d.name + ": freeze_layers must be in [0, " +
                                   std::to_string(layers.size()) + "): the model has " +
                                   std::to_string(layers.size()) + " layers, and at least one must train");
  }
  for (std::int64_t i = 0; i < request.freeze_layers; ++i) {
    for (auto p : layers[i]) p.set_requires_grad(false);
  }
  std::vector<torch::Tensor> trainable;
  for (const auto& p : network->parameters()) {
    if (p.requires_grad()) trainable.push_back(p);
  }
  auto optimizer = MakeOptimizer(d, std::move(trainable));

  const Examples train = AsTensors(*request.train);
  std::optional<Examples> validation;
  if (request.validation != nullptr) validation = AsTensors(*request.validation);
  at::Generator shuffle = at::make_generator<at::CPUGeneratorImpl>(static_cast<std::uint64_t>(d.seed));
  // Examples (plain) or goals (through rules): what a batch counts.
  const std::int64_t examples = through_rules ? goal_objective->goals() : train.count;
  const std::int64_t batches = (examples + d.batch - 1) / d.batch;

  TrainResult result;
  result.parameters = TrainableParameters(*network);
  std::optional<std::vector<torch::Tensor>> best;
  double best_loss = 0;
  std::int64_t epochs_without_improvement = 0;
  Clock::time_point last_report = Clock::now();
  network->train();

  for (std::int64_t epoch = 1; epoch <= d.epochs; ++epoch) {
    const Clock::time_point epoch_start = Clock::now();
    const double lr = EpochLearningRate(d, epoch - 1);
    for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
    const torch::Tensor order = torch::randperm(examples, shuffle, torch::kLong);
    double symbolic_seconds = 0;
    // Running sums stay tensors: reading them costs a sync, done only to report.
    torch::Tensor loss_sum = torch::zeros({}, torch::kDouble);
    torch::Tensor correct = torch::zeros({}, torch::kLong);
    std::int64_t seen = 0;

    for (std::int64_t b = 0; b < batches; ++b) {
      if (request.cancel != nullptr && request.cancel->load(std::memory_order_relaxed)) {
        return Status::Cancelled("training cancelled at epoch " + std::to_string(epoch) + " batch " +
                                 std::to_string(b + 1));
      }
      const std::int64_t start = b * d.batch, end = std::min(examples, start + d.batch);
      const torch::Tensor index = order.slice(0, start, end);
      optimizer->zero_grad();
      torch::Tensor loss;
      if (through_rules) {
        const std::int64_t* picked = index.data_ptr<std::int64_t>();
        const std::vector<std::int64_t> goals(picked, picked + (end - start));
        const Clock::time_point rows_start = Clock::now();
        const torch::Tensor rows = goal_objective->InputRows(goals);
        symbolic_seconds += Seconds(Clock::now() - rows_start);
        const torch::Tensor log_p = F::log_softmax(network->forward(train.features.index_select(0, rows)), 1);
        const Clock::time_point proofs_start = Clock::now();
        loss = -goal_objective->LabelledLogProbability(goals, log_p).mean();
        symbolic_seconds += Seconds(Clock::now() - proofs_start);
        loss.backward();
        optimizer->step();
        correct.add_(goal_objective->Correct(goals, log_p));
      } else {
        const torch::Tensor logits = network->forward(train.features.index_select(0, index));
        const torch::Tensor y = train.labels.index_select(0, index);
        loss = F::cross_entropy(logits, y);
        loss.backward();
        optimizer->step();
        torch::NoGradGuard no_grad;
        correct.add_(logits.argmax(1).eq(y).sum());
      }
      {
        torch::NoGradGuard no_grad;
        loss_sum.add_(loss.detach(), static_cast<double>(end - start));
      }
      seen += end - start;
      if (request.on_progress && Clock::now() - last_report >= kProgressInterval) {
        last_report = Clock::now();
        TrainProgress p;
        p.epoch = epoch;
        p.epochs = d.epochs;
        p.batch = b + 1;
        p.batches = batches;
        p.loss = loss_sum.item<double>() / static_cast<double>(seen);
        p.accuracy = static_cast<double>(correct.item<std::int64_t>()) / static_cast<double>(seen);
        p.examples_per_second = static_cast<double>(seen) / std::max(1e-9, Seconds(last_report - epoch_start));
        request.on_progress(p);
      }
    }

    EpochMetrics m;
    m.epoch = epoch;
    m.learning_rate = lr;
    m.train_loss = loss_sum.item<double>() / static_cast<double>(examples);
    m.train_accuracy = static_cast<double>(correct.item<std::int64_t>()) / static_cast<double>(examples);
    m.symbolic_ms_per_step = through_rules ? 1000 * symbolic_seconds / static_cast<double>(batches) : 0;
    if (validation) {
      const Evaluation v = through_rules ? EvaluateGoals(*network, *validation, *validation_goal_objective)
                                         : Evaluate(*network, *validation);
      m.validation_loss = v.loss;
      m.validation_accuracy = v.accuracy;
      if (!best || v.loss < best_loss || std::isnan(best_loss)) {
        best = Snapshot(*network);
        best_loss = v.loss;
        result.best_epoch = epoch;
        epochs_without_improvement = 0;
      } else {
        ++epochs_without_improvement;
      }
    }
    m.seconds = Seconds(Clock::now() - epoch_start);
    result.epochs.push_back(m);
    if (request.on_progress) {
      TrainProgress p;
      p.epoch = epoch;
      p.epochs = d.epochs;
      p.batch = p.batches = batches;
      p.loss = m.train_loss;
      p.accuracy = m.train_accuracy;
      p.examples_per_second = static_cast<double>(examples) / std::max(1e-9, m.seconds);
      p.epoch_done = true;
      p.metrics = m;
      request.on_progress(p);
      last_report = Clock::now();
    }
    if (validation && d.patience > 0 && epochs_without_improvement >= d.patience && epoch < d.epochs) {
      result.stopped_early = true;
      break;
    }
  }

  if (best) {
    Restore(*network, *best);
  } else {
    result.best_epoch = static_cast<std::int64_t>(result.epochs.size());
  }
  result.weights = SaveWeights(d, *network);
  return result;
}

}  // namespace syllo::learners

#include "learners/trainer.h"

#include <chrono>
#include <cstdio>
#include <ostream>

#include <nlohmann/json.hpp>

#include "engine/neural_backend_loader.h"
#include "kb/decision_log.h"
#include "kb/model_registry.h"
#include "learners/model_design.h"
#include "learners/training_curves.h"

namespace syllo::learners {
namespace {

using Clock = std::chrono::steady_clock;

std::string Ref(const std::string& name, std::int64_t version) { return name + "@" + std::to_string(version); }

std::string Duration(double seconds) {
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.0fs", seconds);
  } else {
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(seconds / 60), static_cast<int>(seconds) % 60);
  }
  return buf;
}

// A progress bar redrawn in place on a terminal; a line per epoch otherwise.
class ProgressPrinter {
 public:
  ProgressPrinter(std::ostream& out, bool terminal) : out_(out), terminal_(terminal), start_(Clock::now()) {}

  void operator()(const engine::TrainProgress& p) {
    if (p.epoch_done) {
      const engine::EpochMetrics& m = p.metrics;
      char line[256];
      std::snprintf(line, sizeof line,
                    "epoch %lld/%lld  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  %.1fs  lr %.2g",
                    static_cast<long long>(m.epoch), static_cast<long long>(p.epochs), m.train_loss,
                    m.train_accuracy, m.validation_loss, m.validation_accuracy, m.seconds, m.learning_rate);
      out_ << (terminal_ ? "\r\033[K" : "") << line;
      if (m.symbolic_ms_per_step > 0) {
        std::snprintf(line, sizeof line, "  proofs %.3f ms/step", m.symbolic_ms_per_step);
        out_ << line;
      }
      out_ << "\n" << std::flush;
      return;
    }
    if (!terminal_ || p.batches == 0) return;
    const double done = (static_cast<double>(p.epoch - 1) + static_cast<double>(p.batch) / p.batches) / p.epochs;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const double eta = done > 0 ? elapsed * (1 - done) / done : 0;
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(kWidth * static_cast<double>(p.batch) / p.batches);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    char line[256];
    std::snprintf(line, sizeof line, "epoch %lld/%lld [%s] %lld/%lld  loss %.4f  acc %.4f  %.0f ex/s  ETA %s",
                  static_cast<long long>(p.epoch), static_cast<long long>(p.epochs), bar.c_str(),
                  static_cast<long long>(p.batch), static_cast<long long>(p.batches), p.loss, p.accuracy,
                  p.examples_per_second, Duration(eta).c_str());
    out_ << "\r\033[K" << line << std::flush;
  }

 private:
  std::ostream& out_;
  bool terminal_;
  Clock::time_point start_;
};

nlohmann::json EpochsJson(const std::vector<engine::EpochMetrics>& epochs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : epochs) {
    out.push_back({{"epoch", m.epoch},
                   {"train_loss", m.train_loss},
                   {"train_accuracy", m.train_accuracy},
                   {"validation_loss", m.validation_loss},
                   {"validation_accuracy", m.validation_accuracy},
                   {"seconds", m.seconds},
                   {"learning_rate", m.learning_rate},
                   {"symbolic_ms_per_step", m.symbolic_ms_per_step}});
  }
  return out;
}

nlohmann::json QuantizationJson(const QuantizationReport& q) {
  return {{"float_accuracy", q.float_accuracy},       {"int8_accuracy", q.quantized_accuracy},
          {"accuracy_change", q.quantized_accuracy - q.float_accuracy},
          {"float_seconds", q.float_seconds},         {"int8_seconds", q.quantized_seconds},
          {"speedup", q.speedup()},                   {"measured_at", kb::IsoTimeNow()}};
}

Result<QuantizationReport> Measure(engine::NeuralBackend& backend, const engine::ModelDesign& design,
                                   const std::string& weights, const engine::TensorBatch& test) {
  if (test.size() == 0) return Status::InvalidArgument("measuring int8 inference needs test data");
  QuantizationReport q;
  for (bool quantized : {false, true}) {
    auto model = backend.Load(design, weights, quantized);
    if (!model.ok()) return model.status();
    if (quantized && !(*model)->quantized()) {
      return Status::Internal("the learners module did not quantise model " + design.name);
    }
    // One warm-up pass, then the measured one.
    if (auto warm = Accuracy(**model, test); !warm.ok()) return warm.status();
    const auto start = Clock::now();
    auto acc = Accuracy(**model, test);
    if (!acc.ok()) return acc.status();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    (quantized ? q.quantized_accuracy : q.float_accuracy) = *acc;
    (quantized ? q.quantized_seconds : q.float_seconds) = seconds;
  }
  return q;
}

std::string FormatMs(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ms < 10 ? "%.2f" : "%.0f", ms);
  return buf;
}

}  // namespace

Result<std::vector<float>> PredictAll(engine::LoadedModel& model, const engine::TensorBatch& data, std::int64_t batch) {
  const std::int64_t n = data.size();
  const std::int64_t size = data.example_size();
  std::vector<float> out, chunk;
  out.reserve(static_cast<std::size_t>(n * model.design().classes));
  for (std::int64_t start = 0; start < n; start += batch) {
    const std::int64_t count = std::min(batch, n - start);
    std::span<const float> features(data.features.data() + start * size, static_cast<std::size_t>(count * size));
    if (Status st = model.Predict(features, count, &chunk); !st.ok()) return st;
    out.insert(out.end(), chunk.begin(), chunk.end());
  }
  return out;
}

Result<double> Accuracy(engine::LoadedModel& model, const engine::TensorBatch& data, std::int64_t batch) {
  const std::int64_t n = data.size();
  if (n == 0) return 0.0;
  const std::int64_t size = data.example_size();
  const std::int64_t classes = model.design().classes;
  std::int64_t correct = 0;
  std::vector<float> probabilities;
  for (std::int64_t start = 0; start < n; start += batch) {
    const std::int64_t count = std::min(batch, n - start);
    std::span<const float> features(data.features.data() + start * size, static_cast<std::size_t>(count * size));
    if (Status st = model.Predict(features, count, &probabilities); !st.ok()) return st;
    for (std::int64_t i = 0; i < count; ++i) {
      const float* p = probabilities.data() + i * classes;
      const std::int64_t best = std::max_element(p, p + classes) - p;
      correct += best == data.labels[static_cast<std::size_t>(start + i)];
    }
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

Result<TrainOutcome> TrainAndRegister(kb::KnowledgeBase& kb, const TrainPlan& plan, std::ostream& progress,
                                      bool terminal) {
  if (plan.quantize && plan.through) {
    return Status::InvalidArgument("--quantize measures accuracy on labelled examples: quantise a model trained "
                                   "through rules afterwards with `syllo models quantize` on labelled data");
  }
  engine::ModelDesign design = plan.design;
  std::vector<std::string> labels = plan.labels;
  Normalization normalization;
  std::optional<std::string> initial_weights;
  std::optional<std::int64_t> parent;

  if (plan.fine_tune_from) {
    // Continue from a stored version: its architecture, labels and
    // normalisation; the plan's training hyperparameters.
    auto record = kb::GetModel(kb, design.name, *plan.fine_tune_from);
    if (!record.ok()) return record.status();
    auto stored = DesignFromJson(record->design);
    if (!stored.ok()) return Status::Corruption("model " + Ref(design.name, record->version) + ": " +
                                                stored.status().message());
    engine::ModelDesign tuned = *stored;
    tuned.epochs = design.epochs;
    tuned.lr = design.lr;
    tuned.batch = design.batch;
    tuned.optimizer = design.optimizer;
    tuned.schedule = design.schedule;
    tuned.weight_decay = design.weight_decay;
    tuned.patience = design.patience;
    tuned.seed = design.seed;
    design = tuned;
    labels = nlohmann::json::parse(record->labels).get<std::vector<std::string>>();
    auto norm = NormalizationFromJson(record->normalization);
    if (!norm.ok()) return norm.status();
    normalization = *norm;
    initial_weights = std::move(record->weights);
    parent = record->version;
  }

  auto backend = engine::LoadNeuralBackend();
  if (!backend.ok()) return backend.status();
  if (plan.threads > 0) (*backend)->SetThreads(plan.threads);
  if (Status st = (*backend)->CheckDesign(design); !st.ok()) {
    return Status(st.code(), "model " + design.name + ": " + st.message());
  }

  // Plain examples, or the inputs of labelled goals; either way normalised
  // with the training data's statistics (or the parent's).
  DatasetSplits splits;
  std::optional<GoalSplits> goals;
  DataOptions data_options = plan.data_options;
  if (plan.through) {
    GoalDataPlan goal_plan = *plan.through;
    goal_plan.model = design.name;
    goal_plan.labels = labels;
    goal_plan.example_shape = design.input;
    auto loaded = LoadGoals(kb, goal_plan);
    if (!loaded.ok()) return loaded.status();
    goals = std::move(*loaded);
    splits.train.examples = std::move(goals->train.inputs);
    splits.validation.examples = std::move(goals->validation.inputs);
    splits.test.examples = std::move(goals->test.inputs);
    splits.train.description = goals->description;
  } else {
    data_options.labels = labels;
    auto loaded = LoadDataset(plan.data, data_options, &kb);
    if (!loaded.ok()) return loaded.status();
    splits = std::move(*loaded);
    if (splits.train.size() == 0) return Status::InvalidArgument(plan.data + ": no training examples");
    std::int64_t design_size = 1;
    for (std::int64_t d : design.input) design_size *= d;
    if (splits.train.examples.example_size() != design_size) {
      std::string shape;
      for (std::int64_t d : splits.train.examples.example_shape) {
        shape += (shape.empty() ? "" : "x") + std::to_string(d);
      }
      return Status::InvalidArgument(plan.data + ": examples of shape " + shape + " (" +
                                     std::to_string(splits.train.examples.example_size()) +
                                     " values) do not fit model " + design.name + " (" + DescribeDesign(design) + ")");
    }
  }
  // Shapes agree in element count; the model's own layout wins.
  for (Dataset* d : {&splits.train, &splits.validation, &splits.test}) d->examples.example_shape = design.input;
  if (normalization.empty()) normalization = ComputeNormalization(splits.train.examples);
  for (Dataset* d : {&splits.train, &splits.validation, &splits.test}) {
    normalization.Apply(d->examples.features, d->examples.example_size());
  }
  if (goals) {
    progress << "proofs: " << goals->shapes << (goals->shapes == 1 ? " shape, " : " shapes, ") << goals->terms
             << " proofs, grounded in " << FormatMs(1000 * goals->grounding_seconds) << " ms\n";
  }

  progress << "training " << design.name << (parent ? " (fine-tuning version " + std::to_string(*parent) + ")" : "")
           << ": " << DescribeDesign(design) << "\n"
           << "data: " << splits.train.description << "\n"
           << "backend: " << (*backend)->Describe() << "\n"
           << std::flush;

  engine::TrainRequest request;
  request.design = design;
  request.train = &splits.train.examples;
  request.validation = splits.validation.size() > 0 ? &splits.validation.examples : nullptr;
  if (goals) {
    request.train_goals = &goals->train.goals;
    request.validation_goals = request.validation != nullptr ? &goals->validation.goals : nullptr;
    request.top_proofs = plan.top_proofs;
  }
  request.initial_weights = initial_weights;
  request.freeze_layers = plan.freeze_layers;
  ProgressPrinter printer(progress, terminal);
  request.on_progress = [&](const engine::TrainProgress& p) { printer(p); };
  request.cancel = plan.cancel;
  auto trained = (*backend)->Train(request);
  if (terminal) progress << "\r\033[K" << std::flush;
  if (!trained.ok()) return trained.status();

  TrainOutcome outcome;
  outcome.result = std::move(*trained);
  double total_seconds = 0;
  for (const auto& m : outcome.result.epochs) total_seconds += m.seconds;
  outcome.seconds_per_epoch = outcome.result.epochs.empty() ? 0 : total_seconds / outcome.result.epochs.size();

  auto model = (*backend)->Load(design, outcome.result.weights, false);
  if (!model.ok()) return model.status();
  if (goals) {
    // The exact probability of each outcome from the model's answers.
    outcome.test_examples = goals->test.goals.size();
    if (outcome.test_examples > 0) {
      auto probabilities = PredictAll(**model, splits.test.examples);
      if (!probabilities.ok()) return probabilities.status();
      outcome.test_accuracy = GoalAccuracy(goals->test.goals, *probabilities, design.classes);
    }
    GoalReport report;
    report.shapes = goals->shapes;
    report.terms = goals->terms;
    report.groundings = goals->groundings;
    report.grounding_seconds = goals->grounding_seconds;
    for (const auto& m : outcome.result.epochs) report.symbolic_ms_per_step += m.symbolic_ms_per_step;
    if (!outcome.result.epochs.empty()) report.symbolic_ms_per_step /= static_cast<double>(outcome.result.epochs.size());
    outcome.goals = report;
  } else {
    outcome.test_examples = splits.test.size();
    if (outcome.test_examples > 0) {
      auto acc = Accuracy(**model, splits.test.examples);
      if (!acc.ok()) return acc.status();
      outcome.test_accuracy = *acc;
    }
  }
  if (plan.quantize) {
    auto q = Measure(**backend, design, outcome.result.weights, splits.test.examples);
    if (!q.ok()) return q.status();
    outcome.quantization = *q;
  }

  kb::ModelRecord record;
  record.name = design.name;
  record.architecture = design.architecture;
  record.design = DesignToJson(design);
  record.labels = nlohmann::json(labels).dump();
  record.normalization = NormalizationToJson(normalization);
  if (goals) {
    const GoalDataPlan& g = *plan.through;
    record.dataset = nlohmann::json{{"source", g.data},
                                    {"through", g.goal},
                                    {"label_column", g.label_column},
                                    {"test_source", g.test_data},
                                    {"description", goals->description},
                                    {"train_goals", goals->train.goals.size()},
                                    {"validation_goals", goals->validation.goals.size()},
                                    {"test_goals", goals->test.goals.size()},
                                    {"proof_shapes", goals->shapes},
                                    {"proofs", goals->terms},
                                    {"top_proofs", plan.top_proofs},
                                    {"seed", g.seed}}
                         .dump();
  } else {
    record.dataset = nlohmann::json{{"source", plan.data},
                                    {"train", splits.train.description},
                                    {"validation", splits.validation.description},
                                    {"test", splits.test.description},
                                    {"train_examples", splits.train.size()},
                                    {"validation_examples", splits.validation.size()},
                                    {"test_examples", splits.test.size()},
                                    {"seed", data_options.seed}}
                         .dump();
  }
  record.metrics = nlohmann::json{{"test_accuracy", outcome.test_accuracy},
                                  {"test_examples", outcome.test_examples},
                                  {"best_epoch", outcome.result.best_epoch},
                                  {"stopped_early", outcome.result.stopped_early},
                                  {"seconds_per_epoch", outcome.seconds_per_epoch},
                                  {"parameters", outcome.result.parameters},
                                  {"freeze_layers", plan.freeze_layers},
                                  {"backend", (*backend)->Describe()},
                                  {"epochs", EpochsJson(outcome.result.epochs)}}
                       .dump();
  if (outcome.goals) {
    auto metrics = nlohmann::json::parse(record.metrics);
    metrics["trained_through"] = plan.through->goal;
    metrics["test_accuracy_of"] = "goals";
    metrics["grounding_seconds"] = outcome.goals->grounding_seconds;
    metrics["groundings"] = outcome.goals->groundings;
    metrics["symbolic_ms_per_step"] = outcome.goals->symbolic_ms_per_step;
    record.metrics = metrics.dump();
  }
  record.parent_version = parent;
  record.weights = outcome.result.weights;
  if (outcome.quantization) {
    record.quantized = true;
    record.quantization = QuantizationJson(*outcome.quantization).dump();
  }
  auto version = kb::AddModelVersion(kb, std::move(record));
  if (!version.ok()) return version.status();
  outcome.version = *version;

  if (!plan.curves.empty()) {
    if (Status st = WriteCurves(plan.curves, outcome.result.epochs, Ref(design.name, outcome.version));
        !st.ok()) {
      return Status(st.code(), "model " + Ref(design.name, outcome.version) +
                                   " is stored, but its curves could not be written: " + st.message());
    }
  }
  return outcome;
}

Result<QuantizationReport> MeasureQuantization(kb::KnowledgeBase& kb, const std::string& name, std::int64_t version,
                                               const engine::TensorBatch& test, bool serve) {
  auto record = kb::GetModel(kb, name, version);
  if (!record.ok()) return record.status();
  auto design = DesignFromJson(record->design);
  if (!design.ok()) return design.status();
  auto backend = engine::LoadNeuralBackend();
  if (!backend.ok()) return backend.status();
  auto q = Measure(**backend, *design, record->weights, test);
  if (!q.ok()) return q.status();
  if (Status st = kb::SetQuantization(kb, name, record->version, serve, QuantizationJson(*q).dump()); !st.ok()) {
    return st;
  }
  return q;
}

}  // namespace syllo::learners

// Training a model version end to end, as `syllo train` does it: load and
// split the data, normalise it (fine-tuning reuses the parent's normalisation),
// train through the learners module with progress, evaluate on the test split,
// optionally measure int8 inference, and store the new version in the
// registry in one transaction. Nothing is stored unless all of that succeeded,
// so a failed or interrupted training never replaces the latest good version.
#pragma once

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "engine/neural_backend.h"
#include "kb/knowledge_base.h"
#include "learners/dataset.h"
#include "learners/goal_data.h"

namespace syllo::learners {

struct TrainPlan {
  engine::ModelDesign design;        // from the program or a JSON design
  std::vector<std::string> labels;   // output order
  std::string data;                  // idx:..., csv:..., kb:...
  DataOptions data_options;
  std::optional<std::int64_t> fine_tune_from;  // a stored version of design.name to continue from
  std::int64_t freeze_layers = 0;
  std::string curves;                // path stem for FILE.csv and FILE.svg; empty: none
  bool quantize = false;             // measure int8 inference and serve it
  int threads = 0;
  const std::atomic<bool>* cancel = nullptr;
  // Training through rules: the examples are labelled goals of the packs'
  // rules (`data` and `data_options` are then unused; design and labels are
  // filled in by TrainAndRegister).
  std::optional<GoalDataPlan> through;
  std::int64_t top_proofs = 0;  // 0: every proof (exact); K: the K most probable per goal
};

// What training through rules did besides training.
struct GoalReport {
  std::int64_t shapes = 0, terms = 0, groundings = 0;
  double grounding_seconds = 0;
  double symbolic_ms_per_step = 0;  // mean over the epochs
};

struct QuantizationReport {
  double float_accuracy = 0, quantized_accuracy = 0;
  double float_seconds = 0, quantized_seconds = 0;  // inference over the test split
  double speedup() const { return quantized_seconds > 0 ? float_seconds / quantized_seconds : 0; }
};

struct TrainOutcome {
  std::int64_t version = 0;
  double test_accuracy = 0;
  std::int64_t test_examples = 0;
  engine::TrainResult result;
  std::optional<QuantizationReport> quantization;
  double seconds_per_epoch = 0;
  std::optional<GoalReport> goals;  // through rules
};

// Progress goes to `progress`: a redrawn bar when `terminal`, a line per epoch otherwise.
Result<TrainOutcome> TrainAndRegister(kb::KnowledgeBase& kb, const TrainPlan& plan, std::ostream& progress,
                                      bool terminal);

// The class probabilities of every example of `data` (already normalised),
// count x classes, in batches.
Result<std::vector<float>> PredictAll(engine::LoadedModel& model, const engine::TensorBatch& data,
                                      std::int64_t batch = 1024);

// Accuracy of `model` on `data` (already normalised), in batches.
Result<double> Accuracy(engine::LoadedModel& model, const engine::TensorBatch& data, std::int64_t batch = 1024);

// Measures float and int8 inference of a stored version on `test` (already
// normalised) and records it in the registry; `serve` turns int8 serving on.
Result<QuantizationReport> MeasureQuantization(kb::KnowledgeBase& kb, const std::string& name, std::int64_t version,
                                               const engine::TensorBatch& test, bool serve);

}  // namespace syllo::learners

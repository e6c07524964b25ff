// NeuralBackend: what the engine needs from a machine-learning library, and
// nothing of it. The learners module (learners/module/, LibTorch) implements it
// and is loaded with dlopen on first use (engine/neural_backend_loader.h), so a
// program without models never maps LibTorch: linking it costs ~0.6 s and
// ~160 MiB before main.
//
// Everything crossing this interface is plain data: float arrays, shapes,
// label indices, weights as an opaque byte string. The module and the host are
// built together by the same compiler, so C++ types may cross (the ABI version
// below still guards against a stale module).
//
// Thread safety: Train and Load may run on any thread, one call at a time per
// backend; a LoadedModel's Predict may be called from several threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "syllo/status.h"

namespace syllo::engine {

// Bumped whenever anything in this header changes layout or meaning.
inline constexpr int kNeuralBackendAbi = 3;

// A model's design: the architecture and its hyperparameters, as a `model`
// declaration (or its JSON form) gives them, with the defaults filled in.
struct ModelDesign {
  std::string name;
  std::string architecture = "mlp";            // mlp, cnn, gru, lstm
  std::vector<std::int64_t> input;             // one example's shape: {n} (mlp), {c, h, w} (cnn), {steps, n} (rnn)
  std::int64_t classes = 0;                    // the number of output labels
  std::vector<std::int64_t> hidden = {128};    // fully connected widths (rnn: the hidden size, its first entry)
  std::vector<std::int64_t> channels = {32, 64};  // cnn: one conv block (conv, activation, 2x2 max pool) each
  std::vector<std::int64_t> kernel = {3};      // cnn: kernel size per block (one value: all blocks)
  std::int64_t layers = 1;                     // rnn: stacked recurrent layers
  double dropout = 0.0;
  std::string activation = "relu";             // relu, tanh, sigmoid, gelu
  std::string optimizer = "adam";              // sgd, adam, adamw
  double lr = 0.001;
  std::string schedule = "constant";           // constant, step (x0.1 every third of the epochs), cosine
  std::int64_t batch = 64;
  std::int64_t epochs = 5;
  double weight_decay = 0.0;
  double momentum = 0.9;                       // sgd only
  std::int64_t patience = 0;                   // early stopping: epochs without a better validation loss (0: off)
  std::int64_t seed = 42;
};

// Examples as a flat array: features[i * example_size() + j], labels[i] an
// index into the label names (which the host keeps).
struct TensorBatch {
  std::vector<std::int64_t> example_shape;
  std::vector<float> features;
  std::vector<std::int64_t> labels;  // empty when unlabelled (prediction)

  std::int64_t example_size() const {
    std::int64_t n = 1;
    for (std::int64_t d : example_shape) n *= d;
    return n;
  }
  std::int64_t size() const {
    const std::int64_t n = example_size();
    return n == 0 ? 0 : static_cast<std::int64_t>(features.size()) / n;
  }
};

struct EpochMetrics {
  std::int64_t epoch = 0;  // from 1
  double train_loss = 0, train_accuracy = 0;
  double validation_loss = 0, validation_accuracy = 0;  // 0 without validation data
  double seconds = 0;
  double learning_rate = 0;
  // Training through rules: the mean time per step spent on the symbolic part
  // (gathering the batch's proofs and computing the goals' probabilities from
  // the model's outputs), forward pass of the networks excluded.
  double symbolic_ms_per_step = 0;
};

// Training through rules (DeepProbLog-style): an example is a labelled goal
// whose truth the rules derive from the model's labels on some inputs. The
// host grounds each goal's proofs once; they only depend on the goal's shape
// (which arguments are inputs, which are constants), so goals share shapes.
//
// A shape has `slots` model inputs and `outcomes` possible values of the
// goal's conclusion. Its proofs are terms: a term is a conjunction of
// literals "slot s has label l" and belongs to one outcome; the terms of one
// outcome are mutually exclusive (the host makes them so), so the outcome's
// probability is the sum over its terms of the product of their literals'
// probabilities. Literals are stored flat: term t has literals
// [term_begin[t], term_begin[t + 1]).
struct ProofShape {
  std::int64_t slots = 0;
  std::int64_t outcomes = 0;
  std::vector<std::int32_t> term_outcome;  // per term
  std::vector<std::int32_t> term_begin;    // terms + 1 entries
  std::vector<std::int32_t> literal_slot, literal_label;

  std::int64_t terms() const { return static_cast<std::int64_t>(term_outcome.size()); }
};

// Labelled goals over a TensorBatch of inputs: goal g's slots are the inputs
// first_input[g] .. first_input[g] + slots of its shape.
struct GoalSet {
  std::vector<ProofShape> shapes;
  std::vector<std::int32_t> shape;        // per goal
  std::vector<std::int64_t> first_input;  // per goal
  std::vector<std::int32_t> outcome;      // per goal: the labelled outcome

  std::int64_t size() const { return static_cast<std::int64_t>(shape.size()); }
};

// Reported during training, at most a few times a second by the module.
struct TrainProgress {
  std::int64_t epoch = 0, epochs = 0;
  std::int64_t batch = 0, batches = 0;
  double loss = 0, accuracy = 0;       // running, this epoch
  double examples_per_second = 0;
  bool epoch_done = false;             // `metrics` is the finished epoch
  EpochMetrics metrics;
};

struct TrainRequest {
  ModelDesign design;
  const TensorBatch* train = nullptr;
  const TensorBatch* validation = nullptr;   // may be null: no validation, no early stopping
  std::optional<std::string> initial_weights;  // fine-tuning: continue from these
  std::int64_t freeze_layers = 0;            // fine-tuning: the first N layers keep their weights
  std::function<void(const TrainProgress&)> on_progress;
  const std::atomic<bool>* cancel = nullptr;  // set: stop at the next batch with Cancelled
  // Training through rules: when set, `train` (and `validation`) hold the
  // goals' inputs, unlabelled, and the loss is -log P(labelled outcome) of
  // each goal. A batch is `design.batch` goals, one forward pass for all
  // their inputs. `top_proofs` > 0 keeps only that many most probable terms
  // of the labelled outcome (Scallop's top-k); 0 keeps them all (exact).
  const GoalSet* train_goals = nullptr;
  const GoalSet* validation_goals = nullptr;
  std::int64_t top_proofs = 0;
};

struct TrainResult {
  std::string weights;               // the best epoch's (by validation loss, else the last)
  std::vector<EpochMetrics> epochs;
  std::int64_t best_epoch = 0;
  bool stopped_early = false;
  std::int64_t parameters = 0;       // trainable parameter count
};

// A model ready for inference (under torch::InferenceMode).
class LoadedModel {
 public:
  virtual ~LoadedModel() = default;
  // Class probabilities (softmax) for `count` examples laid out as
  // `features` (count x example size): out has count x classes values.
  virtual Status Predict(std::span<const float> features, std::int64_t count, std::vector<float>* out) = 0;
  virtual const ModelDesign& design() const = 0;
  virtual bool quantized() const = 0;
};

class NeuralBackend {
 public:
  virtual ~NeuralBackend() = default;
  // "LibTorch 1.13.1, 2 threads, BLAS ..." for `syllo models` and the benches.
  virtual std::string Describe() const = 0;
  // Intra-op threads (0: the library's default).
  virtual void SetThreads(int threads) = 0;
  // Runs body(b, e) over [begin, end) split into ranges of at least `grain`,
  // on the backend's intra-op threads (the caller's thread among them), and
  // returns when all are done. The threads are the ones a forward pass just
  // used, so work between two passes (gathering the next inputs) need not
  // wait for them to fall asleep, nor compete with them. `body` must not
  // throw.
  virtual void ParallelFor(std::int64_t begin, std::int64_t end, std::int64_t grain,
                           const std::function<void(std::int64_t, std::int64_t)>& body) = 0;
  // Checks the design (shapes, sizes) without training: a bad one is InvalidArgument.
  virtual Status CheckDesign(const ModelDesign& design) const = 0;
  virtual Result<TrainResult> Train(const TrainRequest& request) = 0;
  // `quantized`: dynamic int8 quantisation of the linear layers at load time.
  // Corrupt weights, or weights of another design, are Corruption errors.
  virtual Result<std::unique_ptr<LoadedModel>> Load(const ModelDesign& design, std::string_view weights,
                                                    bool quantized) = 0;
};

}  // namespace syllo::engine

// The module's one exported symbol. Returns null (and sets *error) when `abi`
// is not the module's kNeuralBackendAbi.
extern "C" {
using SylloCreateNeuralBackendFn = syllo::engine::NeuralBackend* (*)(int abi, const char** error);
}
inline constexpr const char* kSylloCreateNeuralBackendSymbol = "syllo_create_neural_backend";

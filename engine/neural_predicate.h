// NeuralPredicates: how the solver gets the facts of a `neural` relation. The
// learners module implements it with trained models; tests use a double. The
// solver applies the declaration's `top K` and `threshold` to what it returns.
//
// Thread safety: implementations decide; the solver calls from one thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/program.h"
#include "engine/value.h"
#include "syllo/status.h"

namespace syllo::engine {

struct Prediction {
  Value label;             // one of the declaration's labels
  double probability = 0;  // becomes the fact's certainty
};

struct PredictionSet {
  std::string model;         // the model that answered
  std::int64_t version = 0;  // and its version (resolved when the declaration says none)
  std::vector<Prediction> predictions;
};

class NeuralPredicates {
 public:
  virtual ~NeuralPredicates() = default;
  // Scores `inputs` (the relation's input columns, all bound) with the model the
  // declaration names. An unknown model or version, or bad inputs, is an error.
  virtual Result<PredictionSet> Predict(const NeuralSpec& spec, std::span<const Value> inputs) = 0;
  // Scores many inputs at once (one forward pass where the implementation can):
  // the forward engine gathers every pending input of a cycle into one call.
  // The backward solver may add inputs it will ask for later, so an
  // implementation should keep its answers (ModelPredicates caches them).
  // The result has one PredictionSet per input, in order.
  virtual Result<std::vector<PredictionSet>> PredictBatch(const NeuralSpec& spec,
                                                          std::span<const std::vector<Value>> inputs) {
    std::vector<PredictionSet> out;
    out.reserve(inputs.size());
    for (const std::vector<Value>& in : inputs) {
      auto p = Predict(spec, in);
      if (!p.ok()) return p.status();
      out.push_back(std::move(*p));
    }
    return out;
  }
};

// What a neural declaration keeps of a model's answer, most probable first:
// its `top K`, then its `threshold`.
std::vector<Prediction> KeptPredictions(const NeuralSpec& spec, std::vector<Prediction> predictions);

}  // namespace syllo::engine

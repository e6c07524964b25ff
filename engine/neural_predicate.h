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

// The inputs of a batch: `size()` rows of the relation's input columns, one
// after another in one array (a batch of 10,000 photos is one array, not
// 10,000 vectors).
class InputRows {
 public:
  InputRows() = default;
  // `values` holds `count` rows of equal width.
  InputRows(std::span<const Value> values, std::size_t count)
      : values_(values), count_(count), width_(count == 0 ? 0 : values.size() / count) {}
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  std::size_t width() const { return width_; }
  std::span<const Value> operator[](std::size_t i) const { return values_.subspan(i * width_, width_); }
  std::span<const Value> values() const { return values_; }

 private:
  std::span<const Value> values_;
  std::size_t count_ = 0;
  std::size_t width_ = 0;
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
  // The result has one PredictionSet per input, in order. An implementation
  // may leave out what the declaration's `top K` and `threshold` drop.
  virtual Result<std::vector<PredictionSet>> PredictBatch(const NeuralSpec& spec, InputRows inputs) {
    std::vector<PredictionSet> out;
    out.reserve(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      auto p = Predict(spec, inputs[i]);
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

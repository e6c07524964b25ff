#include "engine/neural_predicate.h"

#include <algorithm>

namespace syllo::engine {

std::vector<Prediction> KeptPredictions(const NeuralSpec& spec, std::vector<Prediction> predictions) {
  // Most probable first; ties keep the model's label order. A set of a few
  // dozen labels is insertion-sorted in place: std::stable_sort allocates a
  // buffer, once per input of every batch.
  const auto more_probable = [](const Prediction& a, const Prediction& b) { return a.probability > b.probability; };
  if (predictions.size() <= 32) {
    for (std::size_t i = 1; i < predictions.size(); ++i) {
      Prediction p = std::move(predictions[i]);
      std::size_t j = i;
      for (; j > 0 && more_probable(p, predictions[j - 1]); --j) predictions[j] = std::move(predictions[j - 1]);
      predictions[j] = std::move(p);
    }
  } else {
    std::stable_sort(predictions.begin(), predictions.end(), more_probable);
  }
  if (spec.top_k && predictions.size() > static_cast<std::size_t>(*spec.top_k)) {
    predictions.resize(static_cast<std::size_t>(*spec.top_k));
  }
  if (spec.threshold) {
    std::erase_if(predictions, [&](const Prediction& p) { return p.probability < *spec.threshold; });
  }
  return predictions;
}

}  // namespace syllo::engine

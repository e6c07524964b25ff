#include "engine/neural_predicate.h"

#include <algorithm>

namespace syllo::engine {

std::vector<Prediction> KeptPredictions(const NeuralSpec& spec, std::vector<Prediction> predictions) {
  std::stable_sort(predictions.begin(), predictions.end(),
                   [](const Prediction& a, const Prediction& b) { return a.probability > b.probability; });
  if (spec.top_k && predictions.size() > static_cast<std::size_t>(*spec.top_k)) {
    predictions.resize(static_cast<std::size_t>(*spec.top_k));
  }
  if (spec.threshold) {
    std::erase_if(predictions, [&](const Prediction& p) { return p.probability < *spec.threshold; });
  }
  return predictions;
}

}  // namespace syllo::engine

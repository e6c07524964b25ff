// Normalization: the mean and deviation measured on the training split, stored
// with the model as JSON so that prediction applies exactly the same transform.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "learners/dataset.h"

namespace syllo::learners {

namespace {

// Below this a deviation is treated as zero: dividing by it would blow a
// constant feature's rounding noise up into huge values.
constexpr double kMinStddev = 1e-12;

float Deviation(double sum, double sum_squares, double n) {
  const double mean = sum / n;
  const double variance = std::max(0.0, sum_squares / n - mean * mean);
  const double stddev = std::sqrt(variance);
  return stddev < kMinStddev ? 1.0f : static_cast<float>(stddev);
}

}  // namespace

void Normalization::Apply(std::vector<float>& features, std::int64_t example_size) const {
  if (example_size <= 0) return;
  Apply(features.data(), static_cast<std::int64_t>(features.size()) / example_size, example_size);
}

void Normalization::Apply(float* features, std::int64_t count, std::int64_t example_size) const {
  if (empty()) return;
  assert(mean.size() == stddev.size() && "a Normalization has one deviation per mean");
  assert((mean.size() == 1 || static_cast<std::int64_t>(mean.size()) == example_size) &&
         "a per-feature normalisation must be applied to examples of its own width");
  for (std::int64_t e = 0; e < count; ++e) {
    float* x = features + e * example_size;  // in place: each value is read before it is written
    ApplyTo({x, static_cast<std::size_t>(example_size)}, x, 0);
  }
}

void Normalization::ApplyTo(std::span<const float> in, float* out, std::int64_t first_feature) const {
  if (empty()) {
    std::copy(in.begin(), in.end(), out);
  } else if (mean.size() == 1) {
    const float m = mean[0], s = stddev[0];
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = (in[i] - m) / s;
  } else {
    assert(first_feature >= 0 && static_cast<std::size_t>(first_feature) + in.size() <= mean.size() &&
           "a per-feature normalisation must be applied to examples of its own width");
    const float* m = mean.data() + first_feature;
    const float* s = stddev.data() + first_feature;
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = (in[i] - m[i]) / s[i];
  }
}

Normalization ComputeNormalization(const engine::TensorBatch& train) {
  Normalization n;
  const std::int64_t count = train.size();
  const std::int64_t size = train.example_size();
  if (count == 0) return n;
  // Sums in double (and per feature, shifted by the first example's value), so
  // that 60000 images of values near 0.3 do not lose the variance to rounding.
  if (train.example_shape.size() == 1) {
    n.mean.resize(static_cast<std::size_t>(size));
    n.stddev.resize(static_cast<std::size_t>(size));
    for (std::int64_t j = 0; j < size; ++j) {
      const double shift = train.features[static_cast<std::size_t>(j)];
      double sum = 0, sum_squares = 0;
      for (std::int64_t e = 0; e < count; ++e) {
        const double d = train.features[static_cast<std::size_t>(e * size + j)] - shift;
        sum += d;
        sum_squares += d * d;
      }
      n.mean[static_cast<std::size_t>(j)] = static_cast<float>(shift + sum / static_cast<double>(count));
      n.stddev[static_cast<std::size_t>(j)] = Deviation(sum, sum_squares, static_cast<double>(count));
    }
    return n;
  }
  const double shift = train.features[0];
  double sum = 0, sum_squares = 0;
  for (float f : train.features) {
    const double d = f - shift;
    sum += d;
    sum_squares += d * d;
  }
  const double total = static_cast<double>(train.features.size());
  n.mean = {static_cast<float>(shift + sum / total)};
  n.stddev = {Deviation(sum, sum_squares, total)};
  return n;
}

std::string NormalizationToJson(const Normalization& n) {
  nlohmann::json j;
  j["mean"] = n.mean;
  j["stddev"] = n.stddev;
  return j.dump();
}

Result<Normalization> NormalizationFromJson(const std::string& json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Corruption("normalisation: not valid JSON");
  if (!j.is_object()) return Status::Corruption("normalisation: expected an object {\"mean\": [...], \"stddev\": [...]}");
  Normalization n;
  for (const char* key : {"mean", "stddev"}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) {
      return Status::Corruption(std::string("normalisation: \"") + key + "\" must be an array of numbers");
    }
    std::vector<float>& out = std::string(key) == "mean" ? n.mean : n.stddev;
    for (const nlohmann::json& v : *it) {
      if (!v.is_number() || !std::isfinite(v.get<double>())) {
        return Status::Corruption(std::string("normalisation: \"") + key + "\" holds " + v.dump() +
                                  ", not a finite number");
      }
      out.push_back(v.get<float>());
    }
  }
  if (n.mean.size() != n.stddev.size()) {
    return Status::Corruption("normalisation: " + std::to_string(n.mean.size()) + " means but " +
                              std::to_string(n.stddev.size()) + " deviations");
  }
  for (float s : n.stddev) {
    if (!(s > 0.0f)) return Status::Corruption("normalisation: a deviation of " + std::to_string(s) + " (must be > 0)");
  }
  return n;
}

}  // namespace syllo::learners

#include "learners/model_predicates.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>

#include <nlohmann/json.hpp>

#include "engine/neural_backend_loader.h"
#include "engine/symbol_table.h"
#include "engine/tensor_pool.h"
#include "kb/model_registry.h"
#include "learners/model_design.h"

namespace syllo::learners {
namespace {

using engine::Value;
using engine::ValueKind;

std::string Ref(const std::string& name, std::int64_t version) { return name + "@" + std::to_string(version); }

// The index of the first NaN or infinite value, or values.size(). Only for
// the message: a tensor's finiteness is known from the pool, a number's is
// one test.
std::size_t FirstNonFinite(std::span<const float> values) {
  return static_cast<std::size_t>(
      std::find_if(values.begin(), values.end(), [](float v) { return !std::isfinite(v); }) - values.begin());
}

}  // namespace

Result<std::unique_ptr<ServedModel>> LoadServedModel(kb::KnowledgeBase& kb, const std::string& name,
                                                     std::optional<std::int64_t> version,
                                                     std::optional<bool> quantized) {
  auto record = kb::GetModel(kb, name, version);
  if (!record.ok()) return record.status();
  auto design = DesignFromJson(record->design);
  if (!design.ok()) {
    return Status::Corruption("model " + Ref(name, record->version) + ": " + design.status().message());
  }
  auto served = std::make_unique<ServedModel>();
  served->name = name;
  served->version = record->version;
  auto labels = nlohmann::json::parse(record->labels, nullptr, false);
  if (!labels.is_array() || static_cast<std::int64_t>(labels.size()) != design->classes) {
    return Status::Corruption("model " + Ref(name, record->version) + ": its labels do not match its classes");
  }
  for (const auto& l : labels) served->labels.push_back(l.is_string() ? l.get<std::string>() : l.dump());
  auto norm = NormalizationFromJson(record->normalization);
  if (!norm.ok()) return Status::Corruption("model " + Ref(name, record->version) + ": " + norm.status().message());
  served->normalization = std::move(*norm);
  auto backend = engine::LoadNeuralBackend();
  if (!backend.ok()) {
    return Status(backend.status().code(), "model " + Ref(name, record->version) + ": " + backend.status().message());
  }
  auto loaded = (*backend)->Load(*design, record->weights, quantized.value_or(record->quantized));
  if (!loaded.ok()) return loaded.status();
  served->model = std::move(*loaded);
  served->backend = *backend;
  return served;
}

Result<std::shared_ptr<ServedModel>> ModelStore::Get(const std::string& name, std::optional<std::int64_t> version) {
  std::lock_guard lock(mutex_);
  const std::string key = version ? Ref(name, *version) : name;
  if (auto it = models_.find(key); it != models_.end()) return it->second;
  if (kb_ == nullptr) {
    auto opened = kb::KnowledgeBase::Open(kb_path_, kb::OpenMode::kReadOnly);
    if (!opened.ok()) return opened.status();
    kb_ = std::move(opened).value();
  }
  auto record = kb::GetModel(*kb_, name, version, false);
  if (!record.ok()) return record.status();
  const std::string exact = Ref(name, record->version);
  if (auto it = models_.find(exact); it != models_.end()) {
    models_[key] = it->second;
    return it->second;
  }
  auto loaded = LoadServedModel(*kb_, name, record->version);
  if (!loaded.ok()) return loaded.status();
  std::shared_ptr<ServedModel> served = std::move(*loaded);
  models_[exact] = served;
  models_[key] = served;
  return served;
}

Result<ServedModel*> ModelPredicates::Model(const engine::NeuralSpec& spec) {
  const std::string key = spec.version ? Ref(spec.model, *spec.version) : spec.model;
  if (!spec.version) {
    if (auto it = latest_.find(key); it != latest_.end()) return it->second;
  } else if (auto it = models_.find(key); it != models_.end()) {
    return it->second.get();
  }
  if (store_ == nullptr && kb_ == nullptr) {
    return Status::InvalidArgument("the neural predicate '" + spec.name + "' (" + spec.location + ") needs model '" +
                                   spec.model + "', and models live in a knowledge base: give one with --db KB");
  }
  // From the shared store, or loaded here from the KB.
  auto fetch = [&]() -> Result<std::shared_ptr<ServedModel>> {
    if (store_ != nullptr) return store_->Get(spec.model, spec.version);
    auto loaded = LoadServedModel(*kb_, spec.model, spec.version, quantized_);
    if (!loaded.ok()) return loaded.status();
    return std::shared_ptr<ServedModel>(std::move(*loaded));
  };
  auto fetched = fetch();
  if (!fetched.ok()) {
    return Status(fetched.status().code(),
                  "the neural predicate '" + spec.name + "' (" + spec.location + "): " + fetched.status().message());
  }
  const std::string exact = Ref(spec.model, (*fetched)->version);
  auto [it, fresh] = models_.try_emplace(exact, std::move(*fetched));
  if (!spec.version) latest_[key] = it->second.get();
  return it->second.get();
}

Result<engine::PredictionSet> ModelPredicates::Predict(const engine::NeuralSpec& spec,
                                                       std::span<const Value> inputs) {
  auto batch = PredictBatch(spec, engine::InputRows(inputs, 1));
  if (!batch.ok()) return batch.status();
  return std::move((*batch)[0]);
}

Result<std::vector<engine::PredictionSet>> ModelPredicates::PredictBatch(
    const engine::NeuralSpec& spec, engine::InputRows inputs) {
  auto served = Model(spec);
  if (!served.ok()) return served.status();
  ServedModel& m = **served;
  const engine::ModelDesign& design = m.model->design();
  std::int64_t example_size = 1;
  for (std::int64_t d : design.input) example_size *= d;
  const std::string who = "model " + Ref(m.name, m.version) + " for '" + spec.name + "'";

  // The declaration's labels, by the model's output index; `declared` lists
  // the output indices that have one (ascending): the others are dropped.
  std::vector<Value> label_of(m.labels.size());
  std::vector<std::uint32_t> declared;
  for (std::size_t i = 0; i < m.labels.size(); ++i) {
    bool found = false;
    for (const Value& l : spec.labels) {
      // Symbol labels match by name, int labels by their decimal text.
      const bool same = l.kind() == ValueKind::kSymbol ? l.text() == m.labels[i]
                        : l.kind() == ValueKind::kInt  ? std::to_string(l.as_int()) == m.labels[i]
                                                       : false;
      if (same) {
        label_of[i] = l;
        found = true;
      }
    }
    if (found) declared.push_back(static_cast<std::uint32_t>(i));
  }

  // Each input's probabilities, as an offset into cached_probabilities_.
  constexpr std::size_t kUnanswered = static_cast<std::size_t>(-1);
  AnswerCache& cache = cache_.try_emplace({&m, inputs.width()}, inputs.width()).first->second;
  std::vector<std::size_t> results(inputs.size(), kUnanswered);
  std::vector<std::size_t> misses;
  std::vector<std::uint64_t> miss_hashes;  // hashed once: for the lookup, then the insert
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ++stats_.calls;
    const std::uint64_t hash = engine::RowSet::Hash(inputs[i]);
    if (const std::uint32_t n = cache.inputs.Find(inputs[i], hash); n != engine::RowSet::kNotFound) {
      ++stats_.cache_hits;
      results[i] = cache.answer_at[n];
    } else {
      misses.push_back(i);
      miss_hashes.push_back(hash);
    }
  }
  // Room for the answers at once, doubling at least: vector::reserve
  // allocates exactly what it is asked, so batches of a few dozen, one after
  // another, would copy the whole cache every time.
  auto reserve = [](auto& v, std::size_t wanted) {
    if (wanted > v.capacity()) v.reserve(std::max(wanted, v.capacity() * 2));
  };
  cache.inputs.Reserve(cache.inputs.size() + misses.size());
  reserve(cache.answer_at, cache.answer_at.size() + misses.size());
  reserve(cached_probabilities_, cached_probabilities_.size() + misses.size() * m.labels.size());
  // The misses are gathered, checked, normalised and predicted a chunk at a
  // time, so a chunk's features are still in the cache when the forward pass
  // reads them: 10,000 photos gathered at once are 31 MB, faulted in, written,
  // normalised and read back from memory, which cost more than the rule run.
  std::vector<float> features, probabilities;
  std::vector<std::span<const float>> parts;  // the chunk's inputs' columns as values, input after input
  std::vector<std::size_t> parts_of;          // input j's parts start at parts_of[j - begin]
  std::vector<float> numbers;                 // the chunk's number columns' values
  const std::size_t width = inputs.width();
  const std::size_t classes = m.labels.size();
  for (std::size_t begin = 0; begin < misses.size(); begin += kGatherChunk) {
    const std::size_t end = std::min(misses.size(), begin + kGatherChunk);
    // First, on this thread, each input's columns are looked up and checked
    // (no pixel is read: a tensor's finiteness was found when it was interned).
    parts.clear();
    parts_of.clear();
    numbers.assign((end - begin) * width, 0.0f);  // sized before any span points into it
    for (std::size_t j = begin; j < end; ++j) {
      const std::span<const Value> input = inputs[misses[j]];
      parts_of.push_back(parts.size());
      std::int64_t got = 0;
      for (std::size_t c = 0; c < input.size(); ++c) {
        const Value& v = input[c];
        bool finite = true;
        if (v.kind() == ValueKind::kTensor) {
          const engine::TensorPool::View tensor = engine::TensorPool::Global().view(v.as_tensor());
          parts.push_back(tensor.data);
          finite = tensor.all_finite;
        } else if (v.is_number()) {
          float& number = numbers[(j - begin) * width + c];
          number = static_cast<float>(v.as_number());
          parts.push_back({&number, 1});
          finite = std::isfinite(number);
        } else {
          const std::string column = c < spec.input_names.size() ? spec.input_names[c] : std::to_string(c + 1);
          return Status::InvalidArgument(who + ": input '" + column + "' is " + v.ToString() +
                                         ", not a number or a tensor (" + spec.location + ")");
        }
        const std::span<const float> values = parts.back();
        if (const std::size_t k = finite ? values.size() : FirstNonFinite(values); k < values.size()) {
          return Status::InvalidArgument(who + ": input value " + std::to_string(got + static_cast<std::int64_t>(k)) +
                                         " is " + std::to_string(values[k]) + " (NaN or infinite) (" +
                                         spec.location + ")");
        }
        got += static_cast<std::int64_t>(values.size());
      }
      if (got != example_size) {
        std::string shape;
        for (std::int64_t d : design.input) shape += (shape.empty() ? "" : "x") + std::to_string(d);
        return Status::InvalidArgument(who + ": the input has " + std::to_string(got) + " values, the model takes " +
                                       shape + " = " + std::to_string(example_size) + " (" + spec.location + ")");
      }
    }
    parts_of.push_back(parts.size());
    // Then copied into the batch and normalised in one pass, on the threads
    // the forward pass runs on: reading 256 photos from memory is most of the
    // cost outside the model, and one core alone does not saturate memory.
    features.resize((end - begin) * static_cast<std::size_t>(example_size));
    auto gather = [&](std::int64_t first, std::int64_t last) {
      for (auto i = static_cast<std::size_t>(first); i < static_cast<std::size_t>(last); ++i) {
        float* out = features.data() + i * static_cast<std::size_t>(example_size);
        std::int64_t at = 0;
        for (std::size_t k = parts_of[i]; k < parts_of[i + 1]; ++k) {
          m.normalization.ApplyTo(parts[k], out + at, at);
          at += static_cast<std::int64_t>(parts[k].size());
        }
      }
    };
    const auto inputs_here = static_cast<std::int64_t>(end - begin);
    m.backend->ParallelFor(0, inputs_here, kGatherGrain, gather);
    if (Status st = m.model->Predict(features, inputs_here, &probabilities); !st.ok()) {
      return Status(st.code(), who + ": " + st.message());
    }
    for (std::size_t j = begin; j < end; ++j) {
      const auto row = probabilities.begin() + static_cast<std::ptrdiff_t>((j - begin) * classes);
      const std::size_t offset = cached_probabilities_.size();
      cached_probabilities_.insert(cached_probabilities_.end(), row, row + static_cast<std::ptrdiff_t>(classes));
      // An input twice in one batch is answered twice, the same: the later stays.
      const auto [n, added] = cache.inputs.Insert(inputs[misses[j]], miss_hashes[j]);
      if (added) cache.answer_at.push_back(offset);
      cache.answer_at[n] = offset;
      results[misses[j]] = offset;
    }
  }
  if (!misses.empty()) {
    ++stats_.forward_passes;  // one batched call of the model, however many chunks it took
    stats_.examples += misses.size();
  }
  // Only the labels the declaration keeps, so that a batch of 10,000 photos
  // does not make and sort ten predictions each to keep one: the declared
  // labels most probable first (ties in the model's order), the first `top K`,
  // those at or above `threshold`. The engine applies the same rule again.
  std::vector<std::uint32_t> order;
  const std::size_t top = spec.top_k ? static_cast<std::size_t>(std::max<std::int64_t>(1, *spec.top_k)) : classes;
  const std::size_t keep = std::min(top, declared.size());
  std::vector<engine::PredictionSet> out(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    out[i].model = m.name;
    out[i].version = m.version;
    const float* p = cached_probabilities_.data() + results[i];
    auto more_probable = [p](std::uint32_t a, std::uint32_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); };
    if (keep == 1) {
      // `top 1`, the common case: the first most probable, no sort.
      order.assign(1, *std::min_element(declared.begin(), declared.end(), more_probable));
    } else {
      order = declared;
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(), more_probable);
    }
    out[i].predictions.reserve(keep);
    for (std::size_t k = 0; k < keep; ++k) {
      const double probability = p[order[k]];
      if (spec.threshold && probability < *spec.threshold) break;
      out[i].predictions.push_back({label_of[order[k]], probability});
    }
  }
  return out;
}

}  // namespace syllo::learners

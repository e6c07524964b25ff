#include "learners/model_predicates.h"

#include <algorithm>
#include <bit>
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

// The index of the first NaN or infinite value, or values.size(). The scan
// has no branch per value (all exponent bits set marks both), so it
// vectorises: a photo is checked in a few dozen instructions, not 784 tests.
std::size_t FirstNonFinite(std::span<const float> values) {
  std::uint32_t any = 0;
  for (float v : values) any |= static_cast<std::uint32_t>((std::bit_cast<std::uint32_t>(v) & 0x7f800000u) == 0x7f800000u);
  if (any == 0) return values.size();
  std::size_t k = 0;
  while (std::isfinite(values[k])) ++k;
  return k;
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

std::size_t ModelPredicates::CacheHash::operator()(const CacheKey& k) const {
  std::uint64_t h = std::hash<const void*>()(k.model);
  for (const Value& v : k.inputs) h = engine::HashCombine(h, v.Hash());
  return static_cast<std::size_t>(h);
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
  std::vector<std::vector<Value>> one{std::vector<Value>(inputs.begin(), inputs.end())};
  auto batch = PredictBatch(spec, one);
  if (!batch.ok()) return batch.status();
  return std::move((*batch)[0]);
}

Result<std::vector<engine::PredictionSet>> ModelPredicates::PredictBatch(
    const engine::NeuralSpec& spec, std::span<const std::vector<Value>> inputs) {
  auto served = Model(spec);
  if (!served.ok()) return served.status();
  ServedModel& m = **served;
  const engine::ModelDesign& design = m.model->design();
  std::int64_t example_size = 1;
  for (std::int64_t d : design.input) example_size *= d;
  const std::string who = "model " + Ref(m.name, m.version) + " for '" + spec.name + "'";

  // The declaration's labels, by the model's output index (-1: not declared, dropped).
  std::vector<Value> label_of(m.labels.size());
  std::vector<bool> kept(m.labels.size(), false);
  for (std::size_t i = 0; i < m.labels.size(); ++i) {
    for (const Value& l : spec.labels) {
      // Symbol labels match by name, int labels by their decimal text.
      const bool same = l.kind() == ValueKind::kSymbol ? l.text() == m.labels[i]
                        : l.kind() == ValueKind::kInt  ? std::to_string(l.as_int()) == m.labels[i]
                                                       : false;
      if (same) {
        label_of[i] = l;
        kept[i] = true;
      }
    }
  }

  // Each input's probabilities, as an offset into cached_probabilities_.
  constexpr std::size_t kUnanswered = static_cast<std::size_t>(-1);
  std::vector<std::size_t> results(inputs.size(), kUnanswered);
  std::vector<std::size_t> misses;
  std::vector<CacheKey> miss_keys;  // built once: for the lookup, then moved into the cache
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ++stats_.calls;
    CacheKey key{&m, inputs[i]};
    if (auto it = cache_.find(key); it != cache_.end()) {
      ++stats_.cache_hits;
      results[i] = it->second;
    } else {
      misses.push_back(i);
      miss_keys.push_back(std::move(key));
    }
  }
  // Grown once for a large batch. Only when it must grow: reserve() on a table
  // already big enough may rehash it to another size, which one call per fact
  // would pay on the whole cache every time.
  if (const std::size_t wanted = cache_.size() + misses.size();
      static_cast<float>(wanted) > static_cast<float>(cache_.bucket_count()) * cache_.max_load_factor()) {
    cache_.reserve(wanted);
  }
  // The misses are gathered, checked, normalised and predicted a chunk at a
  // time, so a chunk's features are still in the cache when the forward pass
  // reads them: 10,000 photos gathered at once are 31 MB, faulted in, written,
  // normalised and read back from memory, which cost more than the rule run.
  std::vector<float> features, probabilities;
  std::vector<std::span<const float>> parts;  // one input's columns as values
  std::vector<float> numbers;                 // its number columns' values
  const std::size_t classes = m.labels.size();
  for (std::size_t begin = 0; begin < misses.size(); begin += kGatherChunk) {
    const std::size_t end = std::min(misses.size(), begin + kGatherChunk);
    features.resize((end - begin) * static_cast<std::size_t>(example_size));
    for (std::size_t j = begin; j < end; ++j) {
      const std::vector<Value>& input = inputs[misses[j]];
      // First the input's columns are looked up and checked, then copied into
      // the batch and normalised in the same pass.
      parts.clear();
      numbers.assign(input.size(), 0.0f);  // sized before any span points into it
      std::int64_t got = 0;
      for (std::size_t c = 0; c < input.size(); ++c) {
        const Value& v = input[c];
        if (v.kind() == ValueKind::kTensor) {
          parts.push_back(engine::TensorPool::Global().data(v.as_tensor()));
        } else if (v.is_number()) {
          numbers[c] = static_cast<float>(v.as_number());
          parts.push_back({&numbers[c], 1});
        } else {
          const std::string column = c < spec.input_names.size() ? spec.input_names[c] : std::to_string(c + 1);
          return Status::InvalidArgument(who + ": input '" + column + "' is " + v.ToString() +
                                         ", not a number or a tensor (" + spec.location + ")");
        }
        const std::span<const float> values = parts.back();
        if (const std::size_t k = FirstNonFinite(values); k < values.size()) {
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
      float* out = features.data() + (j - begin) * static_cast<std::size_t>(example_size);
      std::int64_t at = 0;
      for (const std::span<const float> values : parts) {
        m.normalization.ApplyTo(values, out + at, at);
        at += static_cast<std::int64_t>(values.size());
      }
    }
    const auto count = static_cast<std::int64_t>(end - begin);
    if (Status st = m.model->Predict(features, count, &probabilities); !st.ok()) {
      return Status(st.code(), who + ": " + st.message());
    }
    for (std::size_t j = begin; j < end; ++j) {
      const auto row = probabilities.begin() + static_cast<std::ptrdiff_t>((j - begin) * classes);
      const std::size_t offset = cached_probabilities_.size();
      cached_probabilities_.insert(cached_probabilities_.end(), row, row + static_cast<std::ptrdiff_t>(classes));
      cache_.insert_or_assign(std::move(miss_keys[j]), offset);
      results[misses[j]] = offset;
    }
  }
  if (!misses.empty()) {
    ++stats_.forward_passes;  // one batched call of the model, however many chunks it took
    stats_.examples += misses.size();
  }
  std::vector<engine::PredictionSet> out(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    out[i].model = m.name;
    out[i].version = m.version;
    const float* p = cached_probabilities_.data() + results[i];
    out[i].predictions.reserve(classes);
    for (std::size_t c = 0; c < classes; ++c) {
      if (kept[c]) out[i].predictions.push_back({label_of[c], static_cast<double>(p[c])});
    }
  }
  return out;
}

}  // namespace syllo::learners

// ModelPredicates: the neural predicates of a program answered by the models
// of a knowledge base's registry, through the learners module (loaded on the
// first call, not before).
//
// A declaration names a model and maybe a version; without one the latest
// version at the first call is used for the life of this object, so a run sees
// one model throughout. Inputs are checked against the model's design (a
// tensor of another shape, a NaN, a missing number is an error naming the
// model, the relation and the input), normalised as the model was trained,
// scored in one forward pass per batch, and the results cached per
// (model version, input): tensors are interned by content, so equal inputs
// hit the cache.
//
// Thread safety: one thread at a time (the KB connection is not shared).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/neural_backend.h"
#include "engine/neural_predicate.h"
#include "engine/row_set.h"
#include "kb/knowledge_base.h"
#include "learners/dataset.h"

namespace syllo::learners {

struct ModelPredicatesStats {
  std::uint64_t calls = 0;         // inputs asked for
  std::uint64_t cache_hits = 0;
  std::uint64_t forward_passes = 0;  // batched calls of a model (each may run in chunks)
  std::uint64_t examples = 0;      // inputs scored by the model
};

// One registered model version ready to score inputs.
struct ServedModel {
  std::string name;
  std::int64_t version = 0;
  std::vector<std::string> labels;
  Normalization normalization;
  std::unique_ptr<engine::LoadedModel> model;
  engine::NeuralBackend* backend = nullptr;  // the module's, which loaded `model` (never null once loaded)
};

// Loads name@version (latest if none) from the registry into the backend.
Result<std::unique_ptr<ServedModel>> LoadServedModel(kb::KnowledgeBase& kb, const std::string& name,
                                                     std::optional<std::int64_t> version,
                                                     std::optional<bool> quantized = std::nullopt);

// Loaded models shared by many sessions on many threads (the decision
// service): each name@version is read from the registry and loaded once. The
// latest version of a name is resolved at its first use and kept for the life
// of the store, so every session of a program sees the same model.
//
// Thread safety: every method locks; a ServedModel scores from any thread.
class ModelStore {
 public:
  // Opens `kb_path` read-only at the first Get.
  explicit ModelStore(std::string kb_path) : kb_path_(std::move(kb_path)) {}
  Result<std::shared_ptr<ServedModel>> Get(const std::string& name, std::optional<std::int64_t> version);
  const std::string& kb_path() const { return kb_path_; }

 private:
  std::mutex mutex_;
  std::string kb_path_;
  std::unique_ptr<kb::KnowledgeBase> kb_;
  std::map<std::string, std::shared_ptr<ServedModel>> models_;  // by "name@version" and "name" (latest)
};

class ModelPredicates final : public engine::NeuralPredicates {
 public:
  // `kb` is borrowed and must outlive this; null: every call is an error
  // saying models need a knowledge base.
  explicit ModelPredicates(kb::KnowledgeBase* kb) : kb_(kb) {}
  // Models from a shared store (null: as a null KB).
  explicit ModelPredicates(std::shared_ptr<ModelStore> store) : kb_(nullptr), store_(std::move(store)) {}

  Result<engine::PredictionSet> Predict(const engine::NeuralSpec& spec,
                                        std::span<const engine::Value> inputs) override;
  // Answers with the labels the declaration keeps (its `top K`, `threshold`),
  // most probable first.
  Result<std::vector<engine::PredictionSet>> PredictBatch(const engine::NeuralSpec& spec,
                                                          engine::InputRows inputs) override;

  // Forces int8 inference on (or off) for every model, whatever the registry says.
  void set_quantized(std::optional<bool> quantized) { quantized_ = quantized; }
  const ModelPredicatesStats& stats() const { return stats_; }

 private:
  // Inputs gathered and predicted at a time (as LoadedModel's chunks).
  static constexpr std::size_t kGatherChunk = 256;
  // Inputs per thread at least when a chunk is gathered on the backend's threads.
  static constexpr std::int64_t kGatherGrain = 32;

  Result<ServedModel*> Model(const engine::NeuralSpec& spec);
  std::string RelationName(const engine::NeuralSpec& spec) const;

  kb::KnowledgeBase* kb_;
  std::shared_ptr<ModelStore> store_;
  std::optional<bool> quantized_;
  // By "name" (latest, resolved once) and "name@version".
  std::map<std::string, std::shared_ptr<ServedModel>> models_;
  std::map<std::string, ServedModel*> latest_;
  // The answers of one model to inputs of one width: input row n's
  // probabilities (one per label) start at answer_at[n] in
  // cached_probabilities_ (one arena, not an allocation per answer).
  struct AnswerCache {
    explicit AnswerCache(std::size_t width) : inputs(width) {}
    engine::RowSet inputs;
    std::vector<std::size_t> answer_at;
  };
  std::map<std::pair<const ServedModel*, std::size_t>, AnswerCache> cache_;
  std::vector<float> cached_probabilities_;
  ModelPredicatesStats stats_;
};

}  // namespace syllo::learners

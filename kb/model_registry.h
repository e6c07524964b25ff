// The model registry: every trained version of every model, in the knowledge
// base (table syllo_models, migration 5). A version is immutable once written
// except for its serving option `quantized` and the quantisation measurements.
// Versions are numbered 1, 2, ... per name; a new one is added in a single
// transaction at the end of a training, so a failed or interrupted training
// never leaves a row behind and never replaces the latest good version.
//
// The weights are an opaque blob (the learners module's format) kept with a
// hash; a blob that does not match its hash is reported as corrupt, not loaded.
//
// Thread safety: as the KnowledgeBase given (one thread at a time).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kb/knowledge_base.h"

namespace syllo::kb {

struct ModelRecord {
  std::string name;
  std::int64_t version = 0;
  std::string architecture;
  std::string design;         // JSON: the architecture and hyperparameters
  std::string labels;         // JSON array of the output labels, in order
  std::string normalization;  // JSON {"mean": [...], "stddev": [...]}
  std::string dataset;        // JSON: where the data came from, split sizes
  std::string metrics;        // JSON: test accuracy, per-epoch curves, timing
  std::optional<std::int64_t> parent_version;  // fine-tuned from this version
  bool quantized = false;     // serve with int8 inference
  std::string quantization = "{}";  // JSON: measured speed-up and accuracy change
  std::string created_at;     // UTC, ISO 8601
  std::string weights;        // empty when listed without weights
  std::string weights_hash;   // "fnv1a64:..." of the weights
  std::int64_t weights_bytes = 0;
};

// Adds `record` as the next version of its name (record.version is ignored)
// and returns that version. Sets created_at and the hash.
Result<std::int64_t> AddModelVersion(KnowledgeBase& kb, ModelRecord record);

// One version (the latest when `version` is empty). An unknown name or version
// is NotFound naming the model and the versions there are; weights whose hash
// does not match are Corruption.
Result<ModelRecord> GetModel(KnowledgeBase& kb, const std::string& name, std::optional<std::int64_t> version,
                             bool with_weights = true);

// Every version (of `name`, or of all models), by name then version, without weights.
Result<std::vector<ModelRecord>> ListModels(KnowledgeBase& kb, const std::string& name = "");

// Deletes one version, or every version of the name. NotFound if none.
Result<std::int64_t> DeleteModel(KnowledgeBase& kb, const std::string& name, std::optional<std::int64_t> version);

// Sets the serving option and records the measurements.
Status SetQuantization(KnowledgeBase& kb, const std::string& name, std::int64_t version, bool quantized,
                       const std::string& measurements_json);

// One version as a JSON document (weights base64) and back. Importing adds it
// as the next version of its name (of `rename` when given) and returns that.
std::string ExportModel(const ModelRecord& record);
Result<std::int64_t> ImportModel(KnowledgeBase& kb, const std::string& json, const std::string& source_name,
                                 const std::string& rename = "");

// "fashion", "fashion@3": the name and the version, if any. A malformed
// reference is InvalidArgument.
Result<std::pair<std::string, std::optional<std::int64_t>>> ParseModelReference(const std::string& reference);

}  // namespace syllo::kb

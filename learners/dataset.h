// Datasets for training and evaluating models, without LibTorch: examples are
// plain float arrays (engine::TensorBatch) plus the label names.
//
// Sources:
//   idx:DIR[/PREFIX]   IDX files (MNIST / Fashion-MNIST layout): PREFIX-images-idx3-ubyte
//                      and PREFIX-labels-idx1-ubyte, optionally .gz; PREFIX is `train`
//                      or `t10k` (`idx:/usr/share/datasets/fashion-mnist` reads both:
//                      train for training, t10k as the test split). Pixels scale to [0, 1].
//   csv:FILE           a header row; the label column is `label` (or --label NAME);
//                      every other column a number.
//   kb:RELATION        a relation of the knowledge base: its int/float columns (or one
//                      tensor column) are the features, its symbol or int label column
//                      the label.
// Every value is checked: a NaN or infinite feature, a label outside the declared
// set, a row of the wrong width is an error naming the source, the row (1-based
// data row for CSV and KB, example index for IDX) and the column.
//
// Thread safety: free functions on values.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/neural_backend.h"
#include "syllo/status.h"

namespace syllo::kb {
class KnowledgeBase;
}

namespace syllo::learners {

struct Dataset {
  engine::TensorBatch examples;
  std::vector<std::string> label_names;  // labels index into these
  std::string description;               // "idx:/usr/share/datasets/fashion-mnist (train, 60000 examples)"

  std::int64_t size() const { return examples.size(); }
};

// Train/validation/test, each possibly empty.
struct DatasetSplits {
  Dataset train, validation, test;
};

struct DataOptions {
  // The labels the model predicts, in output order (a neural declaration's
  // labels). Empty: taken from the data (IDX: 0..9 or `names` below, CSV/KB:
  // sorted distinct values).
  std::vector<std::string> labels;
  std::string label_column = "label";   // csv and kb
  std::int64_t limit = 0;               // 0: all examples (of each IDX split)
  double validation_fraction = 0.1;     // carved from the end of the training data after shuffling
  double test_fraction = 0.1;           // csv/kb only: IDX has its own test split
  std::uint64_t seed = 42;              // the shuffle before splitting
};

// Reads `source` (idx:, csv:, kb:) and splits it. `kb` may be null unless the
// source is kb:.
Result<DatasetSplits> LoadDataset(const std::string& source, const DataOptions& options, kb::KnowledgeBase* kb);

// The IDX pair `images` / `labels` (as files, .gz allowed).
Result<Dataset> ReadIdx(const std::string& images_path, const std::string& labels_path,
                        const std::vector<std::string>& label_names, std::int64_t limit);

// Normalisation recorded with a model, so inference applies the same one:
// x' = (x - mean[j]) / stddev[j], one entry (all features) or one per feature.
struct Normalization {
  std::vector<float> mean;
  std::vector<float> stddev;

  bool empty() const { return mean.empty(); }
  void Apply(std::vector<float>& features, std::int64_t example_size) const;
  void Apply(float* features, std::int64_t count, std::int64_t example_size) const;
  // Writes features first_feature.. of one example, normalised, to out (a
  // copy when empty): gathering and normalising in one pass.
  // REQUIRES: per-feature: first_feature + in.size() <= mean.size()
  void ApplyTo(std::span<const float> in, float* out, std::int64_t first_feature) const;
};

// Images (rank >= 2): one mean and deviation over all pixels; tabular (rank 1):
// one per column. A constant column gets deviation 1.
Normalization ComputeNormalization(const engine::TensorBatch& train);

// "idx:...": JSON {"mean": [...], "stddev": [...]} and back.
std::string NormalizationToJson(const Normalization& n);
Result<Normalization> NormalizationFromJson(const std::string& json);

}  // namespace syllo::learners

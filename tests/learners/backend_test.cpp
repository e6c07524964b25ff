// The LibTorch backend (learners/module) through the NeuralBackend interface
// only, as the engine sees it: loaded with the loader, small synthetic data.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/neural_backend.h"
#include "engine/neural_backend_loader.h"

namespace syllo::engine {
namespace {

NeuralBackend& Backend() {
  static NeuralBackend* backend = [] {
    Result<NeuralBackend*> loaded = LoadNeuralBackend();
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    return loaded.ok() ? *loaded : nullptr;
  }();
  if (backend == nullptr) throw std::runtime_error("no neural backend");
  return *backend;
}

// Two classes split by a hyperplane through the origin, with a margin.
TensorBatch Separable(int count, int dims, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  TensorBatch b;
  b.example_shape = {dims};
  while (static_cast<int>(b.labels.size()) < count) {
    std::vector<float> x(dims);
    float dot = 0;
    for (int j = 0; j < dims; ++j) {
      x[j] = normal(rng);
      dot += x[j] * (j % 2 == 0 ? 1.0f : -0.5f);
    }
    if (std::abs(dot) < 0.2f) continue;
    b.features.insert(b.features.end(), x.begin(), x.end());
    b.labels.push_back(dot > 0 ? 1 : 0);
  }
  return b;
}

// 1x8x8 images with one bright vertical (label 0) or horizontal (label 1)
// bar, plus noise.
TensorBatch Bars(int count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0, 0.2f);
  std::uniform_int_distribution<int> where(0, 7), kind(0, 1);
  TensorBatch b;
  b.example_shape = {1, 8, 8};
  for (int i = 0; i < count; ++i) {
    const int label = kind(rng), at = where(rng);
    for (int r = 0; r < 8; ++r) {
      for (int c = 0; c < 8; ++c) b.features.push_back(((label == 0 ? c : r) == at ? 1.0f : 0.0f) + noise(rng));
    }
    b.labels.push_back(label);
  }
  return b;
}

// Sequences of 8 steps of one value each; the label says whether the first
// step was positive: the network must carry it to the last step.
TensorBatch FirstSign(int count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  TensorBatch b;
  b.example_shape = {8, 1};
  for (int i = 0; i < count; ++i) {
    float first = 0;
    for (int s = 0; s < 8; ++s) {
      const float v = normal(rng);
      if (s == 0) first = v;
      b.features.push_back(v);
    }
    b.labels.push_back(first > 0 ? 1 : 0);
  }
  return b;
}

// Random labels: nothing to learn, so validation loss only gets worse.
TensorBatch Noise(int count, int dims, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  std::uniform_int_distribution<int> label(0, 1);
  TensorBatch b;
  b.example_shape = {dims};
  for (int i = 0; i < count * dims; ++i) b.features.push_back(normal(rng));
  for (int i = 0; i < count; ++i) b.labels.push_back(label(rng));
  return b;
}

ModelDesign Mlp(std::int64_t inputs, std::vector<std::int64_t> hidden = {16}) {
  ModelDesign d;
  d.name = "mlp_test";
  d.architecture = "mlp";
  d.input = {inputs};
  d.classes = 2;
  d.hidden = std::move(hidden);
  d.lr = 0.01;
  d.batch = 32;
  d.epochs = 10;
  return d;
}

TrainResult MustTrain(const TrainRequest& request) {
  Result<TrainResult> r = Backend().Train(request);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) throw std::runtime_error(r.status().ToString());
  return std::move(r).value();
}

std::unique_ptr<LoadedModel> MustLoad(const ModelDesign& d, const std::string& weights, bool quantized = false) {
  Result<std::unique_ptr<LoadedModel>> m = Backend().Load(d, weights, quantized);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok()) throw std::runtime_error(m.status().ToString());
  return std::move(m).value();
}

std::vector<float> Probabilities(LoadedModel& model, const TensorBatch& data) {
  std::vector<float> out;
  const Status s = model.Predict(data.features, data.size(), &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

double Accuracy(LoadedModel& model, const TensorBatch& data) {
  const std::vector<float> p = Probabilities(model, data);
  const std::int64_t classes = model.design().classes;
  EXPECT_EQ(p.size(), data.labels.size() * classes);
  int correct = 0;
  for (std::size_t i = 0; i < data.labels.size(); ++i) {
    std::int64_t best = 0;
    for (std::int64_t c = 1; c < classes; ++c) {
      if (p[i * classes + c] > p[i * classes + best]) best = c;
    }
    correct += best == data.labels[i];
  }
  return static_cast<double>(correct) / static_cast<double>(data.labels.size());
}

// The module stores weights as a zip archive, one uncompressed record per
// tensor: its records by name, to see which tensors changed without LibTorch.
std::map<std::string, std::string> ZipRecords(const std::string& zip) {
  auto u16 = [&](std::size_t at) { return static_cast<std::uint32_t>(static_cast<unsigned char>(zip[at]) |
                                                                     static_cast<unsigned char>(zip[at + 1]) << 8); };
  auto u32 = [&](std::size_t at) { return u16(at) | u16(at + 2) << 16; };
  std::map<std::string, std::string> records;
  const std::size_t end = zip.rfind(std::string("PK\x05\x06", 4));
  if (end == std::string::npos) return records;
  std::size_t at = u32(end + 16);  // the central directory
  for (std::uint32_t i = 0, n = u16(end + 10); i < n && at + 46 <= zip.size(); ++i) {
    const std::uint32_t size = u32(at + 20), name_length = u16(at + 28), local = u32(at + 42);
    const std::string name = zip.substr(at + 46, name_length);
    const std::size_t data = local + 30 + u16(local + 26) + u16(local + 28);
    records[name] = zip.substr(data, size);
    at += 46 + name_length + u16(at + 30) + u16(at + 32);
  }
  return records;
}

// Tensor records ("…/data/N") of `a` whose bytes are the same in `b`.
int SameTensorRecords(const std::string& a, const std::string& b, int* total) {
  const auto ra = ZipRecords(a), rb = ZipRecords(b);
  int same = 0;
  *total = 0;
  for (const auto& [name, bytes] : ra) {
    if (name.find("/data/") == std::string::npos) continue;
    ++*total;
    const auto it = rb.find(name);
    same += it != rb.end() && it->second == bytes;
  }
  return same;
}

TEST(TorchBackend, DescribesTheLibraryAndItsQuantizedEngines) {
  const std::string d = Backend().Describe();
  EXPECT_NE(d.find("LibTorch 1."), std::string::npos) << d;
  EXPECT_NE(d.find("quantized engines:"), std::string::npos) << d;
  Backend().SetThreads(1);
  EXPECT_NE(Backend().Describe().find("threads 1"), std::string::npos) << Backend().Describe();
  Backend().SetThreads(0);
}

// ParallelFor covers every index once, in ranges of at least the grain, and
// with two threads runs on both (the module is built with OpenMP, without
// which at::parallel_for quietly runs on the caller alone).
TEST(TorchBackend, ParallelForCoversTheRangeOnTheIntraOpThreads) {
  Backend().SetThreads(2);
  std::vector<std::atomic<int>> visits(1000);
  std::atomic<int> ranges{0};
  std::mutex mutex;
  std::set<std::thread::id> threads;
  Backend().ParallelFor(0, 1000, 100, [&](std::int64_t begin, std::int64_t end) {
    EXPECT_LT(begin, end);
    ++ranges;
    for (std::int64_t i = begin; i < end; ++i) ++visits[static_cast<std::size_t>(i)];
    std::lock_guard lock(mutex);
    threads.insert(std::this_thread::get_id());
  });
  for (std::size_t i = 0; i < visits.size(); ++i) ASSERT_EQ(visits[i], 1) << "index " << i;
  EXPECT_EQ(threads.size(), 2u);
  EXPECT_EQ(ranges, 2);

  // Below the grain, or empty: the caller's thread alone, or nothing.
  std::vector<std::thread::id> small;
  Backend().ParallelFor(0, 50, 100, [&](std::int64_t begin, std::int64_t end) {
    EXPECT_EQ(begin, 0);
    EXPECT_EQ(end, 50);
    small.push_back(std::this_thread::get_id());
  });
  EXPECT_EQ(small, std::vector<std::thread::id>{std::this_thread::get_id()});
  Backend().ParallelFor(5, 5, 1, [&](std::int64_t, std::int64_t) { ADD_FAILURE() << "called on an empty range"; });
  Backend().SetThreads(0);
}

TEST(TorchBackend, MlpLearnsALinearlySeparableProblem) {
  const TensorBatch train = Separable(400, 4, 1), test = Separable(200, 4, 2);
  TrainRequest request;
  request.design = Mlp(4);
  request.train = &train;
  const TrainResult r = MustTrain(request);
  EXPECT_EQ(r.parameters, 4 * 16 + 16 + 16 * 2 + 2);
  ASSERT_EQ(r.epochs.size(), 10u);
  EXPECT_EQ(r.best_epoch, 10);  // no validation: the last
  EXPECT_FALSE(r.stopped_early);
  EXPECT_LT(r.epochs.back().train_loss, r.epochs.front().train_loss);
  auto model = MustLoad(request.design, r.weights);
  EXPECT_FALSE(model->quantized());
  EXPECT_GT(Accuracy(*model, test), 0.95);
  // Probabilities: each row sums to 1.
  const std::vector<float> p = Probabilities(*model, test);
  EXPECT_NEAR(p[0] + p[1], 1.0f, 1e-5f);
}

TEST(TorchBackend, CnnLearnsVerticalFromHorizontalBars) {
  const TensorBatch train = Bars(300, 3), test = Bars(200, 4);
  TrainRequest request;
  request.design = Mlp(0);
  request.design.name = "bars";
  request.design.architecture = "cnn";
  request.design.input = {1, 8, 8};
  request.design.channels = {4, 8};
  request.design.kernel = {3};
  request.design.hidden = {16};
  request.train = &train;
  const TrainResult r = MustTrain(request);
  // conv 1->4 (3x3), conv 4->8, 8x2x2 flattened -> 16 -> 2.
  EXPECT_EQ(r.parameters, (4 * 9 + 4) + (8 * 4 * 9 + 8) + (32 * 16 + 16) + (16 * 2 + 2));
  auto model = MustLoad(request.design, r.weights);
  EXPECT_GT(Accuracy(*model, test), 0.9);
  // {h, w} means one channel: the same network.
  ModelDesign two_d = request.design;
  two_d.input = {8, 8};
  EXPECT_TRUE(Backend().CheckDesign(two_d).ok());
  auto same = MustLoad(two_d, r.weights);
  EXPECT_EQ(Probabilities(*same, test), Probabilities(*model, test));

  // Even kernels (padding k/2 grows the map by one) and one kernel per block:
  // 8 -> conv 4 -> 9 -> pool 4 -> conv 3 -> 4 -> pool 2, so 8x2x2 flattened.
  request.design.kernel = {4, 3};
  request.design.epochs = 1;
  EXPECT_EQ(MustTrain(request).parameters, (4 * 16 + 4) + (8 * 4 * 9 + 8) + (32 * 16 + 16) + (16 * 2 + 2));
}

// From 8 examples a relu CNN runs in oneDNN's blocked layout (convolutions,
// pooling and the head); one example runs through the dense layers with the
// inference pooling: two implementations, which must agree. The even kernel
// makes 9x9 maps, so both floor the pooling alike; the tanh CNN has no
// blocked path and pools after its activation.
TEST(TorchBackend, BatchedCnnPredictionsAgreeWithOneAtATime) {
  const TensorBatch train = Bars(300, 31), test = Bars(40, 32);
  for (const std::string activation : {"relu", "tanh"}) {
    TrainRequest request;
    request.design = Mlp(0);
    request.design.name = "bars_" + activation;
    request.design.architecture = "cnn";
    request.design.input = {1, 8, 8};
    request.design.channels = {4, 8};
    request.design.kernel = {4, 3};
    request.design.hidden = {16};
    request.design.activation = activation;
    request.train = &train;
    const TrainResult r = MustTrain(request);
    auto model = MustLoad(request.design, r.weights);
    const std::vector<float> batched = Probabilities(*model, test);
    ASSERT_EQ(batched.size(), test.labels.size() * 2);
    const std::size_t size = static_cast<std::size_t>(test.example_size());
    for (std::size_t i = 0; i < test.labels.size(); ++i) {
      std::vector<float> one;
      const Status s = model->Predict(std::span<const float>(test.features).subspan(i * size, size), 1, &one);
      ASSERT_TRUE(s.ok()) << s.ToString();
      ASSERT_EQ(one.size(), 2u);
      for (std::size_t c = 0; c < 2; ++c) EXPECT_NEAR(one[c], batched[i * 2 + c], 1e-5) << activation << " " << i;
    }
    // Trained, so the two agree on confident answers, not on two uniform outputs.
    EXPECT_GT(Accuracy(*model, test), 0.8) << activation;
  }
}

class RecurrentTest : public testing::TestWithParam<std::string> {};

TEST_P(RecurrentTest, LearnsToRememberTheFirstStep) {
  const TensorBatch train = FirstSign(400, 5), test = FirstSign(200, 6);
  TrainRequest request;
  request.design = Mlp(0);
  request.design.name = GetParam();
  request.design.architecture = GetParam();
  request.design.input = {8, 1};
  request.design.hidden = {16};
  request.design.layers = 2;
  request.design.dropout = 0.1;
  request.design.epochs = 12;
  request.train = &train;
  const TrainResult r = MustTrain(request);
  auto model = MustLoad(request.design, r.weights);
  EXPECT_GT(Accuracy(*model, test), 0.75) << GetParam();  // chance is 0.5

  // Each stacked recurrent layer is a layer for freeze_layers: freezing one
  // keeps the first's four tensors (weights and biases, input and hidden).
  const std::int64_t gates = GetParam() == "gru" ? 3 : 4;
  const std::int64_t layer0 = gates * 16 * (1 + 16) + 2 * gates * 16, layer1 = gates * 16 * (16 + 16) + 2 * gates * 16;
  EXPECT_EQ(r.parameters, layer0 + layer1 + 16 * 2 + 2);
  request.initial_weights = r.weights;
  request.freeze_layers = 1;
  request.design.epochs = 1;
  const TrainResult tuned = MustTrain(request);
  EXPECT_EQ(tuned.parameters, layer1 + 16 * 2 + 2);
  int total = 0;
  EXPECT_EQ(SameTensorRecords(r.weights, tuned.weights, &total), 4);
  EXPECT_EQ(total, 10);

  // Predict from several threads gives what one thread gives.
  const std::vector<float> expected = Probabilities(*model, test);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        std::vector<float> out;
        if (!model->Predict(test.features, test.size(), &out).ok() || out != expected) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(GruAndLstm, RecurrentTest, testing::Values("gru", "lstm"));

TEST(TorchBackend, SameRequestGivesTheSameWeights) {
  const TensorBatch train = Separable(300, 6, 7), validation = Separable(100, 6, 8);
  TrainRequest request;
  request.design = Mlp(6, {32, 16});
  request.design.dropout = 0.3;
  request.design.epochs = 3;
  request.train = &train;
  request.validation = &validation;
  const TrainResult a = MustTrain(request), b = MustTrain(request);
  EXPECT_EQ(a.weights, b.weights);
  ASSERT_EQ(a.epochs.size(), b.epochs.size());
  EXPECT_EQ(a.epochs.back().validation_loss, b.epochs.back().validation_loss);
  request.design.seed = 43;
  EXPECT_NE(MustTrain(request).weights, a.weights);
}

TEST(TorchBackend, FineTuningLeavesFrozenLayersAlone) {
  const TensorBatch train = Separable(300, 8, 9), shifted = Separable(300, 8, 10);
  TrainRequest request;
  request.design = Mlp(8, {16});
  request.design.epochs = 3;
  request.train = &train;
  const TrainResult base = MustTrain(request);

  request.train = &shifted;
  request.initial_weights = base.weights;
  request.freeze_layers = 1;  // fc0 (weight and bias) keeps its values
  const TrainResult frozen = MustTrain(request);
  EXPECT_EQ(frozen.parameters, 16 * 2 + 2);
  int total = 0;
  EXPECT_EQ(SameTensorRecords(base.weights, frozen.weights, &total), 2);
  EXPECT_EQ(total, 4);

  request.freeze_layers = 0;
  const TrainResult free = MustTrain(request);
  EXPECT_EQ(free.parameters, 8 * 16 + 16 + 16 * 2 + 2);
  EXPECT_EQ(SameTensorRecords(base.weights, free.weights, &total), 0);

  // Fine-tuning starts from the initial weights: one epoch at a tiny rate
  // stays close to them, unlike a fresh start.
  request.design.epochs = 1;
  request.design.lr = 1e-7;
  const TensorBatch probe = Separable(50, 8, 11);
  auto start = MustLoad(request.design, base.weights);
  auto tuned = MustLoad(request.design, MustTrain(request).weights);
  const std::vector<float> p0 = Probabilities(*start, probe), p1 = Probabilities(*tuned, probe);
  for (std::size_t i = 0; i < p0.size(); ++i) EXPECT_NEAR(p0[i], p1[i], 1e-3);

  request.freeze_layers = 2;  // every layer: nothing would train
  EXPECT_EQ(Backend().Train(request).status().code(), StatusCode::kInvalidArgument);
}

TEST(TorchBackend, CorruptOrForeignWeightsAreCorruption) {
  const TensorBatch train = Separable(100, 4, 12);
  TrainRequest request;
  request.design = Mlp(4);
  request.design.epochs = 1;
  request.train = &train;
  const TrainResult r = MustTrain(request);

  auto expect_corruption = [](const ModelDesign& d, const std::string& weights, const std::string& why) {
    Result<std::unique_ptr<LoadedModel>> m = Backend().Load(d, weights, false);
    ASSERT_FALSE(m.ok()) << why;
    EXPECT_EQ(m.status().code(), StatusCode::kCorruption) << why << ": " << m.status().ToString();
    EXPECT_NE(m.status().message().find("the weights of model " + d.name + " do not match its design"),
              std::string::npos)
        << m.status().message();
  };
  expect_corruption(request.design, "", "empty");
  expect_corruption(request.design, "not a zip archive at all", "garbage");
  expect_corruption(request.design, r.weights.substr(0, r.weights.size() / 2), "truncated");
  std::string flipped = r.weights;
  for (std::size_t i = flipped.size() / 3; i < flipped.size() / 3 + 64; ++i) flipped[i] = static_cast<char>(~flipped[i]);
  {
    // Flipped bytes may land in tensor data (still loads) or in structure
    // (Corruption); either way no crash and no exception.
    Result<std::unique_ptr<LoadedModel>> m = Backend().Load(request.design, flipped, false);
    if (!m.ok()) {
      EXPECT_EQ(m.status().code(), StatusCode::kCorruption) << m.status().ToString();
    }
  }
  expect_corruption(Mlp(4, {8}), r.weights, "narrower hidden layer");
  expect_corruption(Mlp(4, {16, 16}), r.weights, "one more layer");
  expect_corruption(Mlp(5), r.weights, "another input size");
  ModelDesign lstm = Mlp(4);
  lstm.architecture = "lstm";
  lstm.input = {2, 2};
  expect_corruption(lstm, r.weights, "another architecture");

  request.initial_weights = "garbage";
  EXPECT_EQ(Backend().Train(request).status().code(), StatusCode::kCorruption);
}

TEST(TorchBackend, BadDesignsAreInvalidArgument) {
  auto expect_invalid = [](const ModelDesign& d, const std::string& fragment) {
    const Status s = Backend().CheckDesign(d);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << fragment;
    EXPECT_NE(s.message().find(fragment), std::string::npos) << s.message();
  };
  ModelDesign d = Mlp(4);
  EXPECT_TRUE(Backend().CheckDesign(d).ok());
  d.classes = 1;
  expect_invalid(d, "at least 2 classes");
  d = Mlp(4);
  d.architecture = "transformer";
  expect_invalid(d, "unknown architecture");
  d = Mlp(4);
  d.architecture = "cnn";
  expect_invalid(d, "a cnn takes input");
  d.input = {1, 4, 4};
  d.channels = {4, 8, 16};
  expect_invalid(d, "too small");
  d.channels = {4, 8};
  d.kernel = {3, 3, 3};
  expect_invalid(d, "kernel must have one value");
  d = Mlp(4);
  d.architecture = "gru";
  expect_invalid(d, "takes input {steps, features}");
  d.input = {8, 2};
  d.hidden = {};
  expect_invalid(d, "hidden size");
  d = Mlp(4);
  d.activation = "swish";
  expect_invalid(d, "unknown activation");
  d = Mlp(4);
  d.optimizer = "lbfgs";
  expect_invalid(d, "unknown optimizer");

  // Train and Load check too.
  const TensorBatch train = Separable(50, 4, 13);
  TrainRequest request;
  request.design = Mlp(4);
  request.design.classes = 1;
  request.train = &train;
  EXPECT_EQ(Backend().Train(request).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Backend().Load(request.design, "", false).status().code(), StatusCode::kInvalidArgument);
}

TEST(TorchBackend, BadExamplesAreInvalidArgumentNamingTheExample) {
  TensorBatch train = Separable(50, 4, 14);
  TrainRequest request;
  request.design = Mlp(4);
  request.design.epochs = 1;
  request.train = &train;

  train.features[17 * 4 + 2] = std::nanf("");
  Status s = Backend().Train(request).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("example 17"), std::string::npos) << s.message();

  train = Separable(50, 4, 14);
  train.features[3] = INFINITY;
  s = Backend().Train(request).status();
  EXPECT_NE(s.message().find("example 0"), std::string::npos) << s.message();

  train = Separable(50, 4, 14);
  train.labels[9] = 2;
  s = Backend().Train(request).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("example 9 has label 2"), std::string::npos) << s.message();

  train = Separable(50, 4, 14);
  train.features.pop_back();  // not a whole number of examples
  train.example_shape = {4};
  EXPECT_EQ(Backend().Train(request).status().code(), StatusCode::kInvalidArgument);

  train = Separable(50, 4, 14);
  request.design = Mlp(5);  // the design wants 5 values per example
  EXPECT_EQ(Backend().Train(request).status().code(), StatusCode::kInvalidArgument);

  TensorBatch validation = Separable(20, 4, 15);
  validation.features[5 * 4] = std::nanf("");
  request.design = Mlp(4);
  request.validation = &validation;
  s = Backend().Train(request).status();
  EXPECT_NE(s.message().find("validation"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("example 5"), std::string::npos) << s.message();
}

TEST(TorchBackend, CancelStopsAtTheNextBatch) {
  const TensorBatch train = Separable(200, 4, 16);
  std::atomic<bool> cancel{false};
  TrainRequest request;
  request.design = Mlp(4);
  request.design.epochs = 5;
  request.train = &train;
  request.cancel = &cancel;
  int epochs_done = 0;
  request.on_progress = [&](const TrainProgress& p) {
    if (!p.epoch_done) return;
    ++epochs_done;
    EXPECT_EQ(p.metrics.epoch, epochs_done);
    if (p.epoch == 2) cancel = true;
  };
  const Status s = Backend().Train(request).status();
  EXPECT_EQ(s.code(), StatusCode::kCancelled) << s.ToString();
  EXPECT_EQ(s.message(), "training cancelled at epoch 3 batch 1");
  EXPECT_EQ(epochs_done, 2);
}

TEST(TorchBackend, ReportsEveryEpochAndFollowsTheSchedule) {
  const TensorBatch train = Separable(100, 4, 17), validation = Separable(50, 4, 18);
  TrainRequest request;
  request.design = Mlp(4);
  request.design.epochs = 6;
  request.design.lr = 0.1;
  request.design.optimizer = "sgd";
  request.design.schedule = "step";
  request.train = &train;
  request.validation = &validation;
  std::vector<EpochMetrics> reported;
  request.on_progress = [&](const TrainProgress& p) {
    EXPECT_EQ(p.epochs, 6);
    if (p.epoch_done) reported.push_back(p.metrics);
  };
  const TrainResult r = MustTrain(request);
  ASSERT_EQ(reported.size(), 6u);
  const double expected[] = {0.1, 0.1, 0.01, 0.01, 0.001, 0.001};
  for (int e = 0; e < 6; ++e) {
    EXPECT_NEAR(reported[e].learning_rate, expected[e], 1e-12) << e;
    EXPECT_EQ(reported[e].validation_loss, r.epochs[e].validation_loss);
    EXPECT_GT(reported[e].validation_accuracy, 0.0);
  }

  request.design.schedule = "cosine";
  request.on_progress = nullptr;
  const TrainResult cosine = MustTrain(request);
  EXPECT_DOUBLE_EQ(cosine.epochs[0].learning_rate, 0.1);
  for (int e = 1; e < 6; ++e) EXPECT_LT(cosine.epochs[e].learning_rate, cosine.epochs[e - 1].learning_rate);
  EXPECT_GT(cosine.epochs[5].learning_rate, 0.0);

  for (const char* optimizer : {"adam", "adamw"}) {
    request.design.optimizer = optimizer;
    request.design.weight_decay = 0.01;
    EXPECT_TRUE(Backend().Train(request).ok()) << optimizer;
  }
}

TEST(TorchBackend, EarlyStoppingKeepsTheBestEpoch) {
  // Random labels and a wide network: it memorises the training set while the
  // validation loss climbs from the first epochs on.
  const TensorBatch train = Noise(200, 10, 19), validation = Noise(200, 10, 20);
  TrainRequest request;
  request.design = Mlp(10, {128, 128});
  request.design.epochs = 60;
  request.design.patience = 3;
  request.design.lr = 0.01;
  request.train = &train;
  request.validation = &validation;
  const TrainResult r = MustTrain(request);
  EXPECT_TRUE(r.stopped_early);
  ASSERT_LT(r.epochs.size(), 60u);
  EXPECT_EQ(r.best_epoch, static_cast<std::int64_t>(r.epochs.size()) - 3);
  double best = r.epochs[0].validation_loss;
  for (const auto& m : r.epochs) best = std::min(best, m.validation_loss);
  EXPECT_EQ(r.epochs[r.best_epoch - 1].validation_loss, best);

  // The weights are the best epoch's: their validation loss is the best one.
  auto model = MustLoad(request.design, r.weights);
  const std::vector<float> p = Probabilities(*model, validation);
  double loss = 0;
  for (std::size_t i = 0; i < validation.labels.size(); ++i) loss -= std::log(p[i * 2 + validation.labels[i]]);
  EXPECT_NEAR(loss / static_cast<double>(validation.labels.size()), best, 1e-4);
}

TEST(TorchBackend, QuantizedPredictionIsCloseToFloat) {
  const TensorBatch train = Separable(600, 16, 21), test = Separable(300, 16, 22);
  TrainRequest request;
  request.design = Mlp(16, {64, 32});
  request.train = &train;
  const TrainResult r = MustTrain(request);
  auto exact = MustLoad(request.design, r.weights, false);
  auto quantized = MustLoad(request.design, r.weights, true);
  EXPECT_FALSE(exact->quantized());
  EXPECT_TRUE(quantized->quantized());
  const double float_accuracy = Accuracy(*exact, test), int8_accuracy = Accuracy(*quantized, test);
  EXPECT_GT(float_accuracy, 0.9);
  EXPECT_NEAR(int8_accuracy, float_accuracy, 0.03);
  const std::vector<float> pf = Probabilities(*exact, test), pq = Probabilities(*quantized, test);
  ASSERT_EQ(pf.size(), pq.size());
  double max_difference = 0;
  for (std::size_t i = 0; i < pf.size(); ++i) max_difference = std::max<double>(max_difference, std::abs(pf[i] - pq[i]));
  EXPECT_GT(max_difference, 0.0);   // int8 arithmetic is not the float path
  EXPECT_LT(max_difference, 0.15);  // but close to it

  // A cnn quantises its linear layers and keeps its convolutions float.
  const TensorBatch bars = Bars(200, 23);
  request.design.name = "bars";
  request.design.architecture = "cnn";
  request.design.input = {1, 8, 8};
  request.design.channels = {4};
  request.design.hidden = {16};
  request.train = &bars;
  const TrainResult cnn = MustTrain(request);
  auto cnn_float = MustLoad(request.design, cnn.weights, false);
  auto cnn_int8 = MustLoad(request.design, cnn.weights, true);
  EXPECT_TRUE(cnn_int8->quantized());
  EXPECT_NEAR(Accuracy(*cnn_int8, bars), Accuracy(*cnn_float, bars), 0.05);
}

TEST(TorchBackend, PredictIsSafeFromSeveralThreads) {
  const TensorBatch train = Separable(200, 8, 24), test = Separable(100, 8, 25);
  TrainRequest request;
  request.design = Mlp(8, {32});
  request.design.epochs = 2;
  request.train = &train;
  const TrainResult r = MustTrain(request);
  for (bool quantized : {false, true}) {
    auto model = MustLoad(request.design, r.weights, quantized);
    const std::vector<float> expected = Probabilities(*model, test);
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 50; ++i) {
          std::vector<float> out;
          if (!model->Predict(test.features, test.size(), &out).ok() || out != expected) ++mismatches;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(mismatches.load(), 0) << (quantized ? "quantized" : "float");
  }
}

TEST(TorchBackend, PredictChecksItsInput) {
  const TensorBatch train = Separable(50, 4, 26);
  TrainRequest request;
  request.design = Mlp(4);
  request.design.epochs = 1;
  request.train = &train;
  auto model = MustLoad(request.design, MustTrain(request).weights);
  std::vector<float> out;
  const std::vector<float> features(7, 0.0f);
  EXPECT_EQ(model->Predict(features, 2, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(model->Predict(std::span<const float>(), 0, &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(model->Predict(std::span<const float>(features.data(), 4), 1, &out).ok());
  EXPECT_EQ(out.size(), 2u);
}

}  // namespace
}  // namespace syllo::engine

// learn_bench: the inference half of `make bench-learn` (bench/learn/run.py),
// on a model trained by `syllo train` and stored in a knowledge base.
//
//   learn_bench --db KB --program bench/learn/photos.syl --data /usr/share/datasets/fashion-mnist
//               [--model fashion] [--limit N] [--threads 2] [--repeats 3] [--per-fact-repeats 2]
//               [--rule-runs-only]   (the batched rule runs alone, to profile them)
//
// No LibTorch header here: the model runs in the learners module, through the
// engine's NeuralBackend, exactly as `syllo run` runs it. Measured, on the
// t10k images (each a distinct photo fact):
//
//   rule run, batched    a ForwardSession over the program with every photo
//                        asserted, a fresh learners::ModelPredicates (float),
//                        Assert + Run timed: the session gathers the inputs of a
//                        cycle into one PredictBatch, one forward pass.
//   rule run, per fact   the same with a NeuralPredicates that hands the model
//                        one input per call (a fresh ModelPredicates too, so its
//                        cache never answers): one forward pass per photo.
//   bare forward loop    LoadedModel::Predict (LibTorch under InferenceMode,
//                        nothing of the engine around it) on pre-built,
//                        pre-normalised float batches of the same sizes as the
//                        batched rule run's; and one example per call.
//   float vs int8        LoadServedModel(quantized=false/true): accuracy and
//                        examples/s over the test set in batches of 1024 (and of 1).
//
// Before timing, each fresh ModelPredicates loads the model with one call on
// a photo outside the test set, so the registry read is not timed. Each time
// is the best of its repeats (after a warm-up); the batched rule runs and the
// bare loop on the same batches take turns, so that drift in the machine's
// speed falls on both. Prints one JSON object.
// Exit status 0, 1 when a measurement failed, a rule run missed a photo or its
// answers disagree with the bare forward pass's on more than 0.1% of the
// photos, 2 on bad usage.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/forward_session.h"
#include "engine/neural_backend_loader.h"
#include "engine/neural_predicate.h"
#include "engine/rete_network.h"
#include "engine/tensor_pool.h"
#include "kb/knowledge_base.h"
#include "learners/dataset.h"
#include "learners/model_predicates.h"
#include "learners/trainer.h"
#include "rules/checker.h"
#include "rules/loader.h"
#include "rules/lower.h"

namespace {

using namespace syllo;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string db, program, data = "/usr/share/datasets/fashion-mnist", model = "fashion";
  std::int64_t limit = 0;
  int threads = 2;
  int repeats = 3;
  int per_fact_repeats = 2;
  bool rule_runs_only = false;  // for a profiler: the batched rule runs, then exit
};

[[noreturn]] void Fail(const std::string& what, int code = 1) {
  std::cerr << "learn_bench: " << what << "\n";
  std::exit(code);
}

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Fail(what + ": " + r.status().message());
  return std::move(r).value();
}

void Must(const Status& s, const std::string& what) {
  if (!s.ok()) Fail(what + ": " + s.message());
}

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Fail("missing value after " + a, 2);
      return argv[++i];
    };
    if (a == "--db") o.db = value();
    else if (a == "--program") o.program = value();
    else if (a == "--data") o.data = value();
    else if (a == "--model") o.model = value();
    else if (a == "--limit") o.limit = std::stoll(value());
    else if (a == "--threads") o.threads = std::stoi(value());
    else if (a == "--repeats") o.repeats = std::max(1, std::stoi(value()));
    else if (a == "--per-fact-repeats") o.per_fact_repeats = std::max(1, std::stoi(value()));
    else if (a == "--rule-runs-only") o.rule_runs_only = true;
    else Fail("unknown argument " + a + " (see the comment at the top of learn_bench.cpp)", 2);
  }
  if (o.db.empty() || o.program.empty()) Fail("--db KB and --program FILE are required", 2);
  return o;
}

std::string IdxFile(const std::string& dir, const std::string& stem) {
  for (const std::string& name : {stem, stem + ".gz"}) {
    const std::string path = (std::filesystem::path(dir) / name).string();
    if (std::filesystem::is_regular_file(path)) return path;
  }
  Fail("no IDX file " + dir + "/" + stem + " (or .gz)", 2);
}

std::shared_ptr<const engine::ReteNetwork> CompileProgram(const std::string& path) {
  rules::LoadedProgram loaded;
  rules::LoadFiles({path}, loaded);
  rules::Check(loaded.sources, loaded.program, loaded.diagnostics);
  loaded.diagnostics.Sort();
  if (loaded.diagnostics.has_errors()) Fail(rules::RenderAll(loaded.sources, loaded.diagnostics, false), 2);
  auto spec = Must(rules::Lower(loaded.sources, loaded.program), "lowering " + path);
  return engine::ReteNetwork::Compile(std::move(spec));
}

// One model call per input: what a rule engine without batching does.
class OneCallPerFact final : public engine::NeuralPredicates {
 public:
  explicit OneCallPerFact(engine::NeuralPredicates& inner) : inner_(inner) {}
  Result<engine::PredictionSet> Predict(const engine::NeuralSpec& spec,
                                        std::span<const engine::Value> inputs) override {
    ++calls_;
    return inner_.Predict(spec, inputs);
  }
  // PredictBatch: the base class's, one Predict per input.
  std::uint64_t calls() const { return calls_; }

 private:
  engine::NeuralPredicates& inner_;
  std::uint64_t calls_ = 0;
};

// Records the size of every batch the session asks for (for the bare loop).
class BatchRecorder final : public engine::NeuralPredicates {
 public:
  explicit BatchRecorder(engine::NeuralPredicates& inner) : inner_(inner) {}
  Result<engine::PredictionSet> Predict(const engine::NeuralSpec& spec,
                                        std::span<const engine::Value> inputs) override {
    sizes_.push_back(1);
    return inner_.Predict(spec, inputs);
  }
  Result<std::vector<engine::PredictionSet>> PredictBatch(
      const engine::NeuralSpec& spec, engine::InputRows inputs) override {
    sizes_.push_back(static_cast<std::int64_t>(inputs.size()));
    return inner_.PredictBatch(spec, inputs);
  }
  const std::vector<std::int64_t>& sizes() const { return sizes_; }

 private:
  engine::NeuralPredicates& inner_;
  std::vector<std::int64_t> sizes_;
};

struct RuleRun {
  double seconds = 0;
  std::uint64_t model_batches = 0, model_inputs = 0;
  std::uint64_t forward_passes = 0, examples = 0;
  std::size_t answers = 0, correct = 0;
  std::vector<std::int64_t> predicted;  // by photo id: label index, -1 if none
  std::vector<std::int64_t> batch_sizes;
};

struct Bench {
  Options o;
  std::unique_ptr<kb::KnowledgeBase> base;
  std::shared_ptr<const engine::ReteNetwork> network;
  const engine::NeuralSpec* spec = nullptr;
  learners::Dataset test;
  std::vector<engine::Value> photos;  // interned tensors, by test index
  engine::Value outsider;             // a photo not in the test set (loads the model)
  std::vector<std::string> labels;

  // A fresh ModelPredicates with its model loaded (one call on the outsider).
  std::unique_ptr<learners::ModelPredicates> FreshModels() {
    auto m = std::make_unique<learners::ModelPredicates>(base.get());
    m->set_quantized(false);
    Must(m->PredictBatch(*spec, engine::InputRows(std::span(&outsider, 1), 1)).status(), "loading the model");
    return m;
  }

  RuleRun Run(engine::NeuralPredicates& neural, const learners::ModelPredicates& models, BatchRecorder* recorder) {
    const learners::ModelPredicatesStats before = models.stats();
    engine::ForwardSession session(network);
    session.set_neural(&neural);
    const auto relation = network->program().FindRelation("photo");
    if (!relation) Fail("the program has no relation photo", 2);
    RuleRun r;
    const Clock::time_point start = Clock::now();
    for (std::size_t i = 0; i < photos.size(); ++i) {
      Must(session.Assert(*relation, {engine::Value::Int(static_cast<std::int64_t>(i)), photos[i]}).status(),
           "asserting photo " + std::to_string(i));
    }
    const engine::RunResult result = session.Run();
    r.seconds = Since(start);
    if (result.reason != engine::StopReason::kAgendaEmpty) Fail("the rule run stopped: " + result.message);
    r.model_batches = session.model_batches();
    r.model_inputs = session.model_inputs();
    r.forward_passes = models.stats().forward_passes - before.forward_passes;
    r.examples = models.stats().examples - before.examples;
    r.predicted.assign(photos.size(), -1);
    const engine::Relation* garment = session.memory().Get("garment");
    if (garment == nullptr) Fail("the program has no relation garment", 2);
    garment->ForEach([&](engine::FactId id) {
      const auto row = garment->row(id);
      const auto i = static_cast<std::size_t>(row[0].as_int());
      const auto it = std::find(labels.begin(), labels.end(), std::string(row[1].text()));
      if (i < photos.size() && it != labels.end()) r.predicted[i] = it - labels.begin();
      ++r.answers;
    });
    for (std::size_t i = 0; i < photos.size(); ++i) r.correct += r.predicted[i] == test.examples.labels[i];
    if (recorder != nullptr) r.batch_sizes = recorder->sizes();
    return r;
  }
};

json RunJson(const RuleRun& r, const std::vector<double>& times) {
  return {{"seconds", r.seconds},          {"all_seconds", times},       {"model_batches", r.model_batches},
          {"model_inputs", r.model_inputs}, {"forward_passes", r.forward_passes}, {"examples", r.examples},
          {"answers", r.answers},          {"accuracy", r.answers ? double(r.correct) / double(r.answers) : 0.0}};
}

}  // namespace

int main(int argc, char** argv) {
  Bench b;
  b.o = ParseArgs(argc, argv);
  const Options& o = b.o;
  engine::NeuralBackend* backend = Must(engine::LoadNeuralBackend(), "loading the learners module");
  backend->SetThreads(o.threads);
  b.base = Must(kb::KnowledgeBase::Open(o.db, kb::OpenMode::kReadOnly), "opening " + o.db);
  b.network = CompileProgram(o.program);
  for (const auto& n : b.network->program().neurals) {
    if (n.model == o.model) b.spec = &n;
  }
  if (b.spec == nullptr) Fail(o.program + " has no neural declaration using model " + o.model, 2);

  auto served_float = Must(learners::LoadServedModel(*b.base, o.model, std::nullopt, false), "loading " + o.model);
  b.labels = served_float->labels;
  b.test = Must(learners::ReadIdx(IdxFile(o.data, "t10k-images-idx3-ubyte"), IdxFile(o.data, "t10k-labels-idx1-ubyte"),
                                  b.labels, o.limit),
                "reading the test split");
  const std::int64_t n = b.test.size();
  const std::int64_t size = b.test.examples.example_size();
  // Photos as the facts hold them: raw pixels in [0, 1], interned (not timed).
  auto& pool = engine::TensorPool::Global();
  std::vector<std::int64_t> shape(b.test.examples.example_shape.begin() + 1, b.test.examples.example_shape.end());
  for (std::int64_t i = 0; i < n; ++i) {
    std::span<const float> pixels(b.test.examples.features.data() + i * size, static_cast<std::size_t>(size));
    b.photos.push_back(engine::Value::Tensor(pool.Intern(pixels, shape)));
  }
  std::vector<std::uint32_t> ids;
  for (const auto& p : b.photos) ids.push_back(p.as_tensor());
  std::sort(ids.begin(), ids.end());
  const std::size_t distinct = std::unique(ids.begin(), ids.end()) - ids.begin();
  std::vector<float> grey(static_cast<std::size_t>(size), 0.123f);
  b.outsider = engine::Value::Tensor(pool.Intern(grey, shape));

  // Pre-normalised features for the bare loops.
  std::vector<float> normalized = b.test.examples.features;
  served_float->normalization.Apply(normalized, size);
  engine::LoadedModel& bare = *served_float->model;

  json out;
  out["backend"] = backend->Describe();
  out["model"] = o.model + "@" + std::to_string(served_float->version);
  out["photos"] = n;
  out["distinct_photos"] = distinct;
  out["threads"] = o.threads;
  out["repeats"] = o.repeats;

  // ---- batched rule run and the bare forward loop on the same batches,
  // alternately (after a warm-up of each), so that a machine whose speed
  // drifts from minute to minute slows both alike; the best of each counts.
  auto rule_run = [&]() {
    auto models = b.FreshModels();
    BatchRecorder recorder(*models);
    return b.Run(recorder, *models, &recorder);
  };
  RuleRun batched = rule_run();  // the warm-up; it also records the batch sizes
  const std::vector<std::int64_t> sizes = batched.batch_sizes;
  // The outsider warm-up call is not part of the run's batches.
  std::int64_t covered = 0;
  for (auto s : sizes) covered += s;
  if (covered != n) std::cerr << "learn_bench: the batched run asked for " << covered << " inputs of " << n << "\n";

  std::vector<float> probabilities;
  std::vector<std::int64_t> bare_predicted(static_cast<std::size_t>(n), -1);
  auto bare_pass = [&](const std::vector<std::int64_t>& sizes, bool record) {
    std::int64_t at = 0;
    const Clock::time_point start = Clock::now();
    for (std::int64_t count : sizes) {
      count = std::min(count, n - at);
      std::span<const float> features(normalized.data() + at * size, static_cast<std::size_t>(count * size));
      Must(bare.Predict(features, count, &probabilities), "bare forward");
      if (record) {
        const std::int64_t classes = static_cast<std::int64_t>(b.labels.size());
        for (std::int64_t i = 0; i < count; ++i) {
          const float* p = probabilities.data() + i * classes;
          bare_predicted[at + i] = std::max_element(p, p + classes) - p;
        }
      }
      at += count;
    }
    return Since(start);
  };
  bare_pass(sizes, true);  // the warm-up; it records the bare answers

  std::vector<double> batched_times, bare_times;
  double bare_batched = 0;
  for (int rep = 1; rep <= o.repeats; ++rep) {
    RuleRun r = rule_run();
    batched_times.push_back(r.seconds);
    if (rep == 1 || r.seconds < batched.seconds) batched = std::move(r);
    if (o.rule_runs_only) continue;
    const double s = bare_pass(sizes, false);
    bare_times.push_back(s);
    if (bare_batched == 0 || s < bare_batched) bare_batched = s;
  }
  std::cerr << "learn_bench: batched rule run " << batched.seconds << " s (" << batched.model_batches
            << " batches)\n";
  if (o.rule_runs_only) return 0;
  std::size_t disagreements = 0, bare_correct = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    disagreements += bare_predicted[i] != batched.predicted[i];
    bare_correct += bare_predicted[i] == b.test.examples.labels[i];
  }
  std::cerr << "learn_bench: bare forward, same batches " << bare_batched << " s\n";

  // ---- one call per fact
  RuleRun per_fact;
  std::vector<double> per_fact_times;
  for (int rep = 0; rep < o.per_fact_repeats; ++rep) {
    auto models = b.FreshModels();
    OneCallPerFact one(*models);
    RuleRun r = b.Run(one, *models, nullptr);
    per_fact_times.push_back(r.seconds);
    if (per_fact.seconds == 0 || r.seconds < per_fact.seconds) per_fact = r;
    std::cerr << "learn_bench: one call per fact " << r.seconds << " s (" << one.calls() << " calls)\n";
  }
  std::size_t per_fact_disagreements = 0;
  for (std::int64_t i = 0; i < n; ++i) per_fact_disagreements += per_fact.predicted[i] != batched.predicted[i];

  // ---- bare forward, one example per call
  double bare_single = 0;
  for (int rep = 0; rep < o.per_fact_repeats; ++rep) {
    const double s = bare_pass(std::vector<std::int64_t>(static_cast<std::size_t>(n), 1), false);
    if (bare_single == 0 || s < bare_single) bare_single = s;
  }

  out["rule_batched"] = RunJson(batched, batched_times);
  out["rule_per_fact"] = RunJson(per_fact, per_fact_times);
  out["bare_batched"] = {{"seconds", bare_batched},
                         {"all_seconds", bare_times},
                         {"batches", sizes},
                         {"accuracy", n ? double(bare_correct) / double(n) : 0.0}};
  out["bare_per_example"] = {{"seconds", bare_single}, {"calls", n}};
  out["disagreements"] = {{"batched_vs_bare", disagreements}, {"per_fact_vs_batched", per_fact_disagreements}};
  out["batch_speedup"] = batched.seconds > 0 ? per_fact.seconds / batched.seconds : 0.0;
  out["batched_overhead"] = bare_batched > 0 ? batched.seconds / bare_batched : 0.0;

  // ---- float vs int8
  json quant;
  for (bool quantized : {false, true}) {
    auto served = Must(learners::LoadServedModel(*b.base, o.model, std::nullopt, quantized), "loading " + o.model);
    if (served->model->quantized() != quantized) Fail("the module did not load the model as asked (int8)");
    engine::TensorBatch data = b.test.examples;
    served->normalization.Apply(data.features, size);
    double accuracy = Must(learners::Accuracy(*served->model, data), "accuracy");  // warm-up
    double best = 0;
    for (int rep = 0; rep < o.repeats; ++rep) {
      const Clock::time_point start = Clock::now();
      accuracy = Must(learners::Accuracy(*served->model, data), "accuracy");
      const double s = Since(start);
      if (best == 0 || s < best) best = s;
    }
    // One example per call, on the first 2000 (the latency a single rule call sees).
    const std::int64_t m = std::min<std::int64_t>(n, 2000);
    double best_single = 0;
    for (int rep = 0; rep < o.repeats; ++rep) {
      const Clock::time_point start = Clock::now();
      for (std::int64_t i = 0; i < m; ++i) {
        Must(served->model->Predict(std::span<const float>(data.features.data() + i * size,
                                                            static_cast<std::size_t>(size)),
                                    1, &probabilities),
             "predict");
      }
      const double s = Since(start);
      if (best_single == 0 || s < best_single) best_single = s;
    }
    quant[quantized ? "int8" : "float"] = {{"accuracy", accuracy},
                                           {"seconds", best},
                                           {"examples_per_second", best > 0 ? double(n) / best : 0.0},
                                           {"batch1_examples_per_second", best_single > 0 ? double(m) / best_single : 0.0}};
    std::cerr << "learn_bench: " << (quantized ? "int8" : "float") << " accuracy " << accuracy << ", " << best
              << " s\n";
  }
  quant["speedup"] = quant["int8"]["seconds"].get<double>() > 0
                         ? quant["float"]["seconds"].get<double>() / quant["int8"]["seconds"].get<double>()
                         : 0.0;
  quant["batch1_speedup"] = quant["float"]["batch1_examples_per_second"].get<double>() > 0
                                ? quant["int8"]["batch1_examples_per_second"].get<double>() /
                                      quant["float"]["batch1_examples_per_second"].get<double>()
                                : 0.0;
  quant["accuracy_drop"] = quant["float"]["accuracy"].get<double>() - quant["int8"]["accuracy"].get<double>();
  out["quantization"] = quant;
  std::cout << out.dump(1) << "\n";
  // The same batches through the rule run and the bare loop should agree; a
  // near tie may still round the other way when the session orders a batch's
  // rows differently, hence the small allowance.
  const bool consistent = batched.answers == std::size_t(n) && per_fact.answers == std::size_t(n) &&
                          disagreements * 1000 <= std::size_t(n) && per_fact_disagreements * 1000 <= std::size_t(n);
  if (!consistent) std::cerr << "learn_bench: the rule runs and the bare forward pass disagree\n";
  return consistent ? 0 : 1;
}

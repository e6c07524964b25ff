// LoadDataset: picks the reader for the source, shuffles and splits.
//
// Splitting. The examples are shuffled with a Fisher–Yates of our own driven by
// std::mt19937_64(seed) (std::shuffle and the distributions differ between
// standard libraries; the engine is specified exactly), then laid out as
// [train | validation | test]:
//   idx:DIR          the train file is shuffled and validation_fraction of it
//                    taken from its end; the t10k file is the test split.
//   idx:DIR/PREFIX,  test_fraction and validation_fraction of all examples are
//   csv:, kb:        taken from the end (test last); the rest is train.
// Counts are rounded to the nearest example.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "learners/dataset.h"
#include "learners/dataset_sources.h"

namespace syllo::learners {

// ---- Labels ------------------------------------------------------------------------

namespace {

// Labels that are integers ("0".."10", as IDX and many CSV files have them)
// sort by value, before every other label, which sorts by text.
struct LabelOrder {
  static bool AsInteger(const std::string& s, std::int64_t* v) {
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return ec == std::errc() && end == s.data() + s.size() && std::to_string(*v) == s;  // canonical only
  }
  bool operator()(const std::string& a, const std::string& b) const {
    std::int64_t x = 0, y = 0;
    const bool ai = AsInteger(a, &x), bi = AsInteger(b, &y);
    if (ai != bi) return ai;
    if (ai) return x < y;
    return a < b;
  }
};

}  // namespace

LabelIndexer::LabelIndexer(const std::vector<std::string>& declared) : declared_(declared) {
  for (std::size_t i = 0; i < declared_.size(); ++i) index_.emplace(declared_[i], static_cast<std::int64_t>(i));
}

bool LabelIndexer::Add(const std::string& text) {
  if (declared_.empty()) {
    texts_.push_back(text);
    return true;
  }
  auto it = index_.find(text);
  if (it == index_.end()) return false;
  labels_.push_back(it->second);
  return true;
}

void LabelIndexer::Finish(std::vector<std::string>& label_names, std::vector<std::int64_t>& labels) const {
  if (!declared_.empty()) {
    label_names = declared_;
    labels = labels_;
    return;
  }
  std::set<std::string, LabelOrder> distinct(texts_.begin(), texts_.end());
  label_names.assign(distinct.begin(), distinct.end());
  labels.clear();
  labels.reserve(texts_.size());
  for (const std::string& t : texts_) {
    labels.push_back(std::lower_bound(label_names.begin(), label_names.end(), t, LabelOrder()) - label_names.begin());
  }
}

std::string LabelIndexer::DeclaredList() const {
  constexpr std::size_t kShown = 12;
  std::string s;
  for (std::size_t i = 0; i < declared_.size() && i < kShown; ++i) s += (i ? ", " : "") + declared_[i];
  if (declared_.size() > kShown) s += ", ... (" + std::to_string(declared_.size()) + " in all)";
  return s;
}

namespace {

// ---- Shuffling and splitting ---------------------------------------------------------

// A uniform integer in [0, bound) by rejection, so that no residue is favoured.
std::uint64_t UniformBelow(std::mt19937_64& rng, std::uint64_t bound) {
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % bound;
  while (true) {
    const std::uint64_t x = rng();
    if (x < limit) return x % bound;
  }
}

std::vector<std::int64_t> Permutation(std::int64_t n, std::uint64_t seed) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  std::mt19937_64 rng(seed);
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(UniformBelow(rng, static_cast<std::uint64_t>(i) + 1));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  return order;
}

// The examples of `from` at positions order[begin, end), in that order.
Dataset Take(const Dataset& from, const std::vector<std::int64_t>& order, std::size_t begin, std::size_t end) {
  Dataset out;
  out.label_names = from.label_names;
  out.examples.example_shape = from.examples.example_shape;
  const std::int64_t size = from.examples.example_size();
  out.examples.features.reserve((end - begin) * static_cast<std::size_t>(size));
  out.examples.labels.reserve(end - begin);
  for (std::size_t k = begin; k < end; ++k) {
    const std::int64_t i = order[k];
    auto first = from.examples.features.begin() + i * size;
    out.examples.features.insert(out.examples.features.end(), first, first + size);
    if (!from.examples.labels.empty()) out.examples.labels.push_back(from.examples.labels[static_cast<std::size_t>(i)]);
  }
  return out;
}

std::size_t Fraction(std::size_t n, double fraction) {
  return std::min(n, static_cast<std::size_t>(std::llround(static_cast<double>(n) * fraction)));
}

Status CheckFractions(const DataOptions& options, bool with_test) {
  auto bad = [](double f) { return !(f >= 0.0 && f < 1.0); };
  if (bad(options.validation_fraction)) {
    return Status::InvalidArgument("the validation fraction must lie in [0, 1), not " +
                                   std::to_string(options.validation_fraction));
  }
  if (with_test) {
    if (bad(options.test_fraction)) {
      return Status::InvalidArgument("the test fraction must lie in [0, 1), not " + std::to_string(options.test_fraction));
    }
    if (options.validation_fraction + options.test_fraction >= 1.0) {
      return Status::InvalidArgument("the validation and test fractions leave no training data");
    }
  }
  return Status::Ok();
}

std::string SplitSummary(const std::string& source, const DatasetSplits& s) {
  return source + " (train " + std::to_string(s.train.size()) + ", validation " + std::to_string(s.validation.size()) +
         ", test " + std::to_string(s.test.size()) + ")";
}

void Describe(const std::string& source, DatasetSplits& s) {
  const std::string summary = SplitSummary(source, s);
  s.train.description = summary;
  s.validation.description = summary;
  s.test.description = summary;
}

// [train | validation | test] of the shuffled `all`.
DatasetSplits SplitAll(const Dataset& all, const DataOptions& options) {
  const auto n = static_cast<std::size_t>(all.size());
  const std::vector<std::int64_t> order = Permutation(all.size(), options.seed);
  const std::size_t test = Fraction(n, options.test_fraction);
  const std::size_t validation = std::min(n - test, Fraction(n, options.validation_fraction));
  const std::size_t train = n - test - validation;
  DatasetSplits s;
  s.train = Take(all, order, 0, train);
  s.validation = Take(all, order, train, train + validation);
  s.test = Take(all, order, train + validation, n);
  return s;
}

// ---- IDX sources -----------------------------------------------------------------

// DIR/PREFIX-images-idx3-ubyte (or .gz) and its labels; NotFound naming the
// candidates if either is missing.
Status FindIdxPair(const std::string& dir, const std::string& prefix, std::string* images, std::string* labels) {
  auto find = [&](const std::string& stem, std::string* out) -> Status {
    const std::string plain = (std::filesystem::path(dir) / stem).string();
    std::error_code ec;
    for (const std::string& candidate : {plain, plain + ".gz"}) {
      if (std::filesystem::is_regular_file(candidate, ec)) {
        *out = candidate;
        return Status::Ok();
      }
    }
    return Status::NotFound("no IDX file " + plain + " (or .gz)");
  };
  if (Status s = find(prefix + "-images-idx3-ubyte", images); !s.ok()) return s;
  return find(prefix + "-labels-idx1-ubyte", labels);
}

Result<DatasetSplits> LoadIdx(const std::string& spec, const DataOptions& options) {
  const std::string source = "idx:" + spec;
  std::error_code ec;
  std::string images, labels;
  if (std::filesystem::is_directory(spec, ec)) {
    if (Status s = CheckFractions(options, false); !s.ok()) return s;
    if (Status s = FindIdxPair(spec, "train", &images, &labels); !s.ok()) return s;
    Result<Dataset> train = ReadIdx(images, labels, options.labels, options.limit);
    if (!train.ok()) return train.status();
    if (Status s = FindIdxPair(spec, "t10k", &images, &labels); !s.ok()) return s;
    Result<Dataset> test = ReadIdx(images, labels, options.labels, options.limit);
    if (!test.ok()) return test.status();
    if (test->examples.example_shape != train->examples.example_shape) {
      return Status::InvalidArgument(source + ": the train and t10k images differ in size");
    }
    const auto n = static_cast<std::size_t>(train->size());
    const std::vector<std::int64_t> order = Permutation(train->size(), options.seed);
    const std::size_t validation = Fraction(n, options.validation_fraction);
    DatasetSplits s;
    s.train = Take(*train, order, 0, n - validation);
    s.validation = Take(*train, order, n - validation, n);
    s.test = std::move(*test);
    Describe(source, s);
    return s;
  }
  const std::filesystem::path path(spec);
  const std::string dir = path.has_parent_path() ? path.parent_path().string() : ".";
  const std::string prefix = path.filename().string();
  if (prefix.empty()) return Status::InvalidArgument(source + ": expected idx:DIR or idx:DIR/PREFIX");
  if (Status s = CheckFractions(options, true); !s.ok()) return s;
  if (Status s = FindIdxPair(dir, prefix, &images, &labels); !s.ok()) return s;
  Result<Dataset> all = ReadIdx(images, labels, options.labels, options.limit);
  if (!all.ok()) return all.status();
  DatasetSplits s = SplitAll(*all, options);
  Describe(source, s);
  return s;
}

}  // namespace

// ---- LoadDataset -------------------------------------------------------------------

Result<DatasetSplits> LoadDataset(const std::string& source, const DataOptions& options, kb::KnowledgeBase* kb) {
  const std::size_t colon = source.find(':');
  const std::string kind = colon == std::string::npos ? "" : source.substr(0, colon);
  const std::string rest = colon == std::string::npos ? "" : source.substr(colon + 1);
  if (rest.empty() || (kind != "idx" && kind != "csv" && kind != "kb")) {
    return Status::InvalidArgument("dataset '" + source + "': expected idx:DIR[/PREFIX], csv:FILE or kb:RELATION");
  }
  if (kind == "idx") return LoadIdx(rest, options);

  if (Status s = CheckFractions(options, true); !s.ok()) return s;
  Result<Dataset> all = Status::Internal("unreachable");
  if (kind == "csv") {
    all = ReadCsvDataset(rest, options);
  } else {
    if (kb == nullptr) return Status::InvalidArgument("dataset '" + source + "' needs a knowledge base");
    all = ReadKbDataset(*kb, rest, options);
  }
  if (!all.ok()) return all.status();
  if (all->size() == 0) return Status::InvalidArgument(source + ": no examples");
  DatasetSplits s = SplitAll(*all, options);
  Describe(source, s);
  return s;
}

}  // namespace syllo::learners

// Datasets: IDX (plain and gzip, and the real Fashion-MNIST file when it is
// installed), CSV and KB relations, the splits, and the normalisation.
#include "learners/dataset.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/tensor_pool.h"
#include "engine/value.h"
#include "kb/knowledge_base.h"

namespace syllo::learners {
namespace {

using engine::Column;
using engine::ColumnType;
using engine::Value;
using engine::ValueKind;

::testing::AssertionResult Contains(const std::string& text, const std::string& piece) {
  if (text.find(piece) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << piece << "'";
}

// A directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("syllo_dataset_test_" + std::string(info ? info->name() : "x") + "_" + std::to_string(getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

void WriteBytes(const std::string& path, const std::vector<unsigned char>& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

void PutBigEndian32(std::vector<unsigned char>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<unsigned char>(v >> shift));
}

// `count` images of rows x cols whose pixel p of image i is (i * 10 + p) % 256,
// and labels i % 10.
std::vector<unsigned char> IdxImages(std::uint32_t count, std::uint32_t rows, std::uint32_t cols) {
  std::vector<unsigned char> b;
  PutBigEndian32(b, 0x00000803);
  PutBigEndian32(b, count);
  PutBigEndian32(b, rows);
  PutBigEndian32(b, cols);
  for (std::uint32_t i = 0; i < count; ++i) {
    for (std::uint32_t p = 0; p < rows * cols; ++p) b.push_back(static_cast<unsigned char>((i * 10 + p) % 256));
  }
  return b;
}

std::vector<unsigned char> IdxLabels(std::uint32_t count) {
  std::vector<unsigned char> b;
  PutBigEndian32(b, 0x00000801);
  PutBigEndian32(b, count);
  for (std::uint32_t i = 0; i < count; ++i) b.push_back(static_cast<unsigned char>(i % 10));
  return b;
}

// Writes PREFIX-images-idx3-ubyte[.gz] and its labels into `dir`.
void WriteIdxPair(const std::string& dir, const std::string& prefix, std::uint32_t count, bool gzip) {
  const std::string ext = gzip ? ".gz" : "";
  WriteBytes(dir + "/" + prefix + "-images-idx3-ubyte" + ext, IdxImages(count, 2, 3), gzip);
  WriteBytes(dir + "/" + prefix + "-labels-idx1-ubyte" + ext, IdxLabels(count), gzip);
}

// ---- IDX ---------------------------------------------------------------------------

TEST(DatasetIdx, ReadsPlainAndGzipAlike) {
  TempDir dir;
  for (bool gzip : {false, true}) {
    SCOPED_TRACE(gzip ? "gzip" : "plain");
    const std::string images = dir.File(gzip ? "i.gz" : "i"), labels = dir.File(gzip ? "l.gz" : "l");
    WriteBytes(images, IdxImages(5, 2, 3), gzip);
    WriteBytes(labels, IdxLabels(5), gzip);
    Result<Dataset> ds = ReadIdx(images, labels, {}, 0);
    ASSERT_TRUE(ds.ok()) << ds.status().ToString();
    EXPECT_EQ(ds->examples.example_shape, (std::vector<std::int64_t>{1, 2, 3}));
    ASSERT_EQ(ds->size(), 5);
    ASSERT_EQ(ds->examples.features.size(), 30u);
    EXPECT_FLOAT_EQ(ds->examples.features[0], 0.0f);
    EXPECT_FLOAT_EQ(ds->examples.features[1], 1 / 255.0f);
    EXPECT_FLOAT_EQ(ds->examples.features[6 * 4 + 5], (40 + 5) / 255.0f);  // image 4, pixel 5
    EXPECT_EQ(ds->examples.labels, (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
    EXPECT_EQ(ds->label_names.size(), 10u);
    EXPECT_EQ(ds->label_names[7], "7");
  }
}

TEST(DatasetIdx, LimitTakesTheFirstExamples) {
  TempDir dir;
  WriteBytes(dir.File("i"), IdxImages(5, 2, 3), false);
  WriteBytes(dir.File("l"), IdxLabels(5), false);
  Result<Dataset> ds = ReadIdx(dir.File("i"), dir.File("l"), {}, 2);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->size(), 2);
  EXPECT_EQ(ds->examples.labels, (std::vector<std::int64_t>{0, 1}));
  EXPECT_FLOAT_EQ(ds->examples.features[6], 10 / 255.0f);
}

TEST(DatasetIdx, GivenLabelNamesAreUsedAndALabelBeyondThemIsAnError) {
  TempDir dir;
  WriteBytes(dir.File("i"), IdxImages(5, 2, 3), false);
  WriteBytes(dir.File("l"), IdxLabels(5), false);
  Result<Dataset> ok = ReadIdx(dir.File("i"), dir.File("l"), {"a", "b", "c", "d", "e"}, 0);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->label_names, (std::vector<std::string>{"a", "b", "c", "d", "e"}));

  Result<Dataset> bad = ReadIdx(dir.File("i"), dir.File("l"), {"a", "b", "c"}, 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status().message(), dir.File("l")));
  EXPECT_TRUE(Contains(bad.status().message(), "example index 3"));
}

TEST(DatasetIdx, WrongMagicNamesTheFile) {
  TempDir dir;
  std::vector<unsigned char> images = IdxImages(3, 2, 3);
  images[3] = 0x01;  // a labels magic in the images file
  WriteBytes(dir.File("i"), images, false);
  WriteBytes(dir.File("l"), IdxLabels(3), false);
  Result<Dataset> ds = ReadIdx(dir.File("i"), dir.File("l"), {}, 0);
  ASSERT_FALSE(ds.ok());
  EXPECT_EQ(ds.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Contains(ds.status().message(), dir.File("i")));
  EXPECT_TRUE(Contains(ds.status().message(), "magic"));
}

TEST(DatasetIdx, TruncatedFileNamesTheFile) {
  TempDir dir;
  for (bool gzip : {false, true}) {
    SCOPED_TRACE(gzip ? "gzip" : "plain");
    std::vector<unsigned char> images = IdxImages(4, 2, 3);
    images.resize(images.size() - 5);
    const std::string path = dir.File(gzip ? "short.gz" : "short");
    WriteBytes(path, images, gzip);
    WriteBytes(dir.File("l"), IdxLabels(4), false);
    Result<Dataset> ds = ReadIdx(path, dir.File("l"), {}, 0);
    ASSERT_FALSE(ds.ok());
    EXPECT_TRUE(Contains(ds.status().message(), path));
    EXPECT_TRUE(Contains(ds.status().message(), "truncated"));
  }
  // A header cut short too.
  WriteBytes(dir.File("tiny"), {0, 0, 8}, false);
  Result<Dataset> ds = ReadIdx(dir.File("tiny"), dir.File("l"), {}, 0);
  ASSERT_FALSE(ds.ok());
  EXPECT_TRUE(Contains(ds.status().message(), dir.File("tiny")));
}

TEST(DatasetIdx, CorruptGzipIsAnError) {
  TempDir dir;
  std::vector<unsigned char> images = IdxImages(50, 4, 4);
  WriteBytes(dir.File("i.gz"), images, true);
  // Flip bytes in the middle of the deflate stream.
  std::fstream f(dir.File("i.gz"), std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(20);
  f.write("\xff\x00\xff\x00\xff\x00\xff\x00", 8);
  f.close();
  WriteBytes(dir.File("l"), IdxLabels(50), false);
  Result<Dataset> ds = ReadIdx(dir.File("i.gz"), dir.File("l"), {}, 0);
  ASSERT_FALSE(ds.ok());
  EXPECT_TRUE(Contains(ds.status().message(), dir.File("i.gz")));
}

TEST(DatasetIdx, CountMismatchNamesBothFiles) {
  TempDir dir;
  WriteBytes(dir.File("i"), IdxImages(5, 2, 3), false);
  WriteBytes(dir.File("l"), IdxLabels(4), false);
  Result<Dataset> ds = ReadIdx(dir.File("i"), dir.File("l"), {}, 0);
  ASSERT_FALSE(ds.ok());
  EXPECT_TRUE(Contains(ds.status().message(), dir.File("i")));
  EXPECT_TRUE(Contains(ds.status().message(), dir.File("l")));
  EXPECT_TRUE(Contains(ds.status().message(), "5 images"));
  EXPECT_TRUE(Contains(ds.status().message(), "4 labels"));
}

TEST(DatasetIdx, MissingFileIsNotFound) {
  TempDir dir;
  Result<Dataset> ds = ReadIdx(dir.File("nope"), dir.File("nope2"), {}, 0);
  ASSERT_FALSE(ds.ok());
  EXPECT_EQ(ds.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(ds.status().message(), dir.File("nope")));
}

TEST(DatasetIdx, DirectoryLoadsTrainAndT10kAsTest) {
  TempDir dir;
  WriteIdxPair(dir.path(), "train", 20, true);
  WriteIdxPair(dir.path(), "t10k", 7, false);
  DataOptions options;
  options.validation_fraction = 0.25;
  Result<DatasetSplits> s = LoadDataset("idx:" + dir.path(), options, nullptr);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->train.size(), 15);
  EXPECT_EQ(s->validation.size(), 5);
  ASSERT_EQ(s->test.size(), 7);
  EXPECT_EQ(s->test.examples.labels, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6}));  // in file order
  EXPECT_EQ(s->train.examples.example_shape, (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(s->train.description, "idx:" + dir.path() + " (train 15, validation 5, test 7)");
  // Train and validation are a permutation of the train file: each image's
  // first pixel is 10 * i, so collect those.
  std::vector<int> seen;
  for (const Dataset* d : {&s->train, &s->validation}) {
    for (std::int64_t e = 0; e < d->size(); ++e) {
      const int i = static_cast<int>(std::lround(d->examples.features[static_cast<std::size_t>(e * 6)] * 255)) / 10;
      seen.push_back(i);
      EXPECT_EQ(d->examples.labels[static_cast<std::size_t>(e)], i % 10);  // labels travel with their images
    }
  }
  std::vector<int> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(sorted[static_cast<std::size_t>(i)], i);
  EXPECT_FALSE(std::is_sorted(seen.begin(), seen.end())) << "the train file was not shuffled";
}

TEST(DatasetIdx, PrefixLoadsOnePairAndSplitsIt) {
  TempDir dir;
  WriteIdxPair(dir.path(), "t10k", 40, false);
  DataOptions options;
  options.validation_fraction = 0.25;
  options.test_fraction = 0.1;
  Result<DatasetSplits> s = LoadDataset("idx:" + dir.path() + "/t10k", options, nullptr);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->train.size(), 26);
  EXPECT_EQ(s->validation.size(), 10);
  EXPECT_EQ(s->test.size(), 4);

  Result<DatasetSplits> missing = LoadDataset("idx:" + dir.path() + "/train", options, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(missing.status().message(), "train-images-idx3-ubyte"));
}

TEST(DatasetIdx, RealFashionMnistTestFile) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(dir + "/t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << dir << " is not installed";
  const std::vector<std::string> names = {"tshirt", "trouser", "pullover", "dress", "coat",
                                          "sandal", "shirt",   "sneaker",  "bag",   "boot"};
  Result<Dataset> ds =
      ReadIdx(dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz", names, 100);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->size(), 100);
  EXPECT_EQ(ds->examples.example_shape, (std::vector<std::int64_t>{1, 28, 28}));
  EXPECT_EQ(ds->label_names, names);
  ASSERT_EQ(ds->examples.labels.size(), 100u);
  for (std::int64_t label : ds->examples.labels) {
    EXPECT_GE(label, 0);
    EXPECT_LT(label, 10);
  }
  EXPECT_EQ(ds->examples.labels[0], 9);  // the first test image is an ankle boot
  const auto [lo, hi] = std::minmax_element(ds->examples.features.begin(), ds->examples.features.end());
  EXPECT_GE(*lo, 0.0f);
  EXPECT_LE(*hi, 1.0f);
  EXPECT_GT(*hi, 0.9f);  // real images reach (near) white
}

// ---- CSV ---------------------------------------------------------------------------

TEST(DatasetCsv, ReadsFeaturesAndSortedLabels) {
  TempDir dir;
  const std::string path = dir.File("data.csv");
  WriteText(path, "a,label,b\n1,yes,2.5\n\n-3e1,no,+4\n0.5,yes,0\n");
  DataOptions options;
  options.validation_fraction = 0;
  options.test_fraction = 0;
  Result<DatasetSplits> s = LoadDataset("csv:" + path, options, nullptr);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const Dataset& train = s->train;
  EXPECT_EQ(train.examples.example_shape, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(train.label_names, (std::vector<std::string>{"no", "yes"}));
  ASSERT_EQ(train.size(), 3);
  EXPECT_EQ(train.description, "csv:" + path + " (train 3, validation 0, test 0)");
  // Shuffled: find each row by its label and features.
  std::vector<std::vector<float>> rows;
  for (std::int64_t e = 0; e < 3; ++e) {
    rows.push_back({train.examples.features[static_cast<std::size_t>(2 * e)],
                    train.examples.features[static_cast<std::size_t>(2 * e + 1)],
                    static_cast<float>(train.examples.labels[static_cast<std::size_t>(e)])});
  }
  std::sort(rows.begin(), rows.end());
  EXPECT_EQ(rows[0], (std::vector<float>{-30.0f, 4.0f, 0.0f}));
  EXPECT_EQ(rows[1], (std::vector<float>{0.5f, 0.0f, 1.0f}));
  EXPECT_EQ(rows[2], (std::vector<float>{1.0f, 2.5f, 1.0f}));
}

TEST(DatasetCsv, DeclaredLabelsAndLabelColumnAndIntegerLabelOrder) {
  TempDir dir;
  const std::string path = dir.File("d.csv");
  WriteText(path, "x,kind\n1,10\n2,2\n3,1\n");
  DataOptions options;
  options.label_column = "kind";
  options.validation_fraction = 0;
  options.test_fraction = 0;
  Result<DatasetSplits> s = LoadDataset("csv:" + path, options, nullptr);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->train.label_names, (std::vector<std::string>{"1", "2", "10"}));  // by value, not text

  options.labels = {"10", "1", "2"};
  s = LoadDataset("csv:" + path, options, nullptr);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->train.label_names, options.labels);
  for (std::int64_t e = 0; e < s->train.size(); ++e) {
    const float x = s->train.examples.features[static_cast<std::size_t>(e)];
    const std::int64_t label = s->train.examples.labels[static_cast<std::size_t>(e)];
    EXPECT_EQ(label, x == 1 ? 0 : x == 2 ? 2 : 1) << "x=" << x;
  }
}

struct CsvErrorCase {
  const char* name;
  const char* text;
  const char* expected;  // a piece of the message after "FILE:"
};

TEST(DatasetCsv, ErrorsNameFileRowAndColumn) {
  const CsvErrorCase cases[] = {
      {"not a number", "a,b,label\n1,2,cat\n3,abc,dog\n", ":row 2: column 'b': 'abc' is not a number"},
      {"NaN", "a,b,label\n1,nan,cat\n", ":row 1: column 'b': 'nan' is not a finite number"},
      {"infinity", "a,b,label\n1,2,cat\n1,2,cat\n-inf,2,cat\n", ":row 3: column 'a': '-inf' is not a finite number"},
      {"overflow", "a,b,label\n1,1e999,cat\n", ":row 1: column 'b': '1e999' is not a finite number"},
      {"empty cell", "a,b,label\n1,,cat\n", ":row 1: column 'b': '' is not a number"},
      {"ragged row", "a,b,label\n1,2,cat\n1,2\n", ":row 2: 2 fields, but the header has 3"},
      {"long row", "a,b,label\n1,2,x,4\n", ":row 1: 4 fields, but the header has 3"},
      {"unknown label", "a,b,label\n1,2,cat\n1,2,bird\n", ":row 2: column 'label': 'bird' is not one of the labels"},
      {"empty label", "a,b,label\n1,2,\n", ":row 1: column 'label': the label is empty"},
      {"no label column", "a,b,c\n1,2,3\n", ": no label column 'label' in the header (a, b, c)"},
  };
  TempDir dir;
  const std::string path = dir.File("bad.csv");
  DataOptions options;
  options.labels = {"cat", "dog"};
  for (const CsvErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    WriteText(path, c.text);
    Result<DatasetSplits> s = LoadDataset("csv:" + path, options, nullptr);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(Contains(s.status().message(), path + c.expected));
  }
}

TEST(DatasetCsv, MissingFileAndBadSource) {
  TempDir dir;
  Result<DatasetSplits> s = LoadDataset("csv:" + dir.File("none.csv"), {}, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(s.status().message(), "none.csv"));

  s = LoadDataset("parquet:x", {}, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.status().message(), "expected idx:DIR[/PREFIX], csv:FILE or kb:RELATION"));
}

// ---- KB relations ---------------------------------------------------------------------

class DatasetKb : public ::testing::Test {
 protected:
  void SetUp() override {
    auto kb = kb::KnowledgeBase::Open(dir_.File("facts.db"), kb::OpenMode::kCreate);
    ASSERT_TRUE(kb.ok()) << kb.status().ToString();
    kb_ = std::move(*kb);
  }
  static kb::FactRow Row(std::vector<Value> values, double certainty = 1.0) {
    kb::FactRow r;
    r.values = std::move(values);
    r.certainty = certainty;
    return r;
  }
  static DataOptions NoSplit() {
    DataOptions o;
    o.validation_fraction = 0;
    o.test_fraction = 0;
    return o;
  }

  TempDir dir_;
  std::unique_ptr<kb::KnowledgeBase> kb_;
};

TEST_F(DatasetKb, NumberColumnsAreTheFeatures) {
  ASSERT_TRUE(kb_->DeclareRelation("flower", {{"name", ColumnType::Of(ValueKind::kString)},
                                              {"length", ColumnType::Of(ValueKind::kFloat)},
                                              {"petals", ColumnType::Of(ValueKind::kInt)},
                                              {"label", ColumnType::Of(ValueKind::kSymbol)}})
                  .ok());
  std::vector<kb::FactRow> rows = {
      Row({Value::MakeString("a"), Value::Float(1.5), Value::Int(5), Value::MakeSymbol("rose")}, 0.3),
      Row({Value::MakeString("b"), Value::Float(-2), Value::Int(3), Value::MakeSymbol("iris")}),
  };
  ASSERT_TRUE(kb_->InsertFacts("flower", rows).ok());
  Result<std::vector<kb::FactRow>> facts = kb_->Facts("flower");
  ASSERT_TRUE(facts.ok()) << facts.status().ToString();
  ASSERT_EQ(facts->size(), 2u);
  EXPECT_DOUBLE_EQ((*facts)[0].certainty, 0.3);

  DataOptions options = NoSplit();
  options.seed = 1;
  Result<DatasetSplits> s = LoadDataset("kb:flower", options, kb_.get());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const Dataset& d = s->train;
  EXPECT_EQ(d.examples.example_shape, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"iris", "rose"}));
  ASSERT_EQ(d.size(), 2);
  for (std::int64_t e = 0; e < 2; ++e) {
    const float length = d.examples.features[static_cast<std::size_t>(2 * e)];
    const float petals = d.examples.features[static_cast<std::size_t>(2 * e + 1)];
    const std::int64_t label = d.examples.labels[static_cast<std::size_t>(e)];
    if (label == 1) {
      EXPECT_EQ(length, 1.5f);
      EXPECT_EQ(petals, 5.0f);
    } else {
      EXPECT_EQ(length, -2.0f);
      EXPECT_EQ(petals, 3.0f);
    }
  }
  EXPECT_EQ(d.description, "kb:flower (train 2, validation 0, test 0)");
}

TEST_F(DatasetKb, OneTensorColumnIsTheFeatures) {
  ASSERT_TRUE(kb_->DeclareRelation("image", {{"id", ColumnType::Of(ValueKind::kInt)},
                                             {"pixels", ColumnType::Tensor({2, 2})},
                                             {"label", ColumnType::Of(ValueKind::kInt)}})
                  .ok());
  std::vector<kb::FactRow> rows;
  for (int i = 0; i < 12; ++i) {
    const std::vector<float> px = {float(i), float(i) + 0.25f, -float(i), 0.5f};
    const std::uint32_t id = engine::TensorPool::Global().Intern(px, {2, 2});
    rows.push_back(Row({Value::Int(i), Value::Tensor(id), Value::Int(i % 3)}));
  }
  ASSERT_TRUE(kb_->InsertFacts("image", rows).ok());
  Result<DatasetSplits> s = LoadDataset("kb:image", NoSplit(), kb_.get());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const Dataset& d = s->train;
  EXPECT_EQ(d.examples.example_shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"0", "1", "2"}));
  ASSERT_EQ(d.size(), 12);
  for (std::int64_t e = 0; e < 12; ++e) {
    const float* x = &d.examples.features[static_cast<std::size_t>(4 * e)];
    const int i = static_cast<int>(x[0]);
    EXPECT_EQ(x[1], float(i) + 0.25f);
    EXPECT_EQ(x[2], -float(i));
    EXPECT_EQ(x[3], 0.5f);
    EXPECT_EQ(d.examples.labels[static_cast<std::size_t>(e)], i % 3);
  }
}

TEST_F(DatasetKb, ErrorsNameRelationRowAndColumn) {
  ASSERT_TRUE(kb_->DeclareRelation("thing", {{"x", ColumnType::Of(ValueKind::kFloat)},
                                             {"label", ColumnType::Of(ValueKind::kSymbol)},
                                             {"flag", ColumnType::Of(ValueKind::kBool)}})
                  .ok());
  std::vector<kb::FactRow> rows = {Row({Value::Float(1), Value::MakeSymbol("cat"), Value::Bool(true)}),
                                   Row({Value::Float(2), Value::MakeSymbol("bird"), Value::Bool(false)})};
  ASSERT_TRUE(kb_->InsertFacts("thing", rows).ok());

  DataOptions options = NoSplit();
  options.labels = {"cat", "dog"};
  Result<DatasetSplits> s = LoadDataset("kb:thing", options, kb_.get());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.status().message(), "kb:thing: row 2: column 'label': 'bird' is not one of the labels"));

  options.label_column = "flag";
  s = LoadDataset("kb:thing", options, kb_.get());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.status().message(), "kb:thing: the label column 'flag' is bool"));

  options.label_column = "kind";
  s = LoadDataset("kb:thing", options, kb_.get());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.status().message(), "no label column 'kind'"));

  s = LoadDataset("kb:nothing", NoSplit(), kb_.get());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);

  s = LoadDataset("kb:thing", NoSplit(), nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.status().message(), "needs a knowledge base"));

  Result<std::vector<kb::FactRow>> facts = kb_->Facts("nothing");
  ASSERT_FALSE(facts.ok());
  EXPECT_EQ(facts.status().code(), StatusCode::kNotFound);
}

// ---- Splits ------------------------------------------------------------------------

// 100 examples of one feature, the example's number.
std::string HundredRows(const TempDir& dir) {
  std::string text = "x,label\n";
  for (int i = 0; i < 100; ++i) text += std::to_string(i) + "," + (i % 2 ? "odd" : "even") + "\n";
  const std::string path = dir.File("hundred.csv");
  WriteText(path, text);
  return path;
}

std::vector<float> Order(const DatasetSplits& s) {
  std::vector<float> all;
  for (const Dataset* d : {&s.train, &s.validation, &s.test}) {
    all.insert(all.end(), d->examples.features.begin(), d->examples.features.end());
  }
  return all;
}

TEST(DatasetSplit, SizesFollowTheFractions) {
  TempDir dir;
  const std::string path = HundredRows(dir);
  DataOptions options;
  options.validation_fraction = 0.2;
  options.test_fraction = 0.1;
  Result<DatasetSplits> s = LoadDataset("csv:" + path, options, nullptr);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->train.size(), 70);
  EXPECT_EQ(s->validation.size(), 20);
  EXPECT_EQ(s->test.size(), 10);
  EXPECT_EQ(s->validation.label_names, s->train.label_names);
  // A partition: every example exactly once, labels still with their features.
  std::vector<float> all = Order(*s);
  std::sort(all.begin(), all.end());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(all[static_cast<std::size_t>(i)], float(i));
  for (std::int64_t e = 0; e < s->test.size(); ++e) {
    const int x = static_cast<int>(s->test.examples.features[static_cast<std::size_t>(e)]);
    EXPECT_EQ(s->test.label_names[static_cast<std::size_t>(s->test.examples.labels[static_cast<std::size_t>(e)])],
              x % 2 ? "odd" : "even");
  }
}

TEST(DatasetSplit, SameSeedSameOrderOtherSeedOtherOrder) {
  TempDir dir;
  const std::string path = HundredRows(dir);
  DataOptions options;
  Result<DatasetSplits> a = LoadDataset("csv:" + path, options, nullptr);
  Result<DatasetSplits> b = LoadDataset("csv:" + path, options, nullptr);
  options.seed = 7;
  Result<DatasetSplits> c = LoadDataset("csv:" + path, options, nullptr);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(Order(*a), Order(*b));
  EXPECT_NE(Order(*a), Order(*c));
  std::vector<float> in_file(100);
  for (int i = 0; i < 100; ++i) in_file[static_cast<std::size_t>(i)] = float(i);
  EXPECT_NE(Order(*a), in_file);
}

TEST(DatasetSplit, BadFractionsAreRefused) {
  TempDir dir;
  const std::string path = HundredRows(dir);
  DataOptions options;
  options.validation_fraction = 0.6;
  options.test_fraction = 0.5;
  Result<DatasetSplits> s = LoadDataset("csv:" + path, options, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.status().message(), "leave no training data"));
  options.validation_fraction = -0.1;
  options.test_fraction = 0;
  s = LoadDataset("csv:" + path, options, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.status().message(), "validation fraction"));
}

// ---- Normalisation -----------------------------------------------------------------------

TEST(Normalization, PerFeatureForTabularData) {
  engine::TensorBatch b;
  b.example_shape = {3};
  b.features = {1, 10, 5,  //
                3, 20, 5,  //
                5, 30, 5};
  Normalization n = ComputeNormalization(b);
  ASSERT_EQ(n.mean.size(), 3u);
  EXPECT_FLOAT_EQ(n.mean[0], 3.0f);
  EXPECT_FLOAT_EQ(n.mean[1], 20.0f);
  EXPECT_FLOAT_EQ(n.mean[2], 5.0f);
  EXPECT_FLOAT_EQ(n.stddev[0], std::sqrt(8.0f / 3));  // population deviation
  EXPECT_FLOAT_EQ(n.stddev[1], std::sqrt(200.0f / 3));
  EXPECT_FLOAT_EQ(n.stddev[2], 1.0f);  // constant column

  std::vector<float> x = {3, 20, 7, 5, 30, 5};
  n.Apply(x, 3);
  EXPECT_FLOAT_EQ(x[0], 0.0f);
  EXPECT_FLOAT_EQ(x[1], 0.0f);
  EXPECT_FLOAT_EQ(x[2], 2.0f);
  EXPECT_FLOAT_EQ(x[3], 2.0f / std::sqrt(8.0f / 3));
  EXPECT_FLOAT_EQ(x[4], 10.0f / std::sqrt(200.0f / 3));
  EXPECT_FLOAT_EQ(x[5], 0.0f);
}

TEST(Normalization, OneMeanAndDeviationForImages) {
  engine::TensorBatch b;
  b.example_shape = {1, 2, 2};
  b.features = {0, 0, 1, 1, 0, 0, 1, 1};
  Normalization n = ComputeNormalization(b);
  ASSERT_EQ(n.mean.size(), 1u);
  EXPECT_FLOAT_EQ(n.mean[0], 0.5f);
  EXPECT_FLOAT_EQ(n.stddev[0], 0.5f);
  std::vector<float> x = {0, 1, 0.5f, 1};
  n.Apply(x.data(), 1, 4);
  EXPECT_EQ(x, (std::vector<float>{-1, 1, 0, 1}));

  // Many values near one another: the deviation survives rounding.
  engine::TensorBatch big;
  big.example_shape = {1, 10, 10};
  for (int i = 0; i < 100000; ++i) big.features.push_back(1000.0f + (i % 2 ? 0.5f : -0.5f));
  Normalization m = ComputeNormalization(big);
  EXPECT_NEAR(m.mean[0], 1000.0f, 1e-3);
  EXPECT_NEAR(m.stddev[0], 0.5f, 1e-4);

  EXPECT_TRUE(ComputeNormalization(engine::TensorBatch{}).empty());
}

TEST(Normalization, JsonRoundTripsExactly) {
  Normalization n;
  n.mean = {0.1f, -3.25f, 1e-7f};
  n.stddev = {0.3f, 1.0f, 12345.678f};
  const std::string json = NormalizationToJson(n);
  EXPECT_TRUE(Contains(json, "\"mean\""));
  EXPECT_TRUE(Contains(json, "\"stddev\""));
  Result<Normalization> back = NormalizationFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->mean, n.mean);
  EXPECT_EQ(back->stddev, n.stddev);

  Result<Normalization> empty = NormalizationFromJson(NormalizationToJson(Normalization{}));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
}

TEST(Normalization, BadJsonIsCorruption) {
  for (const char* bad : {"not json", "[1, 2]", "{\"mean\": [1]}", "{\"mean\": [1, 2], \"stddev\": [1]}",
                          "{\"mean\": [\"a\"], \"stddev\": [1]}", "{\"mean\": [0], \"stddev\": [0]}"}) {
    SCOPED_TRACE(bad);
    Result<Normalization> n = NormalizationFromJson(bad);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.status().code(), StatusCode::kCorruption);
    EXPECT_TRUE(Contains(n.status().message(), "normalisation"));
  }
}

}  // namespace
}  // namespace syllo::learners

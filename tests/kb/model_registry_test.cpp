// The model registry (kb/model_registry.h): version numbering, lookups and
// their errors, corrupt weights, listing, deletion, quantisation settings,
// export / import and model references.
#include "kb/model_registry.h"

#include <gtest/gtest.h>

#include <string>

#include "kb/fnv_hash.h"
#include "kb/sqlite_handle.h"
#include "kb_test_util.h"

namespace syllo::kb {
namespace {

using testing::OpenOrDie;
using testing::TempDir;

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A small valid record; `weights` varies so versions can be told apart.
ModelRecord Record(const std::string& name, const std::string& weights) {
  ModelRecord r;
  r.name = name;
  r.architecture = "mlp";
  r.design = R"({"architecture":"mlp","hidden":[8]})";
  r.labels = R"(["cat","dog"])";
  r.normalization = R"({"mean":[0.5],"stddev":[0.25]})";
  r.dataset = R"({"source":"csv:pets.csv","train":10})";
  r.metrics = R"({"test_accuracy":0.875})";
  r.weights = weights;
  return r;
}

// Binary weights, with a NUL and high bytes, of `n` bytes.
std::string Weights(int n, int salt) {
  std::string w;
  for (int i = 0; i < n; ++i) w += static_cast<char>((i * 37 + salt) & 0xff);
  return w;
}

class ModelRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { kb_ = OpenOrDie(dir_.File("kb.db")); ASSERT_NE(kb_, nullptr); }
  std::int64_t Add(const std::string& name, const std::string& weights) {
    auto v = AddModelVersion(*kb_, Record(name, weights));
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : -1;
  }
  std::int64_t RowCount() {
    auto n = kb_->database().QueryInt("SELECT count(*) FROM syllo_models");
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : -1;
  }
  TempDir dir_;
  std::unique_ptr<KnowledgeBase> kb_;
};

TEST_F(ModelRegistryTest, VersionsAreNumberedPerName) {
  EXPECT_EQ(Add("fashion", Weights(100, 1)), 1);
  EXPECT_EQ(Add("fashion", Weights(100, 2)), 2);
  EXPECT_EQ(Add("digits", Weights(50, 3)), 1);
  EXPECT_EQ(Add("fashion", Weights(100, 4)), 3);
  EXPECT_EQ(Add("digits", Weights(50, 5)), 2);
}

TEST_F(ModelRegistryTest, GetModelLatestAndPinned) {
  Add("fashion", Weights(64, 1));
  Add("fashion", Weights(65, 2));
  Add("fashion", Weights(66, 3));

  auto latest = GetModel(*kb_, "fashion", std::nullopt);
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->version, 3);
  EXPECT_EQ(latest->weights, Weights(66, 3));
  EXPECT_EQ(latest->weights_bytes, 66);
  EXPECT_EQ(latest->weights_hash, Fnv1a64Hex(Weights(66, 3)));
  EXPECT_FALSE(latest->created_at.empty());

  auto pinned = GetModel(*kb_, "fashion", 2);
  ASSERT_TRUE(pinned.ok()) << pinned.status().ToString();
  EXPECT_EQ(pinned->version, 2);
  EXPECT_EQ(pinned->weights, Weights(65, 2));
  EXPECT_EQ(pinned->name, "fashion");
  EXPECT_EQ(pinned->architecture, "mlp");
  EXPECT_EQ(pinned->labels, R"(["cat","dog"])");
  EXPECT_EQ(pinned->metrics, R"({"test_accuracy":0.875})");
  EXPECT_FALSE(pinned->parent_version.has_value());
  EXPECT_FALSE(pinned->quantized);

  auto light = GetModel(*kb_, "fashion", 1, /*with_weights=*/false);
  ASSERT_TRUE(light.ok());
  EXPECT_TRUE(light->weights.empty());
  EXPECT_EQ(light->weights_bytes, 64);
}

TEST_F(ModelRegistryTest, UnknownNameIsNotFoundWithAdvice) {
  Add("fashion", Weights(10, 1));
  auto r = GetModel(*kb_, "shoes", std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  const std::string& m = r.status().message();
  EXPECT_TRUE(Contains(m, "'shoes'")) << m;
  EXPECT_TRUE(Contains(m, "syllo train shoes")) << m;
  EXPECT_FALSE(Contains(m, "versions:")) << "there are no versions to list: " << m;
  // Pinned, on an unknown name, the same.
  auto pinned = GetModel(*kb_, "shoes", 2);
  ASSERT_FALSE(pinned.ok());
  EXPECT_EQ(pinned.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(pinned.status().message(), "syllo train shoes")) << pinned.status().message();
}

TEST_F(ModelRegistryTest, UnknownVersionIsNotFoundListingTheVersions) {
  Add("fashion", Weights(10, 1));
  Add("fashion", Weights(10, 2));
  Add("fashion", Weights(10, 3));
  ASSERT_TRUE(DeleteModel(*kb_, "fashion", 2).ok());
  auto r = GetModel(*kb_, "fashion", 9);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(r.status().message(), "'fashion'")) << r.status().message();
  EXPECT_TRUE(Contains(r.status().message(), "no version 9")) << r.status().message();
  EXPECT_TRUE(Contains(r.status().message(), "(versions: 1, 3)")) << r.status().message();
}

TEST_F(ModelRegistryTest, CorruptWeightsAreReportedNotLoaded) {
  Add("fashion", Weights(200, 1));
  Add("fashion", Weights(200, 2));
  ASSERT_TRUE(kb_->database().Exec("UPDATE syllo_models SET weights = zeroblob(10) WHERE version = 2").ok());
  auto r = GetModel(*kb_, "fashion", 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Contains(r.status().message(), "fashion@2")) << r.status().message();
  EXPECT_TRUE(Contains(r.status().message(), "corrupt")) << r.status().message();
  // The latest is the corrupt one too.
  EXPECT_EQ(GetModel(*kb_, "fashion", std::nullopt).status().code(), StatusCode::kCorruption);
  // The other version, and the listing (no weights read), are fine.
  EXPECT_TRUE(GetModel(*kb_, "fashion", 1).ok());
  auto light = GetModel(*kb_, "fashion", 2, false);
  ASSERT_TRUE(light.ok());
  EXPECT_EQ(light->weights_bytes, 10);
  // A flipped byte of the same length is caught as well.
  ASSERT_TRUE(kb_->database()
                  .Exec("UPDATE syllo_models SET weights = "
                        "CAST(X'FF' || substr(weights, 2) AS BLOB) WHERE version = 1")
                  .ok());
  auto one = GetModel(*kb_, "fashion", 1);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Contains(one.status().message(), "fashion@1")) << one.status().message();
}

TEST_F(ModelRegistryTest, ListModelsIsOrderedAndHasNoWeights) {
  Add("zeta", Weights(10, 1));
  Add("alpha", Weights(20, 2));
  Add("zeta", Weights(30, 3));
  Add("alpha", Weights(40, 4));
  Add("mid", Weights(50, 5));
  auto all = ListModels(*kb_);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<std::string> refs;
  for (const ModelRecord& r : *all) {
    refs.push_back(r.name + "@" + std::to_string(r.version));
    EXPECT_TRUE(r.weights.empty()) << refs.back();
    EXPECT_GT(r.weights_bytes, 0) << refs.back();
    EXPECT_FALSE(r.weights_hash.empty());
  }
  EXPECT_EQ(refs, (std::vector<std::string>{"alpha@1", "alpha@2", "mid@1", "zeta@1", "zeta@2"}));
  EXPECT_EQ((*all)[1].weights_bytes, 40);

  auto zeta = ListModels(*kb_, "zeta");
  ASSERT_TRUE(zeta.ok());
  ASSERT_EQ(zeta->size(), 2u);
  EXPECT_EQ((*zeta)[0].version, 1);
  EXPECT_EQ((*zeta)[1].version, 2);
  auto none = ListModels(*kb_, "nothing");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(ModelRegistryTest, DeleteOneVersionOrAll) {
  Add("fashion", Weights(10, 1));
  Add("fashion", Weights(10, 2));
  Add("fashion", Weights(10, 3));
  Add("other", Weights(10, 4));

  auto one = DeleteModel(*kb_, "fashion", 2);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(*one, 1);
  EXPECT_EQ(GetModel(*kb_, "fashion", 2).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(GetModel(*kb_, "fashion", 3).ok());

  auto again = DeleteModel(*kb_, "fashion", 2);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(again.status().message(), "versions: 1, 3")) << again.status().message();

  auto all = DeleteModel(*kb_, "fashion", std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 2);
  EXPECT_EQ(GetModel(*kb_, "fashion", std::nullopt).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(GetModel(*kb_, "other", std::nullopt).ok());
  EXPECT_EQ(DeleteModel(*kb_, "fashion", std::nullopt).status().code(), StatusCode::kNotFound);

  // Numbering goes on from the highest version left (none left: from 1).
  EXPECT_EQ(Add("fashion", Weights(10, 5)), 1);
}

TEST_F(ModelRegistryTest, SetQuantization) {
  Add("fashion", Weights(10, 1));
  Add("fashion", Weights(10, 2));
  ASSERT_TRUE(SetQuantization(*kb_, "fashion", 1, true, R"({"speedup":2.5})").ok());
  auto r = GetModel(*kb_, "fashion", 1, false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->quantized);
  EXPECT_EQ(r->quantization, R"({"speedup":2.5})");
  EXPECT_FALSE(GetModel(*kb_, "fashion", 2, false)->quantized) << "only the version named changes";

  ASSERT_TRUE(SetQuantization(*kb_, "fashion", 1, false, R"({"speedup":2.5})").ok());
  EXPECT_FALSE(GetModel(*kb_, "fashion", 1, false)->quantized);

  Status bad_json = SetQuantization(*kb_, "fashion", 1, true, "{not json");
  EXPECT_EQ(bad_json.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(GetModel(*kb_, "fashion", 1, false)->quantized);

  Status missing = SetQuantization(*kb_, "fashion", 7, true, "{}");
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(missing.message(), "versions: 1, 2")) << missing.message();
}

TEST_F(ModelRegistryTest, ExportImportRoundTrip) {
  Add("fashion", Weights(1000, 1));
  ModelRecord parent = Record("fashion", Weights(1001, 2));
  parent.parent_version = 1;
  ASSERT_TRUE(AddModelVersion(*kb_, parent).ok());
  ASSERT_TRUE(SetQuantization(*kb_, "fashion", 2, true, R"({"speedup":1.5})").ok());
  auto original = GetModel(*kb_, "fashion", 2);
  ASSERT_TRUE(original.ok());
  const std::string json = ExportModel(*original);
  EXPECT_TRUE(Contains(json, "\"syllo_model\": 1")) << json.substr(0, 200);

  // Into the same KB: the next version.
  auto same = ImportModel(*kb_, json, "fashion2.json");
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(*same, 3);
  auto copy = GetModel(*kb_, "fashion", 3);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->weights, original->weights);
  EXPECT_EQ(copy->weights_hash, original->weights_hash);
  EXPECT_EQ(copy->architecture, "mlp");
  EXPECT_EQ(copy->labels, original->labels);
  EXPECT_EQ(copy->metrics, original->metrics);
  EXPECT_TRUE(copy->quantized);

  // Into another KB, under another name.
  auto other = OpenOrDie(dir_.File("other.db"));
  ASSERT_NE(other, nullptr);
  auto renamed = ImportModel(*other, json, "fashion2.json", "garments");
  ASSERT_TRUE(renamed.ok()) << renamed.status().ToString();
  EXPECT_EQ(*renamed, 1);
  auto there = GetModel(*other, "garments", 1);
  ASSERT_TRUE(there.ok()) << there.status().ToString();
  EXPECT_EQ(there->weights, original->weights);
  EXPECT_EQ(GetModel(*other, "fashion", std::nullopt).status().code(), StatusCode::kNotFound);
}

TEST_F(ModelRegistryTest, DamagedExportIsCorruptionAndNonJsonIsInvalid) {
  Add("fashion", Weights(300, 1));
  auto original = GetModel(*kb_, "fashion", 1);
  ASSERT_TRUE(original.ok());
  std::string json = ExportModel(*original);
  const std::size_t key = json.find("\"weights\":");
  ASSERT_NE(key, std::string::npos);
  const std::size_t open = json.find('"', key + 10);
  ASSERT_NE(open, std::string::npos);
  // The first character of the second quad: it always changes a decoded byte.
  char& c = json[open + 1 + 4];
  c = c == 'A' ? 'B' : 'A';
  auto damaged = ImportModel(*kb_, json, "damaged.json");
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Contains(damaged.status().message(), "damaged.json")) << damaged.status().message();

  // A character that is not base64 at all.
  c = '!';
  auto invalid = ImportModel(*kb_, json, "bad64.json");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().code(), StatusCode::kInvalidArgument);

  auto not_json = ImportModel(*kb_, "this is not json", "notes.txt");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(not_json.status().message(), "notes.txt")) << not_json.status().message();

  auto other_json = ImportModel(*kb_, R"({"name": "fashion"})", "plain.json");
  ASSERT_FALSE(other_json.ok());
  EXPECT_EQ(other_json.status().code(), StatusCode::kInvalidArgument);

  auto missing_field = ImportModel(*kb_, R"({"syllo_model": 1, "name": "fashion"})", "partial.json");
  ASSERT_FALSE(missing_field.ok());
  EXPECT_EQ(missing_field.status().code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(RowCount(), 1) << "no failed import may store anything";
}

TEST(ModelReference, ParsesGoodAndRejectsBad) {
  auto plain = ParseModelReference("fashion");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->first, "fashion");
  EXPECT_FALSE(plain->second.has_value());

  auto pinned = ParseModelReference("fashion_v2@12");
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(pinned->first, "fashion_v2");
  EXPECT_EQ(pinned->second, 12);

  for (const char* bad : {"", "@3", "Fashion", "2fashion", "fash-ion", "fashion@", "fashion@0", "fashion@-1",
                          "fashion@x", "fashion@3x", "fashion@1@2", "fashion@99999999999999999999"}) {
    auto r = ParseModelReference(bad);
    EXPECT_FALSE(r.ok()) << "'" << bad << "' was accepted";
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
      EXPECT_TRUE(Contains(r.status().message(), std::string("'") + bad + "'")) << r.status().message();
    }
  }
}

TEST_F(ModelRegistryTest, AFailedAddStoresNothing) {
  Add("fashion", Weights(10, 1));
  ModelRecord bad_metrics = Record("fashion", Weights(10, 2));
  bad_metrics.metrics = "{\"test_accuracy\": ";
  auto r = AddModelVersion(*kb_, bad_metrics);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(r.status().message(), "metrics")) << r.status().message();

  ModelRecord no_weights = Record("fashion", "");
  EXPECT_EQ(AddModelVersion(*kb_, no_weights).status().code(), StatusCode::kInvalidArgument);
  ModelRecord bad_name = Record("Fashion@2", Weights(10, 3));
  EXPECT_EQ(AddModelVersion(*kb_, bad_name).status().code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(RowCount(), 1);
  // The next good version is still 2: the failures used up no number.
  EXPECT_EQ(Add("fashion", Weights(10, 4)), 2);
}

TEST_F(ModelRegistryTest, VersionsSurviveReopening) {
  Add("fashion", Weights(10, 1));
  Add("fashion", Weights(12, 2));
  kb_.reset();
  kb_ = OpenOrDie(dir_.File("kb.db"), OpenMode::kReadWrite);
  ASSERT_NE(kb_, nullptr);
  auto r = GetModel(*kb_, "fashion", std::nullopt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->version, 2);
  EXPECT_EQ(r->weights, Weights(12, 2));
  EXPECT_EQ(Add("fashion", Weights(10, 3)), 3);
}

}  // namespace
}  // namespace syllo::kb

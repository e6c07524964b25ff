// Learned models end to end, as a user drives them: `syllo train`, `syllo models`,
// the product-intake pack run, queried and explained with a model, the errors
// a user can make (bad data, unknown models and versions, corrupt weights, a
// missing learners module), and that a program without models never maps
// LibTorch.
//
// The training tests need Debian's Fashion-MNIST (/usr/share/datasets/
// fashion-mnist) and the learners module (built with LibTorch); they are
// skipped without them. One small training (600 examples, 1 epoch) is shared
// by the suite (cached beside the test executable, see PrepareSharedTraining);
// each test works on its own copy of the knowledge base.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_command.h"

namespace syllo::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFashion = "/usr/share/datasets/fashion-mnist";

std::string Q(const std::string& path) { return "'" + path + "'"; }
bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string Pack() { return SourceDir() + "/packs/product_intake/intake.syl"; }

bool DatasetPresent() {
  for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                        "t10k-labels-idx1-ubyte"}) {
    const std::string base = std::string(kFashion) + "/" + f;
    if (!fs::exists(base) && !fs::exists(base + ".gz")) return false;
  }
  return true;
}

// Where the loader will find the learners module (see engine/neural_backend_loader.h); empty if nowhere.
std::string ModulePath() {
  if (const char* env = std::getenv("SYLLO_LEARNERS_MODULE"); env != nullptr && *env != '\0') {
    return fs::exists(env) ? env : "";
  }
  const fs::path bin_dir = fs::path(SylloBinary()).parent_path();
  for (const fs::path& p : {bin_dir / ".." / "lib" / "syllo" / "libsyllo_learners.so",
                            bin_dir / ".." / "learners" / "module" / "libsyllo_learners.so"}) {
    if (fs::exists(p)) return p.lexically_normal().string();
  }
  return "";
}

// The item ids of a make_items.py JSON-lines file.
std::vector<std::string> ItemIds(const std::string& jsonl) {
  std::vector<std::string> ids;
  std::istringstream in(jsonl);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    ids.push_back(nlohmann::json::parse(line).at("id").get<std::string>());
  }
  return ids;
}

// Lines of `text` that start with `prefix`.
std::vector<std::string> LinesStartingWith(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  }
  return out;
}

// The rows of `syllo models list` for `name`: "name version".
std::vector<std::string> ListedVersions(const std::string& listing, const std::string& name) {
  std::vector<std::string> out;
  std::regex row("^(" + name + ")\\s+(\\d+)\\s");
  std::istringstream in(listing);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, row)) out.push_back(m[1].str() + " " + m[2].str());
  }
  return out;
}

std::string Fnv1a64Hex(const std::string& data) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// A rule file that needs no model and no data.
constexpr const char* kModelFree =
    "relation p(x: int).\nrelation q(x: int).\nq(X) :- p(X), X > 1.\np(1). p(2). p(3).\n";

// ---------------------------------------------------------------------------
// The suite's shared training: fashion@1 in a KB that also holds six items.
//
// Under ctest every test is a process of its own, so the training is kept in a
// cache beside the test executable, keyed by what it depends on (the syllo
// binary, the learners module, the pack, make_items.py): the first test to
// come trains, under a file lock, and the others (and later runs of the same
// build) reuse it. Each test works on its own copy of the KB.

std::string FileKey(const std::string& path) {
  std::error_code ec;
  auto time = fs::last_write_time(path, ec);
  if (ec) return "none";
  return std::to_string(time.time_since_epoch().count()) + ":" + std::to_string(fs::file_size(path, ec));
}

std::string MakeItemsScript() { return SourceDir() + "/packs/product_intake/make_items.py"; }

std::string CacheKey() {
  return FileKey(SylloBinary()) + "|" + FileKey(ModulePath()) + "|" + Fnv1a64Hex(ReadFile(Pack())) + "|" +
         Fnv1a64Hex(ReadFile(MakeItemsScript())) + "\n";
}

void Save(const std::string& dir, const std::string& name, const CommandResult& r) {
  WriteFile(dir + "/" + name + ".rc", std::to_string(r.exit_code));
  WriteFile(dir + "/" + name + ".out", r.out);
  WriteFile(dir + "/" + name + ".err", r.err);
}

CommandResult Load(const std::string& dir, const std::string& name) {
  CommandResult r;
  const std::string rc = ReadFile(dir + "/" + name + ".rc");
  r.exit_code = rc.empty() ? -1 : std::stoi(rc);
  r.out = ReadFile(dir + "/" + name + ".out");
  r.err = ReadFile(dir + "/" + name + ".err");
  return r;
}

struct SharedTraining {
  std::string dir;     // kb.db, items.jsonl, c.csv, c.svg
  CommandResult train;  // of `syllo train`
  std::string setup_error;  // what failed after the training, if anything
};

// Trains (or finds the training of this build) into `dir`.
void PrepareSharedTraining(SharedTraining& s) {
  std::error_code ec;
  const fs::path root = fs::read_symlink("/proc/self/exe", ec).parent_path() / "learners_cli_cache";
  fs::create_directories(root);
  const int lock = open((root / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock >= 0) flock(lock, LOCK_EX);
  s.dir = (root / "data").string();
  const std::string key = CacheKey();
  if (ReadFile(s.dir + "/key") != key) {
    fs::remove_all(s.dir);
    fs::create_directories(s.dir);
    const std::string kb = s.dir + "/kb.db";
    CommandResult train = RunSyllo("train fashion " + Q(Pack()) + " --db " + Q(kb) + " --data idx:" + kFashion +
                                   " --limit 600 --epochs 1 --curves " + Q(s.dir + "/c"));
    Save(s.dir, "train", train);
    std::string error;
    if (train.exit_code == 0) {
      CommandResult items = RunShell("/usr/bin/env python3 " + Q(MakeItemsScript()) + " --count 6 --out " +
                                     Q(s.dir + "/items.jsonl"));
      if (items.exit_code != 0) error = "make_items.py failed: " + items.err;
      CommandResult init = RunSyllo("kb init " + Q(kb) + " " + Q(Pack()));
      if (error.empty() && init.exit_code != 0) error = "kb init failed: " + init.err;
      CommandResult import = RunSyllo("kb import " + Q(kb) + " item " + Q(s.dir + "/items.jsonl"));
      if (error.empty() && import.exit_code != 0) error = "kb import failed: " + import.err;
    }
    WriteFile(s.dir + "/setup_error", error);
    // Last: marks the cache complete. A failure is not kept (the next test tries again).
    if (train.exit_code == 0 && error.empty()) WriteFile(s.dir + "/key", key);
  }
  s.train = Load(s.dir, "train");
  s.setup_error = ReadFile(s.dir + "/setup_error");
  if (lock >= 0) close(lock);  // releases the lock
}

class LearnersCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!DatasetPresent() || ModulePath().empty()) return;
    shared_ = new SharedTraining;
    PrepareSharedTraining(*shared_);
  }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }

  void SetUp() override {
    if (!DatasetPresent()) GTEST_SKIP() << kFashion << " is missing (apt-get install dataset-fashion-mnist)";
    if (ModulePath().empty()) GTEST_SKIP() << "the learners module is not built (LibTorch missing?)";
    ASSERT_NE(shared_, nullptr);
    ASSERT_EQ(shared_->train.exit_code, 0) << "the shared training failed:\n"
                                           << shared_->train.out << shared_->train.err;
    ASSERT_EQ(shared_->setup_error, "");
    own_ = MakeTempDir();
    kb_ = CopyKb("kb.db");
  }
  void TearDown() override {
    if (!own_.empty()) fs::remove_all(own_);
  }

  // A copy of the shared KB in this test's own directory.
  std::string CopyKb(const std::string& name = "copy.db") {
    const std::string from = shared_->dir + "/kb.db", to = own_ + "/" + name;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    if (fs::exists(from + "-wal")) fs::copy_file(from + "-wal", to + "-wal", fs::copy_options::overwrite_existing);
    return to;
  }
  static std::string Shared(const std::string& file) { return shared_->dir + "/" + file; }
  static std::vector<std::string> Items() { return ItemIds(ReadFile(Shared("items.jsonl"))); }

  static SharedTraining* shared_;
  std::string own_;
  std::string kb_;  // this test's copy of the shared KB
};

SharedTraining* LearnersCliTest::shared_ = nullptr;

TEST_F(LearnersCliTest, TrainStoresTheFirstVersionAndItsCurves) {
  EXPECT_TRUE(Contains(shared_->train.out, "stored fashion@1")) << shared_->train.out;
  EXPECT_TRUE(Contains(shared_->train.out, "curves: ")) << shared_->train.out;

  const std::string csv = ReadFile(Shared("c.csv"));
  std::vector<std::string> lines;
  std::istringstream in(csv);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 2u) << "a header and one row per epoch:\n" << csv;
  EXPECT_EQ(lines[0].rfind("epoch,", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("1,", 0), 0u) << lines[1];
  EXPECT_EQ(ReadFile(Shared("c.svg")).rfind("<svg", 0), 0u);

  CommandResult list = RunSyllo("models list --db " + Q(kb_));
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(ListedVersions(list.out, "fashion"), (std::vector<std::string>{"fashion 1"})) << list.out;

  CommandResult show = RunSyllo("models show fashion@1 --db " + Q(kb_));
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto doc = nlohmann::json::parse(show.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << show.out;
  EXPECT_EQ(doc.value("model", ""), "fashion@1");
  EXPECT_EQ(doc.value("architecture", ""), "cnn");
  ASSERT_TRUE(doc.contains("metrics") && doc["metrics"].contains("test_accuracy")) << show.out;
  const double accuracy = doc["metrics"]["test_accuracy"].get<double>();
  EXPECT_GE(accuracy, 0.0);
  EXPECT_LE(accuracy, 1.0);
  EXPECT_FALSE(doc.contains("fine_tuned_from"));
  EXPECT_EQ(doc["labels"].size(), 10u);
  EXPECT_EQ(doc["labels"][0], "tshirt");
  // `show` without a version is the latest.
  CommandResult latest = RunSyllo("models show fashion --db " + Q(kb_));
  ASSERT_EQ(latest.exit_code, 0) << latest.err;
  EXPECT_TRUE(Contains(latest.out, "\"model\": \"fashion@1\"")) << latest.out;
}

TEST_F(LearnersCliTest, FineTuneExportImportAndDelete) {
  const std::string kb = CopyKb();
  CommandResult tune = RunSyllo("train fashion " + Q(Pack()) + " --db " + Q(kb) + " --data idx:" + kFashion +
                                " --from 1 --freeze 1 --epochs 1 --limit 300");
  ASSERT_EQ(tune.exit_code, 0) << tune.out << tune.err;
  EXPECT_TRUE(Contains(tune.out, "stored fashion@2")) << tune.out;

  CommandResult show = RunSyllo("models show fashion@2 --db " + Q(kb));
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto doc = nlohmann::json::parse(show.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << show.out;
  EXPECT_EQ(doc.value("fine_tuned_from", ""), "fashion@1") << show.out;
  const std::string hash = doc.value("weights_hash", "");
  EXPECT_EQ(hash.rfind("fnv1a64:", 0), 0u) << show.out;

  CommandResult list = RunSyllo("models list --db " + Q(kb));
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(ListedVersions(list.out, "fashion"), (std::vector<std::string>{"fashion 1", "fashion 2"})) << list.out;

  // Export, then import into another KB: there it is version 1, with the same weights.
  const std::string file = own_ + "/f2.json";
  CommandResult exp = RunSyllo("models export fashion@2 --db " + Q(kb) + " -o " + Q(file));
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  ASSERT_TRUE(fs::exists(file));
  EXPECT_FALSE(fs::exists(file + ".tmp"));
  const std::string other = own_ + "/other.db";
  CommandResult imp = RunSyllo("models import " + Q(file) + " --db " + Q(other));
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_TRUE(Contains(imp.out, "imported fashion@1")) << imp.out;
  CommandResult other_list = RunSyllo("models list --db " + Q(other));
  ASSERT_EQ(other_list.exit_code, 0) << other_list.err;
  EXPECT_EQ(ListedVersions(other_list.out, "fashion"), (std::vector<std::string>{"fashion 1"})) << other_list.out;
  CommandResult other_show = RunSyllo("models show fashion@1 --db " + Q(other));
  ASSERT_EQ(other_show.exit_code, 0) << other_show.err;
  EXPECT_TRUE(Contains(other_show.out, hash)) << "the imported weights differ:\n" << other_show.out;

  // Delete the fine-tuned version: version 1 stays.
  CommandResult del = RunSyllo("models delete fashion@2 --db " + Q(kb));
  ASSERT_EQ(del.exit_code, 0) << del.err;
  EXPECT_TRUE(Contains(del.out, "deleted 1 version of fashion")) << del.out;
  list = RunSyllo("models list --db " + Q(kb));
  EXPECT_EQ(ListedVersions(list.out, "fashion"), (std::vector<std::string>{"fashion 1"})) << list.out;
  CommandResult gone = RunSyllo("models show fashion@2 --db " + Q(kb));
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_TRUE(Contains(gone.err, "no version 2")) << gone.err;
  EXPECT_TRUE(Contains(gone.err, "versions: 1")) << gone.err;
}

TEST_F(LearnersCliTest, RunSendsEveryItemThroughTheModelInOneBatch) {
  CommandResult run = RunSyllo("run " + Q(Pack()) + " --db " + Q(kb_) + " --show decision,needs_review --stats");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Contains(run.err, "model_batches=1 model_inputs=6")) << run.err;
  const std::vector<std::string> ids = Items();
  ASSERT_EQ(ids.size(), 6u);
  for (const std::string& id : ids) {
    const bool decided = !LinesStartingWith(run.out, "decision(" + id + ",").empty();
    const bool review = !LinesStartingWith(run.out, "needs_review(" + id + ",").empty();
    EXPECT_TRUE(decided || review) << id << " is in neither decision nor needs_review:\n" << run.out;
    EXPECT_FALSE(decided && review) << id << " is in both:\n" << run.out;
  }
}

// The class and probability the run gave each item: "decision(ID, C, ...) cf P."
// or "needs_review(ID, C, P).".
std::map<std::string, std::pair<std::string, double>> ItemOutcomes(const std::string& out) {
  std::map<std::string, std::pair<std::string, double>> outcomes;
  const std::regex decision(R"(^decision\((item\d+), (\w+), .*\) cf ([0-9.]+)\.$)");
  const std::regex review(R"(^needs_review\((item\d+), (\w+), ([0-9.]+)\)\.$)");
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, decision) || std::regex_match(line, m, review)) {
      outcomes[m[1].str()] = {m[2].str(), std::stod(m[3].str())};
    }
  }
  return outcomes;
}

// 306 photos go to the model as one batch, which the learners run in chunks
// (of 256): the 40 photos of the second chunk get the class and probability
// they get in a run of their own, so no chunk's answers land on other items.
TEST_F(LearnersCliTest, ABatchLargerThanAChunkGivesEachItemItsOwnPrediction) {
  const std::string many = own_ + "/many.jsonl", few = own_ + "/few.jsonl";
  for (const auto& [file, first, count] : {std::tuple{many, 100, 300}, std::tuple{few, 360, 40}}) {
    CommandResult items = RunShell("/usr/bin/env python3 " + Q(MakeItemsScript()) + " --first " +
                                   std::to_string(first) + " --count " + std::to_string(count) + " --out " + Q(file));
    ASSERT_EQ(items.exit_code, 0) << items.err;
  }
  const std::string few_kb = CopyKb("few.db");
  ASSERT_EQ(RunSyllo("kb import " + Q(kb_) + " item " + Q(many)).exit_code, 0);
  ASSERT_EQ(RunSyllo("kb import " + Q(few_kb) + " item " + Q(few)).exit_code, 0);
  const std::string show = " --show decision,needs_review --stats";
  CommandResult big = RunSyllo("run " + Q(Pack()) + " --db " + Q(kb_) + show);
  ASSERT_EQ(big.exit_code, 0) << big.err;
  EXPECT_TRUE(Contains(big.err, "model_batches=1 model_inputs=306")) << big.err;
  CommandResult small = RunSyllo("run " + Q(Pack()) + " --db " + Q(few_kb) + show);
  ASSERT_EQ(small.exit_code, 0) << small.err;
  EXPECT_TRUE(Contains(small.err, "model_batches=1 model_inputs=46")) << small.err;
  const auto in_big = ItemOutcomes(big.out), in_small = ItemOutcomes(small.out);
  EXPECT_EQ(in_big.size(), 306u) << big.out;
  const std::vector<std::string> ids = ItemIds(ReadFile(few));
  ASSERT_EQ(ids.size(), 40u);
  std::set<std::string> classes;
  for (const std::string& id : ids) {
    ASSERT_TRUE(in_big.count(id) && in_small.count(id)) << id << "\n" << big.out << small.out;
    EXPECT_EQ(in_big.at(id).first, in_small.at(id).first) << id;
    EXPECT_NEAR(in_big.at(id).second, in_small.at(id).second, 2e-4) << id;  // printed to 4 decimals
    classes.insert(in_big.at(id).first);
  }
  EXPECT_GT(classes.size(), 3u);  // the photos are of different garments: a shifted answer would show
}

TEST_F(LearnersCliTest, QueryAsksAboutTheItemsTheModelIsUnsureOf) {
  // The first question is answered `bag`, every other `unknown`.
  std::string replies = "bag\n";
  for (int i = 0; i < 20; ++i) replies += "unknown\n";
  CommandResult q = RunSyllo("query " + Q(Pack()) + " 'garment_class(I, C)' --db " + Q(kb_), replies);
  ASSERT_EQ(q.exit_code, 0) << q.out << q.err;
  std::vector<std::string> asked;
  std::regex question("The model is unsure about item (item\\d+)\\.");
  for (std::sregex_iterator it(q.out.begin(), q.out.end(), question), end; it != end; ++it) {
    asked.push_back((*it)[1].str());
  }
  std::set<std::string> answered;
  std::regex answer("I = (item\\d+), C = (\\w+)");
  for (std::sregex_iterator it(q.out.begin(), q.out.end(), answer), end; it != end; ++it) {
    answered.insert((*it)[1].str());
  }
  for (const std::string& id : Items()) {
    const bool was_asked = std::find(asked.begin(), asked.end(), id) != asked.end();
    EXPECT_TRUE(was_asked || answered.count(id)) << id << " was neither asked about nor answered:\n" << q.out;
  }
  EXPECT_EQ(std::set<std::string>(asked.begin(), asked.end()).size(), asked.size()) << "asked twice:\n" << q.out;
  if (!asked.empty()) {
    EXPECT_TRUE(Contains(q.out, "I = " + asked[0] + ", C = bag")) << q.out;
    // Those answered `unknown` have no class.
    for (std::size_t i = 1; i < asked.size(); ++i) EXPECT_EQ(answered.count(asked[i]), 0u) << asked[i] << "\n" << q.out;
  }
}

TEST_F(LearnersCliTest, ReplHowNamesTheModelThatPredicted) {
  // A copy of the pack that trusts every prediction (a 1-epoch model is rarely
  // sure), in a KB of its own that gets the model by export and import.
  std::string pack = ReadFile(Pack());
  const std::size_t at = pack.find("confident_at(0.75).");
  ASSERT_NE(at, std::string::npos) << "the pack changed: update this test";
  pack.replace(at, std::string("confident_at(0.75).").size(), "confident_at(0.0).");
  const std::string low = own_ + "/low.syl", kb = own_ + "/low.db", file = own_ + "/f1.json";
  WriteFile(low, pack);
  ASSERT_EQ(RunSyllo("kb init " + Q(kb) + " " + Q(low)).exit_code, 0);
  ASSERT_EQ(RunSyllo("kb import " + Q(kb) + " item " + Q(Shared("items.jsonl"))).exit_code, 0);
  ASSERT_EQ(RunSyllo("models export fashion --db " + Q(kb_) + " -o " + Q(file)).exit_code, 0);
  ASSERT_EQ(RunSyllo("models import " + Q(file) + " --db " + Q(kb)).exit_code, 0);

  CommandResult run = RunSyllo("run " + Q(low) + " --db " + Q(kb) + " --show decision,needs_review");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> decisions = LinesStartingWith(run.out, "decision(");
  ASSERT_EQ(decisions.size(), 6u) << run.out;
  EXPECT_TRUE(LinesStartingWith(run.out, "needs_review(").empty()) << run.out;
  const std::string id = decisions[0].substr(9, decisions[0].find(',') - 9);

  CommandResult how = RunSyllo("repl " + Q(low) + " --db " + Q(kb), ":how decision(" + id + ", C, B, H, Z)\n");
  ASSERT_EQ(how.exit_code, 0) << how.out << how.err;
  EXPECT_TRUE(Contains(how.out, "decision(" + id + ",")) << how.out;
  EXPECT_TRUE(Contains(how.out, "[predicted by model fashion@1]")) << how.out;
  EXPECT_TRUE(Contains(how.out, "garment_class(" + id + ",")) << how.out;
}

TEST_F(LearnersCliTest, BadTrainingInputIsReportedAndStoresNothing) {
  const std::string kb = CopyKb();
  const std::string train = "train fashion " + Q(Pack()) + " --db " + Q(kb) + " --epochs 1";

  CommandResult missing = RunSyllo(train + " --data idx:/nonexistent --limit 100");
  EXPECT_TRUE(missing.exit_code == 1 || missing.exit_code == 3) << missing.exit_code;
  EXPECT_TRUE(Contains(missing.err, "/nonexistent")) << missing.err;
  EXPECT_TRUE(Contains(missing.err, "nothing was stored")) << missing.err;
  EXPECT_TRUE(Contains(missing.err, "fashion@1 is still the latest")) << missing.err;

  // 784 pixel columns and a label; data row 3 has a NaN in p4.
  std::string csv;
  for (int i = 0; i < 784; ++i) csv += "p" + std::to_string(i) + ",";
  csv += "label\n";
  for (int row = 1; row <= 6; ++row) {
    for (int i = 0; i < 784; ++i) csv += (row == 3 && i == 4) ? "nan," : "0.5,";
    csv += row % 2 ? "bag\n" : "boot\n";
  }
  WriteFile(own_ + "/nan.csv", csv);
  CommandResult nan = RunSyllo(train + " --data csv:" + Q(own_ + "/nan.csv"));
  EXPECT_EQ(nan.exit_code, 1) << nan.err;
  EXPECT_TRUE(Contains(nan.err, "nan.csv")) << nan.err;
  EXPECT_TRUE(Contains(nan.err, "row 3")) << nan.err;
  EXPECT_TRUE(Contains(nan.err, "p4")) << nan.err;

  CommandResult unknown = RunSyllo("train nosuch " + Q(Pack()) + " --db " + Q(kb) + " --epochs 1 --data csv:" +
                                   Q(own_ + "/nan.csv"));
  EXPECT_EQ(unknown.exit_code, 1) << unknown.err;
  EXPECT_TRUE(Contains(unknown.err, "'nosuch'")) << unknown.err;
  EXPECT_TRUE(Contains(unknown.err, "declared: fashion")) << unknown.err;

  CommandResult list = RunSyllo("models list --db " + Q(kb));
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(ListedVersions(list.out, "fashion"), (std::vector<std::string>{"fashion 1"})) << list.out;
  EXPECT_TRUE(ListedVersions(list.out, "nosuch").empty()) << list.out;
}

TEST_F(LearnersCliTest, APinnedUnknownVersionNamesTheVersionsThereAre) {
  WriteFile(own_ + "/pinned.syl",
            "neural category(photo: tensor[28,28]) -> label in {tshirt, trouser, pullover, dress,\n"
            "    coat, sandal, shirt, sneaker, bag, boot} using fashion@9 top 1.\n"
            "relation item(id: symbol, photo: tensor[28,28], weight_g: int, value_eur: float, origin: symbol).\n"
            "relation kind(item: symbol, class: symbol).\n"
            "kind(I, C) :- item(I, P, _, _, _), category(P, C).\n");
  CommandResult run = RunSyllo("run " + Q(own_ + "/pinned.syl") + " --db " + Q(kb_) + " --show kind");
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_TRUE(Contains(run.err, "'fashion'")) << run.err;
  EXPECT_TRUE(Contains(run.err, "no version 9")) << run.err;
  EXPECT_TRUE(Contains(run.err, "(versions: 1)")) << run.err;
  EXPECT_TRUE(LinesStartingWith(run.out, "kind(").empty()) << run.out;
}

TEST_F(LearnersCliTest, CorruptWeightsFailTheRunWithoutACrash) {
  const std::string kb = CopyKb();
  // Blob changed, hash not: the registry notices.
  CommandResult sql = RunShell("sqlite3 " + Q(kb) + " 'UPDATE syllo_models SET weights = zeroblob(10)'");
  ASSERT_EQ(sql.exit_code, 0) << sql.err;
  CommandResult run = RunSyllo("run " + Q(Pack()) + " --db " + Q(kb) + " --show decision");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(Contains(run.err, "corrupt")) << run.err;
  EXPECT_TRUE(Contains(run.err, "fashion@1")) << run.err;

  // Blob and hash changed together: the hash passes, the learners module must refuse the bytes.
  sql = RunShell("sqlite3 " + Q(kb) + " \"UPDATE syllo_models SET weights_hash = '" +
                 Fnv1a64Hex(std::string(10, '\0')) + "'\"");
  ASSERT_EQ(sql.exit_code, 0) << sql.err;
  run = RunSyllo("run " + Q(Pack()) + " --db " + Q(kb) + " --show decision");
  EXPECT_EQ(run.exit_code, 1) << "a crash or a run with garbage weights:\n" << run.out << run.err;
  EXPECT_TRUE(Contains(run.err, "fashion")) << run.err;
  EXPECT_FALSE(Contains(run.err, "corrupt (their hash")) << "the hash was meant to match: " << run.err;
  EXPECT_TRUE(LinesStartingWith(run.out, "decision(").empty()) << run.out;
}

TEST_F(LearnersCliTest, AModelRunMapsTheLearnersModule) {
  // The other half of ModelFreeRunNeverMapsLibTorch: the check can see the module.
  CommandResult traced = RunShell("LD_DEBUG=libs '" + SylloBinary() + "' run " + Q(Pack()) + " --db " + Q(kb_));
  ASSERT_EQ(traced.exit_code, 0) << traced.err.substr(traced.err.size() > 2000 ? traced.err.size() - 2000 : 0);
  EXPECT_TRUE(Contains(traced.err, "libsyllo_learners")) << "LD_DEBUG shows no learners module";
}

TEST_F(LearnersCliTest, AMissingModuleFailsOnlyTheRunThatNeedsAModel) {
  const std::string env = "SYLLO_LEARNERS_MODULE=/nonexistent/libsyllo_learners.so ";
  WriteFile(own_ + "/plain.syl", kModelFree);
  CommandResult plain = RunShell(env + "'" + SylloBinary() + "' run " + Q(own_ + "/plain.syl") + " --show q");
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_TRUE(Contains(plain.out, "q(2).")) << plain.out;

  CommandResult intake = RunShell(env + "'" + SylloBinary() + "' run " + Q(Pack()) + " --db " + Q(kb_));
  EXPECT_EQ(intake.exit_code, 1) << intake.out << intake.err;
  EXPECT_TRUE(Contains(intake.err, "learners module")) << intake.err;
  EXPECT_TRUE(Contains(intake.err, "/nonexistent/libsyllo_learners.so")) << intake.err;
}

// ---------------------------------------------------------------------------
// Without models: needs neither the data set nor the module.

TEST(LearnersCliModelFree, ModelFreeRunNeverMapsLibTorch) {
  const std::string dir = MakeTempDir();
  WriteFile(dir + "/plain.syl", kModelFree);
  CommandResult r =
      RunShell("LD_DEBUG=libs '" + SylloBinary() + "' run " + Q(dir + "/plain.syl") + " --show q --stats");
  fs::remove_all(dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "q(3).")) << r.out;
  EXPECT_TRUE(Contains(r.err, "model_batches=0 model_inputs=0")) << r.err;
  // LD_DEBUG took effect (else the checks below prove nothing).
  ASSERT_TRUE(Contains(r.err, "calling init")) << "LD_DEBUG=libs printed nothing";
  EXPECT_FALSE(Contains(r.err, "libtorch")) << "LibTorch was mapped by a program without models";
  EXPECT_FALSE(Contains(r.err, "libc10")) << "LibTorch was mapped by a program without models";
  EXPECT_FALSE(Contains(r.err, "libsyllo_learners")) << "the learners module was loaded without a model";
}

TEST(LearnersCliModelFree, AMissingModuleDoesNotMatterWithoutModels) {
  const std::string dir = MakeTempDir();
  WriteFile(dir + "/plain.syl", kModelFree);
  CommandResult r = RunShell("SYLLO_LEARNERS_MODULE=/nonexistent/libsyllo_learners.so '" + SylloBinary() +
                             "' run " + Q(dir + "/plain.syl") + " --show q");
  fs::remove_all(dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "q(2).") && Contains(r.out, "q(3).")) << r.out;
}

}  // namespace
}  // namespace syllo::testing

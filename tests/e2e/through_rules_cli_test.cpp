// Training through rules end to end, as a user drives it: the MNIST-addition
// pack's generator on Debian's Fashion-MNIST (no download), `syllo kb import`,
// `syllo train --through`, `syllo models evaluate`, and an ordinary query that
// uses the trained model; and the errors a user can make.
//
// Skipped without /usr/share/datasets/fashion-mnist or the learners module.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>

#include "run_command.h"

namespace syllo::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFashion = "/usr/share/datasets/fashion-mnist";

std::string Q(const std::string& path) { return "'" + path + "'"; }
bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
std::string Pack() { return SourceDir() + "/packs/mnist_addition/addition.syl"; }

bool ModuleBuilt() {
  const fs::path bin_dir = fs::path(SylloBinary()).parent_path();
  return fs::exists(bin_dir / ".." / "learners" / "module" / "libsyllo_learners.so") ||
         fs::exists(bin_dir / ".." / "lib" / "syllo" / "libsyllo_learners.so");
}

class ThroughRulesCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(std::string(kFashion) + "/t10k-images-idx3-ubyte.gz") &&
        !fs::exists(std::string(kFashion) + "/t10k-images-idx3-ubyte")) {
      GTEST_SKIP() << kFashion << " is missing (apt-get install dataset-fashion-mnist)";
    }
    if (!ModuleBuilt()) GTEST_SKIP() << "the learners module is not built (LibTorch missing?)";
    dir_ = MakeTempDir();
    kb_ = dir_ + "/digits.db";
    CommandResult gen = RunShell("/usr/bin/env python3 " + Q(SourceDir() + "/packs/mnist_addition/make_pairs.py") +
                                 " --fashion " + kFashion + " --limit 2500 --tasks add1 --consult 3 --out " + Q(dir_));
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    CommandResult init = RunSyllo("kb init " + Q(kb_) + " " + Q(Pack()));
    ASSERT_EQ(init.exit_code, 0) << init.err;
    for (const char* r : {"add1_train", "add1_test", "digit_test", "pair"}) {
      CommandResult imp = RunSyllo("kb import " + Q(kb_) + " " + r + " " + Q(dir_ + "/" + r + ".jsonl"));
      ASSERT_EQ(imp.exit_code, 0) << r << ": " << imp.err;
    }
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  CommandResult Train(const std::string& extra = "") {
    return RunSyllo("train digit " + Q(Pack()) + " --db " + Q(kb_) +
                    " --through add1 --data kb:add1_train --test-data kb:add1_test --epochs 3 " + extra);
  }

  std::string dir_, kb_;
};

TEST_F(ThroughRulesCliTest, TrainsFromSumsAloneThenAnswersAQuery) {
  CommandResult t = Train("--curves " + Q(dir_ + "/c"));
  ASSERT_EQ(t.exit_code, 0) << t.out << t.err;
  // The proofs of a sum of two: one shape, every pair of labels once.
  EXPECT_TRUE(Contains(t.out, "proofs: 1 shape, 100 proofs")) << t.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(t.out, m, std::regex(R"(stored digit@1: test accuracy ([0-9.]+) on (\d+) goals)")))
      << t.out;
  EXPECT_EQ(m[2].str(), "250");  // 500 held-out images, two per goal
  // Chance is about 0.1 (the most common sum of two of ten classes); three short
  // epochs on 1000 goals do far better.
  EXPECT_GT(std::stod(m[1].str()), 0.3) << t.out;
  EXPECT_TRUE(Contains(t.err, "proofs ")) << "the epoch lines report the symbolic time:\n" << t.err;
  EXPECT_TRUE(fs::exists(dir_ + "/c.svg"));

  // The registry says how it was trained.
  CommandResult show = RunSyllo("models show digit --db " + Q(kb_));
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(Contains(show.out, "add1")) << show.out;

  // The classifier itself, on labelled single images it never saw.
  CommandResult eval = RunSyllo("models evaluate digit --db " + Q(kb_) + " --data kb:digit_test");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  ASSERT_TRUE(std::regex_search(eval.out, m, std::regex(R"(digit@1: accuracy ([0-9.]+) on 500 examples)"))) << eval.out;
  EXPECT_GT(std::stod(m[1].str()), 0.3) << eval.out;

  // An ordinary consultation over the same rules with the trained model.
  CommandResult q = RunSyllo("query " + Q(Pack()) + " 'pair_sum(I, S)' --db " + Q(kb_));
  ASSERT_EQ(q.exit_code, 0) << q.out << q.err;
  for (const char* id : {"p1", "p2", "p3"}) {
    EXPECT_TRUE(std::regex_search(q.out, std::regex(std::string("I = ") + id + ", S = \\d+"))) << q.out;
  }
  // The neural predicate asked directly: one digit (top 1) for each image.
  CommandResult direct = RunSyllo("query " + Q(Pack()) + " 'digit_test(I, L), digit(I, D)' --count --db " + Q(kb_));
  ASSERT_EQ(direct.exit_code, 0) << direct.out << direct.err;
  EXPECT_EQ(direct.out, "500\n");
}

TEST_F(ThroughRulesCliTest, AGoalNoLabellingProvesIsReportedAndNothingIsStored) {
  WriteFile(dir_ + "/bad.jsonl", "");
  // A sum of two classes 0..9 cannot be 40.
  CommandResult row = RunShell("head -n 1 " + Q(dir_ + "/add1_test.jsonl") +
                               " | sed 's/\"sum\": *[0-9]*/\"sum\":40/' > " + Q(dir_ + "/bad.jsonl"));
  ASSERT_EQ(row.exit_code, 0) << row.err;
  CommandResult imp = RunSyllo("kb import " + Q(kb_) + " add1_test " + Q(dir_ + "/bad.jsonl"));
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  CommandResult t = Train();
  EXPECT_NE(t.exit_code, 0);
  EXPECT_TRUE(Contains(t.err, "kb:add1_test row 251")) << t.err;
  EXPECT_TRUE(Contains(t.err, "sum = 40")) << t.err;
  EXPECT_TRUE(Contains(t.err, "nothing was stored")) << t.err;
  CommandResult list = RunSyllo("models list --db " + Q(kb_));
  EXPECT_FALSE(Contains(list.out, "digit ")) << list.out;
}

TEST_F(ThroughRulesCliTest, UsageErrorsSayWhatIsWrong) {
  CommandResult not_kb = RunSyllo("train digit " + Q(Pack()) + " --db " + Q(kb_) + " --through add1 --data csv:x.csv");
  EXPECT_NE(not_kb.exit_code, 0);
  EXPECT_TRUE(Contains(not_kb.err, "kb:RELATION")) << not_kb.err;

  CommandResult wrong_columns =
      RunSyllo("train digit " + Q(Pack()) + " --db " + Q(kb_) + " --through add1 --data kb:digit_test");
  EXPECT_NE(wrong_columns.exit_code, 0);
  EXPECT_TRUE(Contains(wrong_columns.err, "its columns must have the types of add1(")) << wrong_columns.err;

  CommandResult unknown = RunSyllo("train digit " + Q(Pack()) + " --db " + Q(kb_) + " --through nope --data kb:add1_train");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_TRUE(Contains(unknown.err, "--through nope")) << unknown.err;

  CommandResult stray = RunSyllo("train digit " + Q(Pack()) + " --db " + Q(kb_) + " --data kb:add1_train --proofs 3");
  EXPECT_NE(stray.exit_code, 0);
  EXPECT_TRUE(Contains(stray.err, "go with --through")) << stray.err;
}

}  // namespace
}  // namespace syllo::testing

// Golden tests of the rule language: each folder under tests/rules/golden is a
// case holding input.syl (and any files it imports) and expected.out, which is
// exactly what `syllo check --print input.syl` prints: every diagnostic, then,
// when there is no error, "---" and the program in canonical form.
//
// SYLLO_UPDATE_GOLDEN=1 rewrites expected.out from the current output; review
// the diff before committing it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "rules/check_report.h"
#include "rules/loader.h"

namespace syllo::rules {
namespace {

namespace fs = std::filesystem;

fs::path GoldenDir() {
  if (const char* root = std::getenv("SYLLO_SOURCE_DIR"); root && *root) {
    return fs::path(root) / "tests" / "rules" / "golden";
  }
  return fs::path(__FILE__).parent_path() / "golden";
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(GoldenDir(), ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "input.syl")) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Enters a directory for the lifetime of the object: the loader resolves the
// case's paths relative to the working directory, as `syllo check` would.
class ScopedCurrentPath {
 public:
  explicit ScopedCurrentPath(const fs::path& dir) : saved_(fs::current_path()) { fs::current_path(dir); }
  ~ScopedCurrentPath() {
    std::error_code ec;
    fs::current_path(saved_, ec);
  }
  ScopedCurrentPath(const ScopedCurrentPath&) = delete;
  ScopedCurrentPath& operator=(const ScopedCurrentPath&) = delete;

 private:
  fs::path saved_;
};

std::string RunCase(const fs::path& dir) {
  ScopedCurrentPath in_case(dir);
  LoadedProgram loaded;
  LoadFiles({"input.syl"}, loaded);
  CheckLoaded(loaded);
  return CheckReport(loaded, /*print_program=*/true);
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesExpectedOutput) {
  fs::path dir = GoldenDir() / GetParam();
  std::string actual = RunCase(dir);
  fs::path expected_path = dir / "expected.out";
  const char* update = std::getenv("SYLLO_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(expected_path, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(fs::exists(expected_path)) << expected_path << " is missing; run with SYLLO_UPDATE_GOLDEN=1";
  EXPECT_EQ(ReadFile(expected_path), actual) << "case " << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTest, ::testing::ValuesIn(CaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(GoldenSuiteTest, HasCases) { EXPECT_GE(CaseNames().size(), 45u) << "golden dir: " << GoldenDir(); }

}  // namespace
}  // namespace syllo::rules

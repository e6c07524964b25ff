// Helpers shared by the knowledge-base tests: a fresh temporary directory per
// test, and small builders for rows and files.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/value.h"
#include "kb/knowledge_base.h"

namespace syllo::kb::testing {

// A directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info ? info->name() : "kb") + "_" + std::to_string(getpid());
    path_ = std::filesystem::temp_directory_path() / ("syllo_kb_test_" + name);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline engine::Column Col(const std::string& name, engine::ValueKind kind) {
  return {name, engine::ColumnType::Of(kind)};
}

inline std::unique_ptr<KnowledgeBase> OpenOrDie(const std::string& path, OpenMode mode = OpenMode::kCreate) {
  auto kb = KnowledgeBase::Open(path, mode);
  EXPECT_TRUE(kb.ok()) << kb.status().ToString();
  return kb.ok() ? std::move(*kb) : nullptr;
}

// Runs an import from a string.
inline Result<ImportResult> ImportText(KnowledgeBase& kb, const std::string& relation, const std::string& text,
                                       DataFormat format, const std::string& name = "data.csv",
                                       ImportOptions options = {}) {
  std::istringstream in(text);
  return kb.Import(relation, in, name, format, options);
}

inline std::string ExportText(KnowledgeBase& kb, const std::string& relation, DataFormat format) {
  std::ostringstream out;
  Status s = kb.Export(relation, out, format);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out.str();
}

}  // namespace syllo::kb::testing

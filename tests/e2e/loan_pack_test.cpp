// The loan pack (packs/loan/loan.lua) end to end, as a user runs it: 300
// applicants of the decision bench (shared/bench/decision: `node gen.js --n 300
// --seed 20240601`) go into a fresh knowledge base with `syllo kb import`, `syllo
// run loan.lua --db KB --save` decides them all, and the decisions and reasons
// read back with `syllo kb export` must be the bench reference's, applicant for
// applicant. tests/e2e/data holds the generated applicants and the reference's
// decisions (canonical lines), so node is not needed here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_command.h"

namespace syllo::testing {
namespace {

using nlohmann::json;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::vector<std::string> Split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) out.push_back(field);
  return out;
}

std::string Text(const json& j, const char* key) { return j.at(key).get<std::string>(); }

// annualIncome -> annual_income, latePayments12m -> late_payments12m: a
// knowledge base takes lowercase column names only.
std::string SnakeCase(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

// The bench's applicants (JSON lines) with the pack's column names.
std::string ToPackColumns(const std::string& jsonl) {
  std::string out;
  for (const std::string& line : Lines(jsonl)) {
    const json applicant = json::parse(line);
    json renamed = json::object();
    for (const auto& [key, value] : applicant.items()) renamed[SnakeCase(key)] = value;
    out += renamed.dump() + "\n";
  }
  return out;
}

struct Decision {
  std::string decision;
  std::string grade;
  long long score = 0;
  std::vector<std::string> reasons;  // sorted
  friend bool operator==(const Decision&, const Decision&) = default;
};

using Decisions = std::map<std::string, Decision>;  // by applicant id

// The bench's canonical form of a decision.
std::string Canonical(const std::string& id, const Decision& d) {
  nlohmann::ordered_json j;
  j["id"] = id;
  j["decision"] = d.decision;
  j["grade"] = d.grade;
  j["score"] = d.score;
  j["reasons"] = d.reasons;
  return j.dump();
}

// Every applicant whose decision differs, missing ones and extra ones included.
std::vector<std::string> Differences(const Decisions& expected, const Decisions& actual) {
  std::vector<std::string> out;
  for (const auto& [id, want] : expected) {
    auto it = actual.find(id);
    if (it == actual.end()) {
      out.push_back(id + ": no decision\n  expected " + Canonical(id, want));
    } else if (!(it->second == want)) {
      out.push_back(id + ":\n  expected " + Canonical(id, want) + "\n  got      " + Canonical(id, it->second));
    }
  }
  for (const auto& [id, got] : actual) {
    if (!expected.count(id)) out.push_back(id + ": a decision for no applicant: " + Canonical(id, got));
  }
  return out;
}

std::string FirstFew(const std::vector<std::string>& differences) {
  std::string shown = std::to_string(differences.size()) + " of 300 decisions differ from the reference; the first:\n";
  for (std::size_t i = 0; i < differences.size() && i < 5; ++i) shown += differences[i] + "\n";
  return shown;
}

// A value as `syllo query --tsv` prints it: strings in double quotes (these
// values have no escapes), symbols and numbers bare.
std::string Unquote(const std::string& s) {
  return s.size() >= 2 && s.front() == '"' && s.back() == '"' ? s.substr(1, s.size() - 2) : s;
}

class LoanPack : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    expected_lines_ = Lines(ReadFile(Data("loan_expected.jsonl")));
    for (const std::string& line : expected_lines_) {
      json j = json::parse(line);
      Decision d{Text(j, "decision"), Text(j, "grade"), j.at("score").get<long long>(),
                 j.at("reasons").get<std::vector<std::string>>()};
      std::sort(d.reasons.begin(), d.reasons.end());
      expected_[Text(j, "id")] = d;
    }
    ASSERT_EQ(expected_.size(), 300u);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  static std::string Quote(const std::string& s) { return "'" + s + "'"; }
  static std::string Data(const std::string& name) { return SourceDir() + "/tests/e2e/data/" + name; }
  static std::string Pack() { return Quote(SourceDir() + "/packs/loan/loan.lua"); }
  std::string Kb() const { return Quote(Path("loan.db")); }

  // A fresh KB holding the 300 applicants. A first run of the pack creates it
  // with the pack's relations (`syllo kb init` reads .syl files only), then the
  // applicants, renamed to the pack's columns, are imported.
  void CreateKb() {
    CommandResult create = RunSyllo("run " + Pack() + " --db " + Kb() + " --save");
    ASSERT_EQ(create.exit_code, 0) << create.err;
    EXPECT_EQ(create.out, "") << "no applicants yet, no decisions";
    const std::string applicants = ReadFile(Data("loan_applicants.jsonl"));
    ASSERT_EQ(Lines(applicants).size(), 300u);
    WriteFile(Path("applicants.jsonl"), ToPackColumns(applicants));
    CommandResult imported = RunSyllo("kb import " + Kb() + " applicant " + Quote(Path("applicants.jsonl")));
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    EXPECT_EQ(imported.out, "imported 300 rows into applicant (1 transaction)\n");
  }

  std::string dir_;
  std::vector<std::string> expected_lines_;
  Decisions expected_;
};

TEST_F(LoanPack, DecidesEveryApplicantAsTheReferenceDoes) {
  ASSERT_NO_FATAL_FAILURE(CreateKb());
  CommandResult run = RunSyllo("run " + Pack() + " --db " + Kb() + " --save");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");

  // Read back what the run saved.
  CommandResult decisions = RunSyllo("kb export " + Kb() + " decision --format jsonl");
  ASSERT_EQ(decisions.exit_code, 0) << decisions.err;
  CommandResult reasons = RunSyllo("kb export " + Kb() + " reason --format jsonl");
  ASSERT_EQ(reasons.exit_code, 0) << reasons.err;
  std::map<std::string, std::vector<std::string>> reasons_of;
  for (const std::string& line : Lines(reasons.out)) {
    json j = json::parse(line);
    reasons_of[Text(j, "id")].push_back(Text(j, "code"));
  }
  Decisions actual;
  std::vector<std::string> duplicates;
  for (const std::string& line : Lines(decisions.out)) {
    json j = json::parse(line);
    EXPECT_EQ(Text(j, "origin"), "derived") << line;
    const std::string id = Text(j, "id");
    Decision d{Text(j, "decision"), Text(j, "grade"), j.at("score").get<long long>(), reasons_of[id]};
    std::sort(d.reasons.begin(), d.reasons.end());
    if (!actual.emplace(id, d).second) duplicates.push_back(line);
  }
  EXPECT_EQ(duplicates, std::vector<std::string>{}) << "more than one decision for an applicant";
  std::vector<std::string> differences = Differences(expected_, actual);
  EXPECT_TRUE(differences.empty()) << FirstFew(differences);
  for (const auto& [id, codes] : reasons_of) {
    EXPECT_TRUE(expected_.count(id)) << "reasons for no applicant: " << id;
  }

  // The pack's report (a production rule with a Lua action) prints the same
  // decisions in the bench's canonical form, one line each, in any order.
  std::vector<std::string> printed = Lines(run.out);
  std::sort(printed.begin(), printed.end());
  std::vector<std::string> want = expected_lines_;
  std::sort(want.begin(), want.end());
  std::vector<std::string> unexpected;
  std::set_difference(printed.begin(), printed.end(), want.begin(), want.end(), std::back_inserter(unexpected));
  EXPECT_EQ(printed.size(), 300u);
  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " printed lines are not the reference's; the first: "
                                  << unexpected.front();

  // The fixture exercises the whole decision: all three outcomes, every rule.
  std::set<std::string> outcomes, codes;
  for (const auto& [id, d] : expected_) {
    outcomes.insert(d.decision);
    codes.insert(d.reasons.begin(), d.reasons.end());
  }
  EXPECT_EQ(outcomes, (std::set<std::string>{"approve", "decline", "refer"}));
  EXPECT_EQ(codes.size(), 20u);
}

// The same pack answers by backward chaining (`syllo query`, tabled, with the Lua
// predicates called from the solver) with the same decisions.
TEST_F(LoanPack, QueryGivesTheSameDecisions) {
  ASSERT_NO_FATAL_FAILURE(CreateKb());
  CommandResult decisions = RunSyllo("query " + Pack() + " 'decision(Id, D, G, S)' --db " + Kb() + " --tsv");
  ASSERT_EQ(decisions.exit_code, 0) << decisions.err;
  CommandResult reasons = RunSyllo("query " + Pack() + " 'reason(Id, C)' --db " + Kb() + " --tsv");
  ASSERT_EQ(reasons.exit_code, 0) << reasons.err;
  std::map<std::string, std::vector<std::string>> reasons_of;
  for (const std::string& line : Lines(reasons.out)) {
    std::vector<std::string> f = Split(line, '\t');
    ASSERT_EQ(f.size(), 2u) << line;
    reasons_of[Unquote(f[0])].push_back(Unquote(f[1]));
  }
  Decisions actual;
  for (const std::string& line : Lines(decisions.out)) {
    std::vector<std::string> f = Split(line, '\t');
    ASSERT_EQ(f.size(), 4u) << line;
    const std::string id = Unquote(f[0]);
    Decision d{f[1], Unquote(f[2]), std::stoll(f[3]), reasons_of[id]};
    std::sort(d.reasons.begin(), d.reasons.end());
    EXPECT_TRUE(actual.emplace(id, d).second) << "more than one decision: " << line;
  }
  std::vector<std::string> differences = Differences(expected_, actual);
  EXPECT_TRUE(differences.empty()) << FirstFew(differences);
}

}  // namespace
}  // namespace syllo::testing

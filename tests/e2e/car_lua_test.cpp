// packs/car_diagnosis/car.lua, the car consultation written as a Lua pack,
// end to end against car.syl: `syllo check` accepts it without a warning, and
// `syllo repl` consultations of both packs, with the same replies given by
// question text, ask the same questions and conclude the same diagnoses with
// the same certainties; the explanations point into car.lua.
//
// As in consultation_test.cpp, a consultation is discovered question by
// question: run the script so far, read the question the REPL stopped at, add
// its reply, run again.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <ostream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "run_command.h"

namespace syllo::testing {
namespace {

// Question text (about my_car) -> the lines the user types at it, in order.
using Replies = std::map<std::string, std::vector<std::string>>;

const std::string kCranks = "When you turn the key, does the engine of my_car crank (turn over)?";
const std::string kClicks = "Do you hear a rapid clicking from my_car when you turn the key?";
const std::string kLightsDim = "Are the headlights of my_car dim or dead?";
const std::string kDashDead = "Does the dashboard of my_car stay dark with the key at ON?";
const std::string kCorroded = "Are the battery terminals of my_car white or green with corrosion?";
const std::string kBatteryAge = "How old is the battery of my_car, in years?";
const std::string kOutsideTemp = "What is the outside temperature where my_car is, in degrees Celsius?";
const std::string kFuelGauge = "What does the fuel gauge of my_car show?";
const std::string kSmellsFuel = "Is there a strong smell of fuel around my_car?";
const std::string kPumpHums = "With the key at ON, do you hear the fuel pump of my_car hum for a second or two?";
const std::string kCatchesThenDies = "Does the engine of my_car catch briefly and then die?";
const std::string kSecurityLight = "Is the security (immobiliser) light of my_car flashing?";
const std::string kEngineWet = "Has the engine bay of my_car been soaked (heavy rain, washing, a flood)?";
const std::string kCranksSlowly = "Does the engine of my_car crank slowly, as if struggling?";
const std::string kStarterWhines = "Do you hear the starter of my_car spin or whine without turning the engine?";
const std::string kBeltKm = "How many kilometres since the timing belt of my_car was replaced?";
const std::string kRecentFillUp = "Was my_car filled up just before the trouble started?";

// A set of replies and the conclusions they must lead to, worked out by hand
// from car.syl's rules (MYCIN: a + b(1 - a) for two positive certainties).
struct Scenario {
  std::string name;
  Replies replies;
  std::vector<std::string> conclusions;  // the answer lines, most certain first
};

void PrintTo(const Scenario& s, std::ostream* os) { *os << s.name; }

// The flat battery of consultation_test.cpp: does not crank, dim lights, an
// 8-year-old battery ("worn": 0.8), -10 C. 0.56 (+) 0.48 (+) 0.4 = 0.863.
Scenario DeadBattery() {
  return {"dead_battery",
          {{kCranks, {"no"}}, {kLightsDim, {"yes"}}, {kCranksSlowly, {"no"}}, {kClicks, {"no"}},
           {kBatteryAge, {"8"}}, {kOutsideTemp, {"-10"}}, {kDashDead, {"no"}}, {kCorroded, {"no"}},
           {kStarterWhines, {"no"}}, {kFuelGauge, {"half"}}, {kSecurityLight, {"no"}}, {kBeltKm, {"150000"}},
           {kSmellsFuel, {"no"}}, {kPumpHums, {"yes"}}, {kCatchesThenDies, {"no"}}, {kEngineWet, {"no"}},
           {kRecentFillUp, {"no"}}},
          {"  F = dead_battery (cf 0.863)"}};
}

// Cranks, but the gauge shows empty: out_of_fuel 0.9. A young battery (in no
// band), bright lights and a new timing belt count against the other faults.
Scenario OutOfFuel() {
  return {"out_of_fuel",
          {{kCranks, {"yes"}}, {kFuelGauge, {"empty"}}, {kPumpHums, {"yes"}}, {kSmellsFuel, {"no"}},
           {kCatchesThenDies, {"no"}}, {kEngineWet, {"no"}}, {kRecentFillUp, {"no"}}, {kBeltKm, {"40000"}},
           {kSecurityLight, {"no"}}, {kOutsideTemp, {"12"}}, {kLightsDim, {"no"}}, {kCranksSlowly, {"no"}},
           {kClicks, {"no"}}, {kDashDead, {"no"}}, {kCorroded, {"no"}}, {kStarterWhines, {"no"}},
           {kBatteryAge, {"2"}}},
          {"  F = out_of_fuel (cf 0.9)"}};
}

// Does not crank, bright lights, clicking, corroded terminals, a 4-year-old
// battery (the "aging" band: 0.4), "unknown" to cranking slowly:
//   starter_motor 0.7; corroded_terminals 0.7 * 0.5 (+) 0.4 = 0.61;
//   dead_battery 0.8 * 0.5 (+) 0.6 * 0.4 = 0.544.
Scenario ClickingAgingBattery() {
  return {"clicking_aging_battery",
          {{kCranks, {"no"}}, {kLightsDim, {"no"}}, {kCranksSlowly, {"unknown"}}, {kClicks, {"yes"}},
           {kBatteryAge, {"4"}}, {kOutsideTemp, {"5"}}, {kDashDead, {"no"}}, {kCorroded, {"yes"}},
           {kStarterWhines, {"no"}}, {kFuelGauge, {"half"}}, {kSecurityLight, {"no"}}, {kBeltKm, {"90000"}},
           {kSmellsFuel, {"no"}}, {kPumpHums, {"yes"}}, {kCatchesThenDies, {"no"}}, {kEngineWet, {"no"}},
           {kRecentFillUp, {"no"}}},
          {"  F = starter_motor (cf 0.7)", "  F = corroded_terminals (cf 0.61)", "  F = dead_battery (cf 0.544)"}};
}

// Cranks on a cold (-8 C) day after the engine bay got soaked; the fuel pump
// is silent with the gauge low; the driver is fairly sure (0.8) of a smell of
// fuel; the timing belt is old. The battery is never asked about (it cranks).
//   fuel_starved 0.3 (low and cold) (+) 0.6 (pump silent) = 0.72
//   fuel_pump 0.7 (+) 0.3 * 0.72 = 0.765; flooded_engine 0.7 * 0.8 = 0.56
//   no_spark_likely 0.6 (+) 0.4 * 0.8 = 0.728 -> wet_ignition 0.7 * 0.728 = 0.51
//   frozen_fuel_line 0.5 * 0.72 = 0.36; timing_belt blocked by the smell of fuel.
Scenario ColdWetEngine() {
  return {"cold_wet_engine",
          {{kCranks, {"yes"}}, {kFuelGauge, {"low"}}, {kPumpHums, {"no"}}, {kSmellsFuel, {"yes 0.8"}},
           {kCatchesThenDies, {"no"}}, {kEngineWet, {"yes"}}, {kRecentFillUp, {"no"}}, {kBeltKm, {"150000"}},
           {kSecurityLight, {"no"}}, {kOutsideTemp, {"-8"}}, {kLightsDim, {"no"}}, {kCranksSlowly, {"no"}},
           {kClicks, {"no"}}, {kDashDead, {"no"}}, {kCorroded, {"no"}}, {kStarterWhines, {"no"}},
           {kBatteryAge, {"unknown"}}},
          {"  F = fuel_pump (cf 0.765)", "  F = flooded_engine (cf 0.56)", "  F = wet_ignition (cf 0.51)",
           "  F = frozen_fuel_line (cf 0.36)"}};
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::size_t Count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// The answer lines between "Conclusions:" and "Use :how GOAL ...".
std::vector<std::string> Conclusions(const std::string& out) {
  std::vector<std::string> lines = Lines(out);
  auto begin = std::find(lines.begin(), lines.end(), "Conclusions:");
  if (begin == lines.end()) return {"<no conclusions>"};
  std::vector<std::string> result;
  for (auto it = begin + 1; it != lines.end() && it->rfind("Use :how", 0) != 0; ++it) result.push_back(*it);
  return result;
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }
std::string PackPath(const std::string& file) { return SourceDir() + "/packs/car_diagnosis/" + file; }

struct Transcript {
  std::string script;                  // everything typed, replies included
  std::vector<std::string> questions;  // the questions answered, in the order asked
  CommandResult result;                // the run of the whole script
};

// `:consult diagnosis(my_car, F)` in `syllo repl PACK`, answering every
// question from `replies` by its text, then `after`.
Transcript Consult(const std::string& pack, const Replies& replies, const std::string& after = "") {
  Transcript t;
  t.script = ":consult diagnosis(my_car, F)\n";
  const std::string stopped = "% stopped: no reply to: ";
  for (int round = 0; round < 40; ++round) {
    CommandResult r = RunSyllo("repl " + Quote(PackPath(pack)), t.script);
    std::size_t at = r.out.rfind(stopped);
    if (at == std::string::npos) break;  // the consultation came to an end
    std::string question = r.out.substr(at + stopped.size());
    question = question.substr(0, question.find('\n'));
    auto it = replies.find(question);
    if (it == replies.end()) {
      ADD_FAILURE() << pack << ": a question this test has no reply for: " << question << "\n" << r.out << r.err;
      break;
    }
    for (const auto& line : it->second) t.script += line + "\n";
    t.questions.push_back(question);
  }
  t.script += after;
  t.result = RunSyllo("repl " + Quote(PackPath(pack)), t.script);
  return t;
}

// (a) The pack checks without an error or a warning, and declares as much as car.syl.
TEST(CarLua, CheckPassesWithoutWarnings) {
  CommandResult lua = RunSyllo("check " + Quote(PackPath("car.lua")));
  EXPECT_EQ(lua.exit_code, 0) << lua.out << lua.err;
  EXPECT_EQ(lua.err, "");  // warnings (singletons...) would be printed here
  EXPECT_EQ(lua.out.rfind("ok: 1 file, ", 0), 0u) << lua.out;
  CommandResult syl = RunSyllo("check " + Quote(PackPath("car.syl")));
  ASSERT_EQ(syl.exit_code, 0) << syl.err;
  // The same counts: 31 relations, 30 facts, 39 rules, 2 production rules, 17 questions, 1 query.
  EXPECT_EQ(lua.out, syl.out);
  EXPECT_NE(lua.out.find(" 17 questions"), std::string::npos) << lua.out;
}

// (b) The same replies by question text: the same questions in the same
// order, the same conclusions with the same certainties.
class CarLuaSameAsSyl : public ::testing::TestWithParam<Scenario> {};

TEST_P(CarLuaSameAsSyl, SameQuestionsAndDiagnoses) {
  const Scenario& s = GetParam();
  Transcript syl = Consult("car.syl", s.replies);
  Transcript lua = Consult("car.lua", s.replies);
  for (const Transcript* t : {&syl, &lua}) {
    EXPECT_EQ(t->result.exit_code, 0) << t->result.out << t->result.err;
    EXPECT_EQ(t->result.err, "");
    EXPECT_EQ(t->result.out.find("% stopped"), std::string::npos) << t->result.out;
    EXPECT_FALSE(t->questions.empty());
    for (const auto& q : t->questions) EXPECT_EQ(Count(t->result.out, q + " ["), 1u) << q << "\n" << t->result.out;
  }
  EXPECT_EQ(lua.questions, syl.questions);
  EXPECT_EQ(std::set<std::string>(lua.questions.begin(), lua.questions.end()),
            std::set<std::string>(syl.questions.begin(), syl.questions.end()));

  const std::vector<std::string> from_syl = Conclusions(syl.result.out);
  const std::vector<std::string> from_lua = Conclusions(lua.result.out);
  EXPECT_EQ(from_lua, from_syl) << "car.syl:\n" << syl.result.out << "car.lua:\n" << lua.result.out;
  ASSERT_FALSE(from_syl.empty());
  for (const auto& line : from_syl) EXPECT_EQ(line.rfind("  F = ", 0), 0u) << line;
  EXPECT_EQ(from_syl, s.conclusions) << syl.result.out;
  // Without `why` the transcripts do not differ at all: questions, offered
  // replies, echoes, conclusions.
  EXPECT_EQ(lua.result.out, syl.result.out);
}

INSTANTIATE_TEST_SUITE_P(CarLua, CarLuaSameAsSyl,
                         ::testing::Values(DeadBattery(), OutOfFuel(), ClickingAgingBattery(), ColdWetEngine()),
                         [](const ::testing::TestParamInfo<Scenario>& info) { return info.param.name; });

// Every "rule NAME (PATH:LINE:COL)" in `out` that names car.lua, as {name, line}.
std::vector<std::pair<std::string, int>> RuleLocations(const std::string& out, const std::string& pack) {
  std::vector<std::pair<std::string, int>> found;
  const std::regex re("rule ([a-z_]+)#[0-9]+ \\(([^()]+):([0-9]+):[0-9]+\\)");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), re); it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    EXPECT_EQ(m[2].str(), pack) << m[0];
    found.emplace_back(m[1].str(), std::atoi(m[3].str().c_str()));
  }
  return found;
}

// The line `pos` (1-based) of `text`.
std::string LineOf(const std::string& text, int pos) {
  std::vector<std::string> lines = Lines(text);
  return pos >= 1 && static_cast<std::size_t>(pos) <= lines.size() ? lines[pos - 1] : "<no line " + std::to_string(pos) + ">";
}

// (c) `why` at a question and `:how` afterwards name places in car.lua: the
// line of the syllo.rule call that declared each rule.
TEST(CarLua, WhyAndHowPointIntoCarLua) {
  Replies replies = DeadBattery().replies;
  replies[kBatteryAge] = {"why", "8"};
  Transcript t = Consult("car.lua", replies, ":how diagnosis(my_car, dead_battery)\n");
  const std::string& out = t.result.out;
  const std::string pack = PackPath("car.lua");
  const std::string source = ReadFile(pack);
  ASSERT_FALSE(source.empty()) << pack;
  EXPECT_EQ(t.result.exit_code, 0) << t.result.err;
  EXPECT_EQ(out.find("car.syl"), std::string::npos) << out;

  // why: asked for old_battery#1 (the "worn" band, a table-form rule in a loop), for diagnosis#2.
  const std::size_t why_at = out.find(kBatteryAge + " [a number 0..30/unknown/why] why\n");
  const std::size_t again_at = out.find(kBatteryAge + " [a number 0..30/unknown/why] 8\n");
  ASSERT_NE(why_at, std::string::npos) << out;
  ASSERT_NE(again_at, std::string::npos) << out;
  ASSERT_LT(why_at, again_at);
  const std::string why = out.substr(why_at, again_at - why_at);
  EXPECT_NE(why.find("and  battery_band(Y, worn)"), std::string::npos) << why;
  auto why_rules = RuleLocations(why, pack);
  ASSERT_EQ(why_rules.size(), 2u) << why;
  EXPECT_EQ(why_rules[0].first, "old_battery") << why;
  EXPECT_NE(LineOf(source, why_rules[0].second).find("head = \"old_battery(C)\""), std::string::npos)
      << "line " << why_rules[0].second << ": " << LineOf(source, why_rules[0].second);
  EXPECT_EQ(why_rules[1].first, "diagnosis") << why;
  EXPECT_NE(LineOf(source, why_rules[1].second).find("diagnosis(C, dead_battery) cf 0.6 :-"), std::string::npos)
      << "line " << why_rules[1].second << ": " << LineOf(source, why_rules[1].second);

  // how: the three diagnosis rules and the findings under them, each at its own line.
  const std::size_t how_at = out.find("diagnosis(my_car, dead_battery)  cf 0.863\n");
  ASSERT_NE(how_at, std::string::npos) << out;
  const std::string how = out.substr(how_at);
  auto how_rules = RuleLocations(how, pack);
  ASSERT_GE(how_rules.size(), 6u) << how;
  std::map<std::string, std::set<int>> lines_of;
  for (const auto& [name, line] : how_rules) {
    lines_of[name].insert(line);
    // Each location is a line of car.lua that declares a rule concluding NAME.
    EXPECT_NE(LineOf(source, line).find(name + "(C"), std::string::npos)
        << name << " at line " << line << ": " << LineOf(source, line);
  }
  EXPECT_EQ(lines_of["diagnosis"].size(), 3u) << how;  // diagnosis#1, #2, #3: three calls
  const std::regex first("by rule diagnosis#1 \\([^()]+:([0-9]+):[0-9]+\\): body 0.7, rule cf 0.8");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(how, m, first)) << how;
  EXPECT_NE(LineOf(source, std::atoi(m[1].str().c_str())).find("diagnosis(C, dead_battery) cf 0.8 :-"),
            std::string::npos)
      << LineOf(source, std::atoi(m[1].str().c_str()));
  EXPECT_NE(how.find("battery_band(8, worn)  [holds]"), std::string::npos) << how;
  EXPECT_NE(how.find("lights_dim(my_car)  cf 1  [your answer]"), std::string::npos) << how;
}

// The Lua action of report_likely: car.syl's report line, then the remedies
// it looks up with s:query("remedy", {F}), in step order.
TEST(CarLua, RunReportsLikelyFaultsWithRemediesFromLua) {
  const std::string run = "?- likely(my_car, F).\n:run\n";
  Transcript syl = Consult("car.syl", DeadBattery().replies, run);
  Transcript lua = Consult("car.lua", DeadBattery().replies, run);
  const std::string report =
      "my_car: likely dead_battery (electrical): The battery cannot deliver the current the starter needs.\n";
  EXPECT_NE(syl.result.out.find(report), std::string::npos) << syl.result.out;
  EXPECT_EQ(syl.result.out.find("  1. "), std::string::npos) << syl.result.out;
  EXPECT_NE(lua.result.out.find(report +
                                "  1. Jump-start from another car or a booster pack.\n"
                                "  2. Have the battery load-tested; replace it if it fails.\n"),
            std::string::npos)
      << lua.result.out;
  EXPECT_EQ(lua.result.err, "");
  EXPECT_EQ(Count(lua.result.out, "F = dead_battery (cf 0.863)"), 2u) << lua.result.out;  // :consult and ?-

  Transcript fuel = Consult("car.lua", OutOfFuel().replies, ":run\n");
  EXPECT_NE(fuel.result.out.find("my_car: likely out_of_fuel (fuel): The tank is empty.\n"
                                 "  1. Add at least 5 litres of fuel, then crank in short bursts.\n%"),
            std::string::npos)
      << fuel.result.out;
  EXPECT_EQ(fuel.result.out.find("  2. "), std::string::npos) << fuel.result.out;

  // Before any reply `syllo run` reports starter_motor, as for car.syl, with its two steps.
  CommandResult plain = RunSyllo("run " + Quote(PackPath("car.lua")));
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out, RunSyllo("run " + Quote(PackPath("car.syl"))).out +
                           "  1. Tap the starter lightly while a helper turns the key; if it starts, replace the "
                           "starter soon.\n"
                           "  2. Check the starter relay and its fuse.\n");
}

// The Lua predicate battery_band stands for car.syl's comparisons (Y >= 5:
// 0.8; 3 <= Y < 5: 0.4): old_battery agrees for every age the question allows.
TEST(CarLua, BatteryBandsAgreeWithCarSylForEveryAge) {
  std::string script;
  for (int age = 0; age <= 30; ++age) {
    const std::string car = "c" + std::to_string(age);
    script += "car(" + car + ", van, 2019).\nbattery_age(" + car + ", " + std::to_string(age) + ").\n";
  }
  script += "?- car(C, van, _), old_battery(C).\n";
  CommandResult syl = RunSyllo("repl " + Quote(PackPath("car.syl")), script);
  CommandResult lua = RunSyllo("repl " + Quote(PackPath("car.lua")), script);
  EXPECT_EQ(lua.exit_code, 0) << lua.err;
  EXPECT_EQ(lua.err, "");
  EXPECT_EQ(lua.out, syl.out);
  std::vector<std::string> answers = Lines(lua.out);
  EXPECT_EQ(answers.size(), 28u) << lua.out;  // ages 3..30
  std::set<std::string> set(answers.begin(), answers.end());
  EXPECT_EQ(set.count("C = c2 (cf 0.4)") + set.count("C = c2 (cf 0.8)") + set.count("C = c2"), 0u) << lua.out;
  EXPECT_EQ(set.count("C = c3 (cf 0.4)"), 1u) << lua.out;
  EXPECT_EQ(set.count("C = c4 (cf 0.4)"), 1u) << lua.out;
  EXPECT_EQ(set.count("C = c5 (cf 0.8)"), 1u) << lua.out;
  EXPECT_EQ(set.count("C = c30 (cf 0.8)"), 1u) << lua.out;

  CommandResult band = RunSyllo("query " + Quote(PackPath("car.lua")) + " 'battery_band(4, B)'");
  EXPECT_EQ(band.exit_code, 0) << band.err;
  EXPECT_EQ(Lines(band.out), std::vector<std::string>{"B = aging"}) << band.out;
}

}  // namespace
}  // namespace syllo::testing

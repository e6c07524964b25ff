// A consultation end to end, as a user scripts it: `syllo repl car.syl` with a
// script on standard input. Commands and queries are read from stdin; at a
// question the REPL reads the reply line from stdin too, so a script is the
// commands with the replies in between, in the order the questions come.
//
// The order of the questions is the engine's business, not the user's: the
// consultations below answer each question by its text (Consult() runs the
// script so far, reads the question the REPL stopped at, looks its reply up
// and runs again), then check the transcript of the whole script.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "run_command.h"

namespace syllo::testing {
namespace {

// The questions of packs/car_diagnosis/car.syl about my_car, the relation each
// one asks about, and the replies of a car whose battery is flat on a cold day:
// it does not crank, its lights are dim, its battery is 8 years old, it is -10 C.
struct Known {
  std::string relation;
  std::vector<std::string> lines;  // what the user types at the question, in order
};

const std::map<std::string, Known>& DeadBatteryReplies() {
  static const std::map<std::string, Known> kReplies = {
      {"When you turn the key, does the engine of my_car crank (turn over)?", {"cranks", {"no"}}},
      {"Are the headlights of my_car dim or dead?", {"lights_dim", {"yes"}}},
      {"Does the engine of my_car crank slowly, as if struggling?", {"cranks_slowly", {"no"}}},
      {"Do you hear a rapid clicking from my_car when you turn the key?", {"clicks", {"no"}}},
      {"How old is the battery of my_car, in years?", {"battery_age", {"8"}}},
      {"What is the outside temperature where my_car is, in degrees Celsius?", {"outside_temp", {"-10"}}},
      {"Does the dashboard of my_car stay dark with the key at ON?", {"dash_dead", {"no"}}},
      {"Are the battery terminals of my_car white or green with corrosion?", {"terminals_corroded", {"no"}}},
      {"Do you hear the starter of my_car spin or whine without turning the engine?", {"starter_whines", {"no"}}},
      {"What does the fuel gauge of my_car show?", {"fuel_gauge", {"half"}}},
      {"Is the security (immobiliser) light of my_car flashing?", {"security_light_flashing", {"no"}}},
      {"How many kilometres since the timing belt of my_car was replaced?", {"belt_km", {"150000"}}},
      // Not needed for a car that does not crank, but a user would know.
      {"Is there a strong smell of fuel around my_car?", {"smells_fuel", {"no"}}},
      {"With the key at ON, do you hear the fuel pump of my_car hum for a second or two?", {"pump_hums", {"yes"}}},
      {"Does the engine of my_car catch briefly and then die?", {"catches_then_dies", {"no"}}},
      {"Has the engine bay of my_car been soaked (heavy rain, washing, a flood)?", {"engine_wet", {"no"}}},
      {"Was my_car filled up just before the trouble started?", {"recent_fill_up", {"no"}}},
  };
  return kReplies;
}

// MYCIN's combination of two certainty factors of the same sign (and, for the
// mixed case, the formula MYCIN uses) -- computed here, not read from the engine.
double Combine(double a, double b) {
  if (a >= 0 && b >= 0) return a + b * (1 - a);
  if (a < 0 && b < 0) return a + b * (1 + a);
  return (a + b) / (1 - std::min(std::abs(a), std::abs(b)));
}

// dead_battery from the replies above, rule by rule (car.syl):
//   diagnosis#1 cf 0.8 : not cranks, electrical_weak (0.7 from lights_dim)  -> 0.8 * 0.7 = 0.56
//   diagnosis#2 cf 0.6 : not cranks, old_battery (0.8: 8 years >= 5)        -> 0.6 * 0.8 = 0.48
//   diagnosis#3 cf 0.5 : not cranks, cold_weather (1: -10 < -5), old_battery -> 0.5 * min(1, 0.8) = 0.4
//   diagnosis#4 needs dash_dead (no); diagnosis#5 (-0.6) needs not lights_dim (they are dim).
double ExpectedDeadBatteryCf() { return Combine(Combine(0.8 * 0.7, 0.6 * 0.8), 0.5 * std::min(1.0, 0.8)); }

std::size_t Count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// How many times a question was put to the user (its text, then the offered replies).
std::size_t CountAsked(const std::string& out, const std::string& question) { return Count(out, question + " ["); }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool HasLine(const std::string& text, const std::string& line) {
  auto lines = Lines(text);
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

// An answer that is certain: printed plainly, or with " (cf 1)" (both are fine here).
bool HasCertainAnswer(const std::string& text, const std::string& answer) {
  return HasLine(text, answer) || HasLine(text, answer + " (cf 1)");
}

// The certainty printed for `F = FAULT (cf X)` in the conclusions, or -2 if absent.
double ConcludedCf(const std::string& out, const std::string& fault) {
  std::smatch m;
  std::regex re("F = " + fault + " \\(cf (-?[0-9.]+(e-?[0-9]+)?)\\)");
  if (!std::regex_search(out, m, re)) return -2;
  return std::strtod(m[1].str().c_str(), nullptr);
}

class Consultation : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  static std::string Quote(const std::string& s) { return "'" + s + "'"; }
  static std::string Pack() { return SourceDir() + "/packs/car_diagnosis/car.syl"; }

  // `syllo repl car.syl [ARGS]` with `script` on standard input.
  CommandResult Repl(const std::string& script, const std::string& args = "") const {
    return RunSyllo("repl " + Quote(Pack()) + (args.empty() ? "" : " " + args), script);
  }

  struct Transcript {
    std::string script;                  // everything typed, replies included
    std::vector<std::string> questions;  // the questions answered, in the order asked
    CommandResult result;                // the run of the whole script
  };

  // Types `before`, then `:consult diagnosis(my_car, F)`, then answers each
  // question from `replies` (by its text) until the consultation ends or
  // `max_questions` were answered; then `after`. The script is discovered by
  // running it up to the first unanswered question, over and over.
  //
  // With a knowledge base (`db`), every reply is stored as it is given, so the
  // rounds of discovery run on a copy of it and only the last run on `db` itself.
  Transcript Consult(const std::map<std::string, Known>& replies, const std::string& before = "",
                     const std::string& after = "", const std::string& db = "",
                     std::size_t max_questions = 1000) const {
    Transcript t;
    t.script = before + ":consult diagnosis(my_car, F)\n";
    const std::string stopped = "% stopped: no reply to: ";
    for (int round = 0; round < 60 && t.questions.size() < max_questions; ++round) {
      std::string args;
      if (!db.empty()) {
        const std::string scratch = Path("scratch.db");
        for (const char* suffix : {"", "-wal", "-shm"}) {
          std::filesystem::remove(scratch + suffix);
          if (std::filesystem::exists(db + suffix)) std::filesystem::copy_file(db + suffix, scratch + suffix);
        }
        args = "--db " + Quote(scratch);
      }
      CommandResult r = Repl(t.script, args);
      std::size_t at = r.out.rfind(stopped);
      if (at == std::string::npos) break;  // the consultation came to an end
      std::string question = r.out.substr(at + stopped.size());
      question = question.substr(0, question.find('\n'));
      auto it = replies.find(question);
      if (it == replies.end()) {
        ADD_FAILURE() << "a question this test has no reply for: " << question << "\n" << r.out << r.err;
        break;
      }
      for (const auto& line : it->second.lines) t.script += line + "\n";
      t.questions.push_back(question);
    }
    t.script += after;
    t.result = Repl(t.script, db.empty() ? "" : "--db " + Quote(db));
    return t;
  }

  std::string dir_;
};

// (a) + (f): a whole consultation to dead_battery, with the certainty MYCIN's
// combination gives; each question asked once.
TEST_F(Consultation, FullConsultationConcludesDeadBatteryWithCombinedCertainty) {
  Transcript t = Consult(DeadBatteryReplies());
  const std::string& out = t.result.out;
  EXPECT_EQ(t.result.exit_code, 0) << t.result.err;
  EXPECT_TRUE(HasLine(out, "Consultation: diagnosis(my_car, F)")) << out;
  EXPECT_NE(out.find("Conclusions:\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("% stopped"), std::string::npos) << out;

  const double expected = ExpectedDeadBatteryCf();
  EXPECT_NEAR(expected, 0.86272, 1e-9);  // 0.56 (+) 0.48 = 0.7712; (+) 0.4 = 0.86272
  const double printed = ConcludedCf(out, "dead_battery");
  EXPECT_NEAR(printed, expected, 0.0005) << out;
  EXPECT_NE(out.find("  F = dead_battery (cf 0.863)\n"), std::string::npos) << out;
  // The evidence is for dead_battery alone: nothing else reaches the threshold.
  EXPECT_EQ(Count(out, "  F = "), 1u) << out;

  // The replies shown after their questions (input that is not a terminal is echoed).
  EXPECT_NE(out.find("When you turn the key, does the engine of my_car crank (turn over)? [yes/no/unknown/why] no\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("How old is the battery of my_car, in years? [a number 0..30/unknown/why] 8\n"),
            std::string::npos)
      << out;

  // (f) Every question at most once; the ones this diagnosis depends on were asked.
  ASSERT_FALSE(t.questions.empty());
  for (const auto& [question, known] : DeadBatteryReplies()) {
    EXPECT_LE(CountAsked(out, question), 1u) << "asked more than once: " << question << "\n" << out;
  }
  for (const char* needed : {"When you turn the key, does the engine of my_car crank (turn over)?",
                             "Are the headlights of my_car dim or dead?", "How old is the battery of my_car, in years?",
                             "What is the outside temperature where my_car is, in degrees Celsius?"}) {
    EXPECT_EQ(CountAsked(out, needed), 1u) << needed << "\n" << out;
  }
  // A car that does not crank: the questions only a cranking engine needs are not asked.
  EXPECT_EQ(out.find("Is there a strong smell of fuel around my_car?"), std::string::npos) << out;
  EXPECT_EQ(out.find("do you hear the fuel pump of my_car hum"), std::string::npos) << out;
}

// (f) Within one consultation nothing is asked twice, and after it the
// replies stand: another query over the same relations asks nothing.
TEST_F(Consultation, RepliesAreNotAskedAgainLaterInTheSession) {
  Transcript t = Consult(DeadBatteryReplies(), "", "?- diagnosis(my_car, dead_battery).\n");
  const std::string& out = t.result.out;
  for (const auto& question : t.questions) EXPECT_EQ(CountAsked(out, question), 1u) << question << "\n" << out;
  EXPECT_TRUE(HasLine(out, "true (cf 0.863)")) << out;
  EXPECT_EQ(out.find("% stopped"), std::string::npos) << out;
}

// (b) `why` at a question: the rule being tried and the goal, then the same question again.
TEST_F(Consultation, WhyAtAQuestionShowsTheRuleAndTheGoalThenAsksAgain) {
  auto replies = DeadBatteryReplies();
  const std::string cranks = "When you turn the key, does the engine of my_car crank (turn over)?";
  const std::string age = "How old is the battery of my_car, in years?";
  replies[cranks].lines = {"why", "no"};
  replies[age].lines = {"why", "8"};
  Transcript t = Consult(replies, "", ":why\n");
  const std::string& out = t.result.out;
  EXPECT_EQ(t.result.exit_code, 0) << t.result.err;

  // Asked, `why`, asked again, answered.
  EXPECT_EQ(CountAsked(out, cranks), 2u) << out;
  EXPECT_NE(out.find(cranks + " [yes/no/unknown/why] why\n"), std::string::npos) << out;
  EXPECT_NE(out.find(cranks + " [yes/no/unknown/why] no\n"), std::string::npos) << out;
  const std::size_t first = out.find(cranks + " [yes/no/unknown/why] why\n");
  const std::size_t again = out.find(cranks + " [yes/no/unknown/why] no\n");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(again, std::string::npos);
  ASSERT_LT(first, again);
  const std::string why = out.substr(first, again - first);
  // The rule being tried, with the condition the question is for, and what it concludes.
  EXPECT_NE(why.find("I am trying to find out whether not cranks(my_car)."), std::string::npos) << why;
  EXPECT_NE(why.find("of rule diagnosis#1 ("), std::string::npos) << why;
  EXPECT_NE(why.find("not cranks(my_car)   <- this one"), std::string::npos) << why;
  EXPECT_NE(why.find("then diagnosis(my_car, dead_battery)  (cf 0.8)"), std::string::npos) << why;
  // ... and the goal the user asked.
  EXPECT_NE(why.find("the goal you asked: diagnosis(my_car"), std::string::npos) << why;

  // Deeper down: the battery's age is asked for old_battery, for diagnosis.
  const std::size_t age_why = out.find(age + " [a number 0..30/unknown/why] why\n");
  const std::size_t age_again = out.find(age + " [a number 0..30/unknown/why] 8\n");
  ASSERT_NE(age_why, std::string::npos) << out;
  ASSERT_NE(age_again, std::string::npos) << out;
  ASSERT_LT(age_why, age_again);
  const std::string why_age = out.substr(age_why, age_again - age_why);
  EXPECT_NE(why_age.find("I am trying to find out whether battery_age(my_car"), std::string::npos) << why_age;
  EXPECT_NE(why_age.find("of rule old_battery#"), std::string::npos) << why_age;
  EXPECT_NE(why_age.find("then old_battery(my_car)"), std::string::npos) << why_age;
  EXPECT_NE(why_age.find("which would help to establish old_battery(my_car)"), std::string::npos) << why_age;
  EXPECT_NE(why_age.find("rule diagnosis#"), std::string::npos) << why_age;
  EXPECT_NE(why_age.find("the goal you asked: diagnosis(my_car"), std::string::npos) << why_age;

  // The consultation still concludes, and `why` counted as no reply.
  EXPECT_NEAR(ConcludedCf(out, "dead_battery"), ExpectedDeadBatteryCf(), 0.0005) << out;
  // :why afterwards recalls the last question; before any question it says so.
  EXPECT_NE(out.find("You were asked: "), std::string::npos) << out;
  EXPECT_TRUE(HasLine(Repl(":why\n").out, "No question has been asked yet."));
}

// (c) :how after the consultation: the rules, the user's answers as leaves, the certainty.
TEST_F(Consultation, HowShowsRulesAnswersAndCertainty) {
  Transcript t = Consult(DeadBatteryReplies(), "", ":how diagnosis(my_car, dead_battery)\n");
  const std::string& out = t.result.out;
  EXPECT_EQ(t.result.exit_code, 0) << t.result.err;
  std::size_t at = out.find("Use :how GOAL");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string how = out.substr(out.find('\n', at) + 1);
  EXPECT_TRUE(HasLine(how, "diagnosis(my_car, dead_battery)  cf 0.863")) << how;
  // The three rules that conclude it, with their certainties.
  EXPECT_NE(how.find("by rule diagnosis#1 ("), std::string::npos) << how;
  EXPECT_NE(how.find("rule cf 0.8"), std::string::npos) << how;
  EXPECT_NE(how.find("by rule diagnosis#2 ("), std::string::npos) << how;
  EXPECT_NE(how.find("by rule diagnosis#3 ("), std::string::npos) << how;
  // The intermediate findings and the rules behind them.
  EXPECT_NE(how.find("electrical_weak(my_car)  cf 0.7"), std::string::npos) << how;
  EXPECT_NE(how.find("by rule electrical_weak#1 ("), std::string::npos) << how;
  EXPECT_NE(how.find("old_battery(my_car)  cf 0.8"), std::string::npos) << how;
  EXPECT_NE(how.find("cold_weather(my_car)"), std::string::npos) << how;
  // The leaves: the user's answers.
  EXPECT_NE(how.find("lights_dim(my_car)  cf 1  [your answer]"), std::string::npos) << how;
  EXPECT_NE(how.find("battery_age(my_car, 8)  cf 1  [your answer]"), std::string::npos) << how;
  EXPECT_NE(how.find("outside_temp(my_car, -10)  cf 1  [your answer]"), std::string::npos) << how;
  EXPECT_NE(how.find("not cranks(my_car)"), std::string::npos) << how;
  // Nothing was asked again for the explanation.
  EXPECT_EQ(CountAsked(out, "Are the headlights of my_car dim or dead?"), 1u) << out;
}

// (d) :whynot on a fault the replies rule out names the condition that failed.
TEST_F(Consultation, WhyNotNamesTheFailingCondition) {
  Transcript t = Consult(DeadBatteryReplies(), "", ":whynot diagnosis(my_car, starter_motor)\n");
  const std::string& out = t.result.out;
  EXPECT_EQ(t.result.exit_code, 0) << t.result.err;
  std::size_t at = out.find("diagnosis(my_car, starter_motor) is not established.");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string whynot = out.substr(at);
  // Both starter_motor rules stop at `not lights_dim` (the lights are dim).
  EXPECT_GE(Count(whynot, "fails at condition 3: not lights_dim(my_car)"), 1u) << whynot;
  EXPECT_NE(whynot.find("rule diagnosis#8 ("), std::string::npos) << whynot;
  EXPECT_NE(whynot.find("(condition 2 held: not cranks(my_car))"), std::string::npos) << whynot;
  // Rules for other faults are not listed.
  EXPECT_EQ(whynot.find("rule diagnosis#1 ("), std::string::npos) << whynot;
  // And a conclusion that holds says so.
  Transcript held = Consult(DeadBatteryReplies(), "", ":whynot diagnosis(my_car, dead_battery)\n");
  EXPECT_NE(held.result.out.find("diagnosis(my_car, dead_battery) holds: diagnosis(my_car, dead_battery) (cf 0.863)"),
            std::string::npos)
      << held.result.out;
}

// (e) Replies that do not fit say what was expected and the question comes again.
TEST_F(Consultation, BadRepliesSayWhatWasExpectedAndAskAgain) {
  auto replies = DeadBatteryReplies();
  const std::string cranks = "When you turn the key, does the engine of my_car crank (turn over)?";
  const std::string age = "How old is the battery of my_car, in years?";
  const std::string gauge = "What does the fuel gauge of my_car show?";
  replies[cranks].lines = {"maybe", "no"};
  replies[age].lines = {"99", "eight", "8"};
  replies[gauge].lines = {"brimming", "half"};
  Transcript t = Consult(replies);
  const std::string& out = t.result.out;
  EXPECT_EQ(t.result.exit_code, 0) << t.result.err;

  EXPECT_NE(out.find(cranks + " [yes/no/unknown/why] maybe\n"
                              "  expected yes, no or unknown (optionally followed by a certainty), not 'maybe'\n" +
                     cranks + " [yes/no/unknown/why] no\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(age + " [a number 0..30/unknown/why] 99\n"
                           "  expected a number between 0 and 30, not 99\n" +
                     age + " [a number 0..30/unknown/why] eight\n"
                           "  expected a number or unknown, not 'eight'\n" +
                     age + " [a number 0..30/unknown/why] 8\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(gauge + " [empty/low/half/full/unknown/why] brimming\n"
                             "  expected one of empty, low, half, full or unknown, not 'brimming'\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(CountAsked(out, cranks), 2u) << out;
  EXPECT_EQ(CountAsked(out, age), 3u) << out;
  // The valid replies count: the same conclusion as without the mistakes.
  EXPECT_NEAR(ConcludedCf(out, "dead_battery"), ExpectedDeadBatteryCf(), 0.0005) << out;
}

// (g) Replies go to the knowledge base as they are given: a consultation cut
// short (end of input at a question) resumes where it stopped.
TEST_F(Consultation, ResumesFromTheKnowledgeBase) {
  const std::string db = Path("car.db");
  Transcript first = Consult(DeadBatteryReplies(), "", "", db, 4);
  ASSERT_EQ(first.questions.size(), 4u) << first.result.out << first.result.err;
  EXPECT_NE(first.result.out.find("% stopped: no reply to: "), std::string::npos) << first.result.out;
  EXPECT_EQ(first.result.out.find("Conclusions:"), std::string::npos) << first.result.out;

  // The four replies are stored with origin user.
  for (const auto& q : first.questions) {
    const Known& known = DeadBatteryReplies().at(q);
    CommandResult exported = RunSyllo("kb export " + Quote(db) + " " + known.relation + " --format csv");
    ASSERT_EQ(exported.exit_code, 0) << known.relation << ": " << exported.err;
    auto lines = Lines(exported.out);
    ASSERT_EQ(lines.size(), 2u) << known.relation << ":\n" << exported.out;  // header + the reply
    EXPECT_EQ(lines[1].rfind("my_car,", 0), 0u) << lines[1];
    EXPECT_NE(lines[1].find(",user"), std::string::npos) << known.relation << ": " << lines[1];
    // `no` is stored as evidence against (cf -1); `yes` and values with cf 1.
    std::vector<std::string> fields;
    std::stringstream row(lines[1]);
    for (std::string f; std::getline(row, f, ',');) fields.push_back(f);
    ASSERT_GE(fields.size(), 3u) << lines[1];
    EXPECT_EQ(std::strtod(fields[fields.size() - 2].c_str(), nullptr), known.lines.back() == "no" ? -1.0 : 1.0)
        << lines[1];
  }
  CommandResult cranks = RunSyllo("kb export " + Quote(db) + " cranks --format csv");
  EXPECT_EQ(Lines(cranks.out), (std::vector<std::string>{"car,cf,origin", "my_car,-1.0,user"})) << cranks.out;

  // A second run on the same KB does not ask them again and concludes.
  Transcript second = Consult(DeadBatteryReplies(), "", "", db);
  const std::string& out = second.result.out;
  EXPECT_EQ(second.result.exit_code, 0) << second.result.err;
  for (const auto& q : first.questions) {
    EXPECT_EQ(out.find(q), std::string::npos) << "asked again after resuming: " << q << "\n" << out;
  }
  EXPECT_FALSE(second.questions.empty()) << out;
  EXPECT_NEAR(ConcludedCf(out, "dead_battery"), ExpectedDeadBatteryCf(), 0.0005) << out;

  // A third run has nothing left to ask.
  CommandResult third = Repl(":consult diagnosis(my_car, F)\n", "--db " + Quote(db));
  EXPECT_EQ(third.out.find("? ["), std::string::npos) << third.out;
  EXPECT_NEAR(ConcludedCf(third.out, "dead_battery"), ExpectedDeadBatteryCf(), 0.0005) << third.out;
}

// Starting afresh: without the KB, or after :reset, the questions come again.
TEST_F(Consultation, ResetForgetsTheSessionsReplies) {
  const std::string cranks = "When you turn the key, does the engine of my_car crank (turn over)?";
  Transcript t = Consult(DeadBatteryReplies(), "", ":reset\n:consult diagnosis(my_car, F)\n");
  const std::string& out = t.result.out;
  EXPECT_NE(out.find("% reset: "), std::string::npos) << out;
  // Asked in the first consultation, asked again in the second (which then stops at the end of input).
  EXPECT_EQ(CountAsked(out, cranks), 2u) << out;
  EXPECT_NE(out.find("% stopped: no reply to: " + cranks), std::string::npos) << out;
}

// (h) Errors are reported and the session goes on.
TEST_F(Consultation, ErrorsKeepTheSessionUsable) {
  CommandResult r = Repl(
      "?- diagnosis(my_car, F.\n"
      "?- car(C, M, Y).\n"
      ":load " + Path("missing.syl") + "\n"
      "?- fault(dead_battery, S, _).\n"
      ":frobnicate\n"
      "?- remedy(starter_motor, N, _).\n");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // A syntax error in a query: position, caret.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex("<query>:1:[0-9]+: error: [^\n]+\n  [^\n]*\n +\\^\n"))) << r.err;
  // The next query still answers.
  EXPECT_TRUE(HasCertainAnswer(r.out, "C = my_car, M = hatchback, Y = 2012")) << r.out;
  // A missing pack is an error; the program stays as it was.
  EXPECT_NE(r.err.find("missing.syl"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("% loaded"), std::string::npos) << r.out;
  EXPECT_TRUE(HasCertainAnswer(r.out, "S = electrical")) << r.out;
  // An unknown command says so.
  EXPECT_NE(r.err.find("unknown command :frobnicate"), std::string::npos) << r.err;
  EXPECT_TRUE(HasCertainAnswer(r.out, "N = 1")) << r.out;
  EXPECT_TRUE(HasCertainAnswer(r.out, "N = 2")) << r.out;
}

// (i) After a consultation the replies are facts: queries on what the rules
// derive from them answer, and :run fires the production rules.
TEST_F(Consultation, DerivedRelationsAndProductionRulesAfterAConsultation) {
  Transcript t = Consult(DeadBatteryReplies(), "",
                         "?- likely(my_car, F).\n"
                         "?- fault_count(my_car, N).\n"
                         "?- advice(my_car, dead_battery, Step, Action).\n"
                         ":run\n");
  const std::string& out = t.result.out;
  EXPECT_EQ(t.result.exit_code, 0) << t.result.err;
  std::size_t at = out.find("Use :how GOAL");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string after = out.substr(at);
  EXPECT_TRUE(HasLine(after, "F = dead_battery (cf 0.863)")) << after;
  EXPECT_TRUE(HasCertainAnswer(after, "N = 1")) << after;
  EXPECT_NE(after.find("Step = 1, Action = \"Jump-start from another car or a booster pack.\""), std::string::npos)
      << after;
  EXPECT_NE(after.find("Step = 2, Action = \"Have the battery load-tested; replace it if it fails.\""),
            std::string::npos)
      << after;
  // What report_likely prints, then the run's summary.
  EXPECT_TRUE(HasLine(after, "my_car: likely dead_battery (electrical): The battery cannot deliver the current the "
                             "starter needs."))
      << after;
  EXPECT_NE(after.find("% 1 rule fired"), std::string::npos) << after;
  EXPECT_EQ(after.find("no fault is likely"), std::string::npos) << after;
  // No question was needed after the consultation.
  EXPECT_EQ(CountAsked(out, "When you turn the key, does the engine of my_car crank (turn over)?"), 1u) << out;
}

// Forward chaining sees only what is known: before any reply nothing says
// the car cranks or its lights are dim, so `not cranks`, `not lights_dim`...
// hold and :run reports starter_motor (what `syllo run car.syl` prints too).
// After the consultation's replies it is dead_battery instead (see above).
TEST_F(Consultation, RunBeforeAConsultationWorksFromThePackAlone) {
  CommandResult r = Repl(":run\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(HasLine(r.out, "my_car: likely starter_motor (starting): The starter motor or its solenoid has failed."))
      << r.out;
  EXPECT_EQ(r.out.find("?"), std::string::npos) << ":run asks nothing: " << r.out;
}

// Negative evidence: a car that does not crank with bright lights, no slow
// cranking and no clicking argues against a flat battery (diagnosis#5, cf -0.6),
// which outweighs an 8-year-old battery (diagnosis#2: 0.6 * 0.8 = 0.48).
std::map<std::string, Known> BrightLightsReplies() {
  auto replies = DeadBatteryReplies();
  replies["Are the headlights of my_car dim or dead?"].lines = {"no"};
  replies["What is the outside temperature where my_car is, in degrees Celsius?"].lines = {"15"};
  return replies;
}

TEST_F(Consultation, NegativeEvidenceOutweighsAConclusion) {
  Transcript t = Consult(BrightLightsReplies(), "",
                         ":facts diagnosis\n:whynot diagnosis(my_car, dead_battery)\n");
  const std::string& out = t.result.out;
  EXPECT_EQ(t.result.exit_code, 0) << t.result.err;
  const double against = Combine(0.6 * 0.8, -0.6);  // (0.48 - 0.6) / (1 - 0.48)
  EXPECT_NEAR(against, -0.2308, 5e-5);
  // Not concluded: starter_motor is (diagnosis#9: not cranks, not lights_dim, not clicks, not dash_dead).
  EXPECT_EQ(ConcludedCf(out, "dead_battery"), -2) << out;
  EXPECT_NE(out.find("  F = starter_motor (cf 0.6)\n"), std::string::npos) << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("diagnosis\\(my_car, dead_battery\\) cf (-[0-9.]+)\\.")))
      << out;
  EXPECT_NEAR(std::strtod(m[1].str().c_str(), nullptr), against, 5e-5) << out;
  EXPECT_NE(out.find("diagnosis(my_car, dead_battery) is not established.\n"
                     "  diagnosis(my_car, dead_battery) is known with cf -0.231, all the evidence below combined, "
                     "which does not pass the threshold 0.2."),
            std::string::npos)
      << out;
}

// :whynot must not say of diagnosis#2 that its conclusion "does not pass the
// threshold": it concludes 0.6 * 0.8 = 0.48 > 0.2; what sinks dead_battery is
// diagnosis#5's negative evidence (-0.6). Each rule whose conditions hold says
// what it contributes.
TEST_F(Consultation, WhyNotShowsWhatEachRuleContributes) {
  Transcript t = Consult(BrightLightsReplies(), "", ":whynot diagnosis(my_car, dead_battery)\n");
  const std::string& out = t.result.out;
  std::string rule2;
  for (const auto& line : Lines(out)) {
    if (line.find("rule diagnosis#2 (") != std::string::npos) rule2 = line;
  }
  ASSERT_FALSE(rule2.empty()) << out;
  EXPECT_EQ(rule2.find("does not pass the threshold"), std::string::npos)
      << "diagnosis#2 concludes cf 0.48, above the threshold 0.2; the cause is diagnosis#5 (cf -0.6):\n"
      << out;
}

// `unknown` to a number or one_of question has no fact to record it (yes/no
// questions record it as cf 0): the session remembers it, so :how does not ask
// again. (A consultation resumed from the knowledge base in a new session does
// ask it again: only replies that are facts are stored there.)
TEST_F(Consultation, UnknownToANumberOrChoiceQuestionIsNotAskedAgainInTheSession) {
  auto replies = DeadBatteryReplies();
  const std::string age = "How old is the battery of my_car, in years?";
  const std::string gauge = "What does the fuel gauge of my_car show?";
  replies[age].lines = {"unknown"};
  replies[gauge].lines = {"unknown"};
  Transcript t = Consult(replies, "", ":how diagnosis(my_car, dead_battery)\n");
  const std::string& out = t.result.out;
  // 0.8 * 0.7 from the dim lights alone: the battery's age is unknown.
  EXPECT_NEAR(ConcludedCf(out, "dead_battery"), 0.56, 0.0005) << out;
  EXPECT_EQ(CountAsked(out, age), 1u) << ":how asked the battery's age again:\n" << out;
  EXPECT_EQ(t.result.err.find("no reply to"), std::string::npos) << t.result.err;
  EXPECT_EQ(t.result.exit_code, 0) << t.result.err;
}

// :save writes derived facts (diagnosis, electrical_weak...) to the knowledge
// base with origin `derived`. Reopening it must not load them as evidence on
// top of their re-derivation (0.7 (+) 0.7 = 0.91, inflating at every reopen):
// the rules conclude them again, so :run and ?- agree.
TEST_F(Consultation, SaveThenReopenDoesNotCountDerivedFactsTwice) {
  const std::string db = Path("saved.db");
  Transcript t = Consult(DeadBatteryReplies(), "", ":save\n", db);
  ASSERT_NE(t.result.out.find("% saved "), std::string::npos) << t.result.out << t.result.err;
  CommandResult reopened = Repl(":facts electrical_weak\n:facts diagnosis\n?- diagnosis(my_car, F).\n", "--db " + Quote(db));
  EXPECT_TRUE(HasLine(reopened.out, "electrical_weak(my_car) cf 0.7.   % derived")) << reopened.out;
  EXPECT_TRUE(HasLine(reopened.out, "diagnosis(my_car, dead_battery) cf 0.8627.   % derived")) << reopened.out;
  EXPECT_TRUE(HasLine(reopened.out, "F = dead_battery (cf 0.863)")) << reopened.out;
}

// (j) :help lists every command with a description.
TEST_F(Consultation, HelpListsEveryCommandWithADescription) {
  CommandResult r = Repl(":help\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  for (const char* name : {":load", ":run", ":facts", ":rules", ":agenda", ":watch", ":why", ":how", ":whynot",
                           ":consult", ":reset", ":save", ":kb", ":help", ":quit"}) {
    const std::string n = name;
    auto line = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.rfind(n, 0) == 0 && (l.size() == n.size() || l[n.size()] == ' ');
    });
    ASSERT_NE(line, lines.end()) << name << " is not listed:\n" << r.out;
    // After the name (and its arguments): at least two words of description.
    std::istringstream words(line->substr(n.size()));
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    EXPECT_GE(w.size(), 3u) << "no description: " << *line;
  }
  EXPECT_NE(r.out.find("why"), std::string::npos);
}

// (k) Plain queries on a small boolean program: answers one per line, false.,
// facts asserted and retracted at the prompt.
TEST_F(Consultation, PlainQueriesAssertAndRetract) {
  WriteFile(Path("family.syl"),
            "pragma semantics boolean.\n"
            "relation parent(x: symbol, y: symbol).\n"
            "relation ancestor(x: symbol, y: symbol).\n"
            "parent(ann, bob). parent(bob, cal). parent(bob, dee).\n"
            "ancestor(X, Y) :- parent(X, Y).\n"
            "ancestor(X, Z) :- parent(X, Y), ancestor(Y, Z).\n");
  CommandResult r = RunSyllo("repl " + Quote(Path("family.syl")),
                             "?- ancestor(ann, X).\n"
                             "?- parent(cal, X).\n"
                             "?- ancestor(cal, ann).\n"
                             "?- ancestor(ann, dee).\n"
                             "parent(x, y).\n"
                             "?- parent(x, Who).\n"
                             "retract parent(x, y).\n"
                             "?- parent(x, Who).\n"
                             "?- ancestor(X, cal).\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::vector<std::string> expected_sorted = {"X = bob", "X = cal", "X = dee"};
  auto lines = Lines(r.out);
  ASSERT_GE(lines.size(), 3u) << r.out;
  std::vector<std::string> first(lines.begin(), lines.begin() + 3);
  std::sort(first.begin(), first.end());
  EXPECT_EQ(first, expected_sorted) << r.out;
  // No certainties under boolean semantics; `false.` when there is no answer.
  std::vector<std::string> rest(lines.begin() + 3, lines.end());
  std::vector<std::string> want = {"false.", "false.", "true", "Who = y", "false."};
  ASSERT_GE(rest.size(), want.size()) << r.out;
  EXPECT_EQ(std::vector<std::string>(rest.begin(), rest.begin() + 5), want) << r.out;
  std::vector<std::string> last(rest.begin() + 5, rest.end());
  std::sort(last.begin(), last.end());
  EXPECT_EQ(last, (std::vector<std::string>{"X = ann", "X = bob"})) << r.out;
}

// (l) The exit status of a script: 1 when some unit had an error, 0 otherwise.
// A `:command` typed at a question is not taken as a reply: the consultation
// stops (keeping the replies given) and the command runs.
TEST_F(Consultation, ACommandAtAQuestionStopsTheConsultationAndRuns) {
  CommandResult r = Repl(":consult diagnosis(my_car, F)\nno\n:facts cranks\n");
  EXPECT_NE(r.out.find("% stopped: the consultation stopped at :facts cranks"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cranks(my_car) cf -1."), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("not 'no'"), std::string::npos) << r.out;
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(Consultation, ExitStatusTellsWhetherAnyUnitFailed) {
  EXPECT_EQ(Repl("?- car(C, _, _).\n:facts car\n:rules\n:help\n").exit_code, 0);
  EXPECT_EQ(Repl("").exit_code, 0);
  CommandResult syntax = Repl("?- car(C, _, _.\n?- car(C, _, _).\n");
  EXPECT_EQ(syntax.exit_code, 1) << syntax.out;
  EXPECT_TRUE(HasCertainAnswer(syntax.out, "C = my_car")) << syntax.out;
  EXPECT_EQ(Repl(":frobnicate\n").exit_code, 1);
  EXPECT_EQ(Repl(":load " + Path("missing.syl") + "\n").exit_code, 1);
  EXPECT_EQ(Repl("?- no_such_relation(X).\n").exit_code, 1);
  EXPECT_EQ(Repl("retract car(other_car, van, 2001).\n").exit_code, 1);
  EXPECT_EQ(Repl(":save\n").exit_code, 1);  // no knowledge base
  // An error early does not hide later output, and later success does not clear it.
  CommandResult mixed = Repl(":frobnicate\n?- car(C, _, _).\n:quit\n?- car(D, _, _).\n");
  EXPECT_EQ(mixed.exit_code, 1);
  EXPECT_TRUE(HasCertainAnswer(mixed.out, "C = my_car")) << mixed.out;
  EXPECT_EQ(mixed.out.find("D = "), std::string::npos) << ":quit ends the script";
  // A pack that does not load: 1, before any input.
  WriteFile(Path("broken.syl"), "relation p(x: int).\np(oops).\n");
  CommandResult broken = RunSyllo("repl " + Quote(Path("broken.syl")), "?- p(X).\n");
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.err.find("broken.syl:2:3: error"), std::string::npos) << broken.err;
}

}  // namespace
}  // namespace syllo::testing

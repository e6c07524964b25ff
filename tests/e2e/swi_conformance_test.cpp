// `syllo query` against SWI-Prolog: the same programs written in both languages
// must give the same answer sets.
//
// Each program is written twice, in Syllo's language and in Prolog (recursive
// predicates tabled with `:- table`, so left recursion and cycles terminate in
// both). For every goal the test runs `syllo query FILE --tsv GOAL` and a
// generated Prolog `main` that prints the same variables' values tab-separated,
// one answer per line (`forall` + `format`); both outputs are sorted into sets
// and must be equal, non-empty, and of the size written next to the goal (so a
// goal both engines get wrong in the same way, or an empty output, cannot
// pass). The programs use symbols and integers only, so both print values the
// same way (atoms with ~w, integers with ~d).
//
// SWI-Prolog (Debian package swi-prolog-nox) must be on PATH: without it the
// tests are skipped, or fail when the environment variable CI is set.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "run_command.h"

namespace syllo::testing {
namespace {

struct Goal {
  const char* syllo;   // the goal as `syllo query` takes it
  const char* prolog;  // the same goal in Prolog
  const char* vars;    // the goal's named variables in order of first occurrence: "X, Y" (what
                       // `syllo query` prints; the same names in the Prolog goal)
  const char* types;   // one letter per variable: 'w' a symbol/atom, 'd' an integer
  size_t count;        // the number of distinct answers
};

struct Program {
  const char* syllo;
  const char* prolog;
  std::vector<Goal> goals;
};

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) return candidate;
  }
  return "";
}

std::string Quote(const std::string& s) {  // for /bin/sh; no goal contains a single quote
  return "'" + s + "'";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// The named variables of a goal in order of first occurrence, as "X, Y" (the
// goals here have no strings and no named variables local to a `not`).
std::string GoalVariables(const std::string& goal) {
  std::vector<std::string> vars;
  for (size_t i = 0; i < goal.size();) {
    bool starts = (std::isupper(static_cast<unsigned char>(goal[i])) || goal[i] == '_') &&
                  (i == 0 || !(std::isalnum(static_cast<unsigned char>(goal[i - 1])) || goal[i - 1] == '_'));
    if (!starts) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < goal.size() && (std::isalnum(static_cast<unsigned char>(goal[j])) || goal[j] == '_')) ++j;
    std::string v = goal.substr(i, j - i);
    if (v != "_" && std::find(vars.begin(), vars.end(), v) == vars.end()) vars.push_back(v);
    i = j;
  }
  std::string s;
  for (const std::string& v : vars) s += (s.empty() ? "" : ", ") + v;
  return s;
}

std::string Show(const std::set<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += "  " + l + "\n";
  return s.empty() ? "  (none)\n" : s;
}

// The Prolog program plus one predicate per goal and a main that runs them in
// order, each under a "#goal I" line.
std::string PrologMain(const Program& p) {
  std::string s = ":- initialization(main, main).\n";
  s += p.prolog;
  s += "\n";
  std::string main = "main :-\n";
  for (size_t i = 0; i < p.goals.size(); ++i) {
    const Goal& g = p.goals[i];
    std::string fmt;
    for (const char* t = g.types; *t; ++t) {
      if (!fmt.empty()) fmt += "\\t";
      fmt += *t == 'd' ? "~d" : "~w";
    }
    fmt += "~n";
    std::string q = "conformance_goal_" + std::to_string(i);
    s += q + " :- forall((" + g.prolog + "), format(\"" + fmt + "\", [" + g.vars + "])).\n";
    main += "    format(\"#goal " + std::to_string(i) + "~n\"), " + q + ",\n";
  }
  return s + main + "    true.\n";
}

class SwiConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    swipl_ = FindOnPath("swipl");
    if (swipl_.empty()) {
      if (std::getenv("CI") != nullptr) {
        FAIL() << "swipl is not on PATH: the SWI-Prolog conformance tests need the Debian package "
                  "swi-prolog-nox (scripts/setup-deps.sh installs it)";
      }
      GTEST_SKIP() << "swipl is not on PATH (install swi-prolog-nox); skipping the SWI-Prolog conformance tests";
    }
    dir_ = MakeTempDir();
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // SWI-Prolog's answers, one set per goal.
  std::vector<std::set<std::string>> RunSwi(const Program& p) {
    std::string pl = dir_ + "/program.pl", out = dir_ + "/swi.out", err = dir_ + "/swi.err";
    WriteFile(pl, PrologMain(p));
    std::string cmd = Quote(swipl_) + " " + Quote(pl) + " </dev/null >" + Quote(out) + " 2>" + Quote(err);
    int status = std::system(cmd.c_str());
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::vector<std::set<std::string>> sets;
    EXPECT_EQ(code, 0) << "swipl failed on the Prolog program:\n" << ReadFile(err) << "\nprogram:\n" << ReadFile(pl);
    int current = -1;
    for (const std::string& line : Lines(ReadFile(out))) {
      if (line.rfind("#goal ", 0) == 0) {
        current = std::stoi(line.substr(6));
        sets.resize(current + 1);
      } else if (current >= 0) {
        sets[current].insert(line);
      } else {
        ADD_FAILURE() << "unexpected swipl output before the first goal: " << line;
      }
    }
    EXPECT_EQ(sets.size(), p.goals.size()) << "swipl did not run every goal:\n" << ReadFile(err);
    sets.resize(p.goals.size());
    return sets;
  }

  void Check(const Program& p) {
    std::string syl = dir_ + "/program.syl";
    WriteFile(syl, p.syllo);
    std::vector<std::set<std::string>> swi = RunSwi(p);
    for (size_t i = 0; i < p.goals.size(); ++i) {
      const Goal& g = p.goals[i];
      SCOPED_TRACE(std::string("goal ") + std::to_string(i) + ": " + g.syllo);
      ASSERT_EQ(GoalVariables(g.syllo), g.vars) << "the test's variable list must be the goal's named variables";
      ASSERT_EQ(std::string(g.types).size(), std::count(g.vars, g.vars + std::string(g.vars).size(), ',') + 1u);
      EXPECT_EQ(swi[i].size(), g.count) << "SWI-Prolog's answers to " << g.prolog << ":\n" << Show(swi[i]);
      EXPECT_FALSE(swi[i].empty());

      CommandResult r = RunSyllo("query " + Quote(syl) + " --tsv " + Quote(g.syllo));
      if (r.exit_code != 0) {
        ADD_FAILURE() << "syllo query --tsv '" << g.syllo << "' exited with " << r.exit_code << ":\n" << r.err;
        continue;
      }
      std::set<std::string> got;
      for (const std::string& line : Lines(r.out)) got.insert(line);
      std::set<std::string> missing, extra;
      for (const std::string& l : swi[i])
        if (!got.count(l)) missing.insert(l);
      for (const std::string& l : got)
        if (!swi[i].count(l)) extra.insert(l);
      EXPECT_TRUE(missing.empty() && extra.empty())
          << "syllo query --tsv '" << g.syllo << "' differs from SWI-Prolog's " << g.prolog << "\n"
          << "missing from Syllo:\n"
          << Show(missing) << "extra in Syllo:\n"
          << Show(extra);
      EXPECT_EQ(got.size(), g.count) << "Syllo's answers:\n" << Show(got);
    }
  }

  std::string swipl_;
  std::string dir_;
};

// ---------------------------------------------------------------- family

const Program kFamily{
    R"syl(
pragma semantics boolean.
relation parent(p: symbol, c: symbol).
relation ancestor(a: symbol, d: symbol).
relation sibling(a: symbol, b: symbol).
relation grandparent(g: symbol, c: symbol).
relation cousin(a: symbol, b: symbol).

parent(abe, homer). parent(mona, homer). parent(abe, herb).
parent(homer, bart). parent(marge, bart).
parent(homer, lisa). parent(marge, lisa).
parent(homer, maggie). parent(marge, maggie).
parent(clancy, marge). parent(jackie, marge).
parent(clancy, patty). parent(jackie, patty).
parent(clancy, selma). parent(jackie, selma).
parent(selma, ling). parent(herb, hugo).

ancestor(X, Y) :- parent(X, Y).
ancestor(X, Z) :- parent(X, Y), ancestor(Y, Z).
sibling(X, Y) :- parent(P, X), parent(P, Y), X != Y.
grandparent(X, Z) :- parent(X, Y), parent(Y, Z).
cousin(X, Y) :- parent(PX, X), parent(PY, Y), sibling(PX, PY).
)syl",
    R"pl(
parent(abe, homer). parent(mona, homer). parent(abe, herb).
parent(homer, bart). parent(marge, bart).
parent(homer, lisa). parent(marge, lisa).
parent(homer, maggie). parent(marge, maggie).
parent(clancy, marge). parent(jackie, marge).
parent(clancy, patty). parent(jackie, patty).
parent(clancy, selma). parent(jackie, selma).
parent(selma, ling). parent(herb, hugo).

:- table ancestor/2.
ancestor(X, Y) :- parent(X, Y).
ancestor(X, Z) :- parent(X, Y), ancestor(Y, Z).
sibling(X, Y) :- parent(P, X), parent(P, Y), X \== Y.
grandparent(X, Z) :- parent(X, Y), parent(Y, Z).
cousin(X, Y) :- parent(PX, X), parent(PY, Y), sibling(PX, PY).
)pl",
    {
        {"ancestor(X, Y)", "ancestor(X, Y)", "X, Y", "ww", 32},
        {"ancestor(X, bart)", "ancestor(X, bart)", "X", "w", 6},
        {"ancestor(abe, X)", "ancestor(abe, X)", "X", "w", 6},
        {"sibling(X, Y)", "sibling(X, Y)", "X, Y", "ww", 14},
        {"sibling(lisa, X)", "sibling(lisa, X)", "X", "w", 2},
        {"cousin(X, Y)", "cousin(X, Y)", "X, Y", "ww", 12},
        {"grandparent(G, lisa), sibling(lisa, S)", "grandparent(G, lisa), sibling(lisa, S)", "G, S", "ww", 8},
        {"parent(P, X), not parent(X, _)", "parent(P, X), \\+ parent(X, _)", "P, X", "ww", 10},
    }};

TEST_F(SwiConformance, FamilyRelations) { Check(kFamily); }

// ---------------------------------------------------------------- cycles

const Program kCycles{R"syl(
pragma semantics boolean.
relation edge(a: symbol, b: symbol).
relation reach_r(a: symbol, b: symbol).
relation reach_l(a: symbol, b: symbol).
relation reach_d(a: symbol, b: symbol).

edge(a, b). edge(b, c). edge(c, a). edge(c, d). edge(d, e). edge(e, d).
edge(e, h). edge(f, f). edge(g, a).

reach_r(X, Y) :- edge(X, Y).
reach_r(X, Z) :- edge(X, Y), reach_r(Y, Z).
reach_l(X, Y) :- edge(X, Y).
reach_l(X, Z) :- reach_l(X, Y), edge(Y, Z).
reach_d(X, Y) :- edge(X, Y).
reach_d(X, Z) :- reach_d(X, Y), reach_d(Y, Z).
)syl",
                      R"pl(
edge(a, b). edge(b, c). edge(c, a). edge(c, d). edge(d, e). edge(e, d).
edge(e, h). edge(f, f). edge(g, a).

:- table reach_r/2, reach_l/2, reach_d/2.
reach_r(X, Y) :- edge(X, Y).
reach_r(X, Z) :- edge(X, Y), reach_r(Y, Z).
reach_l(X, Y) :- edge(X, Y).
reach_l(X, Z) :- reach_l(X, Y), edge(Y, Z).
reach_d(X, Y) :- edge(X, Y).
reach_d(X, Z) :- reach_d(X, Y), reach_d(Y, Z).
)pl",
                      {
                          {"reach_r(X, Y)", "reach_r(X, Y)", "X, Y", "ww", 31},
                          {"reach_l(X, Y)", "reach_l(X, Y)", "X, Y", "ww", 31},
                          {"reach_d(X, Y)", "reach_d(X, Y)", "X, Y", "ww", 31},
                          {"reach_r(a, X)", "reach_r(a, X)", "X", "w", 6},
                          {"reach_l(a, X)", "reach_l(a, X)", "X", "w", 6},
                          {"reach_r(X, d)", "reach_r(X, d)", "X", "w", 6},
                          {"reach_l(X, d)", "reach_l(X, d)", "X", "w", 6},
                          {"reach_d(X, a)", "reach_d(X, a)", "X", "w", 4},
                          {"reach_l(X, X)", "reach_l(X, X)", "X", "w", 6},
                          {"reach_r(X, X)", "reach_r(X, X)", "X", "w", 6},
                          {"reach_l(X, Y), not reach_l(Y, X)", "reach_l(X, Y), \\+ reach_l(Y, X)", "X, Y", "ww", 17},
                      }};

TEST_F(SwiConformance, GraphWithCyclesLeftAndRightRecursive) { Check(kCycles); }

// ---------------------------------------------------------------- same generation

const Program kSameGeneration{R"syl(
pragma semantics boolean.
relation person(x: symbol).
relation parent(p: symbol, c: symbol).
relation sg(x: symbol, y: symbol).

person(a). person(b). person(c). person(d). person(e). person(f).
person(g). person(h). person(i). person(j).
parent(a, b). parent(a, c). parent(b, d). parent(b, e). parent(c, f).
parent(d, g). parent(f, h). parent(f, i). parent(e, j). parent(c, e).

sg(X, X) :- person(X).
sg(X, Y) :- parent(XP, X), sg(XP, YP), parent(YP, Y).
)syl",
                              R"pl(
person(a). person(b). person(c). person(d). person(e). person(f).
person(g). person(h). person(i). person(j).
parent(a, b). parent(a, c). parent(b, d). parent(b, e). parent(c, f).
parent(d, g). parent(f, h). parent(f, i). parent(e, j). parent(c, e).

:- table sg/2.
sg(X, X) :- person(X).
sg(X, Y) :- parent(XP, X), sg(XP, YP), parent(YP, Y).
)pl",
                              {
                                  {"sg(X, Y)", "sg(X, Y)", "X, Y", "ww", 30},
                                  {"sg(X, Y), X != Y", "sg(X, Y), X \\== Y", "X, Y", "ww", 20},
                                  {"sg(d, Y)", "sg(d, Y)", "Y", "w", 3},
                                  {"sg(X, h)", "sg(X, h)", "X", "w", 4},
                                  {"sg(g, Y), not parent(Y, _)", "sg(g, Y), \\+ parent(Y, _)", "Y", "w", 4},
                              }};

TEST_F(SwiConformance, SameGeneration) { Check(kSameGeneration); }

// ---------------------------------------------------------------- map colouring

const Program kMapColouring{
    R"syl(
pragma semantics boolean.
% Australia: adjacent regions get different colours.
relation colouring(wa: symbol, nt: symbol, sa: symbol, q: symbol, nsw: symbol, v: symbol, t: symbol).

colouring(WA, NT, SA, Q, NSW, V, T) :-
  WA in {red, green, blue},
  NT in {red, green, blue}, NT != WA,
  SA in {red, green, blue}, SA != WA, SA != NT,
  Q in {red, green, blue}, Q != NT, Q != SA,
  NSW in {red, green, blue}, NSW != Q, NSW != SA,
  V in {red, green, blue}, V != SA, V != NSW,
  T in {red, green, blue}.
)syl",
    R"pl(
colouring(WA, NT, SA, Q, NSW, V, T) :-
  member(WA, [red, green, blue]),
  member(NT, [red, green, blue]), NT \== WA,
  member(SA, [red, green, blue]), SA \== WA, SA \== NT,
  member(Q, [red, green, blue]), Q \== NT, Q \== SA,
  member(NSW, [red, green, blue]), NSW \== Q, NSW \== SA,
  member(V, [red, green, blue]), V \== SA, V \== NSW,
  member(T, [red, green, blue]).
)pl",
    {
        {"colouring(WA, NT, SA, Q, NSW, V, T)", "colouring(WA, NT, SA, Q, NSW, V, T)", "WA, NT, SA, Q, NSW, V, T",
         "wwwwwww", 18},
        {"colouring(red, NT, SA, Q, NSW, V, green)", "colouring(red, NT, SA, Q, NSW, V, green)", "NT, SA, Q, NSW, V",
         "wwwww", 2},
        {"colouring(WA, NT, blue, Q, NSW, V, T), T = WA", "colouring(WA, NT, blue, Q, NSW, V, T), T = WA",
         "WA, NT, Q, NSW, V, T", "wwwwww", 2},
        {"colouring(WA, _, _, _, NSW, _, _), WA != NSW", "colouring(WA, _, _, _, NSW, _, _), WA \\== NSW", "WA, NSW",
         "ww", 6},
        {"colouring(WA, _, _, _, _, V, _), WA = V", "colouring(WA, _, _, _, _, V, _), WA = V", "WA, V", "ww", 3},
    }};

TEST_F(SwiConformance, MapColouringWithMemberGenerators) { Check(kMapColouring); }

// ---------------------------------------------------------------- who owns what

const Program kWhoOwnsWhat{
    R"syl(
pragma semantics boolean.
% Ann, Bob and Cid each own a different pet and drive a different car.
% Ann does not own the dog; whoever owns the fish drives the fiat; Bob drives
% the volvo; Cid does not own the cat; the dog's owner does not drive the volvo.
relation solution(ann_pet: symbol, bob_pet: symbol, cid_pet: symbol,
                  ann_car: symbol, bob_car: symbol, cid_car: symbol).
relation owns(person: symbol, pet: symbol).
relation drives(person: symbol, car: symbol).

solution(AP, BP, CP, AC, BC, CC) :-
  AP in {cat, dog, fish}, AP != dog,
  BP in {cat, dog, fish}, BP != AP,
  CP in {cat, dog, fish}, CP != AP, CP != BP, CP != cat,
  BC = volvo,
  AC in {bmw, fiat, volvo}, AC != BC,
  CC in {bmw, fiat, volvo}, CC != AC, CC != BC,
  not (AP = fish, AC != fiat),
  not (BP = fish, BC != fiat),
  not (CP = fish, CC != fiat),
  not (AP = dog, AC = volvo),
  not (BP = dog, BC = volvo),
  not (CP = dog, CC = volvo).

owns(ann, P) :- solution(P, _, _, _, _, _).
owns(bob, P) :- solution(_, P, _, _, _, _).
owns(cid, P) :- solution(_, _, P, _, _, _).
drives(ann, C) :- solution(_, _, _, C, _, _).
drives(bob, C) :- solution(_, _, _, _, C, _).
drives(cid, C) :- solution(_, _, _, _, _, C).
)syl",
    R"pl(
solution(AP, BP, CP, AC, BC, CC) :-
  member(AP, [cat, dog, fish]), AP \== dog,
  member(BP, [cat, dog, fish]), BP \== AP,
  member(CP, [cat, dog, fish]), CP \== AP, CP \== BP, CP \== cat,
  BC = volvo,
  member(AC, [bmw, fiat, volvo]), AC \== BC,
  member(CC, [bmw, fiat, volvo]), CC \== AC, CC \== BC,
  \+ (AP == fish, AC \== fiat),
  \+ (BP == fish, BC \== fiat),
  \+ (CP == fish, CC \== fiat),
  \+ (AP == dog, AC == volvo),
  \+ (BP == dog, BC == volvo),
  \+ (CP == dog, CC == volvo).

owns(ann, P) :- solution(P, _, _, _, _, _).
owns(bob, P) :- solution(_, P, _, _, _, _).
owns(cid, P) :- solution(_, _, P, _, _, _).
drives(ann, C) :- solution(_, _, _, C, _, _).
drives(bob, C) :- solution(_, _, _, _, C, _).
drives(cid, C) :- solution(_, _, _, _, _, C).
)pl",
    {
        {"solution(AP, BP, CP, AC, BC, CC)", "solution(AP, BP, CP, AC, BC, CC)", "AP, BP, CP, AC, BC, CC", "wwwwww", 1},
        {"owns(Who, fish)", "owns(Who, fish)", "Who", "w", 1},
        {"owns(Who, Pet), drives(Who, Car)", "owns(Who, Pet), drives(Who, Car)", "Who, Pet, Car", "www", 3},
        {"drives(Who, C), C != fiat", "drives(Who, C), C \\== fiat", "Who, C", "ww", 2},
    }};

TEST_F(SwiConformance, WhoOwnsWhatPuzzle) { Check(kWhoOwnsWhat); }

// ---------------------------------------------------------------- stratified negation

const Program kNegation{R"syl(
pragma semantics boolean.
relation node(x: symbol).
relation edge(a: symbol, b: symbol).
relation start(x: symbol).
relation trap(x: symbol).
relation reach(a: symbol, b: symbol).
relation reachable(x: symbol).
relation unreachable(x: symbol).
relation doomed(x: symbol).
relation safe(x: symbol).
relation dead_end(x: symbol).

node(a). node(b). node(c). node(d). node(e). node(f). node(g). node(h). node(i).
edge(a, b). edge(b, c). edge(c, b). edge(b, d). edge(e, f). edge(f, g).
edge(g, e). edge(h, h). edge(a, h). edge(d, e). edge(i, d).
start(a).
trap(g).

reach(X, Y) :- edge(X, Y).
reach(X, Z) :- reach(X, Y), edge(Y, Z).
reachable(X) :- start(X).
reachable(Y) :- start(X), reach(X, Y).
unreachable(X) :- node(X), not reachable(X).
doomed(X) :- reach(X, Y), trap(Y).
safe(X) :- node(X), not doomed(X), not trap(X).
dead_end(X) :- node(X), not (edge(X, Y), not trap(Y)).
)syl",
                        R"pl(
node(a). node(b). node(c). node(d). node(e). node(f). node(g). node(h). node(i).
edge(a, b). edge(b, c). edge(c, b). edge(b, d). edge(e, f). edge(f, g).
edge(g, e). edge(h, h). edge(a, h). edge(d, e). edge(i, d).
start(a).
trap(g).

:- table reach/2.
reach(X, Y) :- edge(X, Y).
reach(X, Z) :- reach(X, Y), edge(Y, Z).
reachable(X) :- start(X).
reachable(Y) :- start(X), reach(X, Y).
unreachable(X) :- node(X), \+ reachable(X).
doomed(X) :- reach(X, Y), trap(Y).
safe(X) :- node(X), \+ doomed(X), \+ trap(X).
dead_end(X) :- node(X), \+ (edge(X, Y), \+ trap(Y)).
)pl",
                        {
                            {"safe(X)", "safe(X)", "X", "w", 1},
                            {"doomed(X)", "doomed(X)", "X", "w", 8},
                            {"dead_end(X)", "dead_end(X)", "X", "w", 1},
                            {"node(X), not reach(X, X)", "node(X), \\+ reach(X, X)", "X", "w", 3},
                            {"reach(a, X), not reach(X, a)", "reach(a, X), \\+ reach(X, a)", "X", "w", 7},
                            {"node(X), not edge(_, X)", "node(X), \\+ edge(_, X)", "X", "w", 2},
                            {"unreachable(X)", "unreachable(X)", "X", "w", 1},
                            {"reachable(X), not doomed(X)", "reachable(X), \\+ doomed(X)", "X", "w", 1},
                        }};

TEST_F(SwiConformance, StratifiedNegation) { Check(kNegation); }

// ---------------------------------------------------------------- aggregates

const Program kAggregates{R"syl(
pragma semantics boolean.
relation customer(c: symbol).
relation order(id: int, c: symbol, amount: int).
relation n_orders(c: symbol, n: int).
relation spent(c: symbol, s: int).
relation biggest(c: symbol, m: int).
relation smallest(c: symbol, m: int).
relation total(s: int).
relation big_spender(c: symbol).
relation edge(a: symbol, b: symbol).
relation reach(a: symbol, b: symbol).
relation n_reach(x: symbol, n: int).

customer(ann). customer(bob). customer(cid). customer(dee).
order(1, ann, 40). order(2, ann, 40). order(3, ann, 25). order(4, bob, 120).
order(5, cid, 30). order(6, cid, -20). order(7, bob, 5).

n_orders(C, N) :- customer(C), N = count(order(_O, C, _A)).
spent(C, S) :- customer(C), S = sum(A : order(_O, C, A)).
biggest(C, M) :- customer(C), M = max(A : order(_O, C, A)).
smallest(C, M) :- customer(C), M = min(A : order(_O, C, A)).
total(S) :- S = sum(A : order(_O, _C, A)).
big_spender(C) :- spent(C, S), S > 100.

edge(a, b). edge(b, c). edge(c, a). edge(c, d). edge(e, e). edge(f, a).
reach(X, Y) :- edge(X, Y).
reach(X, Z) :- reach(X, Y), edge(Y, Z).
n_reach(X, N) :- edge(X, _), N = count(reach(X, _Y)).
)syl",
                          R"pl(
customer(ann). customer(bob). customer(cid). customer(dee).
order(1, ann, 40). order(2, ann, 40). order(3, ann, 25). order(4, bob, 120).
order(5, cid, 30). order(6, cid, -20). order(7, bob, 5).

n_orders(C, N) :- customer(C), aggregate_all(count, order(_, C, _), N).
spent(C, S) :- customer(C), aggregate_all(sum(A), order(_, C, A), S).
biggest(C, M) :- customer(C), aggregate_all(max(A), order(_, C, A), M).
smallest(C, M) :- customer(C), aggregate_all(min(A), order(_, C, A), M).
total(S) :- aggregate_all(sum(A), order(_, _, A), S).
big_spender(C) :- spent(C, S), S > 100.

edge(a, b). edge(b, c). edge(c, a). edge(c, d). edge(e, e). edge(f, a).
:- table reach/2.
reach(X, Y) :- edge(X, Y).
reach(X, Z) :- reach(X, Y), edge(Y, Z).
n_reach(X, N) :- edge(X, _), aggregate_all(count, reach(X, _), N).
)pl",
                          {
                              {"n_orders(C, N)", "n_orders(C, N)", "C, N", "wd", 4},
                              {"n_orders(C, 0)", "n_orders(C, 0)", "C", "w", 1},
                              {"spent(C, S)", "spent(C, S)", "C, S", "wd", 4},
                              {"biggest(C, M)", "biggest(C, M)", "C, M", "wd", 3},
                              {"smallest(C, M)", "smallest(C, M)", "C, M", "wd", 3},
                              {"total(S)", "total(S)", "S", "d", 1},
                              {"big_spender(C)", "big_spender(C)", "C", "w", 2},
                              {"spent(C, S), S >= 10, S < 110", "spent(C, S), S >= 10, S < 110", "C, S", "wd", 2},
                              {"n_reach(X, N)", "n_reach(X, N)", "X, N", "wd", 5},
                              {"n_reach(X, 4)", "n_reach(X, 4)", "X", "w", 4},
                          }};

TEST_F(SwiConformance, AggregatesCountSumMinMax) { Check(kAggregates); }

// ---------------------------------------------------------------- arithmetic

const Program kArithmetic{
    R"syl(
pragma semantics boolean.
relation age(p: symbol, a: int).
relation temp(city: symbol, t: int).
relation older(x: symbol, y: symbol).
relation gap(x: symbol, y: symbol, d: int).
relation next_age(x: symbol, a: int).
relation band(x: symbol, b: symbol).
relation even_age(x: symbol).
relation calc(x: symbol, v: int).
relation same_age(x: symbol, y: symbol).
relation below_zero(c: symbol).
relation warmer(c1: symbol, c2: symbol).

age(ann, 34). age(bob, 17). age(cid, 70). age(dee, 34). age(eve, 8). age(fay, 65).
temp(oslo, -3). temp(rome, 14). temp(cairo, 25). temp(lima, 14). temp(nuuk, -12).

older(X, Y) :- age(X, A), age(Y, B), A > B.
gap(X, Y, D) :- age(X, A), age(Y, B), A > B, D = A - B.
next_age(X, A + 1) :- age(X, A).
band(X, young) :- age(X, A), A < 18.
band(X, adult) :- age(X, A), A >= 18, A < 65.
band(X, senior) :- age(X, A), A >= 65.
even_age(X) :- age(X, A), A mod 2 = 0.
calc(X, V) :- age(X, A), V = (A * 3 + 7) / 2 - A mod 5.
same_age(X, Y) :- age(X, A), age(Y, A), X != Y.
below_zero(C) :- temp(C, T), T < 0.
warmer(C1, C2) :- temp(C1, T1), temp(C2, T2), T1 > T2 + 5.
)syl",
    R"pl(
age(ann, 34). age(bob, 17). age(cid, 70). age(dee, 34). age(eve, 8). age(fay, 65).
temp(oslo, -3). temp(rome, 14). temp(cairo, 25). temp(lima, 14). temp(nuuk, -12).

older(X, Y) :- age(X, A), age(Y, B), A > B.
gap(X, Y, D) :- age(X, A), age(Y, B), A > B, D is A - B.
next_age(X, B) :- age(X, A), B is A + 1.
band(X, young) :- age(X, A), A < 18.
band(X, adult) :- age(X, A), A >= 18, A < 65.
band(X, senior) :- age(X, A), A >= 65.
even_age(X) :- age(X, A), A mod 2 =:= 0.
calc(X, V) :- age(X, A), V is (A * 3 + 7) // 2 - A mod 5.
same_age(X, Y) :- age(X, A), age(Y, A), X \== Y.
below_zero(C) :- temp(C, T), T < 0.
warmer(C1, C2) :- temp(C1, T1), temp(C2, T2), T1 > T2 + 5.
)pl",
    {
        {"older(X, Y)", "older(X, Y)", "X, Y", "ww", 14},
        {"gap(X, Y, D), D >= 20", "gap(X, Y, D), D >= 20", "X, Y, D", "wwd", 10},
        {"gap(ann, Y, D)", "gap(ann, Y, D)", "Y, D", "wd", 2},
        {"next_age(X, 35)", "next_age(X, 35)", "X", "w", 2},
        {"band(X, adult)", "band(X, adult)", "X", "w", 2},
        {"band(X, B)", "band(X, B)", "X, B", "ww", 6},
        {"even_age(X)", "even_age(X)", "X", "w", 4},
        {"calc(X, V)", "calc(X, V)", "X, V", "wd", 6},
        {"same_age(X, Y)", "same_age(X, Y)", "X, Y", "ww", 2},
        {"below_zero(C)", "below_zero(C)", "C", "w", 2},
        {"warmer(C1, C2)", "warmer(C1, C2)", "C1, C2", "ww", 9},
        {"age(X, A), A >= 18, A <= 40", "age(X, A), A >= 18, A =< 40", "X, A", "wd", 2},
        {"age(X, A), age(Y, B), A + B = 42", "age(X, A), age(Y, B), A + B =:= 42", "X, A, Y, B", "wdwd", 4},
        {"temp(C, T), D = T * 2 - 1, D < 0", "temp(C, T), D is T * 2 - 1, D < 0", "C, T, D", "wdd", 2},
    }};

TEST_F(SwiConformance, ArithmeticComparisons) { Check(kArithmetic); }

// ---------------------------------------------------------------- bound and free arguments

const Program kRoutes{
    R"syl(
pragma semantics boolean.
% A DAG of flights with costs: every route and its cost (finite: no cycles).
relation flight(from: symbol, to: symbol, cost: int).
relation route(from: symbol, to: symbol, cost: int).
relation route_l(from: symbol, to: symbol, cost: int).
relation cheapest(from: symbol, to: symbol, cost: int).

flight(a, b, 2). flight(a, c, 5). flight(b, c, 1). flight(b, d, 7).
flight(c, d, 2). flight(c, e, 6). flight(d, e, 1). flight(a, e, 12).

route(X, Y, C) :- flight(X, Y, C).
route(X, Z, C) :- flight(X, Y, C1), route(Y, Z, C2), C = C1 + C2.
route_l(X, Y, C) :- flight(X, Y, C).
route_l(X, Z, C) :- route_l(X, Y, C1), flight(Y, Z, C2), C = C1 + C2.
cheapest(X, Y, C) :- route(X, Y, _), C = min(K : route(X, Y, K)).
)syl",
    R"pl(
flight(a, b, 2). flight(a, c, 5). flight(b, c, 1). flight(b, d, 7).
flight(c, d, 2). flight(c, e, 6). flight(d, e, 1). flight(a, e, 12).

:- table route/3, route_l/3.
route(X, Y, C) :- flight(X, Y, C).
route(X, Z, C) :- flight(X, Y, C1), route(Y, Z, C2), C is C1 + C2.
route_l(X, Y, C) :- flight(X, Y, C).
route_l(X, Z, C) :- route_l(X, Y, C1), flight(Y, Z, C2), C is C1 + C2.
cheapest(X, Y, C) :- route(X, Y, _), aggregate_all(min(K), route(X, Y, K), C).
)pl",
    {
        {"route(X, Y, C)", "route(X, Y, C)", "X, Y, C", "wwd", 22},
        {"route(a, Z, C)", "route(a, Z, C)", "Z, C", "wd", 12},
        {"route(X, e, C)", "route(X, e, C)", "X, C", "wd", 12},
        {"route(X, Y, 7)", "route(X, Y, 7)", "X, Y", "ww", 3},
        {"route(a, e, C)", "route(a, e, C)", "C", "d", 6},
        {"route_l(X, Y, C)", "route_l(X, Y, C)", "X, Y, C", "wwd", 22},
        {"route_l(X, e, C)", "route_l(X, e, C)", "X, C", "wd", 12},
        {"route_l(b, Z, C)", "route_l(b, Z, C)", "Z, C", "wd", 6},
        {"flight(a, M, _), route(M, Z, C)", "flight(a, M, _), route(M, Z, C)", "M, Z, C", "wwd", 9},
        {"cheapest(a, Y, C)", "cheapest(a, Y, C)", "Y, C", "wd", 4},
        {"cheapest(X, Y, 3)", "cheapest(X, Y, 3)", "X, Y", "ww", 3},
        {"route(X, Y, C), route_l(X, Y, C), C > 8", "route(X, Y, C), route_l(X, Y, C), C > 8", "X, Y, C", "wwd", 5},
    }};

TEST_F(SwiConformance, BoundAndFreeArgumentsInEveryPosition) { Check(kRoutes); }

// ---------------------------------------------------------------- mutual recursion

const Program kMutualRecursion{R"syl(
pragma semantics boolean.
% Pairs joined by a walk of odd / even length (at least 1) on a cyclic graph.
relation edge(a: symbol, b: symbol).
relation odd(a: symbol, b: symbol).
relation even(a: symbol, b: symbol).

edge(a, b). edge(b, c). edge(c, a). edge(c, d). edge(d, e). edge(e, d).

odd(X, Y) :- edge(X, Y).
odd(X, Y) :- even(X, Z), edge(Z, Y).
even(X, Y) :- odd(X, Z), edge(Z, Y).
)syl",
                               R"pl(
edge(a, b). edge(b, c). edge(c, a). edge(c, d). edge(d, e). edge(e, d).

:- table odd/2, even/2.
odd(X, Y) :- edge(X, Y).
odd(X, Y) :- even(X, Z), edge(Z, Y).
even(X, Y) :- odd(X, Z), edge(Z, Y).
)pl",
                               {
                                   {"odd(X, Y)", "odd(X, Y)", "X, Y", "ww", 17},
                                   {"even(X, Y)", "even(X, Y)", "X, Y", "ww", 17},
                                   {"even(d, X)", "even(d, X)", "X", "w", 1},
                                   {"odd(X, a)", "odd(X, a)", "X", "w", 3},
                                   {"even(X, Y), not odd(X, Y)", "even(X, Y), \\+ odd(X, Y)", "X, Y", "ww", 2},
                               }};

TEST_F(SwiConformance, MutualRecursion) { Check(kMutualRecursion); }

}  // namespace
}  // namespace syllo::testing

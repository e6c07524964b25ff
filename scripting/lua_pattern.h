// Lua 5.4 pattern matching (reference manual §6.4.1) with a step budget.
//
// Lua's own string.find/match/gmatch/gsub run in C, where the sandbox's
// instruction-count hook never fires, so a pattern like "a-a-a-a-a-b" can
// backtrack for minutes. This matcher gives the same answers as Lua 5.4.4 but
// counts its work and throws PatternBudgetExceeded when a call's budget runs
// out. It is pure C++ (no Lua headers); safe_string_match.h binds it to Lua.
//
// Like Lua's, it interprets the pattern text directly, allocates nothing while
// matching and reports a malformed pattern only when matching reaches the bad
// part ("x[" against "abc" is simply no match). Recursion is bounded by
// kMaxPatternDepth, as in Lua, so no input can exhaust the C++ stack.
//
// Character classes (%a, %d, ...) use the C locale's <cctype> meaning, fixed
// here rather than read from the process locale.
//
// Thread safety: a PatternMatcher belongs to one thread; the free functions
// are reentrant.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace syllo::scripting {

// LUA_MAXCAPTURES and MAXCCALLS of Lua 5.4: the limits a pattern runs into,
// with Lua's own messages ("too many captures", "pattern too complex").
inline constexpr int kMaxPatternCaptures = 32;
inline constexpr int kMaxPatternDepth = 200;

// How much work one call (find, match, gsub, one step of a gmatch iterator)
// may do. A step is one bounded unit of work: entering a sub-match, testing a
// subject character against a pattern item (a long set counts one step per 16
// bytes of set), scanning one character for %b, or comparing up to 16 bytes of
// a back-reference.
struct PatternBudget {
  std::uint64_t max_steps = 20'000'000;
  // Checked every kDeadlineCheckInterval steps.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

inline constexpr std::uint64_t kDeadlineCheckInterval = 65536;

// A capture of a successful match. An unfinished capture ("(a" matched) is
// only an error when its value is asked for, as in Lua.
struct PatternCapture {
  enum class Kind : std::uint8_t { kString, kPosition, kUnfinished };
  std::size_t start = 0;   // offset in the subject; a position capture's value is start + 1
  std::size_t length = 0;  // kString only
  Kind kind = Kind::kString;
};

// Offsets into the subject: the match is [start, end).
struct PatternMatch {
  std::size_t start = 0;
  std::size_t end = 0;
  std::vector<PatternCapture> captures;
};

// A malformed pattern or a pattern beyond Lua's limits, with Lua's wording.
struct PatternError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The budget ran out: "pattern too complex: more than N matching steps" or
// "time limit reached inside string matching".
struct PatternBudgetExceeded : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Counts the steps of one call against its budget.
class StepCounter {
 public:
  explicit StepCounter(const PatternBudget& budget);

  void Add(std::uint64_t steps) {
    steps_ += steps;
    if (steps_ >= checkpoint_) [[unlikely]] Checkpoint();
  }
  std::uint64_t steps() const { return steps_; }

 private:
  void Checkpoint();
  std::uint64_t NextCheckpoint() const;

  PatternBudget budget_;
  std::uint64_t steps_ = 0;
  std::uint64_t checkpoint_ = 0;  // next step count at which to look at the budget
};

// Matches one pattern against one subject, one start position at a time. The
// pattern is used as given: the caller strips a leading '^' anchor where the
// Lua function treats it as one (find, match, gsub; not gmatch). Both strings
// must outlive the matcher; either may contain zero bytes.
class PatternMatcher {
 public:
  PatternMatcher(std::string_view subject, std::string_view pattern, StepCounter* counter);

  // Whether the pattern matches a prefix of subject[start..]; start <= size.
  // Throws PatternError and PatternBudgetExceeded.
  bool MatchAt(std::size_t start, PatternMatch* match);

  // The first offset at or after `from` where MatchAt could succeed, or
  // npos: when the pattern starts with a character that must be there, its
  // next occurrence (found with memchr), else `from` itself. Skipping the
  // other offsets changes nothing but the work done.
  std::size_t NextCandidate(std::size_t from) const;

 private:
  static constexpr std::size_t kNoMatch = static_cast<std::size_t>(-1);

  // A capture while matching; only [0, level_) is ever read, so the slots
  // need no initialisation.
  struct CaptureSlot {
    std::size_t start;
    std::size_t length;
    PatternCapture::Kind kind;
  };

  std::size_t Match(std::size_t s, std::size_t p);
  std::size_t MatchSequence(std::size_t s, std::size_t p);
  std::size_t StartCapture(std::size_t s, std::size_t p, PatternCapture::Kind kind);
  std::size_t CloseCapture(std::size_t s, std::size_t p);
  std::size_t MatchBackReference(std::size_t s, char digit);
  std::size_t MatchBalanced(std::size_t s, std::size_t p);
  std::size_t MatchGreedy(std::size_t s, std::size_t item, std::size_t item_end);
  std::size_t MatchLazy(std::size_t s, std::size_t item, std::size_t item_end);

  std::size_t ItemEnd(std::size_t p) const;
  bool MatchesItem(std::size_t s, std::size_t item, std::size_t item_end);
  bool SetContains(unsigned char c, std::size_t open, std::size_t close) const;
  char PatternAt(std::size_t p) const { return p < pattern_.size() ? pattern_[p] : '\0'; }
  char SubjectAt(std::size_t s) const { return s < subject_.size() ? subject_[s] : '\0'; }

  std::string_view subject_;
  std::string_view pattern_;
  StepCounter* counter_;
  int depth_left_ = kMaxPatternDepth;
  int required_first_ = -1;  // the byte every match starts with, if the pattern fixes one
  int level_ = 0;            // captures opened so far
  std::array<CaptureSlot, kMaxPatternCaptures> captures_;
};

// Whether `pattern` uses none of Lua's special characters, so string.find may
// search for it as plain text.
bool HasNoPatternSpecials(std::string_view pattern);

// The first match starting at `init` or later (only at `init` when the
// pattern begins with '^', which is then an anchor) - string.find and
// string.match. `init` <= subject.size().
bool FindPattern(std::string_view subject, std::string_view pattern, std::size_t init, StepCounter* counter,
                 PatternMatch* match);

}  // namespace syllo::scripting

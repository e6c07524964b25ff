#include "scripting/lua_pattern.h"

#include <algorithm>
#include <limits>
#include <string>

namespace syllo::scripting {
namespace {

// The C locale's <cctype> classes, one bit each, plus %z (the zero byte,
// which Lua 5.4 still accepts).
enum ClassBit : std::uint16_t {
  kAlpha = 1 << 0,
  kControl = 1 << 1,
  kDigit = 1 << 2,
  kGraph = 1 << 3,
  kLower = 1 << 4,
  kPunct = 1 << 5,
  kSpace = 1 << 6,
  kUpper = 1 << 7,
  kAlnum = 1 << 8,
  kHexDigit = 1 << 9,
  kZero = 1 << 10,
};

constexpr std::array<std::uint16_t, 256> MakeClassTable() {
  std::array<std::uint16_t, 256> table{};
  for (int c = 0; c < 256; ++c) {
    std::uint16_t bits = 0;
    bool lower = c >= 'a' && c <= 'z';
    bool upper = c >= 'A' && c <= 'Z';
    bool digit = c >= '0' && c <= '9';
    bool graph = c >= 0x21 && c <= 0x7e;
    if (lower) bits |= kLower | kAlpha | kAlnum;
    if (upper) bits |= kUpper | kAlpha | kAlnum;
    if (digit) bits |= kDigit | kAlnum | kHexDigit;
    if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) bits |= kHexDigit;
    if (graph) bits |= kGraph;
    if (graph && !lower && !upper && !digit) bits |= kPunct;
    if (c < 0x20 || c == 0x7f) bits |= kControl;
    if (c == ' ' || (c >= '\t' && c <= '\r')) bits |= kSpace;
    if (c == 0) bits |= kZero;
    table[c] = bits;
  }
  return table;
}

constexpr std::array<std::uint16_t, 256> kClassTable = MakeClassTable();

// The class a letter after '%' names, or 0 when it names none (then the
// escape stands for the character itself).
constexpr std::uint16_t ClassOfLetter(unsigned char letter) {
  switch (letter | 0x20) {  // ASCII tolower for letters; other bytes name no class anyway
    case 'a': return kAlpha;
    case 'c': return kControl;
    case 'd': return kDigit;
    case 'g': return kGraph;
    case 'l': return kLower;
    case 'p': return kPunct;
    case 's': return kSpace;
    case 'u': return kUpper;
    case 'w': return kAlnum;
    case 'x': return kHexDigit;
    case 'z': return kZero;
    default: return 0;
  }
}

// Whether `c` matches the escape "%<letter>": a class, its complement for an
// upper-case letter, or else the letter itself.
bool MatchesEscape(unsigned char c, unsigned char letter) {
  bool is_letter = (letter >= 'a' && letter <= 'z') || (letter >= 'A' && letter <= 'Z');
  std::uint16_t bit = is_letter ? ClassOfLetter(letter) : 0;
  if (bit == 0) return c == letter;
  bool in_class = (kClassTable[c] & bit) != 0;
  return (letter >= 'A' && letter <= 'Z') ? !in_class : in_class;
}

// Steps charged for reading `bytes` bytes of pattern or subject at once.
std::uint64_t StepsForBytes(std::size_t bytes) { return 1 + bytes / 16; }

}  // namespace

StepCounter::StepCounter(const PatternBudget& budget) : budget_(budget) { checkpoint_ = NextCheckpoint(); }

// The next count at which to stop and look: the step that exceeds the budget,
// or the next deadline check if that comes first.
std::uint64_t StepCounter::NextCheckpoint() const {
  std::uint64_t over_budget = budget_.max_steps == std::numeric_limits<std::uint64_t>::max()
                                  ? budget_.max_steps
                                  : budget_.max_steps + 1;
  return std::min(steps_ + kDeadlineCheckInterval, over_budget);
}

void StepCounter::Checkpoint() {
  if (steps_ > budget_.max_steps) {
    throw PatternBudgetExceeded("pattern too complex: more than " + std::to_string(budget_.max_steps) +
                                " matching steps");
  }
  if (budget_.deadline != std::chrono::steady_clock::time_point::max() &&
      std::chrono::steady_clock::now() >= budget_.deadline) {
    throw PatternBudgetExceeded("time limit reached inside string matching");
  }
  checkpoint_ = NextCheckpoint();
}

PatternMatcher::PatternMatcher(std::string_view subject, std::string_view pattern, StepCounter* counter)
    : subject_(subject), pattern_(pattern), counter_(counter) {
  // A leading ordinary character that cannot be skipped by a quantifier.
  if (!pattern_.empty() && std::string_view("([%.$)").find(pattern_[0]) == std::string_view::npos) {
    char quantifier = PatternAt(1);
    if (quantifier != '*' && quantifier != '?' && quantifier != '-') {
      required_first_ = static_cast<unsigned char>(pattern_[0]);
    }
  }
}

bool PatternMatcher::MatchAt(std::size_t start, PatternMatch* match) {
  level_ = 0;
  depth_left_ = kMaxPatternDepth;
  std::size_t end = Match(start, 0);
  if (end == kNoMatch) return false;
  match->start = start;
  match->end = end;
  match->captures.clear();
  for (int i = 0; i < level_; ++i) {
    match->captures.push_back(PatternCapture{captures_[i].start, captures_[i].length, captures_[i].kind});
  }
  return true;
}

std::size_t PatternMatcher::NextCandidate(std::size_t from) const {
  if (required_first_ < 0) return from;
  if (from >= subject_.size()) return std::string_view::npos;
  return subject_.find(static_cast<char>(required_first_), from);
}

// One level of backtracking: every alternative that must be undone on
// failure (a capture, a quantifier's choice) goes through here, so the depth
// limit bounds the C++ stack.
std::size_t PatternMatcher::Match(std::size_t s, std::size_t p) {
  if (depth_left_ == 0) throw PatternError("pattern too complex");
  --depth_left_;
  counter_->Add(1);
  std::size_t end = MatchSequence(s, p);
  ++depth_left_;
  return end;
}

// Matches pattern_[p..] at subject offset s. Items that leave no choice
// behind advance in this loop instead of recursing.
std::size_t PatternMatcher::MatchSequence(std::size_t s, std::size_t p) {
  while (p < pattern_.size()) {
    switch (pattern_[p]) {
      case '(':
        if (PatternAt(p + 1) == ')') return StartCapture(s, p + 2, PatternCapture::Kind::kPosition);
        return StartCapture(s, p + 1, PatternCapture::Kind::kUnfinished);
      case ')':
        return CloseCapture(s, p + 1);
      case '$':
        // Only a final '$' anchors; elsewhere it is an ordinary character.
        if (p + 1 == pattern_.size()) return s == subject_.size() ? s : kNoMatch;
        break;
      case '%': {
        char next = PatternAt(p + 1);
        if (next == 'b') {
          s = MatchBalanced(s, p + 2);
          if (s == kNoMatch) return kNoMatch;
          p += 4;
          continue;
        }
        if (next == 'f') {
          p += 2;
          if (PatternAt(p) != '[') throw PatternError("missing '[' after '%f' in pattern");
          std::size_t set_end = ItemEnd(p);
          counter_->Add(StepsForBytes(set_end - p));
          // The character before the subject is '\0', and so is the one after it.
          unsigned char before = s == 0 ? 0 : static_cast<unsigned char>(subject_[s - 1]);
          unsigned char after = static_cast<unsigned char>(SubjectAt(s));
          if (SetContains(before, p, set_end - 1) || !SetContains(after, p, set_end - 1)) return kNoMatch;
          p = set_end;
          continue;
        }
        if (next >= '0' && next <= '9') {
          s = MatchBackReference(s, next);
          if (s == kNoMatch) return kNoMatch;
          p += 2;
          continue;
        }
        break;
      }
      default:
        break;
    }
    // A single-character item with an optional quantifier.
    std::size_t item_end = ItemEnd(p);
    char quantifier = PatternAt(item_end);
    if (!MatchesItem(s, p, item_end)) {
      if (quantifier != '*' && quantifier != '?' && quantifier != '-') return kNoMatch;
      p = item_end + 1;  // zero repetitions
      continue;
    }
    switch (quantifier) {
      case '?': {
        std::size_t end = Match(s + 1, item_end + 1);
        if (end != kNoMatch) return end;
        p = item_end + 1;
        continue;
      }
      case '+':
        return MatchGreedy(s + 1, p, item_end);
      case '*':
        return MatchGreedy(s, p, item_end);
      case '-':
        return MatchLazy(s, p, item_end);
      default:
        ++s;
        p = item_end;
        continue;
    }
  }
  return s;
}

std::size_t PatternMatcher::StartCapture(std::size_t s, std::size_t p, PatternCapture::Kind kind) {
  if (level_ >= kMaxPatternCaptures) throw PatternError("too many captures");
  captures_[level_] = CaptureSlot{s, 0, kind};
  ++level_;
  std::size_t end = Match(s, p);
  if (end == kNoMatch) --level_;
  return end;
}

// ')' closes the innermost capture still open.
std::size_t PatternMatcher::CloseCapture(std::size_t s, std::size_t p) {
  int open = level_ - 1;
  while (open >= 0 && captures_[open].kind != PatternCapture::Kind::kUnfinished) --open;
  if (open < 0) throw PatternError("invalid pattern capture");
  CaptureSlot& capture = captures_[open];
  capture.length = s - capture.start;
  capture.kind = PatternCapture::Kind::kString;
  std::size_t end = Match(s, p);
  if (end == kNoMatch) capture.kind = PatternCapture::Kind::kUnfinished;
  return end;
}

// %1-%9: the text of an earlier, closed capture again. A position capture
// has no text and never matches.
std::size_t PatternMatcher::MatchBackReference(std::size_t s, char digit) {
  int index = digit - '1';
  if (index < 0 || index >= level_ || captures_[index].kind == PatternCapture::Kind::kUnfinished) {
    throw PatternError("invalid capture index %" + std::to_string(index + 1));
  }
  const CaptureSlot& capture = captures_[index];
  if (capture.kind == PatternCapture::Kind::kPosition) return kNoMatch;
  counter_->Add(StepsForBytes(capture.length));
  if (subject_.size() - s < capture.length) return kNoMatch;
  if (subject_.substr(s, capture.length) != subject_.substr(capture.start, capture.length)) return kNoMatch;
  return s + capture.length;
}

// %bxy at pattern_[p-2]: from an x, up to the y that balances it.
std::size_t PatternMatcher::MatchBalanced(std::size_t s, std::size_t p) {
  if (p + 1 >= pattern_.size()) throw PatternError("malformed pattern (missing arguments to '%b')");
  counter_->Add(1);
  char open = pattern_[p];
  char close = pattern_[p + 1];
  if (s >= subject_.size() || subject_[s] != open) return kNoMatch;
  std::size_t depth = 1;
  for (std::size_t i = s + 1; i < subject_.size(); ++i) {
    counter_->Add(1);
    char c = subject_[i];
    if (c == close) {
      if (--depth == 0) return i + 1;
    } else if (c == open) {
      ++depth;
    }
  }
  return kNoMatch;
}

// '*' (and '+' after its first repetition): the longest run first, giving
// back one character at a time.
std::size_t PatternMatcher::MatchGreedy(std::size_t s, std::size_t item, std::size_t item_end) {
  std::size_t run = 0;
  while (MatchesItem(s + run, item, item_end)) ++run;
  for (;;) {
    std::size_t end = Match(s + run, item_end + 1);
    if (end != kNoMatch) return end;
    if (run == 0) return kNoMatch;
    --run;
  }
}

// '-': the shortest run first, one more repetition per failure.
std::size_t PatternMatcher::MatchLazy(std::size_t s, std::size_t item, std::size_t item_end) {
  for (;;) {
    std::size_t end = Match(s, item_end + 1);
    if (end != kNoMatch) return end;
    if (!MatchesItem(s, item, item_end)) return kNoMatch;
    ++s;
  }
}

// Where the single-character item at p ends (its quantifier, if any, sits
// there). Bytes past the pattern's end read as '\0', as in Lua.
std::size_t PatternMatcher::ItemEnd(std::size_t p) const {
  char first = pattern_[p++];
  if (first == '%') {
    if (p >= pattern_.size()) throw PatternError("malformed pattern (ends with '%')");
    return p + 1;
  }
  if (first == '[') {
    if (PatternAt(p) == '^') ++p;
    // The first character of a set is never its end, so "[]]" is the set of ']'.
    do {
      if (p >= pattern_.size()) throw PatternError("malformed pattern (missing ']')");
      char c = pattern_[p++];
      if (c == '%' && p < pattern_.size()) ++p;  // "%]" does not close the set
    } while (PatternAt(p) != ']');
    return p + 1;
  }
  return p;
}

bool PatternMatcher::MatchesItem(std::size_t s, std::size_t item, std::size_t item_end) {
  counter_->Add(1);
  if (s >= subject_.size()) return false;
  unsigned char c = static_cast<unsigned char>(subject_[s]);
  switch (pattern_[item]) {
    case '.':
      return true;
    case '%':
      return MatchesEscape(c, static_cast<unsigned char>(pattern_[item + 1]));
    case '[':
      counter_->Add(StepsForBytes(item_end - item) - 1);
      return SetContains(c, item, item_end - 1);
    default:
      return static_cast<unsigned char>(pattern_[item]) == c;
  }
}

// The set pattern_[open..close], '[' to its closing ']'. Elements are
// escapes, ranges "x-y" and single characters; a '-' first or last is itself.
bool PatternMatcher::SetContains(unsigned char c, std::size_t open, std::size_t close) const {
  std::size_t p = open + 1;
  bool complement = pattern_[p] == '^';
  if (complement) ++p;
  for (; p < close; ++p) {
    unsigned char element = static_cast<unsigned char>(pattern_[p]);
    if (element == '%') {
      ++p;  // an escape may consume the closing ']' itself, as in Lua
      if (MatchesEscape(c, static_cast<unsigned char>(pattern_[p]))) return !complement;
    } else if (pattern_[p + 1] == '-' && p + 2 < close) {
      unsigned char last = static_cast<unsigned char>(pattern_[p + 2]);
      if (element <= c && c <= last) return !complement;
      p += 2;
    } else if (element == c) {
      return !complement;
    }
  }
  return complement;
}

bool HasNoPatternSpecials(std::string_view pattern) {
  return pattern.find_first_of("^$*+?.([%-") == std::string_view::npos;
}

bool FindPattern(std::string_view subject, std::string_view pattern, std::size_t init, StepCounter* counter,
                 PatternMatch* match) {
  bool anchored = !pattern.empty() && pattern.front() == '^';
  if (anchored) pattern.remove_prefix(1);
  PatternMatcher matcher(subject, pattern, counter);
  if (anchored) return matcher.MatchAt(init, match);
  for (std::size_t start = matcher.NextCandidate(init); start <= subject.size();
       start = matcher.NextCandidate(start + 1)) {
    if (matcher.MatchAt(start, match)) return true;
  }
  return false;
}

}  // namespace syllo::scripting

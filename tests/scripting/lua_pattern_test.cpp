#include "scripting/lua_pattern.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "scripting/safe_string_match.h"

namespace syllo::scripting {
namespace {

// A string literal with its embedded zeros kept.
template <std::size_t N>
std::string Bytes(const char (&text)[N]) {
  return std::string(text, N - 1);
}

std::string Repeat(std::string_view unit, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += unit;
  return out;
}

// Runs every matching function of stock Lua (saved as orig_*) and ours on one
// case and describes the first difference: all results, error messages
// included. Every call is made from the same Lua frames, so argument errors
// name the function alike ('fn', 'gmatch') and error positions agree.
constexpr const char* kDifferentialScript = R"lua(
local orig = { find = orig_find, match = orig_match, gmatch = orig_gmatch, gsub = orig_gsub }
local ours = { find = string.find, match = string.match, gmatch = string.gmatch, gsub = string.gsub }

local function describe(ok, ...)
  local parts = { ok and "ok" or "error" }
  for i = 1, select("#", ...) do
    local v = (select(i, ...))
    parts[#parts + 1] = type(v) == "string" and string.format("%q", v) or (math.type(v) or type(v)) .. ":" .. tostring(v)
  end
  return table.concat(parts, " ")
end

local function call(fn, ...)
  local results = table.pack(fn(...))
  return table.unpack(results, 1, results.n)
end

local function run(fn, ...) return describe(pcall(call, fn, ...)) end

local function iterate(gmatch, s, p, init)
  local it = gmatch(s, p, init)
  local seen = {}
  for _ = 1, 64 do
    local r = table.pack(it())
    seen[#seen + 1] = describe(true, table.unpack(r, 1, r.n))
    if r.n == 0 or r[1] == nil then
      local again = table.pack(it())  -- a finished iterator stays finished
      seen[#seen + 1] = describe(true, table.unpack(again, 1, again.n))
      break
    end
  end
  return table.concat(seen, " | ")
end

local function replace_fn(...)
  local first = ...
  if first == "a" then return nil end
  if first == "b" then return false end
  if first == "c" then return {} end
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  return "{" .. table.concat(parts, ",") .. "}"
end
local replace_table = { a = "A", b = false, c = {}, ["1"] = "one", [1] = 10, [2] = "two", ["("] = 1.5 }

local checks = {
  { "find", function(t, s, p, init) return run(t.find, s, p, init) end },
  { "find plain", function(t, s, p, init) return run(t.find, s, p, init, true) end },
  { "match", function(t, s, p, init) return run(t.match, s, p, init) end },
  { "gmatch", function(t, s, p, init) return describe(pcall(iterate, t.gmatch, s, p, init)) end },
  { "gsub template", function(t, s, p) return run(t.gsub, s, p, "<%0|%1>") end },
  { "gsub escapes", function(t, s, p) return run(t.gsub, s, p, "%%-%2") end },
  { "gsub bad template", function(t, s, p) return run(t.gsub, s, p, "x%") end },
  { "gsub n=init", function(t, s, p, init) return run(t.gsub, s, p, "#", init) end },
  { "gsub number", function(t, s, p) return run(t.gsub, s, p, 7, 2) end },
  { "gsub function", function(t, s, p) return run(t.gsub, s, p, replace_fn) end },
  { "gsub table", function(t, s, p) return run(t.gsub, s, p, replace_table) end },
}

function compare_case(s, p, init)
  for _, check in ipairs(checks) do
    local expected = check[2](orig, s, p, init)
    local actual = check[2](ours, s, p, init)
    if expected ~= actual then
      return string.format("%s(s=%q, p=%q, init=%s)\n    lua:  %s\n    ours: %s",
                           check[1], s, p, tostring(init), expected, actual)
    end
  end
  return nil
end
)lua";

struct Case {
  std::string subject;
  std::string pattern;
  std::optional<lua_Integer> init;
};

// At least one case per feature and edge; the random cases below fill in
// the combinations.
std::vector<Case> HandWrittenCases() {
  constexpr lua_Integer kMin = std::numeric_limits<lua_Integer>::min();
  constexpr lua_Integer kMax = std::numeric_limits<lua_Integer>::max();
  std::vector<Case> cases = {
      // Literals and init.
      {"hello world", "o", {}},
      {"hello world", "o", 6},
      {"hello world", "o", -3},
      {"hello world", "o", -100},
      {"hello world", "o", 0},
      {"hello world", "d", 11},
      {"hello world", "o", 12},
      {"hello world", "o", 13},
      {"hello world", "", {}},
      {"hello world", "", 12},
      {"hello world", "", 13},
      {"hello world", "", -1},
      {"abc", "a", kMin},
      {"abc", "a", kMax},
      {"abc", "()", kMax},
      {"abcabc", "b", 3},
      {"abcabc", "b", -2},
      {"abc", "x", {}},
      {"", "", {}},
      {"", "a", {}},
      {"", ".*", {}},
      {"", "()", {}},
      {"", "x*", 2},
      {"a.b", "a.b", {}},
      {"a+b", "a+b", {}},
      {"a+b", "a%+b", {}},
      // Anchors.
      {"hello", "^h", {}},
      {"hello", "^e", {}},
      {"hello", "^e", 2},
      {"hello", "^", 3},
      {"hello", "o$", {}},
      {"hello", "l$", {}},
      {"hello", "^hello$", {}},
      {"hello", "^$", {}},
      {"", "^$", {}},
      {"", "$", {}},
      {"hello", "$", {}},
      {"a$b", "a$b", {}},
      {"a$b", "$b", {}},
      {"x$", "$$", {}},
      {"ab$", "%$$", {}},
      {"a^b", "a^b", {}},
      {"^a^a", "^a", {}},
      {"^a", "^^a", {}},
      {"a\nb", "a$", {}},
      {"abc", "$", 4},
      {"abc", "c$", -1},
      // Classes.
      {"abc123 !?", "%a+", {}},
      {"abc123 !?", "%d+", {}},
      {"abc123 !?", "%s", {}},
      {"abc123 !?", "%p+", {}},
      {"abc123 !?", "%w+", {}},
      {"0x1F zz", "%x+", 3},
      {"abcDEF", "%l+", {}},
      {"abcDEF", "%u+", {}},
      {"a\tb\x7f", "%c", {}},
      {"  ab c", "%g+", {}},
      {"abc123 !?", "%A+", {}},
      {"abc123 !?", "%D+", {}},
      {"abc123 !?", "%S+", {}},
      {"abc123 !?", "%W+", {}},
      {"abc123 !?", "%P+", {}},
      {"abcDEF", "%L+", {}},
      {"abcDEF", "%U+", {}},
      {"0x1F zz", "%X+", {}},
      {"a\tb", "%C+", {}},
      {"  ab c", "%G+", {}},
      {Bytes("a\0b"), "%z", {}},
      {Bytes("a\0b"), "%Z+", {}},
      {"\v\f\r\n x", "%s+", {}},
      {"\xe9t\xe9", "%a+", {}},
      {"\xe9t\xe9", "%A", {}},
      {"\x80\xff", "%c", {}},
      {"\x80\xff", "%W+", {}},
      {"q", "%q", {}},
      {"Q", "%Q", {}},
      {"a.b", "%.", {}},
      {"100%", "%%", {}},
      {"f(x)", "%(", {}},
      {"a[b]", "%[", {}},
      {"a[b]", "%]", {}},
      {"a-b", "%-", {}},
      {"user@host", "%@", {}},
      {Bytes("a\0b"), Bytes("%\0"), {}},
      {Bytes("a\0b"), ".", 2},
      // Sets.
      {"xxabcxx", "[abc]+", {}},
      {"xxabcxx", "[^abc]+", 3},
      {"xxabcxx", "[a-c]+", {}},
      {"  _foo1 bar", "[%a_][%w_]*", {}},
      {"a]b", "[]]", {}},
      {"ab]c", "[^]]+", {}},
      {"x-y", "[a-]", {}},
      {"x-y", "[-a]", {}},
      {"a]", "[%]]", {}},
      {"a-z", "[a%-z]+", 2},
      {"m", "[z-a]", {}},
      {"-z", "[%a-z]+", {}},
      {"]", "[a-%%]", {}},
      {"%", "[a-%%]", {}},
      {"a b", "[^%s]+", {}},
      {"a.b", "[.]", {}},
      {Bytes("a\0"), Bytes("[\0]"), {}},
      {Bytes("ab\0c"), Bytes("[^\0]+"), {}},
      {"-", "[a-c-e]", {}},
      {"^a", "[^^]", {}},
      {"^a", "[%^]", {}},
      {"\xe9", "[\xe0-\xff]", {}},
      {"a", "[^]", {}},
      {"a", "[", {}},
      {"a", "[a", {}},
      {"a", "[%", {}},
      {"a", "[]", {}},
      {"abc", "x[", {}},
      {"abc", "a[", {}},
      {"a", "[a-z", {}},
      // Quantifiers.
      {"aaab", "a*", {}},
      {"baaa", "a*", {}},
      {"baaa", "a+", {}},
      {"aaa", "a-", {}},
      {"aaab", "a-b", {}},
      {"aab", "a?", {}},
      {"aab", "a?a?a?b", {}},
      {"ba", "ba?", {}},
      {"aaabab", ".-b", {}},
      {"aaabab", ".*b", {}},
      {"aaa", "a+$", {}},
      {"pi = 3.14", "%d+%.?%d*", {}},
      {"x-42", "[+-]?%d+", {}},
      {"*a", "*a", {}},
      {"a+b", "+", {}},
      {"a**", "a**", {}},
      {"a?", "a*?", {}},
      {"?-", "?", {}},
      {"?-", "-", {}},
      {"", "x*$", {}},
      {"", "^a*", {}},
      {"a*", "(a)*", {}},
      {"()*", "%b()*", {}},
      {"aa*", "(a)%1*", {}},
      {"ab-", "%f[%a]-", {}},
      // Captures.
      {"hello", "(h)(e)(l)", {}},
      {"hello", "((l)(l))", {}},
      {"abc", "(a(b(c)))", {}},
      {"abc", "()", {}},
      {"bab", "()a()", {}},
      {"bab", "(a)()", 2},
      {"abc", "()", 2},
      {"abc", "(a", {}},
      {"abc", "a(", {}},
      {"", "(", {}},
      {"abc", "(a))", {}},
      {"abc", "%a)", {}},
      {"x", "(()", {}},
      {"ab", "(a)(b", {}},
      {"ab", "((a)", {}},
      {"hello world", "(h)(.-)%s*(w)", {}},
      {"hello world", "(a*(.)%w(%s*))", {}},
      {"a b c", "(.-)%s", {}},
      {"abc", "()()()", {}},
      {"ab", ")", {}},
      {"k=v, x=y", "(%w+)=(%w+)", {}},
      // Back-references.
      {"aa", "(a)%1", {}},
      {"hello hello", "(%a+) %1", {}},
      {"a", "%1", {}},
      {"aa", "(a%1)", {}},
      {"aa", "(a)%2", {}},
      {"aa", "%0", {}},
      {"aa", "()%1", {}},
      {"aaaa", "(a*)%1", {}},
      {"say \"hi\" 'x'", "([\"'])(.-)%1", {}},
      {"1112222", "(%d)%1%1", {}},
      {"abab", "(ab)%1$", {}},
      // Balanced pairs.
      {"f(a(b)c)d", "%b()", {}},
      {"((", "%b()", {}},
      {")(", "%b()", {}},
      {"abc", "%b", {}},
      {"abc", "%ba", {}},
      {"aabbb", "%bab", {}},
      {"xaayaa", "%baa", {}},
      {"", "%b()", {}},
      {")x(", "%b)(", {}},
      {Bytes("\0\1"), Bytes("%b\0\1"), {}},
      {"()+", "%b()+", {}},
      {"x()()", "x%b()", {}},
      {"{a{b}}", "%b{}$", {}},
      // Frontiers.
      {"THE (quick) fox", "%f[%w]%w+", {}},
      {"THE (quick) fox", "%f[%w]%w+", 5},
      {"", "%f[%a]", {}},
      {"abc", "%f[%z]", {}},
      {"abc", "%f[%Z]", {}},
      {"hello", "%f[%W]", {}},
      {"ba", "%f[a]", {}},
      {"abc", "%f", {}},
      {"abc", "%fx", {}},
      {"abc", "%f[a", {}},
      {"abc", "%f[%a]*", {}},
      {Bytes("a\0b"), Bytes("%f[\0]"), {}},
      {Bytes("a\0b"), "%f[%z]", 2},
      {"THE (quick) fox", "%f[%a][^%s]*%f[%A]", 4},
      // Embedded zeros.
      {Bytes("a\0b\0c"), Bytes("\0"), {}},
      {Bytes("a\0b\0c"), Bytes("\0."), {}},
      {Bytes("a\0b"), "%z+", {}},
      {Bytes("a\0b"), Bytes(".-\0b"), {}},
      {Bytes("a\0b"), "a%zb", {}},
      {Bytes("\0\0\0"), Bytes("\0*"), {}},
      {Bytes("x\0"), Bytes("\0$"), {}},
      {Bytes("x\0y"), Bytes("(x)(\0)(y)"), {}},
      // Malformed patterns: errors only where matching reaches them.
      {"abc", "%", {}},
      {"abc", "a%", {}},
      {"abc", "x%", {}},
      {"", "%", {}},
      {"abc", "[%a", {}},
      {"aaaaaaaaaa", "a-a-a-b", {}},
      // Limits: LUA_MAXCAPTURES and the recursion depth (MAXCCALLS).
      {Repeat("a", 40), Repeat("(a)", 32), {}},
      {Repeat("a", 40), Repeat("(a)", 33), {}},
      {Repeat("a", 40), Repeat("()", 33), {}},
      {"a", Repeat("(", 40), {}},
      {"a", Repeat("(", 300) + "a" + Repeat(")", 300), {}},
      {Repeat("a", 250), Repeat("a?", 197), {}},
      {Repeat("a", 250), Repeat("a?", 198), {}},
      {Repeat("a", 250), Repeat("a?", 199), {}},
      {Repeat("a", 250), Repeat("a?", 200), {}},
      {Repeat("a", 250), Repeat("a?", 201), {}},
      {Repeat("a", 250), Repeat("a*", 199), {}},
      {Repeat("a", 250), Repeat("a*", 200), {}},
      {Repeat("a", 250), Repeat("a-", 199), {}},
      {Repeat("a", 250), Repeat("a-", 200), {}},
      {Repeat("a", 250), Repeat("(a?)", 32) + Repeat("a?", 130), {}},
      {Repeat("a", 250), Repeat("(a?)", 32) + Repeat("a?", 140), {}},
      {Repeat("a", 10), Repeat("%f[a]", 500), {}},
      {Repeat("b", 300), Repeat("b", 300), {}},
  };
  return cases;
}

// Small patterns over the pattern alphabet (well- and ill-formed) and small
// subjects over an alphabet that lets them match.
std::vector<Case> RandomCases(unsigned seed, int count) {
  static const std::vector<std::string> kAtoms = {
      "a", "b", "c", ".", "%a", "%d", "%s", "%w", "%p", "%A", "%S", "%z", "%%", "%.", "[ab]", "[^a]",
      "[a-c]", "[%d_]", "[]a]", "[a-]", "[^%s]", Bytes("\0"), " ", "%b()", "%bab", "%f[ab]", "%f[%s]",
      "%f[^a]", "%1", "%2", "%0", "%", "[", "[a", "%f", "%b", "x",
  };
  static const std::vector<std::string> kStructure = {"(", ")", "()", "^", "$"};
  static const std::string kQuantifiers = "*+-?";
  static const std::string kPatternCharacters = Bytes("ab[]^-%$().*+?fbz01\0 ");
  static const std::string kSubjectAlphabet = Bytes("aab ( )_.1\0%^$xc");
  std::mt19937 random(seed);
  auto pick = [&random](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };
  std::vector<Case> cases;
  for (int i = 0; i < count; ++i) {
    Case c;
    std::size_t tokens = pick(8);
    for (std::size_t t = 0; t < tokens; ++t) {
      if (pick(4) == 0) {
        c.pattern += kStructure[pick(kStructure.size())];
      } else {
        c.pattern += kAtoms[pick(kAtoms.size())];
        if (pick(3) == 0) c.pattern += kQuantifiers[pick(kQuantifiers.size())];
      }
    }
    // Some patterns are random characters instead, for the parser's corners ("[%", "[^]", "%f[", ...).
    if (pick(4) == 0) {
      c.pattern.clear();
      for (std::size_t k = pick(10); k > 0; --k) c.pattern += kPatternCharacters[pick(kPatternCharacters.size())];
    }
    std::size_t length = pick(15);
    for (std::size_t k = 0; k < length; ++k) c.subject += kSubjectAlphabet[pick(kSubjectAlphabet.size())];
    if (pick(3) == 0) c.init = static_cast<lua_Integer>(pick(31)) - 15;
    cases.push_back(std::move(c));
  }
  return cases;
}

class SafeStringMatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    L = luaL_newstate();
    luaL_openlibs(L);
    ASSERT_EQ(Run("orig_find, orig_match, orig_gmatch, orig_gsub = string.find, string.match, string.gmatch, "
                  "string.gsub"),
              "");
    InstallSafeStringMatching(L, &budget);
  }
  void TearDown() override { lua_close(L); }

  // Runs a chunk; "" when it succeeds, else the error message.
  std::string Run(const std::string& code) {
    if (luaL_loadbuffer(L, code.data(), code.size(), "=test") != LUA_OK || lua_pcall(L, 0, 0, 0) != LUA_OK) {
      std::string message = lua_tostring(L, -1) ? lua_tostring(L, -1) : "(error object is not a string)";
      lua_pop(L, 1);
      return message;
    }
    return "";
  }

  // The error a chunk raises; fails the test when it raises none.
  std::string ErrorOf(const std::string& code) {
    std::string error = Run(code);
    EXPECT_NE(error, "") << code;
    return error;
  }

  // Compares stock Lua and ours on each case; returns the mismatches.
  std::vector<std::string> Differences(const std::vector<Case>& cases) {
    EXPECT_EQ(Run(kDifferentialScript), "");
    std::vector<std::string> differences;
    for (const Case& c : cases) {
      lua_getglobal(L, "compare_case");
      lua_pushlstring(L, c.subject.data(), c.subject.size());
      lua_pushlstring(L, c.pattern.data(), c.pattern.size());
      if (c.init) {
        lua_pushinteger(L, *c.init);
      } else {
        lua_pushnil(L);
      }
      if (lua_pcall(L, 3, 1, 0) != LUA_OK) {
        differences.push_back(std::string("comparison failed: ") + lua_tostring(L, -1));
      } else if (!lua_isnil(L, -1)) {
        differences.push_back(lua_tostring(L, -1));
      }
      lua_pop(L, 1);
    }
    return differences;
  }

  lua_State* L = nullptr;
  PatternBudget budget;
};

void ExpectNoDifferences(const std::vector<std::string>& differences, std::size_t case_count) {
  std::string report;
  for (std::size_t i = 0; i < differences.size() && i < 20; ++i) report += differences[i] + "\n";
  EXPECT_TRUE(differences.empty()) << differences.size() << " of " << case_count << " cases differ:\n" << report;
}

TEST_F(SafeStringMatchTest, HandWrittenCasesMatchStockLua) {
  std::vector<Case> cases = HandWrittenCases();
  EXPECT_GE(cases.size(), 150u);
  ExpectNoDifferences(Differences(cases), cases.size());
}

TEST_F(SafeStringMatchTest, RandomCasesMatchStockLua) {
  std::vector<Case> cases = RandomCases(/*seed=*/20240531, /*count=*/5000);
  ExpectNoDifferences(Differences(cases), cases.size());
}

TEST_F(SafeStringMatchTest, GsubReplacements) {
  EXPECT_EQ(Run(R"lua(
    local s, n = string.gsub("hello world", "(%w+)", "<%1>")
    assert(s == "<hello> <world>" and n == 2, s)
    s, n = string.gsub("hello world", "%w+", "%0 %0", 1)
    assert(s == "hello hello world" and n == 1, s)
    s, n = string.gsub("abc", "", "-")
    assert(s == "-a-b-c-" and n == 4, s)
    s, n = string.gsub("abc", "%w*", "-")
    assert(s == "-" and n == 1, s)
    s, n = string.gsub("hello", "l+", "%%")
    assert(s == "he%o" and n == 1, s)
    s, n = string.gsub("abc", "()b", "%1")
    assert(s == "a2c" and n == 1, s)
    s, n = string.gsub("x = $name, y = $age", "%$(%w+)", { name = "Bo", age = 7 })
    assert(s == "x = Bo, y = 7" and n == 2, s)
    s, n = string.gsub("a b", "%w", { a = false })
    assert(s == "a b" and n == 2, s)
    s, n = string.gsub("abc def", "%f[%w]%w+", function(w) return w:upper() end)
    assert(s == "ABC DEF" and n == 2, s)
    s, n = string.gsub("abc", ".", function(c) if c == "b" then return nil end return c .. c end)
    assert(s == "aabcc" and n == 3, s)
    s, n = string.gsub("abc", ".", "x", 0)
    assert(s == "abc" and n == 0, s)
    s, n = string.gsub("abc", ".", "x", -1)
    assert(s == "abc" and n == 0, s)
    s, n = string.gsub("aaa", "^a", "b")
    assert(s == "baa" and n == 1, s)
    s, n = string.gsub(123, 2, 9)
    assert(s == "193" and n == 1, s)
    s, n = string.gsub("abc", "b", 1.5)
    assert(s == "a1.5c" and n == 1, s)
  )lua"),
            "");
  EXPECT_NE(ErrorOf(R"lua(string.gsub("abc", "b", "%2"))lua").find("invalid capture index %2"), std::string::npos);
  EXPECT_NE(ErrorOf(R"lua(string.gsub("abc", "b", "%x"))lua").find("invalid use of '%' in replacement string"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"lua(string.gsub("abc", "b", { b = {} }))lua").find("invalid replacement value (a table)"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"lua(string.gsub("abc", "b", function() return true end))lua")
                .find("invalid replacement value (a boolean)"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"lua(string.gsub("abc", "b"))lua").find("bad argument #3 to 'gsub' (string/function/table expected, got no value)"),
            std::string::npos);
  // An error in the replacement function propagates as itself.
  EXPECT_NE(ErrorOf(R"lua(string.gsub("abc", "b", function() error("boom") end))lua").find("boom"), std::string::npos);
}

TEST_F(SafeStringMatchTest, GmatchIteration) {
  EXPECT_EQ(Run(R"lua(
    local words = {}
    for w in string.gmatch("one two  three", "%a+") do words[#words + 1] = w end
    assert(table.concat(words, ",") == "one,two,three")
    local pairs_seen = {}
    for k, v in string.gmatch("a=1, b=2", "(%w+)=(%w+)") do pairs_seen[#pairs_seen + 1] = k .. v end
    assert(table.concat(pairs_seen, ",") == "a1,b2")
    -- No empty match where the previous match ended.
    local parts = {}
    for w in string.gmatch("abc", "%a*") do parts[#parts + 1] = "[" .. w .. "]" end
    assert(table.concat(parts) == "[abc]", table.concat(parts))
    parts = {}
    for w in string.gmatch("ab", "") do parts[#parts + 1] = "[" .. w .. "]" end
    assert(table.concat(parts) == "[][][]")
    parts = {}
    for p in string.gmatch("abc", "()") do parts[#parts + 1] = p end
    assert(table.concat(parts, ",") == "1,2,3,4")
    -- init, and '^' is an ordinary character.
    parts = {}
    for w in string.gmatch("one two three", "%a+", 5) do parts[#parts + 1] = w end
    assert(table.concat(parts, ",") == "two,three")
    parts = {}
    for w in string.gmatch("one two three", "%a+", -5) do parts[#parts + 1] = w end
    assert(table.concat(parts, ",") == "three")
    parts = {}
    for w in string.gmatch("^a^a", "^a") do parts[#parts + 1] = w end
    assert(#parts == 2)
    local it = string.gmatch("abc", "x", 10)
    assert(select("#", it()) == 0)
  )lua"),
            "");
}

TEST_F(SafeStringMatchTest, PlainFind) {
  budget.max_steps = 0;  // a plain search counts no steps
  EXPECT_EQ(Run(R"lua(
    assert(select(1, string.find("a.b*c", ".b*", 1, true)) == 2)
    local s, e = string.find("a.b*c", "b*", 1, true)
    assert(s == 3 and e == 4)
    assert(string.find("abcabc", "bc", 3, true) == 5)
    assert(string.find("abc", "", 4, true) == 4)
    assert(string.find("abc", "", 5, true) == nil)
    assert(string.find("abc", "x", 1, true) == nil)
    assert(string.find("a\0b", "\0b", 1, true) == 2)
    assert(string.find("abc", "c", -1, true) == 3)
    -- Without special characters the search is plain without asking.
    assert(string.find("a)b", "a)") == 1)
    -- The worst case of a naive search (quadratic) is linear here.
    assert(string.find(("a"):rep(1000000), ("a"):rep(100000) .. "b", 1, true) == nil)
  )lua"),
            "");
}

TEST_F(SafeStringMatchTest, CatastrophicPatternsRunOutOfSteps) {
  budget.max_steps = 1'000'000;
  const std::vector<std::string> chunks = {
      R"lua(string.find(("a"):rep(3000), "a-a-a-a-a-a-a-a-a-a-b"))lua",
      R"lua(string.match(("a"):rep(3000), "(.-)*x"))lua",
      R"lua(string.find(("a"):rep(3000), ("a*"):rep(10) .. "b"))lua",
      R"lua(string.match(("a"):rep(3000), "(a*)*b"))lua",
      R"lua(string.find(("a"):rep(5000), "(a*)%1b"))lua",
      R"lua(string.find(("("):rep(100000), "%b()"))lua",
      R"lua(string.find(("a"):rep(3000), ("[%a%d_%-%.]"):rep(8) .. "-x"))lua",
      R"lua(for x in string.gmatch(("a"):rep(3000), "a-a-a-a-a-b") do end)lua",
      R"lua(string.gsub(("a"):rep(3000), "a*a*a*a*b", ""))lua",
      R"lua(string.gsub(("a"):rep(3000), "a-a-a-a-b", function() end))lua",
      R"lua(("a"):rep(3000):find("a-a-a-a-a-a-b"))lua",
  };
  for (const std::string& chunk : chunks) {
    std::string error = ErrorOf(chunk);
    EXPECT_NE(error.find("pattern too complex: more than 1000000 matching steps"), std::string::npos)
        << chunk << " -> " << error;
    EXPECT_EQ(error.rfind("test:1: ", 0), 0u) << "the error names the caller: " << error;
  }
}

TEST_F(SafeStringMatchTest, PastDeadlineStopsMatching) {
  budget.max_steps = std::numeric_limits<std::uint64_t>::max();
  budget.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  for (const char* chunk : {
           R"lua(string.find(("a"):rep(3000), "a-a-a-a-a-a-a-a-a-a-b"))lua",
           R"lua(for x in string.gmatch(("a"):rep(3000), "a-a-a-a-a-b") do end)lua",
           R"lua(string.gsub(("a"):rep(3000), "a*a*a*a*b", ""))lua",
       }) {
    std::string error = ErrorOf(chunk);
    EXPECT_NE(error.find("time limit reached inside string matching"), std::string::npos) << chunk << " -> " << error;
  }
}

TEST_F(SafeStringMatchTest, BudgetRestartsAtEveryCall) {
  budget.max_steps = 100'000;
  EXPECT_EQ(Run(R"lua(
    -- Each call stays under the budget; together they are far over it.
    local s = ("ab "):rep(2000)
    for i = 1, 100 do assert(string.find(s, "%d") == nil) end
    for i = 1, 100 do assert(select(2, string.gsub(("x"):rep(1000), "x", "y")) == 1000) end
    local count = 0
    for w in string.gmatch(("word "):rep(50000), "%a+") do count = count + 1 end
    assert(count == 50000)
  )lua"),
            "");
  // One call as long as all those together does run out.
  EXPECT_NE(ErrorOf(R"lua(string.find(("ab "):rep(200000), "%d"))lua").find("pattern too complex"), std::string::npos);
  EXPECT_NE(ErrorOf(R"lua(string.gsub(("x"):rep(100000), "x", "y"))lua").find("pattern too complex"), std::string::npos);
  EXPECT_NE(ErrorOf(R"lua(string.gsub(("word "):rep(50000), "%a+", "y"))lua").find("pattern too complex"),
            std::string::npos);
}

TEST_F(SafeStringMatchTest, MalformedPatternsGiveLuasMessages) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"lua(string.find("abc", "%"))lua", "malformed pattern (ends with '%')"},
      {R"lua(string.find("abc", "[a"))lua", "malformed pattern (missing ']')"},
      {R"lua(string.find("abc", "%b"))lua", "malformed pattern (missing arguments to '%b')"},
      {R"lua(string.find("abc", "%fa"))lua", "missing '[' after '%f' in pattern"},
      {R"lua(string.find("abc", "%1"))lua", "invalid capture index %1"},
      {R"lua(string.find("abc", "(a%1)"))lua", "invalid capture index %1"},
      {R"lua(string.find("abc", "%0"))lua", "invalid capture index %0"},
      {R"lua(string.find("abc", "a)"))lua", ""},  // no special character: a plain search
      {R"lua(string.find("abc", "%a)"))lua", "invalid pattern capture"},
      {R"lua(string.find("abc", "(a"))lua", "unfinished capture"},
      {R"lua(string.find("abc", ("(a)"):rep(33)))lua", ""},  // no 33 a's: never reaches the 33rd capture
      {R"lua(string.find(("a"):rep(40), ("(a)"):rep(33)))lua", "too many captures"},
      {R"lua(string.find("abc", ("("):rep(1000)))lua", "too many captures"},
      {R"lua(string.find("a", ("("):rep(300) .. "a" .. (")"):rep(300)))lua", "too many captures"},
      {R"lua(string.find(("a"):rep(300), ("a?"):rep(300)))lua", "pattern too complex"},
      {R"lua(string.find(("a"):rep(10), ("a-"):rep(300)))lua", "pattern too complex"},
      {R"lua(string.find(("a"):rep(1000), ("a*"):rep(1000)))lua", ""},  // every a* after the first matches empty: no nesting
      {R"lua(string.find(1, 2, {}))lua", "bad argument #3 to 'find' (number expected, got table)"},
      {R"lua(string.find(nil, "a"))lua", "bad argument #1 to 'find' (string expected, got nil)"},
      {R"lua(string.match("a"))lua", "bad argument #2 to 'match' (string expected, got no value)"},
      {R"lua(string.gsub("a", "a", "b", 1.5))lua", "bad argument #4 to 'gsub' (number has no integer representation)"},
  };
  for (const auto& [chunk, message] : cases) {
    std::string error = Run(chunk);
    if (message.empty()) {
      EXPECT_EQ(error, "") << chunk;
    } else {
      EXPECT_EQ(error, "test:1: " + message) << chunk;
    }
  }
  // Long patterns that need no recursion are fine.
  EXPECT_EQ(Run(R"lua(assert(string.find(("ab"):rep(100000), ("ab"):rep(100000) .. "$")))lua"), "");
  EXPECT_EQ(Run(R"lua(assert(string.find(("a"):rep(10), ("%f[a]"):rep(100000) .. "a")))lua"), "");
}

TEST_F(SafeStringMatchTest, StringMethodsUseTheReplacements) {
  budget.max_steps = 0;
  for (const char* chunk : {
           R"lua(("abc"):find("b+"))lua",
           R"lua(("abc"):match("."))lua",
           R"lua(("abc"):gsub("b", "x"))lua",
           R"lua(for c in ("abc"):gmatch(".") do end)lua",
       }) {
    EXPECT_NE(ErrorOf(chunk).find("pattern too complex: more than 0 matching steps"), std::string::npos) << chunk;
  }
  budget.max_steps = 1000;
  EXPECT_EQ(Run(R"lua(assert(("abc"):find("b+") == 2))lua"), "");
}

TEST(LuaPattern, MatcherReportsOffsetsAndCaptures) {
  PatternBudget budget;
  StepCounter counter(budget);
  PatternMatch match;
  ASSERT_TRUE(FindPattern("say hello", "(h)e()l+", 0, &counter, &match));
  EXPECT_EQ(match.start, 4u);
  EXPECT_EQ(match.end, 8u);
  ASSERT_EQ(match.captures.size(), 2u);
  EXPECT_EQ(match.captures[0].kind, PatternCapture::Kind::kString);
  EXPECT_EQ(match.captures[0].start, 4u);
  EXPECT_EQ(match.captures[0].length, 1u);
  EXPECT_EQ(match.captures[1].kind, PatternCapture::Kind::kPosition);
  EXPECT_EQ(match.captures[1].start, 6u);

  ASSERT_TRUE(FindPattern("abc", "(b", 0, &counter, &match));
  EXPECT_EQ(match.captures.at(0).kind, PatternCapture::Kind::kUnfinished);
  EXPECT_FALSE(FindPattern("abc", "^b", 0, &counter, &match));
  EXPECT_TRUE(FindPattern("abc", "^b", 1, &counter, &match));
  EXPECT_GT(counter.steps(), 0u);
  EXPECT_THROW(FindPattern("abc", "[a", 0, &counter, &match), PatternError);
}

TEST(LuaPattern, StepCounterStopsAtTheBudget) {
  PatternBudget budget;
  budget.max_steps = 10;
  StepCounter counter(budget);
  counter.Add(10);
  EXPECT_THROW(counter.Add(1), PatternBudgetExceeded);
}

}  // namespace
}  // namespace syllo::scripting

#include "rules/grammar/lexical.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <vector>

namespace syllo::rules::grammar {

namespace {

// Words that are never symbols: each could start or continue a construct where
// a symbol may stand. The doc's other keywords (top, threshold, yes_no, one_of,
// number, salience, using) only mean something right after a fixed token, so
// they stay usable as names (`relation top(x: symbol).`).
constexpr std::string_view kKeywords[] = {
    "relation", "rule",   "when",   "then",    "not",    "exists", "in",    "cf",
    "ask",      "neural", "model",  "import",  "pragma", "as",     "assert", "retract",
    "modify",   "print",  "halt",   "true",    "false",  "mod"};

// Multi-character punctuation, longest first, for DescribeFound.
constexpr std::array<std::string_view, 7> kLongPunct = {":-", "?-", "->", "<=", ">=", "!=", ".."};

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Hex2(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02X", c);
  return buf;
}

}  // namespace

bool IsKeyword(std::string_view word) {
  // Every fact of a data file asks about its relation name: look only at the
  // keywords with the same first letter.
  static const auto by_letter = [] {
    std::array<std::vector<std::string_view>, 26> table;
    for (std::string_view k : kKeywords) table[static_cast<std::size_t>(k[0] - 'a')].push_back(k);
    return table;
  }();
  if (word.empty() || !IsLower(word[0])) return false;
  for (std::string_view k : by_letter[static_cast<std::size_t>(word[0] - 'a')]) {
    if (k == word) return true;
  }
  return false;
}

bool IsPlainSymbol(std::string_view word) {
  if (word.empty() || !IsLower(word[0])) return false;
  for (char c : word) {
    if (!IsIdentChar(c)) return false;
  }
  return !IsKeyword(word);
}

std::size_t IdentEnd(std::string_view text, std::size_t pos) {
  while (pos < text.size() && IsIdentChar(text[pos])) ++pos;
  return pos;
}

std::size_t SkipBlank(std::string_view text, std::size_t pos, std::size_t* unterminated) {
  *unterminated = kNone;
  const std::size_t n = text.size();
  while (pos < n) {
    char c = text[pos];
    if (IsBlank(c)) {
      ++pos;
    } else if (c == '%' || (c == '/' && pos + 1 < n && text[pos + 1] == '/')) {
      while (pos < n && text[pos] != '\n') ++pos;
    } else if (c == '/' && pos + 1 < n && text[pos + 1] == '*') {
      std::size_t close = text.find("*/", pos + 2);
      if (close == std::string_view::npos) {
        *unterminated = pos;
        return n;
      }
      pos = close + 2;
    } else {
      break;
    }
  }
  return pos;
}

bool IsStatementEnd(std::string_view text, std::size_t dot) {
  if (dot >= text.size() || text[dot] != '.') return false;
  std::size_t next = dot + 1;
  if (next == text.size()) return true;
  char c = text[next];
  if (IsBlank(c) || c == '%') return true;
  return c == '/' && next + 1 < text.size() && (text[next + 1] == '/' || text[next + 1] == '*');
}

std::size_t FindStatementEnd(std::string_view text, std::size_t from, std::size_t not_before) {
  const std::size_t n = text.size();
  std::size_t pos = from;
  while (pos < n) {
    std::size_t unterminated;
    std::size_t after = SkipBlank(text, pos, &unterminated);
    if (after != pos) {
      pos = after;
      continue;
    }
    char c = text[pos];
    if (c == '"') {
      pos = ScanString(text, pos).end;
    } else if (c == '.' && pos >= not_before && IsStatementEnd(text, pos)) {
      return pos + 1;
    } else if (IsIdentChar(c)) {
      // Words and numbers in one step; a fraction's '.' is never a statement end.
      pos = IdentEnd(text, pos);
    } else {
      ++pos;
    }
  }
  return n;
}

std::size_t ScanNumber(std::string_view text, std::size_t pos, bool allow_sign, bool* is_float) {
  const std::size_t n = text.size();
  *is_float = false;
  std::size_t p = pos;
  if (allow_sign && p < n && text[p] == '-') ++p;
  if (p >= n || !IsDigit(text[p])) return kNone;
  while (p < n && IsDigit(text[p])) ++p;
  if (p + 1 < n && text[p] == '.' && IsDigit(text[p + 1])) {
    *is_float = true;
    p += 2;
    while (p < n && IsDigit(text[p])) ++p;
  }
  if (p < n && (text[p] == 'e' || text[p] == 'E')) {
    std::size_t q = p + 1;
    if (q < n && (text[q] == '+' || text[q] == '-')) ++q;
    if (q < n && IsDigit(text[q])) {
      *is_float = true;
      while (q < n && IsDigit(text[q])) ++q;
      p = q;
    }
  }
  return p;
}

std::size_t Utf8Length(std::string_view text, std::size_t pos) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char c = byte(pos);
  if (c < 0x80) return 1;
  std::size_t len;
  char32_t cp;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (pos + len > text.size()) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(pos + i) & 0x3F);
  }
  static constexpr char32_t kMinForLength[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

StringLiteral ScanString(std::string_view text, std::size_t pos) {
  StringLiteral s;
  const std::size_t n = text.size();
  std::size_t p = pos + 1;
  bool utf8_reported = false;
  while (p < n) {
    char c = text[p];
    if (c == '"') {
      s.end = p + 1;
      s.terminated = true;
      return s;
    }
    if (c != '\\') {
      std::size_t len = Utf8Length(text, p);
      if (len == 0) {
        // One report per string is enough; the value keeps a replacement character.
        if (!utf8_reported) s.errors.emplace_back(p, "invalid UTF-8 in string");
        utf8_reported = true;
        AppendUtf8(s.value, 0xFFFD);
        ++p;
      } else {
        s.value.append(text.substr(p, len));
        p += len;
      }
      continue;
    }
    std::size_t escape = p;
    if (p + 1 >= n) {
      ++p;
      break;
    }
    char e = text[p + 1];
    p += 2;
    switch (e) {
      case '"': s.value += '"'; break;
      case '\\': s.value += '\\'; break;
      case 'n': s.value += '\n'; break;
      case 't': s.value += '\t'; break;
      case 'r': s.value += '\r'; break;
      case 'x': {
        int hi = p < n ? HexValue(text[p]) : -1;
        int lo = p + 1 < n ? HexValue(text[p + 1]) : -1;
        if (hi < 0 || lo < 0) {
          s.errors.emplace_back(escape, "invalid \\x escape: expected two hex digits");
        } else {
          // \xHH is the code point U+00HH, so a string always stays valid UTF-8.
          AppendUtf8(s.value, static_cast<char32_t>(hi * 16 + lo));
          p += 2;
        }
        break;
      }
      case 'u': {
        if (p >= n || text[p] != '{') {
          s.errors.emplace_back(escape, "invalid \\u escape: expected '{'");
          break;
        }
        std::size_t q = p + 1;
        char32_t cp = 0;
        int digits = 0;
        while (q < n && HexValue(text[q]) >= 0 && digits < 7) {
          cp = cp * 16 + static_cast<char32_t>(HexValue(text[q]));
          ++q;
          ++digits;
        }
        if (digits == 0 || digits > 6 || q >= n || text[q] != '}') {
          s.errors.emplace_back(escape, "invalid \\u escape: expected 1 to 6 hex digits and '}'");
          break;
        }
        p = q + 1;
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          s.errors.emplace_back(escape, "invalid code point in \\u escape");
        } else {
          AppendUtf8(s.value, cp);
        }
        break;
      }
      default:
        s.errors.emplace_back(escape, "unknown escape sequence in string");
        // Keep the character itself (if it is valid text) so the value stays close.
        if (static_cast<unsigned char>(e) >= 0x80 || e == '\0') {
          p -= 1;
        } else {
          s.value += e;
        }
        break;
    }
  }
  s.end = n;
  s.terminated = false;
  return s;
}

std::string DescribeFound(std::string_view text, std::size_t pos) {
  std::size_t unterminated;
  pos = SkipBlank(text, pos, &unterminated);
  if (pos >= text.size()) return "end of input";
  char c = text[pos];
  auto u = static_cast<unsigned char>(c);
  constexpr std::size_t kMaxShown = 32;
  if (IsIdentChar(c)) {
    std::size_t end = IdentEnd(text, pos);
    bool is_float = false;
    if (IsDigit(c)) end = std::max(end, ScanNumber(text, pos, false, &is_float));
    std::string word(text.substr(pos, std::min(end - pos, kMaxShown)));
    if (end - pos > kMaxShown) word += "...";
    return "'" + word + "'";
  }
  if (c == '"') return "a string";
  for (std::string_view p : kLongPunct) {
    if (text.substr(pos, p.size()) == p) return "'" + std::string(p) + "'";
  }
  if (u < 0x20 || u == 0x7F) return "control character 0x" + Hex2(u);
  if (u < 0x80) return "'" + std::string(1, c) + "'";
  std::size_t len = Utf8Length(text, pos);
  if (len == 0) return "invalid UTF-8 byte 0x" + Hex2(u);
  return "'" + std::string(text.substr(pos, len)) + "'";
}

}  // namespace syllo::rules::grammar

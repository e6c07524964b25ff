// Lexical helpers of the .syl language, shared by the Spirit X3 token parsers,
// the statement splitter that resynchronises after a syntax error, and the
// printer (which must know what re-parses as a symbol).
//
// Everything works on byte offsets into one file's text and never reads past
// its end; nothing here recurses or allocates more than the token it returns.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace syllo::rules::grammar {

inline constexpr std::size_t kNone = static_cast<std::size_t>(-1);

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
inline bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool IsIdentChar(char c) { return IsLower(c) || IsUpper(c) || IsDigit(c) || c == '_'; }
inline bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// The reserved words of the language: never a symbol where one is expected.
// (The contextual keywords top, threshold, yes_no, one_of, number, salience and
// using are not reserved.)
bool IsKeyword(std::string_view word);
// A lowercase identifier that is no keyword: prints and re-parses as a symbol.
bool IsPlainSymbol(std::string_view word);

// End of the identifier (letters, digits, '_') starting at `pos`.
std::size_t IdentEnd(std::string_view text, std::size_t pos);

// Skips white space and comments from `pos` and returns the first offset that is
// neither. An unterminated block comment runs to the end of the text; its start
// is stored in *unterminated (kNone otherwise).
std::size_t SkipBlank(std::string_view text, std::size_t pos, std::size_t* unterminated);

// Whether text[dot] is a full stop that ends a statement: followed by white
// space, a comment or the end of the text.
bool IsStatementEnd(std::string_view text, std::size_t dot);

// The offset just past the first statement-ending full stop at or after
// `not_before`, scanning from `from` (a statement start, so that strings and
// comments are skipped as the parser sees them). text.size() if there is none.
// Always returns more than `from` when from < text.size().
std::size_t FindStatementEnd(std::string_view text, std::size_t from, std::size_t not_before);

// Scans a number at `pos` (digits, optional fraction `.ddd`, optional exponent;
// a leading '-' when `allow_sign`). Returns its end, or kNone when there is none.
std::size_t ScanNumber(std::string_view text, std::size_t pos, bool allow_sign, bool* is_float);

// Length of the valid UTF-8 sequence at `pos` (1 for ASCII), 0 if invalid:
// truncated, overlong, a surrogate or beyond U+10FFFF.
std::size_t Utf8Length(std::string_view text, std::size_t pos);
void AppendUtf8(std::string& out, char32_t code_point);

// A string literal, text[pos] == '"'. Escapes are decoded; `{Var}` holes stay as
// written. Problems (bad escapes, invalid UTF-8) are listed with their offsets and
// the string still yields a value so parsing goes on.
struct StringLiteral {
  std::size_t end = 0;      // just past the closing quote, or text.size()
  bool terminated = false;
  std::string value;
  std::vector<std::pair<std::size_t, std::string>> errors;
};
StringLiteral ScanString(std::string_view text, std::size_t pos);


// What the parser found at `pos` (after blanks), for "expected X but found Y":
// "end of input", "'word'", "a string", "'<='", "control character 0x00", ...
std::string DescribeFound(std::string_view text, std::size_t pos);

}  // namespace syllo::rules::grammar

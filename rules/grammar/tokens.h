// The tokens of the .syl language as Spirit X3 primitive parsers.
//
// Each token skips blanks and comments first (through the skipper in the
// context), matches with the plain helpers of lexical.h, and yields a value that
// already carries its SourcePos. Each has a readable name, used in "expected X"
// messages (x3::what) and recorded in the ParseState when it fails, so the
// furthest failure can say what would have been accepted.
//
// Thread safety: the parser objects are immutable constants.
#pragma once

#include <charconv>
#include <memory>
#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>

#include <boost/spirit/home/x3.hpp>

#include "engine/column_type.h"
#include "rules/ast.h"
#include "rules/grammar/lexical.h"
#include "rules/grammar/parse_state.h"

namespace syllo::rules::grammar {

namespace x3 = boost::spirit::x3;

// An identifier with where it starts.
struct Name {
  std::string text;
  SourcePos pos;
};

template <typename Context>
ParseState& State(const Context& context) {
  return *x3::get<state_tag>(context);
}

// White space and comments. Holds the state itself because X3 calls a skipper
// without the context. An unterminated block comment is reported here and
// swallows the rest of the text.
struct Skipper : x3::parser<Skipper> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  explicit Skipper(ParseState* state) : state(state) {}

  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const&, Ctx const&, RCtx&, Attr&) const {
    std::size_t from = state->Offset(first);
    std::size_t unterminated;
    std::size_t to = SkipBlank(state->text(), from, &unterminated);
    if (unterminated != kNone) {
      state->TokenError(unterminated, "unterminated block comment");
      state->ran_off_end = true;
    }
    first = state->begin() + to;
    return to != from;
  }

  ParseState* state;
};

// Base of every named token. Derived classes provide
//   bool Match(ParseState&, std::size_t pos, std::size_t* end, Value*) const
// which must not consume on failure.
struct NamedToken {
  const char* name;
};

template <typename Derived, typename Value>
struct Token : x3::parser<Derived>, NamedToken {
  using attribute_type = Value;
  static bool const has_attribute = !std::is_same_v<Value, x3::unused_type>;

  constexpr Token(const char* name, bool quiet) : NamedToken{name}, quiet(quiet) {}

  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& context, RCtx&, Attr& attr) const {
    x3::skip_over(first, last, context);
    ParseState& state = State(context);
    std::size_t pos = state.Offset(first);
    std::size_t end = pos;
    Value value{};
    if (!static_cast<const Derived&>(*this).Match(state, pos, &end, std::addressof(value))) {
      if (!quiet) state.NoteFailure(pos, name);
      return false;
    }
    first = state.begin() + end;
    if constexpr (has_attribute) x3::traits::move_to(std::move(value), attr);
    return true;
  }

  bool quiet;  // operators inside expressions: listing them would only be noise
};

// Punctuation: `text`, unless followed by one of `not_before` (so ':' does not
// match the start of ':-').
struct Punct : Token<Punct, x3::unused_type> {
  constexpr Punct(const char* text, const char* name, const char* not_before = "", bool quiet = false)
      : Token(name, quiet), text(text), not_before(not_before) {}
  bool Match(ParseState& state, std::size_t pos, std::size_t* end, x3::unused_type*) const {
    std::string_view t = state.text();
    std::string_view want(text);
    if (t.substr(pos, want.size()) != want) return false;
    std::size_t next = pos + want.size();
    if (next < t.size() && std::string_view(not_before).find(t[next]) != std::string_view::npos) return false;
    *end = next;
    return true;
  }
  const char* text;
  const char* not_before;
};

// A whole word: a keyword, or a contextual word such as `count` or `int`.
struct Word : Token<Word, x3::unused_type> {
  constexpr Word(const char* word, const char* name, bool quiet = false) : Token(name, quiet), word(word) {}
  bool Match(ParseState& state, std::size_t pos, std::size_t* end, x3::unused_type*) const {
    std::string_view t = state.text();
    std::string_view want(word);
    if (t.substr(pos, want.size()) != want) return false;
    std::size_t next = pos + want.size();
    if (next < t.size() && IsIdentChar(t[next])) return false;
    *end = next;
    return true;
  }
  const char* word;
};

// A word with its position, for error messages that point at a keyword.
struct PosWord : Token<PosWord, SourcePos> {
  constexpr PosWord(const char* word, const char* name) : Token(name, false), word(word) {}
  bool Match(ParseState& state, std::size_t pos, std::size_t* end, SourcePos* value) const {
    if (!Word(word, name).Match(state, pos, end, nullptr)) return false;
    *value = state.Pos(pos);
    return true;
  }
  const char* word;
};

// A lowercase identifier. `strict`: not a keyword (the usual case); lenient
// where a keyword cannot be ambiguous (pragma and parameter names, columns).
struct SymbolToken : Token<SymbolToken, Name> {
  constexpr SymbolToken(bool strict, const char* name) : Token(name, false), strict(strict) {}
  bool Match(ParseState& state, std::size_t pos, std::size_t* end, Name* value) const {
    std::string_view t = state.text();
    if (pos >= t.size() || !IsLower(t[pos])) return false;
    std::size_t e = IdentEnd(t, pos);
    std::string_view word = t.substr(pos, e - pos);
    if (strict && IsKeyword(word)) return false;
    *end = e;
    *value = Name{std::string(word), state.Pos(pos)};
    return true;
  }
  bool strict;
};

// X, Total, _Unused (but not `_` alone).
struct VariableToken : Token<VariableToken, Name> {
  constexpr VariableToken() : Token("a variable", false) {}
  bool Match(ParseState& state, std::size_t pos, std::size_t* end, Name* value) const {
    std::string_view t = state.text();
    if (pos >= t.size()) return false;
    bool ok = IsUpper(t[pos]) || (t[pos] == '_' && pos + 1 < t.size() && IsIdentChar(t[pos + 1]));
    if (!ok) return false;
    std::size_t e = IdentEnd(t, pos);
    *end = e;
    *value = Name{std::string(t.substr(pos, e - pos)), state.Pos(pos)};
    return true;
  }
};

// Parses the number text[pos, end) into an int or float Expr; a value that does
// not fit is a token error and yields 0.
Expr MakeNumber(ParseState& state, std::size_t pos, std::size_t end, bool is_float);

// Terminals that become expressions: numbers, strings, `_`, true/false.
struct ExprToken : Token<ExprToken, Expr> {
  enum class Kind { kNumber, kSignedNumber, kInt, kSignedInt, kString, kWildcard };
  constexpr ExprToken(Kind kind, const char* name) : Token(name, false), kind(kind) {}
  bool Match(ParseState& state, std::size_t pos, std::size_t* end, Expr* value) const;
  Kind kind;
};

inline bool ExprToken::Match(ParseState& state, std::size_t pos, std::size_t* end, Expr* value) const {
  std::string_view t = state.text();
  if (pos >= t.size()) return false;
  switch (kind) {
    case Kind::kWildcard:
      if (t[pos] != '_' || (pos + 1 < t.size() && IsIdentChar(t[pos + 1]))) return false;
      value->kind = ExprKind::kWildcard;
      value->pos = state.Pos(pos);
      *end = pos + 1;
      return true;
    case Kind::kString: {
      if (t[pos] != '"') return false;
      StringLiteral s = ScanString(t, pos);
      for (auto& [offset, message] : s.errors) state.TokenError(offset, std::move(message));
      if (!s.terminated) {
        state.TokenError(pos, "unterminated string");
        state.ran_off_end = true;
      }
      value->kind = ExprKind::kString;
      value->pos = state.Pos(pos);
      value->name = std::move(s.value);
      *end = s.end;
      return true;
    }
    default: {
      bool is_float = false;
      bool sign = kind == Kind::kSignedNumber || kind == Kind::kSignedInt;
      std::size_t e = ScanNumber(t, pos, sign, &is_float);
      if (e == kNone) return false;
      if (is_float && (kind == Kind::kInt || kind == Kind::kSignedInt)) return false;
      *value = MakeNumber(state, pos, e, is_float);
      *end = e;
      return true;
    }
  }
}

// A statement-ending full stop (followed by a blank, a comment or the end).
struct EndDot : Token<EndDot, x3::unused_type> {
  constexpr EndDot() : Token("'.' at the end of the statement", false) {}
  bool Match(ParseState& state, std::size_t pos, std::size_t* end, x3::unused_type*) const {
    if (!IsStatementEnd(state.text(), pos)) return false;
    *end = pos + 1;
    return true;
  }
};

// The position of the next token; always matches.
struct Here : x3::parser<Here> {
  using attribute_type = SourcePos;
  static bool const has_attribute = true;
  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& context, RCtx&, Attr& attr) const {
    x3::skip_over(first, last, context);
    ParseState& state = State(context);
    x3::traits::move_to(state.Pos(state.Offset(first)), attr);
    return true;
  }
};

struct CompareToken : Token<CompareToken, CompareOp> {
  constexpr CompareToken() : Token("a comparison operator", false) {}
  bool Match(ParseState& state, std::size_t pos, std::size_t* end, CompareOp* op) const {
    std::string_view t = state.text().substr(pos, 2);
    if (t == "<=") *op = CompareOp::kLe;
    else if (t == ">=") *op = CompareOp::kGe;
    else if (t == "!=") *op = CompareOp::kNe;
    else if (t.starts_with("<")) *op = CompareOp::kLt;
    else if (t.starts_with(">")) *op = CompareOp::kGt;
    else if (t.starts_with("=")) *op = CompareOp::kEq;
    else return false;
    *end = pos + (t == "<=" || t == ">=" || t == "!=" ? 2 : 1);
    return true;
  }
};

// The aggregate operators allowed at one point of the grammar.
struct AggregateToken : Token<AggregateToken, AggregateOp> {
  constexpr AggregateToken(bool count, bool sum_avg, bool min_max, const char* name)
      : Token(name, false), count(count), sum_avg(sum_avg), min_max(min_max) {}
  bool Match(ParseState& state, std::size_t pos, std::size_t* end, AggregateOp* op) const {
    std::string_view t = state.text();
    std::size_t e = IdentEnd(t, pos);
    std::string_view w = t.substr(pos, e - pos);
    if (count && w == "count") *op = AggregateOp::kCount;
    else if (sum_avg && w == "sum") *op = AggregateOp::kSum;
    else if (sum_avg && w == "avg") *op = AggregateOp::kAvg;
    else if (min_max && w == "min") *op = AggregateOp::kMin;
    else if (min_max && w == "max") *op = AggregateOp::kMax;
    else return false;
    *end = e;
    return true;
  }
  bool count, sum_avg, min_max;
};

// int, float, bool, symbol, string (tensor[...] is a grammar rule).
struct ScalarTypeToken : Token<ScalarTypeToken, engine::ColumnType> {
  constexpr ScalarTypeToken() : Token("a column type", false) {}
  bool Match(ParseState& state, std::size_t pos, std::size_t* end, engine::ColumnType* type) const {
    std::string_view t = state.text();
    std::size_t e = IdentEnd(t, pos);
    std::string_view w = t.substr(pos, e - pos);
    using engine::ValueKind;
    ValueKind kind;
    if (w == "int") kind = ValueKind::kInt;
    else if (w == "float") kind = ValueKind::kFloat;
    else if (w == "bool") kind = ValueKind::kBool;
    else if (w == "symbol") kind = ValueKind::kSymbol;
    else if (w == "string") kind = ValueKind::kString;
    else return false;
    *type = engine::ColumnType::Of(kind);
    *end = e;
    return true;
  }
};

// nest[p]: p one nesting level deeper (see NestingGuard).
template <typename Subject>
struct Nest : x3::unary_parser<Subject, Nest<Subject>> {
  using base_type = x3::unary_parser<Subject, Nest<Subject>>;
  static bool const is_pass_through_unary = true;
  constexpr Nest(Subject const& subject) : base_type(subject) {}

  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& context, RCtx& rcontext, Attr& attr) const {
    ParseState& state = State(context);
    NestingGuard guard(state, state.Offset(first));
    return this->subject.parse(first, last, context, rcontext, attr);
  }
};

struct NestGen {
  template <typename Subject>
  constexpr Nest<typename x3::extension::as_parser<Subject>::value_type> operator[](Subject const& s) const {
    return {x3::as_parser(s)};
  }
};

inline constexpr NestGen nest{};

}  // namespace syllo::rules::grammar

namespace boost::spirit::x3 {

template <typename Parser>
struct get_info<Parser, std::enable_if_t<std::is_base_of_v<syllo::rules::grammar::NamedToken, Parser>>> {
  using result_type = std::string;
  std::string operator()(Parser const& p) const { return p.name; }
};

template <typename Subject>
struct get_info<syllo::rules::grammar::Nest<Subject>> {
  using result_type = std::string;
  std::string operator()(syllo::rules::grammar::Nest<Subject> const& p) const { return what(p.subject); }
};

// Composite parsers name themselves after their parts, so an expectation point
// on `a | b` says "expected A or B" and on `a >> b` says "expected A".
template <typename Left, typename Right>
struct get_info<alternative<Left, Right>> {
  using result_type = std::string;
  std::string operator()(alternative<Left, Right> const& p) const { return what(p.left) + " or " + what(p.right); }
};

template <typename Left, typename Right>
struct get_info<sequence<Left, Right>> {
  using result_type = std::string;
  std::string operator()(sequence<Left, Right> const& p) const { return what(p.left); }
};

template <typename Subject, typename Action>
struct get_info<action<Subject, Action>> {
  using result_type = std::string;
  std::string operator()(action<Subject, Action> const& p) const { return what(p.subject); }
};

template <typename Subject>
struct get_info<expect_directive<Subject>> {
  using result_type = std::string;
  std::string operator()(expect_directive<Subject> const& p) const { return what(p.subject); }
};

template <typename Subject>
struct get_info<optional<Subject>> {
  using result_type = std::string;
  std::string operator()(optional<Subject> const& p) const { return what(p.subject); }
};

}  // namespace boost::spirit::x3

#include "rules/grammar/ground_fact.h"

#include <charconv>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/grammar/lexical.h"

namespace syllo::rules::grammar {

namespace {

// Blanks and comments; kNone for an unterminated block comment (the grammar
// reports it).
std::size_t Skip(std::string_view text, std::size_t pos) {
  std::size_t unterminated;
  pos = SkipBlank(text, pos, &unterminated);
  return unterminated == kNone ? pos : kNone;
}

// One constant argument at `pos`, as the grammar's `unary` would build it; its
// end in *end. False for anything that is not a lone constant.
bool ReadConstant(ParseState& state, std::size_t pos, std::size_t* end, Expr* out) {
  std::string_view text = state.text();
  const char c = text[pos];
  if (IsDigit(c) || c == '-') {
    bool is_float = false;
    std::size_t e = ScanNumber(text, pos, /*allow_sign=*/true, &is_float);
    if (e == kNone) return false;
    const char* first = text.data() + pos;
    const char* last = text.data() + e;
    if (is_float) {
      out->kind = ExprKind::kFloat;
      auto [ptr, ec] = std::from_chars(first, last, out->float_value);
      if (ec != std::errc() || ptr != last) return false;  // out of range: the grammar says so
    } else {
      out->kind = ExprKind::kInt;
      auto [ptr, ec] = std::from_chars(first, last, out->int_value);
      if (ec != std::errc() || ptr != last) return false;
    }
    out->pos = state.Pos(pos);
    *end = e;
    return true;
  }
  if (c == '"') {
    // Plain strings only: escapes and bad UTF-8 have their own messages.
    std::size_t close = pos + 1;
    while (close < text.size() && text[close] != '"') {
      const unsigned char b = static_cast<unsigned char>(text[close]);
      if (b == '\\' || b == '\n' || b < 0x20 || b >= 0x80) return false;
      ++close;
    }
    if (close >= text.size()) return false;
    out->kind = ExprKind::kString;
    out->name.assign(text.substr(pos + 1, close - pos - 1));
    out->pos = state.Pos(pos);
    *end = close + 1;
    return true;
  }
  if (IsLower(c)) {
    std::size_t e = IdentEnd(text, pos);
    std::string_view word = text.substr(pos, e - pos);
    if (word == "true" || word == "false") {
      out->kind = ExprKind::kBool;
      out->bool_value = word == "true";
    } else if (IsKeyword(word)) {
      return false;
    } else {
      out->kind = ExprKind::kSymbol;
      out->name.assign(word);
    }
    out->pos = state.Pos(pos);
    *end = e;
    return true;
  }
  return false;
}

}  // namespace

bool ParseGroundFact(ParseState& state, std::size_t start, std::size_t* end) {
  std::string_view text = state.text();
  if (start >= text.size() || !IsLower(text[start])) return false;
  const std::size_t name_end = IdentEnd(text, start);
  std::string_view name = text.substr(start, name_end - start);
  // Keywords start other statements (or are no relation name at all).
  if (IsKeyword(name)) return false;
  const SourcePos head_pos = state.Pos(start);  // first: positions are cheapest in order
  std::size_t pos = Skip(text, name_end);
  if (pos == kNone || pos >= text.size() || text[pos] != '(') return false;

  std::vector<Expr> args;
  args.reserve(4);
  while (true) {
    pos = Skip(text, pos + 1);  // past '(' or ','
    if (pos == kNone || pos >= text.size()) return false;
    Expr arg;
    std::size_t arg_end;
    if (!ReadConstant(state, pos, &arg_end, &arg)) return false;
    args.push_back(std::move(arg));
    pos = Skip(text, arg_end);
    if (pos == kNone || pos >= text.size()) return false;
    if (text[pos] == ')') break;
    if (text[pos] != ',') return false;  // an operator, a call, ...: the grammar's business
  }
  pos = Skip(text, pos + 1);
  if (pos == kNone || pos >= text.size() || text[pos] != '.' || !IsStatementEnd(text, pos)) return false;

  FactDecl fact;
  fact.atom.pos = head_pos;
  fact.atom.relation.assign(name);
  fact.atom.args = std::move(args);
  fact.pos = fact.atom.pos;
  state.program().facts.push_back(std::move(fact));
  *end = pos + 1;
  return true;
}

}  // namespace syllo::rules::grammar

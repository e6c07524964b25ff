#include "rules/grammar/tokens.h"

#include <charconv>
#include <system_error>

namespace syllo::rules::grammar {

Expr MakeNumber(ParseState& state, std::size_t pos, std::size_t end, bool is_float) {
  Expr e;
  e.pos = state.Pos(pos);
  const char* first = state.begin() + pos;
  const char* last = state.begin() + end;
  if (is_float) {
    e.kind = ExprKind::kFloat;
    auto [ptr, ec] = std::from_chars(first, last, e.float_value);
    if (ec != std::errc() || ptr != last) {
      // from_chars reports both overflow and underflow as out of range.
      state.TokenError(pos, "float literal out of range");
      e.float_value = 0.0;
    }
  } else {
    e.kind = ExprKind::kInt;
    auto [ptr, ec] = std::from_chars(first, last, e.int_value);
    if (ec != std::errc() || ptr != last) {
      state.TokenError(pos, "integer literal out of range");
      e.int_value = 0;
    }
  }
  return e;
}

}  // namespace syllo::rules::grammar

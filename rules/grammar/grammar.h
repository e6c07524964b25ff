// The Spirit X3 grammar of .syl, split over two translation units so neither
// takes too long to compile:
//   expression_grammar.cpp  expressions, atoms, body literals (the recursive core)
//   statement_grammar.cpp   statements, and ParseStatement (the entry point)
// This header declares the rules the second uses from the first, the iterator
// and context types they are instantiated for, and the shared tokens.
//
// Thread safety: the rule and token objects are immutable constants.
#pragma once

#include <vector>

#include <boost/spirit/home/x3.hpp>

#include "rules/ast.h"
#include "rules/grammar/parse_state.h"
#include "rules/grammar/tokens.h"

namespace syllo::rules::grammar {

using Iterator = const char*;
using SkipperContext = x3::context<x3::skipper_tag, Skipper const, x3::unused_type>;
using Context = x3::context<state_tag, ParseState*, SkipperContext>;

struct expr_class;
struct atom_class;
struct body_class;
using ExprRule = x3::rule<expr_class, Expr>;
using AtomRule = x3::rule<atom_class, Atom>;
using BodyRule = x3::rule<body_class, std::vector<Literal>>;

// Every rule that another one expects has a name fit for "expected <name>".
ExprRule const expr = "an expression";
AtomRule const atom = "an atom";
BodyRule const body = "a literal";

BOOST_SPIRIT_DECLARE(ExprRule, AtomRule, BodyRule)

// ---- Tokens -------------------------------------------------------------------

inline constexpr Punct lparen{"(", "'('"};
inline constexpr Punct rparen{")", "')'"};
inline constexpr Punct lbracket{"[", "'['"};
inline constexpr Punct rbracket{"]", "']'"};
inline constexpr Punct lbrace{"{", "'{'"};
inline constexpr Punct rbrace{"}", "'}'"};
inline constexpr Punct comma{",", "','"};
inline constexpr Punct semicolon{";", "';'"};
inline constexpr Punct colon{":", "':'", "-"};
inline constexpr Punct neck{":-", "':-'"};
inline constexpr Punct query_mark{"?-", "'?-'"};
inline constexpr Punct arrow{"->", "'->'"};
inline constexpr Punct at_sign{"@", "'@'"};
inline constexpr Punct equals{"=", "'='"};
inline constexpr Punct range_dots{"..", "'..'"};
inline constexpr Punct plus{"+", "'+'", "", true};
inline constexpr Punct minus{"-", "'-'", ">", true};
inline constexpr Punct star{"*", "'*'", "", true};
inline constexpr Punct slash{"/", "'/'", "", true};

inline constexpr Word kw_relation{"relation", "'relation'"};
inline constexpr Word kw_rule{"rule", "'rule'"};
inline constexpr Word kw_when{"when", "'when'"};
inline constexpr Word kw_then{"then", "'then'"};
inline constexpr Word kw_salience{"salience", "'salience'"};
inline constexpr Word kw_not{"not", "'not'"};
inline constexpr Word kw_exists{"exists", "'exists'"};
inline constexpr Word kw_in{"in", "'in'"};
inline constexpr Word kw_cf{"cf", "'cf'"};
inline constexpr Word kw_ask{"ask", "'ask'"};
inline constexpr Word kw_neural{"neural", "'neural'"};
inline constexpr Word kw_model{"model", "'model'"};
inline constexpr Word kw_using{"using", "'using'"};
inline constexpr Word kw_import{"import", "'import'"};
inline constexpr Word kw_pragma{"pragma", "'pragma'"};
inline constexpr Word kw_as{"as", "'as'"};
inline constexpr Word kw_true{"true", "'true'"};
inline constexpr Word kw_false{"false", "'false'"};
inline constexpr Word kw_mod{"mod", "'mod'", true};
inline constexpr Word kw_top{"top", "'top'"};
inline constexpr Word kw_threshold{"threshold", "'threshold'"};
inline constexpr Word kw_yes_no{"yes_no", "'yes_no'"};
inline constexpr Word kw_one_of{"one_of", "'one_of'"};
inline constexpr Word kw_number{"number", "'number'"};
inline constexpr Word kw_tensor{"tensor", "'tensor'"};

inline constexpr PosWord kw_assert{"assert", "'assert'"};
inline constexpr PosWord kw_retract{"retract", "'retract'"};
inline constexpr PosWord kw_modify{"modify", "'modify'"};
inline constexpr PosWord kw_print{"print", "'print'"};
inline constexpr PosWord kw_halt{"halt", "'halt'"};

inline constexpr SymbolToken symbol{true, "a symbol"};
inline constexpr SymbolToken any_name{false, "a name"};
inline constexpr VariableToken variable{};
inline constexpr ExprToken wildcard{ExprToken::Kind::kWildcard, "'_'"};
inline constexpr ExprToken string_literal{ExprToken::Kind::kString, "a string"};
inline constexpr ExprToken number{ExprToken::Kind::kNumber, "a number"};
inline constexpr ExprToken signed_number{ExprToken::Kind::kSignedNumber, "a number"};
inline constexpr ExprToken integer{ExprToken::Kind::kInt, "an integer"};
inline constexpr ExprToken signed_integer{ExprToken::Kind::kSignedInt, "an integer"};
inline constexpr EndDot end_dot{};
inline constexpr Here here{};
inline constexpr CompareToken compare_op{};
inline constexpr ScalarTypeToken scalar_type{};

// ---- Small actions shared by both halves ------------------------------------

inline constexpr auto kAssign = [](auto& ctx) { x3::_val(ctx) = std::move(x3::_attr(ctx)); };
inline constexpr auto kPush = [](auto& ctx) { x3::_val(ctx).push_back(std::move(x3::_attr(ctx))); };
// `pos` of the rule's node from a Here or PosWord.
inline constexpr auto kSetPos = [](auto& ctx) { x3::_val(ctx).pos = x3::_attr(ctx); };
// `name` of the rule's node from a Name.
inline constexpr auto kSetName = [](auto& ctx) { x3::_val(ctx).name = std::move(x3::_attr(ctx).text); };

inline constexpr auto kMakeSymbol = [](auto& ctx) {
  Expr& e = x3::_val(ctx);
  e.kind = ExprKind::kSymbol;
  e.name = std::move(x3::_attr(ctx).text);
  e.pos = x3::_attr(ctx).pos;
};

template <bool Value>
struct MakeBool {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    Expr& e = x3::_val(ctx);
    e.kind = ExprKind::kBool;
    e.bool_value = Value;
    e.pos = x3::_attr(ctx);
  }
};

}  // namespace syllo::rules::grammar

// Expressions, atoms and body literals: the recursive half of the grammar.
//
// Recursion invariant: every construct that nests (parentheses, calls, sets,
// unary minus, not, exists, aggregates) goes through nest[], and every binary
// operator of a chain raises the depth too, so the AST and the X3 call stack
// are both at most kMaxNesting deep; deeper input throws NestingTooDeep.
//
// Backtracking invariant: alternatives that share a prefix (an expression
// literal and an atom, an aggregate and a comparison) re-parse at most a fixed
// number of times per literal, and everything after a committing token uses an
// expectation point (>), so parsing stays linear.
#include <cstdint>
#include <limits>

#include "rules/builtins.h"
#include "rules/grammar/grammar.h"
#include "rules/parser.h"

namespace syllo::rules::grammar {

namespace {

// ---- Actions ------------------------------------------------------------------

template <typename Ctx>
void RaiseDepth(Ctx& ctx) {
  ParseState& state = State(ctx);
  if (state.depth >= kMaxNesting) throw NestingTooDeep{state.Offset(x3::_where(ctx).begin())};
  ++state.depth;
}

struct MakeBinary {
  const char* op;
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    // A chain a + b + c is a left-deep tree: each operator is one level more.
    RaiseDepth(ctx);
    Expr& lhs = x3::_val(ctx);
    Expr node;
    node.kind = ExprKind::kBinary;
    node.pos = lhs.pos;
    node.name = op;
    node.args.reserve(2);
    node.args.push_back(std::move(lhs));
    node.args.push_back(std::move(x3::_attr(ctx)));
    x3::_val(ctx) = std::move(node);
  }
};

// `- operand`: a numeric literal folds into a negative constant (the printer
// relies on that: it prints negative constants as "-3" anywhere).
auto const negate = [](auto& ctx) {
  Expr& node = x3::_val(ctx);
  Expr operand = std::move(x3::_attr(ctx));
  if (operand.kind == ExprKind::kFloat) {
    operand.float_value = -operand.float_value;
  } else if (operand.kind == ExprKind::kInt && operand.int_value != std::numeric_limits<std::int64_t>::min()) {
    operand.int_value = -operand.int_value;
  } else {
    node.kind = ExprKind::kUnary;
    node.name = "-";
    node.args.push_back(std::move(operand));
    return;
  }
  operand.pos = node.pos;
  node = std::move(operand);
};

// A parenthesised expression keeps its node but starts at the '('.
auto const keep_pos = [](auto& ctx) {
  SourcePos pos = x3::_val(ctx).pos;
  x3::_val(ctx) = std::move(x3::_attr(ctx));
  x3::_val(ctx).pos = pos;
};

auto const make_variable = [](auto& ctx) {
  Expr& e = x3::_val(ctx);
  e.kind = ExprKind::kVariable;
  e.name = std::move(x3::_attr(ctx).text);
  e.pos = x3::_attr(ctx).pos;
};

auto const make_call_name = [](auto& ctx) {
  Expr& e = x3::_val(ctx);
  e.kind = ExprKind::kCall;
  e.name = std::move(x3::_attr(ctx).text);
  e.pos = x3::_attr(ctx).pos;
};

auto const set_args = [](auto& ctx) { x3::_val(ctx).args = std::move(x3::_attr(ctx)); };

auto const set_relation = [](auto& ctx) {
  x3::_val(ctx).relation = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).pos = x3::_attr(ctx).pos;
};

auto const set_atom_args = [](auto& ctx) { x3::_val(ctx).args = std::move(x3::_attr(ctx)); };

auto const set_atom_literal = [](auto& ctx) {
  Literal& l = x3::_val(ctx);
  l.atom = std::move(x3::_attr(ctx));
  l.pos = l.atom.pos;
  l.kind = FindBuiltinTest(l.atom.relation) != nullptr ? LiteralKind::kBuiltin : LiteralKind::kAtom;
};

auto const set_certainty_var = [](auto& ctx) {
  x3::_val(ctx).atom.certainty_var = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).atom.certainty_pos = x3::_attr(ctx).pos;
};

auto const set_fact_var = [](auto& ctx) {
  x3::_val(ctx).atom.fact_var = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).atom.fact_var_pos = x3::_attr(ctx).pos;
};

auto const push_one = [](auto& ctx) { x3::_val(ctx).assign(1, std::move(x3::_attr(ctx))); };

template <LiteralKind Kind>
struct SetSubBody {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    x3::_val(ctx).kind = Kind;
    x3::_val(ctx).body = std::move(x3::_attr(ctx));
  }
};

auto const set_body = [](auto& ctx) { x3::_val(ctx).body = std::move(x3::_attr(ctx)); };

auto const set_result = [](auto& ctx) {
  Literal& l = x3::_val(ctx);
  l.kind = LiteralKind::kAggregate;
  l.lhs.kind = ExprKind::kVariable;
  l.lhs.name = std::move(x3::_attr(ctx).text);
  l.lhs.pos = x3::_attr(ctx).pos;
  l.pos = l.lhs.pos;
};

auto const set_aggregate = [](auto& ctx) { x3::_val(ctx).aggregate = x3::_attr(ctx); };
auto const set_rhs = [](auto& ctx) { x3::_val(ctx).rhs = std::move(x3::_attr(ctx)); };

auto const set_lhs = [](auto& ctx) {
  x3::_val(ctx).lhs = std::move(x3::_attr(ctx));
  x3::_val(ctx).pos = x3::_val(ctx).lhs.pos;
};

template <bool Negated>
struct SetMembers {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    Literal& l = x3::_val(ctx);
    l.kind = LiteralKind::kMembership;
    l.negated = Negated;
    l.set = std::move(x3::_attr(ctx));
  }
};

auto const set_compare = [](auto& ctx) {
  x3::_val(ctx).kind = LiteralKind::kComparison;
  x3::_val(ctx).op = x3::_attr(ctx);
};

// The depth a binary chain raised is given back when its expression ends.
template <typename Subject>
struct ChainScope : x3::unary_parser<Subject, ChainScope<Subject>> {
  using base_type = x3::unary_parser<Subject, ChainScope<Subject>>;
  static bool const is_pass_through_unary = true;
  constexpr ChainScope(Subject const& subject) : base_type(subject) {}

  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& context, RCtx& rcontext, Attr& attr) const {
    ParseState& state = State(context);
    struct Restore {
      ParseState& state;
      int depth;
      ~Restore() { state.depth = depth; }
    } restore{state, state.depth};
    return this->subject.parse(first, last, context, rcontext, attr);
  }
};

struct ChainScopeGen {
  template <typename Subject>
  constexpr ChainScope<typename x3::extension::as_parser<Subject>::value_type> operator[](Subject const& s) const {
    return {x3::as_parser(s)};
  }
};

constexpr ChainScopeGen chain_scope{};

// The '=' of an aggregate: quiet, since a comparison would accept it too and
// "expected '=' or a comparison operator" says nothing.
constexpr Punct aggregate_equals{"=", "'='", "", true};
constexpr AggregateToken count_op{true, false, false, "'count'"};
constexpr AggregateToken sum_avg_op{false, true, false, "'sum' or 'avg'"};
constexpr AggregateToken min_max_op{false, false, true, "'min' or 'max'"};

}  // namespace

// ---- Rules --------------------------------------------------------------------

x3::rule<struct term_class, Expr> const term = "an expression";
x3::rule<struct unary_class, Expr> const unary = "an expression";
x3::rule<struct negation_class, Expr> const negative = "an expression";
x3::rule<struct primary_class, Expr> const primary = "an expression";
x3::rule<struct paren_class, Expr> const paren = "'('";
x3::rule<struct call_class, Expr> const call = "a function call";
x3::rule<struct args_class, std::vector<Expr>> const args = "an expression";

x3::rule<struct literal_class, Literal> const literal = "a literal";
x3::rule<struct atom_literal_class, Literal> const atom_literal = "an atom";
x3::rule<struct not_class, Literal> const negated = "'not'";
x3::rule<struct exists_class, Literal> const exists = "'exists'";
x3::rule<struct sub_body_class, std::vector<Literal>> const sub_body = "an atom, 'not', 'exists' or '('";
x3::rule<struct count_class, Literal> const count_aggregate = "an aggregate";
x3::rule<struct value_aggregate_class, Literal> const value_aggregate = "an aggregate";
x3::rule<struct min_max_class, Literal> const min_max_aggregate = "an aggregate";
x3::rule<struct expr_literal_class, Literal> const expr_literal = "a comparison";
x3::rule<struct set_class, std::vector<Expr>> const set = "'{'";

auto const expr_def = chain_scope[term[kAssign] >> *((plus > term)[MakeBinary{"+"}] | (minus > term)[MakeBinary{"-"}])];

auto const term_def = chain_scope[unary[kAssign] >> *((star > unary)[MakeBinary{"*"}] | (slash > unary)[MakeBinary{"/"}] |
                                                      (kw_mod > unary)[MakeBinary{"mod"}])];

auto const unary_def = signed_number[kAssign] | negative[kAssign] | primary[kAssign];

auto const negative_def = (here[kSetPos] >> minus) > nest[unary][negate];

auto const primary_def = number[kAssign] | string_literal[kAssign] | (here >> kw_true)[MakeBool<true>{}] |
                         (here >> kw_false)[MakeBool<false>{}] | variable[make_variable] | wildcard[kAssign] |
                         call[kAssign] | symbol[kMakeSymbol] | paren[kAssign];

auto const paren_def = (here[kSetPos] >> lparen) > nest[expr][keep_pos] > rparen;

auto const call_def = (symbol[make_call_name] >> lparen) > nest[args][set_args] > rparen;

auto const args_def = -(expr[kPush] > *(comma > expr[kPush]));

auto const atom_def = symbol[set_relation] >> -(lparen > nest[args][set_atom_args] > rparen);

auto const atom_literal_def =
    atom[set_atom_literal] >> -(at_sign > variable[set_certainty_var]) >> -(kw_as > variable[set_fact_var]);

// `not exists p(X)` and `not not p(X)` read naturally; the doc's grammar only
// lists an atom or a parenthesised body.
auto const sub_body_def = atom_literal[push_one] | negated[push_one] | exists[push_one] |
                          (lparen > body[kAssign] > rparen);

auto const negated_def = (here[kSetPos] >> kw_not) > nest[sub_body][SetSubBody<LiteralKind::kNegation>{}];

auto const exists_def = (here[kSetPos] >> kw_exists) > nest[sub_body][SetSubBody<LiteralKind::kExists>{}];

auto const count_aggregate_def =
    (variable[set_result] >> aggregate_equals >> count_op[set_aggregate]) > lparen > nest[body][set_body] > rparen;

auto const value_aggregate_def = (variable[set_result] >> aggregate_equals >> sum_avg_op[set_aggregate]) > lparen >
                                 nest[expr[set_rhs] > colon > body[set_body]] > rparen;

// min and max are also functions: only `E :` makes them aggregates.
auto const min_max_aggregate_def = (variable[set_result] >> aggregate_equals >> min_max_op[set_aggregate] >> lparen >>
                                    nest[(expr[set_rhs] >> colon) > body[set_body]]) > rparen;

auto const expr_literal_def = expr[set_lhs] >> ((kw_in > nest[set][SetMembers<false>{}]) |
                                                (kw_not > kw_in > nest[set][SetMembers<true>{}]) |
                                                (compare_op[set_compare] > expr[set_rhs]));

auto const set_def = lbrace > expr[kPush] > *(comma > expr[kPush]) > rbrace;

auto const literal_def = negated[kAssign] | exists[kAssign] | count_aggregate[kAssign] | value_aggregate[kAssign] |
                         min_max_aggregate[kAssign] | expr_literal[kAssign] | atom_literal[kAssign];

auto const body_def = literal[kPush] > *(comma > literal[kPush]);

BOOST_SPIRIT_DEFINE(expr, term, unary, negative, primary, paren, call, args, atom, atom_literal, sub_body, negated,
                    exists, count_aggregate, value_aggregate, min_max_aggregate, expr_literal, set, literal, body)

BOOST_SPIRIT_INSTANTIATE(ExprRule, Iterator, Context)
BOOST_SPIRIT_INSTANTIATE(AtomRule, Iterator, Context)
BOOST_SPIRIT_INSTANTIATE(BodyRule, Iterator, Context)

}  // namespace syllo::rules::grammar

// Statements: the non-recursive half of the grammar. Each statement commits on
// its first token (a keyword, '?-', or the symbol of a fact or rule head), so a
// failure after it is an expectation failure naming what was expected.
#include <optional>
#include <utility>
#include <vector>

#include "rules/grammar/grammar.h"
#include "rules/grammar/statement.h"

namespace syllo::rules::grammar {

namespace {

// A fact or a logical rule: both start with an atom and an optional `cf`.
struct Clause {
  Atom head;
  std::optional<double> certainty;
  std::optional<std::vector<Literal>> body;  // set for a rule
};

double NumberValue(const Expr& e) {
  return e.kind == ExprKind::kInt ? static_cast<double>(e.int_value) : e.float_value;
}

auto const set_certainty = [](auto& ctx) { x3::_val(ctx).certainty = NumberValue(x3::_attr(ctx)); };
auto const set_head = [](auto& ctx) { x3::_val(ctx).head = std::move(x3::_attr(ctx)); };
auto const set_clause_body = [](auto& ctx) { x3::_val(ctx).body = std::move(x3::_attr(ctx)); };
auto const set_atom = [](auto& ctx) { x3::_val(ctx).atom = std::move(x3::_attr(ctx)); };

auto const set_column_name = [](auto& ctx) {
  x3::_val(ctx).name = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).pos = x3::_attr(ctx).pos;
};
auto const set_type = [](auto& ctx) { x3::_val(ctx).type = std::move(x3::_attr(ctx)); };
auto const push_dimension = [](auto& ctx) {
  x3::_val(ctx).kind = engine::ValueKind::kTensor;
  x3::_val(ctx).shape.push_back(x3::_attr(ctx).int_value);
};
auto const push_column = [](auto& ctx) { x3::_val(ctx).columns.push_back(std::move(x3::_attr(ctx))); };
auto const push_input = [](auto& ctx) { x3::_val(ctx).inputs.push_back(std::move(x3::_attr(ctx))); };

auto const set_salience = [](auto& ctx) {
  x3::_val(ctx).salience = x3::_attr(ctx).int_value;
  x3::_val(ctx).salience_pos = x3::_attr(ctx).pos;
};
auto const set_conditions = [](auto& ctx) { x3::_val(ctx).conditions = std::move(x3::_attr(ctx)); };
auto const push_action = [](auto& ctx) { x3::_val(ctx).actions.push_back(std::move(x3::_attr(ctx))); };

template <ActionKind Kind>
struct StartAction {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    x3::_val(ctx).kind = Kind;
    x3::_val(ctx).pos = x3::_attr(ctx);
  }
};
auto const set_action_fact_var = [](auto& ctx) { x3::_val(ctx).fact_var = std::move(x3::_attr(ctx).text); };
auto const push_assignment = [](auto& ctx) { x3::_val(ctx).assignments.push_back(std::move(x3::_attr(ctx))); };
auto const set_assigned_column = [](auto& ctx) {
  x3::_val(ctx).column = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).pos = x3::_attr(ctx).pos;
};
auto const set_value = [](auto& ctx) { x3::_val(ctx).value = std::move(x3::_attr(ctx)); };
auto const push_print_arg = [](auto& ctx) { x3::_val(ctx).args.push_back(std::move(x3::_attr(ctx))); };

auto const set_question = [](auto& ctx) { x3::_val(ctx).question = std::move(x3::_attr(ctx).name); };
template <AskKind Kind>
struct SetAskKind {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    x3::_val(ctx).kind = Kind;
  }
};
auto const push_choice = [](auto& ctx) { x3::_val(ctx).choices.push_back(std::move(x3::_attr(ctx))); };
auto const set_min = [](auto& ctx) { x3::_val(ctx).min = NumberValue(x3::_attr(ctx)); };
auto const set_max = [](auto& ctx) { x3::_val(ctx).max = NumberValue(x3::_attr(ctx)); };

auto const set_output = [](auto& ctx) {
  x3::_val(ctx).output = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).output_pos = x3::_attr(ctx).pos;
};
auto const push_label = [](auto& ctx) {
  Expr label;
  label.kind = ExprKind::kSymbol;
  label.name = std::move(x3::_attr(ctx).text);
  label.pos = x3::_attr(ctx).pos;
  x3::_val(ctx).labels.push_back(std::move(label));
};
auto const push_int_label = [](auto& ctx) { x3::_val(ctx).labels.push_back(std::move(x3::_attr(ctx))); };
auto const set_model = [](auto& ctx) {
  x3::_val(ctx).model = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).model_pos = x3::_attr(ctx).pos;
};
auto const set_version = [](auto& ctx) { x3::_val(ctx).version = x3::_attr(ctx).int_value; };
auto const set_top_k = [](auto& ctx) { x3::_val(ctx).top_k = x3::_attr(ctx).int_value; };
auto const set_threshold = [](auto& ctx) { x3::_val(ctx).threshold = NumberValue(x3::_attr(ctx)); };

auto const set_architecture = [](auto& ctx) {
  x3::_val(ctx).architecture = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).architecture_pos = x3::_attr(ctx).pos;
};
auto const push_param = [](auto& ctx) { x3::_val(ctx).params.push_back(std::move(x3::_attr(ctx))); };
auto const set_key = [](auto& ctx) {
  x3::_val(ctx).key = std::move(x3::_attr(ctx).text);
  x3::_val(ctx).pos = x3::_attr(ctx).pos;
};
auto const start_list = [](auto& ctx) {
  x3::_val(ctx).kind = ExprKind::kList;
  x3::_val(ctx).pos = x3::_attr(ctx);
};
auto const push_item = [](auto& ctx) { x3::_val(ctx).args.push_back(std::move(x3::_attr(ctx))); };

auto const set_goals = [](auto& ctx) { x3::_val(ctx).goals = std::move(x3::_attr(ctx)); };
auto const set_path = [](auto& ctx) { x3::_val(ctx).path = std::move(x3::_attr(ctx).name); };

template <auto Member>
struct AddTo {
  template <typename Ctx>
  void operator()(Ctx& ctx) const {
    (State(ctx).program().*Member).push_back(std::move(x3::_attr(ctx)));
  }
};

auto const add_clause = [](auto& ctx) {
  Clause& c = x3::_attr(ctx);
  Program& program = State(ctx).program();
  if (c.body) {
    LogicalRule rule;
    rule.pos = c.head.pos;
    rule.head = std::move(c.head);
    rule.certainty = c.certainty;
    rule.body = std::move(*c.body);
    program.rules.push_back(std::move(rule));
  } else {
    FactDecl fact;
    fact.pos = c.head.pos;
    fact.atom = std::move(c.head);
    fact.certainty = c.certainty;
    program.facts.push_back(std::move(fact));
  }
};

}  // namespace

// ---- Rules --------------------------------------------------------------------

x3::rule<struct statement_class> const statement = "a statement";
x3::rule<struct relation_class, RelationDecl> const relation_decl = "'relation'";
x3::rule<struct column_class, ColumnDecl> const column = "a column";
x3::rule<struct column_type_class, engine::ColumnType> const column_type = "a column type";
x3::rule<struct clause_class, Clause> const clause = "a fact or rule";
x3::rule<struct clause_end_class, std::optional<std::vector<Literal>>> const clause_end = "':-' or '.'";
x3::rule<struct production_class, ProductionRule> const production = "'rule'";
x3::rule<struct action_class, Action> const action = "an action";
x3::rule<struct assignment_class, Assignment> const assignment = "a column assignment";
x3::rule<struct ask_class, AskDecl> const ask = "'ask'";
x3::rule<struct constant_class, Expr> const constant = "a constant";
x3::rule<struct neural_class, NeuralDecl> const neural = "'neural'";
x3::rule<struct model_class, ModelDecl> const model = "'model'";
x3::rule<struct param_class, ModelParam> const param = "a parameter";
x3::rule<struct param_value_class, Expr> const param_value = "a constant or '['";
x3::rule<struct list_class, Expr> const list = "'['";
x3::rule<struct query_class, Query> const query = "'?-'";
x3::rule<struct import_class, Import> const import = "'import'";
x3::rule<struct pragma_class, Pragma> const pragma = "'pragma'";
x3::rule<struct pragma_value_class, Expr> const pragma_value = "a symbol or a number";

auto const relation_decl_def = (here >> kw_relation)[kSetPos] > symbol[kSetName] > lparen >
                               -(column[push_column] > *(comma > column[push_column])) > rparen > end_dot;

auto const column_def = any_name[set_column_name] > colon > column_type[set_type];

auto const column_type_def = scalar_type[kAssign] |
                             (kw_tensor > lbracket > integer[push_dimension] > *(comma > integer[push_dimension]) >
                              rbracket);

auto const clause_def = (atom[set_head] >> -(kw_cf > signed_number[set_certainty])) > clause_end[set_clause_body];

auto const clause_end_def = (neck > body[kAssign] > end_dot) | end_dot;

auto const production_def = (here >> kw_rule)[kSetPos] > symbol[kSetName] >
                            -(kw_salience > signed_integer[set_salience]) > kw_when > body[set_conditions] > kw_then >
                            action[push_action] > *(semicolon > action[push_action]) > end_dot;

auto const action_def =
    (kw_assert[StartAction<ActionKind::kAssert>{}] > atom[set_atom] > -(kw_cf > signed_number[set_certainty])) |
    (kw_retract[StartAction<ActionKind::kRetract>{}] > (variable[set_action_fact_var] | atom[set_atom])) |
    (kw_modify[StartAction<ActionKind::kModify>{}] > variable[set_action_fact_var] > lparen >
     assignment[push_assignment] > *(comma > assignment[push_assignment]) > rparen) |
    (kw_print[StartAction<ActionKind::kPrint>{}] > lparen >
     -(expr[push_print_arg] > *(comma > expr[push_print_arg])) > rparen) |
    kw_halt[StartAction<ActionKind::kHalt>{}];

auto const assignment_def = any_name[set_assigned_column] > equals > expr[set_value];

auto const ask_def = (here >> kw_ask)[kSetPos] > atom[set_atom] > string_literal[set_question] >
                     (kw_yes_no[SetAskKind<AskKind::kYesNo>{}] |
                      (kw_one_of[SetAskKind<AskKind::kOneOf>{}] > lbrace > constant[push_choice] >
                       *(comma > constant[push_choice]) > rbrace) |
                      (kw_number[SetAskKind<AskKind::kNumber>{}] >
                       -(kw_in > signed_number[set_min] > range_dots > signed_number[set_max]))) >
                     end_dot;

auto const constant_def = signed_number[kAssign] | string_literal[kAssign] | (here >> kw_true)[MakeBool<true>{}] |
                          (here >> kw_false)[MakeBool<false>{}] | symbol[kMakeSymbol];

auto const neural_def = (here >> kw_neural)[kSetPos] > symbol[kSetName] > lparen > column[push_input] >
                        *(comma > column[push_input]) > rparen > arrow > any_name[set_output] > kw_in > lbrace >
                        (symbol[push_label] | integer[push_int_label]) >
                        *(comma > (symbol[push_label] | integer[push_int_label])) > rbrace > kw_using > symbol[set_model] >
                        -(at_sign > integer[set_version]) > -(kw_top > integer[set_top_k]) >
                        -(kw_threshold > signed_number[set_threshold]) > end_dot;

auto const model_def = (here >> kw_model)[kSetPos] > symbol[kSetName] > colon > any_name[set_architecture] > lbrace >
                       -(param[push_param] > *(comma > param[push_param])) > rbrace > end_dot;

auto const param_def = any_name[set_key] > equals > param_value[set_value];

auto const param_value_def = constant[kAssign] | list[kAssign];

auto const list_def = (here >> lbracket)[start_list] > nest[-(constant[push_item] > *(comma > constant[push_item]))] >
                      rbracket;

auto const query_def = (here >> query_mark)[kSetPos] > body[set_goals] > end_dot;

auto const import_def = (here >> kw_import)[kSetPos] > string_literal[set_path] > end_dot;

auto const pragma_def = (here >> kw_pragma)[kSetPos] > any_name[kSetName] > pragma_value[set_value] > end_dot;

auto const pragma_value_def = signed_number[kAssign] | any_name[kMakeSymbol];

auto const statement_def = relation_decl[AddTo<&Program::relations>{}] | production[AddTo<&Program::productions>{}] |
                           ask[AddTo<&Program::asks>{}] | neural[AddTo<&Program::neurals>{}] |
                           model[AddTo<&Program::models>{}] | query[AddTo<&Program::queries>{}] |
                           import[AddTo<&Program::imports>{}] | pragma[AddTo<&Program::pragmas>{}] |
                           clause[add_clause];

BOOST_SPIRIT_DEFINE(statement, relation_decl, column, column_type, clause, clause_end, production, action, assignment,
                    ask, constant, neural, model, param, param_value, list, query, import, pragma, pragma_value)

StatementResult ParseStatement(ParseState& state, std::size_t start) {
  Skipper const skipper(&state);
  ParseState* state_ptr = &state;
  // X3 contexts hold references: each level must outlive the parse.
  SkipperContext const skipper_context = x3::make_context<x3::skipper_tag>(skipper);
  Context const context = x3::make_context<state_tag>(state_ptr, skipper_context);
  Iterator first = state.begin() + start;
  StatementResult result;
  try {
    x3::unused_type unused;
    if (statement.parse(first, state.end(), context, unused, unused)) {
      result.kind = StatementResult::Kind::kOk;
      result.end = state.Offset(first);
    } else {
      result.kind = StatementResult::Kind::kSyntax;
      result.offset = start;
    }
  } catch (const x3::expectation_failure<Iterator>& e) {
    result.kind = StatementResult::Kind::kSyntax;
    result.offset = state.Offset(e.where());
    result.expected = e.which();
  } catch (const NestingTooDeep& e) {
    result.kind = StatementResult::Kind::kNesting;
    result.offset = e.offset;
  }
  return result;
}

}  // namespace syllo::rules::grammar

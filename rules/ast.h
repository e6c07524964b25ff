// The AST of a Syllo program: the one meeting point of the .syl parser and the
// Lua pack API. Everything downstream (checker, compiler, KB) reads this and
// knows nothing of where a node came from except its SourcePos.
//
// Nodes are plain structs with a kind tag rather than variants: easy to build from
// the parser and from Lua, easy to walk. Lists own their children by value.
//
// Thread safety: values; a finished Program is read-only and may be shared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/column_type.h"
#include "rules/source.h"

namespace syllo::rules {

// ---- Terms and expressions ------------------------------------------------

enum class ExprKind {
  kVariable,  // X, Total, _Ignored: `name` holds it
  kWildcard,  // _ : every occurrence is a fresh, unnamed variable
  kInt,
  kFloat,
  kBool,
  kSymbol,    // tshirt, n1: lowercase identifier
  kString,    // "text" (escapes decoded)
  kUnary,     // op in `name`: "-" or "not"? only "-" today
  kBinary,    // op in `name`: + - * / mod
  kCall,      // built-in function: name(args...), e.g. concat(A, B), abs(X)
  kList,      // [a, b, 3]: only in model hyperparameters
};

struct Expr {
  ExprKind kind = ExprKind::kInt;
  SourcePos pos;
  std::string name;           // variable name, symbol/string text, operator, function name
  std::int64_t int_value = 0;
  double float_value = 0.0;
  bool bool_value = false;
  std::vector<Expr> args;     // operands (unary: 1, binary: 2), call arguments, list items

  bool is_variable() const { return kind == ExprKind::kVariable; }
  bool is_constant() const {
    return kind == ExprKind::kInt || kind == ExprKind::kFloat || kind == ExprKind::kBool ||
           kind == ExprKind::kSymbol || kind == ExprKind::kString;
  }
};

// ---- Literals ---------------------------------------------------------------

// rel(t1, ..., tn) [@ CertVar] [as FactVar]
struct Atom {
  SourcePos pos;
  std::string relation;
  std::vector<Expr> args;           // terms: variables, wildcards, constants (expressions only in heads/actions)
  std::string certainty_var;        // `@ Cert`: binds the fact's certainty; empty if absent
  SourcePos certainty_pos;
  std::string fact_var;             // `as F`: binds the fact itself (production rules); empty if absent
  SourcePos fact_var_pos;
};

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };
enum class AggregateOp { kCount, kSum, kMin, kMax, kAvg };

enum class LiteralKind {
  kAtom,        // a relation (stored, derived, asked or neural)
  kBuiltin,     // a built-in test such as contains(S, "x"): name and args in `atom`
  kNegation,    // not Literal / not (L1, L2): `body` holds the conjunction
  kExists,      // exists Literal / exists (L1, L2): `body` holds the conjunction
  kComparison,  // lhs op rhs. `X = expr` with X not yet bound binds X.
  kMembership,  // lhs in {e1, ..., en}; `negated` for `lhs not in {...}`
  kAggregate,   // Result = op(Value : body)  /  Result = count(body)
};

struct Literal {
  LiteralKind kind = LiteralKind::kAtom;
  SourcePos pos;
  Atom atom;                    // kAtom, kBuiltin
  std::vector<Literal> body;    // kNegation, kExists, kAggregate
  CompareOp op = CompareOp::kEq;
  Expr lhs;                     // kComparison; kMembership (the element); kAggregate (result variable)
  Expr rhs;                     // kComparison; kAggregate (the aggregated value; unused for count)
  std::vector<Expr> set;        // kMembership
  bool negated = false;         // kMembership: `not in`
  AggregateOp aggregate = AggregateOp::kCount;
};

// ---- Declarations and statements -------------------------------------------

// name: type
struct ColumnDecl {
  SourcePos pos;
  std::string name;
  engine::ColumnType type;
};

// relation name(col: type, ...).
struct RelationDecl {
  SourcePos pos;
  std::string name;
  std::vector<ColumnDecl> columns;
};

// rel(c1, ..., cn) [cf N].   (arguments must be constants)
struct FactDecl {
  SourcePos pos;
  Atom atom;
  std::optional<double> certainty;
};

// head [cf N] :- body.
struct LogicalRule {
  SourcePos pos;
  Atom head;                        // arguments: variables, constants or expressions
  std::optional<double> certainty;  // the rule's certainty factor; absent means 1
  std::vector<Literal> body;
};

enum class ActionKind { kAssert, kRetract, kModify, kPrint, kHalt, kCall };

struct Assignment {
  SourcePos pos;
  std::string column;  // a column name of the modified fact's relation
  Expr value;
};

struct Action {
  ActionKind kind = ActionKind::kHalt;
  SourcePos pos;
  Atom atom;                        // kAssert: the new fact; kRetract: the fact (or empty relation when fact_var is used)
  std::optional<double> certainty;  // kAssert: `assert f(X) cf 0.7`
  std::string fact_var;             // kRetract F / kModify F
  std::vector<Assignment> assignments;  // kModify F (col = expr, ...)
  std::vector<Expr> args;           // kPrint: strings are templates with {Var} holes
  std::string function;             // kCall: a host action (HostFunctionDecl) run with the rule's variables
};

// rule name [salience N] when conditions then action; action; ... .
struct ProductionRule {
  SourcePos pos;
  std::string name;
  std::int64_t salience = 0;
  SourcePos salience_pos;
  std::vector<Literal> conditions;
  std::vector<Action> actions;
};

enum class AskKind { kYesNo, kOneOf, kNumber };

// ask atom "question {Var}" yes_no.
// ask atom "question" one_of {a, b, c}.       (the last argument receives the answer)
// ask atom "question" number [in LO..HI].     (the last argument receives the answer)
struct AskDecl {
  SourcePos pos;
  Atom atom;
  std::string question;
  AskKind kind = AskKind::kYesNo;
  std::vector<Expr> choices;  // kOneOf
  std::optional<double> min;  // kNumber
  std::optional<double> max;
};

// neural name(col: type, ...) -> out in {l1, ..., ln} using model[@version] [top K] [threshold T].
// Declares the relation name(col..., out: symbol) whose tuples a model yields.
struct NeuralDecl {
  SourcePos pos;
  std::string name;
  std::vector<ColumnDecl> inputs;
  std::string output;  // the output column's name
  SourcePos output_pos;
  std::vector<Expr> labels;  // symbols, or ints (the checker makes them one or the other)
  std::string model;
  SourcePos model_pos;
  std::optional<std::int64_t> version;
  std::optional<std::int64_t> top_k;
  std::optional<double> threshold;

  // The output column's type: what the labels are.
  engine::ColumnType OutputType() const {
    const bool ints = !labels.empty() && labels.front().kind == ExprKind::kInt;
    return engine::ColumnType::Of(ints ? engine::ValueKind::kInt : engine::ValueKind::kSymbol);
  }
};

struct ModelParam {
  SourcePos pos;
  std::string key;
  Expr value;  // a constant, a symbol, or a kList of constants
};

// model name : architecture { key = value, ... }.
struct ModelDecl {
  SourcePos pos;
  std::string name;
  std::string architecture;  // mlp, cnn, gru, lstm
  SourcePos architecture_pos;
  std::vector<ModelParam> params;
};

// A predicate or an action whose code the host supplies: a Lua pack's
// function. Only a pack declares one (the .syl grammar has no syntax for it);
// a body literal name(inputs..., outputs...) calls a predicate once its inputs
// are bound. With no outputs it is a test; otherwise it yields output rows.
enum class HostFunctionKind { kPredicate, kAction };

struct HostFunctionDecl {
  SourcePos pos;
  std::string name;
  HostFunctionKind kind = HostFunctionKind::kPredicate;
  std::vector<ColumnDecl> inputs;
  std::vector<ColumnDecl> outputs;
};

// ?- goal, goal.
struct Query {
  SourcePos pos;
  std::vector<Literal> goals;
};

// import "path".   (relative to the importing file)
struct Import {
  SourcePos pos;
  std::string path;
};

// pragma semantics mycin.   pragma strategy depth.   pragma threshold 0.2.
struct Pragma {
  SourcePos pos;
  std::string name;
  Expr value;
};

struct Program {
  std::vector<RelationDecl> relations;
  std::vector<FactDecl> facts;
  std::vector<LogicalRule> rules;
  std::vector<ProductionRule> productions;
  std::vector<AskDecl> asks;
  std::vector<NeuralDecl> neurals;
  std::vector<ModelDecl> models;
  std::vector<Query> queries;
  std::vector<Import> imports;
  std::vector<Pragma> pragmas;
  std::vector<HostFunctionDecl> functions;

  // Appends everything of `other` (used when an import is read).
  void Append(Program other);
};

std::string_view CompareOpSpelling(CompareOp op);
std::string_view AggregateOpName(AggregateOp op);

}  // namespace syllo::rules

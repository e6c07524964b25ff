// Canonical printing. Invariant: for a program the parser produced without
// errors, Parse(Print(p)) gives the same AST (positions aside), so printing
// again gives the same text. Hence:
//   - floats print in the shortest form that reads back to the same double, and
//     always with a '.' or an exponent so they stay floats;
//   - a negative constant prints as "-3": the parser folds a minus on a numeric
//     literal into the constant, so that reads back as the same constant;
//   - binary operators get parentheses exactly where precedence needs them;
//   - statements come grouped by kind in a fixed order (the Program keeps them
//     grouped too), one per line.
#include "rules/printer.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

#include "rules/grammar/lexical.h"

namespace syllo::rules {

namespace {

std::string FormatFloatExact(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, ec == std::errc() ? end : buf);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

// Certainties, thresholds and ranges are doubles whatever was written: an
// integral value prints without a fraction ("cf 1", "in 0..100").
std::string FormatNumber(double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<std::int64_t>(v));
  }
  return FormatFloatExact(v);
}

// Binding strength: + - bind loosest, then * / mod, then unary minus; the rest
// are primaries.
int Precedence(const Expr& e) {
  if (e.kind == ExprKind::kBinary) return e.name == "+" || e.name == "-" ? 1 : 2;
  if (e.kind == ExprKind::kUnary) return 3;
  return 4;
}

void AppendExpr(std::string& out, const Expr& e);

void AppendList(std::string& out, const std::vector<Expr>& items) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    AppendExpr(out, items[i]);
  }
}

void AppendOperand(std::string& out, const Expr& e, bool parens) {
  if (parens) out += '(';
  AppendExpr(out, e);
  if (parens) out += ')';
}

void AppendExpr(std::string& out, const Expr& e) {
  switch (e.kind) {
    case ExprKind::kVariable:
    case ExprKind::kSymbol:
      out += e.name;
      return;
    case ExprKind::kWildcard:
      out += '_';
      return;
    case ExprKind::kInt:
      out += std::to_string(e.int_value);
      return;
    case ExprKind::kFloat:
      out += FormatFloatExact(e.float_value);
      return;
    case ExprKind::kBool:
      out += e.bool_value ? "true" : "false";
      return;
    case ExprKind::kString:
      out += engine::QuoteString(e.name);
      return;
    case ExprKind::kUnary: {
      out += e.name;
      if (e.args.empty()) return;
      const Expr& operand = e.args[0];
      // Parenthesise anything but a plain name or call, so "-(3)" stays a
      // negation and "-(-X)" does not read as a token "--".
      bool simple = operand.kind == ExprKind::kVariable || operand.kind == ExprKind::kSymbol ||
                    operand.kind == ExprKind::kCall || operand.kind == ExprKind::kWildcard;
      AppendOperand(out, operand, !simple);
      return;
    }
    case ExprKind::kBinary: {
      if (e.args.size() != 2) return;
      int prec = Precedence(e);
      AppendOperand(out, e.args[0], Precedence(e.args[0]) < prec);
      out += ' ';
      out += e.name;
      out += ' ';
      // Left-associative: an equal-precedence right operand needs parentheses.
      AppendOperand(out, e.args[1], Precedence(e.args[1]) <= prec);
      return;
    }
    case ExprKind::kCall:
      out += e.name;
      out += '(';
      AppendList(out, e.args);
      out += ')';
      return;
    case ExprKind::kList:
      out += '[';
      AppendList(out, e.args);
      out += ']';
      return;
  }
}

void AppendAtom(std::string& out, const Atom& a) {
  out += a.relation;
  if (!a.args.empty()) {
    out += '(';
    AppendList(out, a.args);
    out += ')';
  }
  if (!a.certainty_var.empty()) out += " @ " + a.certainty_var;
  if (!a.fact_var.empty()) out += " as " + a.fact_var;
}

void AppendLiteral(std::string& out, const Literal& l);

void AppendBody(std::string& out, const std::vector<Literal>& body) {
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (i > 0) out += ", ";
    AppendLiteral(out, body[i]);
  }
}

void AppendLiteral(std::string& out, const Literal& l) {
  switch (l.kind) {
    case LiteralKind::kAtom:
    case LiteralKind::kBuiltin:
      AppendAtom(out, l.atom);
      return;
    case LiteralKind::kNegation:
    case LiteralKind::kExists: {
      out += l.kind == LiteralKind::kNegation ? "not " : "exists ";
      // One atom (or one nested not/exists) needs no parentheses.
      LiteralKind inner = l.body.size() == 1 ? l.body[0].kind : LiteralKind::kComparison;
      bool bare = inner == LiteralKind::kAtom || inner == LiteralKind::kBuiltin || inner == LiteralKind::kNegation ||
                  inner == LiteralKind::kExists;
      if (bare) {
        AppendLiteral(out, l.body[0]);
      } else {
        out += '(';
        AppendBody(out, l.body);
        out += ')';
      }
      return;
    }
    case LiteralKind::kComparison:
      AppendExpr(out, l.lhs);
      out += ' ';
      out += CompareOpSpelling(l.op);
      out += ' ';
      AppendExpr(out, l.rhs);
      return;
    case LiteralKind::kMembership:
      AppendExpr(out, l.lhs);
      out += l.negated ? " not in {" : " in {";
      AppendList(out, l.set);
      out += '}';
      return;
    case LiteralKind::kAggregate:
      AppendExpr(out, l.lhs);
      out += " = ";
      out += AggregateOpName(l.aggregate);
      out += '(';
      if (l.aggregate != AggregateOp::kCount) {
        AppendExpr(out, l.rhs);
        out += " : ";
      }
      AppendBody(out, l.body);
      out += ')';
      return;
  }
}

void AppendCertainty(std::string& out, const std::optional<double>& cf) {
  if (cf) out += " cf " + FormatNumber(*cf);
}

void AppendColumns(std::string& out, const std::vector<ColumnDecl>& columns) {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += ", ";
    out += columns[i].name + ": " + columns[i].type.ToString();
  }
}

void AppendAction(std::string& out, const Action& a) {
  switch (a.kind) {
    case ActionKind::kAssert:
      out += "assert ";
      AppendAtom(out, a.atom);
      AppendCertainty(out, a.certainty);
      return;
    case ActionKind::kRetract:
      out += "retract ";
      if (!a.fact_var.empty()) {
        out += a.fact_var;
      } else {
        AppendAtom(out, a.atom);
      }
      return;
    case ActionKind::kModify:
      out += "modify " + a.fact_var + " (";
      for (std::size_t i = 0; i < a.assignments.size(); ++i) {
        if (i > 0) out += ", ";
        out += a.assignments[i].column + " = ";
        AppendExpr(out, a.assignments[i].value);
      }
      out += ')';
      return;
    case ActionKind::kPrint:
      out += "print(";
      AppendList(out, a.args);
      out += ')';
      return;
    case ActionKind::kHalt:
      out += "halt";
      return;
    case ActionKind::kCall:
      // A Lua function has no .syl spelling: a comment names it.
      out += "/* Lua action " + a.function + " */";
      return;
  }
}

void AppendRelation(std::string& out, const RelationDecl& r) {
  out += "relation " + r.name + "(";
  AppendColumns(out, r.columns);
  out += ").\n";
}

// rule name [salience N]
//   when c1, c2
//   then a1; a2.
void AppendProduction(std::string& out, const ProductionRule& p) {
  out += "rule " + p.name;
  if (p.salience != 0) out += " salience " + std::to_string(p.salience);
  out += "\n  when ";
  AppendBody(out, p.conditions);
  out += "\n  then ";
  for (std::size_t i = 0; i < p.actions.size(); ++i) {
    if (i > 0) out += "; ";
    AppendAction(out, p.actions[i]);
  }
  out += ".\n";
}

void AppendAsk(std::string& out, const AskDecl& a) {
  out += "ask ";
  AppendAtom(out, a.atom);
  out += ' ' + engine::QuoteString(a.question) + ' ';
  switch (a.kind) {
    case AskKind::kYesNo:
      out += "yes_no";
      break;
    case AskKind::kOneOf:
      out += "one_of {";
      AppendList(out, a.choices);
      out += '}';
      break;
    case AskKind::kNumber:
      out += "number";
      if (a.min && a.max) out += " in " + FormatNumber(*a.min) + ".." + FormatNumber(*a.max);
      break;
  }
  out += ".\n";
}

void AppendNeural(std::string& out, const NeuralDecl& n) {
  out += "neural " + n.name + "(";
  AppendColumns(out, n.inputs);
  out += ") -> " + n.output + " in {";
  AppendList(out, n.labels);
  out += "} using " + n.model;
  if (n.version) out += "@" + std::to_string(*n.version);
  if (n.top_k) out += " top " + std::to_string(*n.top_k);
  if (n.threshold) out += " threshold " + FormatNumber(*n.threshold);
  out += ".\n";
}

// model name : arch {
//   key = value,
//   key = value
// }.
void AppendModel(std::string& out, const ModelDecl& m) {
  out += "model " + m.name + " : " + m.architecture + " {";
  for (std::size_t i = 0; i < m.params.size(); ++i) {
    out += i > 0 ? ",\n  " : "\n  ";
    out += m.params[i].key + " = ";
    AppendExpr(out, m.params[i].value);
  }
  out += m.params.empty() ? "}.\n" : "\n}.\n";
}

}  // namespace

std::string Print(const Expr& expr) {
  std::string out;
  AppendExpr(out, expr);
  return out;
}

std::string Print(const Atom& atom) {
  std::string out;
  AppendAtom(out, atom);
  return out;
}

std::string Print(const Literal& literal) {
  std::string out;
  AppendLiteral(out, literal);
  return out;
}

std::string Print(const Program& p) {
  std::string out;
  for (const Import& i : p.imports) out += "import " + engine::QuoteString(i.path) + ".\n";
  for (const Pragma& pr : p.pragmas) out += "pragma " + pr.name + " " + Print(pr.value) + ".\n";
  for (const RelationDecl& r : p.relations) AppendRelation(out, r);
  for (const HostFunctionDecl& f : p.functions) {
    // Implemented in Lua: a comment, so the printed program still parses.
    if (f.kind == HostFunctionKind::kAction) {
      out += "% Lua action " + f.name + "\n";
      continue;
    }
    out += "% Lua predicate " + f.name + "(";
    AppendColumns(out, f.inputs);
    out += ")";
    if (!f.outputs.empty()) {
      out += " -> (";
      AppendColumns(out, f.outputs);
      out += ")";
    }
    out += "\n";
  }
  for (const ModelDecl& m : p.models) AppendModel(out, m);
  for (const NeuralDecl& n : p.neurals) AppendNeural(out, n);
  for (const AskDecl& a : p.asks) AppendAsk(out, a);
  for (const FactDecl& f : p.facts) {
    AppendAtom(out, f.atom);
    AppendCertainty(out, f.certainty);
    out += ".\n";
  }
  for (const LogicalRule& r : p.rules) {
    AppendAtom(out, r.head);
    AppendCertainty(out, r.certainty);
    out += " :- ";
    AppendBody(out, r.body);
    out += ".\n";
  }
  for (const ProductionRule& pr : p.productions) AppendProduction(out, pr);
  for (const Query& q : p.queries) {
    out += "?- ";
    AppendBody(out, q.goals);
    out += ".\n";
  }
  return out;
}

}  // namespace syllo::rules

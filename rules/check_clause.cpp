// How a clause is checked, in four passes over its scopes:
//
//   1. Scopes. The top-level conjunction is one scope; the body of every `not`,
//      `exists` and aggregate is a child scope. A variable belongs to the
//      outermost scope where it occurs outside nested bodies (the head and the
//      actions count as the top level); a variable seen only inside a nested
//      body is local to it.
//   2. Atom typing. Walking the text in order, a variable takes the type of the
//      first column it meets; a later column of another type is an error.
//   3. Binding. Per scope, a fixpoint: positive atoms bind their variables,
//      `X = E` binds X once E's variables are bound (either side), `X in {..}`
//      and aggregates bind their variable. A scope binds only variables it
//      owns; nested scopes are done after their parent, with its bindings.
//   4. Checking. Every occurrence is counted; one not bound is unsafe;
//      expressions, comparisons, built-ins, heads and actions are type-checked.
//
// Expressions are walked with an explicit stack: `1 + 1 + ... + 1` is a deep
// tree that nesting limits on parentheses do not bound.
#include "rules/check_clause.h"

#include <limits>
#include <memory>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "rules/builtins.h"
#include "rules/check_types.h"
#include "rules/parser.h"

namespace syllo::rules {

namespace {

struct Scope;

struct VarInfo {
  std::string name;
  Scope* owner = nullptr;
  Type type;
  bool bound = false;
  bool is_fact = false;                         // bound with `as F`
  const RelationInfo* fact_relation = nullptr;  // F's relation, when known
  int uses = 0;
  SourcePos first_use;
  bool unsafe = false;
  SourcePos unsafe_pos;  // the first occurrence that nothing binds
};

struct Scope {
  Scope* parent = nullptr;
  const std::vector<Literal>* body = nullptr;
  const Expr* value = nullptr;  // an aggregate's value expression, evaluated in this scope
  int depth = 0;
  std::unordered_set<std::string> own;            // names occurring at this level
  std::unordered_map<std::string, VarInfo> vars;  // names owned here (node-stable)
};

enum class ClauseKind { kRule, kProduction, kQuery };

// Calls f(expr) for every variable node of `root`, without recursion.
template <typename F>
void ForEachVariable(const Expr& root, F&& f) {
  std::vector<const Expr*> stack{&root};
  while (!stack.empty()) {
    const Expr* e = stack.back();
    stack.pop_back();
    if (e->kind == ExprKind::kVariable) f(*e);
    for (const Expr& a : e->args) stack.push_back(&a);
  }
}

bool IsOrdering(CompareOp op) { return op != CompareOp::kEq && op != CompareOp::kNe; }

std::string Quote(const std::string& s) { return "'" + s + "'"; }

class ClauseChecker {
 public:
  ClauseChecker(CheckContext& ctx, ClauseKind kind) : ctx_(ctx), kind_(kind) {}

  // `head` for logical rules, `actions` for production rules; both null for queries.
  void Run(const std::vector<Literal>& body, const Atom* head, const std::vector<Action>* actions) {
    Scope* top = NewScope(nullptr, body, nullptr, 0);
    if (head) CollectAtom(*top, *head);
    if (actions) {
      for (const Action& a : *actions) {
        CollectAction(*top, a);
        if (a.kind == ActionKind::kCall) passes_variables_ = true;
      }
    }
    BuildChildren(*top);
    if (head) head_relation_ = ctx_.ResolveAtom(*head);
    TypeAtoms(*top);
    Bind(*top);
    Check(*top);
    if (head) CheckHead(*top, *head);
    if (actions) {
      for (const Action& a : *actions) CheckAction(*top, a);
    }
    Report();
  }

 private:
  // ---- 1. Scopes --------------------------------------------------------------

  Scope* NewScope(Scope* parent, const std::vector<Literal>& body, const Expr* value, int depth) {
    scopes_.push_back(std::make_unique<Scope>());
    Scope* s = scopes_.back().get();
    s->parent = parent;
    s->body = &body;
    s->value = value;
    s->depth = depth;
    if (value) CollectExpr(*s, *value);
    for (const Literal& lit : body) CollectLiteral(*s, lit);
    return s;
  }

  void CollectExpr(Scope& s, const Expr& e) {
    ForEachVariable(e, [&](const Expr& v) { s.own.insert(v.name); });
  }

  void CollectAtom(Scope& s, const Atom& atom) {
    for (const Expr& a : atom.args) CollectExpr(s, a);
    if (!atom.certainty_var.empty()) s.own.insert(atom.certainty_var);
    if (!atom.fact_var.empty()) s.own.insert(atom.fact_var);
  }

  void CollectLiteral(Scope& s, const Literal& lit) {
    switch (lit.kind) {
      case LiteralKind::kAtom:
      case LiteralKind::kBuiltin: CollectAtom(s, lit.atom); break;
      case LiteralKind::kComparison:
        CollectExpr(s, lit.lhs);
        CollectExpr(s, lit.rhs);
        break;
      case LiteralKind::kMembership:
        CollectExpr(s, lit.lhs);
        for (const Expr& e : lit.set) CollectExpr(s, e);
        break;
      case LiteralKind::kAggregate: CollectExpr(s, lit.lhs); break;  // the value belongs to the inner scope
      case LiteralKind::kNegation:
      case LiteralKind::kExists: break;
    }
  }

  void CollectAction(Scope& s, const Action& a) {
    CollectAtom(s, a.atom);
    if (!a.fact_var.empty()) s.own.insert(a.fact_var);
    for (const Assignment& as : a.assignments) CollectExpr(s, as.value);
    for (const Expr& e : a.args) {
      CollectExpr(s, e);
      if (e.kind == ExprKind::kString) {
        for (const TemplateHole& h : TemplateHoles(e.name)) s.own.insert(h.name);
      }
    }
  }

  // Creates the scopes of nested bodies, depth first. The parser stops at
  // kMaxNesting; an AST built by code may go deeper, and is cut off there.
  void BuildChildren(Scope& s) {
    for (const Literal& lit : *s.body) {
      if (lit.kind != LiteralKind::kNegation && lit.kind != LiteralKind::kExists &&
          lit.kind != LiteralKind::kAggregate) {
        continue;
      }
      if (s.depth >= kMaxNesting) {
        if (!nesting_reported_) ctx_.diags().Error(lit.pos, "nesting deeper than " + std::to_string(kMaxNesting));
        nesting_reported_ = true;
        continue;
      }
      const Expr* value =
          lit.kind == LiteralKind::kAggregate && lit.aggregate != AggregateOp::kCount ? &lit.rhs : nullptr;
      Scope* child = NewScope(&s, lit.body, value, s.depth + 1);
      children_[&lit] = child;
      BuildChildren(*child);
    }
  }

  Scope* ChildOf(const Literal& lit) {
    auto it = children_.find(&lit);
    return it == children_.end() ? nullptr : it->second;
  }

  VarInfo& Resolve(Scope& s, const std::string& name) {
    Scope* owner = &s;
    for (Scope* p = &s; p; p = p->parent) {
      if (p->own.count(name)) owner = p;
    }
    auto [it, fresh] = owner->vars.try_emplace(name);
    if (fresh) {
      it->second.name = name;
      it->second.owner = owner;
    }
    return it->second;
  }

  // ---- 2. Atom typing -----------------------------------------------------------

  void TypeAtoms(Scope& s) {
    for (const Literal& lit : *s.body) {
      if (lit.kind == LiteralKind::kAtom) {
        TypeAtom(s, lit.atom);
      } else if (Scope* child = ChildOf(lit)) {
        TypeAtoms(*child);
      }
    }
  }

  void TypeAtom(Scope& s, const Atom& atom) {
    const RelationInfo* rel = ctx_.ResolveAtom(atom);
    if (rel && rel->function) {
      if (!atom.certainty_var.empty()) {
        ctx_.diags().Error(atom.certainty_pos, Quote(rel->name) + " is a Lua predicate: it has no certainty to bind");
      }
      if (!atom.fact_var.empty()) {
        ctx_.diags().Error(atom.fact_var_pos, Quote(rel->name) + " is a Lua predicate: it yields no fact to bind");
      }
    }
    for (std::size_t i = 0; i < atom.args.size(); ++i) {
      const Expr& arg = atom.args[i];
      if (rel && rel->function && i < rel->inputs && arg.kind == ExprKind::kWildcard) {
        ctx_.diags().Error(arg.pos, "argument " + std::to_string(i + 1) + " of Lua predicate " + Quote(rel->name) +
                                        " is an input: it needs a value, not '_'");
        continue;
      }
      if (arg.is_variable()) {
        if (rel) Meet(Resolve(s, arg.name), Type::FromColumn(rel->columns[i].type), arg.pos, *rel, i);
      } else if (IsConstantTerm(arg)) {
        if (rel && !ConstantFits(rel->columns[i].type, arg)) ReportConstant(arg, *rel, i);
      } else if (arg.kind != ExprKind::kWildcard) {
        ctx_.diags().Error(arg.pos, "arguments of a condition must be variables, '_' or constants");
      }
    }
    if (!atom.certainty_var.empty()) {
      VarInfo& v = Resolve(s, atom.certainty_var);
      Type f = Type::Of(TypeKind::kFloat);
      if (!v.type.known()) {
        v.type = f;
      } else if (!Compatible(v.type, f)) {
        ctx_.diags().Error(atom.certainty_pos,
                           "type mismatch: " + Quote(v.name) + " is " + TypeName(v.type) + ", but a certainty is float");
      }
    }
    if (!atom.fact_var.empty()) {
      if (kind_ != ClauseKind::kProduction || s.depth > 0) {
        ctx_.diags().Error(atom.fact_var_pos, "'as' binds a fact only in the top-level conditions of a production rule");
      }
      VarInfo& v = Resolve(s, atom.fact_var);
      if (v.type.known() && v.type.kind != TypeKind::kFact) {
        ctx_.diags().Error(atom.fact_var_pos, "type mismatch: " + Quote(v.name) + " is " + TypeName(v.type) +
                                                  ", but 'as' binds a fact");
      } else {
        v.type = Type::Of(TypeKind::kFact);
        v.is_fact = true;
        if (!v.fact_relation) v.fact_relation = rel;
      }
    }
  }

  // A variable met at column `index` of `rel`.
  void Meet(VarInfo& v, Type column, SourcePos pos, const RelationInfo& rel, std::size_t index) {
    if (!v.type.known()) {
      v.type = column;
    } else if (!Compatible(v.type, column)) {
      ctx_.diags().Error(pos, "type mismatch: " + Quote(v.name) + " is " + TypeName(v.type) + ", but " +
                                  DescribeColumn(rel, index) + " is " + TypeName(column));
    }
  }

  void ReportConstant(const Expr& arg, const RelationInfo& rel, std::size_t index) {
    ctx_.diags().Error(arg.pos, "type mismatch: " + DescribeColumn(rel, index) + " is " +
                                    rel.columns[index].type.ToString() + ", got " + TypeName(ConstantType(arg)) +
                                    " " + ConstantText(arg));
  }

  // ---- 3. Binding -----------------------------------------------------------------

  // A misplaced `_` counts as bound: it is reported where it stands, and
  // should not also make the variable it defines unsafe.
  bool AllBound(Scope& s, const Expr& e) {
    bool all = true;
    std::vector<const Expr*> stack{&e};
    while (all && !stack.empty()) {
      const Expr* x = stack.back();
      stack.pop_back();
      if (x->kind == ExprKind::kVariable && !Resolve(s, x->name).bound) all = false;
      for (const Expr& a : x->args) stack.push_back(&a);
    }
    return all;
  }

  // Binds `var` if this scope owns it and it is still free; true if it did.
  bool BindHere(Scope& s, const std::string& var) {
    VarInfo& v = Resolve(s, var);
    if (v.owner != &s || v.bound) return false;
    v.bound = true;
    return true;
  }

  // `X = E`: binds X when E is bound; X takes E's type if it has none.
  bool BindByEquality(Scope& s, const Expr& var, const Expr& value) {
    if (!var.is_variable() || !AllBound(s, value)) return false;
    if (!BindHere(s, var.name)) return false;
    VarInfo& v = Resolve(s, var.name);
    if (!v.type.known()) v.type = ExprType(s, value, /*check=*/false);
    return true;
  }

  void Bind(Scope& s) {
    for (bool changed = true; changed;) {
      changed = false;
      for (const Literal& lit : *s.body) {
        switch (lit.kind) {
          case LiteralKind::kAtom: {
            // A Lua predicate binds its outputs once its inputs are bound.
            const RelationInfo* rel = ctx_.FindRelation(lit.atom.relation);
            std::size_t first = 0;
            if (rel && rel->function) {
              first = rel->inputs;
              bool ready = true;
              for (std::size_t i = 0; i < first && i < lit.atom.args.size(); ++i) ready &= AllBound(s, lit.atom.args[i]);
              if (!ready) break;
            }
            for (std::size_t i = first; i < lit.atom.args.size(); ++i) {
              if (lit.atom.args[i].is_variable()) changed |= BindHere(s, lit.atom.args[i].name);
            }
            if (!lit.atom.certainty_var.empty()) changed |= BindHere(s, lit.atom.certainty_var);
            if (!lit.atom.fact_var.empty()) changed |= BindHere(s, lit.atom.fact_var);
            break;
          }
          case LiteralKind::kComparison:
            if (lit.op == CompareOp::kEq) {
              changed |= BindByEquality(s, lit.lhs, lit.rhs) || BindByEquality(s, lit.rhs, lit.lhs);
            }
            break;
          case LiteralKind::kMembership:
            if (!lit.negated && lit.lhs.is_variable() && BindHere(s, lit.lhs.name)) {
              changed = true;
              VarInfo& v = Resolve(s, lit.lhs.name);
              if (!v.type.known() && !lit.set.empty() && IsConstantTerm(lit.set.front())) {
                v.type = ConstantType(lit.set.front());
              }
            }
            break;
          case LiteralKind::kAggregate:
            if (lit.lhs.is_variable() && BindHere(s, lit.lhs.name)) {
              changed = true;
              VarInfo& v = Resolve(s, lit.lhs.name);
              if (!v.type.known()) v.type = AggregateType(lit, /*check=*/false);
            }
            break;
          case LiteralKind::kBuiltin:
          case LiteralKind::kNegation:
          case LiteralKind::kExists: break;
        }
      }
    }
    for (const Literal& lit : *s.body) {
      if (Scope* child = ChildOf(lit)) Bind(*child);
    }
  }

  // The type of an aggregate's result. With `check`, also checks the value.
  Type AggregateType(const Literal& lit, bool check) {
    if (lit.aggregate == AggregateOp::kCount) return Type::Of(TypeKind::kInt);
    Scope* child = ChildOf(lit);
    if (!child) return Type::Of(TypeKind::kUnknown);
    Type value = ExprType(*child, lit.rhs, check);
    std::string op(AggregateOpName(lit.aggregate));
    switch (lit.aggregate) {
      case AggregateOp::kSum:
      case AggregateOp::kAvg:
        if (value.known() && !value.numeric()) {
          if (check) ctx_.diags().Error(lit.rhs.pos, Quote(op) + " needs a number, got " + TypeName(value));
          return Type::Of(TypeKind::kUnknown);
        }
        if (lit.aggregate == AggregateOp::kAvg) return Type::Of(TypeKind::kFloat);
        return value.kind == TypeKind::kInt || value.kind == TypeKind::kFloat ? value : Type::Of(TypeKind::kNumber);
      default:
        if (value.known() && !value.numeric() && !value.text()) {
          if (check) {
            ctx_.diags().Error(lit.rhs.pos, Quote(op) + " needs numbers or texts, got " + TypeName(value));
          }
          return Type::Of(TypeKind::kUnknown);
        }
        return value;
    }
  }

  // ---- 4. Checking ------------------------------------------------------------------

  // One occurrence of a variable.
  void Use(VarInfo& v, SourcePos pos) {
    ++v.uses;
    if (!v.first_use.known() || PosBefore(pos, v.first_use)) v.first_use = pos;
    if (!v.bound && (!v.unsafe || PosBefore(pos, v.unsafe_pos))) {
      v.unsafe = true;
      v.unsafe_pos = pos;
    }
  }

  void UseAll(Scope& s, const Expr& e) {
    ForEachVariable(e, [&](const Expr& v) { Use(Resolve(s, v.name), v.pos); });
  }

  void Check(Scope& s) {
    for (const Literal& lit : *s.body) {
      switch (lit.kind) {
        case LiteralKind::kAtom:
          for (const Expr& a : lit.atom.args) UseAll(s, a);
          if (!lit.atom.certainty_var.empty()) Use(Resolve(s, lit.atom.certainty_var), lit.atom.certainty_pos);
          if (!lit.atom.fact_var.empty()) Use(Resolve(s, lit.atom.fact_var), lit.atom.fact_var_pos);
          break;
        case LiteralKind::kBuiltin: CheckBuiltinTest(s, lit.atom); break;
        case LiteralKind::kComparison: CheckComparison(s, lit); break;
        case LiteralKind::kMembership: CheckMembership(s, lit); break;
        case LiteralKind::kAggregate: {
          Scope* child = ChildOf(lit);
          if (child) Check(*child);
          Type result = AggregateType(lit, /*check=*/true);
          if (!lit.lhs.is_variable()) {
            ctx_.diags().Error(lit.lhs.pos, "the result of an aggregate must be a variable");
            break;
          }
          VarInfo& v = Resolve(s, lit.lhs.name);
          Use(v, lit.lhs.pos);
          if (!Compatible(v.type, result)) {
            ctx_.diags().Error(lit.lhs.pos, "type mismatch: " + Quote(v.name) + " is " + TypeName(v.type) + ", but '" +
                                                std::string(AggregateOpName(lit.aggregate)) + "' gives " +
                                                TypeName(result));
          }
          break;
        }
        case LiteralKind::kNegation:
        case LiteralKind::kExists:
          if (Scope* child = ChildOf(lit)) Check(*child);
          break;
      }
    }
  }

  void CheckBuiltinTest(Scope& s, const Atom& atom) {
    std::vector<Type> types;
    for (const Expr& a : atom.args) types.push_back(ExprType(s, a, /*check=*/true));
    const BuiltinTest* test = FindBuiltinTest(atom.relation);
    if (!test) {
      ctx_.diags().Error(atom.pos, "unknown built-in test '" + atom.relation + "'");
      return;
    }
    if (atom.args.size() != static_cast<std::size_t>(test->args)) {
      ctx_.diags().Error(atom.pos, Quote(atom.relation) + " takes " + CountArguments(test->args) + ", got " +
                                       std::to_string(atom.args.size()));
      return;
    }
    for (std::size_t i = 0; i < types.size(); ++i) {
      if (!BuiltinAccepts(test->arg_type, types[i])) {
        ctx_.diags().Error(atom.args[i].pos, "argument " + std::to_string(i + 1) + " of " + Quote(atom.relation) +
                                                 " must be " + BuiltinTypeName(test->arg_type) + ", got " +
                                                 TypeName(types[i]));
      }
    }
  }

  void CheckComparison(Scope& s, const Literal& lit) {
    Type l = ExprType(s, lit.lhs, /*check=*/true);
    Type r = ExprType(s, lit.rhs, /*check=*/true);
    if (!l.known() || !r.known()) return;
    std::string op(CompareOpSpelling(lit.op));
    if (!Compatible(l, r)) {
      ctx_.diags().Error(lit.pos, "cannot compare " + TypeName(l) + " with " + TypeName(r));
    } else if (IsOrdering(lit.op) && !(l.numeric() && r.numeric()) && !(l.text() && r.text())) {
      ctx_.diags().Error(lit.pos, Quote(op) + " needs numbers or texts, got " + TypeName(l));
    }
  }

  void CheckMembership(Scope& s, const Literal& lit) {
    Type value = ExprType(s, lit.lhs, /*check=*/true);
    Type expected = value;
    for (const Expr& e : lit.set) {
      if (!IsConstantTerm(e)) {
        ctx_.diags().Error(e.pos, "set elements must be constants");
        UseAll(s, e);
        continue;
      }
      Type t = ConstantType(e);
      if (!expected.known()) {
        expected = t;
      } else if (!Compatible(expected, t)) {
        ctx_.diags().Error(e.pos, "type mismatch: set element " + ConstantText(e) + " is " + TypeName(t) +
                                      ", expected " + TypeName(expected));
      }
    }
  }

  // Head and asserted-fact arguments: values computed from bound variables.
  void CheckValueArgs(Scope& s, const Atom& atom, const RelationInfo* rel, const char* where) {
    for (std::size_t i = 0; i < atom.args.size(); ++i) {
      const Expr& arg = atom.args[i];
      if (arg.kind == ExprKind::kWildcard) {
        ctx_.diags().Error(arg.pos, std::string("'_' cannot be used in ") + where);
        continue;
      }
      if (IsConstantTerm(arg)) {
        if (rel && !ConstantFits(rel->columns[i].type, arg)) ReportConstant(arg, *rel, i);
        continue;
      }
      if (arg.is_variable()) {
        VarInfo& v = Resolve(s, arg.name);
        Use(v, arg.pos);
        if (rel) Meet(v, Type::FromColumn(rel->columns[i].type), arg.pos, *rel, i);
        continue;
      }
      Type t = ExprType(s, arg, /*check=*/true);
      if (rel && !Compatible(t, Type::FromColumn(rel->columns[i].type))) {
        ctx_.diags().Error(arg.pos, "type mismatch: " + DescribeColumn(*rel, i) + " is " +
                                        rel->columns[i].type.ToString() + ", got " + TypeName(t));
      }
    }
  }

  void CheckHead(Scope& top, const Atom& head) {
    if (head_relation_ && head_relation_->neural) {
      ctx_.diags().Error(head.pos, Quote(head.relation) + " is a neural relation: rules cannot conclude it");
    }
    if (head_relation_ && head_relation_->function) {
      ctx_.diags().Error(head.pos, Quote(head.relation) + " is a Lua predicate: rules cannot conclude it");
    }
    CheckValueArgs(top, head, head_relation_, "a head");
  }

  // `retract F` / `modify F`: F must be a fact bound with `as F`.
  VarInfo& UseFactVar(Scope& top, const std::string& name, SourcePos pos) {
    VarInfo& v = Resolve(top, name);
    Use(v, pos);
    if (v.bound && !v.is_fact) {
      ctx_.diags().Error(pos, Quote(name) + " is not bound to a fact (bind it with 'as " + name + "')");
    }
    return v;
  }

  void CheckAction(Scope& top, const Action& a) {
    switch (a.kind) {
      case ActionKind::kAssert: {
        const RelationInfo* rel = ctx_.ResolveAtom(a.atom);
        if (rel && rel->neural) {
          ctx_.diags().Error(a.atom.pos, Quote(rel->name) + " is a neural relation: its facts come from the model");
        }
        if (rel && rel->function) {
          ctx_.diags().Error(a.atom.pos, Quote(rel->name) + " is a Lua predicate: it has no facts to assert");
        }
        CheckValueArgs(top, a.atom, rel, "an asserted fact");
        if (a.certainty) ctx_.CheckCertainty(*a.certainty, ctx_.FindToken(a.atom.pos, "cf"));
        break;
      }
      case ActionKind::kRetract: {
        if (!a.fact_var.empty()) {
          UseFactVar(top, a.fact_var, ctx_.FindToken(a.pos, a.fact_var, 256));
          break;
        }
        const RelationInfo* rel = ctx_.ResolveAtom(a.atom);
        if (rel && rel->function) {
          ctx_.diags().Error(a.atom.pos, Quote(rel->name) + " is a Lua predicate: it has no facts to retract");
        }
        for (std::size_t i = 0; i < a.atom.args.size(); ++i) {
          const Expr& arg = a.atom.args[i];
          if (arg.kind == ExprKind::kWildcard) continue;  // matches any value
          if (IsConstantTerm(arg)) {
            if (rel && !ConstantFits(rel->columns[i].type, arg)) ReportConstant(arg, *rel, i);
            continue;
          }
          Type t = ExprType(top, arg, /*check=*/true);
          if (rel && !Compatible(t, Type::FromColumn(rel->columns[i].type))) {
            ctx_.diags().Error(arg.pos, "type mismatch: " + DescribeColumn(*rel, i) + " is " +
                                            rel->columns[i].type.ToString() + ", got " + TypeName(t));
          }
        }
        break;
      }
      case ActionKind::kModify: {
        VarInfo& f = UseFactVar(top, a.fact_var, ctx_.FindToken(a.pos, a.fact_var, 256));
        const RelationInfo* rel = f.is_fact ? f.fact_relation : nullptr;
        std::unordered_set<std::string> assigned;
        for (const Assignment& as : a.assignments) {
          Type t = ExprType(top, as.value, /*check=*/true);
          if (!assigned.insert(as.column).second) {
            ctx_.diags().Error(as.pos, "column '" + as.column + "' is assigned twice");
          }
          if (!rel) continue;
          std::size_t i = 0;
          while (i < rel->columns.size() && rel->columns[i].name != as.column) ++i;
          if (i == rel->columns.size()) {
            ctx_.diags().Error(as.pos, Quote(rel->name) + " has no column '" + as.column + "'");
          } else if (!Compatible(t, Type::FromColumn(rel->columns[i].type)) ||
                     (IsConstantTerm(as.value) && !ConstantFits(rel->columns[i].type, as.value))) {
            ctx_.diags().Error(as.value.pos, "type mismatch: " + DescribeColumn(*rel, i) + " is " +
                                                 rel->columns[i].type.ToString() + ", got " + TypeName(t));
          }
        }
        break;
      }
      case ActionKind::kPrint:
        for (const Expr& e : a.args) {
          ExprType(top, e, /*check=*/true);
          if (e.kind != ExprKind::kString) continue;
          for (const TemplateHole& h : TemplateHoles(e.name)) {
            SourcePos at = ctx_.FindToken(e.pos, "{" + h.name + "}", 4096, /*inside_strings=*/true);
            if (at != e.pos) ++at.column;
            Use(Resolve(top, h.name), at);
          }
        }
        break;
      case ActionKind::kHalt:
      case ActionKind::kCall: break;  // a Lua action receives the rule's variables as they are
    }
  }

  // The type of an expression. With `check`, counts its variables as used and
  // reports type errors; without, only infers (used while binding).
  Type ExprType(Scope& s, const Expr& root, bool check) {
    struct Frame {
      const Expr* expr;
      std::size_t next;
    };
    std::vector<Frame> stack{{&root, 0}};
    std::vector<Type> values;
    while (!stack.empty()) {
      const Expr* e = stack.back().expr;
      bool composite = e->kind == ExprKind::kUnary || e->kind == ExprKind::kBinary || e->kind == ExprKind::kCall;
      if (composite && stack.back().next < e->args.size()) {
        const Expr* child = &e->args[stack.back().next++];
        stack.push_back({child, 0});
        continue;
      }
      std::size_t n = composite ? e->args.size() : 0;
      Type t = NodeType(s, *e, std::span<const Type>(values.data() + values.size() - n, n), check);
      values.resize(values.size() - n);
      values.push_back(t);
      stack.pop_back();
    }
    return values.back();
  }

  Type NodeType(Scope& s, const Expr& e, std::span<const Type> args, bool check) {
    const Type unknown = Type::Of(TypeKind::kUnknown);
    switch (e.kind) {
      case ExprKind::kVariable: {
        VarInfo& v = Resolve(s, e.name);
        if (check) Use(v, e.pos);
        return v.type;
      }
      case ExprKind::kWildcard:
        if (check) ctx_.diags().Error(e.pos, "'_' has no value here");
        return unknown;
      case ExprKind::kList:
        if (check) ctx_.diags().Error(e.pos, "a list is only allowed as a model parameter");
        return unknown;
      case ExprKind::kUnary:
        if (e.name != "-" || args.size() != 1) {
          if (check) ctx_.diags().Error(e.pos, "unknown operator '" + e.name + "'");
          return unknown;
        }
        if (args[0].known() && !args[0].numeric()) {
          if (check) ctx_.diags().Error(e.args[0].pos, "unary '-' needs a number, got " + TypeName(args[0]));
          return unknown;
        }
        return args[0].known() ? args[0] : Type::Of(TypeKind::kNumber);
      case ExprKind::kBinary: {
        static const std::unordered_set<std::string> kOps = {"+", "-", "*", "/", "mod"};
        if (!kOps.count(e.name) || args.size() != 2) {
          if (check) ctx_.diags().Error(e.pos, "unknown operator '" + e.name + "'");
          return unknown;
        }
        bool ok = true;
        for (std::size_t i = 0; i < 2; ++i) {
          if (args[i].known() && !args[i].numeric()) {
            if (check) ctx_.diags().Error(e.args[i].pos, Quote(e.name) + " needs numbers, got " + TypeName(args[i]));
            ok = false;
          }
        }
        if (!ok) return unknown;
        return NumericResult(args);
      }
      case ExprKind::kCall: return CallType(e, args, check);
      default: return ConstantType(e);
    }
  }

  // int if every operand is int, float if any is float, else some number.
  static Type NumericResult(std::span<const Type> args) {
    bool all_int = true;
    for (const Type& t : args) {
      if (t.kind == TypeKind::kFloat) return Type::Of(TypeKind::kFloat);
      if (t.kind != TypeKind::kInt) all_int = false;
    }
    return Type::Of(all_int ? TypeKind::kInt : TypeKind::kNumber);
  }

  Type CallType(const Expr& e, std::span<const Type> args, bool check) {
    const Type unknown = Type::Of(TypeKind::kUnknown);
    const BuiltinFunction* f = FindBuiltinFunction(e.name);
    if (!f) {
      if (check) ctx_.diags().Error(e.pos, "unknown built-in function '" + e.name + "'");
      return unknown;
    }
    int n = static_cast<int>(args.size());
    if (n < f->min_args || (f->max_args >= 0 && n > f->max_args)) {
      if (check) {
        std::string expected = f->min_args == f->max_args ? CountArguments(f->min_args)
                               : f->max_args < 0          ? "at least " + CountArguments(f->min_args)
                                                          : std::to_string(f->min_args) + " to " +
                                                       CountArguments(f->max_args);
        ctx_.diags().Error(e.pos, Quote(e.name) + " takes " + expected + ", got " + std::to_string(n));
      }
      return unknown;
    }
    bool ok = true;
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (!BuiltinAccepts(f->arg_type, args[i])) {
        if (check) {
          ctx_.diags().Error(e.args[i].pos, "argument " + std::to_string(i + 1) + " of " + Quote(e.name) +
                                                " must be " + BuiltinTypeName(f->arg_type) + ", got " +
                                                TypeName(args[i]));
        }
        ok = false;
      }
    }
    if (f->result == BuiltinType::kSameAsArgs) return ok ? NumericResult(args) : Type::Of(TypeKind::kNumber);
    return Type::FromBuiltin(f->result);
  }

  // ---- Reporting ----------------------------------------------------------------

  void Report() {
    for (const auto& scope : scopes_) {
      for (const auto& [name, v] : scope->vars) {
        if (v.unsafe) {
          ctx_.diags().Error(v.unsafe_pos, "variable '" + name + "' is not bound by a positive literal");
          continue;
        }
        // A query's top-level variables are its answers: used once is normal.
        // So are a rule's variables when a Lua action receives them all.
        bool output = (kind_ == ClauseKind::kQuery || passes_variables_) && scope->depth == 0;
        if (v.uses == 1 && !output && !name.empty() && name[0] != '_') {
          ctx_.diags().Warning(v.first_use,
                               "variable '" + name + "' is used only once (write '_" + name + "' if that is intended)");
        }
      }
    }
  }

  CheckContext& ctx_;
  ClauseKind kind_;
  std::vector<std::unique_ptr<Scope>> scopes_;
  std::unordered_map<const Literal*, Scope*> children_;
  const RelationInfo* head_relation_ = nullptr;
  bool nesting_reported_ = false;
  bool passes_variables_ = false;  // a Lua action gets every variable of the rule
};

}  // namespace

void CheckFact(CheckContext& ctx, const FactDecl& fact) {
  const RelationInfo* rel = ctx.ResolveAtom(fact.atom);
  if (rel && rel->neural) {
    ctx.diags().Error(fact.atom.pos, "'" + rel->name + "' is a neural relation: its facts come from the model");
  }
  if (rel && rel->function) {
    ctx.diags().Error(fact.atom.pos, "'" + rel->name + "' is a Lua predicate: it has no facts");
  }
  for (std::size_t i = 0; i < fact.atom.args.size(); ++i) {
    const Expr& arg = fact.atom.args[i];
    if (!IsConstantTerm(arg)) {
      ctx.diags().Error(arg.pos, "a fact's arguments must be constants");
    } else if (rel && !ConstantFits(rel->columns[i].type, arg)) {
      ctx.diags().Error(arg.pos, "type mismatch: " + DescribeColumn(*rel, i) + " is " +
                                     rel->columns[i].type.ToString() + ", got " + TypeName(ConstantType(arg)) + " " +
                                     ConstantText(arg));
    }
  }
  if (fact.certainty) ctx.CheckCertainty(*fact.certainty, ctx.FindToken(fact.atom.pos, "cf"));
}

void CheckLogicalRule(CheckContext& ctx, const LogicalRule& rule) {
  if (rule.certainty) ctx.CheckCertainty(*rule.certainty, ctx.FindToken(rule.head.pos, "cf"));
  ClauseChecker(ctx, ClauseKind::kRule).Run(rule.body, &rule.head, nullptr);
}

void CheckProduction(CheckContext& ctx, const ProductionRule& rule) {
  if (rule.salience < std::numeric_limits<std::int32_t>::min() ||
      rule.salience > std::numeric_limits<std::int32_t>::max()) {
    ctx.diags().Error(rule.salience_pos.known() ? rule.salience_pos : rule.pos,
                      "salience " + std::to_string(rule.salience) + " does not fit in an int");
  }
  ClauseChecker(ctx, ClauseKind::kProduction).Run(rule.conditions, nullptr, &rule.actions);
}

void CheckQuery(CheckContext& ctx, const Query& query) {
  ClauseChecker(ctx, ClauseKind::kQuery).Run(query.goals, nullptr, nullptr);
}

}  // namespace syllo::rules

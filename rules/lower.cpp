#include "rules/lower.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "rules/builtins.h"

namespace syllo::rules {

namespace {

using engine::ColumnType;
using engine::Condition;
using engine::ConditionKind;
using engine::Expr;
using engine::ExprOp;
using engine::PatternArg;
using engine::RelationId;
using engine::Value;
using engine::ValueKind;
using engine::VarSlot;

// A lowering failure is a bug (the checker should have refused the program);
// it is reported as an internal error naming the place.
struct LowerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Value ConstantOf(const rules::Expr& e) {
  switch (e.kind) {
    case ExprKind::kInt: return Value::Int(e.int_value);
    case ExprKind::kFloat: return Value::Float(e.float_value);
    case ExprKind::kBool: return Value::Bool(e.bool_value);
    case ExprKind::kSymbol: return Value::MakeSymbol(e.name);
    case ExprKind::kString: return Value::MakeString(e.name);
    case ExprKind::kUnary:
      if (e.name == "-" && e.args.size() == 1) {
        Value v = ConstantOf(e.args[0]);
        if (v.kind() == ValueKind::kInt) return Value::Int(-v.as_int());
        if (v.kind() == ValueKind::kFloat) return Value::Float(-v.as_float());
      }
      break;
    default:
      break;
  }
  throw LowerError("not a constant");
}

bool IsConstant(const rules::Expr& e) {
  if (e.is_constant()) return true;
  return e.kind == ExprKind::kUnary && e.name == "-" && e.args.size() == 1 &&
         (e.args[0].kind == ExprKind::kInt || e.args[0].kind == ExprKind::kFloat);
}

void CollectExprVars(const rules::Expr& e, std::set<std::string>& out) {
  if (e.kind == ExprKind::kVariable) out.insert(e.name);
  for (const auto& a : e.args) CollectExprVars(a, out);
}

void CollectTemplateVars(const std::string& text, std::set<std::string>& out) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') continue;
    std::size_t end = text.find('}', i);
    if (end == std::string::npos) break;
    std::string name = text.substr(i + 1, end - i - 1);
    if (!name.empty() && (std::isupper(static_cast<unsigned char>(name[0])) || name[0] == '_')) out.insert(name);
    i = end;
  }
}

void CollectLiteralVars(const Literal& l, std::set<std::string>& out) {
  switch (l.kind) {
    case LiteralKind::kAtom:
    case LiteralKind::kBuiltin:
      for (const auto& a : l.atom.args) CollectExprVars(a, out);
      if (!l.atom.certainty_var.empty()) out.insert(l.atom.certainty_var);
      if (!l.atom.fact_var.empty()) out.insert(l.atom.fact_var);
      break;
    case LiteralKind::kNegation:
    case LiteralKind::kExists:
      for (const auto& b : l.body) CollectLiteralVars(b, out);
      break;
    case LiteralKind::kComparison:
      CollectExprVars(l.lhs, out);
      CollectExprVars(l.rhs, out);
      break;
    case LiteralKind::kMembership:
      CollectExprVars(l.lhs, out);
      break;
    case LiteralKind::kAggregate:
      CollectExprVars(l.lhs, out);
      CollectExprVars(l.rhs, out);
      for (const auto& b : l.body) CollectLiteralVars(b, out);
      break;
  }
}

class Lowerer {
 public:
  Lowerer(const SourceSet& sources, const Program& program) : sources_(sources), program_(program) {}

  std::shared_ptr<engine::ProgramSpec> Run() {
    spec_ = std::make_shared<engine::ProgramSpec>();
    for (const Pragma& p : program_.pragmas) LowerPragma(p);
    for (const RelationDecl& r : program_.relations) {
      std::vector<engine::Column> cols;
      for (const ColumnDecl& c : r.columns) cols.push_back({c.name, c.type});
      AddRelation(r.name, std::move(cols), false);
    }
    for (const HostFunctionDecl& f : program_.functions) {
      engine::HostFunctionSpec fn;
      fn.name = f.name;
      for (const ColumnDecl& c : f.inputs) fn.inputs.push_back({c.name, c.type});
      for (const ColumnDecl& c : f.outputs) fn.outputs.push_back({c.name, c.type});
      fn.action = f.kind == HostFunctionKind::kAction;
      fn.location = Location(f.pos);
      std::vector<engine::Column> cols = fn.inputs;
      cols.insert(cols.end(), fn.outputs.begin(), fn.outputs.end());
      functions_.emplace(f.name, FunctionInfo{static_cast<std::uint32_t>(spec_->functions.size()), std::move(cols),
                                              f.inputs.size()});
      spec_->functions.push_back(std::move(fn));
    }
    for (const NeuralDecl& n : program_.neurals) {
      std::vector<engine::Column> cols;
      for (const ColumnDecl& c : n.inputs) cols.push_back({c.name, c.type});
      cols.push_back({n.output, n.OutputType()});
      AddRelation(n.name, std::move(cols), false);
    }
    for (const FactDecl& f : program_.facts) {
      engine::FactSpec fact;
      fact.relation = RelationOf(f.atom.relation);
      for (const auto& a : f.atom.args) fact.values.push_back(ConstantOf(a));
      fact.certainty = f.certainty.value_or(1.0);
      spec_->facts.push_back(std::move(fact));
    }
    std::map<std::string, int> counters;
    for (const LogicalRule& r : program_.rules) {
      std::string name = r.head.relation + "#" + std::to_string(++counters[r.head.relation]);
      LowerLogical(r, name);
    }
    for (const ProductionRule& r : program_.productions) LowerProduction(r);
    for (const AskDecl& a : program_.asks) LowerAsk(a);
    for (const NeuralDecl& n : program_.neurals) LowerNeural(n);
    for (const Query& q : program_.queries) LowerQuery(q);
    return spec_;
  }

 private:
  // State while lowering one rule.
  struct RuleScope {
    std::unordered_map<std::string, VarSlot> slots;
    std::vector<std::string> names;
    std::unordered_map<std::string, ColumnType> types;
    std::unordered_map<std::string, RelationId> fact_relation;  // `as F` -> relation
    std::vector<const Literal*> positive_atoms;                 // for auxiliary rule contexts (see LowerBody)
    bool bound(const std::string& v) const { return slots.count(v) > 0; }
  };

  void LowerPragma(const Pragma& p) {
    if (p.name == "semantics") engine::ParseSemantics(p.value.name, &spec_->semantics);
    if (p.name == "strategy") engine::ParseStrategy(p.value.name, &spec_->strategy);
    if (p.name == "threshold") spec_->threshold = p.value.kind == ExprKind::kInt ? static_cast<double>(p.value.int_value) : p.value.float_value;
    if (p.name == "seed") spec_->seed = static_cast<std::uint64_t>(p.value.int_value);
  }

  RelationId AddRelation(const std::string& name, std::vector<engine::Column> cols, bool aux) {
    auto id = static_cast<RelationId>(spec_->relations.size());
    spec_->relations.push_back({name, std::move(cols), aux});
    by_name_[name] = id;
    return id;
  }

  RelationId RelationOf(const std::string& name) const {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) throw LowerError("unknown relation '" + name + "'");
    return it->second;
  }

  const std::vector<engine::Column>& ColumnsOf(const std::string& name) const {
    if (auto f = functions_.find(name); f != functions_.end()) return f->second.columns;
    return spec_->relations[RelationOf(name)].columns;
  }

  bool IsFunction(const Literal& l) const {
    return l.kind == LiteralKind::kAtom && functions_.count(l.atom.relation) > 0;
  }

  // name(inputs..., outputs...): the inputs are values, the outputs bind or
  // test like a pattern's arguments.
  Condition LowerCall(const Atom& atom, RuleScope& scope) {
    const FunctionInfo& f = functions_.at(atom.relation);
    Condition c;
    c.kind = ConditionKind::kCall;
    c.function = f.index;
    for (std::size_t i = 0; i < f.inputs; ++i) c.inputs.push_back(LowerExpr(atom.args[i], scope));
    for (std::size_t i = f.inputs; i < atom.args.size(); ++i) {
      const rules::Expr& a = atom.args[i];
      PatternArg arg;
      if (a.kind == ExprKind::kVariable) {
        arg.kind = PatternArg::Kind::kVar;
        arg.slot = scope.bound(a.name) ? scope.slots[a.name] : Claim(a.name, scope);
      } else if (a.kind != ExprKind::kWildcard) {
        arg.kind = PatternArg::Kind::kConst;
        arg.constant = ConstantOf(a);
        if (f.columns[i].type.kind == ValueKind::kFloat && arg.constant.kind() == ValueKind::kInt) {
          arg.constant = Value::Float(static_cast<double>(arg.constant.as_int()));
        }
      }
      c.pattern.args.push_back(arg);
    }
    return c;
  }

  // Types of variables from the columns they occur in (for auxiliary relations).
  void InferTypes(const std::vector<Literal>& body, RuleScope& scope) {
    for (const Literal& l : body) {
      if (l.kind == LiteralKind::kAtom) {
        const auto& cols = ColumnsOf(l.atom.relation);
        for (std::size_t i = 0; i < l.atom.args.size() && i < cols.size(); ++i) {
          if (l.atom.args[i].kind == ExprKind::kVariable) scope.types.emplace(l.atom.args[i].name, cols[i].type);
        }
        if (!l.atom.certainty_var.empty()) scope.types.emplace(l.atom.certainty_var, ColumnType::Of(ValueKind::kFloat));
      }
      if (l.kind == LiteralKind::kNegation || l.kind == LiteralKind::kExists || l.kind == LiteralKind::kAggregate) {
        InferTypes(l.body, scope);
      }
      if (l.kind == LiteralKind::kAggregate && l.lhs.kind == ExprKind::kVariable) {
        ValueKind k = l.aggregate == AggregateOp::kCount ? ValueKind::kInt
                      : l.aggregate == AggregateOp::kAvg ? ValueKind::kFloat
                                                         : ValueKind::kFloat;
        if (l.aggregate == AggregateOp::kSum || l.aggregate == AggregateOp::kMin || l.aggregate == AggregateOp::kMax) {
          k = ExprType(l.rhs, scope).kind;
        }
        scope.types.emplace(l.lhs.name, ColumnType::Of(k));
      }
      if (l.kind == LiteralKind::kComparison && l.op == CompareOp::kEq) {
        if (l.lhs.kind == ExprKind::kVariable) scope.types.emplace(l.lhs.name, ExprType(l.rhs, scope));
        if (l.rhs.kind == ExprKind::kVariable) scope.types.emplace(l.rhs.name, ExprType(l.lhs, scope));
      }
      if (l.kind == LiteralKind::kMembership && l.lhs.kind == ExprKind::kVariable && !l.set.empty()) {
        scope.types.emplace(l.lhs.name, ExprType(l.set[0], scope));
      }
    }
  }

  ColumnType ExprType(const rules::Expr& e, const RuleScope& scope) const {
    switch (e.kind) {
      case ExprKind::kInt: return ColumnType::Of(ValueKind::kInt);
      case ExprKind::kFloat: return ColumnType::Of(ValueKind::kFloat);
      case ExprKind::kBool: return ColumnType::Of(ValueKind::kBool);
      case ExprKind::kSymbol: return ColumnType::Of(ValueKind::kSymbol);
      case ExprKind::kString: return ColumnType::Of(ValueKind::kString);
      case ExprKind::kVariable: {
        auto it = scope.types.find(e.name);
        return it != scope.types.end() ? it->second : ColumnType::Of(ValueKind::kSymbol);
      }
      case ExprKind::kUnary: return ExprType(e.args[0], scope);
      case ExprKind::kBinary: {
        ColumnType a = ExprType(e.args[0], scope), b = ExprType(e.args[1], scope);
        if (a.kind == ValueKind::kInt && b.kind == ValueKind::kInt) return a;
        return ColumnType::Of(ValueKind::kFloat);
      }
      case ExprKind::kCall: {
        const BuiltinFunction* f = FindBuiltinFunction(e.name);
        if (f == nullptr) return ColumnType::Of(ValueKind::kSymbol);
        switch (f->result) {
          case BuiltinType::kInt: return ColumnType::Of(ValueKind::kInt);
          case BuiltinType::kFloat: return ColumnType::Of(ValueKind::kFloat);
          case BuiltinType::kString: return ColumnType::Of(ValueKind::kString);
          case BuiltinType::kSymbol: return ColumnType::Of(ValueKind::kSymbol);
          case BuiltinType::kBool: return ColumnType::Of(ValueKind::kBool);
          default: {
            bool all_int = true;
            for (const auto& a : e.args) all_int = all_int && ExprType(a, scope).kind == ValueKind::kInt;
            return ColumnType::Of(all_int ? ValueKind::kInt : ValueKind::kFloat);
          }
        }
      }
      default: return ColumnType::Of(ValueKind::kSymbol);
    }
  }

  VarSlot Claim(const std::string& name, RuleScope& scope) {
    auto slot = static_cast<VarSlot>(scope.names.size());
    scope.slots[name] = slot;
    scope.names.push_back(name);
    return slot;
  }

  Expr LowerExpr(const rules::Expr& e, const RuleScope& scope,
                 const std::unordered_map<std::string, VarSlot>* locals = nullptr) const {
    switch (e.kind) {
      case ExprKind::kVariable: {
        if (locals != nullptr) {
          if (auto it = locals->find(e.name); it != locals->end()) return Expr::Var(it->second);
        }
        auto it = scope.slots.find(e.name);
        if (it == scope.slots.end()) throw LowerError("variable '" + e.name + "' is not bound");
        return Expr::Var(it->second);
      }
      case ExprKind::kUnary: {
        if (IsConstant(e)) return Expr::Const(ConstantOf(e));
        Expr out;
        out.op = ExprOp::kNeg;
        out.args.push_back(LowerExpr(e.args[0], scope, locals));
        return out;
      }
      case ExprKind::kBinary: {
        Expr out;
        out.op = e.name == "+" ? ExprOp::kAdd : e.name == "-" ? ExprOp::kSub : e.name == "*" ? ExprOp::kMul
                 : e.name == "/" ? ExprOp::kDiv : ExprOp::kMod;
        out.args.push_back(LowerExpr(e.args[0], scope, locals));
        out.args.push_back(LowerExpr(e.args[1], scope, locals));
        return out;
      }
      case ExprKind::kCall: {
        Expr out;
        out.op = ExprOp::kCall;
        if (!engine::FindBuiltinFn(e.name, &out.fn)) throw LowerError("unknown built-in function '" + e.name + "'");
        for (const auto& a : e.args) out.args.push_back(LowerExpr(a, scope, locals));
        return out;
      }
      case ExprKind::kWildcard: throw LowerError("'_' in an expression");
      case ExprKind::kList: throw LowerError("a list in an expression");
      default: return Expr::Const(ConstantOf(e));
    }
  }

  // Builds a pattern; unbound variables get slots: claimed (positive atom) or
  // temporary numbers past the frame (locals of negation/aggregate).
  engine::Pattern LowerPattern(const Atom& atom, RuleScope& scope, bool claim,
                               std::unordered_map<std::string, VarSlot>* locals) {
    engine::Pattern p;
    p.relation = RelationOf(atom.relation);
    for (const auto& a : atom.args) {
      PatternArg arg;
      if (a.kind == ExprKind::kWildcard) {
        arg.kind = PatternArg::Kind::kWild;
      } else if (a.kind == ExprKind::kVariable) {
        arg.kind = PatternArg::Kind::kVar;
        if (scope.bound(a.name)) {
          arg.slot = scope.slots[a.name];
        } else if (claim) {
          arg.slot = Claim(a.name, scope);
        } else {
          auto it = locals->find(a.name);
          if (it == locals->end()) {
            it = locals->emplace(a.name, static_cast<VarSlot>(scope.names.size() + locals->size())).first;
          }
          arg.slot = it->second;
        }
      } else {
        arg.kind = PatternArg::Kind::kConst;
        arg.constant = ConstantOf(a);
        // An int constant in a float column matches the stored float.
        const auto& cols = ColumnsOf(atom.relation);
        std::size_t i = &a - atom.args.data();
        if (i < cols.size() && cols[i].type.kind == ValueKind::kFloat && arg.constant.kind() == ValueKind::kInt) {
          arg.constant = Value::Float(static_cast<double>(arg.constant.as_int()));
        }
      }
      p.args.push_back(arg);
    }
    if (claim && !atom.certainty_var.empty()) p.certainty_slot = Claim(atom.certainty_var, scope);
    if (claim && !atom.fact_var.empty()) {
      p.fact_slot = Claim(atom.fact_var, scope);
      scope.fact_relation[atom.fact_var] = p.relation;
    }
    return p;
  }

  // An auxiliary relation aux(outer vars, locals...) :- context, body.
  RelationId MakeAuxiliary(const std::vector<Literal>& body, const std::vector<std::string>& columns,
                           RuleScope& scope, const SourcePos& pos) {
    std::string name = "$aux" + std::to_string(++aux_count_);
    std::vector<engine::Column> cols;
    for (const auto& v : columns) {
      auto it = scope.types.find(v);
      cols.push_back({v, it != scope.types.end() ? it->second : ColumnType::Of(ValueKind::kSymbol)});
    }
    RelationId id = AddRelation(name, std::move(cols), true);
    // The outer positive atoms bind the outer variables inside the auxiliary rule.
    LogicalRule rule;
    rule.pos = pos;
    rule.head.relation = name;
    rule.head.pos = pos;
    for (const auto& v : columns) {
      rules::Expr e;
      e.kind = ExprKind::kVariable;
      e.name = v;
      rule.head.args.push_back(e);
    }
    // Only the tests and assignments the context can bind are copied: one on
    // a variable it never binds (an aggregate's result: `T > 3` after
    // `T = sum(...)`) would leave the auxiliary rule unschedulable. The
    // outer rule runs every test anyway; the copies only narrow the relation.
    std::set<std::string> bound;
    for (const Literal* l : scope.positive_atoms) {
      if (l->kind == LiteralKind::kAtom || l->kind == LiteralKind::kBuiltin) CollectLiteralVars(*l, bound);
    }
    auto all_bound = [&](const std::set<std::string>& vars) {
      return std::all_of(vars.begin(), vars.end(), [&](const std::string& v) { return bound.count(v) > 0; });
    };
    for (bool grew = true; grew;) {
      grew = false;
      for (const Literal* l : scope.positive_atoms) {
        std::set<std::string> lhs, rhs;
        CollectExprVars(l->lhs, lhs);
        if (l->kind == LiteralKind::kMembership) {
          for (const auto& e : l->set) CollectExprVars(e, rhs);
        } else if (l->kind == LiteralKind::kComparison && l->op == CompareOp::kEq) {
          CollectExprVars(l->rhs, rhs);
        } else {
          continue;
        }
        if (l->lhs.kind == ExprKind::kVariable && !bound.count(l->lhs.name) && all_bound(rhs)) {
          grew = bound.insert(l->lhs.name).second || grew;
        } else if (l->kind == LiteralKind::kComparison && l->rhs.kind == ExprKind::kVariable &&
                   !bound.count(l->rhs.name) && all_bound(lhs)) {
          grew = bound.insert(l->rhs.name).second || grew;
        }
      }
    }
    for (const Literal* l : scope.positive_atoms) {
      if (l->kind == LiteralKind::kComparison || l->kind == LiteralKind::kMembership) {
        std::set<std::string> vars;
        CollectLiteralVars(*l, vars);
        if (!all_bound(vars)) continue;
      }
      Literal copy = *l;
      copy.atom.certainty_var.clear();
      copy.atom.fact_var.clear();
      rule.body.push_back(std::move(copy));
    }
    rule.body.insert(rule.body.end(), body.begin(), body.end());
    pending_aux_.push_back({std::move(rule), name});
    return id;
  }

  std::vector<std::string> OuterVars(const Literal& l, const std::set<std::string>& elsewhere) {
    std::set<std::string> vars;
    CollectLiteralVars(l, vars);
    std::vector<std::string> out;
    for (const auto& v : vars) {
      if (elsewhere.count(v)) out.push_back(v);
    }
    return out;
  }

  // Schedules and lowers a body. `elsewhere_of(i)` gives the variables used
  // outside literal i (other literals, head, actions).
  // `deferred` (production rules; may be null) marks literals scheduled only
  // when nothing else is ready; `order`, when given, receives the literal
  // index of each condition made.
  std::vector<Condition> LowerBody(const std::vector<Literal>& body, RuleScope& scope,
                                   const std::set<std::string>& head_vars,
                                   const std::vector<bool>* deferred = nullptr,
                                   std::vector<std::size_t>* order = nullptr) {
    // What each literal shares with the rest of the rule: variables inside a
    // nested body (not, exists, aggregate) are local to it, so only top-level
    // literals and an aggregate's result variable are visible to others.
    std::vector<std::set<std::string>> vars(body.size());
    for (std::size_t i = 0; i < body.size(); ++i) {
      const Literal& l = body[i];
      if (l.kind == LiteralKind::kNegation || l.kind == LiteralKind::kExists) continue;
      if (l.kind == LiteralKind::kAggregate) {
        CollectExprVars(l.lhs, vars[i]);
        continue;
      }
      CollectLiteralVars(l, vars[i]);
    }
    auto elsewhere = [&](std::size_t i) {
      std::set<std::string> out = head_vars;
      for (std::size_t j = 0; j < body.size(); ++j) {
        if (j != i) out.insert(vars[j].begin(), vars[j].end());
      }
      return out;
    };
    // The context an auxiliary rule copies: what binds the outer variables
    // (atoms, `X in {...}`, `X = expr`) and the tests on them. Never a
    // negation, exists or aggregate: those make auxiliaries of their own.
    for (const Literal& l : body) {
      if (l.kind == LiteralKind::kAtom || l.kind == LiteralKind::kComparison || l.kind == LiteralKind::kBuiltin ||
          (l.kind == LiteralKind::kMembership && !l.negated)) {
        scope.positive_atoms.push_back(&l);
      }
    }
    auto all_bound = [&](const rules::Expr& e) {
      std::set<std::string> vs;
      CollectExprVars(e, vs);
      return std::all_of(vs.begin(), vs.end(), [&](const std::string& v) { return scope.bound(v); });
    };

    std::vector<Condition> out;
    std::vector<bool> done(body.size(), false);
    std::size_t remaining = body.size();
    bool allow_deferred = false;
    while (remaining > 0) {
      bool progressed = false;
      for (std::size_t i = 0; i < body.size() && !progressed; ++i) {
        if (done[i]) continue;
        if (deferred != nullptr && (*deferred)[i] && !allow_deferred) continue;
        const Literal& l = body[i];
        Condition c;
        bool ready = false;
        switch (l.kind) {
          case LiteralKind::kAtom:
            if (IsFunction(l)) {
              std::size_t inputs = functions_.at(l.atom.relation).inputs;
              if (!std::all_of(l.atom.args.begin(), l.atom.args.begin() + static_cast<std::ptrdiff_t>(inputs), all_bound)) {
                break;
              }
              c = LowerCall(l.atom, scope);
              ready = true;
              break;
            }
            c.kind = ConditionKind::kPattern;
            c.pattern = LowerPattern(l.atom, scope, true, nullptr);
            ready = true;
            break;
          case LiteralKind::kBuiltin: {
            bool ok = std::all_of(l.atom.args.begin(), l.atom.args.end(), all_bound);
            if (!ok || l.atom.args.size() != 2) break;
            c.kind = ConditionKind::kTextTest;
            c.text_test = l.atom.relation == "contains"      ? engine::TextTest::kContains
                          : l.atom.relation == "starts_with" ? engine::TextTest::kStartsWith
                                                             : engine::TextTest::kEndsWith;
            c.lhs = LowerExpr(l.atom.args[0], scope);
            c.rhs = LowerExpr(l.atom.args[1], scope);
            ready = true;
            break;
          }
          case LiteralKind::kComparison: {
            bool lb = all_bound(l.lhs), rb = all_bound(l.rhs);
            if (lb && rb) {
              c.kind = ConditionKind::kCompare;
              c.op = static_cast<engine::CmpOp>(static_cast<int>(l.op));
              c.lhs = LowerExpr(l.lhs, scope);
              c.rhs = LowerExpr(l.rhs, scope);
              ready = true;
            } else if (l.op == CompareOp::kEq && l.lhs.kind == ExprKind::kVariable && rb) {
              c.kind = ConditionKind::kAssign;
              c.rhs = LowerExpr(l.rhs, scope);
              c.target = Claim(l.lhs.name, scope);
              ready = true;
            } else if (l.op == CompareOp::kEq && l.rhs.kind == ExprKind::kVariable && lb) {
              c.kind = ConditionKind::kAssign;
              c.rhs = LowerExpr(l.lhs, scope);
              c.target = Claim(l.rhs.name, scope);
              ready = true;
            }
            break;
          }
          case LiteralKind::kMembership: {
            std::vector<Value> set;
            for (const auto& e : l.set) set.push_back(ConstantOf(e));
            c.kind = ConditionKind::kMember;
            c.set = std::move(set);
            c.negated = l.negated;
            if (all_bound(l.lhs)) {
              c.lhs = LowerExpr(l.lhs, scope);
              ready = true;
            } else if (l.lhs.kind == ExprKind::kVariable && !l.negated) {
              c.target = Claim(l.lhs.name, scope);
              ready = true;
            }
            break;
          }
          case LiteralKind::kNegation:
          case LiteralKind::kExists: {
            std::vector<std::string> outer = OuterVars(l, elsewhere(i));
            if (!std::all_of(outer.begin(), outer.end(), [&](const std::string& v) { return scope.bound(v); })) break;
            c.kind = l.kind == LiteralKind::kNegation ? ConditionKind::kNegated : ConditionKind::kExists;
            std::unordered_map<std::string, VarSlot> locals;
            if (l.body.size() == 1 && l.body[0].kind == LiteralKind::kAtom && !IsFunction(l.body[0])) {
              c.pattern = LowerPattern(l.body[0].atom, scope, false, &locals);
            } else {
              RelationId aux = MakeAuxiliary(l.body, outer, scope, l.pos);
              c.pattern.relation = aux;
              for (const auto& v : outer) {
                PatternArg arg;
                arg.kind = PatternArg::Kind::kVar;
                arg.slot = scope.slots[v];
                c.pattern.args.push_back(arg);
              }
            }
            ready = true;
            break;
          }
          case LiteralKind::kAggregate: {
            std::vector<std::string> outer = OuterVars(l, elsewhere(i));
            // The result variable is bound by this literal, not an input.
            std::string result = l.lhs.kind == ExprKind::kVariable ? l.lhs.name : "";
            outer.erase(std::remove(outer.begin(), outer.end(), result), outer.end());
            if (!std::all_of(outer.begin(), outer.end(), [&](const std::string& v) { return scope.bound(v); })) break;
            c.kind = ConditionKind::kAggregate;
            c.aggregate = static_cast<engine::AggregateFn>(static_cast<int>(l.aggregate));
            std::unordered_map<std::string, VarSlot> locals;
            if (l.body.size() == 1 && l.body[0].kind == LiteralKind::kAtom && !IsFunction(l.body[0])) {
              c.pattern = LowerPattern(l.body[0].atom, scope, false, &locals);
            } else {
              // aux(outer..., locals...): one tuple per distinct solution.
              std::set<std::string> body_vars;
              for (const auto& b : l.body) CollectLiteralVars(b, body_vars);
              std::vector<std::string> columns = outer;
              for (const auto& v : body_vars) {
                if (std::find(outer.begin(), outer.end(), v) == outer.end() && v != result) columns.push_back(v);
              }
              RelationId aux = MakeAuxiliary(l.body, columns, scope, l.pos);
              c.pattern.relation = aux;
              for (const auto& v : columns) {
                PatternArg arg;
                arg.kind = PatternArg::Kind::kVar;
                if (scope.bound(v)) {
                  arg.slot = scope.slots[v];
                } else {
                  arg.slot = static_cast<VarSlot>(scope.names.size() + locals.size());
                  locals.emplace(v, arg.slot);
                }
                c.pattern.args.push_back(arg);
              }
            }
            if (l.aggregate != AggregateOp::kCount) c.rhs = LowerExpr(l.rhs, scope, &locals);
            c.target = Claim(result, scope);
            ready = true;
            break;
          }
        }
        if (ready) {
          out.push_back(std::move(c));
          if (order != nullptr) order->push_back(i);
          done[i] = true;
          --remaining;
          progressed = true;
          allow_deferred = false;
        }
      }
      if (!progressed) {
        if (deferred != nullptr && !allow_deferred) {
          allow_deferred = true;
          continue;
        }
        throw LowerError("a body literal can never have its inputs bound");
      }
    }
    return out;
  }

  std::string Location(const SourcePos& pos) const { return sources_.Describe(pos); }

  void LowerLogical(const LogicalRule& r, const std::string& name) {
    RuleScope scope;
    InferTypes(r.body, scope);
    std::set<std::string> head_vars;
    for (const auto& a : r.head.args) CollectExprVars(a, head_vars);
    engine::RuleSpec rule;
    rule.name = name;
    rule.location = Location(r.pos);
    rule.kind = engine::RuleKind::kLogical;
    rule.conditions = LowerBody(r.body, scope, head_vars);
    rule.head_relation = RelationOf(r.head.relation);
    for (const auto& a : r.head.args) rule.head_args.push_back(LowerExpr(a, scope));
    rule.certainty = r.certainty.value_or(1.0);
    if (scope.names.size() > engine::kMaxRuleSlots) {
      throw std::length_error(rule.location + ": rule " + rule.name + " has " + std::to_string(scope.names.size()) +
                              " variables; a rule may have at most " + std::to_string(engine::kMaxRuleSlots));
    }
    rule.slot_count = static_cast<std::uint16_t>(scope.names.size());
    rule.slot_names = scope.names;
    rule.auxiliary = name.rfind("$aux", 0) == 0 || in_query_;
    spec_->rules.push_back(std::move(rule));
    FlushAuxiliaries();
  }

  void LowerAsk(const AskDecl& a) {
    engine::AskSpec ask;
    ask.relation = RelationOf(a.atom.relation);
    ask.question = a.question;
    for (const auto& arg : a.atom.args) ask.arg_names.push_back(arg.kind == ExprKind::kVariable ? arg.name : "");
    ask.kind = a.kind == AskKind::kYesNo ? engine::AskKind::kYesNo
               : a.kind == AskKind::kOneOf ? engine::AskKind::kOneOf : engine::AskKind::kNumber;
    for (const auto& c : a.choices) ask.choices.push_back(ConstantOf(c));
    ask.min = a.min;
    ask.max = a.max;
    ask.location = Location(a.pos);
    spec_->asks.push_back(std::move(ask));
  }

  void LowerNeural(const NeuralDecl& n) {
    engine::NeuralSpec neural;
    neural.relation = RelationOf(n.name);
    neural.name = n.name;
    for (const ColumnDecl& c : n.inputs) {
      neural.input_names.push_back(c.name);
      neural.input_types.push_back(c.type);
    }
    neural.model = n.model;
    neural.version = n.version;
    for (const auto& l : n.labels) neural.labels.push_back(ConstantOf(l));
    neural.top_k = n.top_k;
    neural.threshold = n.threshold;
    neural.location = Location(n.pos);
    spec_->neurals.push_back(std::move(neural));
  }

  // `?- goals.` becomes `$queryN(V1, ..., Vk) :- goals.` over the named
  // variables of the goals, in order of first occurrence.
  void LowerQuery(const Query& q) {
    RuleScope types;
    InferTypes(q.goals, types);
    std::set<std::string> seen;
    std::vector<std::string> vars;
    std::function<void(const rules::Expr&)> visit = [&](const rules::Expr& e) {
      if (e.kind == ExprKind::kVariable && e.name[0] != '_' && seen.insert(e.name).second) vars.push_back(e.name);
      for (const auto& a : e.args) visit(a);
    };
    for (const Literal& l : q.goals) {
      switch (l.kind) {
        case LiteralKind::kAtom:
          for (const auto& a : l.atom.args) visit(a);
          if (!l.atom.certainty_var.empty() && seen.insert(l.atom.certainty_var).second) {
            vars.push_back(l.atom.certainty_var);
          }
          break;
        case LiteralKind::kComparison: visit(l.lhs); visit(l.rhs); break;
        case LiteralKind::kMembership:
        case LiteralKind::kAggregate: visit(l.lhs); break;
        default: break;  // locals of not/exists, and tests, bind nothing
      }
    }
    std::string name = "$query" + std::to_string(spec_->queries.size() + 1);
    std::vector<engine::Column> cols;
    for (const auto& v : vars) {
      auto it = types.types.find(v);
      cols.push_back({v, it != types.types.end() ? it->second : ColumnType::Of(ValueKind::kSymbol)});
    }
    RelationId id = AddRelation(name, std::move(cols), true);
    LogicalRule rule;
    rule.pos = q.pos;
    rule.head.relation = name;
    rule.head.pos = q.pos;
    for (const auto& v : vars) {
      rules::Expr e;
      e.kind = ExprKind::kVariable;
      e.name = v;
      rule.head.args.push_back(e);
    }
    rule.body = q.goals;
    std::size_t first_rule = spec_->rules.size();
    in_query_ = true;
    LowerLogical(rule, name);
    in_query_ = false;
    for (std::size_t i = first_rule; i < spec_->rules.size(); ++i) spec_->rules[i].for_query = true;
    engine::ProgramSpec::QuerySpec query;
    query.relation = id;
    query.location = Location(q.pos);
    spec_->queries.push_back(std::move(query));
  }

  void FlushAuxiliaries() {
    while (!pending_aux_.empty()) {
      auto [rule, name] = std::move(pending_aux_.back());
      pending_aux_.pop_back();
      LowerLogical(rule, name);
    }
  }

  std::vector<engine::PrintPart> LowerPrint(const std::vector<rules::Expr>& args, const RuleScope& scope) {
    std::vector<engine::PrintPart> parts;
    for (const auto& a : args) {
      if (a.kind != ExprKind::kString) {
        engine::PrintPart p;
        p.is_expr = true;
        p.expr = LowerExpr(a, scope);
        parts.push_back(std::move(p));
        continue;
      }
      const std::string& t = a.name;
      std::string text;
      for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '{') {
          std::size_t end = t.find('}', i);
          if (end != std::string::npos) {
            std::string var = t.substr(i + 1, end - i - 1);
            if (auto it = scope.slots.find(var); it != scope.slots.end()) {
              if (!text.empty()) parts.push_back({text, engine::kNoSlot, {}, false});
              text.clear();
              parts.push_back({"", it->second, {}, false});
              i = end;
              continue;
            }
          }
        }
        text += t[i];
      }
      if (!text.empty()) parts.push_back({text, engine::kNoSlot, {}, false});
    }
    return parts;
  }

  // Control patterns of a production rule: positive atoms bound `as F` whose
  // fact the rule's own actions modify or retract, and that share no variable
  // with the other conditions (a phase or counter fact such as Miss Manners'
  // context). Such a fact changes at nearly every firing, and each change
  // discards every partial match built on it; joined last, only the final
  // join is redone, while the partial matches of the rest of the rule stay.
  // Sharing no variable, it is a cross product wherever it stands, so moving
  // it changes no match, only which memories hold them.
  std::vector<bool> ControlPatterns(const ProductionRule& r) const {
    std::set<std::string> changed;
    for (const Action& a : r.actions) {
      if ((a.kind == ActionKind::kModify || a.kind == ActionKind::kRetract) && !a.fact_var.empty()) {
        changed.insert(a.fact_var);
      }
    }
    std::vector<bool> deferred(r.conditions.size(), false);
    for (std::size_t i = 0; i < r.conditions.size(); ++i) {
      const Literal& l = r.conditions[i];
      if (l.kind != LiteralKind::kAtom || IsFunction(l) || !changed.count(l.atom.fact_var)) continue;
      std::set<std::string> mine;
      for (const auto& a : l.atom.args) CollectExprVars(a, mine);
      if (!l.atom.certainty_var.empty()) mine.insert(l.atom.certainty_var);
      std::set<std::string> others;
      for (std::size_t j = 0; j < r.conditions.size(); ++j) {
        if (j != i) CollectLiteralVars(r.conditions[j], others);
      }
      deferred[i] = std::none_of(mine.begin(), mine.end(), [&](const std::string& v) { return others.count(v) > 0; });
    }
    return deferred;
  }

  // For each fact-matching condition in `order` (literal indices as
  // scheduled), its position among the rule's positive atoms as written;
  // empty when scheduling kept the written order.
  std::vector<std::uint16_t> PatternSourceOrder(const std::vector<Literal>& body,
                                                const std::vector<std::size_t>& order) const {
    std::vector<int> source_pos(body.size(), -1);
    int n = 0;
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i].kind == LiteralKind::kAtom && !IsFunction(body[i])) source_pos[i] = n++;
    }
    std::vector<std::uint16_t> out;
    bool identity = true;
    for (std::size_t i : order) {
      if (source_pos[i] < 0) continue;
      identity = identity && source_pos[i] == static_cast<int>(out.size());
      out.push_back(static_cast<std::uint16_t>(source_pos[i]));
    }
    if (identity) out.clear();
    return out;
  }

  void LowerProduction(const ProductionRule& r) {
    RuleScope scope;
    InferTypes(r.conditions, scope);
    std::set<std::string> action_vars;
    for (const Action& a : r.actions) {
      for (const auto& e : a.atom.args) CollectExprVars(e, action_vars);
      for (const auto& e : a.args) {
        CollectExprVars(e, action_vars);
        if (e.kind == ExprKind::kString) CollectTemplateVars(e.name, action_vars);
      }
      for (const auto& as : a.assignments) CollectExprVars(as.value, action_vars);
      if (!a.fact_var.empty()) action_vars.insert(a.fact_var);
      if (a.kind == ActionKind::kCall) {
        for (const Literal& l : r.conditions) {
          if (l.kind == LiteralKind::kAggregate) CollectExprVars(l.lhs, action_vars);
          else if (l.kind != LiteralKind::kNegation && l.kind != LiteralKind::kExists) CollectLiteralVars(l, action_vars);
        }
      }
    }
    engine::RuleSpec rule;
    rule.name = r.name;
    rule.location = Location(r.pos);
    rule.kind = engine::RuleKind::kProduction;
    rule.salience = r.salience;
    std::vector<bool> deferred = ControlPatterns(r);
    std::vector<std::size_t> order;
    rule.conditions = LowerBody(r.conditions, scope, action_vars, &deferred, &order);
    rule.pattern_source_order = PatternSourceOrder(r.conditions, order);
    for (const Action& a : r.actions) {
      engine::ActionSpec act;
      switch (a.kind) {
        case ActionKind::kAssert:
          act.kind = engine::ActionKind::kAssert;
          act.relation = RelationOf(a.atom.relation);
          for (const auto& e : a.atom.args) act.args.push_back(LowerExpr(e, scope));
          act.certainty = a.certainty.value_or(1.0);
          break;
        case ActionKind::kRetract:
          if (!a.fact_var.empty()) {
            act.kind = engine::ActionKind::kRetractFact;
            act.fact_slot = scope.slots.at(a.fact_var);
          } else {
            act.kind = engine::ActionKind::kRetract;
            act.relation = RelationOf(a.atom.relation);
            for (const auto& e : a.atom.args) act.args.push_back(LowerExpr(e, scope));
          }
          break;
        case ActionKind::kModify: {
          act.kind = engine::ActionKind::kModify;
          act.fact_slot = scope.slots.at(a.fact_var);
          const auto& cols = spec_->relations[scope.fact_relation.at(a.fact_var)].columns;
          for (const Assignment& as : a.assignments) {
            auto col = std::find_if(cols.begin(), cols.end(), [&](const engine::Column& c) { return c.name == as.column; });
            if (col == cols.end()) throw LowerError("no column '" + as.column + "'");
            act.assignments.emplace_back(static_cast<std::size_t>(col - cols.begin()), LowerExpr(as.value, scope));
          }
          break;
        }
        case ActionKind::kPrint:
          act.kind = engine::ActionKind::kPrint;
          act.print = LowerPrint(a.args, scope);
          break;
        case ActionKind::kHalt:
          act.kind = engine::ActionKind::kHalt;
          break;
        case ActionKind::kCall:
          act.kind = engine::ActionKind::kCall;
          act.function = functions_.at(a.function).index;
          break;
      }
      rule.actions.push_back(std::move(act));
    }
    if (scope.names.size() > engine::kMaxRuleSlots) {
      throw std::length_error(rule.location + ": rule " + rule.name + " has " + std::to_string(scope.names.size()) +
                              " variables; a rule may have at most " + std::to_string(engine::kMaxRuleSlots));
    }
    rule.slot_count = static_cast<std::uint16_t>(scope.names.size());
    rule.slot_names = scope.names;
    spec_->rules.push_back(std::move(rule));
    FlushAuxiliaries();
  }

  const SourceSet& sources_;
  const Program& program_;
  std::shared_ptr<engine::ProgramSpec> spec_;
  std::unordered_map<std::string, RelationId> by_name_;
  struct FunctionInfo {
    std::uint32_t index;
    std::vector<engine::Column> columns;  // inputs, then outputs
    std::size_t inputs;
  };
  std::unordered_map<std::string, FunctionInfo> functions_;
  std::vector<std::pair<LogicalRule, std::string>> pending_aux_;
  int aux_count_ = 0;
  bool in_query_ = false;
};

}  // namespace

Result<std::shared_ptr<engine::ProgramSpec>> Lower(const SourceSet& sources, const Program& program) {
  try {
    Lowerer lowerer(sources, program);
    return lowerer.Run();
  } catch (const std::length_error& e) {
    return Status::InvalidArgument(e.what());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("cannot compile the program: ") + e.what());
  }
}

}  // namespace syllo::rules

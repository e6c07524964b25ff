#include "engine/explain.h"

#include <set>
#include <sstream>

namespace syllo::engine {

namespace {

std::string SlotText(const RuleSpec& rule, VarSlot slot, std::span<const Value> frame) {
  if (slot < frame.size() && frame[slot].kind() != ValueKind::kNone) return frame[slot].ToString();
  if (slot < rule.slot_names.size()) return rule.slot_names[slot];
  return "_";
}

const char* OpText(CmpOp op) {
  switch (op) {
    case CmpOp::kEq: return "=";
    case CmpOp::kNe: return "!=";
    case CmpOp::kLt: return "<";
    case CmpOp::kLe: return "<=";
    case CmpOp::kGt: return ">";
    case CmpOp::kGe: return ">=";
  }
  return "?";
}

std::string FormatExpr(const RuleSpec& rule, const Expr& e, std::span<const Value> frame) {
  switch (e.op) {
    case ExprOp::kConst: return e.constant.ToString();
    case ExprOp::kVar: return SlotText(rule, e.slot, frame);
    case ExprOp::kNeg: return "-" + FormatExpr(rule, e.args[0], frame);
    case ExprOp::kCall: {
      std::string s(BuiltinFnName(e.fn));
      s += '(';
      for (std::size_t i = 0; i < e.args.size(); ++i) {
        if (i) s += ", ";
        s += FormatExpr(rule, e.args[i], frame);
      }
      return s + ')';
    }
    default: {
      const char* op = e.op == ExprOp::kAdd ? " + " : e.op == ExprOp::kSub ? " - " : e.op == ExprOp::kMul ? " * "
                       : e.op == ExprOp::kDiv ? " / " : " mod ";
      return "(" + FormatExpr(rule, e.args[0], frame) + op + FormatExpr(rule, e.args[1], frame) + ")";
    }
  }
}

std::string FormatPattern(const ProgramSpec& program, const RuleSpec& rule, const Pattern& p,
                          std::span<const Value> frame) {
  std::string s = program.relations[p.relation].name;
  if (p.args.empty()) return s;
  s += '(';
  for (std::size_t i = 0; i < p.args.size(); ++i) {
    if (i) s += ", ";
    const PatternArg& a = p.args[i];
    s += a.kind == PatternArg::Kind::kConst ? a.constant.ToString()
         : a.kind == PatternArg::Kind::kVar ? SlotText(rule, a.slot, frame) : "_";
  }
  return s + ')';
}

std::vector<Value> PatternCall(const Pattern& p, std::span<const Value> frame) {
  std::vector<Value> call(p.args.size());
  for (std::size_t i = 0; i < p.args.size(); ++i) {
    const PatternArg& a = p.args[i];
    if (a.kind == PatternArg::Kind::kConst) call[i] = a.constant;
    if (a.kind == PatternArg::Kind::kVar && a.slot < frame.size()) call[i] = frame[a.slot];
  }
  return call;
}

// A goal as the user knows it: a query's own relation shows as the query typed.
std::string GoalText(const ProgramSpec& program, RelationId relation, std::span<const Value> call) {
  for (const auto& q : program.queries) {
    if (q.relation == relation && !q.text.empty()) return q.text;
  }
  return FormatAtom(program, relation, call);
}

std::string RuleTitle(const RuleSpec& rule) {
  std::string s = "rule " + rule.name;
  if (!rule.location.empty()) s += " (" + rule.location + ")";
  return s;
}

std::string SourceTag(const ProgramSpec& program, const Answer& a, bool derived_relation) {
  switch (a.provenance.origin) {
    case Origin::kUser: {
      if (program.semantics == Semantics::kMycin && a.certainty < 0) return "[you answered no]";
      if (a.certainty == 0) return program.semantics == Semantics::kMycin ? "[you answered unknown]" : "[you answered no]";
      return "[your answer]";
    }
    case Origin::kModel:
      return "[predicted by model " + a.provenance.model + "@" + std::to_string(a.provenance.version) + "]";
    case Origin::kDerived: return "";
    case Origin::kAsserted: return derived_relation ? "[fact, and derived]" : "[fact]";
  }
  return "";
}

// Builds the proof trees of `how`.
class HowBuilder {
 public:
  HowBuilder(Solver& solver, const ExplainOptions& options) : solver_(solver), program_(solver.program()), options_(options) {}

  Status Explain(RelationId relation, const Answer& answer, int depth, ProofNode* node) {
    const bool derived = HasRules(relation);
    node->kind = ProofNode::Kind::kAtom;
    node->relation = relation;
    node->row = answer.row;
    node->certainty = answer.certainty;
    node->provenance = answer.provenance;
    node->text = FormatAtom(program_, relation, answer.row);
    node->cf_text = FormatCertainty(program_, answer.certainty);
    node->tag = SourceTag(program_, answer, derived && answer.provenance.origin == Origin::kAsserted);
    GoalKey key{relation, answer.row};
    if (!derived || answer.provenance.origin == Origin::kUser || answer.provenance.origin == Origin::kModel) {
      return Status();
    }
    if (on_path_.count(key) > 0) {
      node->note = "a cycle: see above";
      return Status();
    }
    if (explained_.count(key) > 0) {
      node->note = "explained above";
      return Status();
    }
    if (depth >= options_.max_depth) {
      node->note = "...";
      return Status();
    }
    explained_.insert(key);
    on_path_.insert(key);
    const bool all_proofs = program_.semantics != Semantics::kBoolean;
    int shown = 0;
    for (std::uint32_t r = 0; r < program_.rules.size(); ++r) {
      const RuleSpec& rule = program_.rules[r];
      if (rule.kind != RuleKind::kLogical || rule.head_relation != relation) continue;
      std::vector<std::pair<std::vector<Value>, double>> proofs;
      Status s = solver_.Probe(r, answer.row, [&](std::span<const Value> frame, double body) {
        if (static_cast<int>(proofs.size()) < options_.max_proofs) proofs.emplace_back(std::vector<Value>(frame.begin(), frame.end()), body);
      });
      if (!s.ok()) return s;
      for (const auto& [frame, body] : proofs) {
        if (shown >= (all_proofs ? options_.max_proofs : 1)) break;
        ++shown;
        ProofNode::Step step;
        step.rule = r;
        step.body_certainty = body;
        step.title = RuleTitle(rule);
        if (program_.semantics != Semantics::kBoolean) {
          step.title += ": body " + FormatNumber(body) + ", rule cf " + FormatNumber(rule.certainty);
        }
        Status c = ExplainBody(rule, frame, depth + 2, &step.items);
        if (!c.ok()) return c;
        node->by.push_back(std::move(step));
      }
      if (!all_proofs && shown > 0) break;
    }
    node->unproved = shown == 0;
    on_path_.erase(key);
    return Status();
  }

 private:
  Status ExplainBody(const RuleSpec& rule, std::span<const Value> frame, int depth, std::vector<ProofNode>* items) {
    for (const Condition& c : rule.conditions) {
      ProofNode item;
      if (c.kind != ConditionKind::kPattern) {
        item.kind = ProofNode::Kind::kHolds;
        item.text = FormatCondition(program_, rule, c, frame);
        items->push_back(std::move(item));
        continue;
      }
      std::vector<Value> call = PatternCall(c.pattern, frame);
      auto answers = solver_.SolveAll(c.pattern.relation, call);
      if (!answers.ok()) return answers.status();
      const Answer* premise = nullptr;
      for (const Answer& a : *answers) {
        if (solver_.Counts(a.certainty)) {
          premise = &a;
          break;
        }
      }
      if (premise == nullptr) {
        item.kind = ProofNode::Kind::kNoLongerHolds;
        item.text = FormatPattern(program_, rule, c.pattern, frame);
        items->push_back(std::move(item));
        continue;
      }
      Answer copy = *premise;
      Status s = Explain(c.pattern.relation, copy, depth, &item);
      if (!s.ok()) return s;
      items->push_back(std::move(item));
    }
    return Status();
  }

  bool HasRules(RelationId relation) const {
    for (const RuleSpec& r : program_.rules) {
      if (r.kind == RuleKind::kLogical && r.head_relation == relation) return true;
    }
    return false;
  }

  static std::string FormatNumber(double v) {
    std::ostringstream s;
    s.precision(3);
    s << v;
    return s.str();
  }

  Solver& solver_;
  const ProgramSpec& program_;
  const ExplainOptions& options_;
  std::unordered_set<GoalKey, GoalKeyHash> on_path_, explained_;
};

std::string Indent(int depth) { return std::string(static_cast<std::size_t>(depth) * 2, ' '); }

void Render(const ProofNode& node, int depth, std::string& out) {
  out += Indent(depth) + node.text;
  switch (node.kind) {
    case ProofNode::Kind::kHolds: out += "  [holds]\n"; return;
    case ProofNode::Kind::kNoLongerHolds: out += "  (no longer holds)\n"; return;
    case ProofNode::Kind::kAtom: break;
  }
  if (!node.cf_text.empty()) out += "  " + node.cf_text;
  if (!node.tag.empty()) out += "  " + node.tag;
  if (node.note == "...") {
    out += "  ...";
  } else if (!node.note.empty()) {
    out += "  (" + node.note + ")";
  }
  out += "\n";
  for (const ProofNode::Step& step : node.by) {
    out += Indent(depth + 1) + "by " + step.title + "\n";
    for (const ProofNode& item : step.items) Render(item, depth + 2, out);
  }
  if (node.unproved) out += Indent(depth + 1) + "(no rule proves it now)\n";
}

}  // namespace

std::string FormatAtom(const ProgramSpec& program, RelationId relation, std::span<const Value> args) {
  std::string s = program.relations[relation].name;
  if (args.empty()) return s;
  s += '(';
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i) s += ", ";
    s += args[i].kind() == ValueKind::kNone ? "_" : args[i].ToString();
  }
  return s + ')';
}

std::string FormatCondition(const ProgramSpec& program, const RuleSpec& rule, const Condition& c,
                            std::span<const Value> frame) {
  switch (c.kind) {
    case ConditionKind::kPattern: return FormatPattern(program, rule, c.pattern, frame);
    case ConditionKind::kNegated: return "not " + FormatPattern(program, rule, c.pattern, frame);
    case ConditionKind::kExists: return "exists " + FormatPattern(program, rule, c.pattern, frame);
    case ConditionKind::kCompare:
      return FormatExpr(rule, c.lhs, frame) + " " + OpText(c.op) + " " + FormatExpr(rule, c.rhs, frame);
    case ConditionKind::kAssign: return SlotText(rule, c.target, frame) + " = " + FormatExpr(rule, c.rhs, frame);
    case ConditionKind::kMember: {
      std::string s = c.target != kNoSlot ? SlotText(rule, c.target, frame) : FormatExpr(rule, c.lhs, frame);
      s += c.negated ? " not in {" : " in {";
      for (std::size_t i = 0; i < c.set.size(); ++i) s += (i ? ", " : "") + c.set[i].ToString();
      return s + "}";
    }
    case ConditionKind::kTextTest: {
      const char* name = c.text_test == TextTest::kContains ? "contains"
                         : c.text_test == TextTest::kStartsWith ? "starts_with" : "ends_with";
      return std::string(name) + "(" + FormatExpr(rule, c.lhs, frame) + ", " + FormatExpr(rule, c.rhs, frame) + ")";
    }
    case ConditionKind::kAggregate: {
      static constexpr const char* kNames[] = {"count", "sum", "min", "max", "avg"};
      std::string s = SlotText(rule, c.target, frame) + " = " + kNames[static_cast<int>(c.aggregate)] + "(";
      if (c.aggregate != AggregateFn::kCount) s += FormatExpr(rule, c.rhs, {}) + " : ";
      return s + FormatPattern(program, rule, c.pattern, frame) + ")";
    }
    case ConditionKind::kCall: {
      // name(inputs..., outputs...), as written in the rule.
      std::string s = program.functions[c.function].name + "(";
      std::size_t n = 0;
      for (const Expr& e : c.inputs) s += (n++ ? ", " : "") + FormatExpr(rule, e, frame);
      for (const PatternArg& a : c.pattern.args) {
        s += n++ ? ", " : "";
        s += a.kind == PatternArg::Kind::kConst ? a.constant.ToString()
             : a.kind == PatternArg::Kind::kVar ? SlotText(rule, a.slot, frame) : "_";
      }
      return s + ")";
    }
  }
  return "?";
}

std::string FormatHead(const ProgramSpec& program, const RuleSpec& rule, std::span<const Value> frame) {
  std::string s = program.relations[rule.head_relation].name;
  if (rule.head_args.empty()) return s;
  s += '(';
  for (std::size_t i = 0; i < rule.head_args.size(); ++i) {
    if (i) s += ", ";
    s += FormatExpr(rule, rule.head_args[i], frame);
  }
  return s + ')';
}

std::string FormatAnswer(const ProgramSpec& program, const std::vector<std::string>& variables,
                         const Answer& answer) {
  std::string line;
  for (std::size_t i = 0; i < answer.row.size(); ++i) {
    if (i) line += ", ";
    line += variables[i] + " = " + answer.row[i].ToString();
  }
  if (line.empty()) line = "true";
  std::string cf = answer.certainty == 1.0 ? "" : FormatCertainty(program, answer.certainty);
  if (!cf.empty()) line += " (" + cf + ")";
  return line;
}

std::string FormatCertainty(const ProgramSpec& program, double certainty) {
  if (program.semantics == Semantics::kBoolean) return "";
  std::ostringstream s;
  s.precision(3);
  s << "cf " << certainty;
  return s.str();
}

std::string FillQuestion(const ProgramSpec&, const AskSpec& ask, std::span<const Value> key) {
  std::string out;
  const std::string& q = ask.question;
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (q[i] == '{') {
      std::size_t close = q.find('}', i);
      if (close != std::string::npos) {
        std::string name = q.substr(i + 1, close - i - 1);
        for (std::size_t a = 0; a < ask.arg_names.size() && a < key.size(); ++a) {
          if (ask.arg_names[a] == name && key[a].kind() != ValueKind::kNone) {
            out += key[a].kind() == ValueKind::kString ? std::string(key[a].text()) : key[a].ToString();
            i = close;
            name.clear();
            break;
          }
        }
        if (name.empty()) continue;
      }
    }
    out += q[i];
  }
  return out;
}

std::string FormatWhy(const ProgramSpec& program, const std::vector<GoalStackEntry>& stack) {
  std::ostringstream out;
  if (stack.empty()) return "This question is not part of any rule: it is the goal you asked.\n";
  // Innermost first: the rule being tried right now.
  for (std::size_t k = stack.size(); k-- > 0;) {
    const GoalStackEntry& e = stack[k];
    if (e.rule == UINT32_MAX) {
      out << "  " << (k + 1 == stack.size() ? "This is" : "which is") << " the goal you asked: "
          << GoalText(program, e.relation, e.call) << ".\n";
      continue;
    }
    const RuleSpec& rule = program.rules[e.rule];
    const bool innermost = k + 1 == stack.size();
    if (innermost) {
      out << "I am trying to find out whether "
          << FormatCondition(program, rule, rule.conditions[e.condition], e.frame) << ".\n";
    }
    out << "  " << (innermost ? "It is" : "That is") << " condition " << e.condition + 1 << " of "
        << (rule.for_query ? std::string("your query") : RuleTitle(rule)) << ":\n";
    if (!rule.for_query) {
      out << "    if   ";
      for (std::size_t i = 0; i < rule.conditions.size(); ++i) {
        if (i) out << "\n    and  ";
        out << FormatCondition(program, rule, rule.conditions[i], e.frame);
        if (i < e.condition) out << "   [known]";
        if (i == e.condition) out << "   <- this one";
      }
      out << "\n    then " << FormatHead(program, rule, e.frame);
      if (program.semantics != Semantics::kBoolean) out << "  (cf " << rule.certainty << ")";
      out << "\n";
    }
    if (!rule.for_query && k > 0) {
      out << "  which would help to establish " << GoalText(program, e.relation, e.call) << ".\n";
    }
  }
  return out.str();
}

Result<std::vector<ProofNode>> ProveHow(Solver& solver, RelationId relation, std::span<const Value> call,
                                        const ExplainOptions& options) {
  auto answers = solver.SolveAll(relation, call);
  if (!answers.ok()) return answers.status();
  HowBuilder builder(solver, options);
  std::vector<ProofNode> trees;
  for (const Answer& a : *answers) {
    if (!solver.Counts(a.certainty)) continue;
    ProofNode node;
    Status s = builder.Explain(relation, a, 0, &node);
    if (!s.ok()) return s;
    trees.push_back(std::move(node));
  }
  return trees;
}

std::string RenderProof(const ProofNode& tree) {
  std::string out;
  Render(tree, 0, out);
  return out;
}

Result<std::string> ExplainHow(Solver& solver, RelationId relation, std::span<const Value> call,
                               const ExplainOptions& options) {
  auto trees = ProveHow(solver, relation, call, options);
  if (!trees.ok()) return trees.status();
  if (trees->empty()) {
    return FormatAtom(solver.program(), relation, call) + " is not established, so there is no proof to show (try :whynot).\n";
  }
  std::string out;
  for (const ProofNode& tree : *trees) out += RenderProof(tree);
  return out;
}

Result<std::string> ExplainWhyNot(Solver& solver, RelationId relation, std::span<const Value> call) {
  const ProgramSpec& program = solver.program();
  std::ostringstream out;
  const std::string goal = FormatAtom(program, relation, call);
  auto answers = solver.SolveAll(relation, call);
  if (!answers.ok()) return answers.status();
  for (const Answer& a : *answers) {
    if (solver.Counts(a.certainty)) {
      out << goal << " holds: " << FormatAtom(program, relation, a.row);
      std::string cf = FormatCertainty(program, a.certainty);
      if (!cf.empty()) out << " (" << cf << ")";
      out << ". Use :how to see why.\n";
      return out.str();
    }
  }
  out << goal << " is not established.\n";
  for (const Answer& a : *answers) {
    out << "  " << FormatAtom(program, relation, a.row) << " is known with " << FormatCertainty(program, a.certainty);
    if (a.provenance.origin == Origin::kUser) out << " (your answer)";
    if (a.provenance.origin == Origin::kDerived) out << ", all the evidence below combined";
    out << ", which does not pass the threshold";
    if (program.threshold > 0) out << " " << program.threshold;
    out << ".\n";
  }
  const AskSpec* ask = nullptr;
  for (const AskSpec& a : program.asks) {
    if (a.relation == relation) ask = &a;
  }
  int any_rule = 0;
  bool has_rules = false;
  for (std::uint32_t r = 0; r < program.rules.size(); ++r) {
    const RuleSpec& rule = program.rules[r];
    if (rule.kind != RuleKind::kLogical || rule.head_relation != relation) continue;
    has_rules = true;
    ++any_rule;
    ProbeProgress progress;
    std::vector<double> bodies;
    Status s = solver.Probe(r, call, [&](std::span<const Value>, double body) { bodies.push_back(body); }, &progress);
    if (!s.ok()) return s;
    if (!progress.head_matches) {
      --any_rule;  // it concludes something else
      continue;
    }
    out << "  " << RuleTitle(rule) << ": ";
    if (!bodies.empty()) {
      const CertaintySemantics& sem = SemanticsFor(program.semantics);
      double contributed = sem.Apply(bodies.front(), rule.certainty);
      for (std::size_t i = 1; i < bodies.size(); ++i) contributed = sem.Combine(contributed, sem.Apply(bodies[i], rule.certainty));
      out << "its conditions hold";
      if (program.semantics != Semantics::kBoolean) {
        out << " and it contributes " << FormatCertainty(program, contributed)
            << (contributed < 0 ? " (evidence against)" : "");
      }
      out << ".\n";
      continue;
    }
    if (progress.deepest >= rule.conditions.size()) {
      out << "its conditions hold but its conclusion cannot be computed.\n";
      continue;
    }
    out << "fails at condition " << progress.deepest + 1 << ": "
        << FormatCondition(program, rule, rule.conditions[progress.deepest], progress.frame) << "\n";
    for (std::size_t i = 0; i < progress.deepest; ++i) {
      out << "      (condition " << i + 1 << " held: "
          << FormatCondition(program, rule, rule.conditions[i], progress.frame) << ")\n";
    }
  }
  if (has_rules && any_rule == 0) {
    out << "  No rule concludes " << goal << ": the rules for " << program.relations[relation].name
        << " conclude other values.\n";
  } else if (!has_rules) {
    if (ask != nullptr) {
      bool asked = false;
      for (const auto& q : solver.asked()) asked = asked || q.question.spec == ask;
      out << "  No rule concludes " << program.relations[relation].name << "; it is asked of the user"
          << (answers->empty() ? (asked ? ", and no answer covers this goal" : ", and this goal has not been asked")
                               : "")
          << ".\n";
    } else {
      out << "  No rule concludes " << program.relations[relation].name << ", and no fact matches.\n";
    }
  }
  return out.str();
}

}  // namespace syllo::engine

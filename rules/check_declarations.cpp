#include "rules/check_declarations.h"

#include <algorithm>
#include <array>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "rules/check_types.h"

namespace syllo::rules {

namespace {

// Sorts declarations by position so that "the first" means the first in the
// text, whatever vector the parser put them in.
template <typename T>
std::vector<const T*> InTextOrder(const std::vector<T>& items) {
  std::vector<const T*> out;
  out.reserve(items.size());
  for (const T& item : items) out.push_back(&item);
  std::stable_sort(out.begin(), out.end(), [](const T* a, const T* b) { return PosBefore(a->pos, b->pos); });
  return out;
}

void CheckColumns(CheckContext& ctx, const std::string& relation, const std::vector<ColumnDecl>& columns) {
  std::unordered_set<std::string> seen;
  for (const ColumnDecl& c : columns) {
    if (!seen.insert(c.name).second) {
      ctx.diags().Error(c.pos, "duplicate column '" + c.name + "' in '" + relation + "'");
    }
    if (c.type.kind == engine::ValueKind::kNone) {
      ctx.diags().Error(c.pos, "column '" + c.name + "' has no type");
    }
    if (c.type.kind != engine::ValueKind::kTensor) continue;
    if (c.type.shape.empty()) ctx.diags().Error(c.pos, "tensor column '" + c.name + "' needs at least one dimension");
    for (std::int64_t d : c.type.shape) {
      if (d <= 0) {
        ctx.diags().Error(c.pos, "tensor dimensions must be positive, got " + std::to_string(d));
        break;
      }
    }
  }
}

struct Declared {
  SourcePos pos;
  const std::string* name;
  const std::vector<ColumnDecl>* columns;
  const NeuralDecl* neural;              // null for a plain relation
  const HostFunctionDecl* function = nullptr;  // a Lua predicate
};

}  // namespace

void CheckRelationDecls(CheckContext& ctx, const Program& program) {
  std::vector<Declared> all;
  all.reserve(program.relations.size() + program.neurals.size());
  for (const RelationDecl& r : program.relations) all.push_back({r.pos, &r.name, &r.columns, nullptr});
  for (const NeuralDecl& n : program.neurals) all.push_back({n.pos, &n.name, &n.inputs, &n});
  for (const HostFunctionDecl& f : program.functions) {
    if (f.kind == HostFunctionKind::kPredicate) all.push_back({f.pos, &f.name, &f.inputs, nullptr, &f});
  }
  std::stable_sort(all.begin(), all.end(), [](const Declared& a, const Declared& b) { return PosBefore(a.pos, b.pos); });

  for (const Declared& d : all) {
    RelationInfo info;
    info.name = *d.name;
    info.pos = d.pos;
    info.columns = *d.columns;
    info.neural = d.neural != nullptr;
    if (d.neural) {
      info.columns.push_back(ColumnDecl{d.neural->output_pos, d.neural->output, d.neural->OutputType()});
    }
    if (d.function) {
      info.function = true;
      info.inputs = d.function->inputs.size();
      info.columns.insert(info.columns.end(), d.function->outputs.begin(), d.function->outputs.end());
    }
    CheckColumns(ctx, info.name, info.columns);
    auto [it, inserted] = ctx.relations().try_emplace(info.name, std::move(info));
    if (!inserted) {
      ctx.diags().Error(d.pos, "relation '" + *d.name + "' is already declared");
      ctx.diags().Note(it->second.pos, "previously declared here");
    }
  }
}

void CheckNeuralDecls(CheckContext& ctx, const Program& program) {
  for (const NeuralDecl& n : program.neurals) {
    std::unordered_map<std::string, SourcePos> labels;
    const ExprKind first = n.labels.empty() ? ExprKind::kSymbol : n.labels.front().kind;
    for (const Expr& label : n.labels) {
      if (label.kind != ExprKind::kSymbol && label.kind != ExprKind::kInt) {
        ctx.diags().Error(label.pos, "a label must be a symbol or an integer, got " + ConstantText(label));
        continue;
      }
      if (label.kind != first) {
        ctx.diags().Error(label.pos, "labels must all be symbols or all integers: " + ConstantText(label) +
                                         " does not match " + ConstantText(n.labels.front()));
        continue;
      }
      const std::string text = ConstantText(label);
      if (!labels.try_emplace(text, label.pos).second) {
        ctx.diags().Error(label.pos, "duplicate label '" + text + "'");
      }
    }
    if (n.version && *n.version < 1) {
      SourcePos at = ctx.FindToken(n.model_pos, "@", 256);
      if (at != n.model_pos) ++at.column;
      ctx.diags().Error(at, "a model version must be at least 1, got " + std::to_string(*n.version));
    }
    if (n.top_k && *n.top_k < 1) {
      ctx.diags().Error(ctx.FindToken(n.model_pos, "top", 512),
                        "top must be at least 1, got " + std::to_string(*n.top_k));
    }
    if (n.threshold && !(*n.threshold >= 0.0 && *n.threshold <= 1.0)) {
      ctx.diags().Error(ctx.FindToken(n.model_pos, "threshold", 512),
                        "threshold must be in [0, 1], got " + engine::FormatFloat(*n.threshold));
    }
  }
}

namespace {

enum class ParamShape {
  kPositiveInt,
  kPositiveInts,  // a positive int or a list of them
  kNonNegativeInt,
  kInt,
  kPositiveNumber,
  kNonNegativeNumber,
  kFraction,  // a number in [0, 1)
  kChoice,
};

struct ParamSpec {
  std::string_view key;
  ParamShape shape;
  std::array<std::string_view, 4> choices;
};

constexpr std::array kModelParams = {
    ParamSpec{"input", ParamShape::kPositiveInts, {}},
    ParamSpec{"hidden", ParamShape::kPositiveInts, {}},
    ParamSpec{"channels", ParamShape::kPositiveInts, {}},
    ParamSpec{"kernel", ParamShape::kPositiveInts, {}},
    ParamSpec{"dropout", ParamShape::kFraction, {}},
    ParamSpec{"activation", ParamShape::kChoice, {"relu", "tanh", "sigmoid", "gelu"}},
    ParamSpec{"optimizer", ParamShape::kChoice, {"sgd", "adam", "adamw"}},
    ParamSpec{"lr", ParamShape::kPositiveNumber, {}},
    ParamSpec{"schedule", ParamShape::kChoice, {"constant", "step", "cosine"}},
    ParamSpec{"batch", ParamShape::kPositiveInt, {}},
    ParamSpec{"epochs", ParamShape::kPositiveInt, {}},
    ParamSpec{"weight_decay", ParamShape::kNonNegativeNumber, {}},
    ParamSpec{"momentum", ParamShape::kFraction, {}},
    ParamSpec{"seed", ParamShape::kInt, {}},
    ParamSpec{"classes", ParamShape::kPositiveInt, {}},
    ParamSpec{"layers", ParamShape::kPositiveInt, {}},
    ParamSpec{"patience", ParamShape::kNonNegativeInt, {}},
};

// "relu, tanh, sigmoid, gelu"
template <std::size_t N>
std::string JoinChoices(const std::array<std::string_view, N>& choices) {
  std::string out;
  for (std::string_view c : choices) {
    if (c.empty()) continue;
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

bool IsPositiveInt(const Expr& e) { return e.kind == ExprKind::kInt && e.int_value > 0; }

// Whether `value` fits `spec`; otherwise `what` says what was expected.
bool ParamValueFits(const ParamSpec& spec, const Expr& value, std::string* what) {
  double number = 0;
  bool is_number = ConstantNumber(value, &number);
  bool is_int = is_number && ConstantType(value).kind == TypeKind::kInt;
  switch (spec.shape) {
    case ParamShape::kPositiveInt:
      *what = "a positive int";
      return is_int && number > 0;
    case ParamShape::kPositiveInts:
      *what = "a positive int or a list of positive ints";
      if (value.kind == ExprKind::kList) {
        return std::all_of(value.args.begin(), value.args.end(), IsPositiveInt);
      }
      return is_int && number > 0;
    case ParamShape::kNonNegativeInt:
      *what = "a non-negative int";
      return is_int && number >= 0;
    case ParamShape::kInt:
      *what = "an int";
      return is_int;
    case ParamShape::kPositiveNumber:
      *what = "a positive number";
      return is_number && number > 0;
    case ParamShape::kNonNegativeNumber:
      *what = "a non-negative number";
      return is_number && number >= 0;
    case ParamShape::kFraction:
      *what = "a number in [0, 1)";
      return is_number && number >= 0 && number < 1;
    case ParamShape::kChoice:
      *what = "one of " + JoinChoices(spec.choices);
      if (value.kind != ExprKind::kSymbol && value.kind != ExprKind::kString) return false;
      return std::find(spec.choices.begin(), spec.choices.end(), value.name) != spec.choices.end() &&
             !value.name.empty();
  }
  return false;
}

}  // namespace

void CheckModelDecls(CheckContext& ctx, const Program& program) {
  std::unordered_map<std::string, SourcePos> names;
  for (const ModelDecl* m : InTextOrder(program.models)) {
    auto [it, inserted] = names.try_emplace(m->name, m->pos);
    if (!inserted) {
      ctx.diags().Error(m->pos, "model '" + m->name + "' is already declared");
      ctx.diags().Note(it->second, "previously declared here");
    }
    static constexpr std::array<std::string_view, 4> kArchitectures = {"mlp", "cnn", "gru", "lstm"};
    if (std::find(kArchitectures.begin(), kArchitectures.end(), m->architecture) == kArchitectures.end()) {
      ctx.diags().Error(m->architecture_pos,
                        "unknown architecture '" + m->architecture + "' (expected mlp, cnn, gru or lstm)");
    }
    std::unordered_map<std::string, SourcePos> keys;
    for (const ModelParam& p : m->params) {
      auto [key_it, fresh] = keys.try_emplace(p.key, p.pos);
      if (!fresh) {
        ctx.diags().Error(p.pos, "duplicate model key '" + p.key + "'");
        ctx.diags().Note(key_it->second, "previously given here");
        continue;
      }
      auto spec = std::find_if(kModelParams.begin(), kModelParams.end(),
                               [&](const ParamSpec& s) { return s.key == p.key; });
      if (spec == kModelParams.end()) {
        ctx.diags().Error(p.pos, "unknown model key '" + p.key + "'");
        continue;
      }
      std::string what;
      if (!ParamValueFits(*spec, p.value, &what)) {
        ctx.diags().Error(p.value.pos.known() ? p.value.pos : p.pos, "'" + p.key + "' must be " + what);
      }
    }
  }
}

namespace {

struct PragmaSpec {
  std::string_view name;
  std::array<std::string_view, 7> choices;  // empty: a number
};

constexpr std::array kPragmas = {
    PragmaSpec{"semantics", {"boolean", "mycin", "probability", "fuzzy"}},
    PragmaSpec{"strategy", {"depth", "breadth", "lex", "mea", "simplicity", "complexity", "random"}},
    PragmaSpec{"threshold", {}},
    PragmaSpec{"seed", {}},
};

}  // namespace

void CheckPragmas(CheckContext& ctx, const Program& program) {
  std::unordered_map<std::string, const Pragma*> first;
  for (const Pragma* p : InTextOrder(program.pragmas)) {
    auto spec = std::find_if(kPragmas.begin(), kPragmas.end(), [&](const PragmaSpec& s) { return s.name == p->name; });
    if (spec == kPragmas.end()) {
      ctx.diags().Error(p->pos, "unknown pragma '" + p->name + "'");
      continue;
    }
    const Expr& v = p->value;
    SourcePos at = v.pos.known() ? v.pos : p->pos;
    double number = 0;
    bool ok;
    if (p->name == "threshold") {
      ok = ConstantNumber(v, &number) && number >= 0 && number <= 1;
      if (!ok) ctx.diags().Error(at, "pragma 'threshold' must be a number in [0, 1]");
    } else if (p->name == "seed") {
      ok = ConstantType(v).kind == TypeKind::kInt;
      if (!ok) ctx.diags().Error(at, "pragma 'seed' must be an int");
    } else {
      ok = v.kind == ExprKind::kSymbol &&
           std::find(spec->choices.begin(), spec->choices.end(), v.name) != spec->choices.end();
      if (!ok) ctx.diags().Error(at, "pragma '" + p->name + "' must be one of " + JoinChoices(spec->choices));
    }
    if (!ok) continue;
    auto [it, inserted] = first.try_emplace(p->name, p);
    if (!inserted && !SameConstant(it->second->value, v)) {
      ctx.diags().Error(p->pos, "pragma '" + p->name + "' is already set to '" + ConstantText(it->second->value) + "'");
      ctx.diags().Note(it->second->pos, "previously set here");
    }
  }
  auto semantics = first.find("semantics");
  if (semantics != first.end()) {
    const std::string& s = semantics->second->value.name;
    ctx.set_nonnegative_certainty(s == "probability" || s == "fuzzy", s);
  }
}

void CheckAskDecls(CheckContext& ctx, const Program& program) {
  std::unordered_map<std::string, SourcePos> asked;
  for (const AskDecl* a : InTextOrder(program.asks)) {
    auto [it, inserted] = asked.try_emplace(a->atom.relation, a->pos);
    if (!inserted) {
      ctx.diags().Error(a->pos, "a question for '" + a->atom.relation + "' is already declared");
      ctx.diags().Note(it->second, "previously declared here");
    }
    const RelationInfo* rel = ctx.ResolveAtom(a->atom);
    if (rel && rel->function) {
      ctx.diags().Error(a->atom.pos, "'" + rel->name + "' is a Lua predicate: the user cannot be asked for it");
    }
    std::unordered_set<std::string> variables;
    for (std::size_t i = 0; i < a->atom.args.size(); ++i) {
      const Expr& arg = a->atom.args[i];
      if (arg.is_variable()) {
        variables.insert(arg.name);
      } else if (IsConstantTerm(arg)) {
        if (rel && !ConstantFits(rel->columns[i].type, arg)) {
          ctx.diags().Error(arg.pos, "type mismatch: " + DescribeColumn(*rel, i) + " is " +
                                         rel->columns[i].type.ToString() + ", got " + TypeName(ConstantType(arg)));
        }
      } else if (arg.kind != ExprKind::kWildcard) {
        ctx.diags().Error(arg.pos, "question arguments must be variables, '_' or constants");
      }
    }

    if (a->kind != AskKind::kYesNo) {
      const char* kind = a->kind == AskKind::kOneOf ? "one_of" : "number";
      if (a->atom.args.empty() || !a->atom.args.back().is_variable()) {
        ctx.diags().Error(a->atom.args.empty() ? a->atom.pos : a->atom.args.back().pos,
                          std::string("'") + kind + "' needs the last argument of '" + a->atom.relation +
                              "' to be a variable");
      } else if (rel) {
        const ColumnDecl& col = rel->columns.back();
        engine::ValueKind k = col.type.kind;
        if (a->kind == AskKind::kOneOf && k != engine::ValueKind::kSymbol) {
          ctx.diags().Error(a->atom.args.back().pos, "'one_of' needs a symbol column, but '" + col.name + "' of '" +
                                                         rel->name + "' is " + col.type.ToString());
        }
        if (a->kind == AskKind::kNumber && k != engine::ValueKind::kInt && k != engine::ValueKind::kFloat) {
          ctx.diags().Error(a->atom.args.back().pos, "'number' needs an int or float column, but '" + col.name +
                                                         "' of '" + rel->name + "' is " + col.type.ToString());
        }
      }
    }
    if (a->kind == AskKind::kOneOf) {
      std::unordered_set<std::string> seen;
      for (const Expr& c : a->choices) {
        if (c.kind != ExprKind::kSymbol) {
          ctx.diags().Error(c.pos, "a 'one_of' choice must be a symbol, got " + ConstantText(c));
        } else if (!seen.insert(c.name).second) {
          ctx.diags().Error(c.pos, "duplicate choice '" + c.name + "'");
        }
      }
    }
    if (a->kind == AskKind::kNumber && a->min && a->max && *a->min > *a->max) {
      ctx.diags().Error(ctx.FindToken(a->atom.pos, "in", 4096),
                        "empty number range: " + NumberText(*a->min) + " > " + NumberText(*a->max));
    }
    for (const TemplateHole& hole : TemplateHoles(a->question)) {
      if (variables.count(hole.name)) continue;
      SourcePos at = ctx.FindToken(a->atom.pos, "{" + hole.name + "}", 4096, /*inside_strings=*/true);
      if (at != a->atom.pos) ++at.column;
      ctx.diags().Error(at, "'{" + hole.name + "}' in the question is not a variable of '" + a->atom.relation + "'");
    }
  }
}

void CheckProductionNames(CheckContext& ctx, const Program& program) {
  std::unordered_map<std::string, SourcePos> names;
  for (const ProductionRule* r : InTextOrder(program.productions)) {
    auto [it, inserted] = names.try_emplace(r->name, r->pos);
    if (!inserted) {
      ctx.diags().Error(r->pos, "rule '" + r->name + "' is already defined");
      ctx.diags().Note(it->second, "previously defined here");
    }
  }
}

}  // namespace syllo::rules

#include "learners/proof_grounding.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "engine/solver.h"
#include "engine/tensor_pool.h"

namespace syllo::learners {
namespace {

using engine::Condition;
using engine::ConditionKind;
using engine::GoalKey;
using engine::GoalKeyHash;
using engine::NeuralSpec;
using engine::ProgramSpec;
using engine::RelationId;
using engine::RuleKind;
using engine::RuleSpec;
using engine::Value;
using engine::ValueKind;
using Clock = std::chrono::steady_clock;

// "Slot s has label l": s numbers the goal's model inputs, l the model's output.
using Literal = std::pair<std::int32_t, std::int32_t>;
using Term = std::vector<Literal>;  // sorted by slot, one literal per slot
using Dnf = std::vector<Term>;      // a disjunction of terms (proofs)

// Every label with probability 1: under it the solver finds every proof that
// some labelling of the inputs would give.
class AllLabels final : public engine::NeuralPredicates {
 public:
  Result<engine::PredictionSet> Predict(const NeuralSpec& spec, std::span<const Value>) override {
    engine::PredictionSet set;
    set.model = spec.model;
    for (const Value& label : spec.labels) set.predictions.push_back({label, 1.0});
    return set;
  }
};

std::string LabelText(const Value& v) {
  if (v.kind() == ValueKind::kInt) return std::to_string(v.as_int());
  if (v.kind() == ValueKind::kSymbol) return std::string(v.text());
  return v.ToString();
}

// The conjunction of two terms; none when they give one slot two labels.
std::optional<Term> Merge(const Term& a, const Term& b) {
  Term out;
  out.reserve(a.size() + b.size());
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].first < b[j].first)) {
      out.push_back(a[i++]);
    } else if (i == a.size() || b[j].first < a[i].first) {
      out.push_back(b[j++]);
    } else {
      if (a[i].second != b[j].second) return std::nullopt;
      out.push_back(a[i++]);
      ++j;
    }
  }
  return out;
}

void Dedupe(Dnf& d) {
  std::sort(d.begin(), d.end());
  d.erase(std::unique(d.begin(), d.end()), d.end());
}

Dnf And(const Dnf& a, const Dnf& b) {
  Dnf out;
  for (const Term& x : a) {
    for (const Term& y : b) {
      if (auto m = Merge(x, y)) out.push_back(std::move(*m));
    }
  }
  Dedupe(out);
  return out;
}

// Rewrites `d` as mutually exclusive terms (each extended by `prefix`) by
// splitting on the slot most terms mention: P(d) = sum over its labels l of
// P(slot = l) P(d | slot = l). A term that does not mention the slot holds
// under every label, so labels no term mentions share that rest.
void MakeDisjoint(const Dnf& d, const Term& prefix, std::int32_t labels, Dnf& out) {
  if (d.empty()) return;
  for (const Term& t : d) {
    if (t.empty()) {  // true: the whole branch
      out.push_back(prefix);
      return;
    }
  }
  std::map<std::int32_t, int> mentions;
  for (const Term& t : d) {
    for (const Literal& l : t) ++mentions[l.first];
  }
  const std::int32_t slot =
      std::max_element(mentions.begin(), mentions.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
  std::map<std::int32_t, Dnf> by_label;
  Dnf rest;
  for (const Term& t : d) {
    auto it = std::find_if(t.begin(), t.end(), [&](const Literal& l) { return l.first == slot; });
    if (it == t.end()) {
      rest.push_back(t);
      continue;
    }
    Term without(t.begin(), it);
    without.insert(without.end(), it + 1, t.end());
    by_label[it->second].push_back(std::move(without));
  }
  for (std::int32_t label = 0; label < labels; ++label) {
    auto it = by_label.find(label);
    if (it == by_label.end() && rest.empty()) continue;
    Dnf branch = rest;
    if (it != by_label.end()) branch.insert(branch.end(), it->second.begin(), it->second.end());
    Dedupe(branch);
    Term extended = prefix;
    extended.push_back({slot, label});
    std::sort(extended.begin(), extended.end());
    MakeDisjoint(branch, extended, labels, out);
  }
}

// One goal's grounding, slots numbered canonically.
struct Grounding {
  std::vector<Value> outcomes;
  std::vector<Dnf> terms;  // per outcome, mutually exclusive
  struct Slot {
    RelationId relation = 0;
    std::vector<Value> inputs;
    std::vector<std::size_t> columns;  // where each input is among the goal's arguments
    bool from_goal = true;             // every input is one of the goal's arguments
    friend bool operator<(const Slot& a, const Slot& b) {
      return std::tie(a.relation, a.columns) < std::tie(b.relation, b.columns);
    }
  };
  std::vector<Slot> slots;
  bool relative() const {
    return std::all_of(slots.begin(), slots.end(), [](const Slot& s) { return s.from_goal; });
  }
};

class Grounder {
 public:
  explicit Grounder(const GroundingRequest& request) : request_(request) {
    // The solver must see every label: no `top K` or threshold.
    auto all = std::make_shared<ProgramSpec>(*request.program);
    for (NeuralSpec& n : all->neurals) {
      n.top_k.reset();
      n.threshold.reset();
    }
    program_ = all;
    engine::SolverOptions options;
    options.neural = &all_labels_;
    options.host = request.host;
    solver_ = std::make_unique<engine::Solver>(program_, *request.memory, options);
  }

  // What the grounding cannot express, before any solving.
  Status CheckProgram() {
    const ProgramSpec& p = *program_;
    const std::size_t n = p.relations.size();
    neural_.assign(n, nullptr);
    for (const NeuralSpec& s : p.neurals) neural_[s.relation] = &s;
    depends_.assign(n, false);
    derived_.assign(n, false);
    for (const NeuralSpec& s : p.neurals) depends_[s.relation] = true;
    for (const RuleSpec& r : p.rules) {
      if (r.kind == RuleKind::kLogical) derived_[r.head_relation] = true;
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (const RuleSpec& r : p.rules) {
        if (r.kind != RuleKind::kLogical || depends_[r.head_relation]) continue;
        for (const Condition& c : r.conditions) {
          if (UsesPattern(c) && depends_[c.pattern.relation]) {
            depends_[r.head_relation] = true;
            changed = true;
            break;
          }
        }
      }
    }
    if (!depends_[request_.goal]) {
      return Status::InvalidArgument("'" + p.relations[request_.goal].name +
                                     "' does not depend on any neural predicate: there is nothing to train through it");
    }
    for (const RuleSpec& r : p.rules) {
      if (r.kind != RuleKind::kLogical || !depends_[r.head_relation]) continue;
      const std::string at = " (rule " + r.name + ", " + r.location + ")";
      if (r.certainty != 1.0) {
        return Status::InvalidArgument("training through rules needs rules without a certainty factor" + at);
      }
      for (const Condition& c : r.conditions) {
        if (!UsesPattern(c) || !depends_[c.pattern.relation]) continue;
        const std::string& name = p.relations[c.pattern.relation].name;
        if (c.kind != ConditionKind::kPattern) {
          return Status::InvalidArgument("training through rules cannot go through negation, `exists` or an "
                                         "aggregate over '" + name + "', which depends on a neural predicate" + at);
        }
        if (c.pattern.certainty_slot != engine::kNoSlot) {
          return Status::InvalidArgument("training through rules cannot read the certainty (`@ C`) of '" + name +
                                         "', which depends on a neural predicate" + at);
        }
      }
    }
    // The relations the goal's proofs can reach.
    std::vector<bool> reached(n, false);
    std::vector<RelationId> todo = {request_.goal};
    reached[request_.goal] = true;
    while (!todo.empty()) {
      const RelationId rel = todo.back();
      todo.pop_back();
      for (const RuleSpec& r : p.rules) {
        if (r.kind != RuleKind::kLogical || r.head_relation != rel) continue;
        for (const Condition& c : r.conditions) {
          if (UsesPattern(c) && !reached[c.pattern.relation]) {
            reached[c.pattern.relation] = true;
            todo.push_back(c.pattern.relation);
          }
        }
      }
    }
    for (const NeuralSpec& s : p.neurals) {
      if (!reached[s.relation]) continue;
      if (s.model != request_.model) {
        return Status::InvalidArgument("the proofs of '" + p.relations[request_.goal].name + "' use neural '" + s.name +
                                       "' of model " + s.model + ": training through rules trains one model, " +
                                       request_.model + ", and every neural predicate it goes through must use it (" +
                                       s.location + ")");
      }
      label_index_[s.relation].clear();
      for (const Value& l : s.labels) {
        auto it = std::find(request_.labels.begin(), request_.labels.end(), LabelText(l));
        if (it == request_.labels.end()) {
          return Status::InvalidArgument("neural '" + s.name + "' has label " + LabelText(l) + ", which model " +
                                         request_.model + " does not have (" + s.location + ")");
        }
        label_index_[s.relation].push_back(static_cast<std::int32_t>(it - request_.labels.begin()));
      }
    }
    return Status();
  }

  Result<Grounding> Ground(const std::vector<Value>& row) {
    memo_.clear();
    on_path_.clear();
    slot_of_.clear();
    Grounding g;
    slots_ = &g.slots;
    goal_row_ = &row;
    std::vector<Value> call = row;
    call[request_.label_column] = Value();
    auto answers = solver_->SolveAll(request_.goal, call);
    if (!answers.ok()) return answers.status();
    std::vector<std::pair<Value, Dnf>> outcomes;
    for (const engine::Answer& a : *answers) {
      auto proofs = Prove(request_.goal, a.row);
      if (!proofs.ok()) return proofs.status();
      if (proofs->empty()) continue;
      outcomes.emplace_back(a.row[request_.label_column], std::move(*proofs));
    }
    // Canonical order: outcomes by value, slots by where they come from.
    std::sort(outcomes.begin(), outcomes.end(),
              [](const auto& a, const auto& b) { return engine::CompareValues(a.first, b.first) < 0; });
    std::vector<std::size_t> order(g.slots.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (g.relative()) {
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return g.slots[a] < g.slots[b]; });
    }
    std::vector<std::int32_t> renumber(order.size());
    std::vector<Grounding::Slot> sorted;
    for (std::size_t i = 0; i < order.size(); ++i) {
      renumber[order[i]] = static_cast<std::int32_t>(i);
      sorted.push_back(g.slots[order[i]]);
    }
    g.slots = std::move(sorted);
    const std::int32_t labels = static_cast<std::int32_t>(request_.labels.size());
    for (auto& [value, dnf] : outcomes) {
      for (Term& t : dnf) {
        for (Literal& l : t) l.first = renumber[l.first];
        std::sort(t.begin(), t.end());
      }
      Dedupe(dnf);
      Dnf disjoint;
      MakeDisjoint(dnf, {}, labels, disjoint);
      Dedupe(disjoint);
      g.outcomes.push_back(value);
      g.terms.push_back(std::move(disjoint));
    }
    // Tables over these inputs are of no use to other goals.
    if (++since_reset_ >= 64) {
      solver_->Reset();
      since_reset_ = 0;
    }
    return g;
  }

 private:
  static bool UsesPattern(const Condition& c) {
    return c.kind == ConditionKind::kPattern || c.kind == ConditionKind::kNegated ||
           c.kind == ConditionKind::kExists || c.kind == ConditionKind::kAggregate;
  }

  std::int32_t SlotOf(RelationId relation, std::vector<Value> inputs) {
    GoalKey key{relation, inputs};
    auto [it, fresh] = slot_of_.try_emplace(std::move(key), static_cast<std::int32_t>(slots_->size()));
    if (fresh) {
      Grounding::Slot slot;
      slot.relation = relation;
      slot.inputs = std::move(inputs);
      for (const Value& v : slot.inputs) {
        std::size_t column = 0;
        while (column < goal_row_->size() && (column == request_.label_column || (*goal_row_)[column] != v)) ++column;
        slot.from_goal = slot.from_goal && column < goal_row_->size();
        slot.columns.push_back(column);
      }
      slots_->push_back(std::move(slot));
    }
    return it->second;
  }

  static std::vector<Value> PatternCall(const engine::Pattern& p, std::span<const Value> frame) {
    std::vector<Value> call(p.args.size());
    for (std::size_t i = 0; i < p.args.size(); ++i) {
      const engine::PatternArg& a = p.args[i];
      if (a.kind == engine::PatternArg::Kind::kConst) call[i] = a.constant;
      if (a.kind == engine::PatternArg::Kind::kVar && a.slot < frame.size()) call[i] = frame[a.slot];
    }
    return call;
  }

  // The proofs of a true fact `row` of `relation`, as a DNF over the slots.
  Result<Dnf> Prove(RelationId relation, const std::vector<Value>& row) {
    if (const NeuralSpec* spec = neural_[relation]) {
      std::vector<Value> inputs(row.begin(), row.end() - 1);
      const auto& labels = program_->neurals[spec - program_->neurals.data()].labels;
      const auto at = std::find(labels.begin(), labels.end(), row.back());
      if (at == labels.end()) return Dnf{};
      const std::int32_t slot = SlotOf(relation, std::move(inputs));
      return Dnf{Term{{slot, label_index_[relation][at - labels.begin()]}}};
    }
    if (!depends_[relation]) return Dnf{Term{}};  // holds whatever the models say
    GoalKey key{relation, row};
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    if (!on_path_.insert(key).second) return Dnf{};  // a cycle adds no new proof
    Dnf all;
    if (request_.memory->at(relation).Find(row)) all.push_back({});  // also a fact
    for (std::uint32_t r = 0; r < program_->rules.size(); ++r) {
      const RuleSpec& rule = program_->rules[r];
      if (rule.kind != RuleKind::kLogical || rule.head_relation != relation) continue;
      std::vector<std::vector<Value>> frames;
      Status s = solver_->Probe(r, row, [&](std::span<const Value> frame, double) {
        frames.emplace_back(frame.begin(), frame.end());
      });
      if (!s.ok()) return s;
      for (const std::vector<Value>& frame : frames) {
        Dnf body{Term{}};
        for (const Condition& c : rule.conditions) {
          if (c.kind != ConditionKind::kPattern || !depends_[c.pattern.relation]) continue;
          std::vector<Value> call = PatternCall(c.pattern, frame);
          Dnf premise;
          if (std::none_of(call.begin(), call.end(), [](const Value& v) { return v.is_none(); })) {
            auto p = Prove(c.pattern.relation, call);
            if (!p.ok()) return p.status();
            premise = std::move(*p);
          } else {  // a wildcard: any of its facts
            auto answers = solver_->SolveAll(c.pattern.relation, call);
            if (!answers.ok()) return answers.status();
            for (const engine::Answer& a : *answers) {
              auto p = Prove(c.pattern.relation, a.row);
              if (!p.ok()) return p.status();
              premise.insert(premise.end(), p->begin(), p->end());
            }
            Dedupe(premise);
          }
          body = And(body, premise);
          if (body.empty()) break;
        }
        all.insert(all.end(), body.begin(), body.end());
      }
    }
    on_path_.erase(key);
    Dedupe(all);
    memo_.emplace(std::move(key), all);
    return all;
  }

  const GroundingRequest& request_;
  std::shared_ptr<const ProgramSpec> program_;
  AllLabels all_labels_;
  std::unique_ptr<engine::Solver> solver_;
  std::vector<const NeuralSpec*> neural_;
  std::vector<bool> depends_, derived_;
  std::unordered_map<RelationId, std::vector<std::int32_t>> label_index_;
  std::unordered_map<GoalKey, Dnf, GoalKeyHash> memo_;
  std::unordered_set<GoalKey, GoalKeyHash> on_path_;
  std::unordered_map<GoalKey, std::int32_t, GoalKeyHash> slot_of_;
  std::vector<Grounding::Slot>* slots_ = nullptr;
  const std::vector<Value>* goal_row_ = nullptr;
  int since_reset_ = 0;
};

// The goal's shape: tensors abstracted (which are equal kept), the label free.
std::string ShapeKey(const std::vector<Value>& row, std::size_t label_column) {
  std::string key;
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i == label_column) {
      key += "?";
    } else if (row[i].kind() == ValueKind::kTensor) {
      std::size_t first = 0;
      while (row[first] != row[i]) ++first;
      key += "T" + std::to_string(first);
    } else {
      key += std::to_string(static_cast<int>(row[i].kind())) + ":" + row[i].ToString();
    }
    key += '\x1f';
  }
  return key;
}

engine::ProofShape ToProofShape(const Grounding& g) {
  engine::ProofShape s;
  s.slots = static_cast<std::int64_t>(g.slots.size());
  s.outcomes = static_cast<std::int64_t>(g.outcomes.size());
  s.term_begin.push_back(0);
  for (std::size_t o = 0; o < g.terms.size(); ++o) {
    for (const Term& t : g.terms[o]) {
      s.term_outcome.push_back(static_cast<std::int32_t>(o));
      for (const Literal& l : t) {
        s.literal_slot.push_back(l.first);
        s.literal_label.push_back(l.second);
      }
      s.term_begin.push_back(static_cast<std::int32_t>(s.literal_slot.size()));
    }
  }
  return s;
}

bool SameProofs(const Grounding& a, const Grounding& b) {
  if (a.outcomes != b.outcomes || a.terms != b.terms || a.slots.size() != b.slots.size()) return false;
  for (std::size_t i = 0; i < a.slots.size(); ++i) {
    if (a.slots[i].relation != b.slots[i].relation || a.slots[i].columns != b.slots[i].columns) return false;
  }
  return true;
}

Status AppendInputs(const std::vector<Value>& inputs, const std::string& where, engine::TensorBatch& batch) {
  const std::size_t start = batch.features.size();
  for (const Value& v : inputs) {
    if (v.kind() == ValueKind::kTensor) {
      auto data = engine::TensorPool::Global().data(v.as_tensor());
      batch.features.insert(batch.features.end(), data.begin(), data.end());
    } else if (v.is_number()) {
      batch.features.push_back(static_cast<float>(v.as_number()));
    } else {
      return Status::InvalidArgument(where + ": a model input is " + v.ToString() + ", not a number or a tensor");
    }
  }
  const std::int64_t got = static_cast<std::int64_t>(batch.features.size() - start);
  if (got != batch.example_size()) {
    return Status::InvalidArgument(where + ": a model input has " + std::to_string(got) + " values, the model takes " +
                                   std::to_string(batch.example_size()));
  }
  return Status();
}

}  // namespace

std::int64_t GroundedGoals::terms() const {
  std::int64_t n = 0;
  for (const auto& s : goals.shapes) n += s.terms();
  return n;
}

Result<GroundedGoals> GroundGoals(const GroundingRequest& request, const std::vector<std::vector<Value>>& rows,
                                  const std::vector<std::string>& names) {
  const Clock::time_point start = Clock::now();
  const engine::RelationSpec& goal = request.program->relations[request.goal];
  if (request.label_column >= goal.columns.size()) {
    return Status::InvalidArgument("'" + goal.name + "' has no column " + std::to_string(request.label_column + 1));
  }
  Grounder grounder(request);
  if (Status s = grounder.CheckProgram(); !s.ok()) return s;

  GroundedGoals out;
  out.inputs.example_shape = request.example_shape;
  struct Known {
    std::int32_t shape = 0;
    Grounding grounding;
    bool checked = false;  // a second goal of the shape gave the same proofs
  };
  std::unordered_map<std::string, Known> by_key;
  bool each = false;  // a rule reads the inputs: ground every goal on its own

  for (std::size_t r = 0; r < rows.size(); ++r) {
    const std::vector<Value>& row = rows[r];
    const std::string where = r < names.size() ? names[r] : "goal " + std::to_string(r + 1);
    if (row.size() != goal.columns.size()) {
      return Status::InvalidArgument(where + ": " + std::to_string(row.size()) + " values for '" + goal.name +
                                     "', which has " + std::to_string(goal.columns.size()) + " columns");
    }
    const std::string key = ShapeKey(row, request.label_column);
    auto it = by_key.find(key);
    const Grounding* g = nullptr;
    std::optional<Grounding> own;
    if (!each && it != by_key.end() && it->second.checked) {
      g = &it->second.grounding;
    } else {
      auto ground = grounder.Ground(row);
      if (!ground.ok()) return Status(ground.status().code(), where + ": " + ground.status().message());
      ++out.groundings;
      if (!each && it != by_key.end() && !SameProofs(it->second.grounding, *ground)) each = true;
      if (!each && it != by_key.end()) {
        it->second.checked = true;
        g = &it->second.grounding;
      } else if (!each && ground->relative()) {
        Known k;
        k.shape = static_cast<std::int32_t>(out.goals.shapes.size());
        k.grounding = std::move(*ground);
        out.goals.shapes.push_back(ToProofShape(k.grounding));
        out.outcome_values.push_back(k.grounding.outcomes);
        it = by_key.emplace(key, std::move(k)).first;
        g = &it->second.grounding;
      } else {
        own = std::move(*ground);
        g = &*own;
      }
    }
    std::int32_t shape = 0;
    if (own) {
      shape = static_cast<std::int32_t>(out.goals.shapes.size());
      out.goals.shapes.push_back(ToProofShape(*own));
      out.outcome_values.push_back(own->outcomes);
    } else {
      shape = it->second.shape;
    }
    const Value& label = row[request.label_column];
    auto at = std::find(g->outcomes.begin(), g->outcomes.end(), label);
    if (at == g->outcomes.end()) {
      return Status::InvalidArgument(where + ": no labelling of its inputs proves '" + goal.name + "' with " +
                                     goal.columns[request.label_column].name + " = " + label.ToString());
    }
    out.goals.shape.push_back(shape);
    out.goals.outcome.push_back(static_cast<std::int32_t>(at - g->outcomes.begin()));
    out.goals.first_input.push_back(out.inputs.size());
    for (const Grounding::Slot& slot : g->slots) {
      std::vector<Value> inputs = slot.inputs;
      if (!own) {
        for (std::size_t i = 0; i < inputs.size(); ++i) inputs[i] = row[slot.columns[i]];
      }
      if (Status s = AppendInputs(inputs, where, out.inputs); !s.ok()) return s;
    }
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

double GoalAccuracy(const engine::GoalSet& goals, const std::vector<float>& probabilities, std::int64_t classes) {
  if (goals.size() == 0) return 0;
  std::int64_t correct = 0;
  std::vector<double> outcome;
  for (std::int64_t g = 0; g < goals.size(); ++g) {
    const engine::ProofShape& s = goals.shapes[goals.shape[g]];
    const float* p = probabilities.data() + goals.first_input[g] * classes;
    outcome.assign(static_cast<std::size_t>(s.outcomes), 0.0);
    for (std::int64_t t = 0; t < s.terms(); ++t) {
      double product = 1;
      for (std::int32_t l = s.term_begin[t]; l < s.term_begin[t + 1]; ++l) {
        product *= p[s.literal_slot[l] * classes + s.literal_label[l]];
      }
      outcome[s.term_outcome[t]] += product;
    }
    correct += std::max_element(outcome.begin(), outcome.end()) - outcome.begin() == goals.outcome[g];
  }
  return static_cast<double>(correct) / static_cast<double>(goals.size());
}

}  // namespace syllo::learners

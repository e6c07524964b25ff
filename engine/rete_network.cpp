#include "engine/rete_network.h"

#include <algorithm>
#include <cassert>
#include <set>
#include <stdexcept>
#include <unordered_map>

namespace syllo::engine {

namespace {

void AppendValueKey(std::string& key, const Value& v) {
  key += static_cast<char>('0' + static_cast<int>(v.kind()));
  key += v.ToString();
  key += ';';
}

void AppendExprKey(std::string& key, const Expr& e) {
  key += '(';
  key += std::to_string(static_cast<int>(e.op));
  key += ':';
  if (e.op == ExprOp::kConst) AppendValueKey(key, e.constant);
  if (e.op == ExprOp::kVar) key += "v" + std::to_string(e.slot);
  if (e.op == ExprOp::kCall) key += "f" + std::to_string(static_cast<int>(e.fn));
  for (const Expr& a : e.args) AppendExprKey(key, a);
  key += ')';
}

void AppendStepKey(std::string& key, const Step& s) {
  key += "step" + std::to_string(static_cast<int>(s.kind)) + "," + std::to_string(static_cast<int>(s.op)) + "," +
         std::to_string(s.target) + "," + (s.negated ? "n" : "p") + std::to_string(static_cast<int>(s.text_test));
  AppendExprKey(key, s.lhs);
  AppendExprKey(key, s.rhs);
  for (const Value& v : s.set) AppendValueKey(key, v);
  if (s.kind == ConditionKind::kCall) {
    key += "h" + std::to_string(s.function);
    for (const Expr& e : s.inputs) AppendExprKey(key, e);
  }
  key += '|';
}

std::string BetaKey(const BetaNode& n) {
  std::string key = std::to_string(static_cast<int>(n.kind)) + "@" + std::to_string(n.parent) + "/" +
                    std::to_string(n.frame_size) + "a" + std::to_string(n.alpha) + "k";
  for (auto s : n.left_key) key += std::to_string(s) + ",";
  key += "r";
  for (auto c : n.right_key) key += std::to_string(c) + ",";
  key += "b";
  for (auto [c, s] : n.binds) key += std::to_string(c) + ">" + std::to_string(s) + ",";
  key += "c" + std::to_string(n.certainty_slot) + "f" + std::to_string(n.fact_slot);
  for (const Step& s : n.steps) AppendStepKey(key, s);
  key += "g" + std::to_string(static_cast<int>(n.aggregate));
  AppendExprKey(key, n.aggregate_value);
  for (auto [c, s] : n.value_binds) key += std::to_string(c) + ">" + std::to_string(s) + ",";
  key += "t" + std::to_string(n.target);
  for (const Value& v : n.set) AppendValueKey(key, v);
  if (n.kind == BetaKind::kCall) {
    key += "h" + std::to_string(n.function);
    for (const Expr& e : n.call_inputs) AppendExprKey(key, e);
    for (const CallOutput& o : n.call_outputs) {
      key += std::to_string(static_cast<int>(o.kind)) + ">" + std::to_string(o.slot);
      if (o.kind == CallOutput::Kind::kConst) AppendValueKey(key, o.constant);
    }
  }
  return key;
}

Step StepOf(const Condition& c) {
  Step s;
  s.kind = c.kind;
  s.op = c.op;
  s.lhs = c.lhs;
  s.rhs = c.rhs;
  s.target = c.target;
  s.set = c.set;
  s.negated = c.negated;
  s.text_test = c.text_test;
  s.function = c.function;
  s.inputs = c.inputs;
  return s;
}

}  // namespace

std::uint32_t ReteNetwork::AddAlpha(const Pattern& pattern,
                                   std::vector<std::pair<std::uint16_t, std::uint16_t>> equalities,
                                   std::vector<Step> tests,
                                   std::vector<std::pair<std::uint16_t, VarSlot>> test_binds) {
  AlphaNode node;
  node.relation = pattern.relation;
  for (std::size_t i = 0; i < pattern.args.size(); ++i) {
    const PatternArg& a = pattern.args[i];
    if (a.kind == PatternArg::Kind::kConst) node.constants.emplace_back(static_cast<std::uint16_t>(i), a.constant);
  }
  node.equalities = std::move(equalities);
  for (auto [col, slot] : test_binds) {
    node.test_frame_size = std::max<std::uint16_t>(node.test_frame_size, static_cast<std::uint16_t>(slot + 1));
  }
  for (auto [col, slot] : test_binds) node.test_key += std::to_string(col) + ">" + std::to_string(slot) + ",";
  for (const Step& t : tests) AppendStepKey(node.test_key, t);
  node.tests = std::move(tests);
  node.test_binds = std::move(test_binds);
  for (std::uint32_t id : alphas_by_relation_[pattern.relation]) {
    const AlphaNode& existing = alphas_[id];
    if (existing.constants == node.constants && existing.equalities == node.equalities &&
        existing.test_key == node.test_key) {
      return id;
    }
  }
  auto id = static_cast<std::uint32_t>(alphas_.size());
  alphas_.push_back(std::move(node));
  alphas_by_relation_[pattern.relation].push_back(id);
  return id;
}

namespace {

void CollectSlots(const Expr& e, std::vector<VarSlot>& out) {
  if (e.op == ExprOp::kVar) out.push_back(e.slot);
  for (const Expr& a : e.args) CollectSlots(a, out);
}

}  // namespace

NodeId ReteNetwork::AddBeta(BetaNode node, const std::string& key) {
  // Terminals are never shared: each belongs to its rule.
  if (node.kind != BetaKind::kTerminal) {
    for (NodeId child : betas_[node.parent].children) {
      if (beta_keys_[child] == key) {
        ++shared_nodes_;
        return child;
      }
    }
  }
  auto id = static_cast<NodeId>(betas_.size());
  NodeId parent = node.parent;
  betas_.push_back(std::move(node));
  beta_keys_.push_back(key);
  betas_[parent].children.push_back(id);
  if (betas_[id].needs_left_memory()) alphas_[betas_[id].alpha].successors.push_back(id);
  return id;
}

std::shared_ptr<const ReteNetwork> ReteNetwork::Compile(std::shared_ptr<const ProgramSpec> program) {
  auto net = std::shared_ptr<ReteNetwork>(new ReteNetwork());
  net->program_ = program;
  const ProgramSpec& p = *program;
  net->alphas_by_relation_.resize(p.relations.size());
  net->betas_.push_back(BetaNode{});  // the root
  net->beta_keys_.push_back("root");

  for (std::size_t rule_index = 0; rule_index < p.rules.size(); ++rule_index) {
    const RuleSpec& rule = p.rules[rule_index];
    if (rule.for_query) continue;  // queries are answered by the backward solver
    NodeId current = net->root();
    std::uint16_t frame = 0;
    std::optional<BetaNode> pending;  // a node still collecting steps before it is added

    Pattern pending_pattern;
    std::vector<std::pair<std::uint16_t, std::uint16_t>> pending_equalities;
    auto flush = [&] {
      if (!pending) return;
      if (pending->kind == BetaKind::kJoin) {
        // Steps reading only this fact's values (new bindings, or join keys,
        // which equal their columns) move to the alpha node.
        std::unordered_map<VarSlot, std::uint16_t> column_of;
        for (auto [col, slot] : pending->binds) column_of.emplace(slot, col);
        for (std::size_t i = 0; i < pending->left_key.size(); ++i) {
          column_of.emplace(pending->left_key[i], pending->right_key[i]);
        }
        std::vector<Step> alpha_tests, rest;
        std::set<std::pair<std::uint16_t, VarSlot>> test_binds;
        for (Step& step : pending->steps) {
          std::vector<VarSlot> reads;
          CollectSlots(step.lhs, reads);
          CollectSlots(step.rhs, reads);
          // Host calls stay in the join: an alpha test has no way to report their errors.
          bool local = step.kind != ConditionKind::kAssign && step.kind != ConditionKind::kCall &&
                       std::all_of(reads.begin(), reads.end(), [&](VarSlot v) { return column_of.count(v) > 0; });
          // A test after an assignment stays with it: keep the written order simple.
          if (local && rest.empty()) {
            for (VarSlot v : reads) test_binds.emplace(column_of[v], v);
            alpha_tests.push_back(std::move(step));
          } else {
            rest.push_back(std::move(step));
          }
        }
        pending->steps = std::move(rest);
        pending->alpha = net->AddAlpha(pending_pattern, pending_equalities, std::move(alpha_tests),
                                       {test_binds.begin(), test_binds.end()});
      }
      std::string key = BetaKey(*pending);
      current = net->AddBeta(std::move(*pending), key);
      pending.reset();
    };
    auto claim = [&](VarSlot s) {
      if (s != frame) throw std::logic_error("rule " + rule.name + ": slots are not numbered in binding order");
      ++frame;
    };
    // A test or assignment joins the node being built (a join, or a filter).
    auto add_step = [&](const Condition& c) {
      if (!pending) {
        pending = BetaNode{};
        pending->kind = BetaKind::kFilter;
        pending->parent = current;
      }
      pending->steps.push_back(StepOf(c));
      pending->frame_size = frame;
    };

    for (const Condition& c : rule.conditions) {
      switch (c.kind) {
        case ConditionKind::kPattern:
        case ConditionKind::kNegated:
        case ConditionKind::kExists:
        case ConditionKind::kAggregate: {
          flush();
          BetaNode node;
          node.kind = c.kind == ConditionKind::kPattern   ? BetaKind::kJoin
                      : c.kind == ConditionKind::kNegated ? BetaKind::kNegative
                      : c.kind == ConditionKind::kExists  ? BetaKind::kExists
                                                          : BetaKind::kAggregate;
          node.parent = current;
          std::unordered_map<VarSlot, std::uint16_t> local_first;
          std::vector<std::pair<std::uint16_t, std::uint16_t>> equalities;
          // Bound before this pattern: a join key. A variable first bound here
          // and repeated in the same pattern is an equality inside the fact.
          const std::uint16_t frame_before = frame;
          for (std::size_t i = 0; i < c.pattern.args.size(); ++i) {
            const PatternArg& a = c.pattern.args[i];
            auto col = static_cast<std::uint16_t>(i);
            if (a.kind != PatternArg::Kind::kVar) continue;
            if (a.slot < frame_before) {
              node.left_key.push_back(a.slot);
              node.right_key.push_back(col);
            } else if (auto it = local_first.find(a.slot); it != local_first.end()) {
              equalities.emplace_back(it->second, col);
            } else {
              local_first.emplace(a.slot, col);
              if (c.kind == ConditionKind::kPattern) {
                claim(a.slot);
                node.binds.emplace_back(col, a.slot);
              } else if (c.kind == ConditionKind::kAggregate) {
                node.value_binds.emplace_back(col, a.slot);
                node.value_frame_size = std::max<std::uint16_t>(node.value_frame_size, a.slot + 1);
              }
            }
          }
          // Repeated local variables are equalities inside one fact: alpha tests.
          // A join's alpha node is made when its steps are known (flush).
          if (c.kind == ConditionKind::kPattern) {
            pending_pattern = c.pattern;
            pending_equalities = std::move(equalities);
          } else {
            node.alpha = net->AddAlpha(c.pattern, std::move(equalities));
          }
          if (c.kind == ConditionKind::kPattern) {
            if (c.pattern.certainty_slot != kNoSlot) {
              claim(c.pattern.certainty_slot);
              node.certainty_slot = c.pattern.certainty_slot;
            }
            if (c.pattern.fact_slot != kNoSlot) {
              claim(c.pattern.fact_slot);
              node.fact_slot = c.pattern.fact_slot;
            }
          }
          if (c.kind == ConditionKind::kAggregate) {
            node.aggregate = c.aggregate;
            node.aggregate_value = c.rhs;
            claim(c.target);
            node.target = c.target;
          }
          node.frame_size = frame;
          if (c.kind == ConditionKind::kPattern) {
            pending = std::move(node);  // steps that follow fold into the join
          } else {
            std::string key = BetaKey(node);
            current = net->AddBeta(std::move(node), key);
          }
          break;
        }
        case ConditionKind::kCall: {
          if (c.pattern.args.empty()) {  // a test: one more step of the node being built
            add_step(c);
            break;
          }
          flush();
          BetaNode node;
          node.kind = BetaKind::kCall;
          node.parent = current;
          node.function = c.function;
          node.call_inputs = c.inputs;
          for (const PatternArg& a : c.pattern.args) {
            CallOutput out;
            if (a.kind == PatternArg::Kind::kConst) {
              out.kind = CallOutput::Kind::kConst;
              out.constant = a.constant;
            } else if (a.kind == PatternArg::Kind::kVar) {
              out.slot = a.slot;
              // A variable bound before, or earlier among these outputs, is a test.
              if (a.slot < frame) {
                out.kind = CallOutput::Kind::kCheck;
              } else {
                claim(a.slot);
                out.kind = CallOutput::Kind::kBind;
              }
            }
            node.call_outputs.push_back(std::move(out));
          }
          node.frame_size = frame;
          std::string key = BetaKey(node);
          current = net->AddBeta(std::move(node), key);
          break;
        }
        case ConditionKind::kCompare:
        case ConditionKind::kTextTest:
        case ConditionKind::kAssign:
        case ConditionKind::kMember: {
          bool generator = c.kind == ConditionKind::kMember && c.target != kNoSlot;
          if (generator) {
            flush();
            BetaNode node;
            node.kind = BetaKind::kGenerate;
            node.parent = current;
            claim(c.target);
            node.target = c.target;
            node.set = c.set;
            node.frame_size = frame;
            std::string key = BetaKey(node);
            current = net->AddBeta(std::move(node), key);
            break;
          }
          if (c.kind == ConditionKind::kAssign) claim(c.target);
          add_step(c);
          break;
        }
      }
    }
    flush();
    BetaNode terminal;
    terminal.kind = BetaKind::kTerminal;
    terminal.parent = current;
    terminal.frame_size = frame;
    terminal.rule = static_cast<std::uint32_t>(rule_index);
    if (frame != rule.slot_count) {
      throw std::logic_error("rule " + rule.name + ": " + std::to_string(rule.slot_count) + " slots but " +
                             std::to_string(frame) + " bound");
    }
    net->AddBeta(std::move(terminal), "");
  }

  // The relations each relation's logical rules read.
  std::vector<std::vector<RelationId>> deps(p.relations.size());
  for (const RuleSpec& rule : p.rules) {
    if (rule.kind != RuleKind::kLogical) continue;
    for (const Condition& c : rule.conditions) {
      if (c.kind == ConditionKind::kPattern || c.kind == ConditionKind::kNegated ||
          c.kind == ConditionKind::kExists || c.kind == ConditionKind::kAggregate) {
        deps[rule.head_relation].push_back(c.pattern.relation);
      }
    }
  }
  // What each relation's rules read, directly or through other rules: a
  // relation is recursive if it reaches itself, and two relations share a
  // cycle if each reaches the other.
  std::vector<std::vector<bool>> reaches(p.relations.size(), std::vector<bool>(p.relations.size(), false));
  for (RelationId r = 0; r < p.relations.size(); ++r) {
    std::vector<RelationId> stack(deps[r].begin(), deps[r].end());
    while (!stack.empty()) {
      RelationId x = stack.back();
      stack.pop_back();
      if (reaches[r][x]) continue;
      reaches[r][x] = true;
      stack.insert(stack.end(), deps[x].begin(), deps[x].end());
    }
  }
  net->recursive_.assign(p.relations.size(), false);
  for (RelationId r = 0; r < p.relations.size(); ++r) net->recursive_[r] = reaches[r][r];

  // Ranks: a relation ranks above every relation its logical rules read
  // outside its own recursive cycle; a cycle's relations share one rank.
  struct Edge {
    RelationId head, body;
    bool cycle;
  };
  std::vector<Edge> edges;
  for (RelationId head = 0; head < p.relations.size(); ++head) {
    for (RelationId body : deps[head]) {
      if (body != head) edges.push_back({head, body, reaches[head][body] && reaches[body][head]});
    }
  }
  net->rank_.assign(p.relations.size(), 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (const Edge& e : edges) {
      const std::uint32_t want = e.cycle ? net->rank_[e.body] : net->rank_[e.body] + 1;
      if (net->rank_[e.head] < want) {
        net->rank_[e.head] = want;
        changed = true;
      }
    }
  }
  net->max_rank_ = p.relations.empty() ? 0 : *std::max_element(net->rank_.begin(), net->rank_.end());
  return net;
}

std::string ReteNetwork::Describe() const {
  std::string out = std::to_string(alphas_.size()) + " alpha nodes, " + std::to_string(betas_.size()) +
                    " beta nodes (" + std::to_string(shared_nodes_) + " shared)";
  return out;
}

}  // namespace syllo::engine

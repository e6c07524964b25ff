#include "engine/steps.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <string_view>

namespace syllo::engine {

namespace {
bool IsLeaf(const Expr& e) { return e.op == ExprOp::kConst || e.op == ExprOp::kVar; }
const Value& Leaf(const Expr& e, std::span<const Value> frame) {
  return e.op == ExprOp::kConst ? e.constant : frame[e.slot];
}
}  // namespace

bool RunSteps(const std::vector<Step>& steps, std::span<Value> frame, const void* context, HostTest host_test) {
  std::span<const Value> view(frame.data(), frame.size());
  for (const Step& s : steps) {
    switch (s.kind) {
      case ConditionKind::kCompare: {
        // `X < 18`, `A = B`: operands read straight off the frame.
        if (IsLeaf(s.lhs) && IsLeaf(s.rhs)) {
          if (!CompareQuick(s.op, Leaf(s.lhs, view), Leaf(s.rhs, view))) return false;
          break;
        }
        auto a = Evaluate(s.lhs, view);
        if (!a) return false;
        auto b = Evaluate(s.rhs, view);
        if (!b || !Compare(s.op, *a, *b)) return false;
        break;
      }
      case ConditionKind::kAssign: {
        auto v = Evaluate(s.rhs, view);
        if (!v) return false;
        frame[s.target] = *v;
        break;
      }
      case ConditionKind::kMember: {
        auto v = Evaluate(s.lhs, view);
        if (!v) return false;
        bool in = std::any_of(s.set.begin(), s.set.end(), [&](const Value& x) { return Compare(CmpOp::kEq, x, *v); });
        if (in == s.negated) return false;
        break;
      }
      case ConditionKind::kTextTest: {
        auto a = Evaluate(s.lhs, view);
        auto b = Evaluate(s.rhs, view);
        if (!a || !b) return false;
        auto is_text = [](const Value& x) { return x.kind() == ValueKind::kString || x.kind() == ValueKind::kSymbol; };
        if (!is_text(*a) || !is_text(*b)) return false;
        std::string_view x = a->text(), y = b->text();
        bool ok = s.text_test == TextTest::kContains     ? x.find(y) != std::string_view::npos
                  : s.text_test == TextTest::kStartsWith ? x.substr(0, y.size()) == y
                                                         : (x.size() >= y.size() && x.substr(x.size() - y.size()) == y);
        if (!ok) return false;
        break;
      }
      case ConditionKind::kCall:
        if (host_test == nullptr || !host_test(context, s, view)) return false;
        break;
      default:
        assert(false && "not a step");
        return false;
    }
  }
  return true;
}

bool AlphaPasses(const AlphaNode& alpha, std::span<const Value> row, const void* context, HostTest host_test) {
  for (const auto& [col, v] : alpha.constants) {
    if (row[col] != v) return false;
  }
  for (const auto& [a, b] : alpha.equalities) {
    if (row[a] != row[b]) return false;
  }
  if (alpha.tests.empty()) return true;
  std::array<Value, 16> small;
  std::vector<Value> large;
  Value* frame = small.data();
  if (alpha.test_frame_size > small.size()) {
    large.resize(alpha.test_frame_size);
    frame = large.data();
  }
  for (auto [col, slot] : alpha.test_binds) frame[slot] = row[col];
  return RunSteps(alpha.tests, {frame, alpha.test_frame_size}, context, host_test);
}

}  // namespace syllo::engine

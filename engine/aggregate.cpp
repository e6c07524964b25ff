#include "engine/aggregate.h"

namespace syllo::engine {

void Aggregator::Add(const std::optional<Value>& v) {
  ++count_;
  if (fn_ == AggregateFn::kCount || !v) return;
  switch (fn_) {
    case AggregateFn::kSum:
    case AggregateFn::kAvg:
      if (!v->is_number()) break;
      if (v->kind() == ValueKind::kInt && !int_overflow_) {
        if (__builtin_add_overflow(isum_, v->as_int(), &isum_)) int_overflow_ = true;
      } else {
        all_int_ = false;
      }
      fsum_ += v->as_number();
      break;
    case AggregateFn::kMin:
      if (!best_ || CompareValues(*v, *best_) < 0) best_ = *v;
      break;
    case AggregateFn::kMax:
      if (!best_ || CompareValues(*v, *best_) > 0) best_ = *v;
      break;
    case AggregateFn::kCount:
      break;
  }
}

std::optional<Value> Aggregator::Result() const {
  switch (fn_) {
    case AggregateFn::kCount: return Value::Int(count_);
    case AggregateFn::kSum: return (all_int_ && !int_overflow_) ? Value::Int(isum_) : Value::Float(fsum_);
    case AggregateFn::kAvg:
      if (count_ > 0) return Value::Float(fsum_ / static_cast<double>(count_));
      return std::nullopt;
    case AggregateFn::kMin:
    case AggregateFn::kMax: return best_;
  }
  return std::nullopt;
}

}  // namespace syllo::engine

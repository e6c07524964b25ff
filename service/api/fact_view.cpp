#include "syllo/fact_view.h"

#include <stdexcept>

#include "engine/value.h"
#include "service/api/value_convert.h"

namespace syllo {

namespace {

// The public kind of an engine value (a fact handle reads as its spelling).
Value::Kind PublicKind(engine::ValueKind kind) {
  switch (kind) {
    case engine::ValueKind::kNone: return Value::Kind::kNone;
    case engine::ValueKind::kInt: return Value::Kind::kInt;
    case engine::ValueKind::kFloat: return Value::Kind::kFloat;
    case engine::ValueKind::kBool: return Value::Kind::kBool;
    case engine::ValueKind::kSymbol: return Value::Kind::kSymbol;
    case engine::ValueKind::kString: return Value::Kind::kString;
    case engine::ValueKind::kTensor: return Value::Kind::kTensor;
    case engine::ValueKind::kFact: return Value::Kind::kString;
  }
  return Value::Kind::kNone;
}

const engine::Value& At(const void* row, std::size_t size, std::size_t column) {
  if (column >= size) {
    throw std::out_of_range("column " + std::to_string(column) + " of a fact with " + std::to_string(size) +
                            " columns");
  }
  return static_cast<const engine::Value*>(row)[column];
}

[[noreturn]] void WrongKind(std::size_t column, engine::ValueKind has, std::string_view wanted) {
  throw std::invalid_argument("column " + std::to_string(column) + " is a " + std::string(engine::ValueKindName(has)) +
                              ", not " + std::string(wanted));
}

}  // namespace

Value::Kind FactView::kind(std::size_t column) const { return PublicKind(At(row_, size_, column).kind()); }

std::int64_t FactView::as_int(std::size_t column) const {
  const engine::Value& v = At(row_, size_, column);
  if (v.kind() != engine::ValueKind::kInt) WrongKind(column, v.kind(), "an int");
  return v.as_int();
}

double FactView::as_float(std::size_t column) const {
  const engine::Value& v = At(row_, size_, column);
  if (v.kind() != engine::ValueKind::kFloat) WrongKind(column, v.kind(), "a float");
  return v.as_float();
}

bool FactView::as_bool(std::size_t column) const {
  const engine::Value& v = At(row_, size_, column);
  if (v.kind() != engine::ValueKind::kBool) WrongKind(column, v.kind(), "a bool");
  return v.as_bool();
}

std::string_view FactView::text(std::size_t column) const {
  const engine::Value& v = At(row_, size_, column);
  if (v.kind() == engine::ValueKind::kSymbol || v.kind() == engine::ValueKind::kString) return v.text();
  if (v.kind() == engine::ValueKind::kFact) {
    scratch_ = v.ToString();
    return scratch_;
  }
  WrongKind(column, v.kind(), "a symbol or a string");
}

Value FactView::value(std::size_t column) const { return FromEngine(At(row_, size_, column)); }

}  // namespace syllo

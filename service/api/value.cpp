#include "service/api/value_convert.h"

#include "engine/tensor_pool.h"

namespace syllo {

std::string Value::ToString() const {
  switch (kind_) {
    case Kind::kNone: return "_";
    case Kind::kInt: return std::to_string(int_);
    case Kind::kFloat: return engine::FormatFloat(float_);
    case Kind::kBool: return int_ ? "true" : "false";
    case Kind::kSymbol: return text_;
    case Kind::kString: return engine::QuoteString(text_);
    case Kind::kTensor: {
      std::string dims;
      for (std::int64_t d : tensor_shape()) dims += (dims.empty() ? "" : ",") + std::to_string(d);
      return "tensor[" + dims + "]";
    }
  }
  return "?";
}

Value FromEngine(const engine::Value& v) {
  switch (v.kind()) {
    case engine::ValueKind::kNone: return Value();
    case engine::ValueKind::kInt: return Value::Int(v.as_int());
    case engine::ValueKind::kFloat: return Value::Float(v.as_float());
    case engine::ValueKind::kBool: return Value::Bool(v.as_bool());
    case engine::ValueKind::kSymbol: return Value::Symbol(std::string(v.text()));
    case engine::ValueKind::kString: return Value::String(std::string(v.text()));
    case engine::ValueKind::kTensor: {
      auto data = engine::TensorPool::Global().data(v.as_tensor());
      return Value::Tensor(std::vector<float>(data.begin(), data.end()),
                           engine::TensorPool::Global().shape(v.as_tensor()));
    }
    case engine::ValueKind::kFact: return Value::String(v.ToString());
  }
  return Value();
}

namespace {
engine::Value Text(std::string_view text, engine::ValueKind kind, engine::SymbolScope* scope) {
  engine::SymbolId id = scope != nullptr ? scope->Intern(text) : engine::SymbolTable::Global().Intern(text);
  return kind == engine::ValueKind::kSymbol ? engine::Value::Symbol(id) : engine::Value::String(id);
}
}  // namespace

engine::Value ToEngine(const Value& v, engine::SymbolScope* scope) {
  switch (v.kind()) {
    case Value::Kind::kNone: return engine::Value();
    case Value::Kind::kInt: return engine::Value::Int(v.as_int());
    case Value::Kind::kFloat: return engine::Value::Float(v.as_float());
    case Value::Kind::kBool: return engine::Value::Bool(v.as_bool());
    case Value::Kind::kSymbol: return Text(v.text(), engine::ValueKind::kSymbol, scope);
    case Value::Kind::kString: return Text(v.text(), engine::ValueKind::kString, scope);
    case Value::Kind::kTensor:
      return engine::Value::Tensor(engine::TensorPool::Global().Intern(v.tensor_data(), v.tensor_shape()));
  }
  return engine::Value();
}

engine::Value ToEngine(const Value& v, const engine::ColumnType& column, engine::SymbolScope* scope) {
  if (column.kind == engine::ValueKind::kSymbol && v.kind() == Value::Kind::kString) {
    return Text(v.text(), engine::ValueKind::kSymbol, scope);
  }
  if (column.kind == engine::ValueKind::kString && v.kind() == Value::Kind::kSymbol) {
    return Text(v.text(), engine::ValueKind::kString, scope);
  }
  return ToEngine(v, scope);
}

}  // namespace syllo

#include "kb/value_codec.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/tensor_pool.h"
#include "kb/identifier.h"
#include "kb/tensor_text.h"

namespace syllo::kb {

using engine::ColumnType;
using engine::Value;
using engine::ValueKind;

static_assert(std::endian::native == std::endian::little,
              "tensor blobs are stored as float32 little-endian; add byte swapping for big-endian hosts");

std::string SqlColumnDefinition(const engine::Column& column) {
  std::string q = QuoteIdentifier(column.name);
  switch (column.type.kind) {
    case ValueKind::kInt: return q + " INTEGER NOT NULL";
    case ValueKind::kFloat: return q + " REAL NOT NULL";
    case ValueKind::kBool: return q + " INTEGER NOT NULL CHECK (" + q + " IN (0, 1))";
    case ValueKind::kSymbol: return q + " TEXT NOT NULL CHECK (length(" + q + ") > 0)";
    case ValueKind::kString: return q + " TEXT NOT NULL";
    case ValueKind::kTensor:
      return q + " BLOB NOT NULL CHECK (length(" + q + ") = " + std::to_string(4 * column.type.element_count()) + ")";
    default: break;  // kNone, kFact: never a column type
  }
  return q + " BLOB";  // unreachable: declarations are checked before
}

Status CheckValue(const ColumnType& type, Value& v) {
  if (!type.Accepts(v.kind())) {
    return Status::InvalidArgument("expected " + type.ToString() + ", got " +
                                   std::string(engine::ValueKindName(v.kind())) + " " + v.ToString());
  }
  if (type.kind == ValueKind::kFloat && v.kind() == ValueKind::kInt) v = Value::Float(static_cast<double>(v.as_int()));
  switch (type.kind) {
    case ValueKind::kFloat:
      if (!std::isfinite(v.as_float())) {
        return Status::InvalidArgument("expected a finite float, got " + engine::FormatFloat(v.as_float()));
      }
      break;
    case ValueKind::kSymbol:
      if (v.text().empty()) return Status::InvalidArgument("a symbol cannot be empty");
      break;
    case ValueKind::kTensor: {
      std::vector<std::int64_t> shape = engine::TensorPool::Global().shape(v.as_tensor());
      if (shape != type.shape) {
        return Status::InvalidArgument("expected " + type.ToString() + ", got a tensor of shape " +
                                       ColumnType::Tensor(shape).ToString().substr(6));
      }
      for (float f : engine::TensorPool::Global().data(v.as_tensor())) {
        if (!std::isfinite(f)) return Status::InvalidArgument("tensor elements must be finite");
      }
      break;
    }
    default:
      break;
  }
  return Status::Ok();
}

Status CheckCertainty(double cf) {
  if (!(cf >= -1.0 && cf <= 1.0)) {  // written so that NaN fails too
    return Status::InvalidArgument("certainty must be a number in [-1, 1], got " + engine::FormatFloat(cf));
  }
  return Status::Ok();
}

Status BindValue(Statement& stmt, int index, const ColumnType& type, Value v) {
  switch (type.kind) {
    case ValueKind::kInt: return stmt.BindInt(index, v.as_int());
    case ValueKind::kFloat: return stmt.BindDouble(index, v.as_number());
    case ValueKind::kBool: return stmt.BindInt(index, v.as_bool() ? 1 : 0);
    case ValueKind::kSymbol:
    case ValueKind::kString: return stmt.BindText(index, v.text());
    case ValueKind::kTensor: {
      std::span<const float> data = engine::TensorPool::Global().data(v.as_tensor());
      return stmt.BindBlob(index, std::as_bytes(data));
    }
    default: break;  // kNone, kFact: never a column type
  }
  return Status::Internal("binding a value of no type");
}

Result<Value> ReadValue(const Statement& stmt, int col, const ColumnType& type) {
  auto corrupt = [&](const char* what) {
    return Status::Corruption(std::string("stored ") + type.ToString() + " value is " + what);
  };
  if (stmt.ColumnIsNull(col)) return corrupt("NULL");
  switch (type.kind) {
    case ValueKind::kInt: return Value::Int(stmt.ColumnInt(col));
    case ValueKind::kFloat: return Value::Float(stmt.ColumnDouble(col));
    case ValueKind::kBool: return Value::Bool(stmt.ColumnInt(col) != 0);
    case ValueKind::kSymbol: return Value::MakeSymbol(stmt.ColumnText(col));
    case ValueKind::kString: return Value::MakeString(stmt.ColumnText(col));
    case ValueKind::kTensor: {
      std::span<const std::byte> blob = stmt.ColumnBlob(col);
      auto n = static_cast<std::size_t>(type.element_count());
      if (blob.size() != n * sizeof(float)) return corrupt("a blob of the wrong size");
      std::vector<float> data(n);
      if (n > 0) std::memcpy(data.data(), blob.data(), blob.size());
      return Value::Tensor(engine::TensorPool::Global().Intern(data, type.shape));
    }
    default: break;  // kNone, kFact: never a column type
  }
  return corrupt("of no type");
}

bool ParseFiniteDouble(std::string_view text, double* out) {
  if (text.empty()) return false;
  const char* begin = text.data();
  if (*begin == '+') ++begin;  // from_chars refuses a leading '+', people write it
  auto [end, ec] = std::from_chars(begin, text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(*out);
}

std::string FormatDouble(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, ec == std::errc() ? end : buf);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

Result<Value> ParseTextValue(const ColumnType& type, std::string_view text) {
  auto shown = [&] {
    std::string t(text.substr(0, 40));
    return "\"" + t + (text.size() > 40 ? "...\"" : "\"");
  };
  switch (type.kind) {
    case ValueKind::kInt: {
      std::int64_t v = 0;
      const char* begin = text.data();
      if (!text.empty() && *begin == '+') ++begin;
      auto [end, ec] = std::from_chars(begin, text.data() + text.size(), v);
      if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        if (ec == std::errc::result_out_of_range) return Status::InvalidArgument(shown() + " is out of the int range");
        return Status::InvalidArgument(shown() + " is not an int");
      }
      return Value::Int(v);
    }
    case ValueKind::kFloat: {
      double v = 0;
      if (!ParseFiniteDouble(text, &v)) return Status::InvalidArgument(shown() + " is not a finite float");
      return Value::Float(v);
    }
    case ValueKind::kBool:
      if (text == "true" || text == "1") return Value::Bool(true);
      if (text == "false" || text == "0") return Value::Bool(false);
      return Status::InvalidArgument(shown() + " is not a bool (true or false)");
    case ValueKind::kSymbol:
      if (text.empty()) return Status::InvalidArgument("a symbol cannot be empty");
      return Value::MakeSymbol(text);
    case ValueKind::kString: return Value::MakeString(text);
    case ValueKind::kTensor: return ParseTensorText(type, text);
    default: break;  // kNone, kFact: never a column type
  }
  return Status::Internal("parsing a value of no type");
}

std::string FormatTextValue(const ColumnType& type, Value v) {
  switch (type.kind) {
    case ValueKind::kInt: return std::to_string(v.as_int());
    case ValueKind::kFloat: return FormatDouble(v.as_number());
    case ValueKind::kBool: return v.as_bool() ? "true" : "false";
    case ValueKind::kSymbol:
    case ValueKind::kString: return std::string(v.text());
    case ValueKind::kTensor: return FormatTensorText(type, v);
    default: break;  // kNone, kFact: never a column type
  }
  return "";
}

}  // namespace syllo::kb

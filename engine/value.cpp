#include "engine/value.h"

#include <cmath>
#include <cstdio>

namespace syllo::engine {

std::string_view ValueKindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kNone: return "none";
    case ValueKind::kInt: return "int";
    case ValueKind::kFloat: return "float";
    case ValueKind::kBool: return "bool";
    case ValueKind::kSymbol: return "symbol";
    case ValueKind::kString: return "string";
    case ValueKind::kTensor: return "tensor";
    case ValueKind::kFact: return "fact";
  }
  return "?";
}

std::string QuoteString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string FormatFloat(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  std::string s = buf;
  // Keep a float recognisable as a float: 2 prints as 2.0.
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

std::string Value::ToString() const {
  switch (kind_) {
    case ValueKind::kNone: return "_";
    case ValueKind::kInt: return std::to_string(i_);
    case ValueKind::kFloat: return FormatFloat(f_);
    case ValueKind::kBool: return i_ ? "true" : "false";
    case ValueKind::kSymbol: return std::string(text());
    case ValueKind::kString: return QuoteString(text());
    case ValueKind::kTensor: return "tensor#" + std::to_string(i_);
    case ValueKind::kFact: return "<fact " + std::to_string(fact_relation()) + ":" + std::to_string(fact_id()) + ">";
  }
  return "?";
}

int CompareValues(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind() == ValueKind::kInt && b.kind() == ValueKind::kInt) {
      return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
    }
    double x = a.as_number(), y = b.as_number();
    if (x < y) return -1;
    if (x > y) return 1;
    return 0;
  }
  if (a.kind() != b.kind()) return a.kind() < b.kind() ? -1 : 1;
  switch (a.kind()) {
    case ValueKind::kSymbol:
    case ValueKind::kString: {
      int c = a.text().compare(b.text());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case ValueKind::kBool:
    case ValueKind::kTensor:
    case ValueKind::kFact:
      return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
    default:
      return 0;
  }
}

}  // namespace syllo::engine

#include "engine/column_type.h"

#include <charconv>

namespace syllo::engine {

std::string ColumnType::ToString() const {
  if (kind != ValueKind::kTensor) return std::string(ValueKindName(kind));
  std::string s = "tensor[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::int64_t ColumnType::element_count() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

bool ParseColumnType(const std::string& text, ColumnType* out) {
  for (ValueKind k : {ValueKind::kInt, ValueKind::kFloat, ValueKind::kBool, ValueKind::kSymbol,
                      ValueKind::kString}) {
    if (text == ValueKindName(k)) {
      *out = ColumnType::Of(k);
      return true;
    }
  }
  const std::string prefix = "tensor[";
  if (text.size() < prefix.size() + 2 || text.compare(0, prefix.size(), prefix) != 0 || text.back() != ']') {
    return false;
  }
  std::vector<std::int64_t> dims;
  const char* p = text.data() + prefix.size();
  const char* end = text.data() + text.size() - 1;
  while (p < end) {
    std::int64_t d = 0;
    auto [next, ec] = std::from_chars(p, end, d);
    if (ec != std::errc() || d <= 0) return false;
    dims.push_back(d);
    p = next;
    if (p < end) {
      if (*p != ',') return false;
      ++p;
    }
  }
  if (dims.empty()) return false;
  *out = ColumnType::Tensor(std::move(dims));
  return true;
}

}  // namespace syllo::engine

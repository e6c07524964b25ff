// ColumnType: the declared type of a relation column (int, float, bool, symbol,
// string, or a tensor of a fixed shape).
//
// Thread safety: values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/value.h"

namespace syllo::engine {

struct ColumnType {
  ValueKind kind = ValueKind::kNone;
  std::vector<std::int64_t> shape;  // only for tensors: e.g. {28, 28}

  static ColumnType Of(ValueKind k) { return ColumnType{k, {}}; }
  static ColumnType Tensor(std::vector<std::int64_t> dims) { return ColumnType{ValueKind::kTensor, std::move(dims)}; }

  // "int", "tensor[28,28]": the spelling used in declarations and the KB catalog.
  std::string ToString() const;
  // Whether a value of kind `k` may be stored in this column (an int is accepted
  // by a float column and widened by the caller).
  bool Accepts(ValueKind k) const { return k == kind || (kind == ValueKind::kFloat && k == ValueKind::kInt); }
  std::int64_t element_count() const;

  friend bool operator==(const ColumnType&, const ColumnType&) = default;
};

// Parses the spelling produced by ToString(); false if it is not one.
bool ParseColumnType(const std::string& text, ColumnType* out);

struct Column {
  std::string name;
  ColumnType type;
  friend bool operator==(const Column&, const Column&) = default;
};

}  // namespace syllo::engine

// Value: one column of a fact, one binding of a variable. 16 bytes, trivially
// copyable: an 8-byte payload and a kind tag. Symbols and strings are interned
// ids (SymbolTable), tensors are ids into the TensorPool, so copying, hashing
// and comparing a Value never allocates.
//
// Thread safety: values.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "engine/symbol_table.h"

namespace syllo::engine {

enum class ValueKind : std::uint8_t {
  kNone = 0,  // no value: an unbound slot
  kInt,
  kFloat,
  kBool,
  kSymbol,
  kString,
  kTensor,
  kFact,  // a handle on a stored fact (`as F` in a production rule): relation << 32 | fact id
};

std::string_view ValueKindName(ValueKind kind);

// A string literal as the rule language writes it: quotes, \" \\ \n \t \r, and
// \xHH for other control characters.
std::string QuoteString(std::string_view text);

// A float as the rule language writes it: always with a '.', an 'e', or nan/inf.
std::string FormatFloat(double v);

class Value {
 public:
  constexpr Value() : bits_(0), kind_(ValueKind::kNone) {}

  static Value Int(std::int64_t v) { Value x; x.i_ = v; x.kind_ = ValueKind::kInt; return x; }
  static Value Float(double v) { Value x; x.f_ = v; x.kind_ = ValueKind::kFloat; return x; }
  static Value Bool(bool v) { Value x; x.i_ = v ? 1 : 0; x.kind_ = ValueKind::kBool; return x; }
  static Value Symbol(SymbolId id) { Value x; x.i_ = id; x.kind_ = ValueKind::kSymbol; return x; }
  static Value String(SymbolId id) { Value x; x.i_ = id; x.kind_ = ValueKind::kString; return x; }
  static Value Tensor(std::uint32_t id) { Value x; x.i_ = id; x.kind_ = ValueKind::kTensor; return x; }
  static Value Fact(std::uint32_t relation, std::uint32_t id) {
    Value x; x.bits_ = (std::uint64_t{relation} << 32) | id; x.kind_ = ValueKind::kFact; return x;
  }
  // Interns the text in the global SymbolTable.
  static Value MakeSymbol(std::string_view text) { return Symbol(SymbolTable::Global().Intern(text)); }
  static Value MakeString(std::string_view text) { return String(SymbolTable::Global().Intern(text)); }

  ValueKind kind() const { return kind_; }
  bool is_none() const { return kind_ == ValueKind::kNone; }
  bool is_number() const { return kind_ == ValueKind::kInt || kind_ == ValueKind::kFloat; }

  std::int64_t as_int() const { return i_; }
  double as_float() const { return f_; }
  bool as_bool() const { return i_ != 0; }
  SymbolId as_symbol() const { return static_cast<SymbolId>(i_); }
  std::uint32_t as_tensor() const { return static_cast<std::uint32_t>(i_); }
  std::uint32_t fact_relation() const { return static_cast<std::uint32_t>(bits_ >> 32); }
  std::uint32_t fact_id() const { return static_cast<std::uint32_t>(bits_); }
  // Int or float widened to double. REQUIRES: is_number().
  double as_number() const { return kind_ == ValueKind::kInt ? static_cast<double>(i_) : f_; }
  // The text of a symbol or string. REQUIRES: kind is kSymbol or kString.
  std::string_view text() const { return SymbolTable::Global().Name(as_symbol()); }

  // Identity: same kind and same payload (1 and 1.0 differ; NaN equals itself
  // bitwise, so a fact set never holds two copies of the same NaN row).
  friend bool operator==(const Value& a, const Value& b) { return a.kind_ == b.kind_ && a.bits_ == b.bits_; }
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }
  // Equal as bindings of a variable: the same value, or the same number (1 = 1.0).
  friend bool SameBinding(const Value& a, const Value& b) {
    return a == b || (a.is_number() && b.is_number() && a.as_number() == b.as_number());
  }

  // The 8-byte payload as it is stored, for hashing a whole row at once.
  std::uint64_t bits() const { return bits_; }
  std::uint64_t Hash() const {
    std::uint64_t h = bits_ ^ (static_cast<std::uint64_t>(kind_) << 56);
    h ^= h >> 33; h *= 0xff51afd7ed558ccdULL; h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53ULL; h ^= h >> 33;
    return h;
  }

  // The rule-language spelling: 42, 1.5, true, tshirt, "text", tensor#3.
  std::string ToString() const;

 private:
  union {
    std::uint64_t bits_;
    std::int64_t i_;
    double f_;
  };
  ValueKind kind_;
};

static_assert(sizeof(Value) == 16, "Value must stay 16 bytes: it is on every hot path");

// Total order used for sorting output deterministically and by min/max: numbers
// by value (ints and floats compare numerically), then by kind, then by text.
int CompareValues(const Value& a, const Value& b);

inline std::uint64_t HashCombine(std::uint64_t seed, std::uint64_t h) {
  return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

}  // namespace syllo::engine

template <>
struct std::hash<syllo::engine::Value> {
  std::size_t operator()(const syllo::engine::Value& v) const { return v.Hash(); }
};

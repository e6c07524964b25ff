// Value: one column of a fact or one binding of a query variable, as the
// embedding API hands it over: an integer, a float, a boolean, a symbol
// (`approve`), a string ("A000001"), or none (a free argument).
//
// Thread safety: values.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace syllo {

class Value {
 public:
  enum class Kind { kNone, kInt, kFloat, kBool, kSymbol, kString, kTensor };

  Value() = default;
  static Value Int(std::int64_t v) { return Value(Kind::kInt, v, 0, {}); }
  static Value Float(double v) { return Value(Kind::kFloat, 0, v, {}); }
  static Value Bool(bool v) { return Value(Kind::kBool, v ? 1 : 0, 0, {}); }
  static Value Symbol(std::string name) { return Value(Kind::kSymbol, 0, 0, std::move(name)); }
  static Value String(std::string text) { return Value(Kind::kString, 0, 0, std::move(text)); }
  // A tensor of float32, row-major, with its dimensions (a photo: {28, 28}).
  static Value Tensor(std::vector<float> data, std::vector<std::int64_t> shape) {
    Value v(Kind::kTensor, 0, 0, {});
    v.tensor_ = std::make_shared<const TensorData>(TensorData{std::move(data), std::move(shape)});
    return v;
  }

  Kind kind() const { return kind_; }
  bool is_none() const { return kind_ == Kind::kNone; }
  std::int64_t as_int() const { return int_; }
  double as_float() const { return float_; }
  bool as_bool() const { return int_ != 0; }
  // The name of a symbol or the text of a string.
  const std::string& text() const { return text_; }
  // A tensor's elements and dimensions (empty for any other kind).
  const std::vector<float>& tensor_data() const { return tensor_ != nullptr ? tensor_->data : NoTensor().data; }
  const std::vector<std::int64_t>& tensor_shape() const {
    return tensor_ != nullptr ? tensor_->shape : NoTensor().shape;
  }

  // As the rule language writes it: 42, 0.5, true, approve, "A000001".
  std::string ToString() const;

  friend bool operator==(const Value& a, const Value& b) {
    return a.kind_ == b.kind_ && a.int_ == b.int_ && a.text_ == b.text_ &&
           (a.kind_ != Kind::kFloat || a.float_ == b.float_) && a.tensor_data() == b.tensor_data() &&
           a.tensor_shape() == b.tensor_shape();
  }

 private:
  Value(Kind kind, std::int64_t i, double f, std::string text)
      : kind_(kind), int_(i), float_(f), text_(std::move(text)) {}
  Kind kind_ = Kind::kNone;
  std::int64_t int_ = 0;
  double float_ = 0;
  std::string text_;
  // A tensor's data, shared by the copies of a value (it never changes):
  // a value that is no tensor pays one pointer for it, not two vectors.
  struct TensorData {
    std::vector<float> data;
    std::vector<std::int64_t> shape;
  };
  static const TensorData& NoTensor() {
    static const TensorData empty;
    return empty;
  }
  std::shared_ptr<const TensorData> tensor_;
};

}  // namespace syllo

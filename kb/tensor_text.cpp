#include "kb/tensor_text.h"

#include <charconv>
#include <cmath>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/tensor_pool.h"

namespace syllo::kb {

namespace {

std::string ShapeText(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// Appends the elements of `j` (dimension `dim` onward) to `out`, checking the shape.
Status Flatten(const nlohmann::json& j, const std::vector<std::int64_t>& shape, std::size_t dim,
               std::vector<float>& out) {
  auto wrong = [&](const std::string& why) {
    return Status::InvalidArgument("expected a tensor of shape " + ShapeText(shape) + " (nested arrays): " + why);
  };
  if (!j.is_array()) return wrong("dimension " + std::to_string(dim + 1) + " is not an array");
  if (static_cast<std::int64_t>(j.size()) != shape[dim]) {
    return wrong("dimension " + std::to_string(dim + 1) + " has " + std::to_string(j.size()) + " elements");
  }
  for (const nlohmann::json& e : j) {
    if (dim + 1 < shape.size()) {
      if (Status s = Flatten(e, shape, dim + 1, out); !s.ok()) return s;
      continue;
    }
    if (!e.is_number()) return wrong("element " + std::to_string(out.size() + 1) + " is not a number");
    auto f = static_cast<float>(e.get<double>());
    if (!std::isfinite(f)) {
      return wrong("element " + std::to_string(out.size() + 1) + " is not a finite float32");
    }
    out.push_back(f);
  }
  return Status::Ok();
}

void AppendFloat(std::string& s, float f) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
  s.append(buf, ec == std::errc() ? end : buf);
}

void Write(std::string& s, std::span<const float> data, const std::vector<std::int64_t>& shape, std::size_t dim,
           std::size_t& next) {
  s += '[';
  for (std::int64_t i = 0; i < shape[dim]; ++i) {
    if (i) s += ',';
    if (dim + 1 < shape.size()) {
      Write(s, data, shape, dim + 1, next);
    } else {
      AppendFloat(s, data[next++]);
    }
  }
  s += ']';
}

}  // namespace

Result<engine::Value> ParseTensorJson(const engine::ColumnType& type, const nlohmann::json& j) {
  std::vector<float> data;
  data.reserve(static_cast<std::size_t>(type.element_count()));
  if (Status s = Flatten(j, type.shape, 0, data); !s.ok()) return s;
  return engine::Value::Tensor(engine::TensorPool::Global().Intern(data, type.shape));
}

Result<engine::Value> ParseTensorText(const engine::ColumnType& type, std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status::InvalidArgument("expected a tensor of shape " + ShapeText(type.shape) +
                                   " written as nested arrays such as [[1,2],[3,4]]");
  }
  return ParseTensorJson(type, j);
}

std::string FormatTensorText(const engine::ColumnType& type, engine::Value v) {
  std::span<const float> data = engine::TensorPool::Global().data(v.as_tensor());
  std::string s;
  std::size_t next = 0;
  Write(s, data, type.shape, 0, next);
  return s;
}

}  // namespace syllo::kb

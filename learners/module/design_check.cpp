#include "learners/module/design_check.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <string>
#include <string_view>

namespace syllo::learners {
namespace {

using engine::ModelDesign;

std::string ShapeString(const std::vector<std::int64_t>& shape) {
  std::string s = "{";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "}";
}

bool OneOf(std::string_view value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

// A conv with padding k/2 keeps the size for odd k and grows it by one for
// even k; the 2x2 max pool then halves it, rounding down.
std::int64_t AfterBlock(std::int64_t size, std::int64_t kernel) {
  return (size + 2 * (kernel / 2) - kernel + 1) / 2;
}

Status CheckCnn(const ModelDesign& d, const std::string& where) {
  if (d.input.size() != 2 && d.input.size() != 3) {
    return Status::InvalidArgument(where + "a cnn takes input {channels, height, width} or {height, width}, not " +
                                   ShapeString(d.input));
  }
  if (d.channels.empty()) return Status::InvalidArgument(where + "a cnn needs at least one entry in channels");
  for (std::int64_t c : d.channels) {
    if (c < 1) return Status::InvalidArgument(where + "channels must be positive, not " + ShapeString(d.channels));
  }
  if (d.kernel.size() != 1 && d.kernel.size() != d.channels.size()) {
    return Status::InvalidArgument(where + "kernel must have one value or one per conv block (" +
                                   std::to_string(d.channels.size()) + "), not " + ShapeString(d.kernel));
  }
  for (std::int64_t k : d.kernel) {
    if (k < 1) return Status::InvalidArgument(where + "kernel sizes must be positive, not " + ShapeString(d.kernel));
  }
  std::int64_t h = d.input[d.input.size() - 2], w = d.input[d.input.size() - 1];
  for (std::size_t b = 0; b < d.channels.size(); ++b) {
    h = AfterBlock(h, CnnKernel(d, b));
    w = AfterBlock(w, CnnKernel(d, b));
    if (h < 1 || w < 1) {
      return Status::InvalidArgument(where + "input " + ShapeString(d.input) + " is too small for " +
                                     std::to_string(d.channels.size()) + " conv blocks: each 2x2 max pool halves it, " +
                                     "and block " + std::to_string(b + 1) + " leaves " + std::to_string(h) + "x" +
                                     std::to_string(w));
    }
  }
  return Status::Ok();
}

}  // namespace

std::int64_t InputElements(const ModelDesign& design) {
  std::int64_t n = 1;
  for (std::int64_t d : design.input) n *= d;
  return n;
}

bool IsRecurrent(const ModelDesign& design) {
  return design.architecture == "gru" || design.architecture == "lstm";
}

std::int64_t CnnKernel(const ModelDesign& design, std::size_t block) {
  return design.kernel.size() == 1 ? design.kernel[0] : design.kernel[block];
}

std::vector<std::int64_t> NetworkInputShape(const ModelDesign& design) {
  if (design.architecture == "cnn" && design.input.size() == 2) return {1, design.input[0], design.input[1]};
  if (design.architecture == "mlp") return {InputElements(design)};
  return design.input;
}

std::int64_t CnnFlatSize(const ModelDesign& design) {
  const std::vector<std::int64_t> shape = NetworkInputShape(design);
  std::int64_t h = shape[1], w = shape[2];
  for (std::size_t b = 0; b < design.channels.size(); ++b) {
    h = AfterBlock(h, CnnKernel(design, b));
    w = AfterBlock(w, CnnKernel(design, b));
  }
  return design.channels.back() * h * w;
}

Status CheckModelDesign(const ModelDesign& d) {
  const std::string where = "model " + (d.name.empty() ? std::string("(unnamed)") : d.name) + ": ";
  if (!OneOf(d.architecture, {"mlp", "cnn", "gru", "lstm"})) {
    return Status::InvalidArgument(where + "unknown architecture '" + d.architecture + "' (mlp, cnn, gru, lstm)");
  }
  if (d.classes < 2) {
    return Status::InvalidArgument(where + "a classifier needs at least 2 classes, not " + std::to_string(d.classes));
  }
  if (d.input.empty()) return Status::InvalidArgument(where + "the input shape is empty");
  for (std::int64_t n : d.input) {
    if (n < 1) return Status::InvalidArgument(where + "input dimensions must be positive, not " + ShapeString(d.input));
  }
  for (std::int64_t n : d.hidden) {
    if (n < 1) return Status::InvalidArgument(where + "hidden widths must be positive, not " + ShapeString(d.hidden));
  }
  if (!OneOf(d.activation, {"relu", "tanh", "sigmoid", "gelu"})) {
    return Status::InvalidArgument(where + "unknown activation '" + d.activation + "' (relu, tanh, sigmoid, gelu)");
  }
  if (!OneOf(d.optimizer, {"sgd", "adam", "adamw"})) {
    return Status::InvalidArgument(where + "unknown optimizer '" + d.optimizer + "' (sgd, adam, adamw)");
  }
  if (!OneOf(d.schedule, {"constant", "step", "cosine"})) {
    return Status::InvalidArgument(where + "unknown schedule '" + d.schedule + "' (constant, step, cosine)");
  }
  if (!(d.dropout >= 0 && d.dropout < 1)) {
    return Status::InvalidArgument(where + "dropout must be in [0, 1), not " + std::to_string(d.dropout));
  }
  if (!(d.lr > 0) || !std::isfinite(d.lr)) {
    return Status::InvalidArgument(where + "the learning rate must be positive, not " + std::to_string(d.lr));
  }
  if (!(d.weight_decay >= 0) || !std::isfinite(d.weight_decay)) {
    return Status::InvalidArgument(where + "weight_decay must be >= 0, not " + std::to_string(d.weight_decay));
  }
  if (!(d.momentum >= 0) || !std::isfinite(d.momentum)) {
    return Status::InvalidArgument(where + "momentum must be >= 0, not " + std::to_string(d.momentum));
  }
  if (d.batch < 1) return Status::InvalidArgument(where + "batch must be positive, not " + std::to_string(d.batch));
  if (d.epochs < 1) return Status::InvalidArgument(where + "epochs must be positive, not " + std::to_string(d.epochs));
  if (d.patience < 0) {
    return Status::InvalidArgument(where + "patience must be >= 0, not " + std::to_string(d.patience));
  }
  if (d.architecture == "cnn") return CheckCnn(d, where);
  if (IsRecurrent(d)) {
    if (d.input.size() != 2) {
      return Status::InvalidArgument(where + "a " + d.architecture + " takes input {steps, features}, not " +
                                     ShapeString(d.input));
    }
    if (d.hidden.empty()) {
      return Status::InvalidArgument(where + "a " + d.architecture + " needs its hidden size as hidden's first entry");
    }
    if (d.layers < 1) {
      return Status::InvalidArgument(where + "layers must be positive, not " + std::to_string(d.layers));
    }
  }
  return Status::Ok();
}

}  // namespace syllo::learners

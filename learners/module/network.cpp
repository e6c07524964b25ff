#include "learners/module/network.h"

#include <string>

#include "learners/module/design_check.h"

namespace syllo::learners {
namespace {

Activation ParseActivation(const std::string& name) {
  if (name == "tanh") return Activation::kTanh;
  if (name == "sigmoid") return Activation::kSigmoid;
  if (name == "gelu") return Activation::kGelu;
  return Activation::kRelu;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

NetworkImpl::NetworkImpl(const engine::ModelDesign& design)
    : input_shape_(NetworkInputShape(design)),
      activation_(ParseActivation(design.activation)),
      dropout_(design.dropout) {
  torch::manual_seed(static_cast<std::uint64_t>(design.seed));
  std::int64_t width = 0;  // what the head receives
  std::vector<std::int64_t> head_widths;
  if (design.architecture == "cnn") {
    std::int64_t in_channels = input_shape_[0];
    for (std::size_t b = 0; b < design.channels.size(); ++b) {
      const std::int64_t k = CnnKernel(design, b);
      convs_.push_back(register_module(
          "conv" + std::to_string(b),
          torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, design.channels[b], k).padding(k / 2))));
      in_channels = design.channels[b];
    }
    width = CnnFlatSize(design);
    head_widths = design.hidden;
  } else if (IsRecurrent(design)) {
    const std::int64_t hidden = design.hidden[0];
    recurrent_layers_ = design.layers;
    const double between = design.layers > 1 ? design.dropout : 0.0;
    if (design.architecture == "gru") {
      gru_ = register_module("rnn", torch::nn::GRU(torch::nn::GRUOptions(input_shape_[1], hidden)
                                                       .num_layers(design.layers)
                                                       .batch_first(true)
                                                       .dropout(between)));
    } else {
      lstm_ = register_module("rnn", torch::nn::LSTM(torch::nn::LSTMOptions(input_shape_[1], hidden)
                                                         .num_layers(design.layers)
                                                         .batch_first(true)
                                                         .dropout(between)));
    }
    width = hidden;  // the last step's output goes straight to the output linear
  } else {
    width = input_shape_[0];
    head_widths = design.hidden;
  }
  head_widths.push_back(design.classes);
  for (std::size_t i = 0; i < head_widths.size(); ++i) {
    linears_.push_back(register_module("fc" + std::to_string(i), torch::nn::Linear(width, head_widths[i])));
    width = head_widths[i];
  }
}

torch::Tensor NetworkImpl::Activate(const torch::Tensor& x) const {
  switch (activation_) {
    case Activation::kRelu: return torch::relu(x);
    case Activation::kTanh: return torch::tanh(x);
    case Activation::kSigmoid: return torch::sigmoid(x);
    case Activation::kGelu: return torch::gelu(x);
  }
  return x;
}

// Activation then 2x2 max pooling (stride 2, an odd last row or column
// dropped). Training keeps LibTorch's max_pool2d, whose backward the optimiser
// needs. Outside it the pooling is two elementwise maxima over strided views:
// LibTorch 1.13's max_pool2d also computes argmax indices, which no backward
// will read, and was two thirds of a small CNN's batched forward pass. The
// values are the same (NaN propagates in both); relu is applied after the
// pooling, to a quarter of the elements, as relu(max(a, b)) = max(relu(a), relu(b)).
torch::Tensor NetworkImpl::ConvBlock(const torch::Tensor& conv_out) const {
  if (is_training()) return torch::max_pool2d(Activate(conv_out), 2);
  const bool relu = activation_ == Activation::kRelu;
  const torch::Tensor y = relu ? conv_out : Activate(conv_out);
  const std::int64_t h = y.size(2) / 2 * 2, w = y.size(3) / 2 * 2;
  const torch::Tensor rows = torch::maximum(y.slice(2, 0, h, 2), y.slice(2, 1, h, 2));
  torch::Tensor pooled = torch::maximum(rows.slice(3, 0, w, 2), rows.slice(3, 1, w, 2));
  return relu ? torch::relu(pooled) : pooled;
}

torch::Tensor NetworkImpl::Features(const torch::Tensor& x) {
  const std::int64_t batch = x.size(0);
  if (!convs_.empty()) {
    torch::Tensor y = x.view({batch, input_shape_[0], input_shape_[1], input_shape_[2]});
    for (auto& conv : convs_) y = ConvBlock(conv->forward(y));
    return y.flatten(1);
  }
  if (gru_ || lstm_) {
    const torch::Tensor steps = x.view({batch, input_shape_[0], input_shape_[1]});
    const torch::Tensor out = gru_ ? std::get<0>(gru_->forward(steps)) : std::get<0>(lstm_->forward(steps));
    return out.select(1, input_shape_[0] - 1);
  }
  return x.view({batch, input_shape_[0]});
}

torch::Tensor NetworkImpl::Head(torch::Tensor x, const LinearFn& linear) {
  for (std::size_t i = 0; i < linears_.size(); ++i) {
    x = linear ? linear(i, x) : linears_[i]->forward(x);
    if (i + 1 < linears_.size()) {
      x = Activate(x);
      if (dropout_ > 0) x = torch::dropout(x, dropout_, is_training());
    }
  }
  return x;
}

std::vector<std::vector<torch::Tensor>> NetworkImpl::Layers() const {
  std::vector<std::vector<torch::Tensor>> layers;
  for (const auto& conv : convs_) layers.push_back(conv->parameters());
  if (gru_ || lstm_) {
    const auto named = gru_ ? gru_->named_parameters() : lstm_->named_parameters();
    for (std::int64_t l = 0; l < recurrent_layers_; ++l) {
      std::vector<torch::Tensor> layer;
      for (const auto& p : named) {
        if (EndsWith(p.key(), "_l" + std::to_string(l))) layer.push_back(p.value());
      }
      layers.push_back(std::move(layer));
    }
  }
  for (const auto& linear : linears_) layers.push_back(linear->parameters());
  return layers;
}

std::int64_t TrainableParameters(const NetworkImpl& network) {
  std::int64_t n = 0;
  for (const auto& p : network.parameters()) {
    if (p.requires_grad()) n += p.numel();
  }
  return n;
}

}  // namespace syllo::learners

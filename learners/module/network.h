// The networks a ModelDesign describes, as one torch::nn::Module: a feature
// part (nothing for mlp, conv blocks for cnn, a recurrent stack for gru/lstm)
// followed by a fully connected head (hidden linears with activation and
// dropout, then the output linear). The head is separate so that inference can
// swap its linears for quantised ones.
//
// Thread safety: forward in eval mode does not mutate the module, so several
// threads may run it at once; training is single-threaded.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "engine/neural_backend.h"

namespace syllo::learners {

enum class Activation { kRelu, kTanh, kSigmoid, kGelu };

class NetworkImpl : public torch::nn::Module {
 public:
  // Replaces head linear `index` (for quantised inference).
  using LinearFn = std::function<torch::Tensor(std::size_t index, const torch::Tensor& x)>;

  // Initialises from design.seed (torch::manual_seed: the global generator).
  // REQUIRES: CheckModelDesign(design).ok()
  explicit NetworkImpl(const engine::ModelDesign& design);

  // x: {batch, example elements} (flat, as TensorBatch holds it) -> logits.
  torch::Tensor forward(const torch::Tensor& x) { return Head(Features(x), nullptr); }

  // Everything before the fully connected head, giving {batch, features}.
  torch::Tensor Features(const torch::Tensor& x);
  // The head; `linear` (if set) computes each linear layer instead of its module.
  torch::Tensor Head(torch::Tensor x, const LinearFn& linear);

  const std::vector<torch::nn::Linear>& linears() const { return linears_; }
  const std::vector<torch::nn::Conv2d>& convs() const { return convs_; }
  Activation activation() const { return activation_; }

  // The parameterised layers in order (conv blocks, recurrent layers one per
  // stacked layer, linears), each as its parameters: what freeze_layers counts.
  std::vector<std::vector<torch::Tensor>> Layers() const;

 private:
  torch::Tensor Activate(const torch::Tensor& x) const;
  // One conv block after its convolution: activation and 2x2 max pooling.
  torch::Tensor ConvBlock(const torch::Tensor& conv_out) const;

  std::vector<std::int64_t> input_shape_;  // one example, as the network reads it
  Activation activation_;
  double dropout_;
  std::int64_t recurrent_layers_ = 0;
  std::vector<torch::nn::Conv2d> convs_;
  torch::nn::GRU gru_{nullptr};
  torch::nn::LSTM lstm_{nullptr};
  std::vector<torch::nn::Linear> linears_;
};
TORCH_MODULE(Network);

// The number of parameters with requires_grad.
std::int64_t TrainableParameters(const NetworkImpl& network);

}  // namespace syllo::learners

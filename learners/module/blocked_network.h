// A relu CNN (conv blocks of convolution, relu and 2x2 max pooling, then a
// fully connected head) for batched inference in oneDNN's memory layouts.
// The weights are reordered into those layouts once, when the model is
// opened; the activations stay in the blocked layout from the first
// convolution to the last pooling, and the head's linears run in oneDNN (on
// LibTorch's threads, where the dense path's sgemm runs on one thread: the
// module keeps OpenBLAS single-threaded). For one or a few examples the dense
// path is faster (reordering the input and output then costs more than it
// saves), so the caller picks by batch size.
//
// Thread safety: Features and Head only read the prepared weights.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <ATen/ATen.h>

namespace syllo::learners {

// A convolution (stride 1, dilation 1, `padding` on each side) or a linear layer.
struct WeightedLayer {
  at::Tensor weight;  // conv {out, in, k, k} / linear {out, in}, dense float
  at::Tensor bias;    // {out}
  std::int64_t padding = 0;
};

class BlockedNetwork {
 public:
  // nullopt when this LibTorch was built without oneDNN.
  static std::optional<BlockedNetwork> Prepare(const std::vector<WeightedLayer>& convs,
                                               const std::vector<WeightedLayer>& linears);

  // x: {n, channels, height, width}, dense float -> {n, features}, dense: the
  // conv blocks' output, as the dense path computes it (up to float rounding).
  at::Tensor Features(const at::Tensor& x) const;
  // features {n, features}, dense -> logits {n, classes}, dense: the head's
  // linears with relu between them (dropout does nothing in inference).
  at::Tensor Head(const at::Tensor& features) const;

 private:
  std::vector<WeightedLayer> convs_;    // weights in oneDNN's blocked layout
  std::vector<WeightedLayer> linears_;  // weights and biases as oneDNN tensors
};

}  // namespace syllo::learners

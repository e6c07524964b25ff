#include "learners/module/blocked_network.h"

namespace syllo::learners {
namespace {

constexpr std::int64_t kOnes[2] = {1, 1};  // stride and dilation

}  // namespace

std::optional<BlockedNetwork> BlockedNetwork::Prepare(const std::vector<WeightedLayer>& convs,
                                                      const std::vector<WeightedLayer>& linears) {
  if (!at::hasMKLDNN()) return std::nullopt;
  BlockedNetwork net;
  for (const WeightedLayer& conv : convs) {
    const std::int64_t padding[2] = {conv.padding, conv.padding};
    net.convs_.push_back(WeightedLayer{
        at::mkldnn_reorder_conv2d_weight(conv.weight.contiguous().to_mkldnn(), padding, kOnes, kOnes, 1),
        conv.bias.contiguous(), conv.padding});
  }
  for (const WeightedLayer& linear : linears) {
    net.linears_.push_back(
        WeightedLayer{linear.weight.contiguous().to_mkldnn(), linear.bias.contiguous().to_mkldnn(), 0});
  }
  return net;
}

at::Tensor BlockedNetwork::Features(const at::Tensor& x) const {
  at::Tensor y = x.contiguous().to_mkldnn();
  for (const WeightedLayer& conv : convs_) {
    const std::int64_t padding[2] = {conv.padding, conv.padding};
    y = at::mkldnn_convolution(y, conv.weight, conv.bias, padding, kOnes, kOnes, 1);
    // Pooling first, then relu on a quarter of the values: the same result,
    // as relu(max(a, b)) = max(relu(a), relu(b)). oneDNN's pooling keeps no
    // argmax indices.
    y = at::relu(at::max_pool2d(y, {2, 2}));
  }
  return y.to_dense().flatten(1);
}

at::Tensor BlockedNetwork::Head(const at::Tensor& features) const {
  at::Tensor y = features.contiguous().to_mkldnn();
  for (std::size_t i = 0; i < linears_.size(); ++i) {
    y = at::mkldnn_linear(y, linears_[i].weight, linears_[i].bias);
    if (i + 1 < linears_.size()) y = at::relu(y);
  }
  return y.to_dense();
}

}  // namespace syllo::learners

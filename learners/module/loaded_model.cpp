#include "learners/module/loaded_model.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "learners/module/blocked_network.h"
#include "learners/module/design_check.h"
#include "learners/module/network.h"
#include "learners/module/quantized_linear.h"
#include "learners/module/torch_errors.h"
#include "learners/module/weights.h"

namespace syllo::learners {
namespace {

class TorchModel final : public engine::LoadedModel {
 public:
  static constexpr std::int64_t kChunk = 256;
  // From this many examples a relu CNN runs in oneDNN's layouts (blocked_network.h).
  static constexpr std::int64_t kBlockedMinBatch = 8;

  TorchModel(engine::ModelDesign design, Network network, std::vector<QuantizedLinear> quantized,
             std::optional<BlockedNetwork> blocked)
      : design_(std::move(design)),
        network_(std::move(network)),
        quantized_(std::move(quantized)),
        blocked_(std::move(blocked)),
        example_size_(InputElements(design_)),
        input_shape_(NetworkInputShape(design_)),
        context_("model " + design_.name + ": prediction failed") {
    if (!quantized_.empty()) {
      quantized_head_ = [this](std::size_t i, const torch::Tensor& x) { return quantized_[i].Forward(x); };
    }
  }

  Status Predict(std::span<const float> features, std::int64_t count, std::vector<float>* out) override {
    return Guard(StatusCode::kInternal, context_, [&]() -> Status {
      if (count < 0 || features.size() != static_cast<std::size_t>(count * example_size_)) {
        return Status::InvalidArgument("model " + design_.name + ": " + std::to_string(features.size()) +
                                       " feature values are not " + std::to_string(count) + " examples of " +
                                       std::to_string(example_size_));
      }
      out->resize(static_cast<std::size_t>(count * design_.classes));
      if (count == 0) return Status::Ok();
      c10::InferenceMode inference;
      // A large batch runs in chunks: the activations of a chunk stay small
      // enough to be reused from the heap and to fit the caches, where one
      // pass over 10,000 photos would map and fault in a gigabyte each time.
      for (std::int64_t start = 0; start < count; start += kChunk) {
        const std::int64_t n = std::min(kChunk, count - start);
        // from_blob wants a mutable pointer; the caller's features are only read.
        const torch::Tensor x = torch::from_blob(const_cast<float*>(features.data()) + start * example_size_,
                                                 {n, example_size_}, torch::kFloat);
        const torch::Tensor probabilities = torch::softmax(Logits(x, n), 1).contiguous();
        std::memcpy(out->data() + start * design_.classes, probabilities.data_ptr<float>(),
                    static_cast<std::size_t>(n * design_.classes) * sizeof(float));
      }
      return Status::Ok();
    });
  }

  const engine::ModelDesign& design() const override { return design_; }
  bool quantized() const override { return !quantized_.empty(); }

 private:
  torch::Tensor Logits(const torch::Tensor& x, std::int64_t n) {
    if (!blocked_ || n < kBlockedMinBatch) return network_->Head(network_->Features(x), quantized_head_);
    const torch::Tensor features = blocked_->Features(x.view({n, input_shape_[0], input_shape_[1], input_shape_[2]}));
    // An int8 head stays int8; a float one runs in oneDNN too.
    return quantized_.empty() ? blocked_->Head(features) : network_->Head(features, quantized_head_);
  }

  const engine::ModelDesign design_;
  Network network_;  // eval mode: forward does not mutate it
  const std::vector<QuantizedLinear> quantized_;  // one per head linear, or none
  NetworkImpl::LinearFn quantized_head_;
  const std::optional<BlockedNetwork> blocked_;  // a relu CNN, when oneDNN is there
  const std::int64_t example_size_;
  const std::vector<std::int64_t> input_shape_;
  const std::string context_;
};

}  // namespace

Result<std::unique_ptr<engine::LoadedModel>> OpenModel(const engine::ModelDesign& design, std::string_view weights,
                                                       bool quantized) {
  if (Status s = CheckModelDesign(design); !s.ok()) return s;
  Network network(design);
  if (Status s = LoadWeights(design, weights, *network); !s.ok()) return s;
  network->eval();
  for (auto& p : network->parameters()) p.set_requires_grad(false);
  std::vector<QuantizedLinear> linears;
  if (quantized) {
    Result<std::string> engine = SelectQuantizedEngine();
    if (!engine.ok()) return engine.status();
    for (const auto& linear : network->linears()) {
      linears.emplace_back(linear->weight, linear->bias);
      // The point of quantising: make sure the engine kept int8 weights.
      if (linears.back().QuantizedWeight().scalar_type() != torch::kQInt8) {
        return Status::Internal("model " + design.name + ": the " + *engine +
                                " engine did not keep the linear weights as int8");
      }
    }
  }
  std::optional<BlockedNetwork> blocked;
  if (!network->convs().empty() && network->activation() == Activation::kRelu) {
    std::vector<WeightedLayer> convs, head;
    for (std::size_t b = 0; b < network->convs().size(); ++b) {
      const torch::nn::Conv2d& conv = network->convs()[b];
      convs.push_back(WeightedLayer{conv->weight, conv->bias, CnnKernel(design, b) / 2});
    }
    for (const auto& linear : network->linears()) head.push_back(WeightedLayer{linear->weight, linear->bias, 0});
    blocked = BlockedNetwork::Prepare(convs, head);
  }
  return std::unique_ptr<engine::LoadedModel>(
      std::make_unique<TorchModel>(design, std::move(network), std::move(linears), std::move(blocked)));
}

}  // namespace syllo::learners

#include "learners/module/quantized_linear.h"

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <mutex>

namespace syllo::learners {
namespace {

using PrepackFn = c10::intrusive_ptr<LinearPackedParamsBase>(at::Tensor, c10::optional<at::Tensor>);

bool Supports(at::QEngine engine) {
  const auto& engines = at::globalContext().supportedQEngines();
  return std::find(engines.begin(), engines.end(), engine) != engines.end();
}

std::string EngineName(at::QEngine engine) {
  switch (engine) {
    case at::QEngine::QNNPACK: return "qnnpack";
    case at::QEngine::ONEDNN: return "onednn";
    case at::QEngine::FBGEMM: return "fbgemm";
    default: return "none";
  }
}

}  // namespace

std::string SupportedQuantizedEngines() {
  std::string names;
  for (at::QEngine engine : at::globalContext().supportedQEngines()) {
    if (engine == at::QEngine::NoQEngine) continue;
    if (!names.empty()) names += ' ';
    names += EngineName(engine);
  }
  return names.empty() ? "none" : names;
}

Result<std::string> SelectQuantizedEngine() {
  // ONEDNN is the x86 engine; QNNPACK (built for ARM) also runs on x86.
  for (at::QEngine engine : {at::QEngine::ONEDNN, at::QEngine::FBGEMM, at::QEngine::QNNPACK}) {
    if (Supports(engine)) {
      if (at::globalContext().qEngine() != engine) at::globalContext().setQEngine(engine);
      return EngineName(engine);
    }
  }
  return Status::NotFound("this LibTorch has no quantised engine (supported: " + SupportedQuantizedEngines() + ")");
}

QuantizedLinear::QuantizedLinear(const at::Tensor& weight, const at::Tensor& bias) {
  // Symmetric per-channel int8: each output row gets the scale of its own
  // largest weight, so one large row does not flatten the others.
  const at::Tensor w = weight.detach().contiguous();
  const at::Tensor scales = (w.abs().amax({1}) / 127.0).clamp_min(1e-8).to(at::kDouble);
  const at::Tensor zero_points = at::zeros({w.size(0)}, at::kLong);
  const at::Tensor qweight = at::quantize_per_channel(w, scales, zero_points, 0, at::kQInt8);
  static const auto prepack =
      c10::Dispatcher::singleton().findSchemaOrThrow("quantized::linear_prepack", "").typed<PrepackFn>();
  packed_ = prepack.call(qweight, bias.defined() ? c10::optional<at::Tensor>(bias.detach().contiguous())
                                                 : c10::optional<at::Tensor>());
}

at::Tensor QuantizedLinear::QuantizedWeight() const { return std::get<0>(packed_->unpack()); }

}  // namespace syllo::learners

// A trained network ready for inference: eval mode, InferenceMode, softmax
// probabilities; optionally with its linear layers quantised to int8
// (quantized_linear.h). Conv and recurrent layers stay float.
//
// Thread safety: Predict may be called from several threads at once; nothing
// in the model changes after OpenModel returns.
#pragma once

#include <memory>
#include <string_view>

#include "engine/neural_backend.h"
#include "syllo/status.h"

namespace syllo::learners {

// InvalidArgument for a bad design, Corruption for weights that do not fit it,
// NotFound when `quantized` and this LibTorch has no quantised engine.
Result<std::unique_ptr<engine::LoadedModel>> OpenModel(const engine::ModelDesign& design, std::string_view weights,
                                                       bool quantized);

}  // namespace syllo::learners

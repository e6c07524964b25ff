// Checks a ModelDesign before any tensor exists: the shapes flow through the
// architecture without reaching zero, names are ones the module knows, and the
// hyperparameters are in range. No LibTorch here, so it compiles in a second.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/neural_backend.h"
#include "syllo/status.h"

namespace syllo::learners {

// InvalidArgument naming the model and the first problem found.
Status CheckModelDesign(const engine::ModelDesign& design);

// The number of values in one example: the product of design.input.
std::int64_t InputElements(const engine::ModelDesign& design);

// One example's shape as the network consumes it: {n} for mlp (the input
// flattened), {c, h, w} for cnn ({h, w} gains c = 1), {steps, n} for rnn.
// REQUIRES: CheckModelDesign(design).ok()
std::vector<std::int64_t> NetworkInputShape(const engine::ModelDesign& design);

// The cnn's kernel size for conv block `block` (one value: the same for all).
// REQUIRES: CheckModelDesign(design).ok()
std::int64_t CnnKernel(const engine::ModelDesign& design, std::size_t block);

// The size of the flattened conv feature map feeding the first linear layer.
// REQUIRES: CheckModelDesign(design).ok(), design.architecture == "cnn"
std::int64_t CnnFlatSize(const engine::ModelDesign& design);

// Whether the architecture is a recurrent one (gru, lstm).
bool IsRecurrent(const engine::ModelDesign& design);

}  // namespace syllo::learners

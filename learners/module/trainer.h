// Training a network from a TrainRequest: mini-batch gradient descent on the
// cross-entropy, with the design's optimiser and schedule, validation and early
// stopping, fine-tuning from initial weights with frozen leading layers.
//
// Deterministic: the same request gives the same weights bit for bit on the
// same machine with the same number of threads (initialisation and dropout
// from torch::manual_seed(seed), shuffling from its own generator).
//
// Thread safety: one training at a time per process (it seeds LibTorch's
// global generator).
#pragma once

#include "engine/neural_backend.h"
#include "syllo/status.h"

namespace syllo::learners {

// InvalidArgument for bad data (shapes, labels, NaN/Inf naming the example),
// Corruption for initial weights of another design, Cancelled when
// request.cancel is set (checked before every batch).
Result<engine::TrainResult> TrainModel(const engine::TrainRequest& request);

}  // namespace syllo::learners

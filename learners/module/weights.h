// A network's weights as an opaque byte string: its named parameters and
// buffers in a LibTorch archive (the zip format torch::save writes), plus the
// architecture's name so that a model's weights loaded into another design say
// so. Loading checks every tensor's name, shape and type against the design.
//
// Thread safety: SaveWeights reads the module; LoadWeights writes it (not
// concurrently with anything else using it).
#pragma once

#include <string>
#include <string_view>

#include "engine/neural_backend.h"
#include "learners/module/network.h"
#include "syllo/status.h"

namespace syllo::learners {

std::string SaveWeights(const engine::ModelDesign& design, const NetworkImpl& network);

// Copies the blob's tensors into `network`. A blob that is not an archive, or
// whose tensors differ from the design's, is Corruption("the weights of model
// NAME do not match its design: ..."); `network` may then be partly written.
Status LoadWeights(const engine::ModelDesign& design, std::string_view weights, NetworkImpl& network);

}  // namespace syllo::learners

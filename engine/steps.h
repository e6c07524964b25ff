// The tests a Rete node runs on one fact or one frame: an alpha node's
// constants, repeated columns and single-fact tests; a join's or a filter's
// steps (comparisons, assignments, set membership, text tests). Shared by the
// Rete session and the bottom-up evaluator, so both decide a match alike.
//
// Thread safety: reentrant.
#pragma once

#include <span>
#include <vector>

#include "engine/rete_network.h"

namespace syllo::engine {

// Runs a host predicate used as a test (a kCall step) for its caller, passed
// back as `context`. Null: such a step fails.
using HostTest = bool (*)(const void* context, const Step& step, std::span<const Value> frame);

// Runs the steps in order on `frame`: false as soon as a test fails or an
// expression has no value; assignments write their slot.
bool RunSteps(const std::vector<Step>& steps, std::span<Value> frame, const void* context = nullptr,
              HostTest host_test = nullptr);

// Whether a fact's row passes the alpha node's constants, equalities and tests.
bool AlphaPasses(const AlphaNode& alpha, std::span<const Value> row, const void* context = nullptr,
                 HostTest host_test = nullptr);

}  // namespace syllo::engine

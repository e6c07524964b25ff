// Fact identity, certainty and origin: what every stored tuple carries besides its values.
#pragma once

#include <cstdint>
#include <string_view>

namespace syllo::engine {

// Where a fact came from; explanations stop at every origin but kDerived.
enum class Origin : std::uint8_t {
  kAsserted = 0,  // written in a program, imported, or asserted by an action
  kDerived = 1,   // concluded by a logical rule (has a justification)
  kUser = 2,      // an answer given during a consultation
  kModel = 3,     // a prediction of a neural predicate
};

std::string_view OriginName(Origin origin);
// False if `text` names no origin.
bool ParseOrigin(std::string_view text, Origin* out);

// Index of a fact within its relation. An erased fact's id is reused only when
// its owner says nothing holds it any more (Relation::Recycle).
using FactId = std::uint32_t;
inline constexpr FactId kNoFact = UINT32_MAX;

}  // namespace syllo::engine

// FNV-1a, 64-bit: the fingerprint recorded with each loaded rule pack so a changed
// pack shows in `syllo kb stats`. Not cryptographic: it detects accidental change,
// not tampering.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace syllo::kb {

std::uint64_t Fnv1a64(std::string_view data);
// "fnv1a64:" followed by 16 lowercase hex digits: the algorithm is part of the
// stored text so a stronger hash can be added later without ambiguity.
std::string Fnv1a64Hex(std::string_view data);

}  // namespace syllo::kb

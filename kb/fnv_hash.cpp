#include "kb/fnv_hash.h"

namespace syllo::kb {

std::uint64_t Fnv1a64(std::string_view data) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // offset basis
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;  // FNV prime
  }
  return h;
}

std::string Fnv1a64Hex(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t h = Fnv1a64(data);
  std::string s = "fnv1a64:";
  for (int shift = 60; shift >= 0; shift -= 4) s += kHex[(h >> shift) & 0xf];
  return s;
}

}  // namespace syllo::kb

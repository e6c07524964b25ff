// Backward-shift deletion for open-addressing tables with linear probing.
//
// Emptying a slot in the middle of a probe run would cut the run short for
// the entries after it; instead each later entry of the run whose home slot
// is not cyclically in (hole, its slot] moves up into the hole, which moves
// on, until the run ends. Shared by the tables that keep their own layout
// (a relation's dedup set, the symbol table's text index).
#pragma once

#include <cstddef>

namespace syllo::engine {

// Empties slot `hole` of a table of mask + 1 slots (a power of two).
// is_empty(j): slot j holds nothing; home(j): the slot its entry hashes to;
// move(from, to): slot `to` takes slot `from`'s entry; clear(j): empties j.
template <typename IsEmpty, typename Home, typename Move, typename Clear>
void BackwardShiftErase(std::size_t hole, std::size_t mask, IsEmpty&& is_empty, Home&& home, Move&& move,
                        Clear&& clear) {
  for (std::size_t j = hole;;) {
    j = (j + 1) & mask;
    if (is_empty(j)) break;
    const std::size_t h = home(j);
    const bool between = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
    if (!between) {
      move(j, hole);
      hole = j;
    }
  }
  clear(hole);
}

}  // namespace syllo::engine

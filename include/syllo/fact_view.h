// FactView: a fact of a session's working memory read where it is, without
// copying it into a syllo::Fact: what a decision service reads its answers
// with (Session::ForEachFact). A view is valid only inside the callback that
// was given it.
//
// The accessors read one column. Asking a column for another kind than it
// holds (as_int of a string) throws std::invalid_argument naming the column
// and both kinds; a column past size() throws std::out_of_range.
//
// Thread safety: as its Session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "syllo/value.h"

namespace syllo {

class FactView {
 public:
  std::size_t size() const { return size_; }
  double certainty() const { return certainty_; }
  Value::Kind kind(std::size_t column) const;
  std::int64_t as_int(std::size_t column) const;
  double as_float(std::size_t column) const;
  bool as_bool(std::size_t column) const;
  // The name of a symbol or the text of a string.
  std::string_view text(std::size_t column) const;
  // The column as a Value, as Session::Facts gives it (a copy).
  Value value(std::size_t column) const;

 private:
  friend class Session;
  FactView() = default;
  const void* row_ = nullptr;  // the engine's values, size_ of them
  std::size_t size_ = 0;
  double certainty_ = 1.0;
  mutable std::string scratch_;  // text() of a fact handle, spelled out
};

}  // namespace syllo

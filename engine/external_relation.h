// ExternalRelation: facts the solver reads without loading them into the working
// memory (a knowledge-base table too large to load). Lookups give the bound
// columns; the implementation turns them into an indexed query (kb/ pushes them
// down to SQLite as a prepared `WHERE col = ? AND ...`).
//
// Thread safety: none; one per solver.
#pragma once

#include <span>
#include <vector>

#include "engine/fact.h"
#include "engine/relation.h"
#include "engine/value.h"
#include "syllo/status.h"

namespace syllo::engine {

struct ExternalRows {
  std::vector<Value> values;  // row-major, `arity` values a row
  std::vector<double> certainty;
  std::vector<Origin> origin;
  std::size_t size() const { return certainty.size(); }
  void clear() { values.clear(); certainty.clear(); origin.clear(); }
};

class ExternalRelation {
 public:
  virtual ~ExternalRelation() = default;
  // Appends to *out the rows whose columns in `mask` equal `key` (one value per
  // set bit, in column order). An I/O error is returned, never swallowed.
  virtual Status Lookup(ColumnMask mask, std::span<const Value> key, ExternalRows* out) = 0;
};

}  // namespace syllo::engine

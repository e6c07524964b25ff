// Facts as JSON lines: one object per line whose keys are the relation's column
// names, plus optional "cf" (a number in [-1, 1]) and "origin" ("asserted",
// "derived", "user" or "model"). Symbols and strings are JSON strings, bools are
// true/false, tensors are nested arrays with the declared shape. Blank lines are
// skipped; a UTF-8 byte-order mark and CRLF line ends are accepted.
//
// The reader and writer are made through fact_io.h (MakeJsonLinesFactReader /
// MakeJsonLinesFactWriter); this header only documents the format.
#pragma once

#include "kb/fact_io.h"

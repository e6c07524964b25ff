// libedit, opened the first time a terminal session starts (dlopen) rather
// than linked: a script, a pipe or `syllo run` never edits a line, and
// linking it maps libedit, libtinfo, libbsd and libmd (~370 KiB resident)
// into every run of syllo before main.
//
// The declarations come from <histedit.h>; only the functions the line editor
// calls are looked up.
//
// Thread safety: Get() may be called from any thread (the first call opens).
#pragma once

#include <histedit.h>

#include <string>

namespace syllo::repl {

struct LibEdit {
  decltype(&::el_init) el_init;
  decltype(&::el_end) el_end;
  decltype(&::el_set) el_set;
  decltype(&::el_get) el_get;
  decltype(&::el_gets) el_gets;
  decltype(&::el_line) el_line;
  decltype(&::el_insertstr) el_insertstr;
  decltype(&::el_source) el_source;
  decltype(&::history_init) history_init;
  decltype(&::history_end) history_end;
  decltype(&::history) history;

  // The library's functions, or null with why (which library, what dlopen
  // or dlsym said) in *error. Opened once; later calls give the same answer.
  static const LibEdit* Get(std::string* error);
};

}  // namespace syllo::repl

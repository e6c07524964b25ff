#include "repl/libedit.h"

#include <dlfcn.h>

#include <string>
#include <type_traits>

namespace syllo::repl {

namespace {

// The runtime library of Debian's libedit2 (the -dev package's libedit.so
// is a link to it, and is not installed where only the runtime is).
constexpr const char* kLibrary = "libedit.so.2";

struct Opened {
  LibEdit functions{};
  bool ok = false;
  std::string error;
};

Opened Open() {
  Opened o;
  void* handle = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    o.error = why != nullptr ? why : std::string("cannot open ") + kLibrary;
    return o;
  }
  bool missing = false;
  auto find = [&](auto& slot, const char* name) {
    if (missing) return;
    void* symbol = dlsym(handle, name);
    if (symbol == nullptr) {
      o.error = std::string(kLibrary) + " has no " + name;
      missing = true;
      return;
    }
    slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(symbol);
  };
  LibEdit& f = o.functions;
  find(f.el_init, "el_init");
  find(f.el_end, "el_end");
  find(f.el_set, "el_set");
  find(f.el_get, "el_get");
  find(f.el_gets, "el_gets");
  find(f.el_line, "el_line");
  find(f.el_insertstr, "el_insertstr");
  find(f.el_source, "el_source");
  find(f.history_init, "history_init");
  find(f.history_end, "history_end");
  find(f.history, "history");
  // Kept open when it works: the editor's callbacks live for the process.
  if (missing) {
    dlclose(handle);
    return o;
  }
  o.ok = true;
  return o;
}

}  // namespace

const LibEdit* LibEdit::Get(std::string* error) {
  static const Opened opened = Open();  // once, thread-safe
  if (!opened.ok) {
    if (error != nullptr) *error = opened.error;
    return nullptr;
  }
  return &opened.functions;
}

}  // namespace syllo::repl

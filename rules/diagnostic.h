// Diagnostics are data: the parser and checker collect them and keep going, so
// one run shows every problem. Render() prints each as
//
//   file:line:col: error: message
//     the source line
//     ^
//
// Thread safety: values.
#pragma once

#include <string>
#include <vector>

#include "rules/source.h"

namespace syllo::rules {

enum class Severity { kError, kWarning, kNote };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourcePos pos;
  std::string message;
};

class Diagnostics {
 public:
  void Error(SourcePos pos, std::string message) { Add(Severity::kError, pos, std::move(message)); }
  void Warning(SourcePos pos, std::string message) { Add(Severity::kWarning, pos, std::move(message)); }
  void Note(SourcePos pos, std::string message) { Add(Severity::kNote, pos, std::move(message)); }
  void Add(Severity severity, SourcePos pos, std::string message) {
    items_.push_back({severity, pos, std::move(message)});
  }

  const std::vector<Diagnostic>& items() const { return items_; }
  bool has_errors() const;
  std::size_t error_count() const;
  std::size_t warning_count() const;
  bool empty() const { return items_.empty(); }
  // Orders by file, line, column (stable), which is how they are shown. A note
  // stays right after the diagnostic that was added just before it.
  void Sort();

 private:
  std::vector<Diagnostic> items_;
};

// Renders one diagnostic with its source line and a caret. `color` adds ANSI
// colours (the caller decides: only on a terminal and never with NO_COLOR).
std::string Render(const SourceSet& sources, const Diagnostic& d, bool color = false);
// Renders all, then a closing line such as "2 errors, 1 warning" when any.
std::string RenderAll(const SourceSet& sources, const Diagnostics& diags, bool color = false);

}  // namespace syllo::rules

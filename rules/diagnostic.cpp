#include "rules/diagnostic.h"

#include <algorithm>
#include <vector>

namespace syllo::rules {

bool Diagnostics::has_errors() const { return error_count() > 0; }

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(
      std::count_if(items_.begin(), items_.end(), [](const Diagnostic& d) { return d.severity == Severity::kError; }));
}

std::size_t Diagnostics::warning_count() const {
  return static_cast<std::size_t>(std::count_if(
      items_.begin(), items_.end(), [](const Diagnostic& d) { return d.severity == Severity::kWarning; }));
}

void Diagnostics::Sort() {
  // A note belongs to the diagnostic added just before it (an error's
  // "previously declared here"), so notes travel with it: sort the groups by
  // their leading diagnostic, keep each group's order.
  struct Group {
    std::size_t begin, end;
  };
  std::vector<Group> groups;
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (items_[i].severity == Severity::kNote && !groups.empty()) {
      groups.back().end = i + 1;
    } else {
      groups.push_back({i, i + 1});
    }
  }
  std::stable_sort(groups.begin(), groups.end(), [this](const Group& ga, const Group& gb) {
    const SourcePos& a = items_[ga.begin].pos;
    const SourcePos& b = items_[gb.begin].pos;
    if (a.file != b.file) return a.file < b.file;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
  std::vector<Diagnostic> sorted;
  sorted.reserve(items_.size());
  for (const Group& g : groups) {
    for (std::size_t i = g.begin; i < g.end; ++i) sorted.push_back(std::move(items_[i]));
  }
  items_ = std::move(sorted);
}

// Replaces bytes that are not valid UTF-8 (and control characters other than
// tab) with '?', so a diagnostic on binary input never garbles a terminal.
static std::string Printable(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  std::size_t i = 0;
  while (i < line.size()) {
    auto c = static_cast<unsigned char>(line[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool valid = len > 0 && i + len <= line.size();
    for (std::size_t k = 1; valid && k < len; ++k) {
      valid = (static_cast<unsigned char>(line[i + k]) & 0xC0) == 0x80;
    }
    if (!valid) {
      out += '?';
      ++i;
    } else if (len == 1 && (c < 0x20 || c == 0x7F) && c != '\t') {
      out += '?';
      ++i;
    } else {
      out.append(line.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string Render(const SourceSet& sources, const Diagnostic& d, bool color) {
  const char* label = d.severity == Severity::kError ? "error" : d.severity == Severity::kWarning ? "warning" : "note";
  const char* label_color = d.severity == Severity::kError ? "\033[1;31m" : d.severity == Severity::kWarning ? "\033[1;35m" : "\033[1;36m";
  std::string out;
  if (color) out += "\033[1m";
  out += sources.Describe(d.pos) + ": ";
  if (color) out += std::string("\033[0m") + label_color;
  out += label;
  out += ": ";
  if (color) out += "\033[0m\033[1m";
  out += d.message;
  if (color) out += "\033[0m";
  out += '\n';
  if (d.pos.known() && d.pos.file < sources.size()) {
    std::string line = Printable(sources.Line(d.pos.file, d.pos.line));
    std::uint32_t caret = d.pos.column;
    // A long line (minified or generated input) is shown as a window around
    // the caret, so a thousand errors on one huge line stay readable.
    constexpr std::uint32_t kHalfWindow = 80;
    std::vector<std::size_t> starts;  // byte offset of each code point
    for (std::size_t i = 0; i < line.size(); ++i) {
      if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) starts.push_back(i);
    }
    if (starts.size() > 2 * kHalfWindow) {
      std::size_t first = caret > kHalfWindow ? caret - kHalfWindow : 0;  // code point index
      std::size_t last = std::min(starts.size(), first + 2 * kHalfWindow);
      std::string window = first > 0 ? "..." : "";
      std::size_t from = starts[std::min(first, starts.size() - 1)];
      std::size_t to = last < starts.size() ? starts[last] : line.size();
      window += line.substr(from, to - from);
      if (last < starts.size()) window += "...";
      caret = caret - static_cast<std::uint32_t>(first) + (first > 0 ? 3 : 0);
      line = std::move(window);
    }
    out += "  " + line + "\n  ";
    // Walk the printable line by code points; keep tabs so the caret lines up.
    std::uint32_t col = 1;
    for (std::size_t i = 0; i < line.size() && col < caret; ++i) {
      auto c = static_cast<unsigned char>(line[i]);
      if ((c & 0xC0) == 0x80) continue;
      out += c == '\t' ? '\t' : ' ';
      ++col;
    }
    if (col < caret) out.append(caret - col, ' ');
    if (color) out += "\033[1;32m";
    out += '^';
    if (color) out += "\033[0m";
    out += '\n';
  }
  return out;
}

std::string RenderAll(const SourceSet& sources, const Diagnostics& diags, bool color) {
  std::string out;
  for (const Diagnostic& d : diags.items()) out += Render(sources, d, color);
  std::size_t errors = diags.error_count(), warnings = diags.warning_count();
  if (errors || warnings) {
    std::string summary;
    if (errors) summary += std::to_string(errors) + (errors == 1 ? " error" : " errors");
    if (warnings) {
      if (!summary.empty()) summary += ", ";
      summary += std::to_string(warnings) + (warnings == 1 ? " warning" : " warnings");
    }
    out += summary + "\n";
  }
  return out;
}

}  // namespace syllo::rules

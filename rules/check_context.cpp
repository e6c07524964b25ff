#include "rules/check_context.h"

#include <algorithm>
#include <cctype>

#include "rules/check_types.h"

namespace syllo::rules {

bool PosBefore(const SourcePos& a, const SourcePos& b) {
  if (a.file != b.file) return a.file < b.file;
  if (a.line != b.line) return a.line < b.line;
  return a.column < b.column;
}

std::string DescribeColumn(const RelationInfo& rel, std::size_t index) {
  return "column '" + rel.columns[index].name + "' of '" + rel.name + "'";
}

std::string CountArguments(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " argument" : " arguments");
}

const RelationInfo* CheckContext::FindRelation(const std::string& name) const {
  auto it = relations_.find(name);
  return it == relations_.end() ? nullptr : &it->second;
}

const RelationInfo* CheckContext::ResolveAtom(const Atom& atom) {
  const RelationInfo* rel = FindRelation(atom.relation);
  if (!rel) {
    diags_.Error(atom.pos, "unknown relation '" + atom.relation + "'");
    return nullptr;
  }
  if (rel->columns.size() != atom.args.size()) {
    diags_.Error(atom.pos, "'" + atom.relation + "' takes " + CountArguments(rel->columns.size()) + ", got " +
                               std::to_string(atom.args.size()));
    return nullptr;
  }
  return rel;
}

void CheckContext::CheckCertainty(double cf, SourcePos pos) {
  if (nonnegative_certainty_) {
    if (!(cf >= 0.0 && cf <= 1.0)) {
      diags_.Error(pos, "certainty " + NumberText(cf) + " is outside [0, 1] (semantics " + semantics_ + ")");
    }
  } else if (!(cf >= -1.0 && cf <= 1.0)) {
    diags_.Error(pos, "certainty " + NumberText(cf) + " is outside [-1, 1]");
  }
}

static bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

SourcePos CheckContext::FindToken(SourcePos from, std::string_view token, std::size_t limit,
                                  bool inside_strings) const {
  if (!from.known() || from.file >= sources_.size() || token.empty()) return from;
  const SourceFile& f = sources_.file(from.file);
  if (from.line > f.line_starts.size()) return from;
  // Byte offset of `from`: columns count code points.
  std::size_t offset = f.line_starts[from.line - 1];
  for (std::uint32_t col = 1; offset < f.text.size() && col < from.column; ++col) {
    ++offset;
    while (offset < f.text.size() && (static_cast<unsigned char>(f.text[offset]) & 0xC0) == 0x80) ++offset;
  }
  std::string_view text(f.text);
  std::size_t end = std::min(text.size(), offset + limit);
  bool word = IsWordChar(token.front());
  bool in_string = false;
  for (std::size_t i = offset; i < end; ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
        continue;
      }
      if (c == '"') {
        in_string = false;
        continue;
      }
      if (!inside_strings) continue;
    } else if (c == '"') {
      in_string = true;
      continue;
    } else if (c == '%' || (c == '/' && i + 1 < end && text[i + 1] == '/')) {
      while (i < end && text[i] != '\n') ++i;
      continue;
    } else if (c == '/' && i + 1 < end && text[i + 1] == '*') {
      std::size_t close = text.find("*/", i + 2);
      if (close == std::string_view::npos) break;
      i = close + 1;
      continue;
    }
    if (text.compare(i, token.size(), token) != 0) continue;
    if (word && ((i > 0 && IsWordChar(text[i - 1])) ||
                 (i + token.size() < text.size() && IsWordChar(text[i + token.size()])))) {
      continue;
    }
    return sources_.PosAt(from.file, i);
  }
  return from;
}

}  // namespace syllo::rules

namespace syllo::rules {

std::vector<TemplateHole> TemplateHoles(std::string_view text) {
  std::vector<TemplateHole> holes;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{' || i + 1 >= text.size()) continue;
    char first = text[i + 1];
    if (!(std::isupper(static_cast<unsigned char>(first)) || first == '_')) continue;
    std::size_t j = i + 1;
    while (j < text.size() && IsWordChar(text[j])) ++j;
    if (j >= text.size() || text[j] != '}') continue;
    std::string name(text.substr(i + 1, j - i - 1));
    if (name == "_") continue;
    holes.push_back({std::move(name), i});
    i = j;
  }
  return holes;
}

}  // namespace syllo::rules

// CheckContext: what every pass of the checker shares — the diagnostics sink,
// the table of declared relations, and the program-wide settings that change
// what is valid (the certainty semantics).
//
// Thread safety: one context per Check() call; not shared.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rules/ast.h"
#include "rules/diagnostic.h"
#include "rules/source.h"

namespace syllo::rules {

struct RelationInfo {
  std::string name;
  SourcePos pos;
  std::vector<ColumnDecl> columns;  // a neural relation: its inputs, then its output symbol column
  bool neural = false;
  // A Lua predicate: columns are its inputs then its outputs. A body literal
  // calls it once the first `inputs` arguments are bound.
  bool function = false;
  std::size_t inputs = 0;
};

class CheckContext {
 public:
  CheckContext(const SourceSet& sources, Diagnostics& diags) : sources_(sources), diags_(diags) {}

  const SourceSet& sources() const { return sources_; }
  Diagnostics& diags() { return diags_; }

  // The first declaration of each relation (relation or neural), by name.
  std::unordered_map<std::string, RelationInfo>& relations() { return relations_; }
  const RelationInfo* FindRelation(const std::string& name) const;
  // Reports an unknown relation or a wrong arity at the atom. Returns the
  // relation only when it is declared and the arity matches, so callers can
  // look at columns by index without further checks.
  const RelationInfo* ResolveAtom(const Atom& atom);

  // Under `probability` and `fuzzy` a certainty is a degree in [0, 1].
  void set_nonnegative_certainty(bool v, std::string semantics) {
    nonnegative_certainty_ = v;
    semantics_ = std::move(semantics);
  }
  // Reports a certainty outside [-1, 1] (or [0, 1]) at `pos`.
  void CheckCertainty(double cf, SourcePos pos);

  // Finds `token` in the source text at or after `from`, skipping strings and
  // comments, as a whole word when it starts with a letter. The AST does not
  // keep the position of every keyword (`cf`, `top`, `threshold`, `{Var}`
  // holes); this puts the caret on them. Returns `from` when not found within
  // `limit` bytes.
  SourcePos FindToken(SourcePos from, std::string_view token, std::size_t limit = 4096,
                      bool inside_strings = false) const;

 private:
  const SourceSet& sources_;
  Diagnostics& diags_;
  std::unordered_map<std::string, RelationInfo> relations_;
  bool nonnegative_certainty_ = false;
  std::string semantics_;
};

// Ordering of positions in the text: file, line, column.
bool PosBefore(const SourcePos& a, const SourcePos& b);

// "column 'age' of 'applicant'"
std::string DescribeColumn(const RelationInfo& rel, std::size_t index);

// "1 argument", "3 arguments"
std::string CountArguments(std::size_t n);

}  // namespace syllo::rules

namespace syllo::rules {

// A `{Var}` hole of a question or print template.
struct TemplateHole {
  std::string name;
  std::size_t offset;  // of the '{' in the decoded text
};
// The `{Var}` holes of a template: a '{', a variable name (uppercase or '_'
// first, not '_' alone), a '}'. Other braces are literal text.
std::vector<TemplateHole> TemplateHoles(std::string_view text);

}  // namespace syllo::rules

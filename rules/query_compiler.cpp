#include "rules/query_compiler.h"

#include <array>

#include "rules/checker.h"
#include "rules/lower.h"

namespace syllo::rules {

namespace {

// What a program held before a statement typed by the user was added to it.
class ProgramMark {
 public:
  explicit ProgramMark(const Program& p)
      : sizes_{p.relations.size(), p.facts.size(), p.rules.size(), p.productions.size(), p.asks.size(),
               p.neurals.size(), p.models.size(), p.imports.size(), p.pragmas.size(), p.queries.size()} {}
  // The statements added since, by kind (same order as the members).
  std::array<std::size_t, 10> Added(const Program& p) const {
    ProgramMark now(p);
    std::array<std::size_t, 10> added{};
    for (std::size_t i = 0; i < added.size(); ++i) added[i] = now.sizes_[i] - sizes_[i];
    return added;
  }
  void Restore(Program& p) const {
    p.relations.resize(sizes_[0]);
    p.facts.resize(sizes_[1]);
    p.rules.resize(sizes_[2]);
    p.productions.resize(sizes_[3]);
    p.asks.resize(sizes_[4]);
    p.neurals.resize(sizes_[5]);
    p.models.resize(sizes_[6]);
    p.imports.resize(sizes_[7]);
    p.pragmas.resize(sizes_[8]);
    p.queries.resize(sizes_[9]);
  }

 private:
  std::array<std::size_t, 10> sizes_;
};

enum StatementIndex { kFactStatement = 1, kQueryStatement = 9 };

// Parses `text` as a file of its own into the program; only the diagnostics of
// that file are kept. True if it parsed and added exactly one statement of kind
// `want`.
bool ParseOne(LoadedProgram& loaded, const std::string& name, const std::string& text, const ProgramMark& mark,
              int want, Diagnostics& diags) {
  Diagnostics saved = std::move(loaded.diagnostics);
  loaded.diagnostics = Diagnostics();
  const FileId file = static_cast<FileId>(loaded.sources.size());
  LoadText(name, text, loaded);
  Diagnostics parsed = std::move(loaded.diagnostics);
  loaded.diagnostics = std::move(saved);
  if (parsed.has_errors()) {
    for (const auto& d : parsed.items()) diags.Add(d.severity, d.pos, d.message);
    return false;
  }
  auto added = mark.Added(loaded.program);
  for (std::size_t i = 0; i < added.size(); ++i) {
    if (added[i] != (static_cast<int>(i) == want ? 1u : 0u)) {
      diags.Error(loaded.sources.PosAt(file, 0), want == kQueryStatement
                                                     ? "expected a goal, as in 'path(a, X), X != b'"
                                                     : "expected a fact, as in 'parent(ann, bob).'");
      return false;
    }
  }
  return true;
}

// Checks the program with the new statement; reports only the new file's findings.
bool CheckNew(LoadedProgram& loaded, FileId file, Diagnostics& diags) {
  Diagnostics checked;
  Check(loaded.sources, loaded.program, checked);
  bool errors = false;
  for (const auto& d : checked.items()) {
    if (d.pos.file != file) continue;  // the program's own warnings were shown when it was loaded
    diags.Add(d.severity, d.pos, d.message);
    errors = errors || d.severity == Severity::kError;
  }
  return !errors;
}

std::string Trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  std::size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::unique_ptr<CompiledQuery> CompileQuery(LoadedProgram& loaded, const std::string& text, Diagnostics& diags,
                                            const std::string& source_name) {
  std::string goal = Trim(text);
  if (goal.rfind("?-", 0) != 0) goal = "?- " + goal;
  if (goal.back() != '.') goal += ".";
  Program& p = loaded.program;
  const ProgramMark mark(p);
  const FileId file = static_cast<FileId>(loaded.sources.size());
  if (!ParseOne(loaded, source_name, goal, mark, kQueryStatement, diags) || !CheckNew(loaded, file, diags)) {
    mark.Restore(p);
    return nullptr;
  }
  // Lower the program with this query as its only one.
  Query query = p.queries.back();
  mark.Restore(p);
  std::vector<Query> saved_queries = std::move(p.queries);
  p.queries.assign(1, query);
  auto spec = Lower(loaded.sources, p);
  p.queries = std::move(saved_queries);
  if (!spec.ok()) {
    diags.Error(loaded.sources.PosAt(file, 0), spec.status().message());
    return nullptr;
  }
  auto out = std::make_unique<CompiledQuery>();
  out->spec = std::move(spec).value();
  out->relation = out->spec->queries.back().relation;
  std::string shown = goal.substr(2, goal.size() - 3);  // without "?-" and "."
  out->spec->queries.back().text = Trim(shown);
  for (const auto& c : out->spec->relations[out->relation].columns) out->variables.push_back(c.name);
  return out;
}

std::optional<engine::FactSpec> CompileFact(LoadedProgram& loaded, const std::string& text, Diagnostics& diags,
                                            const std::string& source_name) {
  std::string fact = Trim(text);
  if (fact.empty() || fact.back() != '.') fact += ".";
  Program& p = loaded.program;
  const ProgramMark mark(p);
  const FileId file = static_cast<FileId>(loaded.sources.size());
  if (!ParseOne(loaded, source_name, fact, mark, kFactStatement, diags) || !CheckNew(loaded, file, diags)) {
    mark.Restore(p);
    return std::nullopt;
  }
  // Lowering turns the fact's constants into values of its columns' kinds.
  std::vector<Query> saved_queries = std::move(p.queries);
  p.queries.clear();
  auto spec = Lower(loaded.sources, p);
  p.queries = std::move(saved_queries);
  mark.Restore(p);
  if (!spec.ok()) {
    diags.Error(loaded.sources.PosAt(file, 0), spec.status().message());
    return std::nullopt;
  }
  return (*spec)->facts.back();
}

}  // namespace syllo::rules

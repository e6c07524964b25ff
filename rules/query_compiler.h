// QueryCompiler: compiles a goal typed by a user (`path(n1, X), not edge(X, n3)`)
// against a loaded program, as the query `?- goal.` read from a source of its
// own, so errors point into what the user typed (`<query>:1:5`).
//
// The result is the program's ProgramSpec with the query's relation (and any
// auxiliary relation it needs) appended: every relation of the program keeps
// its RelationId, so a working memory built for the program serves the query.
//
// Thread safety: none; it appends to the LoadedProgram's sources.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/program.h"
#include "rules/diagnostic.h"
#include "rules/loader.h"

namespace syllo::rules {

struct CompiledQuery {
  std::shared_ptr<engine::ProgramSpec> spec;
  engine::RelationId relation = 0;     // the query's relation: one column per named variable
  std::vector<std::string> variables;  // its columns' names, in order of first occurrence
};

// `text` is the goal with or without the leading `?-` and the final `.`. On
// errors returns null and fills `diags` with the query's diagnostics only.
std::unique_ptr<CompiledQuery> CompileQuery(LoadedProgram& loaded, const std::string& text, Diagnostics& diags,
                                            const std::string& source_name = "<query>");

// A ground fact typed by the user (`p(a, 1).` or `p(a) cf 0.7.`), checked
// against the program's declarations. On errors returns nullopt and fills
// `diags`.
std::optional<engine::FactSpec> CompileFact(LoadedProgram& loaded, const std::string& text, Diagnostics& diags,
                                            const std::string& source_name = "<input>");

}  // namespace syllo::rules

// Reading a knowledge base for a program: the facts the KB holds for the
// program's relations, checked against the program's declarations.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "engine/program.h"
#include "kb/knowledge_base.h"

namespace syllo::kb {

using FactSink = std::function<Status(engine::RelationId, std::span<const engine::Value>, double, engine::Origin)>;

// Calls `sink` for every fact stored for a relation the program declares
// (relations the program does not use are left alone). A stored relation whose
// columns differ from the program's is an error naming both signatures.
// Relations named in `skip` are checked but not read. Facts stored with origin
// `derived` of a relation the program's logical rules conclude are left out:
// the rules conclude them again (with their justifications).
Status ForEachProgramFact(KnowledgeBase& base, const engine::ProgramSpec& program, const FactSink& sink,
                          const std::vector<std::string>& skip = {});

// The program's relations of which the KB holds more than `threshold` facts:
// those a session leaves in SQLite and reads through pushdown lookups.
Result<std::vector<std::string>> LargeRelations(KnowledgeBase& base, const engine::ProgramSpec& program,
                                                std::int64_t threshold);

}  // namespace syllo::kb

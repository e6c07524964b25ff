#include "kb/program_facts.h"

#include <algorithm>

namespace syllo::kb {

Status ForEachProgramFact(KnowledgeBase& base, const engine::ProgramSpec& program, const FactSink& sink,
                          const std::vector<std::string>& skip) {
  auto relations = base.Relations();
  if (!relations.ok()) return relations.status();
  std::vector<std::string> wanted;
  for (const RelationInfo& info : *relations) {
    auto target = program.FindRelation(info.name);
    if (!target) continue;  // the KB may hold relations this program does not use
    if (program.relations[*target].columns != info.columns) {
      return Status::AlreadyExists("relation " +
                                   engine::DescribeSignature(info.name, program.relations[*target].columns) +
                                   " conflicts with " + info.signature + " stored in " + base.path());
    }
    if (std::find(skip.begin(), skip.end(), info.name) == skip.end()) wanted.push_back(info.name);
  }
  if (wanted.empty()) return Status();
  engine::WorkingMemory stored;
  if (Status s = base.LoadInto(stored, skip); !s.ok()) return s;
  for (const std::string& name : wanted) {
    const engine::Relation* rel = stored.Get(name);
    if (rel == nullptr) continue;
    engine::RelationId target = *program.FindRelation(name);
    bool derives = false;
    for (const auto& rule : program.rules) {
      derives = derives || (rule.kind == engine::RuleKind::kLogical && rule.head_relation == target);
    }
    Status status;
    rel->ForEach([&](engine::FactId f) {
      // A derived fact of a relation this program derives is a conclusion its
      // rules draw again: loading it as a fact would count its evidence twice.
      if (derives && rel->origin(f) == engine::Origin::kDerived) return;
      if (status.ok()) status = sink(target, rel->row(f), rel->certainty(f), rel->origin(f));
    });
    if (!status.ok()) return status;
  }
  return Status();
}

Result<std::vector<std::string>> LargeRelations(KnowledgeBase& base, const engine::ProgramSpec& program,
                                                std::int64_t threshold) {
  auto relations = base.Relations();
  if (!relations.ok()) return relations.status();
  std::vector<std::string> out;
  for (const RelationInfo& info : *relations) {
    if (info.fact_count > threshold && program.FindRelation(info.name)) out.push_back(info.name);
  }
  return out;
}

}  // namespace syllo::kb

#include "engine/working_memory.h"

namespace syllo::engine {

std::string DescribeSignature(const std::string& name, const std::vector<Column>& columns) {
  std::string s = name + "(";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i) s += ", ";
    s += columns[i].name + ": " + columns[i].type.ToString();
  }
  return s + ")";
}

Result<RelationId> WorkingMemory::Declare(const std::string& name, std::vector<Column> columns) {
  if (auto it = by_name_.find(name); it != by_name_.end()) {
    const Relation& existing = *relations_[it->second];
    if (existing.columns() == columns) return it->second;
    return Status::AlreadyExists("relation " + DescribeSignature(name, columns) + " conflicts with " +
                                 DescribeSignature(name, existing.columns()));
  }
  if (columns.size() > kMaxColumns) {
    return Status::InvalidArgument("relation " + name + " has more than 64 columns");
  }
  auto id = static_cast<RelationId>(relations_.size());
  relations_.push_back(std::make_unique<Relation>(name, std::move(columns)));
  by_name_.emplace(name, id);
  return id;
}

Relation* WorkingMemory::Get(std::string_view name) {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : relations_[it->second].get();
}

const Relation* WorkingMemory::Get(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : relations_[it->second].get();
}

Result<Relation::InsertResult> WorkingMemory::Assert(std::string_view relation, std::vector<Value> row,
                                                     double certainty, Origin origin) {
  Relation* r = Get(relation);
  if (r == nullptr) return Status::NotFound("unknown relation " + std::string(relation));
  if (Status s = r->Conform(row); !s.ok()) return s;
  return r->Insert(row, certainty, origin);
}

void WorkingMemory::Clear() {
  for (auto& r : relations_) r->Clear();
}

std::size_t WorkingMemory::fact_count() const {
  std::size_t n = 0;
  for (const auto& r : relations_) n += r->size();
  return n;
}

}  // namespace syllo::engine

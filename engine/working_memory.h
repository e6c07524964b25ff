// WorkingMemory: the relations of one session, by name and by dense id.
//
// Thread safety: none; one working memory per session.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/relation.h"

namespace syllo::engine {

using RelationId = std::uint32_t;

class WorkingMemory {
 public:
  // Declares a relation. Declaring the same name again with the same columns
  // returns the existing id; with other columns it is an error naming both.
  Result<RelationId> Declare(const std::string& name, std::vector<Column> columns);

  Relation* Get(std::string_view name);
  const Relation* Get(std::string_view name) const;
  Relation& at(RelationId id) { return *relations_[id]; }
  const Relation& at(RelationId id) const { return *relations_[id]; }
  std::size_t relation_count() const { return relations_.size(); }

  // Conforms and inserts a row; errors name the relation and the column.
  Result<Relation::InsertResult> Assert(std::string_view relation, std::vector<Value> row,
                                        double certainty = 1.0, Origin origin = Origin::kAsserted);

  std::size_t fact_count() const;
  // Removes every fact of every relation; the relations stay declared.
  void Clear();

 private:
  std::vector<std::unique_ptr<Relation>> relations_;
  std::unordered_map<std::string, RelationId> by_name_;
};

// "name(col: type, ...)": how a declaration is shown in messages.
std::string DescribeSignature(const std::string& name, const std::vector<Column>& columns);

}  // namespace syllo::engine

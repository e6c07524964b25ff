// Readers and writers of facts as text, one implementation per format (CSV in
// csv_facts.cpp, JSON lines in json_lines.cpp). The KnowledgeBase drives them:
// it pulls rows from a reader inside its transactions and pushes stored rows to a
// writer on export.
//
// Thread safety: a reader or writer belongs to one thread.
#pragma once

#include <istream>
#include <memory>
#include <ostream>
#include <span>
#include <string>

#include "kb/data_format.h"
#include "kb/knowledge_base.h"

namespace syllo::kb {

// The names under which a row's certainty and origin travel: "cf" and "origin",
// or "_cf" and "_origin" when the relation has a column of that name. Readers
// accept the underscored names in every case.
struct MetaNames {
  std::string cf;
  std::string origin;
};
MetaNames MetaNamesFor(const RelationInfo& relation);

class FactReader {
 public:
  virtual ~FactReader() = default;
  // The next data row, checked against the relation (values, certainty, origin).
  // false at the end. An error message starts with "source:line N".
  virtual Result<bool> Next(FactRow& row) = 0;
};

class FactWriter {
 public:
  virtual ~FactWriter() = default;
  // REQUIRES: row.values conform to the relation.
  virtual void Write(const FactRow& row) = 0;
};

// Both borrow `in`/`out` and `relation`, which must outlive them.
std::unique_ptr<FactReader> MakeFactReader(DataFormat format, const RelationInfo& relation, std::istream& in,
                                           const std::string& source_name);
// Writes the CSV header at once.
std::unique_ptr<FactWriter> MakeFactWriter(DataFormat format, const RelationInfo& relation, std::ostream& out);

std::unique_ptr<FactReader> MakeCsvFactReader(const RelationInfo& relation, std::istream& in,
                                              const std::string& source_name);
std::unique_ptr<FactWriter> MakeCsvFactWriter(const RelationInfo& relation, std::ostream& out);
std::unique_ptr<FactReader> MakeJsonLinesFactReader(const RelationInfo& relation, std::istream& in,
                                                    const std::string& source_name);
std::unique_ptr<FactWriter> MakeJsonLinesFactWriter(const RelationInfo& relation, std::ostream& out);

}  // namespace syllo::kb

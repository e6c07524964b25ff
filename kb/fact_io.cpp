#include "kb/fact_io.h"

namespace syllo::kb {

MetaNames MetaNamesFor(const RelationInfo& relation) {
  MetaNames names{"cf", "origin"};
  for (const engine::Column& c : relation.columns) {
    if (c.name == "cf") names.cf = "_cf";
    if (c.name == "origin") names.origin = "_origin";
  }
  return names;
}

std::unique_ptr<FactReader> MakeFactReader(DataFormat format, const RelationInfo& relation, std::istream& in,
                                           const std::string& source_name) {
  if (format == DataFormat::kCsv) return MakeCsvFactReader(relation, in, source_name);
  return MakeJsonLinesFactReader(relation, in, source_name);
}

std::unique_ptr<FactWriter> MakeFactWriter(DataFormat format, const RelationInfo& relation, std::ostream& out) {
  if (format == DataFormat::kCsv) return MakeCsvFactWriter(relation, out);
  return MakeJsonLinesFactWriter(relation, out);
}

}  // namespace syllo::kb

#include "syllo/explanation.h"

#include <sstream>

namespace syllo {

namespace {

void Render(const Explanation& e, int depth, std::ostringstream& out) {
  out << std::string(static_cast<std::size_t>(depth) * 2, ' ') << e.fact;
  if (e.certainty != 1.0) out << "  cf " << e.certainty;
  switch (e.source) {
    case Explanation::Source::kFact: out << "  [fact]"; break;
    case Explanation::Source::kUser: out << "  [your answer]"; break;
    case Explanation::Source::kModel: out << "  [predicted by model " << e.model << "@" << e.model_version << "]"; break;
    case Explanation::Source::kRule: out << "  [by rule " << e.rule << (e.location.empty() ? "" : " at " + e.location) << "]"; break;
  }
  if (!e.note.empty()) out << "  (" << e.note << ")";
  out << "\n";
  for (const Explanation& p : e.premises) Render(p, depth + 1, out);
}

}  // namespace

std::string Explanation::ToText() const {
  std::ostringstream out;
  Render(*this, 0, out);
  return out.str();
}

std::string_view SourceName(Explanation::Source source) {
  switch (source) {
    case Explanation::Source::kFact: return "fact";
    case Explanation::Source::kRule: return "rule";
    case Explanation::Source::kUser: return "user";
    case Explanation::Source::kModel: return "model";
  }
  return "fact";
}

}  // namespace syllo

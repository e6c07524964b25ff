#include "kb/identifier.h"

namespace syllo::kb {

namespace {

// Why the name is not an identifier, or empty if it is one.
std::string IdentifierProblem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxIdentifierLength) return "is longer than " + std::to_string(kMaxIdentifierLength) + " characters";
  auto lower = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!lower(name[0])) return "must start with a lowercase letter or '_'";
  for (char c : name) {
    if (!lower(c) && !digit(c)) return "may contain only lowercase letters, digits and '_'";
  }
  return "";
}

// Names are echoed in messages; keep a hostile one from flooding or breaking the line.
std::string Shown(std::string_view name) {
  std::string s;
  for (char c : name.substr(0, 80)) s += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  if (name.size() > 80) s += "...";
  return "'" + s + "'";
}

}  // namespace

Status ValidateRelationName(std::string_view name) {
  if (std::string p = IdentifierProblem(name); !p.empty()) {
    return Status::InvalidArgument("invalid relation name " + Shown(name) + ": it " + p);
  }
  if (name.substr(0, kReservedPrefix.size()) == kReservedPrefix) {
    return Status::InvalidArgument("invalid relation name " + Shown(name) + ": the prefix '" +
                                   std::string(kReservedPrefix) + "' is reserved for the knowledge base's own tables");
  }
  return Status::Ok();
}

Status ValidateColumnName(std::string_view relation, std::string_view name) {
  if (std::string p = IdentifierProblem(name); !p.empty()) {
    return Status::InvalidArgument("invalid column name " + Shown(name) + " in relation " + std::string(relation) +
                                   ": it " + p);
  }
  if (name[0] == '_') {
    return Status::InvalidArgument("invalid column name " + Shown(name) + " in relation " + std::string(relation) +
                                   ": names starting with '_' are reserved for internal columns");
  }
  return Status::Ok();
}

std::string QuoteIdentifier(std::string_view name) {
  std::string q = "\"";
  for (char c : name) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

std::string RelationTable(std::string_view relation) { return QuoteIdentifier("rel_" + std::string(relation)); }

}  // namespace syllo::kb

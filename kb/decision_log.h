// The decision log: every decision the service makes, kept in the knowledge
// base (the service's data destination) with the request, the response, the
// pack and model versions and the time; pruned by age or count; exported as
// JSON lines.
//
// Thread safety: as the KnowledgeBase given (one thread at a time).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>

#include "kb/knowledge_base.h"

namespace syllo::kb {

struct DecisionRecord {
  std::string at;        // UTC, ISO 8601 with milliseconds: 2026-11-23T10:00:00.123Z
  std::string endpoint;  // decide, session.run, session.query
  std::string pack;
  std::string pack_version;
  std::string models;    // JSON array of "name@version"
  int status = 200;      // the HTTP status answered
  double elapsed_ms = 0;
  std::string request;   // JSON
  std::string response;  // JSON
};

// Appends the records in one transaction.
Status AppendDecisions(KnowledgeBase& kb, std::span<const DecisionRecord> records);
// Deletes records older than `before` (an ISO time; empty: none) and all but
// the newest `keep_rows` (0: no cap). Returns how many went.
Result<std::int64_t> PruneDecisions(KnowledgeBase& kb, const std::string& before, std::int64_t keep_rows);
struct DecisionFilter {
  std::string since;  // ISO time; empty: from the first
  std::string pack;   // empty: every pack
  std::int64_t limit = 0;  // 0: all
};
// Writes one JSON object per line, oldest first, with `request` and `response`
// as JSON. Returns the number written.
Result<std::int64_t> ExportDecisions(KnowledgeBase& kb, std::ostream& out, const DecisionFilter& filter = {});
Result<std::int64_t> CountDecisions(KnowledgeBase& kb);

// Now as a DecisionRecord::at (and the time `seconds` ago).
std::string IsoTimeNow(double seconds_ago = 0);

}  // namespace syllo::kb

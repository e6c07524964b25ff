#include "kb/decision_log.h"

#include <chrono>
#include <ctime>
#include <ostream>

#include <nlohmann/json.hpp>

#include "kb/sqlite_handle.h"

namespace syllo::kb {

Status AppendDecisions(KnowledgeBase& kb, std::span<const DecisionRecord> records) {
  if (records.empty()) return Status();
  return kb.InTransaction([&]() -> Status {
    auto stmt = kb.database().Prepare(
        "INSERT INTO syllo_decisions(at, endpoint, pack, pack_version, models, status, elapsed_ms, request, response) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    Statement& s = **stmt;
    for (const DecisionRecord& r : records) {
      s.Reset();
      Status b;
      if (b = s.BindText(1, r.at); !b.ok()) return b;
      if (b = s.BindText(2, r.endpoint); !b.ok()) return b;
      if (b = s.BindText(3, r.pack); !b.ok()) return b;
      if (b = s.BindText(4, r.pack_version); !b.ok()) return b;
      if (b = s.BindText(5, r.models); !b.ok()) return b;
      if (b = s.BindInt(6, r.status); !b.ok()) return b;
      if (b = s.BindDouble(7, r.elapsed_ms); !b.ok()) return b;
      if (b = s.BindText(8, r.request); !b.ok()) return b;
      if (b = s.BindText(9, r.response); !b.ok()) return b;
      if (Status run = s.Run(); !run.ok()) return run;
    }
    return Status();
  });
}

Result<std::int64_t> PruneDecisions(KnowledgeBase& kb, const std::string& before, std::int64_t keep_rows) {
  std::int64_t removed = 0;
  Status st = kb.InTransaction([&]() -> Status {
    auto count = [&]() { return kb.database().QueryInt("SELECT changes()"); };
    if (!before.empty()) {
      auto stmt = kb.database().Prepare("DELETE FROM syllo_decisions WHERE at < ?");
      if (!stmt.ok()) return stmt.status();
      if (Status b = (*stmt)->BindText(1, before); !b.ok()) return b;
      if (Status r = (*stmt)->Run(); !r.ok()) return r;
      auto n = count();
      if (!n.ok()) return n.status();
      removed += *n;
    }
    if (keep_rows > 0) {
      if (Status r = kb.database().Exec(
              "DELETE FROM syllo_decisions WHERE id <= (SELECT id FROM syllo_decisions ORDER BY id DESC LIMIT 1 OFFSET " +
              std::to_string(keep_rows) + ")");
          !r.ok()) {
        return r;
      }
      auto n = count();
      if (!n.ok()) return n.status();
      removed += *n;
    }
    return Status();
  });
  if (!st.ok()) return st;
  return removed;
}

Result<std::int64_t> ExportDecisions(KnowledgeBase& kb, std::ostream& out, const DecisionFilter& filter) {
  std::string sql =
      "SELECT id, at, endpoint, pack, pack_version, models, status, elapsed_ms, request, response "
      "FROM syllo_decisions WHERE at >= ? AND (? = '' OR pack = ?) ORDER BY id";
  if (filter.limit > 0) sql += " LIMIT " + std::to_string(filter.limit);
  auto stmt = kb.database().Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Statement& s = **stmt;
  s.Reset();
  if (Status b = s.BindText(1, filter.since); !b.ok()) return b;
  if (Status b = s.BindText(2, filter.pack); !b.ok()) return b;
  if (Status b = s.BindText(3, filter.pack); !b.ok()) return b;
  std::int64_t n = 0;
  while (true) {
    auto row = s.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    nlohmann::ordered_json line;
    line["id"] = s.ColumnInt(0);
    line["at"] = std::string(s.ColumnText(1));
    line["endpoint"] = std::string(s.ColumnText(2));
    line["pack"] = std::string(s.ColumnText(3));
    line["pack_version"] = std::string(s.ColumnText(4));
    line["models"] = nlohmann::json::parse(s.ColumnText(5), nullptr, false);
    line["status"] = s.ColumnInt(6);
    line["elapsed_ms"] = s.ColumnDouble(7);
    // Stored as the service wrote them; anything unparsable is kept as text.
    auto request = nlohmann::json::parse(s.ColumnText(8), nullptr, false);
    line["request"] = request.is_discarded() ? nlohmann::json(std::string(s.ColumnText(8))) : request;
    auto response = nlohmann::json::parse(s.ColumnText(9), nullptr, false);
    line["response"] = response.is_discarded() ? nlohmann::json(std::string(s.ColumnText(9))) : response;
    out << line.dump() << '\n';
    ++n;
  }
  if (!out) return Status::IoError("cannot write the exported decisions");
  return n;
}

Result<std::int64_t> CountDecisions(KnowledgeBase& kb) {
  return kb.database().QueryInt("SELECT count(*) FROM syllo_decisions");
}

std::string IsoTimeNow(double seconds_ago) {
  using namespace std::chrono;
  auto now = system_clock::now() - duration_cast<system_clock::duration>(duration<double>(seconds_ago));
  std::time_t t = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03lldZ", buf, static_cast<long long>(ms));
  return out;
}

}  // namespace syllo::kb

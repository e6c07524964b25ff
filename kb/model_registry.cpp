#include "kb/model_registry.h"

#include <cctype>
#include <charconv>

#include <nlohmann/json.hpp>

#include "kb/decision_log.h"
#include "kb/fnv_hash.h"
#include "kb/sqlite_handle.h"

namespace syllo::kb {
namespace {

constexpr const char* kColumns =
    "name, version, architecture, design, labels, normalization, dataset, metrics, parent_version, quantized, "
    "quantization, created_at, weights_hash, length(weights)";

std::string Reference(const std::string& name, std::int64_t version) { return name + "@" + std::to_string(version); }

ModelRecord ReadRow(Statement& s) {
  ModelRecord r;
  r.name = std::string(s.ColumnText(0));
  r.version = s.ColumnInt(1);
  r.architecture = std::string(s.ColumnText(2));
  r.design = std::string(s.ColumnText(3));
  r.labels = std::string(s.ColumnText(4));
  r.normalization = std::string(s.ColumnText(5));
  r.dataset = std::string(s.ColumnText(6));
  r.metrics = std::string(s.ColumnText(7));
  if (!s.ColumnIsNull(8)) r.parent_version = s.ColumnInt(8);
  r.quantized = s.ColumnInt(9) != 0;
  r.quantization = std::string(s.ColumnText(10));
  r.created_at = std::string(s.ColumnText(11));
  r.weights_hash = std::string(s.ColumnText(12));
  r.weights_bytes = s.ColumnInt(13);
  return r;
}

Result<std::vector<std::int64_t>> Versions(KnowledgeBase& kb, const std::string& name) {
  auto stmt = kb.database().Prepare("SELECT version FROM syllo_models WHERE name = ? ORDER BY version");
  if (!stmt.ok()) return stmt.status();
  Statement& s = **stmt;
  if (Status b = s.BindText(1, name); !b.ok()) return b;
  std::vector<std::int64_t> out;
  for (;;) {
    auto row = s.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(s.ColumnInt(0));
  }
  return out;
}

Status NoSuchModel(KnowledgeBase& kb, const std::string& name, std::optional<std::int64_t> version) {
  auto versions = Versions(kb, name);
  if (!versions.ok()) return versions.status();
  if (versions->empty()) {
    return Status::NotFound("no model '" + name + "' in the knowledge base " + kb.path() +
                            " (train one with `syllo train " + name + "`, or see `syllo models list`)");
  }
  std::string list;
  for (std::int64_t v : *versions) list += (list.empty() ? "" : ", ") + std::to_string(v);
  return Status::NotFound("model '" + name + "' has no version " + std::to_string(version.value_or(0)) +
                          " (versions: " + list + ")");
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const std::uint32_t v = (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8) | std::uint8_t(in[i + 2]);
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += kBase64[(v >> 6) & 63];
    out += kBase64[v & 63];
  }
  if (i < in.size()) {
    std::uint32_t v = std::uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= std::uint8_t(in[i + 1]) << 8;
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += i + 1 < in.size() ? kBase64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view in) {
  auto digit = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (in.size() % 4 != 0) return Status::InvalidArgument("weights: base64 length is not a multiple of 4");
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int d[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in[i + k];
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        d[k] = 0;
        ++pad;
        continue;
      }
      d[k] = digit(c);
      if (d[k] < 0 || pad > 0) {
        return Status::InvalidArgument("weights: invalid base64 at offset " + std::to_string(i + k));
      }
    }
    const std::uint32_t v = (d[0] << 18) | (d[1] << 12) | (d[2] << 6) | d[3];
    out += static_cast<char>(v >> 16);
    if (pad < 2) out += static_cast<char>((v >> 8) & 255);
    if (pad < 1) out += static_cast<char>(v & 255);
  }
  return out;
}

Status CheckJson(const std::string& text, const char* field) {
  if (!nlohmann::json::accept(text)) return Status::InvalidArgument(std::string("model ") + field + " is not JSON");
  return Status();
}

}  // namespace

Result<std::pair<std::string, std::optional<std::int64_t>>> ParseModelReference(const std::string& reference) {
  const std::size_t at = reference.find('@');
  std::string name = reference.substr(0, at);
  const bool name_ok = !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) != 0) &&
                       name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
  if (!name_ok) {
    return Status::InvalidArgument("'" + reference +
                                   "' is not a model name (lower-case letters, digits and _, then optionally @VERSION)");
  }
  if (at == std::string::npos) return std::pair{name, std::optional<std::int64_t>()};
  const std::string digits = reference.substr(at + 1);
  std::int64_t version = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || version < 1) {
    return Status::InvalidArgument("'" + reference + "': a model version must be a whole number from 1");
  }
  return std::pair{name, std::optional<std::int64_t>(version)};
}

Result<std::int64_t> AddModelVersion(KnowledgeBase& kb, ModelRecord r) {
  if (auto parsed = ParseModelReference(r.name); !parsed.ok() || parsed->second) {
    return Status::InvalidArgument("'" + r.name + "' is not a model name");
  }
  for (auto [text, field] : {std::pair{&r.design, "design"}, {&r.labels, "labels"},
                             {&r.normalization, "normalization"}, {&r.dataset, "dataset"},
                             {&r.metrics, "metrics"}, {&r.quantization, "quantization"}}) {
    if (Status s = CheckJson(*text, field); !s.ok()) return s;
  }
  if (r.weights.empty()) return Status::InvalidArgument("model " + r.name + " has no weights to store");
  r.created_at = IsoTimeNow();
  r.weights_hash = Fnv1a64Hex(r.weights);
  std::int64_t version = 0;
  Status st = kb.InTransaction([&]() -> Status {
    auto next = kb.database().Prepare("SELECT coalesce(max(version), 0) + 1 FROM syllo_models WHERE name = ?");
    if (!next.ok()) return next.status();
    if (Status b = (*next)->BindText(1, r.name); !b.ok()) return b;
    auto row = (*next)->Step();
    if (!row.ok()) return row.status();
    version = (*next)->ColumnInt(0);
    (*next)->Reset();
    auto stmt = kb.database().Prepare(
        "INSERT INTO syllo_models(name, version, architecture, design, labels, normalization, dataset, metrics, "
        "parent_version, quantized, quantization, created_at, weights, weights_hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    Statement& s = **stmt;
    Status b;
    if (b = s.BindText(1, r.name); !b.ok()) return b;
    if (b = s.BindInt(2, version); !b.ok()) return b;
    if (b = s.BindText(3, r.architecture); !b.ok()) return b;
    if (b = s.BindText(4, r.design); !b.ok()) return b;
    if (b = s.BindText(5, r.labels); !b.ok()) return b;
    if (b = s.BindText(6, r.normalization); !b.ok()) return b;
    if (b = s.BindText(7, r.dataset); !b.ok()) return b;
    if (b = s.BindText(8, r.metrics); !b.ok()) return b;
    if (b = r.parent_version ? s.BindInt(9, *r.parent_version) : s.BindNull(9); !b.ok()) return b;
    if (b = s.BindInt(10, r.quantized ? 1 : 0); !b.ok()) return b;
    if (b = s.BindText(11, r.quantization); !b.ok()) return b;
    if (b = s.BindText(12, r.created_at); !b.ok()) return b;
    if (b = s.BindBlob(13, std::as_bytes(std::span(r.weights.data(), r.weights.size()))); !b.ok()) return b;
    if (b = s.BindText(14, r.weights_hash); !b.ok()) return b;
    return s.Run();
  });
  if (!st.ok()) return Status(st.code(), "storing model " + r.name + ": " + st.message());
  return version;
}

Result<ModelRecord> GetModel(KnowledgeBase& kb, const std::string& name, std::optional<std::int64_t> version,
                             bool with_weights) {
  std::string sql = std::string("SELECT ") + kColumns + (with_weights ? ", weights" : "") +
                    " FROM syllo_models WHERE name = ? " +
                    (version ? "AND version = ?" : "ORDER BY version DESC LIMIT 1");
  auto stmt = kb.database().Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Statement& s = **stmt;
  if (Status b = s.BindText(1, name); !b.ok()) return b;
  if (version) {
    if (Status b = s.BindInt(2, *version); !b.ok()) return b;
  }
  auto row = s.Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    s.Reset();
    return NoSuchModel(kb, name, version);
  }
  ModelRecord r = ReadRow(s);
  if (with_weights) {
    auto blob = s.ColumnBlob(14);
    r.weights.assign(reinterpret_cast<const char*>(blob.data()), blob.size());
  }
  s.Reset();
  if (with_weights && Fnv1a64Hex(r.weights) != r.weights_hash) {
    return Status::Corruption("the stored weights of model " + Reference(r.name, r.version) +
                              " are corrupt (their hash does not match; re-train or import the model again)");
  }
  return r;
}

Result<std::vector<ModelRecord>> ListModels(KnowledgeBase& kb, const std::string& name) {
  auto stmt = kb.database().Prepare(std::string("SELECT ") + kColumns +
                                    " FROM syllo_models WHERE ? = '' OR name = ? ORDER BY name, version");
  if (!stmt.ok()) return stmt.status();
  Statement& s = **stmt;
  if (Status b = s.BindText(1, name); !b.ok()) return b;
  if (Status b = s.BindText(2, name); !b.ok()) return b;
  std::vector<ModelRecord> out;
  for (;;) {
    auto row = s.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ReadRow(s));
  }
  return out;
}

Result<std::int64_t> DeleteModel(KnowledgeBase& kb, const std::string& name, std::optional<std::int64_t> version) {
  std::int64_t removed = 0;
  Status st = kb.InTransaction([&]() -> Status {
    auto stmt = kb.database().Prepare(version ? "DELETE FROM syllo_models WHERE name = ? AND version = ?"
                                              : "DELETE FROM syllo_models WHERE name = ?");
    if (!stmt.ok()) return stmt.status();
    if (Status b = (*stmt)->BindText(1, name); !b.ok()) return b;
    if (version) {
      if (Status b = (*stmt)->BindInt(2, *version); !b.ok()) return b;
    }
    if (Status r = (*stmt)->Run(); !r.ok()) return r;
    auto n = kb.database().QueryInt("SELECT changes()");
    if (!n.ok()) return n.status();
    removed = *n;
    return removed > 0 ? Status() : NoSuchModel(kb, name, version);
  });
  if (!st.ok()) return st;
  return removed;
}

Status SetQuantization(KnowledgeBase& kb, const std::string& name, std::int64_t version, bool quantized,
                       const std::string& measurements_json) {
  if (Status s = CheckJson(measurements_json, "quantization"); !s.ok()) return s;
  return kb.InTransaction([&]() -> Status {
    auto stmt = kb.database().Prepare(
        "UPDATE syllo_models SET quantized = ?, quantization = ? WHERE name = ? AND version = ?");
    if (!stmt.ok()) return stmt.status();
    Statement& s = **stmt;
    Status b;
    if (b = s.BindInt(1, quantized ? 1 : 0); !b.ok()) return b;
    if (b = s.BindText(2, measurements_json); !b.ok()) return b;
    if (b = s.BindText(3, name); !b.ok()) return b;
    if (b = s.BindInt(4, version); !b.ok()) return b;
    if (Status r = s.Run(); !r.ok()) return r;
    auto n = kb.database().QueryInt("SELECT changes()");
    if (!n.ok()) return n.status();
    return *n > 0 ? Status() : NoSuchModel(kb, name, version);
  });
}

std::string ExportModel(const ModelRecord& r) {
  nlohmann::json doc = {
      {"syllo_model", 1},
      {"name", r.name},
      {"version", r.version},
      {"architecture", r.architecture},
      {"design", nlohmann::json::parse(r.design)},
      {"labels", nlohmann::json::parse(r.labels)},
      {"normalization", nlohmann::json::parse(r.normalization)},
      {"dataset", nlohmann::json::parse(r.dataset)},
      {"metrics", nlohmann::json::parse(r.metrics)},
      {"quantized", r.quantized},
      {"quantization", nlohmann::json::parse(r.quantization)},
      {"created_at", r.created_at},
      {"weights_hash", r.weights_hash},
      {"weights", Base64Encode(r.weights)},
  };
  if (r.parent_version) doc["parent_version"] = *r.parent_version;
  return doc.dump(1) + "\n";
}

Result<std::int64_t> ImportModel(KnowledgeBase& kb, const std::string& json, const std::string& source_name,
                                 const std::string& rename) {
  auto doc = nlohmann::json::parse(json, nullptr, false);
  auto bad = [&](const std::string& what) {
    return Status::InvalidArgument(source_name + ": not a Syllo model export: " + what);
  };
  if (doc.is_discarded() || !doc.is_object()) return bad("the file is not a JSON object");
  if (!doc.contains("syllo_model") || doc["syllo_model"] != 1) return bad("no \"syllo_model\": 1");
  ModelRecord r;
  try {
    r.name = rename.empty() ? doc.at("name").get<std::string>() : rename;
    r.architecture = doc.at("architecture").get<std::string>();
    r.design = doc.at("design").dump();
    r.labels = doc.at("labels").dump();
    r.normalization = doc.at("normalization").dump();
    r.dataset = doc.at("dataset").dump();
    r.metrics = doc.at("metrics").dump();
    r.quantized = doc.value("quantized", false);
    r.quantization = doc.contains("quantization") ? doc["quantization"].dump() : "{}";
    auto weights = Base64Decode(doc.at("weights").get<std::string>());
    if (!weights.ok()) return bad(weights.status().message());
    r.weights = std::move(*weights);
    if (Fnv1a64Hex(r.weights) != doc.at("weights_hash").get<std::string>()) {
      return Status::Corruption(source_name + ": the weights do not match their hash (the file is damaged)");
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  return AddModelVersion(kb, std::move(r));
}

}  // namespace syllo::kb

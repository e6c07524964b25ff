#include "kb/json_lines.h"

#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "kb/tensor_text.h"
#include "kb/value_codec.h"

namespace syllo::kb {

namespace {

using nlohmann::json;

// The value of `j` for a column of `type`; the message names no position.
Result<engine::Value> ValueFromJson(const engine::ColumnType& type, const json& j) {
  auto expected = [&](const char* what) {
    std::string shown = j.dump(-1, ' ', false, json::error_handler_t::replace);
    if (shown.size() > 40) shown = shown.substr(0, 40) + "...";
    return Status::InvalidArgument(std::string("expected ") + what + ", got " + shown);
  };
  switch (type.kind) {
    case engine::ValueKind::kInt:
      if (j.is_number_unsigned()) {
        if (j.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          return Status::InvalidArgument(j.dump() + " is out of the int range");
        }
        return engine::Value::Int(static_cast<std::int64_t>(j.get<std::uint64_t>()));
      }
      if (j.is_number_integer()) return engine::Value::Int(j.get<std::int64_t>());
      return expected("an int");
    case engine::ValueKind::kFloat:
      if (j.is_number_integer()) return engine::Value::Float(j.get<double>());
      if (j.is_number_float()) return engine::Value::Float(j.get<double>());
      return expected("a float");
    case engine::ValueKind::kBool:
      if (j.is_boolean()) return engine::Value::Bool(j.get<bool>());
      return expected("true or false");
    case engine::ValueKind::kSymbol:
      if (j.is_string()) return engine::Value::MakeSymbol(j.get_ref<const std::string&>());
      return expected("a symbol (a JSON string)");
    case engine::ValueKind::kString:
      if (j.is_string()) return engine::Value::MakeString(j.get_ref<const std::string&>());
      return expected("a string");
    case engine::ValueKind::kTensor:
      return ParseTensorJson(type, j);
    default:  // kNone, kFact: never a column type
      break;
  }
  return Status::Internal("a column of no type");
}

class JsonLinesFactReader final : public FactReader {
 public:
  JsonLinesFactReader(const RelationInfo& relation, std::istream& in, std::string source_name)
      : relation_(relation), in_(in), source_(std::move(source_name)), meta_(MetaNamesFor(relation)) {}

  Result<bool> Next(FactRow& row) override {
    while (std::getline(in_, text_)) {
      ++line_;
      if (line_ == 1 && text_.compare(0, 3, "\xEF\xBB\xBF") == 0) text_.erase(0, 3);
      if (!text_.empty() && text_.back() == '\r') text_.pop_back();
      if (text_.find_first_not_of(" \t") == std::string::npos) continue;
      return ParseLine(row);
    }
    if (in_.bad()) return Status::IoError(source_ + ": read error after line " + std::to_string(line_));
    return false;
  }

 private:
  Result<bool> ParseLine(FactRow& row) {
    json j;
    try {
      j = json::parse(text_);
    } catch (const json::parse_error& e) {
      std::string what = e.what();
      // nlohmann's text: "[json.exception.parse_error.101] parse error at line 1, column 5: <why>"
      std::size_t colon = what.find(": ", what.find("column"));
      std::string why = colon == std::string::npos ? what : what.substr(colon + 2);
      return Status::InvalidArgument(source_ + ":line " + std::to_string(line_) + ", col " +
                                     std::to_string(e.byte) + ": invalid JSON: " + why);
    } catch (const json::exception& e) {
      // e.g. a number too large for a double: "[json.exception.out_of_range.406] number overflow ..."
      std::string what = e.what();
      std::size_t bracket = what.find("] ");
      return Status::InvalidArgument(source_ + ":line " + std::to_string(line_) + ": invalid JSON: " +
                                     (bracket == std::string::npos ? what : what.substr(bracket + 2)));
    }
    if (!j.is_object()) {
      return Status::InvalidArgument(source_ + ":line " + std::to_string(line_) +
                                     ": expected a JSON object whose keys are the columns of " + relation_.signature);
    }
    row.values.assign(relation_.columns.size(), engine::Value());
    row.certainty = 1.0;
    row.origin = engine::Origin::kAsserted;
    for (std::size_t c = 0; c < relation_.columns.size(); ++c) {
      const engine::Column& column = relation_.columns[c];
      auto it = j.find(column.name);
      if (it == j.end()) return KeyError(column.name, "missing; every column of " + relation_.signature + " is required");
      Result<engine::Value> v = ValueFromJson(column.type, *it);
      if (!v.ok()) return KeyError(column.name, v.status().message());
      if (Status s = CheckValue(column.type, *v); !s.ok()) return KeyError(column.name, s.message());
      row.values[c] = *v;
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& key = it.key();
      bool is_column = false;
      for (const engine::Column& column : relation_.columns) is_column = is_column || column.name == key;
      if (is_column) continue;
      if (key == meta_.cf || key == "_cf") {
        if (!it->is_number()) return KeyError(key, "expected a number in [-1, 1]");
        if (Status s = CheckCertainty(it->get<double>()); !s.ok()) return KeyError(key, s.message());
        row.certainty = it->get<double>();
      } else if (key == meta_.origin || key == "_origin") {
        if (!it->is_string() || !engine::ParseOrigin(it->get_ref<const std::string&>(), &row.origin)) {
          return KeyError(key, "expected \"asserted\", \"derived\", \"user\" or \"model\"");
        }
      } else {
        return KeyError(key, "unknown key; " + relation_.signature + " has no such column (the optional keys are " +
                                 meta_.cf + " and " + meta_.origin + ")");
      }
    }
    return true;
  }

  Status KeyError(const std::string& key, const std::string& message) const {
    std::string shown = key.size() > 40 ? key.substr(0, 40) + "..." : key;
    return Status::InvalidArgument(source_ + ":line " + std::to_string(line_) + ", key '" + shown + "': " + message);
  }

  const RelationInfo& relation_;
  std::istream& in_;
  std::string source_;
  MetaNames meta_;
  std::uint64_t line_ = 0;
  std::string text_;
};

class JsonLinesFactWriter final : public FactWriter {
 public:
  JsonLinesFactWriter(const RelationInfo& relation, std::ostream& out)
      : relation_(relation), out_(out), meta_(MetaNamesFor(relation)) {}

  void Write(const FactRow& row) override {
    line_ = "{";
    for (std::size_t i = 0; i < relation_.columns.size(); ++i) {
      const engine::Column& column = relation_.columns[i];
      engine::Value v = row.values[i];
      line_ += "\"" + column.name + "\":";  // column names are identifiers: nothing to escape
      switch (column.type.kind) {
        case engine::ValueKind::kSymbol:
        case engine::ValueKind::kString:
          // Invalid UTF-8 cannot be written as JSON; such bytes become U+FFFD.
          line_ += json(std::string(v.text())).dump(-1, ' ', false, json::error_handler_t::replace);
          break;
        default:
          line_ += FormatTextValue(column.type, v);
          break;
      }
      line_ += ',';
    }
    line_ += "\"" + meta_.cf + "\":" + FormatDouble(row.certainty) + ",\"" + meta_.origin + "\":\"" +
             std::string(engine::OriginName(row.origin)) + "\"}\n";
    out_ << line_;
  }

 private:
  const RelationInfo& relation_;
  std::ostream& out_;
  MetaNames meta_;
  std::string line_;
};

}  // namespace

std::unique_ptr<FactReader> MakeJsonLinesFactReader(const RelationInfo& relation, std::istream& in,
                                                    const std::string& source_name) {
  return std::make_unique<JsonLinesFactReader>(relation, in, source_name);
}

std::unique_ptr<FactWriter> MakeJsonLinesFactWriter(const RelationInfo& relation, std::ostream& out) {
  return std::make_unique<JsonLinesFactWriter>(relation, out);
}

}  // namespace syllo::kb

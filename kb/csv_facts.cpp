// Facts as CSV: a header row naming the relation's columns (any order) plus the
// optional certainty and origin columns, then one record per fact.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kb/csv.h"
#include "kb/fact_io.h"
#include "kb/value_codec.h"

namespace syllo::kb {

namespace {

class CsvFactReader final : public FactReader {
 public:
  CsvFactReader(const RelationInfo& relation, std::istream& in, std::string source_name)
      : relation_(relation), reader_(in), source_(std::move(source_name)), meta_(MetaNamesFor(relation)) {}

  Result<bool> Next(FactRow& row) override {
    if (!header_read_) {
      if (Status s = ReadHeader(); !s.ok()) return s;
      header_read_ = true;
    }
    CsvRecord& rec = record_;
    while (true) {
      CsvReader::Next n = reader_.Read(rec, syntax_);
      if (n == CsvReader::Next::kError) return SyntaxError();
      if (n == CsvReader::Next::kEnd) return false;
      if (!rec.blank()) break;
    }
    if (rec.fields.size() != header_.size()) {
      return Status::InvalidArgument(source_ + ":line " + std::to_string(rec.line) + ": expected " +
                                     std::to_string(header_.size()) + " fields as in the header, got " +
                                     std::to_string(rec.fields.size()));
    }
    row.values.assign(relation_.columns.size(), engine::Value());
    row.certainty = 1.0;
    row.origin = engine::Origin::kAsserted;
    for (std::size_t i = 0; i < header_.size(); ++i) {
      const std::string& text = rec.fields[i];
      int target = header_[i];
      if (target == kCertainty) {
        double cf = 0;
        if (!ParseFiniteDouble(text, &cf)) return FieldError(rec, i, "\"" + text + "\" is not a number");
        if (Status s = CheckCertainty(cf); !s.ok()) return FieldError(rec, i, s.message());
        row.certainty = cf;
      } else if (target == kOrigin) {
        if (!engine::ParseOrigin(text, &row.origin)) {
          return FieldError(rec, i, "\"" + text + "\" is not an origin (asserted, derived, user or model)");
        }
      } else {
        const engine::ColumnType& type = relation_.columns[static_cast<std::size_t>(target)].type;
        Result<engine::Value> v = ParseTextValue(type, text);
        if (!v.ok()) return FieldError(rec, i, v.status().message());
        if (Status s = CheckValue(type, *v); !s.ok()) return FieldError(rec, i, s.message());
        row.values[static_cast<std::size_t>(target)] = *v;
      }
    }
    return true;
  }

 private:
  static constexpr int kCertainty = -1;
  static constexpr int kOrigin = -2;

  Status ReadHeader() {
    CsvRecord& rec = record_;
    while (true) {
      CsvReader::Next n = reader_.Read(rec, syntax_);
      if (n == CsvReader::Next::kError) return SyntaxError();
      if (n == CsvReader::Next::kEnd) {
        return Status::InvalidArgument(source_ + ":line 1: the file is empty; expected a header row naming the "
                                       "columns of " + relation_.signature);
      }
      if (!rec.blank()) break;
    }
    header_names_ = rec.fields;
    // One slot per relation column, then certainty and origin.
    std::vector<bool> seen(relation_.columns.size() + 2, false);
    for (std::size_t i = 0; i < rec.fields.size(); ++i) {
      const std::string& name = rec.fields[i];
      std::optional<int> target;
      for (std::size_t c = 0; c < relation_.columns.size(); ++c) {
        if (relation_.columns[c].name == name) target = static_cast<int>(c);
      }
      if (!target && (name == meta_.cf || name == "_cf")) target = kCertainty;
      if (!target && (name == meta_.origin || name == "_origin")) target = kOrigin;
      if (!target) {
        return FieldError(rec, i, "unknown column; " + relation_.signature + " has no such column (the optional "
                                  "extra columns are " + meta_.cf + " and " + meta_.origin + ")");
      }
      std::size_t slot = *target >= 0 ? static_cast<std::size_t>(*target)
                                      : relation_.columns.size() + (*target == kCertainty ? 0 : 1);
      if (seen[slot]) return FieldError(rec, i, "the column appears twice in the header");
      seen[slot] = true;
      header_.push_back(*target);
    }
    for (std::size_t c = 0; c < relation_.columns.size(); ++c) {
      if (!seen[c]) {
        return Status::InvalidArgument(source_ + ":line " + std::to_string(rec.line) + ": the header lacks column '" +
                                       relation_.columns[c].name + "' of " + relation_.signature);
      }
    }
    return Status::Ok();
  }

  // "file:line N, column 'name' (#i): message", with the field's own line.
  Status FieldError(const CsvRecord& rec, std::size_t field, const std::string& message) const {
    std::uint64_t line = field < rec.field_lines.size() ? rec.field_lines[field] : rec.line;
    return Status::InvalidArgument(source_ + ":line " + std::to_string(line) + ", " + ColumnLabel(field) + ": " +
                                   message);
  }

  std::string ColumnLabel(std::size_t field) const {
    std::string name;
    if (field < header_names_.size()) name = header_names_[field];
    std::string label = "column";
    if (!name.empty()) label += " '" + name + "'";
    return label + " (#" + std::to_string(field + 1) + ")";
  }

  Status SyntaxError() const {
    return Status::InvalidArgument(source_ + ":line " + std::to_string(syntax_.line) + ", " +
                                   ColumnLabel(syntax_.field) + ": " + syntax_.message);
  }

  const RelationInfo& relation_;
  CsvReader reader_;
  std::string source_;
  MetaNames meta_;
  bool header_read_ = false;
  std::vector<std::string> header_names_;
  std::vector<int> header_;  // per field: column index, kCertainty or kOrigin
  CsvRecord record_;
  CsvSyntaxError syntax_;
};

class CsvFactWriter final : public FactWriter {
 public:
  CsvFactWriter(const RelationInfo& relation, std::ostream& out) : relation_(relation), out_(out) {
    MetaNames meta = MetaNamesFor(relation);
    std::string line;
    for (const engine::Column& c : relation.columns) {
      AppendCsvField(line, c.name);
      line += ',';
    }
    line += meta.cf + "," + meta.origin + "\n";
    out_ << line;
  }

  void Write(const FactRow& row) override {
    line_.clear();
    for (std::size_t i = 0; i < relation_.columns.size(); ++i) {
      const engine::ColumnType& type = relation_.columns[i].type;
      AppendCsvField(line_, FormatTextValue(type, row.values[i]));
      line_ += ',';
    }
    line_ += FormatDouble(row.certainty);
    line_ += ',';
    line_ += engine::OriginName(row.origin);
    line_ += '\n';
    out_ << line_;
  }

 private:
  const RelationInfo& relation_;
  std::ostream& out_;
  std::string line_;
};

}  // namespace

std::unique_ptr<FactReader> MakeCsvFactReader(const RelationInfo& relation, std::istream& in,
                                              const std::string& source_name) {
  return std::make_unique<CsvFactReader>(relation, in, source_name);
}

std::unique_ptr<FactWriter> MakeCsvFactWriter(const RelationInfo& relation, std::ostream& out) {
  return std::make_unique<CsvFactWriter>(relation, out);
}

}  // namespace syllo::kb

// csv:FILE — a dataset from CSV, read with the knowledge base's RFC 4180 reader
// (kb/csv.h). Rows are numbered from 1 for the first data row (the header and
// blank lines do not count), the way dataset.h promises.
#include <charconv>
#include <cmath>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "kb/csv.h"
#include "learners/dataset_sources.h"

namespace syllo::learners {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Shown(std::string_view text) {
  return "'" + std::string(text.substr(0, 40)) + (text.size() > 40 ? "...'" : "'");
}

enum class NumberParse { kOk, kNotANumber, kNotFinite };

NumberParse ParseNumber(std::string_view text, double* out) {
  text = Trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return NumberParse::kNotANumber;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  // from_chars reports an overflow as out of range: that too is not a finite number.
  if (ec == std::errc::result_out_of_range && end == text.data() + text.size()) return NumberParse::kNotFinite;
  if (ec != std::errc() || end != text.data() + text.size()) return NumberParse::kNotANumber;
  return std::isfinite(*out) ? NumberParse::kOk : NumberParse::kNotFinite;
}

}  // namespace

Result<Dataset> ReadCsvDataset(const std::string& path, const DataOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot be opened");
  kb::CsvReader reader(in);
  kb::CsvRecord record;
  kb::CsvSyntaxError syntax;
  auto syntax_error = [&] {
    return Status::InvalidArgument(path + ":line " + std::to_string(syntax.line) + ": " + syntax.message);
  };

  // The header.
  while (true) {
    kb::CsvReader::Next n = reader.Read(record, syntax);
    if (n == kb::CsvReader::Next::kError) return syntax_error();
    if (n == kb::CsvReader::Next::kEnd) return Status::InvalidArgument(path + ": empty; expected a header row");
    if (!record.blank()) break;
  }
  const std::vector<std::string> header = record.fields;
  std::int64_t label_at = -1;
  std::vector<std::size_t> feature_at;
  for (std::size_t i = 0; i < header.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (header[j] == header[i]) return Status::InvalidArgument(path + ": two columns named '" + header[i] + "'");
    }
    if (header[i] == options.label_column) {
      label_at = static_cast<std::int64_t>(i);
    } else {
      feature_at.push_back(i);
    }
  }
  if (label_at < 0) {
    std::string names;
    for (const std::string& h : header) names += (names.empty() ? "" : ", ") + h;
    return Status::InvalidArgument(path + ": no label column '" + options.label_column + "' in the header (" +
                                   names + ")");
  }
  if (feature_at.empty()) return Status::InvalidArgument(path + ": no feature column besides the label");

  Dataset ds;
  ds.examples.example_shape = {static_cast<std::int64_t>(feature_at.size())};
  LabelIndexer indexer(options.labels);
  std::int64_t row = 0;
  while (true) {
    kb::CsvReader::Next n = reader.Read(record, syntax);
    if (n == kb::CsvReader::Next::kError) return syntax_error();
    if (n == kb::CsvReader::Next::kEnd) break;
    if (record.blank()) continue;
    ++row;
    const std::string where = path + ":row " + std::to_string(row);
    if (record.fields.size() != header.size()) {
      return Status::InvalidArgument(where + ": " + std::to_string(record.fields.size()) + " fields, but the header has " +
                                     std::to_string(header.size()));
    }
    for (std::size_t i : feature_at) {
      double v = 0;
      switch (ParseNumber(record.fields[i], &v)) {
        case NumberParse::kOk:
          break;
        case NumberParse::kNotANumber:
          return Status::InvalidArgument(where + ": column '" + header[i] + "': " + Shown(record.fields[i]) +
                                         " is not a number");
        case NumberParse::kNotFinite:
          return Status::InvalidArgument(where + ": column '" + header[i] + "': " + Shown(record.fields[i]) +
                                         " is not a finite number");
      }
      const float f = static_cast<float>(v);
      if (!std::isfinite(f)) {
        return Status::InvalidArgument(where + ": column '" + header[i] + "': " + Shown(record.fields[i]) +
                                       " is out of the float range");
      }
      ds.examples.features.push_back(f);
    }
    const std::string label(Trim(record.fields[static_cast<std::size_t>(label_at)]));
    if (label.empty()) {
      return Status::InvalidArgument(where + ": column '" + options.label_column + "': the label is empty");
    }
    if (!indexer.Add(label)) {
      return Status::InvalidArgument(where + ": column '" + options.label_column + "': " + Shown(label) +
                                     " is not one of the labels (" + indexer.DeclaredList() + ")");
    }
    if (options.limit > 0 && row >= options.limit) break;
  }
  indexer.Finish(ds.label_names, ds.examples.labels);
  ds.description = "csv:" + path;
  return ds;
}

}  // namespace syllo::learners
